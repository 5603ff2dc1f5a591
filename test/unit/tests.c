/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests.c - runs every TEST() linked into the binary, in order, and reports */
#include "tests.h"

int tests_failed = 0;

extern const struct test_case __start_test_cases[];
extern const struct test_case __stop_test_cases[];

int main(int argc, char *argv[]) {
        int n = 0;
        for (const struct test_case *t = __start_test_cases; t < __stop_test_cases; t++) {
                if (argc > 1 && strcmp(argv[1], t->name) != 0)
                        continue;
                int before = tests_failed;
                t->fn();
                printf("%s %s\n", tests_failed == before ? "ok  " : "FAIL", t->name);
                n++;
        }
        printf("%d test(s), %d failed\n", n, tests_failed);
        return tests_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
