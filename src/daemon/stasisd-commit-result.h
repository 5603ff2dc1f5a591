/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-commit-result.h - what a commit or removal worker reported, parsed once into a typed result */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"
#include "time-util.h"

typedef enum CommitOutcome {
        COMMIT_NONE,            /* no commit yet */
        COMMIT_SUCCEEDED,       /* every volume's snapshot exists */
        COMMIT_VOLUME_FAILED,   /* a provider failed on a volume; the worker removed what it made */
        COMMIT_TIMED_OUT,       /* the worker missed its deadline and was killed */
        COMMIT_HOLD_OVERRUN,    /* the hold outlived its limit: stasisd killed the worker and thawed */
        COMMIT_WORKER_FAILED,   /* the worker crashed, or sent a malformed result */
        COMMIT_NOT_STARTED,     /* the worker could not be started */
        COMMIT_SKIPPED,         /* required writers failed before it began */
        _COMMIT_OUTCOME_MAX,
} CommitOutcome;

typedef struct CommitResult {
        CommitOutcome outcome;
        int error;              /* VOLUME_FAILED: the provider's; NOT_STARTED: why; WORKER_FAILED: the
                                 * worker's status, or -EBADMSG for a malformed result */
        size_t volume;          /* VOLUME_FAILED: the index of the volume at fault */
        size_t size;            /* WORKER_FAILED: how many bytes it sent */
        usec_t hold_usec;       /* how long file systems were held (commit worker) */
        char message[STASIS_PROVIDER_MESSAGE_MAX];      /* VOLUME_FAILED: the provider's words */
} CommitResult;

const char *commit_outcome_to_string(CommitOutcome o);

/* Parses a worker's report: status as worker_done_t gives it; data, one
 * StasisProviderResult per volume, after a CommitHeader if with_header (a
 * commit worker; a removal worker sends none). The first failure that is
 * not -ECANCELED counts (ECANCELED marks the volumes given up because of
 * another's failure). A report of the wrong size, or with an error that is
 * not a negative errno, is malformed. Pure. */
void commit_result_parse(int status, const void *data, size_t size, size_t n_volumes, bool with_header,
                         CommitResult *ret);

/* What went wrong, for people: what is the step ("taking the snapshots");
 * deadline_usec the worker's time limit, hold_usec the hold's. */
void commit_result_describe(const CommitResult *r, const char *what, usec_t deadline_usec, usec_t hold_usec,
                            char *buf, size_t size);

/* Whether the worker may have left something behind that nobody knows of:
 * it died, hung or was killed before it could report. */
static inline bool commit_result_lost(const CommitResult *r) {
        return r->outcome == COMMIT_TIMED_OUT || r->outcome == COMMIT_HOLD_OVERRUN ||
               r->outcome == COMMIT_WORKER_FAILED;
}

/* Whether it failed because time ran out (the bus error is then Timeout). */
static inline bool commit_result_timed_out(const CommitResult *r) {
        return r->outcome == COMMIT_TIMED_OUT || r->outcome == COMMIT_HOLD_OVERRUN ||
               (r->outcome == COMMIT_VOLUME_FAILED && r->error == -ETIMEDOUT);
}
