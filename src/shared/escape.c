/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escape.c - make untrusted strings safe to show on a terminal or to put in a D-Bus string */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "utf8.h"

/* Writes the escape for one character (cp, l bytes at s; l == 0 for a byte
 * that is not UTF-8) to out, which has room for 7 bytes; returns the length. */
static size_t escape_one(const char *s, size_t l, uint32_t cp, EscapeFlags flags, char *out) {
        static const char letters[] = "\aa\bb\tt\nn\vv\ff\rr\033e";

        if (l == 0)
                return (size_t) sprintf(out, "\\x%02x", (unsigned char) s[0]);
        if ((cp == '\\' && !(flags & ESCAPE_KEEP_BACKSLASH)) || (cp == '"' && (flags & ESCAPE_QUOTE))) {
                out[0] = '\\';
                out[1] = (char) cp;
                return 2;
        }
        if (cp < 0x20)
                for (size_t i = 0; letters[i]; i += 2)
                        if ((uint32_t) letters[i] == cp) {
                                out[0] = '\\';
                                out[1] = letters[i + 1];
                                return 2;
                        }
        if (cp < 0x20 || cp == 0x7F)
                return (size_t) sprintf(out, "\\x%02x", (unsigned) cp);
        if (unichar_is_unsafe(cp))
                return (size_t) sprintf(out, "\\u%04x", (unsigned) cp);
        memcpy(out, s, l);
        return l;
}

char *cescape_full(const char *s, size_t max_in, EscapeFlags flags) {
        size_t n = strlen(s), cut = n, o = 0;
        char *buf;

        if (n > max_in)
                cut = utf8_prefix_len(s, max_in);
        /* At most 6 bytes out for each byte in (\u202e for 3), quotes, "...". */
        buf = malloc(cut * 6 + 6);
        if (!buf)
                return NULL;
        if (flags & ESCAPE_QUOTE)
                buf[o++] = '"';
        for (size_t i = 0; i < cut; ) {
                uint32_t cp = 0;
                size_t l = utf8_decode(s + i, cut - i, &cp);
                o += escape_one(s + i, l, cp, flags, buf + o);
                i += l ?: 1;
        }
        if (flags & ESCAPE_QUOTE)
                buf[o++] = '"';
        if (cut < n) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = 0;
        return buf;
}

char *utf8_escape_invalid(const char *s) {
        size_t n = strlen(s), o = 0;
        char *buf = malloc(n * 3 + 1);  /* U+FFFD is 3 bytes */

        if (!buf)
                return NULL;
        for (size_t i = 0; i < n; ) {
                uint32_t cp;
                size_t l = utf8_decode(s + i, n - i, &cp);
                if (l == 0) {
                        o += utf8_encode(0xFFFD, buf + o);
                        i++;
                } else {
                        memcpy(buf + o, s + i, l);
                        o += l;
                        i += l;
                }
        }
        buf[o] = 0;
        return buf;
}
