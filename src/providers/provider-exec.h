/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-exec.h - what the parts of the external providers share */
#pragma once

#include <json-c/json.h>

#include "provider.h"

/* The executable of an external provider (one that stasis_providers_load_external() made). */
const char *exec_provider_path(const StasisProvider *self);

/* A request of our protocol version, to add to. */
json_object *exec_new_request(void);
/* A volume object of the protocol (docs/provider-spec.md#the-volume-object). */
json_object *exec_volume_to_json(const StasisVolume *v);
/* Runs verb of the provider with req (taken over); the answer in *ret, or a
 * negative errno with res->message naming the provider. */
int exec_provider_call(const StasisProvider *self, const char *verb, json_object *req, usec_t timeout, int abort_fd,
                       json_object **ret, StasisProviderResult *res);

/* The space and extend ops of external providers (exec-space.c). */
int exec_space(const StasisProvider *self, const StasisVolume * const *volumes, size_t n, StasisSpace *space,
               StasisProviderResult *res);
int exec_extend(const StasisProvider *self, const StasisVolume *v, uint64_t size, uint64_t *ret_size,
                StasisProviderResult *res);
