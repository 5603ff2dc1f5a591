/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention-timeline.h - which sets a policy's counts keep (pure: no I/O, no clock) */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "time-util.h"

/* The counts of a policy's [Retention] section; 0: that rule keeps nothing. */
typedef struct RetentionRules {
        unsigned keep_last;
        unsigned hourly, daily, weekly, monthly, yearly;
        usec_t min_age;
} RetentionRules;

/* Why a set is kept: a mask; 0 means no rule keeps it. */
enum {
        KEEP_LAST    = 1 << 0,
        KEEP_HOURLY  = 1 << 1,
        KEEP_DAILY   = 1 << 2,
        KEEP_WEEKLY  = 1 << 3,
        KEEP_MONTHLY = 1 << 4,
        KEEP_YEARLY  = 1 << 5,
        KEEP_YOUNG   = 1 << 6,  /* younger than MinAge= */
        KEEP_FUTURE  = 1 << 7,  /* made "after" now: the clock was stepped back; its age is unknown */
};

/* Decides, for n sets in the order they were made (by id, oldest first),
 * created[i] their creation times (CLOCK_REALTIME), which the rules keep at
 * time now: ret_keep[i] gets the mask of the rules that keep set i.
 *
 * KeepLast= keeps the last N sets made (by id, whatever their clocks said).
 * Each timeline count keeps, in each of the last N periods (hours, days,
 * ISO weeks, months, years, in local time) that hold a set, the OLDEST set
 * of that period (as snapper does): the set that stands for a day is the
 * first one of that day, and it does not change as the day goes on. Hours
 * are told apart by their UTC offset too, so the repeated hour when summer
 * time ends is two hours. Periods are ordered by the sets' times, not their
 * ids, so a clock stepped back changes nothing but the order. */
void retention_timeline(const usec_t *created, size_t n, const RetentionRules *rules, usec_t now,
                        unsigned *ret_keep);

/* "last, daily" and so on: the names of the bits of keep; "" for 0. */
char *retention_keep_describe(char *buf, size_t size, unsigned keep);
