/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-clock.h - the time of day that sets are made and aged by, and its test-only stand-in */
#pragma once

#include "time-util.h"

/* CLOCK_REALTIME now; or, when test_clock names a file (stasisd
 * --test-clock=FILE, for tests only), the seconds since the epoch written
 * in it, read anew at every call (the real clock if it cannot be read). */
usec_t clock_realtime(const char *test_clock);
