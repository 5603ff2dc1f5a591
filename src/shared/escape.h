/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escape.h - make untrusted strings safe to show on a terminal or to put in a D-Bus string */
#pragma once

#include <stddef.h>
#include <stdint.h>

typedef enum EscapeFlags {
        ESCAPE_QUOTE          = 1 << 0, /* wrap in double quotes, and escape '"' */
        ESCAPE_KEEP_BACKSLASH = 1 << 1, /* leave '\' as it is (text that is escaped already) */
} EscapeFlags;

/* A copy of s that a terminal shows as it is, like `ls -b`: a backslash
 * becomes \\, \a \b \t \n \v \f \r and ESC become \a ... \r and \e, other C0
 * controls and DEL \xNN, every byte that is not UTF-8 \xNN, C1 controls and
 * bidi controls (which are valid UTF-8) \uNNNN; everything else stays.
 * Only the first max_in bytes of s are taken (cut at a UTF-8 character),
 * followed by "..." if s is longer; SIZE_MAX for all of it. NULL on ENOMEM. */
char *cescape_full(const char *s, size_t max_in, EscapeFlags flags);

static inline char *cescape(const char *s) {
        return cescape_full(s, SIZE_MAX, 0);
}

/* A copy of s with every byte that is not UTF-8 replaced by U+FFFD, the
 * replacement character, and nothing else changed: what stasisd sends for a
 * string it recorded but that a D-Bus message cannot carry. NULL on ENOMEM. */
char *utf8_escape_invalid(const char *s);
