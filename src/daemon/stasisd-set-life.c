/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-life.c - the making of a set: which step follows which, decided in one place */
#include <assert.h>
#include <errno.h>

#include "bus-errors.h"
#include "log.h"
#include "macro.h"
#include "stasisd-set-commit.h"
#include "stasisd-set-life.h"
#include "stasisd-set-metadata.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"

/* Writers failed the set before its turn: it goes, with its record. */
static void set_fail_now(Set *s) {
        set_writers_abort_all(s, s->writers_failed);
        log_error("Set %s failed: %s", s->id, s->writers_failed);
        set_reply_error(s, s->writers_retryable ? STASIS_ERROR_WRITER_RETRYABLE : STASIS_ERROR_WRITER_FAILED,
                        "Creating", s->writers_failed);
        set_remove(s);
}

void set_life_hold_ended(Set *s) {
        assert(s);
        set_metadata_hold_ended(s);
        if (s->phase == SET_PHASE_FAILING)
                set_fail_now(s);
}

/* Nothing was taken (required writers failed, or the commit could not
 * start): the set goes, and its turn with it. */
static void set_give_up(Set *s) {
        Manager *m = s->manager;

        if (s->writers_failed) {
                log_error("Set %s failed: %s", s->id, s->writers_failed);
                set_reply_error(s, s->writers_retryable ? STASIS_ERROR_WRITER_RETRYABLE : STASIS_ERROR_WRITER_FAILED,
                                "Creating", s->writers_failed);
                set_remove(s);
        } else
                set_commit_failed_to_start(s, s->commit.error);
        m->committing = NULL;
        manager_hold_ended(m);
        manager_commit_next(m);
}

/* The step of the set's phase is over: the next one. This switch is the
 * table of docs/HACKING.md. */
static void set_step_done(Set *s) {
        Manager *m = s->manager;
        int r;

        switch (s->phase) {

        case SET_PHASE_PREPARING:       /* PrepareSnapshot answered */
                if (set_writers_check(s)) {
                        set_enter(s, SET_PHASE_FAILING);
                        /* No catalog writes during another set's hold: then at its end. */
                        if (!m->holding)
                                set_fail_now(s);
                        return;
                }
                set_writers_abort_failed(s);
                set_queue_commit(s, set_step_done);
                return;

        case SET_PHASE_QUEUED:          /* its turn */
                if (s->n_writers > 0) {
                        set_enter(s, SET_PHASE_FREEZING);
                        set_writers_freeze(s, set_step_done);
                        return;
                }
                r = set_start_commit(s, set_step_done);
                if (r < 0)
                        set_commit_failed_to_start(s, r);
                return;

        case SET_PHASE_FREEZING:        /* every level froze, or nothing is to be taken */
                if (s->commit.outcome == COMMIT_NONE) {
                        r = set_start_commit(s, set_step_done);
                        if (r >= 0)
                                return;
                        s->commit = (CommitResult) { .outcome = COMMIT_NOT_STARTED, .error = r };
                }
                set_enter(s, SET_PHASE_THAWING);
                set_writers_thaw(s, set_step_done);
                return;

        case SET_PHASE_COMMITTING:      /* the commit's result (with a hold: the hold is over) */
                if (s->n_writers == 0) {
                        set_commit_finished(s);
                        return;
                }
                /* The turn stays the set's until the writers are thawed and told. */
                set_writers_check_window(s);
                set_enter(s, SET_PHASE_THAWING);
                set_writers_thaw(s, set_step_done);     /* may free s */
                manager_hold_ended(m);
                return;

        case SET_PHASE_THAWING:         /* the writers are thawed */
                if (s->commit.outcome == COMMIT_SUCCEEDED && !set_writers_check(s) &&
                    set_writers_post_snapshot(s, set_step_done) >= 0) {
                        set_enter(s, SET_PHASE_POST_SNAPSHOT);
                        return;
                }
                __attribute__((fallthrough));

        case SET_PHASE_POST_SNAPSHOT: { /* every writer event of the making is over */
                char msg[1024];
                if (set_writers_check(s))
                        set_writers_finish(s, s->writers_failed);
                else if (s->commit.outcome != COMMIT_SUCCEEDED) {
                        set_commit_describe(s, msg, sizeof msg);
                        set_writers_finish(s, msg);
                } else
                        set_writers_finish(s, NULL);
                if (s->commit.outcome == COMMIT_SKIPPED || s->commit.outcome == COMMIT_NOT_STARTED)
                        set_give_up(s);
                else
                        set_commit_finished(s);
                return;
        }

        default:
                log_error("Set %s: a step ended in phase %s; this is a bug.", s->id,
                          strna(set_phase_to_string(s->phase)));
                assert(!"a step ended in a phase that has none");
        }
}

int set_life_start(Set *s) {
        assert(s);
        assert(s->phase == SET_PHASE_NEW);

        if (s->n_writers == 0) {
                set_queue_commit(s, set_step_done);
                return 0;
        }
        set_enter(s, SET_PHASE_PREPARING);
        return set_writers_prepare(s, set_step_done);
}
