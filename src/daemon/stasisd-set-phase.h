/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-phase.h - the phases of a set's life in memory, and which phase may follow which */
#pragma once

#include <stdbool.h>

/* Where a set is in its life. SetState (creating, created, missing,
 * deleting) is what the catalog and the bus show; the phase is what the
 * daemon is doing with the set right now. Before a set exists, a CreateSet
 * with writers identifies them and picks the volumes (stasisd-create-request.c).
 * docs/HACKING.md has the table of events. */
typedef enum SetPhase {
        SET_PHASE_NEW,                  /* recorded in the catalog, nothing sent yet */
        SET_PHASE_PREPARING,            /* writers: PrepareBackup, then PrepareSnapshot */
        SET_PHASE_QUEUED,               /* waiting for its turn to commit */
        SET_PHASE_FREEZING,             /* its turn: writers Freeze, level by level */
        SET_PHASE_COMMITTING,           /* the commit worker holds (FIFREEZE) and takes the snapshots */
        SET_PHASE_EXTERNAL_FROZEN,      /* an external set: writers frozen, someone else snapshots; waits
                                         * for ThawExternal or the end of the freeze window */
        SET_PHASE_THAWING,              /* writers: Thaw, level by level in reverse */
        SET_PHASE_POST_SNAPSHOT,        /* writers: PostSnapshot */
        SET_PHASE_IDLE,                 /* made (or loaded from the catalog): nothing under way */
        SET_PHASE_FAILING,              /* writers failed it before its turn; it goes once no hold forbids writing */
        SET_PHASE_REAPING,              /* its commit worker was lost: waiting for it to be gone, then deleting */
        SET_PHASE_DELETE_WAITING,       /* to be deleted: waiting for a hold to end, or for a retry */
        SET_PHASE_DELETING,             /* a worker removes its snapshots */
        SET_PHASE_REMOVED,              /* dropped from the catalog and the bus; freed next */
        _SET_PHASE_MAX,
        _SET_PHASE_INVALID = -1,
} SetPhase;

const char *set_phase_to_string(SetPhase p);
SetPhase set_phase_from_string(const char *s);

/* Whether from may move to to (the table in stasisd-set-phase.c). */
bool set_phase_transition_allowed(SetPhase from, SetPhase to);

/* Whether the set is in the middle of something: Delete answers Busy, a
 * release waits for it to end. */
bool set_phase_busy(SetPhase p);

/* Whether the set is still being made: its CreateSet is not answered yet
 * (a CreateSet with the same request id waits for that answer). */
bool set_phase_making(SetPhase p);
