/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* time-util.c - microsecond clocks and timestamp formatting */
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
