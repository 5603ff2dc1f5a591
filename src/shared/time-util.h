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
