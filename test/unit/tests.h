/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tests.h - a tiny unit test harness: TEST(name) { ... } and CHECK macros */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn_t)(void);
struct test_case {
        const char *name;
        test_fn_t fn;
};

extern int tests_failed;

#define TEST(n)                                                                 \
        static void test_##n(void);                                             \
        __attribute__((used, section("test_cases"), aligned(sizeof(void *))))  \
        static const struct test_case test_case_##n = { #n, test_##n };         \
        static void test_##n(void)

#define CHECK(expr)                                                             \
        do {                                                                    \
                if (!(expr)) {                                                  \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n",            \
                                __FILE__, __LINE__, #expr);                     \
                        tests_failed++;                                         \
                        return;                                                 \
                }                                                               \
        } while (0)

#define CHECK_STREQ(a, b)                                                       \
        do {                                                                    \
                const char *_a = (a), *_b = (b);                                \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                        \
                        fprintf(stderr, "%s:%d: CHECK_STREQ failed: %s = \"%s\", expected \"%s\"\n", \
                                __FILE__, __LINE__, #a, _a ? _a : "(null)", _b ? _b : "(null)"); \
                        tests_failed++;                                         \
                        return;                                                 \
                }                                                               \
        } while (0)

#define CHECK_INTEQ(a, b)                                                       \
        do {                                                                    \
                long long _a = (long long) (a), _b = (long long) (b);           \
                if (_a != _b) {                                                 \
                        fprintf(stderr, "%s:%d: CHECK_INTEQ failed: %s = %lld, expected %lld\n", \
                                __FILE__, __LINE__, #a, _a, _b);                \
                        tests_failed++;                                         \
                        return;                                                 \
                }                                                               \
        } while (0)
