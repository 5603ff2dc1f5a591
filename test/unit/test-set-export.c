/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-set-export.c - unit tests of the size estimate of a set's properties on the bus, and of the cuts that bound it */
#include <stdlib.h>
#include <string.h>

#include "echo.h"
#include "stasisd-set-export.h"
#include "stasisd-strings.h"
#include "tests.h"

TEST(bus_string_size) {
        CHECK(bus_string_size(NULL) == 0);
        CHECK(bus_string_size("") == 0);
        CHECK(bus_string_size("abc") == 3);
        CHECK(bus_string_size("\xf0\x9d\x94\xb5") == 4);
        /* Each byte that is not UTF-8 is sent as U+FFFD, 3 bytes. */
        CHECK(bus_string_size("a\xff" "b") == 5);
        CHECK(bus_string_size("\xf0\x9d\x94") == 9);
        /* As long as what bus_string() makes. */
        char *tmp = NULL;
        const char *s = bus_string("x\xc3(\xfe", &tmp);
        CHECK(s && strlen(s) == bus_string_size("x\xc3(\xfe"));
        free(tmp);
}

TEST(component_reason_cut) {
        char error[2000];
        memset(error, 'e', sizeof error - 1);
        error[sizeof error - 1] = 0;
        char *r = set_component_reason("redis@main", error);
        CHECK(r);
        CHECK(strlen(r) == SET_COMPONENT_REASON_MAX + strlen(ECHO_ELLIPSIS));
        CHECK(strncmp(r, "writer redis@main eee", 21) == 0);
        free(r);
        r = set_component_reason("redis@main", "vetoed Freeze: lagging");
        CHECK_STREQ(r, "writer redis@main vetoed Freeze: lagging");
        free(r);
}

TEST(estimate_grows_with_volumes) {
        char path[4000];
        memset(path, 'p', sizeof path - 1);
        path[sizeof path - 1] = 0;
        StasisVolume v[2] = {
                { .path = (char *) "/a", .mount_point = (char *) "/", .device = (char *) "/dev/x",
                  .fstype = (char *) "btrfs", .source = (char *) "/a" },
                { .path = path, .mount_point = path, .device = (char *) "/dev/x", .fstype = (char *) "btrfs",
                  .source = path, .handle = (char *) "h" },
        };
        size_t none = set_export_estimate_new("", NULL, 0, NULL, 0);
        size_t one = set_export_estimate_new("", v, 1, NULL, 0);
        size_t two = set_export_estimate_new("", v, 2, NULL, 0);
        /* The Error property counts at its longest in every set. */
        CHECK(none > SET_ERROR_MAX);
        /* A handle not chosen yet counts at the room kept for it. */
        CHECK(one - none >= SET_HANDLE_RESERVE + 8 * 8);
        CHECK(two - one >= 3 * (sizeof path - 1));
        /* A label that is not UTF-8 counts as sent. */
        CHECK(set_export_estimate_new("\xff\xff", NULL, 0, NULL, 0) - none == 6);
}
