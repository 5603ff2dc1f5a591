/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-lvm-report.c - libFuzzer target for the LVM provider's reading of lvs and vgs JSON reports */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lvm-report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        LvmLv *lvs = NULL;
        size_t n = 0;
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        if (lvm_report_parse_lvs(s, &lvs, &n) == 0) {
                for (size_t i = 0; i < n; i++)
                        /* Every string is there, if empty. */
                        if (!lvs[i].name || !lvs[i].vg || !lvs[i].uuid || !lvs[i].attr || !lvs[i].segtype ||
                            !lvs[i].pool || !lvs[i].origin || !lvs[i].tags || !lvs[i].path)
                                abort();
                lvm_lvs_free(lvs, n);
        }
        (void) lvm_report_count_rows(s, "vg", &n);
        free(s);
        return 0;
}
