/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-mountinfo.c - libFuzzer target for the mountinfo parser and lookups */
#include <stdint.h>
#include <stdio.h>

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
                /* Exercise the lookups on what was parsed. */
                for (size_t i = 0; i < t->n; i++) {
                        (void) mount_table_find_prefix(t, t->entries[i].mount_point);
                        (void) mount_table_find_id(t, t->entries[i].parent_id);
                }
                (void) mount_table_find_prefix(t, "/a/b/c");
                mount_table_free(t);
        }
        fclose(f);
        return 0;
}
