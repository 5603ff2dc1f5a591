/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* path-util.h - checks on path strings that come from storage stasisd does not fully control */
#pragma once

#include <stddef.h>

/* A snapshot handle read back from the catalog is used to delete things, so
 * it must say plainly what it names: a normalized absolute path (no empty,
 * "." or ".." component, no "//", no "/" at the end), such a path after a
 * qualifier that ends in ':' ("<file system UUID>:/.stasis/12-0"), or a
 * plain name with no "/" at all (an external provider's "stasis-12-0"); at
 * most PATH_MAX bytes, without control characters. 0 if h is one; -EINVAL with the reason
 * in why ("it has a '..' component") otherwise. */
int handle_check(const char *h, char *why, size_t why_size);

/* Copies s into buf (of size >= 8) for a log message: control characters as
 * \xNN, cut (with "...") to what fits. Returns buf. */
char *string_escape_short(const char *s, char *buf, size_t size);
