/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.h - the public libstasis API: talk to stasisd as a requestor or a writer */
#pragma once

#include <stdarg.h>
#include <stdint.h>
#include <stasis/stasis-version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The D-Bus names stasisd uses (see docs/dbus-api.md). */
#define STASIS_BUS_NAME          "org.stasis1"
#define STASIS_MANAGER_PATH      "/org/stasis1"
#define STASIS_MANAGER_INTERFACE "org.stasis1.Manager"
#define STASIS_SET_PATH_PREFIX   "/org/stasis1/set"
#define STASIS_SET_INTERFACE     "org.stasis1.Set"
#define STASIS_WRITER_INTERFACE  "org.stasis1.Writer"
#define STASIS_WRITER_PATH       "/org/stasis1/writer"  /* where libstasis exports a writer */

/* The D-Bus errors a writer answers an event with to veto it. Any other
 * error is a failure that is not retryable. */
#define STASIS_ERROR_VETO            "org.stasis1.Error.Veto"
#define STASIS_ERROR_VETO_RETRYABLE  "org.stasis1.Error.VetoRetryable"

/* The version of the library loaded at run time, as STASIS_VERSION_NUMBER
 * and STASIS_VERSION. Never fail. */
int stasis_version_number(void);
const char *stasis_version(void);

/* The address of the bus stasisd is on: $STASIS_BUS_ADDRESS, else
 * $DBUS_SYSTEM_BUS_ADDRESS, else NULL (the default system bus). The string
 * belongs to the environment; do not free it. */
const char *stasis_bus_address(void);

/* ---- Writers ----------------------------------------------------------
 *
 * A writer is an application that owns data and takes part in snapshot sets
 * (docs/writers.md). The smallest writer:
 *
 *     static int on_freeze(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *u) {
 *             return pause_writes();          // 0, or a negative errno
 *     }
 *     ...
 *     StasisWriter *w;
 *     const char *paths[] = { "/srv/app", NULL };
 *     stasis_writer_new(&w, "myapp", NULL);
 *     stasis_writer_add_component(w, "data", paths, 1, NULL);
 *     stasis_writer_set_handler(w, STASIS_EVENT_FREEZE, on_freeze, NULL);
 *     stasis_writer_set_handler(w, STASIS_EVENT_THAW, on_thaw, NULL);
 *     stasis_writer_run(w);                   // its own loop, until SIGTERM
 *
 * Every function returns 0 (or a positive value where it says so) on
 * success and a negative errno on failure; stasis_writer_last_error() then
 * has a message for people. A StasisWriter is not thread-safe: use it from
 * one thread. */

typedef struct StasisWriter StasisWriter;
typedef struct StasisEvent StasisEvent;
typedef struct sd_event sd_event;

typedef enum StasisWriterEvent {
        STASIS_EVENT_IDENTIFY,          /* before the metadata is sent: components may be changed here */
        STASIS_EVENT_PREPARE_BACKUP,
        STASIS_EVENT_PREPARE_SNAPSHOT,  /* long work (checkpoint, flush) belongs here */
        STASIS_EVENT_FREEZE,            /* pause writes; the freeze window starts */
        STASIS_EVENT_THAW,              /* resume writes; also raised by the library itself */
        STASIS_EVENT_POST_SNAPSHOT,
        STASIS_EVENT_BACKUP_COMPLETE,
        STASIS_EVENT_ABORT,             /* undo what was done for the set (a thaw comes first if frozen) */
        STASIS_EVENT_PRE_RESTORE,
        STASIS_EVENT_POST_RESTORE,
        _STASIS_EVENT_MAX,
} StasisWriterEvent;

/* "Identify", "PrepareBackup", ... as on the bus; NULL if out of range. */
const char *stasis_writer_event_to_string(StasisWriterEvent event);

/* A handler returns 0 for success, a negative errno for failure (the
 * coordinator is told strerror() unless stasis_event_veto() set a reason),
 * or STASIS_EVENT_ASYNC after taking a reference with stasis_event_ref():
 * the answer is then sent by stasis_event_complete(). An event with no
 * handler succeeds. */
#define STASIS_EVENT_ASYNC 1
typedef int (*stasis_writer_handler_t)(StasisWriter *w, StasisWriterEvent event, StasisEvent *e, void *userdata);

/* Creating and describing a writer. name and instance follow the metadata
 * rules (docs/writers.md); instance may be NULL. The defaults: level
 * "back-end", freeze time-out 60 s, restore method "none". */
int stasis_writer_new(StasisWriter **ret, const char *name, const char *instance);
StasisWriter *stasis_writer_ref(StasisWriter *w);
StasisWriter *stasis_writer_unref(StasisWriter *w);     /* unregisters and disconnects with the last reference */
int stasis_writer_set_level(StasisWriter *w, const char *level);             /* "front-end", "back-end", "system" */
int stasis_writer_set_freeze_timeout(StasisWriter *w, uint64_t usec);        /* 100 ms to 600 s, whole ms */
int stasis_writer_set_restore_method(StasisWriter *w, const char *method);
/* paths: NULL-terminated absolute paths; selectable: 0 or 1; description may be NULL.
 * -EEXIST for a second component of the same name. */
int stasis_writer_add_component(StasisWriter *w, const char *name, const char *const *paths,
                                int selectable, const char *description);
int stasis_writer_clear_components(StasisWriter *w);
int stasis_writer_set_handler(StasisWriter *w, StasisWriterEvent event, stasis_writer_handler_t handler,
                              void *userdata);
/* The bus to use; NULL (the default) means stasis_bus_address(). */
int stasis_writer_set_bus_address(StasisWriter *w, const char *address);
/* The metadata as sent to stasisd (JSON); the string belongs to w and is
 * valid until w changes. NULL if the description is not valid yet. */
const char *stasis_writer_get_metadata(StasisWriter *w);
/* The message of the last failure, or of the last registration refused by
 * stasisd; "" if none. Belongs to w. */
const char *stasis_writer_last_error(StasisWriter *w);

/* Running it, one of three ways:
 * 1. stasis_writer_run(): the library's own loop, until stasis_writer_exit()
 *    or SIGTERM/SIGINT (which it blocks and handles while it runs).
 * 2. stasis_writer_attach_event() before stasis_writer_start(): in the
 *    caller's sd-event loop.
 * 3. stasis_writer_start(), then poll stasis_writer_get_fd() for POLLIN and
 *    call stasis_writer_process() whenever it is readable (timers included).
 *
 * stasis_writer_start() connects and registers with stasisd. If stasisd
 * refuses the registration (bad metadata, a name taken) it fails with that
 * error; if stasisd is not running it succeeds, and the writer registers
 * as soon as stasisd appears (and again after stasisd restarts). */
int stasis_writer_attach_event(StasisWriter *w, sd_event *event, int64_t priority);
int stasis_writer_start(StasisWriter *w);
int stasis_writer_run(StasisWriter *w);                 /* returns the code given to stasis_writer_exit() */
int stasis_writer_exit(StasisWriter *w, int code);
int stasis_writer_get_fd(StasisWriter *w);
int stasis_writer_process(StasisWriter *w);             /* never blocks; > 0 if it did something */
/* 1 once stasisd has accepted the registration, 0 before. */
int stasis_writer_is_registered(StasisWriter *w);

/* Events. A StasisEvent is valid during its handler, or until the last
 * stasis_event_unref() after STASIS_EVENT_ASYNC. */
StasisEvent *stasis_event_ref(StasisEvent *e);
StasisEvent *stasis_event_unref(StasisEvent *e);
/* Sends the answer of an event handled asynchronously: error as a handler's
 * return value. -EALREADY if it was answered already. */
int stasis_event_complete(StasisEvent *e, int error);
/* Makes the answer a veto with a reason; returns -ECANCELED, for
 * "return stasis_event_veto(e, 1, "replica lagging %ds", lag);". */
int stasis_event_veto(StasisEvent *e, int retryable, const char *format, ...)
        __attribute__((format(printf, 3, 4)));

StasisWriterEvent stasis_event_type(const StasisEvent *e);
const char *stasis_event_set_id(const StasisEvent *e);
/* The names of this writer's components in the set (NULL-terminated; empty
 * for Identify, Freeze, Thaw, Abort). For BackupComplete, all of them. */
const char *const *stasis_event_components(const StasisEvent *e);
/* PrepareSnapshot: 1 if every volume of the writer's components is held at
 * one instant (crash-atomic), 0 if not; -ENODATA for other events. */
int stasis_event_crash_atomic(const StasisEvent *e);
/* Freeze: how long the writer may stay frozen; the library thaws by itself
 * when it passes without a Thaw. 0 for other events. */
uint64_t stasis_event_freeze_window_usec(const StasisEvent *e);
/* Thaw: 1 if the library raised it itself (the freeze window passed, or
 * stasisd vanished, while frozen); stasis_event_reason() says which. */
int stasis_event_is_auto_thaw(const StasisEvent *e);
/* Abort and auto-thaw: why; NULL otherwise. */
const char *stasis_event_reason(const StasisEvent *e);
/* BackupComplete: 1 if the requestor backed up the component, 0 if it
 * reported it failed, -ENOENT if the component is not in the event. */
int stasis_event_component_succeeded(const StasisEvent *e, const char *component);
/* PostSnapshot: the snapshots of the writer's volumes, as pairs of the
 * volume's mount point and where its snapshot is. -ERANGE past the end. */
int stasis_event_get_snapshot(const StasisEvent *e, unsigned index, const char **ret_source,
                              const char **ret_snapshot);

#ifdef __cplusplus
}
#endif
