/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-records.c - arrays of structs of strings ("a(sss)") read from a D-Bus message into arrays of records */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-records.h"

#define FIELDS_MAX 12

static char **record_fields(void *items, size_t i, size_t record_size) {
        return (char **) ((char *) items + record_size * i);
}

void string_records_free(void *items, size_t n, size_t n_fields, size_t record_size) {
        for (size_t i = 0; items && i < n; i++)
                for (size_t f = 0; f < n_fields; f++)
                        free(record_fields(items, i, record_size)[f]);
        free(items);
}

/* Appends one record read from the struct m is at. */
static int read_record(sd_bus_message *m, size_t n_fields, size_t record_size, void **l, size_t *count) {
        char **fields;
        void *nl;

        nl = realloc(*l, record_size * (*count + 1));
        if (!nl)
                return -ENOMEM;
        *l = nl;
        fields = record_fields(nl, (*count)++, record_size);
        memset(fields, 0, record_size);
        for (size_t f = 0; f < n_fields; f++) {
                const char *v;
                int r = sd_bus_message_read_basic(m, 's', &v);

                if (r < 0)
                        return r;
                fields[f] = strdup(v);
                if (!fields[f])
                        return -ENOMEM;
        }
        return sd_bus_message_exit_container(m);
}

int bus_read_string_records(sd_bus_message *m, size_t n_fields, size_t record_size, size_t max, void **items,
                            size_t *n) {
        char inner[FIELDS_MAX + 1] = {}, signature[FIELDS_MAX + 4];
        void *l = NULL;
        size_t count = 0;
        int r;

        assert(n_fields <= FIELDS_MAX && record_size >= n_fields * sizeof(char *));
        memset(inner, 's', n_fields);
        snprintf(signature, sizeof signature, "a(%s)", inner);
        r = sd_bus_message_enter_container(m, 'v', signature);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'a', signature + 1);
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_enter_container(m, 'r', inner);
                if (r <= 0)
                        break;
                if (count >= max) {
                        r = -EBADMSG;
                        break;
                }
                r = read_record(m, n_fields, record_size, &l, &count);
                if (r < 0)
                        break;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                string_records_free(l, count, n_fields, record_size);
                return r;
        }
        string_records_free(*items, *n, n_fields, record_size);
        *items = l;
        *n = count;
        return 0;
}
