/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* utf8.h - UTF-8 decoding and the checks for text that callers hand to stasisd */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one UTF-8 sequence of at most n bytes into *ret: its length, or 0
 * if it is not valid (overlong, a surrogate, beyond U+10FFFF, cut short). */
size_t utf8_decode(const char *s, size_t n, uint32_t *ret);

/* Encodes cp (at most U+10FFFF, not a surrogate) into out (4 bytes at most);
 * returns the length. */
size_t utf8_encode(uint32_t cp, char *out);

/* The offset of the first byte of s[0..n) that is not valid UTF-8, or n. */
size_t utf8_invalid_offset(const char *s, size_t n);

static inline bool utf8_is_valid_n(const char *s, size_t n) {
        return utf8_invalid_offset(s, n) == n;
}
bool utf8_is_valid(const char *s);

/* Code points in a valid UTF-8 string, or SIZE_MAX if it is not valid. */
size_t utf8_length(const char *s);

/* The length of the longest prefix of s of at most max bytes that does not
 * end inside a UTF-8 sequence (for cutting text short). */
size_t utf8_prefix_len(const char *s, size_t max);

/* Drops a UTF-8 sequence cut short at the end of s (as snprintf() leaves
 * text it had to cut). */
void utf8_trim_incomplete(char *s);

/* C0 controls (U+0000-U+001F), DEL (U+007F) and C1 controls (U+0080-U+009F). */
static inline bool unichar_is_control(uint32_t cp) {
        return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* Unicode's Bidi_Control characters, which reorder what a terminal shows:
 * U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069. */
static inline bool unichar_is_bidi_control(uint32_t cp) {
        return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
               (cp >= 0x2066 && cp <= 0x2069);
}

/* A character that text shown to people must not carry as it is. */
static inline bool unichar_is_unsafe(uint32_t cp) {
        return unichar_is_control(cp) || unichar_is_bidi_control(cp);
}

/* Checks free text (a label, a description): valid UTF-8 without control
 * or bidi control characters. Returns 0, or -EILSEQ if it is not UTF-8
 * (*ret_char is then the bad byte) or -EINVAL for a control or bidi control
 * character (*ret_char is it); *ret_offset is where, in bytes. ret_char and
 * ret_offset may be NULL. */
int utf8_check_text(const char *s, uint32_t *ret_char, size_t *ret_offset);
