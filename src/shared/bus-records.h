/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-records.h - arrays of structs of strings ("a(sss)") read from a D-Bus message into arrays of records */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

/* A record is record_size bytes that begin with char *fields[n_fields]. */

/* Reads a variant holding an array of structs of n_fields strings (at most
 * 12) in place of the *n records of *items, which are freed; more than max
 * records is -EBADMSG. On failure *items and *n are as they were. */
int bus_read_string_records(sd_bus_message *m, size_t n_fields, size_t record_size, size_t max, void **items,
                            size_t *n);

/* Frees the fields of n records (none if items is NULL) and items. */
void string_records_free(void *items, size_t n, size_t n_fields, size_t record_size);
