/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-life.h - the making of a set: which step follows which, decided in one place */
#pragma once

#include "stasisd-set.h"

/* A recorded set starts its making: with writers, phase preparing; without, queued. */
int set_life_start(Set *s);

/* Another set's hold ended: a set failing waits for that to write the catalog. */
void set_life_hold_ended(Set *s);
