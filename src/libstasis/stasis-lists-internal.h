/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-lists-internal.h - the lists a requestor reads (writers, paths, orphans, retention, backup
 * metadata): one shape of list, its reading, freeing and accessors, and the calls they are read with */
#pragma once

#include <stddef.h>
#include <stdlib.h>
#include <systemd/sd-bus.h>

#include "bus-records.h"
#include "stasis-requestor-internal.h"

/* The most entries a list is read with; more is a malformed answer. */
#define LIST_MAX 65536

/* A list: entries that begin with char *fields[N], then numbers. */
#define LIST_STRUCT(Type, Entry)        \
        struct Type {                   \
                Entry *entries;         \
                size_t n;               \
        }

/* Appends to *entries a record of record_size bytes, zeroed, whose first
 * n_fields fields are copies of values (NULL: ""). NULL if it cannot: past
 * LIST_MAX (*ret_error -EBADMSG) or out of memory (-ENOMEM). */
void *list_add(void **entries, size_t *n, size_t record_size, const char *const *values, size_t n_fields,
               int *ret_error);

/* Type *name(Type *l): frees l, whose entries are of type Entry. */
#define LIST_DEFINE_FREE(Type, Entry, name)                                                             \
        Type *name(Type *l) {                                                                           \
                if (!l)                                                                                 \
                        return NULL;                                                                    \
                string_records_free(l->entries, l->n, ELEMENTSOF(l->entries->fields), sizeof(Entry));   \
                free(l);                                                                                \
                return NULL;                                                                            \
        }

/* The public accessors of a list: prefix_count(), prefix_NAME() for the
 * string fields[index] and for a number field. */
#define LIST_DEFINE_COUNT(Type, prefix)                                 \
        unsigned prefix##_count(const Type *l) {                        \
                return l ? l->n : 0;                                    \
        }
#define LIST_DEFINE_STRING(Type, prefix, name, index)                                   \
        const char *prefix##_##name(const Type *l, unsigned i) {                        \
                return l && i < l->n ? l->entries[i].fields[index] : NULL;              \
        }
#define LIST_DEFINE_NUMBER(Type, prefix, ret_type, name, field)                         \
        ret_type prefix##_##name(const Type *l, unsigned i) {                           \
                return l && i < l->n ? (ret_type) l->entries[i].field : 0;              \
        }

/* Reads reply into a new list of type Type with read(reply, list); on
 * failure frees it with free_fn and says which reply was malformed. */
#define READ_LIST(r, member, reply, Type, read, free_fn, ret)                                           \
        ({                                                                                              \
                Type *_l = calloc(1, sizeof(Type));                                                     \
                int _k = _l ? read(reply, _l) : -ENOMEM;                                                \
                if (!_l)                                                                                \
                        _k = requestor_fail(r, _k, "Out of memory");                                    \
                else if (_k < 0) {                                                                      \
                        free_fn(_l);                                                                    \
                        _k = requestor_fail(r, _k, "Malformed reply to %s: %s", member, strerror(-_k)); \
                } else                                                                                  \
                        *(ret) = _l;                                                                    \
                _k;                                                                                     \
        })

/* A call of member on the manager; failures recorded in r. */
int requestor_new_manager_call(StasisRequestor *r, const char *member, sd_bus_message **ret);
/* A call of member on the object of set id, found through GetSet (so that
 * a set that does not exist gives NoSuchSet, not UnknownObject). */
int requestor_new_set_call(StasisRequestor *r, const char *id, const char *member, sd_bus_message **ret);
