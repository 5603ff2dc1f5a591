/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-clock.c - the time of day that sets are made and aged by, and its test-only stand-in */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "macro.h"
#include "stasisd-clock.h"

usec_t clock_realtime(const char *test_clock) {
        char buf[32];
        ssize_t n;

        if (!test_clock)
                return now_usec(CLOCK_REALTIME);
        _cleanup_close_ int fd = open(test_clock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0 || (n = read(fd, buf, sizeof buf - 1)) <= 0)
                return now_usec(CLOCK_REALTIME);
        buf[n] = 0;
        char *end;
        errno = 0;
        unsigned long long sec = strtoull(buf, &end, 10);
        if (errno || end == buf || sec > UINT64_MAX / USEC_PER_SEC)
                return now_usec(CLOCK_REALTIME);
        return (usec_t) sec * USEC_PER_SEC;
}
