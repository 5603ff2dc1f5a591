/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-policy.h - the LVM provider's pure parts: snapshot size policy, handles, tags, device-mapper UUIDs */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How big a classic snapshot is made (docs/providers.md#snapshot-size). */
typedef enum LvmSizeKind {
        LVM_SIZE_FIXED,         /* a number of bytes */
        LVM_SIZE_ORIGIN,        /* a percentage of the origin LV's size */
        LVM_SIZE_USED,          /* a percentage of the space its file system uses */
} LvmSizeKind;

typedef struct LvmSizePolicy {
        LvmSizeKind kind;
        uint64_t value;         /* bytes, or percent (1 to 100 of the origin, 1 to 1000 of used) */
} LvmSizePolicy;

#define LVM_SIZE_POLICY_DEFAULT "20%ORIGIN"
#define LVM_SNAPSHOT_MIN_BYTES (8ULL * 1024 * 1024)

/* Parses "512M", "2G", "1073741824" (bytes; suffixes K, M, G, T of 1024),
 * "N%ORIGIN" or "N%USED". -EINVAL for anything else. */
int lvm_size_policy_parse(const char *s, LvmSizePolicy *ret);

/* The size in bytes for an origin of origin_bytes whose file system uses
 * used_bytes, rounded up to whole extents of extent_bytes, at least
 * LVM_SNAPSHOT_MIN_BYTES and at most the origin's size (a classic snapshot
 * as big as its origin never fills) rounded up to an extent. */
uint64_t lvm_size_policy_bytes(const LvmSizePolicy *p, uint64_t origin_bytes, uint64_t used_bytes,
                               uint64_t extent_bytes);

/* "stasis-<set id>-<index>", as stasisd names snapshots: 0 and the parts
 * (set_id in a buffer of at least 20 bytes), or -EINVAL. */
int lvm_handle_parse(const char *handle, char set_id[static 20], unsigned *ret_index);

/* "1.50 GiB" and the like, for messages. */
const char *lvm_format_bytes(uint64_t bytes, char buf[static 32]);

/* A device-mapper UUID of an LV is "LVM-" + the VG's UUID and the LV's UUID,
 * 32 characters each without dashes, with nothing after them for the LV
 * itself (LVM's hidden sub-devices have a "-suffix"). True if dm_uuid is one
 * and the LV part matches lv_uuid (as lvs shows it, with dashes). */
bool lvm_dm_uuid_is_lv(const char *dm_uuid);
bool lvm_dm_uuid_matches(const char *dm_uuid, const char *lv_uuid);

/* Is tag in the comma-separated tag list (as lvs -o lv_tags prints it)? */
bool lvm_tags_contain(const char *tags, const char *tag);

/* Does lv_attr (as lvs -o lv_attr prints it) say the LV is a classic
 * snapshot that LVM invalidated ("Swi-...", or "swi-I...")? */
bool lvm_attr_invalid(const char *attr);

/* Is name a name lvm2 takes for a VG or an LV? */
bool lvm_name_valid(const char *name);
