/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-space.h - the LVM provider's space verbs: how full each snapshot (and thin pool) is, and growing a classic one */
#pragma once

#include <json-c/json.h>

/* space: for each volume of the request, how full its snapshot is
 * (docs/provider-spec.md#space). 0, or -1 after fail(). */
int lvm_do_space(json_object *req, json_object *resp);

/* extend: grows the classic snapshot of the request's volume to "size"
 * bytes (rounded up to whole extents by LVM). 0, or -1 after fail(). */
int lvm_do_extend(json_object *req, json_object *resp);
