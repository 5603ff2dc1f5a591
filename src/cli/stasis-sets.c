/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-sets.c - the create, list, show, complete and delete commands */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasis.h"
#include "strv.h"
#include "time-util.h"

static void set_unrefp(StasisSet **s) {
        stasis_set_unref(*s);
}

static void set_request_unrefp(StasisSetRequest **q) {
        stasis_set_request_unref(*q);
}

static void metadata_list_freep(StasisMetadataList **l) {
        stasis_metadata_list_free(*l);
}

/* The set, its metadata and its exclusive size one by one: each failure
 * reported with what was being read. */
static int read_set_one_by_one(StasisRequestor *r, const char *id, StasisSet **ret_set, StasisMetadataList **ret_meta,
                               uint64_t *ret_exclusive, char **ret_why) {
        if (stasis_requestor_get_set(r, id, ret_set) < 0)
                return report_error(r, "reading the set");
        if (stasis_requestor_get_set_metadata(r, stasis_set_id(*ret_set), ret_meta) < 0)
                return report_error(r, "reading the backup metadata of the set");
        /* Its exclusive size, if stasisd can tell (an older one has no such method). */
        if (stasis_requestor_get_set_exclusive_size(r, id, ret_exclusive) < 0) {
                const StasisErrorInfo *e = stasis_requestor_last_error(r);
                const char *msg = e ? stasis_error_info_message(e) : NULL;
                const char *why = msg ? strstr(msg, "is not known: ") : NULL;
                *ret_exclusive = UINT64_MAX;
                *ret_why = strdup(why ? why + strlen("is not known: ") : "stasisd cannot tell");
        }
        return EXIT_OK;
}

int show_set(StasisRequestor *r, const char *id) {
        _cleanup_(set_unrefp) StasisSet *set = NULL;
        _cleanup_(metadata_list_freep) StasisMetadataList *meta = NULL;
        _cleanup_(set_info_done) SetInfo s = {};
        _cleanup_free_ char *why = NULL;
        uint64_t exclusive = UINT64_MAX;
        int q;

        /* All three asked for at once; if stasisd refused, again one by one,
         * to tell which read failed. */
        if (stasis_requestor_get_set_details(r, id, &set, &meta, &exclusive, &why) < 0) {
                const StasisErrorInfo *e = stasis_requestor_last_error(r);
                StasisError code = e ? stasis_error_info_code(e) : STASIS_ERR_OTHER;
                if (code == STASIS_ERR_NO_ANSWER || code == STASIS_ERR_DISCONNECTED)
                        return report_error(r, "reading the set");
                q = read_set_one_by_one(r, id, &set, &meta, &exclusive, &why);
                if (q != EXIT_OK)
                        return q;
        }
        q = set_info_from_set(set, true, &s);
        if (q < 0)
                return report_local("reading the set", q);
        s.has_exclusive = true;
        s.exclusive = exclusive;
        if (exclusive == UINT64_MAX)
                s.exclusive_why = why ? TAKE_PTR(why) : strdup("stasisd cannot tell");
        if (arg_json) {
                json_object *o = set_info_to_json(&s);
                json_object *ex = json_object_new_array();
                for (unsigned i = 0; i < stasis_set_excluded_writer_count(set); i++)
                        json_object_array_add(ex, json_object_new_string(stasis_set_excluded_writer(set, i)));
                json_object_object_add(o, "excluded_writers", ex);
                json_object_object_add(o, "metadata", metadata_to_json(meta));
                print_json(stdout, o);
                json_object_put(o);
        } else {
                print_set_details(stdout, &s);
                if (stasis_set_excluded_writer_count(set) > 0) {
                        fputs("\nExcluded writers (not called; their data only as crash-consistent as the set):\n", stdout);
                        for (unsigned i = 0; i < stasis_set_excluded_writer_count(set); i++) {
                                fputs("  ", stdout);
                                print_escaped(stdout, stasis_set_excluded_writer(set, i));
                                fputc('\n', stdout);
                        }
                }
                print_metadata(stdout, meta);
        }
        return EXIT_OK;
}

/* The request: the paths, made absolute; persistent or not; the label, the
 * components, require-writers and the request id if given. */
int make_set_request(char **args, bool persistent, StasisSetRequest **ret) {
        _cleanup_(set_request_unrefp) StasisSetRequest *q = NULL;
        _cleanup_strv_free_ char **paths = NULL;
        int k;

        k = stasis_set_request_new(&q);
        if (k >= 0)
                k = absolute_paths(args, &paths);
        STRV_FOREACH(p, paths)
                if (k >= 0)
                        k = stasis_set_request_add_path(q, *p);
        STRV_FOREACH(c, arg_components)
                if (k >= 0)
                        k = stasis_set_request_add_component(q, *c);
        STRV_FOREACH(w, arg_exclude_writers)
                if (k >= 0)
                        k = stasis_set_request_exclude_writer(q, *w);
        if (k >= 0)
                k = stasis_set_request_set_persistent(q, persistent);
        if (k >= 0)
                k = stasis_set_request_set_label(q, arg_label);
        if (k >= 0)
                k = stasis_set_request_set_require_writers(q, arg_require_writers);
        if (k >= 0)
                k = stasis_set_request_set_request_id(q, arg_request_id);
        if (k >= 0 && arg_expire_after > 0)
                k = stasis_set_request_set_expire_after(q, arg_expire_after);
        if (k < 0)
                return k;
        *ret = TAKE_PTR(q);
        return 0;
}

int verb_create(StasisRequestor *r, char **args) {
        _cleanup_(set_request_unrefp) StasisSetRequest *q = NULL;
        _cleanup_free_ char *id = NULL;
        int k;

        /* A set made from the command line outlives the command, until deleted. */
        k = make_set_request(args, true, &q);
        if (k < 0)
                return report_local("building the request", k);
        if (stasis_requestor_create_set(r, q, &id) < 0)
                return report_error(r, "creating the set");
        return show_set(r, id);
}

int verb_show(StasisRequestor *r, char **args) {
        _cleanup_free_ char *id = NULL;

        if (!arg_request_id)
                return show_set(r, args[0]);
        if (stasis_requestor_lookup_request_id(r, arg_request_id, &id) < 0)
                return report_error(r, "finding the set of the request id");
        return show_set(r, id);
}

int verb_complete(StasisRequestor *r, char **args) {
        _cleanup_free_ char *context = NULL;
        int q;

        if (asprintf(&context, "complete %s", args[0]) < 0)
                return report_local("complete", -ENOMEM);

        if (stasis_requestor_complete_set(r, args[0], (const char *const *) arg_failed) < 0) {
                /* Without stasisd the first step fails: finding the set. */
                q = report_error_context(r, context, stasisd_absent(r) ? "finding the set" : "reporting the backup");
                goto finish;
        }
        if (!arg_json) {
                printf("Reported the backup of snapshot set %s as done", args[0]);
                STRV_FOREACH(f, arg_failed)
                        printf("%s%s", f == arg_failed ? "; not backed up: " : ", ", *f);
                printf(".\n");
        }
        q = EXIT_OK;
finish:
        if (arg_json)
                printf("{\"completed\":%s}\n", q == EXIT_OK ? "true" : "false");
        return q;
}

int verb_list(StasisRequestor *r, char **args) {
        if (arg_orphans)
                return list_orphans(r);

        StasisSet **sets = NULL;
        json_object *array = NULL;
        Table *t = NULL;
        int q;

        if (stasis_requestor_list_set_summaries(r, &sets, NULL) < 0)
                return report_error(r, "listing sets");
        if (arg_json)
                array = json_object_new_array();
        else
                t = table_new(8, "ID", "CREATED", "STATE", "CONSISTENCY", "VOLUMES", "PERSISTENT", "EXPIRES", "LABEL");
        for (StasisSet **set = sets; *set; set++) {
                _cleanup_(set_info_done) SetInfo s = {};
                q = set_info_from_set(*set, false, &s);
                if (q < 0) {
                        q = report_local("reading the list", q);
                        goto finish;
                }
                if (array)
                        json_object_array_add(array, set_info_to_json(&s));
                else {
                        char ts[64], te[64], nv[16];
                        snprintf(nv, sizeof nv, "%u", s.n_volumes);
                        (void) table_add_row(t, s.id, format_timestamp(ts, sizeof ts, s.created, 0), s.state,
                                             s.consistency, nv, s.persistent ? "yes" : "no",
                                             s.expires > 0 ? format_timestamp(te, sizeof te, s.expires, 0) : NULL,
                                             s.label);
                }
        }
        if (array)
                print_json(stdout, array);
        else if (table_rows(t) == 0)
                printf("No snapshot sets.\n");
        else
                table_print(t, stdout);
        q = EXIT_OK;
finish:
        if (array)
                json_object_put(array);
        table_free(t);
        stasis_set_list_free(sets);
        return q;
}

static void print_deleted(const char *id) {
        printf("Deleted snapshot set %s.\n", id);
}

int verb_delete(StasisRequestor *r, char **args) {
        return delete_each(r, args, arg_force ? delete_set_force : stasis_requestor_delete_set, "deleting the set",
                           print_deleted);
}
