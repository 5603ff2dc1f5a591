/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* time-util.c - microsecond clocks and timestamp formatting */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "time-util.h"

usec_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (usec_t) ts.tv_sec * USEC_PER_SEC + (usec_t) ts.tv_nsec / NSEC_PER_USEC;
}

char *format_timestamp(char *buf, size_t size, usec_t t, int iso) {
        time_t sec = (time_t) (t / USEC_PER_SEC);
        struct tm tm;

        if (t == 0 || !localtime_r(&sec, &tm)) {
                snprintf(buf, size, "n/a");
                return buf;
        }
        if (iso) {
                char tz[8];
                strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
                strftime(tz, sizeof tz, "%z", &tm);   /* +hhmm -> +hh:mm */
                size_t l = strlen(buf);
                if (strlen(tz) == 5)
                        snprintf(buf + l, size - l, "%.3s:%s", tz, tz + 3);
        } else
                strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
        return buf;
}

static const struct {
        const char *name;
        usec_t usec;
} duration_units[] = {
        { "seconds", USEC_PER_SEC },
        { "second",  USEC_PER_SEC },
        { "sec",     USEC_PER_SEC },
        { "s",       USEC_PER_SEC },
        { "minutes", USEC_PER_MINUTE },
        { "minute",  USEC_PER_MINUTE },
        { "min",     USEC_PER_MINUTE },
        { "months",  2629800 * USEC_PER_SEC },
        { "month",   2629800 * USEC_PER_SEC },
        { "msec",    USEC_PER_MSEC },
        { "ms",      USEC_PER_MSEC },
        { "m",       USEC_PER_MINUTE },
        { "hours",   USEC_PER_HOUR },
        { "hour",    USEC_PER_HOUR },
        { "hr",      USEC_PER_HOUR },
        { "h",       USEC_PER_HOUR },
        { "days",    USEC_PER_DAY },
        { "day",     USEC_PER_DAY },
        { "d",       USEC_PER_DAY },
        { "weeks",   USEC_PER_WEEK },
        { "week",    USEC_PER_WEEK },
        { "w",       USEC_PER_WEEK },
        { "M",       2629800 * USEC_PER_SEC },
        { "years",   31557600 * USEC_PER_SEC },
        { "year",    31557600 * USEC_PER_SEC },
        { "y",       31557600 * USEC_PER_SEC },
        { "usec",    1 },
        { "us",      1 },
};

int parse_duration(const char *s, usec_t *ret) {
        usec_t total = 0;
        int parts = 0;

        if (!s)
                return -EINVAL;
        for (;;) {
                while (*s == ' ' || *s == '\t')
                        s++;
                if (!*s)
                        break;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                uint64_t n = 0;
                for (; isdigit((unsigned char) *s); s++) {
                        if (n > (UINT64_MAX - 9) / 10)
                                return -ERANGE;
                        n = n * 10 + (uint64_t) (*s - '0');
                }
                while (*s == ' ')
                        s++;
                usec_t unit = 0;
                size_t len = 0;
                for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
                        size_t l = strlen(duration_units[i].name);
                        if (strncmp(s, duration_units[i].name, l) == 0 && !isalpha((unsigned char) s[l])) {
                                unit = duration_units[i].usec;
                                len = l;
                                break;
                        }
                }
                if (unit == 0) {
                        if (isalpha((unsigned char) *s))
                                return -EINVAL;         /* a unit we do not know */
                        unit = USEC_PER_SEC;            /* a bare number: seconds */
                }
                s += len;
                if (n > UINT64_MAX / unit || total > UINT64_MAX - n * unit)
                        return -ERANGE;
                total += n * unit;
                parts++;
        }
        if (parts == 0)
                return -EINVAL;
        *ret = total;
        return 0;
}

char *format_duration(char *buf, size_t size, usec_t d) {
        static const struct {
                const char *name;
                usec_t usec;
        } units[] = {
                { "w", USEC_PER_WEEK }, { "d", USEC_PER_DAY }, { "h", USEC_PER_HOUR },
                { "min", USEC_PER_MINUTE }, { "s", USEC_PER_SEC }, { "ms", USEC_PER_MSEC }, { "us", 1 },
        };
        size_t l = 0;
        int shown = 0;

        buf[0] = 0;
        if (d == 0) {
                snprintf(buf, size, "0");
                return buf;
        }
        for (size_t i = 0; i < sizeof units / sizeof units[0] && shown < 2; i++) {
                if (d < units[i].usec)
                        continue;
                usec_t n = d / units[i].usec;
                d -= n * units[i].usec;
                l += (size_t) snprintf(buf + l, l < size ? size - l : 0, "%s%llu%s", shown ? " " : "",
                                       (unsigned long long) n, units[i].name);
                shown++;
                if (l >= size)
                        break;
        }
        return buf;
}
