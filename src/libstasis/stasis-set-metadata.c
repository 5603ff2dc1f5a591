/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-set-metadata.c - a requestor reads the writers' backup metadata of a set: the list, and a file's content */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-records.h"
#include "stasis-requestor-internal.h"

/* The most entries read; a set holds at most 256 per writer. */
#define METADATA_LIST_MAX 65536

typedef struct MetadataEntry {
        char *fields[6];        /* writer, instance, component, name, value, path */
        uint32_t size, mode;
} MetadataEntry;

struct StasisMetadataList {
        MetadataEntry *entries;
        size_t n;
};

StasisMetadataList *stasis_metadata_list_free(StasisMetadataList *l) {
        if (!l)
                return NULL;
        string_records_free(l->entries, l->n, ELEMENTSOF(l->entries->fields), sizeof(MetadataEntry));
        free(l);
        return NULL;
}

static inline void metadata_list_freep(StasisMetadataList **l) {
        stasis_metadata_list_free(*l);
}

/* The set's object path, from the manager (stasisd's NoSuchSet if it has none). */
static int set_path(StasisRequestor *r, const char *id, char **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int k;

        if (!set_id_valid(id))
                return requestor_fail(r, -EINVAL, "Set id \"%s\" is not a decimal number", strna(id));
        k = requestor_call_id(r, "GetSet", id, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "o", &path);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to GetSet: %s", strerror(-k));
        *ret = strdup(path);
        return *ret ? 0 : requestor_fail(r, -ENOMEM, "Out of memory");
}

static int read_entries(sd_bus_message *reply, StasisMetadataList *l) {
        int k = sd_bus_message_enter_container(reply, 'a', "(ssssssuu)");

        while (k >= 0) {
                const char *f[6];
                uint32_t size, mode;
                MetadataEntry *e;

                k = sd_bus_message_read(reply, "(ssssssuu)", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &size, &mode);
                if (k <= 0)
                        break;
                if (l->n >= METADATA_LIST_MAX)
                        return -EBADMSG;
                e = realloc(l->entries, (l->n + 1) * sizeof(MetadataEntry));
                if (!e)
                        return -ENOMEM;
                l->entries = e;
                e = &l->entries[l->n++];
                *e = (MetadataEntry) { .size = size, .mode = mode };
                for (size_t i = 0; i < ELEMENTSOF(f); i++)
                        if (!(e->fields[i] = strdup(f[i])))
                                return -ENOMEM;
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k;
}

int metadata_list_from_reply(StasisRequestor *r, sd_bus_message *reply, StasisMetadataList **ret) {
        _cleanup_(metadata_list_freep) StasisMetadataList *l = NULL;
        int k;

        l = calloc(1, sizeof(StasisMetadataList));
        if (!l)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        k = read_entries(reply, l);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to BackupMetadata: %s", strerror(-k));
        *ret = TAKE_PTR(l);
        return 0;
}

int stasis_requestor_get_set_metadata(StasisRequestor *r, const char *id, StasisMetadataList **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *path = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret)
                return requestor_fail(r, -EINVAL, "metadata: ret must not be NULL");
        k = set_path(r, id, &path);
        if (k < 0)
                return k;
        k = sd_bus_message_new_method_call(r->client.bus, &m, STASIS_BUS_NAME, path, STASIS_SET_INTERFACE,
                                           "BackupMetadata");
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the BackupMetadata call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        return metadata_list_from_reply(r, reply, ret);
}

unsigned stasis_metadata_list_count(const StasisMetadataList *l) {
        return l ? l->n : 0;
}

#define METADATA_STRING(name, index)                                                    \
        const char *stasis_metadata_list_##name(const StasisMetadataList *l, unsigned i) { \
                if (!l || i >= l->n)                                                    \
                        return NULL;                                                    \
                return l->entries[i].fields[index];                                     \
        }
METADATA_STRING(writer, 0)
METADATA_STRING(instance, 1)
METADATA_STRING(component, 2)

/* A value has a name and no path, a file a path and no name: NULL for the other. */
#define METADATA_EITHER(name, index)                                                    \
        const char *stasis_metadata_list_##name(const StasisMetadataList *l, unsigned i) { \
                if (!l || i >= l->n || l->entries[i].fields[index][0] == 0)             \
                        return NULL;                                                    \
                return l->entries[i].fields[index];                                     \
        }
METADATA_EITHER(name, 3)
METADATA_EITHER(path, 5)

const char *stasis_metadata_list_value(const StasisMetadataList *l, unsigned i) {
        if (!l || i >= l->n || l->entries[i].fields[3][0] == 0)
                return NULL;
        return l->entries[i].fields[4];
}

uint64_t stasis_metadata_list_size(const StasisMetadataList *l, unsigned i) {
        return l && i < l->n ? l->entries[i].size : 0;
}

mode_t stasis_metadata_list_mode(const StasisMetadataList *l, unsigned i) {
        return l && i < l->n ? (mode_t) l->entries[i].mode : 0;
}

int stasis_requestor_read_set_metadata_file(StasisRequestor *r, const char *id, const char *path, void **ret_data,
                                            size_t *ret_size, mode_t *ret_mode) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_free_ char *object = NULL;
        const void *data;
        size_t size;
        uint32_t mode;
        void *copy;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!path || !ret_data || !ret_size)
                return requestor_fail(r, -EINVAL, "metadata file: path, ret_data and ret_size must not be NULL");
        k = set_path(r, id, &object);
        if (k < 0)
                return k;
        k = sd_bus_message_new_method_call(r->client.bus, &m, STASIS_BUS_NAME, object, STASIS_SET_INTERFACE,
                                           "BackupMetadataFile");
        if (k >= 0)
                k = sd_bus_message_append(m, "s", path);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the BackupMetadataFile call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read_array(reply, 'y', &data, &size);
        if (k >= 0)
                k = sd_bus_message_read(reply, "u", &mode);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to BackupMetadataFile: %s", strerror(-k));
        copy = malloc(size > 0 ? size : 1);
        if (!copy)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        if (size > 0)
                memcpy(copy, data, size);
        *ret_data = copy;
        *ret_size = size;
        if (ret_mode)
                *ret_mode = (mode_t) mode;
        return 0;
}
