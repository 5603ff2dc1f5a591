/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-set-metadata.c - a requestor reads the writers' backup metadata of a set: the list, and a file's content */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-lists-internal.h"

typedef struct MetadataEntry {
        char *fields[6];        /* writer, instance, component, name, value, path */
        uint32_t size, mode;
} MetadataEntry;

LIST_STRUCT(StasisMetadataList, MetadataEntry);
LIST_DEFINE_FREE(StasisMetadataList, MetadataEntry, stasis_metadata_list_free)

static int read_entries(sd_bus_message *reply, StasisMetadataList *l) {
        int k = sd_bus_message_enter_container(reply, 'a', "(ssssssuu)");

        while (k >= 0) {
                const char *f[6];
                uint32_t size, mode;
                MetadataEntry *e;

                k = sd_bus_message_read(reply, "(ssssssuu)", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &size, &mode);
                if (k <= 0)
                        break;
                e = list_add((void **) &l->entries, &l->n, sizeof(MetadataEntry), f, ELEMENTSOF(f), &k);
                if (!e)
                        return k;
                e->size = size;
                e->mode = mode;
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k;
}

int metadata_list_from_reply(StasisRequestor *r, sd_bus_message *reply, StasisMetadataList **ret) {
        int k = READ_LIST(r, "BackupMetadata", reply, StasisMetadataList, read_entries, stasis_metadata_list_free, ret);
        return k < 0 ? k : 0;
}

int stasis_requestor_get_set_metadata(StasisRequestor *r, const char *id, StasisMetadataList **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret)
                return requestor_fail(r, -EINVAL, "metadata: ret must not be NULL");
        k = requestor_new_set_call(r, id, "BackupMetadata", &m);
        if (k < 0)
                return k;
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        return metadata_list_from_reply(r, reply, ret);
}

LIST_DEFINE_COUNT(StasisMetadataList, stasis_metadata_list)
LIST_DEFINE_STRING(StasisMetadataList, stasis_metadata_list, writer, 0)
LIST_DEFINE_STRING(StasisMetadataList, stasis_metadata_list, instance, 1)
LIST_DEFINE_STRING(StasisMetadataList, stasis_metadata_list, component, 2)
LIST_DEFINE_NUMBER(StasisMetadataList, stasis_metadata_list, uint64_t, size, size)
LIST_DEFINE_NUMBER(StasisMetadataList, stasis_metadata_list, mode_t, mode, mode)

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

int stasis_requestor_read_set_metadata_file(StasisRequestor *r, const char *id, const char *path, void **ret_data,
                                            size_t *ret_size, mode_t *ret_mode) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
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
        k = requestor_new_set_call(r, id, "BackupMetadataFile", &m);
        if (k < 0)
                return k;
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
