/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-requestor-lists.c - what a requestor reads besides sets: writers, what paths resolve to, orphan snapshots */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-lists-internal.h"
#include "strv.h"

typedef struct WriterEntry {
        char *fields[7];        /* name, instance, level, bus name, state, last set, last error */
        uint32_t pid, uid, n_components, metadata_size;
} WriterEntry;

LIST_STRUCT(StasisWriterList, WriterEntry);

typedef struct PathEntry {
        char *fields[8];        /* requested, path, mount point, device, fstype, provider, source, volume */
        char **details;         /* "key=value", from DescribePaths; NULL if none */
} PathEntry;

LIST_STRUCT(StasisPathList, PathEntry);

typedef struct OrphanEntry {
        char *fields[3];        /* provider, handle, set id */
        uint64_t index, created;
} OrphanEntry;

LIST_STRUCT(StasisOrphanList, OrphanEntry);

/* Calls member without arguments; the reply in *ret. */
static int call_plain(StasisRequestor *r, const char *member, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = requestor_new_manager_call(r, member, &m);
        if (k < 0)
                return k;
        return requestor_call(r, m, ret);
}

/* A list of type Type read from the answer of member, called without
 * arguments, by read(); 0 or the negative errno, failures recorded in r. */
#define LIST_PLAIN(r, member, Type, read, free_fn, ret)                                                 \
        ({                                                                                              \
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *_reply = NULL;                         \
                int _e = requestor_begin(r);                                                            \
                if (_e >= 0 && !(ret))                                                                  \
                        _e = requestor_fail(r, -EINVAL, "%s: ret must not be NULL", member);            \
                if (_e >= 0)                                                                            \
                        _e = call_plain(r, member, &_reply);                                            \
                if (_e >= 0)                                                                            \
                        _e = READ_LIST(r, member, _reply, Type, read, free_fn, ret);                    \
                _e < 0 ? _e : 0;                                                                        \
        })

/* ---- Sets, as ListSets sums them up ---- */

static int read_summary(sd_bus_message *reply, StasisSet **ret) {
        _cleanup_set_unref_ StasisSet *s = NULL;
        const char *id, *path, *state, *consistency, *label;
        uint64_t created;
        uint32_t n_volumes;
        int persistent, k;

        k = sd_bus_message_read(reply, "(sotsssbu)", &id, &path, &created, &state, &consistency, &label,
                                &persistent, &n_volumes);
        if (k <= 0)
                return k;
        k = set_new(path, &s);
        if (k < 0)
                return k;
        s->summary = true;
        s->created = created;
        s->persistent = persistent;
        s->n_volumes_listed = n_volumes;
        free(s->id);
        s->id = strdup(id);
        s->state = strdup(state);
        s->consistency = strdup(consistency);
        s->label = strdup(label);
        if (!s->id || !s->state || !s->consistency || !s->label)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        return 1;
}

static void batch_calls_donep(BatchCall (*calls)[2]) {
        batch_calls_done(*calls, 2);
}

int stasis_requestor_list_set_summaries(StasisRequestor *r, StasisSet ***ret, size_t *ret_n) {
        /* The summaries and the expiries, asked for together: one round trip. */
        _cleanup_(batch_calls_donep) BatchCall calls[2] = {};
        StasisSet **list = NULL;
        sd_bus_message *reply;
        size_t n = 0;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret)
                return requestor_fail(r, -EINVAL, "list: ret must not be NULL");
        k = requestor_new_manager_call(r, "ListSets", &calls[0].call);
        if (k >= 0)
                k = requestor_new_manager_call(r, "ListExpiries", &calls[1].call);
        if (k < 0)
                return k;
        requestor_call_batch(r, calls, 2);
        k = batch_call_result(r, &calls[0]);
        if (k < 0)
                return k;
        reply = calls[0].reply;
        list = calloc(1, sizeof(StasisSet *));
        if (!list)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        k = sd_bus_message_enter_container(reply, 'a', "(sotsssbu)");
        while (k >= 0) {
                StasisSet *s = NULL, **nl;

                k = read_summary(reply, &s);
                if (k <= 0)
                        break;
                nl = n < LIST_MAX ? realloc(list, sizeof(StasisSet *) * (n + 2)) : NULL;
                if (!nl) {
                        stasis_set_unref(s);
                        k = n < LIST_MAX ? -ENOMEM : -EBADMSG;
                        break;
                }
                list = nl;
                list[n++] = s;
                list[n] = NULL;
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        if (k < 0) {
                stasis_set_list_free(list);
                return requestor_fail(r, k, "Malformed reply to ListSets: %s", strerror(-k));
        }
        k = requestor_read_expiries(r, &calls[1], list, n);
        if (k < 0) {
                stasis_set_list_free(list);
                return k;
        }
        *ret = list;
        if (ret_n)
                *ret_n = n;
        return 0;
}

/* ---- Writers ---- */

LIST_DEFINE_FREE(StasisWriterList, WriterEntry, stasis_writer_list_free)

static int read_writers(sd_bus_message *reply, StasisWriterList *l) {
        int k;

        k = sd_bus_message_enter_container(reply, 'a', "(ssssuusssuu)");
        while (k >= 0) {
                const char *f[7];
                uint32_t pid, uid, n_components, metadata_size;
                WriterEntry *w;

                k = sd_bus_message_read(reply, "(ssssuusssuu)", &f[0], &f[1], &f[2], &f[3], &pid, &uid, &f[4],
                                        &f[5], &f[6], &n_components, &metadata_size);
                if (k <= 0)
                        break;
                w = list_add((void **) &l->entries, &l->n, sizeof(WriterEntry), f, ELEMENTSOF(f), &k);
                if (!w)
                        return k;
                w->pid = pid;
                w->uid = uid;
                w->n_components = n_components;
                w->metadata_size = metadata_size;
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k;
}

int stasis_requestor_list_writers(StasisRequestor *r, StasisWriterList **ret) {
        return LIST_PLAIN(r, "ListWriters", StasisWriterList, read_writers, stasis_writer_list_free, ret);
}

LIST_DEFINE_COUNT(StasisWriterList, stasis_writer_list)
LIST_DEFINE_STRING(StasisWriterList, stasis_writer_list, name, 0)
LIST_DEFINE_STRING(StasisWriterList, stasis_writer_list, instance, 1)
LIST_DEFINE_STRING(StasisWriterList, stasis_writer_list, level, 2)
LIST_DEFINE_STRING(StasisWriterList, stasis_writer_list, bus_name, 3)
LIST_DEFINE_STRING(StasisWriterList, stasis_writer_list, state, 4)
LIST_DEFINE_STRING(StasisWriterList, stasis_writer_list, last_set, 5)
LIST_DEFINE_STRING(StasisWriterList, stasis_writer_list, last_error, 6)
LIST_DEFINE_NUMBER(StasisWriterList, stasis_writer_list, uint32_t, pid, pid)
LIST_DEFINE_NUMBER(StasisWriterList, stasis_writer_list, uint32_t, uid, uid)
LIST_DEFINE_NUMBER(StasisWriterList, stasis_writer_list, uint32_t, component_count, n_components)
LIST_DEFINE_NUMBER(StasisWriterList, stasis_writer_list, uint32_t, metadata_size, metadata_size)

int stasis_requestor_get_writer_metadata(StasisRequestor *r, const char *writer, const char *instance,
                                         char **ret_json) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *json;
        char *s;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(writer) || !ret_json)
                return requestor_fail(r, -EINVAL, "writer metadata: the writer and ret_json must not be NULL");
        k = requestor_new_manager_call(r, "GetWriterMetadata", &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "ss", writer, strempty(instance));
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the GetWriterMetadata call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "s", &json);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to GetWriterMetadata: %s", strerror(-k));
        s = strdup(json);
        if (!s)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        *ret_json = s;
        return 0;
}

int stasis_requestor_forget_writer(StasisRequestor *r, const char *writer, const char *instance) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(writer))
                return requestor_fail(r, -EINVAL, "forget writer: the writer must not be NULL or empty");
        k = requestor_new_manager_call(r, "ForgetWriter", &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append(m, "ss", writer, strempty(instance));
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the ForgetWriter call: %s", strerror(-k));
        return requestor_call(r, m, NULL);
}

/* ---- What paths resolve to ---- */

StasisPathList *stasis_path_list_free(StasisPathList *l) {
        if (!l)
                return NULL;
        for (size_t i = 0; i < l->n; i++)
                strv_free(l->entries[i].details);
        string_records_free(l->entries, l->n, ELEMENTSOF(l->entries->fields), sizeof(PathEntry));
        free(l);
        return NULL;
}

/* The details of one volume, a{ss}, as "key=value" strings. */
static int read_details(sd_bus_message *reply, char ***ret) {
        const char *k, *v;
        int q;

        q = sd_bus_message_enter_container(reply, 'a', "{ss}");
        while (q >= 0 && (q = sd_bus_message_read(reply, "{ss}", &k, &v)) > 0) {
                _cleanup_free_ char *kv = NULL;
                if (strv_length(*ret) >= 256)
                        return -EBADMSG;
                if (asprintf(&kv, "%s=%s", k, v) < 0 || strv_extend(ret, kv) < 0)
                        return -ENOMEM;
        }
        if (q >= 0)
                q = sd_bus_message_exit_container(reply);
        return q;
}

/* The answer of ResolvePaths (details false) or DescribePaths. */
static int read_paths_answer(sd_bus_message *reply, StasisPathList *l, bool details) {
        int k;

        k = sd_bus_message_enter_container(reply, 'a', details ? "(ssssssssa{ss})" : "(ssssssss)");
        while (k >= 0) {
                const char *f[8];
                PathEntry *p;

                k = sd_bus_message_enter_container(reply, 'r', details ? "ssssssssa{ss}" : "ssssssss");
                if (k <= 0)
                        break;
                k = sd_bus_message_read(reply, "ssssssss", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]);
                if (k < 0)
                        break;
                p = list_add((void **) &l->entries, &l->n, sizeof(PathEntry), f, ELEMENTSOF(f), &k);
                if (!p)
                        return k;
                if (details)
                        k = read_details(reply, &p->details);
                if (k >= 0)
                        k = sd_bus_message_exit_container(reply);
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k;
}

static int read_paths(sd_bus_message *reply, StasisPathList *l) {
        return read_paths_answer(reply, l, false);
}

static int read_described_paths(sd_bus_message *reply, StasisPathList *l) {
        return read_paths_answer(reply, l, true);
}

static int resolve_call(StasisRequestor *r, const char *member, const char *const *paths, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k = requestor_new_manager_call(r, member, &m);
        if (k < 0)
                return k;
        k = sd_bus_message_append_strv(m, (char **) paths);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the %s call: %s", member, strerror(-k));
        return requestor_call(r, m, ret);
}

int stasis_requestor_resolve_paths(StasisRequestor *r, const char *const *paths, StasisPathList **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!paths || !ret)
                return requestor_fail(r, -EINVAL, "resolve: the paths and ret must not be NULL");
        k = resolve_call(r, "DescribePaths", paths, &reply);
        if (k >= 0) {
                k = READ_LIST(r, "DescribePaths", reply, StasisPathList, read_described_paths, stasis_path_list_free,
                              ret);
                return k < 0 ? k : 0;
        }
        /* A stasisd from before DescribePaths: the volumes without details. */
        if (!r->client.last_error.name || !streq(r->client.last_error.name, SD_BUS_ERROR_UNKNOWN_METHOD))
                return k;
        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = resolve_call(r, "ResolvePaths", paths, &reply);
        if (k < 0)
                return k;
        k = READ_LIST(r, "ResolvePaths", reply, StasisPathList, read_paths, stasis_path_list_free, ret);
        return k < 0 ? k : 0;
}

LIST_DEFINE_COUNT(StasisPathList, stasis_path_list)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, requested, 0)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, path, 1)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, mount_point, 2)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, device, 3)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, fstype, 4)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, provider, 5)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, source, 6)
LIST_DEFINE_STRING(StasisPathList, stasis_path_list, volume, 7)

char *const *stasis_path_list_details(const StasisPathList *l, unsigned i) {
        static char *const none[] = { NULL };
        return l && i < l->n && l->entries[i].details ? l->entries[i].details : l && i < l->n ? none : NULL;
}

/* ---- Orphan snapshots ---- */

LIST_DEFINE_FREE(StasisOrphanList, OrphanEntry, stasis_orphan_list_free)

static int read_orphans(sd_bus_message *reply, StasisOrphanList *l) {
        int k;

        k = sd_bus_message_enter_container(reply, 'a', "(ssstt)");
        while (k >= 0) {
                const char *f[3];
                uint64_t index, created;
                OrphanEntry *o;

                k = sd_bus_message_read(reply, "(ssstt)", &f[0], &f[1], &f[2], &index, &created);
                if (k <= 0)
                        break;
                o = list_add((void **) &l->entries, &l->n, sizeof(OrphanEntry), f, ELEMENTSOF(f), &k);
                if (!o)
                        return k;
                o->index = index;
                o->created = created;
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k;
}

int stasis_requestor_list_orphans(StasisRequestor *r, StasisOrphanList **ret) {
        return LIST_PLAIN(r, "ListOrphans", StasisOrphanList, read_orphans, stasis_orphan_list_free, ret);
}

LIST_DEFINE_COUNT(StasisOrphanList, stasis_orphan_list)
LIST_DEFINE_STRING(StasisOrphanList, stasis_orphan_list, provider, 0)
LIST_DEFINE_STRING(StasisOrphanList, stasis_orphan_list, handle, 1)
LIST_DEFINE_STRING(StasisOrphanList, stasis_orphan_list, set_id, 2)
LIST_DEFINE_NUMBER(StasisOrphanList, stasis_orphan_list, uint64_t, index, index)
LIST_DEFINE_NUMBER(StasisOrphanList, stasis_orphan_list, uint64_t, created_usec, created)

int stasis_requestor_rescan_orphans(StasisRequestor *r) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        uint32_t n;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = call_plain(r, "RescanOrphans", &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "u", &n);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to RescanOrphans: %s", strerror(-k));
        return (int) MIN(n, (uint32_t) INT32_MAX);
}

int stasis_requestor_adopt_orphans(StasisRequestor *r, const char *set_id, char **ret_id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *id, *path;
        char *s;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(set_id) || !ret_id)
                return requestor_fail(r, -EINVAL, "adopt: the set id and ret_id must not be NULL");
        k = requestor_call_id(r, "AdoptOrphans", set_id, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "so", &id, &path);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to AdoptOrphans: %s", strerror(-k));
        s = strdup(id);
        if (!s)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        *ret_id = s;
        return 0;
}

int stasis_requestor_delete_orphan(StasisRequestor *r, const char *handle) {
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (isempty(handle))
                return requestor_fail(r, -EINVAL, "delete orphan: the handle must not be NULL or empty");
        return requestor_call_id(r, "DeleteOrphan", handle, NULL);
}
