/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.h - shared state of the stasis CLI: options, exit codes, bus helpers */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "stasis-output.h"
#include "time-util.h"

/* Longer than all of stasisd's own limits for one set together (with writers at
 * their defaults about 17 minutes), plus a wait for sets ahead in line; longer
 * than its limit for removing a snapshot too. */
#define CALL_TIMEOUT (60 * 60 * USEC_PER_SEC)

/* Exit codes; documented in stasis(1). Never renumber. */
enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,         /* the operation failed (a provider error, say) */
        EXIT_USAGE = 2,          /* bad command line or invalid argument */
        EXIT_NOT_FOUND = 3,      /* no such set or path */
        EXIT_DENIED = 4,         /* permission denied */
        EXIT_NO_DAEMON = 5,      /* stasisd cannot be reached */
        EXIT_UNSUPPORTED = 6,    /* no provider can snapshot the volume */
        EXIT_BUSY = 7,           /* the set or volume is busy */
        EXIT_TIMEOUT = 8,        /* a step ran out of time */
        EXIT_WRITER_FAILED = 9,  /* a writer failed or vetoed */
        EXIT_WRITER_RETRYABLE = 10, /* a writer failed; trying again later may work */
};

extern bool arg_json;
extern const char *arg_label;
extern char **arg_components;   /* --component, for create */
extern bool arg_require_writers;
extern char **arg_failed;       /* --failed, for complete */
extern bool arg_orphans;        /* list --orphans */
extern bool arg_rescan;         /* list --orphans --rescan */

/* Prints "stasis: <what>: <message>" and returns the exit code for the error. */
int report_bus_error(const char *what, int r, const sd_bus_error *error);
/* The same, prefixed by context, which names the thing at fault: "stasis: complete 99: <message>". */
int report_bus_error_context(const char *context, const char *what, int r, const sd_bus_error *error);

int bus_connect(sd_bus **ret);
/* A call of a Manager method whose first argument is "as": the paths, made
 * absolute against the current directory (stasisd has its own). */
int new_paths_call(sd_bus *bus, const char *method, char **paths, sd_bus_message **ret);
int fetch_set(sd_bus *bus, const char *object_path, SetInfo *ret);
/* Calls the Manager's method (DeleteSet, DeleteOrphan) on each of names,
 * going on after a failure, which it reports as what ("deleting the set").
 * Tells of each deletion with print_deleted, or in the end of all as
 * {"deleted":…} with --json. Returns the exit code of the first failure. */
int delete_each(sd_bus *bus, char **names, const char *method, const char *what,
                void (*print_deleted)(const char *name));

int verb_create(sd_bus *bus, char **args);
int verb_list(sd_bus *bus, char **args);
int verb_show(sd_bus *bus, char **args);
int verb_delete(sd_bus *bus, char **args);
int verb_complete(sd_bus *bus, char **args);
int verb_writers(sd_bus *bus, char **args);
int verb_volumes(sd_bus *bus, char **args);
int verb_adopt(sd_bus *bus, char **args);
int verb_delete_orphan(sd_bus *bus, char **args);
/* stasis-orphans.c: list --orphans */
int list_orphans(sd_bus *bus);
