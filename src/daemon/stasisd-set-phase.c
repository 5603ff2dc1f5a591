/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-phase.c - the phases of a set's life in memory, and which phase may follow which */
#include <stddef.h>

#include "stasisd-set-phase.h"
#include "string-table.h"

static const char *const set_phase_table[_SET_PHASE_MAX] = {
        [SET_PHASE_NEW]            = "new",
        [SET_PHASE_PREPARING]      = "preparing",
        [SET_PHASE_QUEUED]         = "queued",
        [SET_PHASE_FREEZING]       = "freezing",
        [SET_PHASE_COMMITTING]     = "committing",
        [SET_PHASE_EXTERNAL_FROZEN] = "external-frozen",
        [SET_PHASE_THAWING]        = "thawing",
        [SET_PHASE_POST_SNAPSHOT]  = "post-snapshot",
        [SET_PHASE_IDLE]           = "idle",
        [SET_PHASE_FAILING]        = "failing",
        [SET_PHASE_REAPING]        = "reaping",
        [SET_PHASE_DELETE_WAITING] = "delete-waiting",
        [SET_PHASE_DELETING]       = "deleting",
        [SET_PHASE_REMOVED]        = "removed",
};

DEFINE_STRING_TABLE_LOOKUP(set_phase, SetPhase, _SET_PHASE_INVALID)

#define P(x) (1U << SET_PHASE_##x)
/* The end of making a set: created, or failed one of three ways. */
#define FINISH (P(IDLE) | P(DELETE_WAITING) | P(REMOVED) | P(REAPING))

/* For each phase, the phases it may move to (docs/HACKING.md says on which event). */
static const unsigned transitions[_SET_PHASE_MAX] = {
        [SET_PHASE_NEW]            = P(PREPARING) | P(QUEUED),
        [SET_PHASE_PREPARING]      = P(QUEUED) | P(FAILING) | P(REMOVED),
        [SET_PHASE_QUEUED]         = P(FREEZING) | P(COMMITTING) | P(EXTERNAL_FROZEN) | P(REMOVED),
        [SET_PHASE_FREEZING]       = P(COMMITTING) | P(EXTERNAL_FROZEN) | P(THAWING),
        [SET_PHASE_COMMITTING]     = P(THAWING) | FINISH,
        [SET_PHASE_EXTERNAL_FROZEN] = P(THAWING) | P(IDLE),   /* thawed (or the window passed); IDLE: no writers */
        [SET_PHASE_THAWING]        = P(POST_SNAPSHOT) | FINISH,
        [SET_PHASE_POST_SNAPSHOT]  = P(IDLE) | P(DELETE_WAITING),      /* only after a commit that succeeded */
        [SET_PHASE_IDLE]           = P(DELETING),
        [SET_PHASE_FAILING]        = P(REMOVED),
        [SET_PHASE_REAPING]        = P(DELETE_WAITING),
        [SET_PHASE_DELETE_WAITING] = P(DELETING),
        [SET_PHASE_DELETING]       = P(DELETE_WAITING) | P(REMOVED),
        [SET_PHASE_REMOVED]        = 0,
};

bool set_phase_transition_allowed(SetPhase from, SetPhase to) {
        if ((unsigned) from >= _SET_PHASE_MAX || (unsigned) to >= _SET_PHASE_MAX)
                return false;
        return transitions[from] & (1U << to);
}

bool set_phase_busy(SetPhase p) {
        return !(p == SET_PHASE_IDLE || p == SET_PHASE_DELETE_WAITING);
}

bool set_phase_making(SetPhase p) {
        switch (p) {
        case SET_PHASE_NEW:
        case SET_PHASE_PREPARING:
        case SET_PHASE_QUEUED:
        case SET_PHASE_FREEZING:
        case SET_PHASE_COMMITTING:
        case SET_PHASE_THAWING:
        case SET_PHASE_POST_SNAPSHOT:
        case SET_PHASE_FAILING:
                return true;
        default:
                return false;
        }
}
