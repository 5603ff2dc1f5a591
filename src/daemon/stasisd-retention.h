/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention.h - expiry and policy retention: which sets go, which are in use, removing them */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "stasisd-set.h"

/* An expired set in use is looked at again after this. */
#define RETENTION_RETRY_USEC    (60 * USEC_PER_SEC)
/* The expiry timer looks at least this often (the wall clock may jump). */
#define RETENTION_CHECK_MAX_USEC (3600 * USEC_PER_SEC)
/* Entries in one Cleanup answer (the sets past it are acted on, not listed). */
#define RETENTION_ENTRIES_MAX   65536

typedef enum RetentionAction {
        RETENTION_REMOVE,       /* removed (or being removed) */
        RETENTION_WOULD_REMOVE, /* a dry run */
        RETENTION_KEPT_IN_USE,  /* would go, but is in use */
        RETENTION_FAILED,       /* its removal failed (stasisd retries it) */
        _RETENTION_ACTION_MAX,
} RetentionAction;

const char *retention_action_to_string(RetentionAction a);

typedef struct RetentionEntry {
        Set *set;               /* while its removal runs; NULL once it is gone */
        char id[24];
        char *policy;           /* "" for an expiry of a set no policy made */
        RetentionAction action;
        char *reason;
} RetentionEntry;

typedef struct RetentionRun RetentionRun;

/* The end of removals started without a call to answer; failed: a removal failed. */
typedef void (*retention_done_t)(Manager *m, bool failed, void *userdata);

/* Why a set may not be removed now ("it is mounted at ..."), in buf; NULL
 * if it may. */
const char *retention_set_in_use(const Set *s, char *buf, size_t size);

/* Decides and (unless dry_run) starts removing: expired sets and, with
 * policies, for the policy named (NULL or "": every policy), the sets its
 * retention does not keep. msg (may be NULL) is answered with the entries
 * once every removal started has ended. Returns > 0 when msg will be
 * answered, < 0 on failure. */
int retention_run(Manager *m, sd_bus_message *msg, const char *policy, bool dry_run, bool policies,
                  sd_bus_error *error);

/* Removes s (not in use: retention_set_in_use()) for reason, recorded
 * in the history under policy; done is called once its removal ended
 * (perhaps before this returns). -EBUSY if it cannot be removed now. */
int retention_remove_then(Manager *m, Set *s, const char *policy, const char *reason, retention_done_t done,
                          void *userdata);

/* Arms the expiry timer on the earliest expiry (or the retry of one in use). */
void retention_arm(Manager *m);

/* A set on which a retention run waits is gone (error NULL), or its removal
 * failed (error says why): stasisd-set.c tells. */
void retention_set_gone(Set *s, const char *error);

/* At the stop, before the sets are freed: the timer, the policies. */
void retention_free(Manager *m);
