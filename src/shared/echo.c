/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* echo.c - quote at most a short prefix of a string someone else sent, in an error or a reply */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "echo.h"

/* The length of the longest prefix of s of at most max bytes (max < strlen(s))
 * that does not end inside a UTF-8 sequence. */
static size_t prefix_length(const char *s, size_t max) {
        size_t n = max;
        /* Back off continuation bytes: s[n] is where the cut falls. */
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        return n;
}

const char *echo_prefix(const char *s, size_t max, char *buf, size_t size) {
        size_t n;

        assert(buf && size >= ECHO_SIZE(max));
        if (!s)
                return "";
        if (strnlen(s, max + 1) <= max)
                return s;
        n = prefix_length(s, max);
        memcpy(buf, s, n);
        memcpy(buf + n, ECHO_ELLIPSIS, sizeof(ECHO_ELLIPSIS));
        return buf;
}

char *echo_strdup(const char *s, size_t max) {
        char *buf = malloc(ECHO_SIZE(max));
        const char *p;

        if (!buf)
                return NULL;
        p = echo_prefix(s, max, buf, ECHO_SIZE(max));
        if (p != buf)
                memcpy(buf, p, strlen(p) + 1);
        return buf;
}
