/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-deleted.h - the writers of a set hear that it is gone (SetDeleted, one-way) */
#pragma once

#include "stasisd-set.h"

/* Sends SetDeleted, without waiting for an answer, to each writer of the
 * set's components that is registered now and asked for it. */
void set_tell_writers_deleted(Set *s);
