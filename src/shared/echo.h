/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* echo.h - quote at most a short prefix of a string someone else sent, in an error or a reply */
#pragma once

#include <stddef.h>

/* Bytes of a caller's string an error message quotes; the rest is cut and
 * replaced by "…", so that an error never echoes a megabyte back. */
#define ECHO_MAX 128
#define ECHO_ELLIPSIS "\xe2\x80\xa6"    /* U+2026 */
#define ECHO_SIZE(max) ((max) + sizeof(ECHO_ELLIPSIS))

/* s itself if it has at most max bytes; else its first max bytes at most,
 * cut at a UTF-8 character boundary (strings on the bus are UTF-8, and must
 * stay so), and "…", written to buf of size >= ECHO_SIZE(max). NULL gives "". */
const char *echo_prefix(const char *s, size_t max, char *buf, size_t size);

/* The same in newly allocated memory; NULL when out of memory. */
char *echo_strdup(const char *s, size_t max);

/* ECHO(s): the short prefix to quote, valid until the end of the enclosing
 * block: sd_bus_error_setf(error, ..., "No set with id '%s'", ECHO(id)). */
#define ECHO(s) echo_prefix((s), ECHO_MAX, (char[ECHO_SIZE(ECHO_MAX)]){ 0 }, ECHO_SIZE(ECHO_MAX))
