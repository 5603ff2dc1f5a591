/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-retention-timeline.c - which sets a policy's counts keep, against tables worked by hand */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "stasisd-retention-timeline.h"
#include "tests.h"

static void tz(const char *zone) {
        setenv("TZ", zone, 1);
        tzset();
}

/* Seconds since the epoch of a UTC time. */
static usec_t utc(int y, int mo, int d, int h, int mi) {
        struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
        return (usec_t) timegm(&tm) * USEC_PER_SEC;
}

/* The survivors as a string of set numbers (1-based), e.g. "2 4 5". */
static const char *survivors(const usec_t *created, size_t n, const RetentionRules *r, usec_t now) {
        static char buf[256];
        unsigned keep[64];
        size_t l = 0;

        retention_timeline(created, n, r, now, keep);
        buf[0] = 0;
        for (size_t i = 0; i < n; i++)
                if (keep[i])
                        l += (size_t) snprintf(buf + l, sizeof buf - l, "%s%zu", l ? " " : "", i + 1);
        return buf;
}

/* The example worked by hand in docs/retention.md ("A worked example"). */
TEST(worked_example) {
        tz("UTC");
        const usec_t sets[] = {
                utc(2026, 2, 27, 9, 0),         /* 1 */
                utc(2026, 3, 1, 10, 0),         /* 2 */
                utc(2026, 3, 1, 22, 0),         /* 3 */
                utc(2026, 3, 8, 10, 0),         /* 4 */
                utc(2026, 3, 9, 9, 0),          /* 5 */
                utc(2026, 3, 9, 18, 0),         /* 6 */
                utc(2026, 3, 10, 9, 0),         /* 7 */
                utc(2026, 3, 10, 10, 0),        /* 8 */
                utc(2026, 3, 10, 10, 30),       /* 9 */
                utc(2026, 3, 10, 11, 0),        /* 10 */
        };
        RetentionRules r = { .keep_last = 2, .hourly = 2, .daily = 3, .monthly = 1 };
        unsigned keep[10];

        CHECK_STREQ(survivors(sets, 10, &r, utc(2026, 3, 10, 12, 0)), "2 4 5 7 8 9 10");
        retention_timeline(sets, 10, &r, utc(2026, 3, 10, 12, 0), keep);
        CHECK(keep[9] == (KEEP_LAST | KEEP_HOURLY));
        CHECK(keep[8] == KEEP_LAST);
        CHECK(keep[7] == KEEP_HOURLY);
        CHECK(keep[6] == KEEP_DAILY);
        CHECK(keep[1] == KEEP_MONTHLY);
        CHECK(keep[0] == 0 && keep[2] == 0 && keep[5] == 0);

        /* ISO weeks run Monday to Sunday: week 11 from Monday 9 March
         * (set 5 first), week 10 to Sunday 8 March (set 4 alone), week 9
         * from Monday 23 February to Sunday 1 March (sets 1, 2, 3). */
        RetentionRules w = { .weekly = 2 };
        CHECK_STREQ(survivors(sets, 10, &w, utc(2026, 3, 10, 12, 0)), "4 5");
        w.weekly = 3;
        CHECK_STREQ(survivors(sets, 10, &w, utc(2026, 3, 10, 12, 0)), "1 4 5");
        /* Yearly=1: the first set of 2026. */
        RetentionRules y = { .yearly = 1 };
        CHECK_STREQ(survivors(sets, 10, &y, utc(2026, 3, 10, 12, 0)), "1");
}

TEST(keep_last_only) {
        tz("UTC");
        usec_t sets[10];
        for (int i = 0; i < 10; i++)
                sets[i] = utc(2026, 1, 1, i, 0);
        RetentionRules r = { .keep_last = 3 };
        CHECK_STREQ(survivors(sets, 10, &r, utc(2026, 1, 2, 0, 0)), "8 9 10");
        RetentionRules none = {};
        CHECK_STREQ(survivors(sets, 10, &none, utc(2026, 1, 2, 0, 0)), "");
}

TEST(min_age) {
        tz("UTC");
        usec_t sets[] = { utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 10, 30), utc(2026, 1, 1, 11, 30) };
        RetentionRules r = { .keep_last = 1, .min_age = 2 * USEC_PER_HOUR };
        unsigned keep[3];
        CHECK_STREQ(survivors(sets, 3, &r, utc(2026, 1, 1, 12, 0)), "2 3");
        retention_timeline(sets, 3, &r, utc(2026, 1, 1, 12, 0), keep);
        CHECK(keep[1] == KEEP_YOUNG);
        CHECK(keep[2] == (KEEP_LAST | KEEP_YOUNG));
}

/* Days are local days: Europe/Berlin is UTC+2 in summer, UTC+1 in winter. */
TEST(dst_local_days) {
        tz("Europe/Berlin");
        const usec_t sets[] = {
                utc(2026, 10, 24, 21, 30),      /* 23:30 CEST, Saturday 24 */
                utc(2026, 10, 24, 22, 30),      /* 00:30 CEST, Sunday 25: summer time ends at 03:00 */
                utc(2026, 10, 25, 23, 30),      /* 00:30 CET, Monday 26 */
        };
        RetentionRules r = { .daily = 2 };
        CHECK_STREQ(survivors(sets, 3, &r, utc(2026, 10, 26, 12, 0)), "2 3");
        /* In UTC the first two fall on one day. */
        tz("UTC");
        CHECK_STREQ(survivors(sets, 3, &r, utc(2026, 10, 26, 12, 0)), "1 3");
}

/* The hour repeated when summer time ends is two hours; the hour skipped
 * when it begins is none. */
TEST(dst_hours) {
        tz("Europe/Berlin");
        const usec_t autumn[] = {
                utc(2026, 10, 25, 0, 10),       /* 02:10 CEST */
                utc(2026, 10, 25, 0, 40),       /* 02:40 CEST */
                utc(2026, 10, 25, 1, 10),       /* 02:10 CET: the same clock hour again */
                utc(2026, 10, 25, 1, 40),       /* 02:40 CET */
        };
        RetentionRules r = { .hourly = 2 };
        CHECK_STREQ(survivors(autumn, 4, &r, utc(2026, 10, 25, 3, 0)), "1 3");
        RetentionRules one = { .hourly = 1 };
        CHECK_STREQ(survivors(autumn, 4, &one, utc(2026, 10, 25, 3, 0)), "3");

        const usec_t spring[] = {
                utc(2026, 3, 29, 0, 30),        /* 01:30 CET */
                utc(2026, 3, 29, 1, 30),        /* 03:30 CEST: 02:00 to 03:00 does not exist */
                utc(2026, 3, 29, 2, 30),        /* 04:30 CEST */
        };
        CHECK_STREQ(survivors(spring, 3, &r, utc(2026, 3, 29, 3, 0)), "2 3");
        /* The short day is one day. */
        RetentionRules d = { .daily = 1 };
        CHECK_STREQ(survivors(spring, 3, &d, utc(2026, 3, 29, 3, 0)), "1");
}

/* The clock was stepped back after set 2: set 3 was made after it but
 * carries an earlier time. KeepLast= counts the order they were made in;
 * the timeline counts their times; a set "from the future" is kept. */
TEST(clock_stepped_back) {
        tz("UTC");
        const usec_t sets[] = {
                utc(2026, 5, 1, 10, 0),         /* 1 */
                utc(2026, 5, 1, 11, 0),         /* 2 */
                utc(2026, 5, 1, 10, 30),        /* 3, made after 2 */
        };
        RetentionRules last = { .keep_last = 1 };
        CHECK_STREQ(survivors(sets, 3, &last, utc(2026, 5, 1, 11, 10)), "3");
        RetentionRules hourly = { .hourly = 1 };
        CHECK_STREQ(survivors(sets, 3, &hourly, utc(2026, 5, 1, 11, 10)), "2");
        RetentionRules hourly2 = { .hourly = 2 };
        CHECK_STREQ(survivors(sets, 3, &hourly2, utc(2026, 5, 1, 11, 10)), "1 2");

        /* Now is before set 2: it is kept whatever the rules say. */
        unsigned keep[3];
        RetentionRules none = {};
        CHECK_STREQ(survivors(sets, 3, &none, utc(2026, 5, 1, 10, 45)), "2");
        retention_timeline(sets, 3, &none, utc(2026, 5, 1, 10, 45), keep);
        CHECK(keep[1] == KEEP_FUTURE);
}

TEST(describe) {
        char buf[128];
        CHECK_STREQ(retention_keep_describe(buf, sizeof buf, KEEP_LAST | KEEP_DAILY), "last, daily");
        CHECK_STREQ(retention_keep_describe(buf, sizeof buf, 0), "");
}

/* Durations as systemd.time(7) writes them (--expire-after, MinAge=). */
TEST(durations) {
        usec_t d;
        CHECK(parse_duration("30min", &d) == 0 && d == 30 * USEC_PER_MINUTE);
        CHECK(parse_duration("2h", &d) == 0 && d == 2 * USEC_PER_HOUR);
        CHECK(parse_duration("7d", &d) == 0 && d == 7 * USEC_PER_DAY);
        CHECK(parse_duration("1w", &d) == 0 && d == USEC_PER_WEEK);
        CHECK(parse_duration("1h 30min", &d) == 0 && d == 90 * USEC_PER_MINUTE);
        CHECK(parse_duration("1h30m", &d) == 0 && d == 90 * USEC_PER_MINUTE);
        CHECK(parse_duration("90", &d) == 0 && d == 90 * USEC_PER_SEC);
        CHECK(parse_duration("5 days", &d) == 0 && d == 5 * USEC_PER_DAY);
        CHECK(parse_duration("500ms", &d) == 0 && d == 500 * USEC_PER_MSEC);
        CHECK(parse_duration("1M", &d) == 0 && d == 2629800 * USEC_PER_SEC);
        CHECK(parse_duration("", &d) == -EINVAL);
        CHECK(parse_duration("h", &d) == -EINVAL);
        CHECK(parse_duration("3 fortnights", &d) == -EINVAL);
        CHECK(parse_duration("-1h", &d) == -EINVAL);
        CHECK(parse_duration("99999999999999999999", &d) == -ERANGE);
        CHECK(parse_duration("9999999999999y", &d) == -ERANGE);

        char buf[64];
        CHECK_STREQ(format_duration(buf, sizeof buf, 90 * USEC_PER_MINUTE), "1h 30min");
        CHECK_STREQ(format_duration(buf, sizeof buf, 8 * USEC_PER_DAY + 5), "1w 1d");
        CHECK_STREQ(format_duration(buf, sizeof buf, 0), "0");
}
