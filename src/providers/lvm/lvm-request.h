/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-request.h - the LVM provider's side of the provider protocol: the request, the volume objects, the answer */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#define PROVIDER_NAME    "stasis-provider-lvm"
#define PROTOCOL_VERSION 1

/* A volume object of the request (docs/provider-spec.md); the strings
 * belong to the request. */
typedef struct Volume {
        const char *path, *mount_point, *device, *fstype, *source, *key, *handle;
        char vg[128], lv[128];          /* from source, "VG/LV" */
        const char *uuid;               /* from key, "lvm:UUID" */
} Volume;

extern const char *verb;

/* Records "stasis-provider-lvm: VERB: <text>" as the reason; returns -1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends "; <text>" to the reason; returns -1. */
int fail_more(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *fail_message(void);

/* Reads standard input as one JSON object of our protocol version. */
json_object *parse_request(void);

/* Reads and checks a volume object; with_handle: the fields stasisd adds
 * after probe (source, key, handle) must be there and be this provider's. */
int parse_volume(json_object *o, const char *what, bool with_handle, Volume *v);
int parse_single_volume(json_object *req, Volume *v);

int emit(json_object *o);
