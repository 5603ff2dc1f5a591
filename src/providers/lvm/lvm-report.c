/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-report.c - reading the JSON reports of lvs and vgs (--reportformat json) */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "lvm-report.h"

#define REPORT_ROWS_MAX 65536

void lvm_lvs_free(LvmLv *lvs, size_t n) {
        for (size_t i = 0; lvs && i < n; i++) {
                LvmLv *l = &lvs[i];
                free(l->name); free(l->vg); free(l->uuid); free(l->attr); free(l->segtype);
                free(l->pool); free(l->origin); free(l->tags); free(l->path);
        }
        free(lvs);
}

static char *field_dup(json_object *row, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(row, key, &v) || !json_object_is_type(v, json_type_string))
                return strdup("");
        return strdup(json_object_get_string(v));
}

static int field_num(json_object *row, const char *key, int64_t *ret) {
        json_object *v;
        char *end;
        if (!json_object_object_get_ex(row, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        const char *s = json_object_get_string(v);
        if (!*s) {
                *ret = -1;
                return 0;
        }
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (errno || *end)
                return -EBADMSG;
        *ret = x;
        return 0;
}

/* A percentage with up to two decimals ("37.50") in hundredths; -1 for "" or
 * a field the report lacks (an older lvm). */
static int field_percent(json_object *row, const char *key, int *ret) {
        json_object *v;
        char *end;
        *ret = -1;
        if (!json_object_object_get_ex(row, key, &v))
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return -EBADMSG;
        const char *s = json_object_get_string(v);
        if (!*s)
                return 0;
        errno = 0;
        double x = strtod(s, &end);
        if (errno || *end || x < 0 || x > 100)
                return -EBADMSG;
        *ret = (int) (x * 100 + 0.5);
        return 0;
}

/* The rows of report[0].<what> of lvm's JSON output. */
static int report_rows(const char *out, const char *what, json_object **ret_root, json_object **ret_rows) {
        json_object *root = json_tokener_parse(out), *rep, *first, *rows;
        if (!root)
                return -EBADMSG;
        if (!json_object_object_get_ex(root, "report", &rep) || !json_object_is_type(rep, json_type_array) ||
            json_object_array_length(rep) < 1 || !(first = json_object_array_get_idx(rep, 0)) ||
            !json_object_object_get_ex(first, what, &rows) || !json_object_is_type(rows, json_type_array)) {
                json_object_put(root);
                return -EBADMSG;
        }
        *ret_root = root;
        *ret_rows = rows;
        return 0;
}

static int parse_lv(json_object *row, LvmLv *l) {
        int64_t size, major, minor, t, vg_free, extent;
        *l = (LvmLv) {};
        l->name = field_dup(row, "lv_name");
        l->vg = field_dup(row, "vg_name");
        l->uuid = field_dup(row, "lv_uuid");
        l->attr = field_dup(row, "lv_attr");
        l->segtype = field_dup(row, "segtype");
        l->pool = field_dup(row, "pool_lv");
        l->origin = field_dup(row, "origin");
        l->tags = field_dup(row, "lv_tags");
        l->path = field_dup(row, "lv_path");
        if (!l->name || !l->vg || !l->uuid || !l->attr || !l->segtype || !l->pool || !l->origin || !l->tags ||
            !l->path)
                return -ENOMEM;
        if (field_num(row, "lv_size", &size) < 0 || field_num(row, "lv_kernel_major", &major) < 0 ||
            field_num(row, "lv_kernel_minor", &minor) < 0 || field_num(row, "lv_time", &t) < 0 ||
            field_num(row, "vg_free", &vg_free) < 0 || field_num(row, "vg_extent_size", &extent) < 0)
                return -EBADMSG;
        if (field_percent(row, "data_percent", &l->data_percent) < 0 ||
            field_percent(row, "metadata_percent", &l->metadata_percent) < 0)
                return -EBADMSG;
        l->size = size < 0 ? 0 : (uint64_t) size;
        l->vg_free = vg_free < 0 ? 0 : (uint64_t) vg_free;
        l->extent_size = extent < 0 ? 0 : (uint64_t) extent;
        l->major = (int) major;
        l->minor = (int) minor;
        l->time = t;
        return 0;
}

int lvm_report_parse_lvs(const char *text, LvmLv **ret, size_t *ret_n) {
        json_object *root = NULL, *rows;
        LvmLv *lvs;
        int r;

        r = report_rows(text, "lv", &root, &rows);
        if (r < 0)
                return r;
        size_t len = json_object_array_length(rows);
        if (len > REPORT_ROWS_MAX) {
                json_object_put(root);
                return -E2BIG;
        }
        lvs = calloc(len ? len : 1, sizeof *lvs);
        if (!lvs) {
                json_object_put(root);
                return -ENOMEM;
        }
        for (size_t k = 0; k < len; k++) {
                r = parse_lv(json_object_array_get_idx(rows, k), &lvs[k]);
                if (r < 0) {
                        lvm_lvs_free(lvs, k + 1);
                        json_object_put(root);
                        return r;
                }
        }
        json_object_put(root);
        *ret = lvs;
        *ret_n = len;
        return 0;
}

int lvm_report_count_rows(const char *text, const char *what, size_t *ret_n) {
        json_object *root = NULL, *rows;
        int r = report_rows(text, what, &root, &rows);
        if (r < 0)
                return r;
        *ret_n = json_object_array_length(rows);
        json_object_put(root);
        return 0;
}
