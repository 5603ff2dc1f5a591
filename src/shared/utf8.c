/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* utf8.c - UTF-8 decoding and the checks for text that callers hand to stasisd */
#include <errno.h>
#include <string.h>

#include "utf8.h"

size_t utf8_decode(const char *str, size_t n, uint32_t *ret) {
        const unsigned char *s = (const unsigned char *) str;
        uint32_t cp, min;
        size_t len;

        if (n == 0)
                return 0;
        if (s[0] < 0x80) {
                *ret = s[0];
                return 1;
        } else if ((s[0] & 0xE0) == 0xC0) {
                cp = s[0] & 0x1F, len = 2, min = 0x80;
        } else if ((s[0] & 0xF0) == 0xE0) {
                cp = s[0] & 0x0F, len = 3, min = 0x800;
        } else if ((s[0] & 0xF8) == 0xF0) {
                cp = s[0] & 0x07, len = 4, min = 0x10000;
        } else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        *ret = cp;
        return len;
}

size_t utf8_encode(uint32_t cp, char *out) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

size_t utf8_invalid_offset(const char *s, size_t n) {
        size_t i = 0;
        while (i < n) {
                uint32_t cp;
                size_t l = utf8_decode(s + i, n - i, &cp);
                if (l == 0)
                        return i;
                i += l;
        }
        return n;
}

bool utf8_is_valid(const char *s) {
        return utf8_is_valid_n(s, strlen(s));
}

size_t utf8_length(const char *s) {
        size_t n = strlen(s), chars = 0;
        for (size_t i = 0; i < n; chars++) {
                uint32_t cp;
                size_t l = utf8_decode(s + i, n - i, &cp);
                if (l == 0)
                        return SIZE_MAX;
                i += l;
        }
        return chars;
}

/* Where s[0..n) ends if a sequence cut short at its end is dropped. */
static size_t complete_end(const char *s, size_t n) {
        size_t i = n;

        /* Back over continuation bytes to the lead byte of the last sequence. */
        while (i > 0 && n - i < 3 && ((unsigned char) s[i - 1] & 0xC0) == 0x80)
                i--;
        if (i > 0) {
                unsigned char lead = (unsigned char) s[i - 1];
                size_t want = lead >= 0xF8 ? 0 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
                if (want > n - i + 1)
                        return i - 1;
        }
        return n;
}

size_t utf8_prefix_len(const char *s, size_t max) {
        size_t n = strnlen(s, max);
        return s[n] == 0 ? n : complete_end(s, n);
}

void utf8_trim_incomplete(char *s) {
        s[complete_end(s, strlen(s))] = 0;
}

int utf8_check_text(const char *s, uint32_t *ret_char, size_t *ret_offset) {
        size_t n = strlen(s);

        for (size_t i = 0; i < n; ) {
                uint32_t cp;
                size_t l = utf8_decode(s + i, n - i, &cp);
                int r = 0;

                if (l == 0) {
                        cp = (unsigned char) s[i];
                        r = -EILSEQ;
                } else if (unichar_is_unsafe(cp))
                        r = -EINVAL;
                if (r < 0) {
                        if (ret_char)
                                *ret_char = cp;
                        if (ret_offset)
                                *ret_offset = i;
                        return r;
                }
                i += l;
        }
        return 0;
}
