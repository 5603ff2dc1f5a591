/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-retention.c - the run, cleanup and history commands */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasis.h"
#include "time-util.h"

static void retention_list_freep(StasisRetentionList **l) {
        stasis_retention_list_free(*l);
}

/* Prints the decisions of a cleanup; the exit status: failed if a removal failed. */
static int print_cleanup(const StasisRetentionList *l, const char *what) {
        unsigned n = stasis_retention_list_count(l);
        int ret = EXIT_OK;

        if (arg_json) {
                json_object *a = json_object_new_array();
                for (unsigned i = 0; i < n; i++) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "id", json_object_new_string(stasis_retention_list_set_id(l, i)));
                        json_object_object_add(o, "policy", isempty(stasis_retention_list_policy(l, i)) ? NULL :
                                               json_object_new_string(stasis_retention_list_policy(l, i)));
                        json_object_object_add(o, "action", json_object_new_string(stasis_retention_list_action(l, i)));
                        json_object_object_add(o, "reason", json_object_new_string(stasis_retention_list_reason(l, i)));
                        json_object_array_add(a, o);
                }
                print_json(stdout, a);
                json_object_put(a);
        }
        for (unsigned i = 0; i < n; i++) {
                const char *action = stasis_retention_list_action(l, i);
                if (streq(action, "failed"))
                        ret = EXIT_FAILED;
                if (arg_json)
                        continue;
                printf("%s set %s: %s.\n",
                       streq(action, "removed") ? "Removed" : streq(action, "would-remove") ? "Would remove" :
                       streq(action, "kept-in-use") ? "Kept" : streq(action, "failed") ? "Failed to remove" : action,
                       stasis_retention_list_set_id(l, i), stasis_retention_list_reason(l, i));
        }
        if (!arg_json && n == 0)
                printf("%s\n", what);
        if (ret != EXIT_OK)
                fprintf(stderr, "stasis: removing some sets failed; stasisd retries them\n");
        return ret;
}

static int cleanup(StasisRequestor *r, const char *policy, bool dry_run) {
        _cleanup_(retention_list_freep) StasisRetentionList *l = NULL;

        if (stasis_requestor_cleanup(r, policy, dry_run, &l) < 0)
                return report_error(r, dry_run ? "deciding what retention removes" : "applying retention");
        return print_cleanup(l, dry_run ? "Nothing would be removed." : "Nothing to remove.");
}

int verb_run(StasisRequestor *r, char **args) {
        _cleanup_free_ char *id = NULL;

        if (stasis_requestor_run_policy(r, args[0], &id) < 0)
                return report_error(r, "making the set of the policy");
        if (!arg_json)
                printf("Made snapshot set %s by policy %s.\n", id, args[0]);
        else
                printf("{\"id\":\"%s\"}\n", id);
        /* Its retention right after; with --json the decisions follow as a second line. */
        outcome_hint = "the set was made; what retention removed is not known: see 'stasis history'";
        return cleanup(r, args[0], false);
}

int verb_cleanup(StasisRequestor *r, char **args) {
        return cleanup(r, args[0], arg_dry_run);
}

int verb_history(StasisRequestor *r, char **args) {
        _cleanup_(retention_list_freep) StasisRetentionList *l = NULL;
        json_object *a = NULL;
        Table *t = NULL;
        unsigned n;

        if (stasis_requestor_list_removals(r, args[0], 0, &l) < 0)
                return report_error(r, "reading the history of removals");
        n = stasis_retention_list_count(l);
        if (arg_json)
                a = json_object_new_array();
        else
                t = table_new(5, "REMOVED", "SET", "POLICY", "CREATED", "REASON");
        for (unsigned i = 0; i < n; i++) {
                char tr[64], tc[64];
                format_timestamp(tr, sizeof tr, stasis_retention_list_time_usec(l, i), !!a);
                format_timestamp(tc, sizeof tc, stasis_retention_list_created_usec(l, i), !!a);
                const char *policy = stasis_retention_list_policy(l, i);
                if (a) {
                        json_object *o = json_object_new_object();
                        json_object_object_add(o, "id", json_object_new_string(stasis_retention_list_set_id(l, i)));
                        json_object_object_add(o, "policy", isempty(policy) ? NULL : json_object_new_string(policy));
                        json_object_object_add(o, "removed", json_object_new_string(tr));
                        json_object_object_add(o, "removed_usec",
                                               json_object_new_uint64(stasis_retention_list_time_usec(l, i)));
                        json_object_object_add(o, "created", json_object_new_string(tc));
                        json_object_object_add(o, "label", json_object_new_string(stasis_retention_list_label(l, i)));
                        json_object_object_add(o, "reason", json_object_new_string(stasis_retention_list_reason(l, i)));
                        json_object_array_add(a, o);
                } else
                        (void) table_add_row(t, tr, stasis_retention_list_set_id(l, i), isempty(policy) ? NULL : policy,
                                             tc, stasis_retention_list_reason(l, i));
        }
        if (a) {
                print_json(stdout, a);
                json_object_put(a);
        } else {
                if (n == 0)
                        printf("No sets were removed by retention%s%s.\n", args[0] ? " of policy " : "",
                               args[0] ? args[0] : "");
                else
                        table_print(t, stdout);
                table_free(t);
        }
        return EXIT_OK;
}
