/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-set-phase.c - unit tests of a set's phases: every move the table lists, and no other */
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "stasisd-set.h"
#include "stasisd-set-phase.h"
#include "tests.h"

#define N _SET_PHASE_MAX

/* The table of docs/HACKING.md: from, to, on which event. */
static const struct {
        SetPhase from, to;
        const char *event;
} moves[] = {
        { SET_PHASE_NEW,            SET_PHASE_PREPARING,      "recorded, with writers: PrepareBackup sent" },
        { SET_PHASE_NEW,            SET_PHASE_QUEUED,         "recorded, without writers" },
        { SET_PHASE_PREPARING,      SET_PHASE_QUEUED,         "PrepareSnapshot answered" },
        { SET_PHASE_PREPARING,      SET_PHASE_FAILING,        "a required writer failed" },
        { SET_PHASE_PREPARING,      SET_PHASE_REMOVED,        "PrepareBackup cannot be sent" },
        { SET_PHASE_QUEUED,         SET_PHASE_FREEZING,       "its turn, with writers" },
        { SET_PHASE_QUEUED,         SET_PHASE_COMMITTING,     "its turn, without writers: worker started" },
        { SET_PHASE_QUEUED,         SET_PHASE_REMOVED,        "the worker cannot start" },
        { SET_PHASE_FREEZING,       SET_PHASE_COMMITTING,     "every level froze: worker started" },
        { SET_PHASE_FREEZING,       SET_PHASE_THAWING,        "a required writer failed, or the worker cannot start" },
        { SET_PHASE_QUEUED,         SET_PHASE_EXTERNAL_FROZEN, "an external set's turn, without writers: answered" },
        { SET_PHASE_FREEZING,       SET_PHASE_EXTERNAL_FROZEN, "an external set: every level froze: answered" },
        { SET_PHASE_EXTERNAL_FROZEN, SET_PHASE_THAWING,       "ThawExternal, or the freeze window passed" },
        { SET_PHASE_EXTERNAL_FROZEN, SET_PHASE_IDLE,          "the same, without writers: recorded" },
        { SET_PHASE_COMMITTING,     SET_PHASE_THAWING,        "commit result, with writers" },
        { SET_PHASE_COMMITTING,     SET_PHASE_IDLE,           "commit succeeded, recorded" },
        { SET_PHASE_COMMITTING,     SET_PHASE_DELETE_WAITING, "not recordable, or worker lost and gone" },
        { SET_PHASE_COMMITTING,     SET_PHASE_REMOVED,        "a volume failed (rolled back)" },
        { SET_PHASE_COMMITTING,     SET_PHASE_REAPING,        "worker lost, not gone yet" },
        { SET_PHASE_THAWING,        SET_PHASE_POST_SNAPSHOT,  "thawed, commit succeeded: PostSnapshot sent" },
        { SET_PHASE_THAWING,        SET_PHASE_IDLE,           "thawed, created (PostSnapshot not sendable)" },
        { SET_PHASE_THAWING,        SET_PHASE_DELETE_WAITING, "thawed, a required writer failed after the commit" },
        { SET_PHASE_THAWING,        SET_PHASE_REMOVED,        "thawed, nothing was taken" },
        { SET_PHASE_THAWING,        SET_PHASE_REAPING,        "thawed, worker lost, not gone yet" },
        { SET_PHASE_POST_SNAPSHOT,  SET_PHASE_IDLE,           "PostSnapshot answered, created" },
        { SET_PHASE_POST_SNAPSHOT,  SET_PHASE_DELETE_WAITING, "a required writer failed at PostSnapshot" },
        { SET_PHASE_IDLE,           SET_PHASE_DELETING,       "Delete, release, or start-up clean-up" },
        { SET_PHASE_FAILING,        SET_PHASE_REMOVED,        "no hold (any more)" },
        { SET_PHASE_REAPING,        SET_PHASE_DELETE_WAITING, "the worker is gone" },
        { SET_PHASE_DELETE_WAITING, SET_PHASE_DELETING,       "the hold ended, or the retry timer" },
        { SET_PHASE_DELETING,       SET_PHASE_DELETE_WAITING, "a removal failed" },
        { SET_PHASE_DELETING,       SET_PHASE_REMOVED,        "every snapshot removed" },
};

static bool listed(SetPhase from, SetPhase to) {
        for (size_t i = 0; i < ELEMENTSOF(moves); i++)
                if (moves[i].from == from && moves[i].to == to)
                        return true;
        return false;
}

TEST(every_listed_move_is_allowed) {
        for (size_t i = 0; i < ELEMENTSOF(moves); i++) {
                if (!set_phase_transition_allowed(moves[i].from, moves[i].to))
                        fprintf(stderr, "refused: %s -> %s (%s)\n", set_phase_to_string(moves[i].from),
                                set_phase_to_string(moves[i].to), moves[i].event);
                CHECK(set_phase_transition_allowed(moves[i].from, moves[i].to));
        }
}

TEST(no_other_move_is_allowed) {
        for (int f = 0; f < N; f++)
                for (int t = 0; t < N; t++) {
                        bool allowed = set_phase_transition_allowed((SetPhase) f, (SetPhase) t);
                        if (allowed != listed((SetPhase) f, (SetPhase) t))
                                fprintf(stderr, "%s -> %s: allowed %d, listed %d\n", set_phase_to_string(f),
                                        set_phase_to_string(t), allowed, !allowed);
                        CHECK(allowed == listed((SetPhase) f, (SetPhase) t));
                }
        CHECK(!set_phase_transition_allowed(_SET_PHASE_INVALID, SET_PHASE_QUEUED));
        CHECK(!set_phase_transition_allowed(SET_PHASE_NEW, _SET_PHASE_MAX));
        CHECK(!set_phase_transition_allowed(SET_PHASE_NEW, _SET_PHASE_INVALID));
}

/* Every phase can end: the set is removed from any phase, and a failure in
 * any phase of its making leads there too. */
TEST(every_phase_can_end) {
        bool reach[N] = {};
        bool changed = true;

        reach[SET_PHASE_REMOVED] = true;
        while (changed) {
                changed = false;
                for (int f = 0; f < N; f++)
                        for (int t = 0; t < N && !reach[f]; t++)
                                if (reach[t] && set_phase_transition_allowed((SetPhase) f, (SetPhase) t))
                                        reach[f] = changed = true;
        }
        for (int f = 0; f < N; f++) {
                if (!reach[f])
                        fprintf(stderr, "phase %s cannot end\n", set_phase_to_string(f));
                CHECK(reach[f]);
        }
        CHECK_INTEQ(set_phase_transition_allowed(SET_PHASE_REMOVED, SET_PHASE_REMOVED), false);
}

/* Failure in each phase of the making: where it goes. */
TEST(failure_in_each_phase) {
        static const SetPhase failed_to[][2] = {
                { SET_PHASE_PREPARING,     SET_PHASE_FAILING },         /* required writer failed */
                { SET_PHASE_QUEUED,        SET_PHASE_REMOVED },         /* worker not started */
                { SET_PHASE_FREEZING,      SET_PHASE_THAWING },         /* Freeze failed: thaw who froze */
                { SET_PHASE_COMMITTING,    SET_PHASE_REMOVED },         /* provider failed, rolled back */
                { SET_PHASE_COMMITTING,    SET_PHASE_REAPING },         /* worker hung or died */
                { SET_PHASE_THAWING,       SET_PHASE_DELETE_WAITING },  /* required writer failed at Thaw */
                { SET_PHASE_POST_SNAPSHOT, SET_PHASE_DELETE_WAITING },  /* required writer failed at PostSnapshot */
                { SET_PHASE_FAILING,       SET_PHASE_REMOVED },
                { SET_PHASE_REAPING,       SET_PHASE_DELETE_WAITING },
                { SET_PHASE_DELETING,      SET_PHASE_DELETE_WAITING },  /* removal failed: retried */
        };
        for (size_t i = 0; i < ELEMENTSOF(failed_to); i++)
                CHECK(set_phase_transition_allowed(failed_to[i][0], failed_to[i][1]));
}

TEST(busy) {
        for (int p = 0; p < N; p++)
                CHECK_INTEQ(set_phase_busy((SetPhase) p), p != SET_PHASE_IDLE && p != SET_PHASE_DELETE_WAITING);
}

/* Making: the CreateSet is not answered yet. Every phase a set can be in
 * before its answer, and none after. */
TEST(making) {
        for (int p = 0; p < N; p++) {
                bool after = p == SET_PHASE_IDLE || p == SET_PHASE_REAPING || p == SET_PHASE_DELETE_WAITING ||
                             p == SET_PHASE_DELETING || p == SET_PHASE_REMOVED ||
                             p == SET_PHASE_EXTERNAL_FROZEN;    /* FreezeExternal is answered */
                CHECK_INTEQ(set_phase_making((SetPhase) p), !after);
        }
}

TEST(names) {
        for (int p = 0; p < N; p++) {
                const char *s = set_phase_to_string((SetPhase) p);
                CHECK(s);
                CHECK_INTEQ(set_phase_from_string(s), p);
        }
        CHECK(!set_phase_to_string(_SET_PHASE_MAX));
        CHECK(!set_phase_to_string(_SET_PHASE_INVALID));
        CHECK_INTEQ(set_phase_from_string("holding"), _SET_PHASE_INVALID);
        CHECK_INTEQ(set_phase_from_string(NULL), _SET_PHASE_INVALID);
}

/* set_enter() moves along the table, and stops the daemon on a move it does not list. */
TEST(set_enter) {
        Set s = { .id = "7" };
        int status;
        pid_t pid;

        set_enter(&s, SET_PHASE_QUEUED);
        set_enter(&s, SET_PHASE_COMMITTING);
        set_enter(&s, SET_PHASE_IDLE);
        CHECK_INTEQ(s.phase, SET_PHASE_IDLE);

        pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                (void) freopen("/dev/null", "w", stderr);
                set_enter(&s, SET_PHASE_COMMITTING);       /* idle -> committing: not listed */
                _exit(EXIT_SUCCESS);
        }
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}
