/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-echo.c - unit tests of echo_prefix(): short strings whole, long ones cut at a character, with "…" */
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "tests.h"

TEST(short_whole) {
        char buf[ECHO_SIZE(8)];
        const char *s = "12345678";
        CHECK(echo_prefix(s, 8, buf, sizeof buf) == s);
        CHECK_STREQ(echo_prefix(NULL, 8, buf, sizeof buf), "");
        CHECK_STREQ(echo_prefix("", 8, buf, sizeof buf), "");
}

TEST(long_cut) {
        char buf[ECHO_SIZE(8)];
        CHECK_STREQ(echo_prefix("123456789", 8, buf, sizeof buf), "12345678" ECHO_ELLIPSIS);
}

TEST(utf8_boundary) {
        char buf[ECHO_SIZE(8)];
        /* "aaaaaaa" and a 2-byte character across the cut: the character goes. */
        CHECK_STREQ(echo_prefix("aaaaaaa\xc3\xa9zz", 8, buf, sizeof buf), "aaaaaaa" ECHO_ELLIPSIS);
        /* A 4-byte character ending at the cut stays. */
        CHECK_STREQ(echo_prefix("aaaa\xf0\x9f\x98\x80zz", 8, buf, sizeof buf), "aaaa\xf0\x9f\x98\x80" ECHO_ELLIPSIS);
        /* Starting within the cut: it goes whole. */
        CHECK_STREQ(echo_prefix("aaaaaa\xf0\x9f\x98\x80", 8, buf, sizeof buf), "aaaaaa" ECHO_ELLIPSIS);
}

TEST(macro_and_dup) {
        char big[1000], *d;
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        CHECK(strlen(ECHO(big)) == ECHO_MAX + strlen(ECHO_ELLIPSIS));
        d = echo_strdup(big, 10);
        CHECK(d);
        CHECK_STREQ(d, "xxxxxxxxxx" ECHO_ELLIPSIS);
        free(d);
        d = echo_strdup("short", 10);
        CHECK_STREQ(d, "short");
        free(d);
}
