/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-utf8.c - unit tests of the UTF-8 and text checks and of the escapes for people and for D-Bus */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "escape.h"
#include "utf8.h"
#include "tests.h"

TEST(utf8_valid) {
        CHECK(utf8_is_valid(""));
        CHECK(utf8_is_valid("/srv/data"));
        CHECK(utf8_is_valid("/srv/d\xc3\xa4ta/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80"));
        CHECK(!utf8_is_valid("/srv/bad\xff"));
        CHECK(!utf8_is_valid("\xc3"));                  /* cut short */
        CHECK(!utf8_is_valid("\xc0\xaf"));              /* overlong '/' */
        CHECK(!utf8_is_valid("\xe0\x80\xaf"));          /* overlong '/' */
        CHECK(!utf8_is_valid("\xed\xa0\x80"));          /* a surrogate, U+D800 */
        CHECK(!utf8_is_valid("\xed\xb3\xbf"));          /* U+DCFF, as Python's surrogateescape makes */
        CHECK(!utf8_is_valid("\xf4\x90\x80\x80"));      /* beyond U+10FFFF */
        CHECK(!utf8_is_valid("\x80"));                  /* a lone continuation byte */
        CHECK_INTEQ(utf8_invalid_offset("ab\xfe" "cd", 5), 2);
        CHECK_INTEQ(utf8_length("a\xc3\xa4\xe2\x80\xae"), 3);
        CHECK_INTEQ(utf8_length("a\xff"), SIZE_MAX);
}

TEST(utf8_prefix_len) {
        CHECK_INTEQ(utf8_prefix_len("abc", 10), 3);
        CHECK_INTEQ(utf8_prefix_len("abcdef", 3), 3);
        CHECK_INTEQ(utf8_prefix_len("a\xc3\xa4" "b", 2), 1);            /* not half of the a-umlaut */
        CHECK_INTEQ(utf8_prefix_len("a\xc3\xa4" "b", 3), 3);
        CHECK_INTEQ(utf8_prefix_len("a\xf0\x9f\x98\x80" "b", 4), 1);
        CHECK_INTEQ(utf8_prefix_len("a\xf0\x9f\x98\x80" "b", 5), 5);
        CHECK_INTEQ(utf8_prefix_len("\xe2\x80\xae", 0), 0);

        char cut[] = "ab\xe2\x80";
        utf8_trim_incomplete(cut);
        CHECK_STREQ(cut, "ab");
        char whole[] = "ab\xe2\x80\xae";
        utf8_trim_incomplete(whole);
        CHECK_STREQ(whole, "ab\xe2\x80\xae");
        char lead[] = "x\xf0";
        utf8_trim_incomplete(lead);
        CHECK_STREQ(lead, "x");
}

TEST(utf8_check_text) {
        uint32_t c = 0;
        size_t off = 0;

        CHECK_INTEQ(utf8_check_text("nightly backup, caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", &c, &off), 0);
        CHECK_INTEQ(utf8_check_text("", NULL, NULL), 0);
        CHECK_INTEQ(utf8_check_text("a\x1b[31m", &c, &off), -EINVAL);
        CHECK_INTEQ(c, 0x1b);
        CHECK_INTEQ(off, 1);
        CHECK_INTEQ(utf8_check_text("tab\there", &c, &off), -EINVAL);
        CHECK_INTEQ(utf8_check_text("del\x7f", &c, &off), -EINVAL);
        CHECK_INTEQ(c, 0x7f);
        CHECK_INTEQ(utf8_check_text("c1 \xc2\x9b" "31m", &c, &off), -EINVAL);         /* U+009B, CSI */
        CHECK_INTEQ(c, 0x9b);
        CHECK_INTEQ(off, 3);
        CHECK_INTEQ(utf8_check_text("ok\xc2\xa0nbsp", NULL, NULL), 0);                /* U+00A0 is fine */
        static const uint32_t bidi[] = { 0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
                                         0x2066, 0x2067, 0x2068, 0x2069 };
        for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
                char s[8] = "x";
                s[1 + utf8_encode(bidi[i], s + 1)] = 0;
                CHECK_INTEQ(utf8_check_text(s, &c, &off), -EINVAL);
                CHECK_INTEQ(c, bidi[i]);
                CHECK_INTEQ(off, 1);
        }
        CHECK_INTEQ(utf8_check_text("\xe2\x80\x8d", NULL, NULL), 0);                  /* U+200D ZWJ is not bidi */
        CHECK_INTEQ(utf8_check_text("bad\xff", &c, &off), -EILSEQ);
        CHECK_INTEQ(c, 0xff);
        CHECK_INTEQ(off, 3);
}

#define CHECK_ESCAPE(in, max, flags, want)                      \
        do {                                                    \
                char *_e = cescape_full((in), (max), (flags));  \
                CHECK(_e);                                      \
                int _ok = strcmp(_e, (want)) == 0;              \
                if (!_ok)                                       \
                        fprintf(stderr, "got \"%s\"\n", _e);    \
                free(_e);                                       \
                CHECK(_ok);                                     \
        } while (0)

TEST(cescape) {
        CHECK_ESCAPE("", SIZE_MAX, 0, "");
        CHECK_ESCAPE("/srv/plain", SIZE_MAX, 0, "/srv/plain");
        CHECK_ESCAPE("/srv/\x1b[31mred", SIZE_MAX, 0, "/srv/\\e[31mred");
        CHECK_ESCAPE("a\tb\nc\rd\a\b\v\f", SIZE_MAX, 0, "a\\tb\\nc\\rd\\a\\b\\v\\f");
        CHECK_ESCAPE("\x01\x7f", SIZE_MAX, 0, "\\x01\\x7f");
        CHECK_ESCAPE("back\\slash", SIZE_MAX, 0, "back\\\\slash");
        CHECK_ESCAPE("back\\slash", SIZE_MAX, ESCAPE_KEEP_BACKSLASH, "back\\slash");
        CHECK_ESCAPE("bad\xff\xfe", SIZE_MAX, 0, "bad\\xff\\xfe");
        CHECK_ESCAPE("c1\xc2\x9b" "1m", SIZE_MAX, 0, "c1\\u009b1m");
        CHECK_ESCAPE("evil\xe2\x80\xae" "txt.exe", SIZE_MAX, 0, "evil\\u202etxt.exe");
        CHECK_ESCAPE("caf\xc3\xa9 \xe6\x97\xa5", SIZE_MAX, 0, "caf\xc3\xa9 \xe6\x97\xa5");
        CHECK_ESCAPE("say \"hi\"", SIZE_MAX, 0, "say \"hi\"");
        CHECK_ESCAPE("say \"hi\"", SIZE_MAX, ESCAPE_QUOTE, "\"say \\\"hi\\\"\"");
        CHECK_ESCAPE("abcdef", 3, ESCAPE_QUOTE, "\"abc\"...");
        CHECK_ESCAPE("a\xc3\xa4" "bc", 2, 0, "a...");
        CHECK_ESCAPE("\xff\xff\xff\xff", 2, 0, "\\xff\\xff...");
        /* A string cut short is still UTF-8 when escaped. */
        char *e = cescape_full("\xe6\x97\xa5\xe6\x97\xa5", 4, 0);
        CHECK(e && utf8_is_valid(e));
        free(e);
}

TEST(utf8_escape_invalid) {
        char *e = utf8_escape_invalid("/srv/bad\xff\xfe/ok\xc3\xa4");
        CHECK_STREQ(e, "/srv/bad\xef\xbf\xbd\xef\xbf\xbd/ok\xc3\xa4");
        free(e);
        e = utf8_escape_invalid("\x1b[31m fine \\x");   /* only what is not UTF-8 changes */
        CHECK_STREQ(e, "\x1b[31m fine \\x");
        free(e);
        e = utf8_escape_invalid("\xed\xa0\x80");
        CHECK(e && utf8_is_valid(e));
        free(e);
}
