/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-space.c - the LVM provider's space verbs: how full each snapshot (and thin pool) is, and growing a classic one */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm-lv.h"
#include "lvm-policy.h"
#include "lvm-request.h"
#include "lvm-run.h"
#include "lvm-space.h"

#define SPACE_VOLUMES_MAX 4096

static const LvmLv *find_lv(const LvmLv *lvs, size_t n, const char *vg, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(lvs[i].vg, vg) == 0 && strcmp(lvs[i].name, name) == 0)
                        return &lvs[i];
        return NULL;
}

static void add_percent(json_object *o, const char *key, int hundredths) {
        if (hundredths >= 0)
                json_object_object_add(o, key, json_object_new_double(hundredths / 100.0));
}

/* What one snapshot's row says, as the answer's object. */
static json_object *snapshot_space(const Volume *v, const LvmLv *lvs, size_t n) {
        json_object *o = json_object_new_object();
        const LvmLv *l = find_lv(lvs, n, v->vg, v->handle);
        char t[64], set_id[20], pool[260];
        unsigned index;

        json_object_object_add(o, "handle", json_object_new_string(v->handle));
        json_object_object_add(o, "group", json_object_new_string(v->vg));
        /* Only an LV with the tags of its handle is ours to report on. */
        if (l && lvm_handle_parse(l->name, set_id, &index) == 0) {
                snprintf(t, sizeof t, "stasis_set_%s", set_id);
                if (!lvm_tags_contain(l->tags, t))
                        l = NULL;
        }
        if (!l) {
                json_object_object_add(o, "exists", json_object_new_boolean(false));
                return o;
        }
        json_object_object_add(o, "exists", json_object_new_boolean(true));
        json_object_object_add(o, "size", json_object_new_int64((int64_t) l->size));
        json_object_object_add(o, "room", json_object_new_int64((int64_t) l->vg_free));
        json_object_object_add(o, "extent_size", json_object_new_int64((int64_t) l->extent_size));
        if (strcmp(l->segtype, "thin") == 0) {
                const LvmLv *p = find_lv(lvs, n, l->vg, l->pool);
                json_object_object_add(o, "kind", json_object_new_string("thin"));
                snprintf(pool, sizeof pool, "%s/%s", l->vg, l->pool);
                json_object_object_add(o, "pool", json_object_new_string(pool));
                if (p) {
                        add_percent(o, "pool_data_percent", p->data_percent);
                        add_percent(o, "pool_metadata_percent", p->metadata_percent);
                }
                return o;
        }
        json_object_object_add(o, "kind", json_object_new_string("classic"));
        json_object_object_add(o, "invalid", json_object_new_boolean(lvm_attr_invalid(l->attr)));
        add_percent(o, "used_percent", l->data_percent);
        return o;
}

int lvm_do_space(json_object *req, json_object *resp) {
        json_object *vols = NULL;
        char err[LVM_ERR_MAX];
        LvmLv *lvs = NULL;
        size_t n = 0;
        int r;

        if (!json_object_object_get_ex(req, "volumes", &vols) || !json_object_is_type(vols, json_type_array))
                return fail("request lacks an array \"volumes\"");
        size_t k = json_object_array_length(vols);
        if (k > SPACE_VOLUMES_MAX)
                return fail("request has %zu volumes (at most %d are taken)", k, SPACE_VOLUMES_MAX);
        /* One report of every LV: the snapshots and their pools. */
        r = lvm_lvs(NULL, NULL, &lvs, &n, err);
        if (r < 0)
                return fail("cannot list the LVs: lvs: %s", err);
        json_object *out = json_object_new_array();
        for (size_t i = 0; i < k; i++) {
                char what[32];
                Volume v;
                snprintf(what, sizeof what, "volume %zu", i);
                if (parse_volume(json_object_array_get_idx(vols, i), what, true, &v) < 0) {
                        json_object_put(out);
                        lvm_lvs_free(lvs, n);
                        return -1;
                }
                json_object_array_add(out, snapshot_space(&v, lvs, n));
        }
        lvm_lvs_free(lvs, n);
        json_object_object_add(resp, "volumes", out);
        return 0;
}

int lvm_do_extend(json_object *req, json_object *resp) {
        json_object *s = NULL;
        LvmLv *lvs = NULL;
        size_t n = 0;
        char err[LVM_ERR_MAX], target[260], size_arg[32], b1[32], b2[32];
        const char *targets[] = { target, NULL };
        Volume v;
        int r;

        if (parse_single_volume(req, &v) < 0)
                return -1;
        if (!json_object_object_get_ex(req, "size", &s) || !json_object_is_type(s, json_type_int) ||
            json_object_get_int64(s) <= 0)
                return fail("request lacks a positive integer \"size\" (bytes)");
        uint64_t size = (uint64_t) json_object_get_int64(s);
        snprintf(target, sizeof target, "%s/%s", v.vg, v.handle);
        r = lvm_lvs(targets, NULL, &lvs, &n, err);
        if (r < 0 || n != 1) {
                lvm_lvs_free(lvs, n);
                return fail("cannot find snapshot %s: lvs: %s", target, r < 0 ? err : "not listed");
        }
        char set_id[20], tag[64];
        unsigned index;
        bool ours = lvm_handle_parse(v.handle, set_id, &index) == 0;
        snprintf(tag, sizeof tag, "stasis_set_%s", set_id);
        ours = ours && lvm_tags_contain(lvs[0].tags, tag);
        bool classic = strcmp(lvs[0].segtype, "thin") != 0 && lvs[0].origin[0];
        bool invalid = lvm_attr_invalid(lvs[0].attr);
        uint64_t old = lvs[0].size, room = lvs[0].vg_free;
        lvm_lvs_free(lvs, n);
        if (!ours)
                return fail("%s is not a snapshot stasis made for this set; not extending it", target);
        if (!classic)
                return fail("%s is not a classic snapshot: only those are extended", target);
        if (invalid)
                return fail("%s is invalid already (its copy-on-write area filled up): extending it cannot bring "
                            "it back", target);
        if (size <= old) {
                json_object_object_add(resp, "size", json_object_new_int64((int64_t) old));
                return 0;
        }
        if (size - old > room)
                return fail("no room to extend %s from %s to %s: volume group %s has %s free", target,
                            lvm_format_bytes(old, b1), lvm_format_bytes(size, b2), v.vg,
                            lvm_format_bytes(room, err));
        snprintf(size_arg, sizeof size_arg, "%" PRIu64 "b", size);
        const char *args[] = { "lvextend", "-q", "-L", size_arg, target, NULL };
        r = lvm_run(args, NULL, NULL, err);
        if (r != 0)
                return fail("cannot extend %s to %s: lvextend: %s", target, lvm_format_bytes(size, b1),
                            err[0] ? err : "failed without a reason");
        r = lvm_lvs(targets, NULL, &lvs, &n, err);
        json_object_object_add(resp, "size", json_object_new_int64((int64_t) (r == 0 && n == 1 ? lvs[0].size : size)));
        lvm_lvs_free(lvs, n);
        return 0;
}
