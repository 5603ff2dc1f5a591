/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention-timeline.c - which sets a policy's counts keep (pure: no I/O, no clock) */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "stasisd-retention-timeline.h"

typedef enum Period {
        PERIOD_HOUR,
        PERIOD_DAY,
        PERIOD_WEEK,
        PERIOD_MONTH,
        PERIOD_YEAR,
        _PERIOD_MAX,
} Period;

/* A number naming the period (in local time) that t falls in. */
static int64_t period_key(usec_t t, Period p) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;
        char week[16];

        if (!localtime_r(&sec, &tm))
                return (int64_t) (t / USEC_PER_SEC);    /* cannot happen for a real time */
        int64_t y = tm.tm_year + 1900, mo = tm.tm_mon, d = tm.tm_mday;
        switch (p) {
        case PERIOD_HOUR:
                /* tm_gmtoff: the hour repeated when summer time ends is another hour. */
                return ((((y * 12 + mo) * 31 + d) * 24 + tm.tm_hour) * 100000) + tm.tm_gmtoff / 60 + 50000;
        case PERIOD_DAY:
                return (y * 12 + mo) * 31 + d;
        case PERIOD_WEEK:
                strftime(week, sizeof week, "%G%V", &tm);       /* ISO 8601 year and week */
                return strtoll(week, NULL, 10);
        case PERIOD_MONTH:
                return y * 12 + mo;
        case PERIOD_YEAR:
        default:
                return y;
        }
}

typedef struct Entry {
        usec_t created;
        size_t index;
} Entry;

static int entry_compare(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        if (x->created != y->created)
                return x->created < y->created ? -1 : 1;
        return x->index < y->index ? -1 : x->index > y->index;
}

void retention_timeline(const usec_t *created, size_t n, const RetentionRules *rules, usec_t now,
                        unsigned *ret_keep) {
        assert(created || n == 0);
        assert(rules);
        assert(ret_keep || n == 0);

        const unsigned counts[_PERIOD_MAX] = { rules->hourly, rules->daily, rules->weekly, rules->monthly,
                                               rules->yearly };
        const unsigned bits[_PERIOD_MAX] = { KEEP_HOURLY, KEEP_DAILY, KEEP_WEEKLY, KEEP_MONTHLY, KEEP_YEARLY };

        for (size_t i = 0; i < n; i++) {
                ret_keep[i] = 0;
                if (created[i] > now)
                        ret_keep[i] |= KEEP_FUTURE;
                else if (now - created[i] < rules->min_age)
                        ret_keep[i] |= KEEP_YOUNG;
                if (n - i <= rules->keep_last)
                        ret_keep[i] |= KEEP_LAST;
        }

        bool any = false;
        for (Period p = 0; p < _PERIOD_MAX; p++)
                any = any || counts[p] > 0;
        if (!any || n == 0)
                return;

        /* Oldest first by time; sets made in the future count too (they hold a period). */
        _cleanup_free_ Entry *e = malloc(n * sizeof(Entry));
        if (!e) {
                /* Out of memory: keep everything rather than guess. */
                for (size_t i = 0; i < n; i++)
                        ret_keep[i] |= KEEP_YOUNG;
                return;
        }
        for (size_t i = 0; i < n; i++)
                e[i] = (Entry) { created[i], i };
        qsort(e, n, sizeof(Entry), entry_compare);

        for (Period p = 0; p < _PERIOD_MAX; p++) {
                if (counts[p] == 0)
                        continue;
                /* From the newest back: each time the period changes, the
                 * set just passed was the oldest of its period. */
                unsigned periods = 0;
                for (size_t k = n; k > 0 && periods < counts[p]; k--) {
                        int64_t key = period_key(e[k - 1].created, p);
                        if (k > 1 && period_key(e[k - 2].created, p) == key)
                                continue;
                        ret_keep[e[k - 1].index] |= bits[p];
                        periods++;
                }
        }
}

char *retention_keep_describe(char *buf, size_t size, unsigned keep) {
        static const char *const names[] = { "last", "hourly", "daily", "weekly", "monthly", "yearly",
                                             "younger than MinAge=", "made after now (clock stepped back)" };
        size_t l = 0;

        assert(size > 0);
        buf[0] = 0;
        for (size_t b = 0; b < ELEMENTSOF(names); b++)
                if (keep & (1u << b) && l < size)
                        l += (size_t) snprintf(buf + l, size - l, "%s%s", l ? ", " : "", names[b]);
        return buf;
}
