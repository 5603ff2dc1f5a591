/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo-handwritten.h - the hand-written mountinfo parser stasis used
 * before libmount, kept as the baseline of bench-mountinfo */
#pragma once

#include <stdio.h>

typedef struct HwMountEntry {
        int mount_id;
        int parent_id;
        unsigned major, minor;
        char *root;
        char *mount_point;
        char *options;
        char *fstype;
        char *source;
        char *super_options;
} HwMountEntry;

typedef struct HwMountTable {
        HwMountEntry *entries;
        size_t n;
} HwMountTable;

HwMountTable *hw_mount_table_free(HwMountTable *t);
int hw_mount_table_parse(FILE *f, HwMountTable **ret, unsigned *ret_bad_line);
int hw_mount_table_load(HwMountTable **ret);
const HwMountEntry *hw_mount_table_find_id(const HwMountTable *t, int mount_id);
const HwMountEntry *hw_mount_table_find_prefix(const HwMountTable *t, const char *path);
