/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-spare.h - a commit worker started ahead, waiting for its job
 *
 * Forking the commit worker when a set is made costs the request its fork
 * (a copy of the daemon's 100 mappings), the copy-on-write faults after it
 * in both processes and the wait for the child to be scheduled. A spare is
 * forked ahead instead (at start, and a few milliseconds after the previous
 * one took its job), keeps only stdio, its result pipe and a socket, and
 * waits there for one job. The job carries everything the commit needs
 * (stasisd-spare-job.h): nothing is taken from the daemon's memory as it
 * was when the spare was forked. Once given its job the spare is an ordinary worker
 * (stasisd-worker.h): its deadline counts from then, it is killed at it, and
 * it runs that one job and exits. Only commits of volumes that are not held,
 * with built-in providers, go to a spare; the others fork as before. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "stasisd-spare-job.h"
#include "stasisd-worker.h"

typedef struct Spare Spare;

typedef struct SpareSlot {
        Spare *spare;           /* the one waiting, or NULL */
        unsigned failures;      /* spares in a row that could not be started or died waiting */
        bool disabled;          /* STASIS_COMMIT_SPARE=0, or too many failures */
        sd_event_source *refill;        /* spare_refill_soon()'s */
} SpareSlot;

/* Starts a spare if the slot has none (and spares are not disabled); the
 * second a moment later, once the caller is back in the event loop. */
void spare_refill(SpareSlot *slot, sd_event *e);
void spare_refill_soon(SpareSlot *slot, sd_event *e);

/* Gives job to the spare in the slot and watches it as a Worker with the
 * deadline timeout (see worker_spawn()). -EAGAIN when there is no spare
 * ready, or it could not be given the job (the slot is empty then);
 * -EINVAL when the job is not for a spare (spare_job_fits(), or larger
 * than one send). Call spare_refill_soon() after it, whatever it returned. */
int spare_take(SpareSlot *slot, sd_event *e, const SpareJob *job, usec_t timeout, worker_done_t done,
               void *userdata, Worker **ret);

/* Ends the waiting spare (it exits when its job socket closes). */
void spare_slot_done(SpareSlot *slot);
