/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-mountinfo.c - libFuzzer target for the mount table as stasis reads it:
 * libmount's mountinfo parser, stasis's checks of what it read (line numbers
 * of bad entries included), the entries built from it, and the lookups */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        MountTable *t = NULL;
        unsigned bad = 0;
        FILE *f;

        if (size == 0)
                return 0;
        f = fmemopen((void *) data, size, "r");
        if (!f)
                return 0;
        if (mount_table_parse(f, &t, &bad) == 0) {
                /* Every field is a string; exercise the lookups on what was parsed. */
                size_t sum = 0;
                for (size_t i = 0; i < t->n; i++) {
                        const MountEntry *e = &t->entries[i];
                        sum += strlen(e->root) + strlen(e->mount_point) + strlen(e->options) +
                               strlen(e->fstype) + strlen(e->source) + strlen(e->super_options);
                        if (e->mount_point[0] != '/' || e->mount_id < 0 || e->parent_id < 0)
                                __builtin_trap();
                        (void) mount_table_find_prefix(t, e->mount_point);
                        (void) mount_table_find_id(t, e->parent_id);
                        (void) path_has_prefix(e->mount_point, e->root);
                }
                (void) mount_table_find_prefix(t, "/a/b/c");
                (void) sum;
                mount_table_free(t);
        } else if (bad > 0 && bad > size + 1)
                __builtin_trap();       /* a line number beyond the input */
        fclose(f);
        return 0;
}
