/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-rcu.h - expedited RCU grace periods for the moments of FIFREEZE */
#pragma once

/* FIFREEZE spends most of its time waiting for RCU grace periods (one per
 * level of the super block's write lock), which normal grace periods make
 * tens of milliseconds on an idle virtual machine; expedited ones take a
 * fraction of a millisecond, at the price of an interrupt to every CPU. The
 * kernel's switch is /sys/kernel/rcu_expedited, for the whole system. */
#define RCU_EXPEDITED_PATH "/sys/kernel/rcu_expedited"

/* The switch as it is: 0 or 1, or a negative errno when it cannot be read
 * (no such file: a kernel without it). */
int rcu_expedited_get(void);

/* Turns expedited grace periods on and returns what the switch was (0 or 1),
 * so that rcu_expedite_end() can put it back; a negative errno if it cannot
 * (a read-only /sys, a kernel without the switch): freezing then simply
 * takes the usual time. */
int rcu_expedite_begin(void);

/* Puts the switch back to old (as rcu_expedite_begin() returned it): to 0
 * only if it was 0, nothing for a negative old. */
void rcu_expedite_end(int old);
