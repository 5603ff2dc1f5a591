/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* time-util.h - microsecond clocks and timestamp formatting */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef uint64_t usec_t;
#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_PER_MSEC UINT64_C(1000)
#define NSEC_PER_USEC UINT64_C(1000)

usec_t now_usec(clockid_t clock);

/* "2026-11-26 08:21:33" in local time; ISO 8601 with offset when iso is set
 * ("2026-11-26T08:21:33+00:00"). Returns buf. */
char *format_timestamp(char *buf, size_t size, usec_t t, int iso);

#define USEC_PER_MINUTE (UINT64_C(60) * USEC_PER_SEC)
#define USEC_PER_HOUR   (UINT64_C(60) * USEC_PER_MINUTE)
#define USEC_PER_DAY    (UINT64_C(24) * USEC_PER_HOUR)
#define USEC_PER_WEEK   (UINT64_C(7) * USEC_PER_DAY)

/* A duration as systemd.time(7) writes it: numbers each followed by a unit
 * ("30min", "2h", "7d", "1w", "1h 30min"; us, ms, s, min, h, d, w, M (30.44
 * days), y (365.25 days), and their long names). A bare number is seconds.
 * -EINVAL if it is not one, -ERANGE if it overflows. */
int parse_duration(const char *s, usec_t *ret);
/* "2h 30min" (the largest units, at most two, rounded down). Returns buf. */
char *format_duration(char *buf, size_t size, usec_t d);
