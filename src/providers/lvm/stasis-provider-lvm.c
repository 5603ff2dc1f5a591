/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-provider-lvm.c - external provider (docs/provider-spec.md): thin and classic LVM snapshots through the lvm2 tools */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lvm-lv.h"
#include "lvm-policy.h"
#include "lvm-request.h"
#include "lvm-run.h"
#include "lvm-space.h"

#define SIZE_ENV  "STASIS_LVM_SNAPSHOT_SIZE"
#define PRIORITY  50
#define MADE_MAX  64

/* What commit made in this call, so that a failure can take it back. */
static struct { char vg[128], name[128]; } made[MADE_MAX];
static size_t n_made;

static int size_policy(LvmSizePolicy *ret) {
        const char *s = getenv(SIZE_ENV);
        if (!s || !*s)
                s = LVM_SIZE_POLICY_DEFAULT;
        if (lvm_size_policy_parse(s, ret) < 0)
                return fail("%s='%s' is not a snapshot size: give bytes with an optional K, M, G or T "
                            "(such as 512M), N%%ORIGIN (1 to 100) or N%%USED (1 to 1000)", SIZE_ENV, s);
        return 0;
}

static bool is_thin(const LvmLv *l) {
        return strcmp(l->segtype, "thin") == 0;
}

/* ---- probe ---- */

static int do_probe(json_object *req, json_object *resp) {
        json_object *o = NULL;
        Volume v;
        struct stat st;
        char uuid[256], sel[128], err[LVM_ERR_MAX];
        LvmLv *lvs = NULL, *l = NULL;
        size_t n = 0;
        int r;

        (void) json_object_object_get_ex(req, "volume", &o);
        if (parse_volume(o, "volume", false, &v) < 0)
                return -1;
        if (stat(v.mount_point, &st) < 0)
                return fail("cannot look at mount point %s: %s", v.mount_point, strerror(errno));
        r = lvm_dm_uuid_of(st.st_dev, uuid, sizeof uuid);
        if (r < 0)
                return fail("cannot read the device-mapper UUID of %s (device %u:%u): %s", v.mount_point,
                            major(st.st_dev), minor(st.st_dev), strerror(-r));
        if (!lvm_dm_uuid_is_lv(uuid)) {
                json_object_object_add(resp, "supported", json_object_new_boolean(false));
                return 0;
        }

        /* The LV, and the thin pools (for the free space of its pool): one lvs. */
        snprintf(sel, sizeof sel, "(lv_kernel_major=%u && lv_kernel_minor=%u) || segtype=thin-pool", major(st.st_dev),
                 minor(st.st_dev));
        r = lvm_lvs(NULL, sel, &lvs, &n, err);
        if (r < 0)
                return fail("%s is on LVM device %u:%u, but lvs cannot list it: %s", v.path, major(st.st_dev),
                            minor(st.st_dev), err);
        for (size_t i = 0; i < n; i++)
                if (lvm_dm_uuid_matches(uuid, lvs[i].uuid))
                        l = &lvs[i];
        if (!l) {
                lvm_lvs_free(lvs, n);
                return fail("%s is on LVM device %u:%u, but lvs lists no LV with its UUID (%s)", v.path,
                            major(st.st_dev), minor(st.st_dev), uuid);
        }
        if (lvm_tags_contain(l->tags, "stasis")) {
                fail("%s is on %s/%s, a snapshot stasis made; it is not snapshotted again", v.path, l->vg, l->name);
                goto bad;
        }
        if (l->attr[0] == 's' || l->attr[0] == 'S') {
                fail("%s is on %s/%s, a classic LVM snapshot, which LVM cannot snapshot", v.path, l->vg, l->name);
                goto bad;
        }
        if (!is_thin(l)) {
                LvmSizePolicy p;
                if (size_policy(&p) < 0)
                        goto bad;
        }

        char key[64], source[260];
        snprintf(key, sizeof key, "lvm:%s", l->uuid);
        snprintf(source, sizeof source, "%s/%s", l->vg, l->name);
        json_object_object_add(resp, "supported", json_object_new_boolean(true));
        json_object_object_add(resp, "priority", json_object_new_int(PRIORITY));
        /* lvcreate suspends the origin's device-mapper device, which freezes
         * its file system itself; a FIFREEZE before would make it fail. */
        json_object_object_add(resp, "hold", json_object_new_string("none"));
        json_object_object_add(resp, "key", json_object_new_string(key));
        json_object_object_add(resp, "source", json_object_new_string(source));
        /* For stasis volumes: the LV, its VG and pool, and the room for snapshots. */
        json_object *d = json_object_new_object();
        json_object_object_add(d, "lv", json_object_new_string(source));
        json_object_object_add(d, "vg", json_object_new_string(l->vg));
        json_object_object_add(d, "type", json_object_new_string(is_thin(l) ? "thin" : "classic"));
        if (is_thin(l)) {
                char pool[260];
                snprintf(pool, sizeof pool, "%s/%s", l->vg, l->pool);
                json_object_object_add(d, "pool", json_object_new_string(pool));
                /* What the pool has left, which its snapshots take from. */
                for (size_t i = 0; i < n; i++)
                        if (strcmp(lvs[i].vg, l->vg) == 0 && strcmp(lvs[i].name, l->pool) == 0 &&
                            lvs[i].data_percent >= 0)
                                json_object_object_add(d, "pool_free", json_object_new_int64((int64_t) (
                                        lvs[i].size - lvs[i].size / 10000 * (uint64_t) lvs[i].data_percent)));
        }
        json_object_object_add(d, "vg_free", json_object_new_int64((int64_t) l->vg_free));
        json_object_object_add(resp, "details", d);
        lvm_lvs_free(lvs, n);
        return 0;
bad:
        lvm_lvs_free(lvs, n);
        return -1;
}

/* ---- commit ---- */

static void commit_undo(void) {
        char err[LVM_ERR_MAX];
        for (size_t i = n_made; i > 0; i--)
                if (lvm_remove_lv(made[i - 1].vg, made[i - 1].name, err) < 0)
                        fail_more("and %s/%s, made before, could not be removed: lvremove: %s", made[i - 1].vg,
                                  made[i - 1].name, err);
        n_made = 0;
}

static int snapshot_one(const Volume *v, const char *set_id, unsigned index) {
        LvmLv *lvs = NULL, *l = NULL;
        size_t n = 0;
        char err[LVM_ERR_MAX], size_arg[32] = "", b1[32], b2[32], origin[260];
        char t_set[64], t_vol[64], t_origin[80];
        bool thin;
        int r;

        if (lvm_find_planned(v, &lvs, &n, &l) < 0)
                return -1;
        thin = is_thin(l);
        if (!thin) {
                LvmSizePolicy p;
                struct statvfs sv;
                uint64_t used = 0;

                if (size_policy(&p) < 0)
                        goto bad;
                if (p.kind == LVM_SIZE_USED) {
                        if (statvfs(v->mount_point, &sv) < 0) {
                                fail("cannot read how much of %s is used: %s", v->mount_point, strerror(errno));
                                goto bad;
                        }
                        used = (uint64_t) (sv.f_blocks - sv.f_bfree) * sv.f_frsize;
                }
                uint64_t size = lvm_size_policy_bytes(&p, l->size, used, l->extent_size);
                if (size > l->vg_free) {
                        fail("no room for a classic snapshot of %s/%s: volume group %s has %s free, it needs %s "
                             "(%s=%s); extend the VG (vgextend) or lower the size", v->vg, v->lv, v->vg,
                             lvm_format_bytes(l->vg_free, b1), lvm_format_bytes(size, b2), SIZE_ENV,
                             getenv(SIZE_ENV) && *getenv(SIZE_ENV) ? getenv(SIZE_ENV) : LVM_SIZE_POLICY_DEFAULT);
                        goto bad;
                }
                snprintf(size_arg, sizeof size_arg, "%llub", (unsigned long long) size);
        }

        snprintf(origin, sizeof origin, "%s/%s", v->vg, v->lv);
        snprintf(t_set, sizeof t_set, "stasis_set_%s", set_id);
        snprintf(t_vol, sizeof t_vol, "stasis_vol_%u", index);
        snprintf(t_origin, sizeof t_origin, "stasis_origin_%s", v->uuid);
        const char *args[] = { "lvcreate", "-q", "-s", "-n", v->handle, "--addtag", "stasis", "--addtag", t_set,
                               "--addtag", t_vol, "--addtag", t_origin, thin ? origin : "-L",
                               thin ? NULL : size_arg, origin, NULL };
        r = lvm_run(args, NULL, NULL, err);
        if (r != 0) {
                LvmSnapshotState st = {};
                fail("cannot create the %s snapshot %s/%s of %s/%s: lvcreate: %s%s", thin ? "thin" : "classic",
                     v->vg, v->handle, v->vg, v->lv, err[0] ? err : "failed without a reason",
                     strstr(err, "Failed to suspend") ? " (is its file system frozen? LVM freezes it itself)" : "");
                /* lvcreate may have made the LV before it failed: remove it,
                 * if it is ours (the name may be someone else's LV). */
                char saved[8192];
                snprintf(saved, sizeof saved, "%s", fail_message());
                r = lvm_find_snapshot(v->vg, v->handle, &st);
                fail("%s", saved + strlen(PROVIDER_NAME) + strlen(verb) + 4);
                if (r > 0 && st.ours && lvm_remove_lv(v->vg, v->handle, err) < 0)
                        fail_more("and the half-made %s/%s could not be removed: lvremove: %s", v->vg, v->handle, err);
                goto bad;
        }
        snprintf(made[n_made].vg, sizeof made[n_made].vg, "%s", v->vg);
        snprintf(made[n_made].name, sizeof made[n_made].name, "%s", v->handle);
        n_made++;
        lvm_lvs_free(lvs, n);
        return 0;
bad:
        lvm_lvs_free(lvs, n);
        return -1;
}

static int do_commit(json_object *req, json_object *resp) {
        json_object *vols = NULL, *sid = NULL;
        const char *set_id;
        (void) resp;

        if (!json_object_object_get_ex(req, "set_id", &sid) || !json_object_is_type(sid, json_type_string))
                return fail("request lacks a string \"set_id\"");
        set_id = json_object_get_string(sid);
        if (!json_object_object_get_ex(req, "volumes", &vols) || !json_object_is_type(vols, json_type_array))
                return fail("request lacks an array \"volumes\"");
        size_t n = json_object_array_length(vols);
        if (n == 0 || n > MADE_MAX)
                return fail("request has %zu volumes (1 to %d are taken)", n, MADE_MAX);

        Volume *v = calloc(n, sizeof *v);
        if (!v)
                return fail("out of memory");
        for (size_t i = 0; i < n; i++) {
                char what[32], id[20];
                unsigned index;
                snprintf(what, sizeof what, "volume %zu", i);
                if (parse_volume(json_object_array_get_idx(vols, i), what, true, &v[i]) < 0)
                        goto bad;
                if (lvm_handle_parse(v[i].handle, id, &index) < 0 || strcmp(id, set_id) != 0) {
                        fail("%s has handle '%s', which is not of set %s", what, v[i].handle, set_id);
                        goto bad;
                }
        }
        for (size_t i = 0; i < n; i++) {
                char id[20];
                unsigned index;
                (void) lvm_handle_parse(v[i].handle, id, &index);
                if (snapshot_one(&v[i], set_id, index) < 0) {
                        commit_undo();
                        goto bad;
                }
        }
        free(v);
        return 0;
bad:
        free(v);
        return -1;
}

/* ---- delete, exists ---- */

static int do_delete(json_object *req, json_object *resp) {
        Volume v;
        LvmSnapshotState st = {};
        char err[LVM_ERR_MAX];
        (void) resp;

        if (parse_single_volume(req, &v) < 0)
                return -1;
        int r = lvm_find_snapshot(v.vg, v.handle, &st);
        if (r <= 0)
                return r;
        if (!st.ours)
                return fail("%s/%s is not a snapshot stasis made for this set (it lacks the tags of the handle); "
                            "not removing it", v.vg, v.handle);
        if (lvm_remove_lv(v.vg, v.handle, err) < 0)
                return fail("cannot remove snapshot %s/%s: lvremove: %s", v.vg, v.handle, err);
        return 0;
}

static int do_exists(json_object *req, json_object *resp) {
        Volume v;
        LvmSnapshotState st = {};

        if (parse_single_volume(req, &v) < 0)
                return -1;
        int r = lvm_find_snapshot(v.vg, v.handle, &st);
        if (r < 0)
                return -1;
        if (r > 0 && !st.ours)
                return fail("%s/%s is not a snapshot stasis made for this set (it lacks the tags of the handle)",
                            v.vg, v.handle);
        json_object_object_add(resp, "exists", json_object_new_boolean(r > 0));
        return 0;
}

/* ---- list ---- */

static int do_list(json_object *req, json_object *resp) {
        const char *targets[] = { "@stasis", NULL };
        char err[LVM_ERR_MAX];
        LvmLv *lvs = NULL;
        size_t n = 0;
        (void) req;

        if (lvm_lvs(targets, NULL, &lvs, &n, err) < 0)
                return fail("cannot list the LVs tagged stasis: lvs: %s", err);
        json_object *snapshots = json_object_new_array();
        for (size_t i = 0; i < n; i++) {
                const LvmLv *l = &lvs[i];
                char set_id[20], tag[64], key[64], source[260];
                const char *o;
                unsigned index;
                bool dup = false;

                if (lvm_handle_parse(l->name, set_id, &index) < 0)
                        continue;
                snprintf(tag, sizeof tag, "stasis_set_%s", set_id);
                if (!lvm_tags_contain(l->tags, tag))
                        continue;
                snprintf(tag, sizeof tag, "stasis_vol_%u", index);
                if (!lvm_tags_contain(l->tags, tag))
                        continue;
                o = strstr(l->tags, "stasis_origin_");
                if (!o || strcspn(o + 14, ",") != 38)
                        continue;
                /* Two VGs may each hold a snapshot of that name (another
                 * stasisd's): stasisd takes each handle once. */
                for (size_t j = 0; j < i; j++)
                        if (strcmp(lvs[j].name, l->name) == 0)
                                dup = true;
                if (dup) {
                        fprintf(stderr, "%s: list: %s/%s is not listed: another VG has a snapshot of that name\n",
                                PROVIDER_NAME, l->vg, l->name);
                        continue;
                }
                snprintf(key, sizeof key, "lvm:%.38s", o + 14);
                snprintf(source, sizeof source, "%s/%s", l->vg, l->origin);
                json_object *s = json_object_new_object();
                json_object_object_add(s, "handle", json_object_new_string(l->name));
                json_object_object_add(s, "key", json_object_new_string(key));
                json_object_object_add(s, "source", json_object_new_string(source));
                if (l->time > 0)
                        json_object_object_add(s, "created", json_object_new_int64(l->time));
                json_object_array_add(snapshots, s);
        }
        lvm_lvs_free(lvs, n);
        json_object_object_add(resp, "snapshots", snapshots);
        return 0;
}

/* ---- mount ---- */

static int do_mount(json_object *req, json_object *resp) {
        Volume v;
        json_object *t = NULL;
        LvmSnapshotState st = {};
        char err[LVM_ERR_MAX], target_lv[260], dev[300];
        const char *opts;

        if (parse_single_volume(req, &v) < 0)
                return -1;
        if (!json_object_object_get_ex(req, "target", &t) || !json_object_is_type(t, json_type_string) ||
            json_object_get_string(t)[0] != '/')
                return fail("request lacks an absolute path \"target\"");
        int r = lvm_find_snapshot(v.vg, v.handle, &st);
        if (r < 0)
                return -1;
        if (r == 0)
                return fail("snapshot %s/%s is not there", v.vg, v.handle);
        if (!st.ours)
                return fail("%s/%s is not a snapshot stasis made for this set; not mounting it", v.vg, v.handle);
        if (st.invalid)
                return fail("snapshot %s/%s is invalid: its copy-on-write area filled up and LVM dropped it; "
                            "it cannot be read (make classic snapshots bigger: STASIS_LVM_SNAPSHOT_SIZE)", v.vg,
                            v.handle);
        /* Thin snapshots are made with LVM's activation skip flag: -K. */
        snprintf(target_lv, sizeof target_lv, "%s/%s", v.vg, v.handle);
        const char *args[] = { "lvchange", "-q", "-ay", "-K", target_lv, NULL };
        r = st.active ? 0 : lvm_run(args, NULL, NULL, err);
        if (r != 0)
                return fail("cannot activate snapshot %s: lvchange: %s", target_lv, err);
        if (strcmp(v.fstype, "xfs") == 0)
                opts = "nouuid,norecovery";
        else if (strcmp(v.fstype, "ext4") == 0 || strcmp(v.fstype, "ext3") == 0)
                opts = "noload";
        else
                opts = NULL;
        snprintf(dev, sizeof dev, "/dev/%s/%s", v.vg, v.handle);
        if (mount(dev, json_object_get_string(t), v.fstype, MS_RDONLY | MS_NODEV | MS_NOSUID, opts) < 0)
                return fail("cannot mount snapshot %s (%s) at %s: %s", target_lv, dev, json_object_get_string(t),
                            strerror(errno));
        json_object_object_add(resp, "device", json_object_new_string(dev));
        return 0;
}

/* ---- main ---- */

/* The answer could not be written: stasisd will not learn of what was made. */
static void undo(void) {
        if (n_made > 0)
                commit_undo();
}

int main(int argc, char *argv[]) {
        static const ProviderVerb verbs[] = {
                { "probe", do_probe },
                { "commit", do_commit },
                { "delete", do_delete },
                { "exists", do_exists },
                { "mount", do_mount },
                { "list", do_list },
                { "space", lvm_do_space },
                { "extend", lvm_do_extend },
        };
        return provider_main(argc, argv, PROVIDER_NAME, verbs, sizeof verbs / sizeof verbs[0], undo);
}
