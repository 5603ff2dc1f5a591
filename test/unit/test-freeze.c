/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-freeze.c - unit tests of the freeze order: stacked file systems first */
#include <errno.h>
#include <sys/types.h>

#include "macro.h"
#include "stasisd-freeze.h"
#include "tests.h"

static ssize_t position(const size_t *order, size_t n, size_t target) {
        for (size_t i = 0; i < n; i++)
                if (order[i] == target)
                        return (ssize_t) i;
        return -1;
}

TEST(independent) {
        ssize_t lower[] = { -1, -1, -1 };
        size_t order[3];
        CHECK_INTEQ(freeze_order(lower, 3, order), 0);
        CHECK_INTEQ(order[0], 0);
        CHECK_INTEQ(order[1], 1);
        CHECK_INTEQ(order[2], 2);
}

TEST(stacked_chain) {
        /* 0 lies on 1, 1 lies on 2: freeze 0, then 1, then 2 */
        ssize_t lower[] = { 1, 2, -1 };
        size_t order[3];
        CHECK_INTEQ(freeze_order(lower, 3, order), 0);
        CHECK_INTEQ(order[0], 0);
        CHECK_INTEQ(order[1], 1);
        CHECK_INTEQ(order[2], 2);
}

TEST(stacked_reverse) {
        /* 2 lies on 0, 1 lies on 2 (nested twice): 1 before 2 before 0 */
        ssize_t lower[] = { -1, 2, 0, -1 };
        size_t order[4];
        CHECK_INTEQ(freeze_order(lower, 4, order), 0);
        CHECK(position(order, 4, 1) < position(order, 4, 2));
        CHECK(position(order, 4, 2) < position(order, 4, 0));
        CHECK(position(order, 4, 3) >= 0);
}

TEST(two_on_one) {
        /* 0 and 1 both lie on 2 */
        ssize_t lower[] = { 2, 2, -1 };
        size_t order[3];
        CHECK_INTEQ(freeze_order(lower, 3, order), 0);
        CHECK_INTEQ(order[2], 2);
}

TEST(cycle) {
        ssize_t lower[] = { 1, 0 };
        size_t order[2];
        CHECK_INTEQ(freeze_order(lower, 2, order), -ELOOP);
}

TEST(empty) {
        size_t order[1];
        CHECK_INTEQ(freeze_order(NULL, 0, order), 0);
}
