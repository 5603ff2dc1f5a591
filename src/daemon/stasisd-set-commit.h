/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-commit.h - taking a set's snapshots: the commit queue, the hold, the result */
#pragma once

#include <stddef.h>

#include "stasisd-set.h"

/* Queues the set (phase queued); turn(s) is called when its turn comes. */
void set_queue_commit(Set *s, set_step_done_t turn);
void set_commit_release(Set *s);        /* for set_free() */
/* Starts the next queued commit, if none is running. */
void manager_commit_next(Manager *m);

/* Starts the commit runner (phase committing); done(s) is called with its
 * result in s->commit (with a hold, once the hold is over). */
int set_start_commit(Set *s, set_step_done_t done);
/* The commit could not start: the set goes (answering its caller). */
void set_commit_failed_to_start(Set *s, int r);
/* The end of making a set: the slot is free again; s->commit is recorded
 * and answered (a failed commit cleans up). */
void set_commit_finished(Set *s);
/* Why s->commit failed, for people. */
void set_commit_describe(const Set *s, char *buf, size_t size);
const char *set_consistency(const Set *s);
