/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-escape.c - libFuzzer target for the UTF-8 checks and the escapes: what they give is always safe */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Escaped text is UTF-8 without any character a terminal acts on. */
static void check_safe(const char *e) {
        if (utf8_check_text(e, NULL, NULL) != 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1), *e;
        uint32_t c;
        size_t off, max;
        int r;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;            /* a D-Bus string or a path ends at the first NUL */

        r = utf8_check_text(s, &c, &off);
        if ((r == 0 && !utf8_is_valid(s)) || (r != 0 && off >= strlen(s)) ||
            (r == -EILSEQ && off != utf8_invalid_offset(s, strlen(s))) || (r == -EINVAL && !unichar_is_unsafe(c)))
                abort();

        for (EscapeFlags f = 0; f <= (ESCAPE_QUOTE | ESCAPE_KEEP_BACKSLASH); f++) {
                e = cescape_full(s, SIZE_MAX, f);
                if (e)
                        check_safe(e);
                free(e);
        }
        max = size > 0 ? data[0] % 16 : 0;
        e = cescape_full(s, max, ESCAPE_QUOTE);
        if (e)
                check_safe(e);
        free(e);

        off = utf8_prefix_len(s, max);
        if (off > max || (utf8_is_valid(s) && !utf8_is_valid_n(s, off)))
                abort();

        e = utf8_escape_invalid(s);
        if (e && (!utf8_is_valid(e) || (utf8_is_valid(s) && strcmp(e, s) != 0)))
                abort();
        free(e);
        free(s);
        return 0;
}
