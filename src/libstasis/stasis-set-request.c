/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-set-request.c - StasisSetRequest: the paths, components and options of a set to create */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-requestor-internal.h"
#include "strv.h"

int stasis_set_request_new(StasisSetRequest **ret) {
        StasisSetRequest *q;

        if (!ret)
                return -EINVAL;
        q = calloc(1, sizeof(StasisSetRequest));
        if (!q)
                return -ENOMEM;
        q->n_ref = 1;
        q->paths = calloc(1, sizeof(char *));
        q->components = calloc(1, sizeof(char *));
        if (!q->paths || !q->components) {
                stasis_set_request_unref(q);
                return -ENOMEM;
        }
        *ret = q;
        return 0;
}

StasisSetRequest *stasis_set_request_ref(StasisSetRequest *q) {
        if (q)
                q->n_ref++;
        return q;
}

StasisSetRequest *stasis_set_request_unref(StasisSetRequest *q) {
        if (!q || --q->n_ref > 0)
                return NULL;
        strv_free(q->paths);
        strv_free(q->components);
        strv_free(q->exclude_writers);
        free(q->label);
        free(q->request_id);
        free(q);
        return NULL;
}

int stasis_set_request_add_path(StasisSetRequest *q, const char *path) {
        if (!q || isempty(path))
                return -EINVAL;
        return strv_extend(&q->paths, path);
}

int stasis_set_request_add_component(StasisSetRequest *q, const char *component) {
        if (!q || isempty(component))
                return -EINVAL;
        return strv_extend(&q->components, component);
}

int stasis_set_request_exclude_writer(StasisSetRequest *q, const char *writer) {
        if (!q || isempty(writer))
                return -EINVAL;
        return strv_extend(&q->exclude_writers, writer);
}

int stasis_set_request_set_label(StasisSetRequest *q, const char *label) {
        char *l = NULL;

        if (!q)
                return -EINVAL;
        if (!isempty(label)) {
                l = strdup(label);
                if (!l)
                        return -ENOMEM;
        }
        free(q->label);
        q->label = l;
        return 0;
}

int stasis_set_request_set_persistent(StasisSetRequest *q, int persistent) {
        if (!q || (persistent != 0 && persistent != 1))
                return -EINVAL;
        q->persistent = persistent;
        return 0;
}

int stasis_set_request_set_require_writers(StasisSetRequest *q, int require) {
        if (!q || (require != 0 && require != 1))
                return -EINVAL;
        q->require_writers = require;
        return 0;
}

int stasis_set_request_set_request_id(StasisSetRequest *q, const char *request_id) {
        char *id = NULL;

        if (!q)
                return -EINVAL;
        if (!isempty(request_id)) {
                id = strdup(request_id);
                if (!id)
                        return -ENOMEM;
        }
        free(q->request_id);
        q->request_id = id;
        return 0;
}

int stasis_set_request_set_expire_after(StasisSetRequest *q, uint64_t usec) {
        if (!q)
                return -EINVAL;
        q->expire_after = usec;
        return 0;
}
