/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-exec-handle.c - unit tests of the handles an external provider's list may name: only what stasisd makes */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "exec-list.h"
#include "macro.h"
#include "tests.h"

TEST(handle_parse_takes_what_stasisd_makes) {
        static const struct { const char *handle, *set_id; uint64_t index; } good[] = {
                { "stasis-1-0", "1", 0 },
                { "stasis-12-3", "12", 3 },
                { "stasis-2000000-63", "2000000", 63 },
                { "stasis-9223372036854775807-0", "9223372036854775807", 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                _cleanup_free_ char *id = NULL;
                uint64_t index = 99;
                CHECK_INTEQ(exec_handle_parse(good[i].handle, &id, &index), 0);
                CHECK_STREQ(id, good[i].set_id);
                CHECK(index == good[i].index);
        }
}

TEST(handle_parse_refuses_everything_else) {
        static const char *const bad[] = {
                "", "stasis-", "stasis-1", "stasis-1-", "stasis--0", "stasis-0-0", "stasis-01-0", "stasis-1-00",
                "stasis-1-64", "stasis-1-1000", "stasis-9223372036854775808-0", "stasis-99999999999999999999-0",
                "stasis-1-0 ", " stasis-1-0", "stasis-1-0\n", "stasis-1-0/..", "../stasis-1-0", "/stasis-1-0",
                "stasis-1-0.img", "stasis-+1-0", "stasis--1-0", "stasis-1--0", "stasis-1-0-0", "Stasis-1-0",
                "stasis-1-x", "stasis-x-0", "snap-1-0",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *id = NULL;
                uint64_t index = 99;
                if (exec_handle_parse(bad[i], &id, &index) != -EINVAL || id || index != 99) {
                        fprintf(stderr, "exec_handle_parse took \"%s\"\n", bad[i]);
                        free(id);
                        tests_failed++;
                        return;
                }
        }
}
