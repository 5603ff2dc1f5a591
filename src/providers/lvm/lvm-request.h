/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-request.h - the volume objects of the LVM provider's requests (the protocol: provider-protocol.h) */
#pragma once

#include <stdbool.h>

#include <json-c/json.h>

#include "provider-protocol.h"

#define PROVIDER_NAME    "stasis-provider-lvm"

/* A volume object of the request (docs/provider-spec.md); the strings
 * belong to the request. */
typedef struct Volume {
        const char *path, *mount_point, *device, *fstype, *source, *key, *handle;
        char vg[128], lv[128];          /* from source, "VG/LV" */
        const char *uuid;               /* from key, "lvm:UUID" */
} Volume;

/* Reads and checks a volume object; with_handle: the fields stasisd adds
 * after probe (source, key, handle) must be there and be this provider's. */
int parse_volume(json_object *o, const char *what, bool with_handle, Volume *v);
int parse_single_volume(json_object *req, Volume *v);

