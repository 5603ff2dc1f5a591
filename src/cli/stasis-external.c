/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-external.c - freeze --external and thaw --external: writers frozen for a snapshot someone else takes */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasis-output.h"
#include "stasis.h"
#include "stasis/stasis.h"

static void set_request_unrefp(StasisSetRequest **q) {
        stasis_set_request_unref(*q);
}

int verb_freeze(StasisRequestor *r, char **args) {
        _cleanup_(set_request_unrefp) StasisSetRequest *q = NULL;
        _cleanup_free_ char *id = NULL, *not_frozen = NULL;
        int k, n;

        k = make_set_request(args, true, &q);
        if (k < 0)
                return report_local("building the request", k);
        n = stasis_requestor_freeze_external(r, q, arg_freeze_window, &id, &not_frozen);
        if (n < 0)
                return report_error(r, "freezing the writers");
        if (arg_json) {
                json_object *o = json_object_new_object(), *a = json_object_new_array();
                if (!o || !a) {
                        json_object_put(o);
                        json_object_put(a);
                        return report_local("freeze", -ENOMEM);
                }
                for (char *line = not_frozen, *next; line && *line; line = next) {
                        next = strchr(line, '\n');
                        if (next)
                                *next++ = 0;
                        json_object_array_add(a, json_object_new_string(line));
                }
                json_object_object_add(o, "id", json_object_new_string(id));
                json_object_object_add(o, "not_frozen", a);
                print_json(stdout, o);
                json_object_put(o);
        } else
                printf("%s\n", id);
        fflush(stdout);
        if (n == 0)
                return EXIT_OK;
        /* The set is frozen anyway: the agent's freeze goes on, these writers' data is crash-consistent. */
        fprintf(stderr, "stasis: freeze: set %s is frozen, but %d writer(s) did not freeze (their components are "
                "crash-consistent):\n%s\n", id, n, not_frozen);
        return EXIT_WRITER_FAILED;
}

int verb_thaw(StasisRequestor *r, char **args) {
        _cleanup_free_ char *id = NULL;

        if (stasis_requestor_thaw_external(r, args[0], &id) < 0)
                return report_error(r, "thawing the writers");
        if (arg_json)
                printf("{\"id\":\"%s\",\"thawed\":true}\n", id);     /* a decimal number */
        else
                printf("%s\n", id);
        return EXIT_OK;
}
