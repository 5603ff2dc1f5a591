/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-strings.h - strings from callers checked on the way in, recorded strings made safe on the way out */
#pragma once

#include <systemd/sd-bus.h>

/* Free text a caller sets (a label): UTF-8 without control characters (C0,
 * DEL, C1) or bidi controls. 0, or an InvalidArgument error naming field and
 * quoting (escaped, cut short) the value and the character at fault. */
int check_text_argument(const char *field, const char *value, sd_bus_error *error);

/* s as it can go into a D-Bus message: s itself if it is UTF-8 (NULL as
 * ""), else a copy in *tmp with U+FFFD for each byte that is not (a string
 * recorded by an older stasisd). *tmp must be NULL on entry; free it after.
 * NULL on ENOMEM. */
const char *bus_string(const char *s, char **tmp);

/* The length of bus_string(s), without making it. */
size_t bus_string_size(const char *s);

/* Appends s as a D-Bus string, through bus_string(). */
int bus_append_string(sd_bus_message *m, const char *s);

/* Appends a struct of n strings (contents: "ss...s"), each through
 * bus_string(). */
int bus_append_string_struct(sd_bus_message *m, const char *contents, const char *const *fields, size_t n);
