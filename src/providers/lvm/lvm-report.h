/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-report.h - reading the JSON reports of lvs and vgs (--reportformat json) */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* One row of `lvs --reportformat json --units b --nosuffix` with the
 * fields LVM_LVS_FIELDS. Strings owned, never NULL. */
typedef struct LvmLv {
        char *name, *vg, *uuid, *attr, *segtype, *pool, *origin, *tags, *path;
        uint64_t size, vg_free, extent_size;
        int major, minor;       /* -1 when the LV is not active */
        int64_t time;           /* when it was made, seconds since the epoch */
        /* How full: a classic snapshot's copy-on-write area, a thin pool's
         * data and metadata, in hundredths of a percent; -1 when LVM gives
         * none (an LV that is neither, or not active). */
        int data_percent, metadata_percent;
} LvmLv;

#define LVM_LVS_FIELDS "lv_name,vg_name,lv_uuid,lv_attr,segtype,pool_lv,origin,lv_size,lv_kernel_major," \
                       "lv_kernel_minor,lv_tags,lv_time,vg_free,vg_extent_size,lv_path,data_percent,metadata_percent"

void lvm_lvs_free(LvmLv *lvs, size_t n);

/* The rows of an lvs report: 0, or -EBADMSG for text that is not one (a
 * number field that is not a number, no "report"), -E2BIG, -ENOMEM. */
int lvm_report_parse_lvs(const char *text, LvmLv **ret, size_t *ret_n);

/* The number of rows of report[0].<what> ("vg" for vgs). */
int lvm_report_count_rows(const char *text, const char *what, size_t *ret_n);
