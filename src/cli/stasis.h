/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.h - shared state of the stasis CLI: options, exit statuses, reporting libstasis's errors */
#pragma once

#include <stdbool.h>

#include "stasis-output.h"
#include "stasis/stasis.h"
#include "time-util.h"

/* Longer than all of stasisd's own limits for one set together (with writers at
 * their defaults about 17 minutes), plus a wait for sets ahead in line; longer
 * than its limit for removing a snapshot too. For create, complete, delete and
 * delete-orphan. */
#define CALL_TIMEOUT (60 * 60 * USEC_PER_SEC)
/* For the commands that only read, and for adopt. */
#define CALL_TIMEOUT_SHORT (25 * USEC_PER_SEC)

/* Exit statuses; documented in stasis(1). Never renumber. Each comes from
 * the error libstasis reports (stasis-report.c). */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,         /* the operation failed (a provider error, say) */
        EXIT_USAGE = 2,          /* bad command line or invalid argument */
        EXIT_NOT_FOUND = 3,      /* no such set or path */
        EXIT_DENIED = 4,         /* permission denied */
        EXIT_NO_DAEMON = 5,      /* stasisd cannot be reached */
        EXIT_UNSUPPORTED = 6,    /* no provider can snapshot the volume */
        EXIT_BUSY = 7,           /* the set or volume is busy */
        EXIT_TIMEOUT = 8,        /* a step ran out of time, or stasisd did not answer in time */
        EXIT_WRITER_FAILED = 9,  /* a writer failed or vetoed */
        EXIT_WRITER_RETRYABLE = 10, /* a writer failed; trying again later may work */
        EXIT_DISCONNECTED = 11,  /* stasisd went away before it answered */
};

extern bool arg_json;
extern const char *arg_label;
extern char **arg_components;   /* --component, for create */
extern char **arg_exclude_writers;      /* --exclude-writer, for create and backup */
extern bool arg_require_writers;
extern const char *arg_request_id;      /* --request-id, for create and show */
extern char **arg_failed;       /* --failed, for complete */
extern bool arg_orphans;        /* list --orphans */
extern bool arg_rescan;         /* list --orphans --rescan */

extern const char *arg_user;    /* exec, backup --user */
extern bool arg_keep;           /* backup --keep */
extern bool arg_force;          /* delete --force */
extern bool arg_external;       /* freeze, thaw --external */
extern uint64_t arg_freeze_window;      /* freeze --freeze-window, in us; 0: stasisd's */
extern uint64_t arg_expire_after;       /* create --expire-after, usec; 0: none */
extern bool arg_dry_run;        /* cleanup --dry-run */
extern char **arg_command;      /* exec, backup: what follows "--" */

/* How to find out what a call that got no answer did, for the verb under
 * way ("whether the set was made: see 'stasis list'"); NULL for the verbs
 * that only read. */
extern const char *outcome_hint;

/* Prints "stasis: <what>: <message>" for the last failure of r and returns
 * its exit status. */
int report_error(StasisRequestor *r, const char *what);
/* The same, prefixed by context, which names the thing at fault: "stasis: complete 99: <message>". */
int report_error_context(StasisRequestor *r, const char *context, const char *what);
/* The last failure of r was that nobody owns org.stasis1. */
bool stasisd_absent(StasisRequestor *r);
/* A failure of the CLI itself (out of memory): "stasis: <what>: <strerror>", EXIT_FAILED. */
int report_local(const char *what, int error);

/* paths, made absolute against the current directory (stasisd has its
 * own), in *ret (a strv, never NULL). */
int absolute_paths(char **paths, char ***ret);
/* A create request from the command line: PATHs (made absolute) and the
 * --component, --label, --require-writers and --request-id options. */
int make_set_request(char **args, bool persistent, StasisSetRequest **ret);
/* Calls call(r, name) (stasis_requestor_delete_set, _delete_orphan) on each
 * of names, going on after a failure, which it reports as what ("deleting
 * the set"). Tells of each deletion with print_deleted, or in the end of
 * all as {"deleted":…} with --json. Returns the exit status of the first
 * failure. */
int delete_each(StasisRequestor *r, char **names, int (*call)(StasisRequestor *r, const char *name),
                const char *what, void (*print_deleted)(const char *name));
/* stasis-metadata.c: the writers' backup metadata of a set, for show. */
json_object *metadata_to_json(const StasisMetadataList *l);
void print_metadata(FILE *f, const StasisMetadataList *l);
/* Prints set id in full, as show does. */
int show_set(StasisRequestor *r, const char *id);

int verb_create(StasisRequestor *r, char **args);
int verb_list(StasisRequestor *r, char **args);
int verb_show(StasisRequestor *r, char **args);
int verb_delete(StasisRequestor *r, char **args);
int verb_complete(StasisRequestor *r, char **args);
int verb_writers(StasisRequestor *r, char **args);
int verb_forget_writer(StasisRequestor *r, char **args);
int verb_volumes(StasisRequestor *r, char **args);
int verb_adopt(StasisRequestor *r, char **args);
int verb_delete_orphan(StasisRequestor *r, char **args);
/* stasis-views.c */
int verb_mount(StasisRequestor *r, char **args);
int verb_umount(StasisRequestor *r, char **args);
int verb_exec(StasisRequestor *r, char **args);
int verb_backup(StasisRequestor *r, char **args);
/* Unmounts set id if it is mounted, then deletes it (delete --force). */
int delete_set_force(StasisRequestor *r, const char *id);
/* stasis-external.c */
int verb_freeze(StasisRequestor *r, char **args);
int verb_thaw(StasisRequestor *r, char **args);
/* stasis-retention.c */
int verb_run(StasisRequestor *r, char **args);
int verb_cleanup(StasisRequestor *r, char **args);
int verb_history(StasisRequestor *r, char **args);

/* stasis-orphans.c: list --orphans */
int list_orphans(StasisRequestor *r);
