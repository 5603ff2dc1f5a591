/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.h - the public libstasis API: talk to stasisd as a requestor or a writer */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
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

/* The D-Bus errors of stasis (docs/dbus-api.md, "Errors"). stasisd answers
 * with the first fourteen and NoSpace, NoSuchOrphan and SetExists; a writer
 * answers an event with STASIS_ERROR_VETO or STASIS_ERROR_VETO_RETRYABLE to
 * veto it (any other error is a failure that is not retryable). The last
 * two are never sent by anyone: libstasis reports them to a requestor whose
 * call got no answer (see StasisError). Match on these names, never on the
 * messages. */
#define STASIS_ERROR_NO_SUCH_SET       "org.stasis1.Error.NoSuchSet"
#define STASIS_ERROR_NO_SUCH_PATH      "org.stasis1.Error.NoSuchPath"
#define STASIS_ERROR_NOT_A_DIRECTORY   "org.stasis1.Error.NotADirectory"
#define STASIS_ERROR_NO_PROVIDER       "org.stasis1.Error.NoProvider"
#define STASIS_ERROR_INVALID_ARGUMENT  "org.stasis1.Error.InvalidArgument"
#define STASIS_ERROR_LIMIT_EXCEEDED    "org.stasis1.Error.LimitExceeded"
#define STASIS_ERROR_BUSY              "org.stasis1.Error.Busy"
#define STASIS_ERROR_PROVIDER_FAILED   "org.stasis1.Error.ProviderFailed"
#define STASIS_ERROR_TIMEOUT           "org.stasis1.Error.Timeout"
#define STASIS_ERROR_ACCESS_DENIED     "org.stasis1.Error.AccessDenied"
#define STASIS_ERROR_NO_SUCH_COMPONENT "org.stasis1.Error.NoSuchComponent"
#define STASIS_ERROR_NO_SUCH_WRITER    "org.stasis1.Error.NoSuchWriter"
#define STASIS_ERROR_WRITER_FAILED     "org.stasis1.Error.WriterFailed"
#define STASIS_ERROR_WRITER_RETRYABLE  "org.stasis1.Error.WriterRetryable"
#define STASIS_ERROR_VETO              "org.stasis1.Error.Veto"
#define STASIS_ERROR_VETO_RETRYABLE    "org.stasis1.Error.VetoRetryable"
#define STASIS_ERROR_NO_SPACE          "org.stasis1.Error.NoSpace"
#define STASIS_ERROR_NO_SUCH_ORPHAN    "org.stasis1.Error.NoSuchOrphan"
#define STASIS_ERROR_SET_EXISTS        "org.stasis1.Error.SetExists"
#define STASIS_ERROR_DISCONNECTED      "org.stasis1.Error.Disconnected"
#define STASIS_ERROR_NO_ANSWER         "org.stasis1.Error.NoAnswer"

/* One code per error name above, for switch statements. The values are
 * fixed for good: a new name gets the next free value, a name that goes
 * out of use keeps its value and no other name ever gets it. */
typedef enum StasisError {
        STASIS_ERR_NONE              = 0,   /* no error */
        STASIS_ERR_OTHER             = 1,   /* an error that is not an org.stasis1 name: a standard
                                             * D-Bus error (stasisd not running, ...) or a local
                                             * failure; see the name and errno of the StasisErrorInfo */
        STASIS_ERR_NO_SUCH_SET       = 2,   /* no set has this id (any more) */
        STASIS_ERR_NO_SUCH_PATH      = 3,   /* a path does not exist */
        STASIS_ERR_NOT_A_DIRECTORY   = 4,   /* a path is not a directory */
        STASIS_ERR_NO_PROVIDER       = 5,   /* no provider can snapshot a path's volume */
        STASIS_ERR_INVALID_ARGUMENT  = 6,   /* bad options, paths, component names, label */
        STASIS_ERR_LIMIT_EXCEEDED    = 7,   /* a limit of stasisd would be exceeded */
        STASIS_ERR_BUSY              = 8,   /* the set is being made or removed, or completed already */
        STASIS_ERR_PROVIDER_FAILED   = 9,   /* taking or removing the snapshots failed */
        STASIS_ERR_TIMEOUT           = 10,  /* taking or removing the snapshots took too long */
        STASIS_ERR_ACCESS_DENIED     = 11,  /* only root may do this */
        STASIS_ERR_NO_SUCH_COMPONENT = 12,  /* a component name matches no writer's component */
        STASIS_ERR_NO_SUCH_WRITER    = 13,  /* the caller has no writer at that path */
        STASIS_ERR_WRITER_FAILED     = 14,  /* with require-writers: a writer failed or vetoed */
        STASIS_ERR_WRITER_RETRYABLE  = 15,  /* as WRITER_FAILED, but trying again later may work */
        STASIS_ERR_VETO              = 16,  /* a writer's answer: veto */
        STASIS_ERR_VETO_RETRYABLE    = 17,  /* a writer's answer: veto, try again later */
        STASIS_ERR_NO_SPACE          = 18,  /* the catalog's file system is full: stasisd is read-only */
        STASIS_ERR_NO_SUCH_ORPHAN    = 19,  /* no orphan snapshot has this handle (any more) */
        STASIS_ERR_SET_EXISTS        = 20,  /* a set with this id exists already */
        /* The two below come from libstasis, not from stasisd: a call got no
         * answer, so whether it took effect (a set made, deleted) is not
         * known. Ask again (stasis_requestor_list_sets()) to find out. */
        STASIS_ERR_DISCONNECTED      = 21,  /* stasisd went away during the call: it left the bus
                                             * (crashed, was stopped or restarted) or the connection
                                             * to the bus closed */
        STASIS_ERR_NO_ANSWER         = 22,  /* stasisd did not answer within the requestor's
                                             * time-out (stasis_requestor_set_timeout()), or the
                                             * bus gave up waiting for it; it is still there */
        _STASIS_ERR_MAX,                    /* one more than the highest code; grows with new names */
} StasisError;

/* The D-Bus error name of a code ("org.stasis1.Error.NoSuchSet" for
 * STASIS_ERR_NO_SUCH_SET); NULL for STASIS_ERR_NONE, STASIS_ERR_OTHER and
 * codes out of range. The string is static. Never fails. */
const char *stasis_error_to_name(StasisError code);
/* The code of a D-Bus error name: STASIS_ERR_NONE for NULL, STASIS_ERR_OTHER
 * for any name that is not one of the STASIS_ERROR_* names (compared
 * exactly, case and all). Never fails. */
StasisError stasis_error_from_name(const char *name);

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
        STASIS_EVENT_SET_DELETED,       /* since 0.4: a set it took part in is gone (one-way; see docs/writers.md) */
        _STASIS_EVENT_MAX,
} StasisWriterEvent;

/* "Identify", "PrepareBackup", ... as on the bus; NULL if out of range. */
const char *stasis_writer_event_to_string(StasisWriterEvent event);

/* A handler returns 0 for success, a negative errno for failure (the
 * coordinator is told strerror() unless stasis_event_veto() set a reason),
 * or STASIS_EVENT_ASYNC after taking a reference with stasis_event_ref():
 * the answer is then sent by stasis_event_complete(). An event with no
 * handler succeeds. Once registered, the library tells stasisd which events
 * have handlers, and stasisd sends no other (Freeze, Thaw and Abort go
 * together); Identify only to a writer with an Identify handler. Changes
 * made after the start (components, level, ..., handlers) are sent to
 * stasisd at once (docs/writers.md, "Identify, and the events a writer
 * takes"). */
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
 * as soon as stasisd appears (and again after stasisd restarts). If the bus
 * connection is lost (dbus-daemon restarted), the writer thaws if frozen,
 * connects again (after 100 ms, then waiting twice as long after each
 * failed attempt, at most 5 s) and registers again with the same metadata
 * once stasisd is back; in all three ways of running it. */
int stasis_writer_attach_event(StasisWriter *w, sd_event *event, int64_t priority);
int stasis_writer_start(StasisWriter *w);
int stasis_writer_run(StasisWriter *w);                 /* returns the code given to stasis_writer_exit() */
int stasis_writer_exit(StasisWriter *w, int code);
int stasis_writer_get_fd(StasisWriter *w);
int stasis_writer_process(StasisWriter *w);             /* never blocks; > 0 if it did something */
/* 1 once stasisd has accepted the registration, 0 before. */
int stasis_writer_is_registered(StasisWriter *w);

/* Where the writer stands with the bus and stasisd. The values are fixed
 * for good; a later library may add states after the last. */
typedef enum StasisWriterState {
        STASIS_WRITER_STOPPED,          /* not started (or stasis_writer_start() failed) */
        STASIS_WRITER_DISCONNECTED,     /* the bus connection was lost: connecting again, with back-off */
        STASIS_WRITER_WAITING,          /* connected; no one owns org.stasis1 (stasisd is not running) */
        STASIS_WRITER_REGISTERING,      /* RegisterWriter sent to the owner of org.stasis1 */
        STASIS_WRITER_REGISTERED,       /* stasisd accepted the registration */
        STASIS_WRITER_REFUSED,          /* stasisd refused it; tried again when stasisd restarts */
        _STASIS_WRITER_STATE_MAX,
} StasisWriterState;

/* "stopped", "disconnected", "waiting", "registering", "registered",
 * "refused"; NULL if out of range. */
const char *stasis_writer_state_to_string(StasisWriterState state);
/* The current state; STASIS_WRITER_STOPPED for NULL. */
StasisWriterState stasis_writer_get_state(StasisWriter *w);
/* Called, from the loop the writer runs in (and from stasis_writer_start()),
 * each time the state changes, so that the application can log it (but not
 * for STOPPED, which only the application's own calls bring). reason
 * says why for DISCONNECTED ("the bus connection was lost"), WAITING
 * ("stasisd is not on the bus", "stasisd left the bus") and REFUSED
 * (stasisd's message), and is NULL otherwise; it is valid during the call.
 * A writer frozen when the connection or stasisd goes away has been thawed
 * (its Thaw handler called) before the handler hears of it. The handler may
 * call stasis_writer_exit() (to stop rather than wait for the bus) but must
 * not drop the last reference to w. handler NULL stops the calls. */
typedef void (*stasis_writer_state_handler_t)(StasisWriter *w, StasisWriterState state, const char *reason,
                                              void *userdata);
int stasis_writer_set_state_handler(StasisWriter *w, stasis_writer_state_handler_t handler, void *userdata);

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
 * volume's mount point and its snapshot, named as by
 * stasis_set_volume_snapshot() (for btrfs "<uuid>:/.stasis/<id>-<index>",
 * not a path under the mount point). -ERANGE past the end. */
int stasis_event_get_snapshot(const StasisEvent *e, unsigned index, const char **ret_source,
                              const char **ret_snapshot);

/* PostSnapshot: for one of the writer's component paths, the snapshot that holds it (named as
 * stasis_event_get_snapshot() names them) and the path inside that snapshot, relative to its
 * root ("" for the root; e.g. "data/base" when the volume's source subvolume is mounted
 * elsewhere). -ENOENT if path is not one of the writer's component paths in the set.
 * -EOPNOTSUPP for other events. The strings live as long as the event. path is compared as
 * given in the component; stasisd before 0.4 does not tell (-ENOENT). */
int stasis_event_get_path_snapshot(const StasisEvent *e, const char *path, const char **ret_snapshot,
                                   const char **ret_path_in_snapshot);

/* Writer backup metadata (docs/writers.md, "Backup metadata"): what a
 * restore needs besides the snapshot (a backup_label, a binlog position),
 * kept by stasisd with the set, shown by "stasis show", deleted with the
 * set; the views place its files at their paths. Limits, per entry and per
 * writer in one set: */
#define STASIS_METADATA_NAME_MAX    64                  /* a value's name: [A-Za-z0-9_.-]{1,64} */
#define STASIS_METADATA_VALUE_MAX   4096                /* bytes of UTF-8 */
#define STASIS_METADATA_FILE_MAX    (1024 * 1024)       /* bytes of one file */
#define STASIS_METADATA_TOTAL_MAX   (4 * 1024 * 1024)   /* values and files of one writer in one set */
#define STASIS_METADATA_ENTRIES_MAX 256                 /* values and files of one writer in one set */
/* PostSnapshot, and BackupComplete: attach to one of the event's components a named value
 * (name: [A-Za-z0-9_.-]{1,64}; value: UTF-8, at most STASIS_METADATA_VALUE_MAX = 4096 bytes)
 * or a file that a restore needs, to be placed at path (absolute; under one of the
 * component's paths) in every view of the set (data: at most STASIS_METADATA_FILE_MAX =
 * 1 MiB; all of a writer's metadata in one set at most 4 MiB). Sent with the event's answer
 * (also for an asynchronous handler, before stasis_event_complete()). -EINVAL names the
 * fault through the library's error text; -E2BIG over a limit; -EOPNOTSUPP for other
 * events. The strings and data are copied. The same name (or path) of a component again
 * replaces the earlier value (or file). mode: the file's permission bits (at most 0777).
 * Metadata added before a failure or a veto is not sent. -EALREADY once answered. */
int stasis_event_add_metadata(StasisEvent *e, const char *component, const char *name, const char *value);
int stasis_event_add_metadata_file(StasisEvent *e, const char *component, const char *path,
                                   const void *data, size_t size, mode_t mode);

/* ---- Requestors --------------------------------------------------------
 *
 * A requestor is a program that asks for snapshot sets: a backup tool, a
 * timer, an administrator's script (docs/requestors.md). The smallest one:
 *
 *     StasisRequestor *r;
 *     StasisSetRequest *q;
 *     StasisSet *set;
 *     char *id;
 *     stasis_requestor_new(&r);
 *     stasis_set_request_new(&q);
 *     stasis_set_request_add_path(q, "/srv/data");
 *     stasis_requestor_create_set(r, q, &id);       // returns when the snapshots exist
 *     stasis_requestor_get_set(r, id, &set);
 *     back_up(set);             // each volume's stasis_set_volume_snapshot()
 *     stasis_requestor_complete_set(r, id, NULL);
 *     stasis_requestor_delete_set(r, id);
 *
 * Every function that can fail returns 0 (or a positive value where it
 * says so) on success and a negative errno on failure, and writes its ret_*
 * arguments only on success. After a failure of a call on a requestor,
 * stasis_requestor_last_error() tells what stasisd (or the bus, or the
 * library) said. A StasisRequestor is not thread-safe: use it from one
 * thread. Only root may create, complete and delete sets; anyone may read
 * them. */

typedef struct StasisRequestor StasisRequestor;
typedef struct StasisSetRequest StasisSetRequest;
typedef struct StasisSet StasisSet;
typedef struct StasisErrorInfo StasisErrorInfo;

/* An error: the StasisError code, the D-Bus error name, the message for
 * people and the errno the call returned. All four accept NULL (no error):
 * STASIS_ERR_NONE, NULL, "" and 0. The strings belong to the error. */
StasisError stasis_error_info_code(const StasisErrorInfo *e);
/* The D-Bus error name ("org.stasis1.Error.Busy",
 * "org.freedesktop.DBus.Error.ServiceUnknown"), or NULL if the failure was
 * local (the bus could not be reached, out of memory, a bad argument). */
const char *stasis_error_info_name(const StasisErrorInfo *e);
const char *stasis_error_info_message(const StasisErrorInfo *e);
/* A positive errno: the one the failing call returned negated. Several
 * names share one errno (NoSuchSet, NoSuchComponent and NoSuchWriter are
 * all ENXIO): tell errors apart by their code, not by the errno. */
int stasis_error_info_errno(const StasisErrorInfo *e);

/* -- The connection -- */

/* A requestor, not connected yet. The connection is opened by
 * stasis_requestor_connect() or by the first call that needs it. */
int stasis_requestor_new(StasisRequestor **ret);
StasisRequestor *stasis_requestor_ref(StasisRequestor *r);
/* With the last reference the connection closes: stasisd then releases
 * every set this requestor made without persistent (auto-release), and the
 * handlers of asynchronous calls still under way are never called. Accepts
 * NULL; returns NULL. */
StasisRequestor *stasis_requestor_unref(StasisRequestor *r);
/* The bus to use, before connecting; NULL (the default) means
 * stasis_bus_address(). -EBUSY once connected. */
int stasis_requestor_set_bus_address(StasisRequestor *r, const char *address);
/* How long a call may take before it fails with -ETIMEDOUT
 * (STASIS_ERR_NO_ANSWER), for calls sent from now on. A call whose answer
 * is lost because stasisd went away fails sooner, with -ECONNRESET
 * (STASIS_ERR_DISCONNECTED). 0
 * means the default, 60 minutes: CreateSet waits for writers and for the
 * sets before it (docs/dbus-api.md, "Time limits"). */
int stasis_requestor_set_timeout(StasisRequestor *r, uint64_t usec);
/* Opens the connection. 0 if it is open already. It fails if the bus
 * cannot be reached, not if stasisd is not running: calls then fail with
 * org.freedesktop.DBus.Error.ServiceUnknown. Without the caller's loop it
 * does not wait for the bus to answer Hello: the first call is sent right
 * behind it, and if the bus closes the connection before it answers, that
 * call fails with -ENOTCONN (a local error, no name). */
int stasis_requestor_connect(StasisRequestor *r);
/* The last failure of a call on r, or NULL if the last call succeeded.
 * Belongs to r; valid until the next call on r. */
const StasisErrorInfo *stasis_requestor_last_error(StasisRequestor *r);

/* Asynchronous calls and signals are dispatched by an event loop, one of:
 * 1. the caller's sd-event loop: stasis_requestor_attach_event() before
 *    connecting (event NULL: the thread's default loop);
 * 2. the library's own: poll stasis_requestor_get_fd() for POLLIN and call
 *    stasis_requestor_process() when it is readable (it never blocks), or
 *    call stasis_requestor_wait(), which blocks.
 * Synchronous calls work in both and dispatch nothing else. */
int stasis_requestor_attach_event(StasisRequestor *r, sd_event *event, int64_t priority);
int stasis_requestor_get_fd(StasisRequestor *r);        /* -EBUSY when attached to the caller's loop */
int stasis_requestor_process(StasisRequestor *r);       /* > 0 if it did something */
/* Waits up to usec (UINT64_MAX: without limit) for something to happen and
 * dispatches it. > 0 if it did something, 0 if the time passed. */
int stasis_requestor_wait(StasisRequestor *r, uint64_t usec);

/* -- Asking for a set -- */

/* What to make: paths and/or writer components, and options (see
 * CreateSet in docs/dbus-api.md). A request holds copies of the strings
 * it is given and may be used for any number of sets. */
int stasis_set_request_new(StasisSetRequest **ret);
StasisSetRequest *stasis_set_request_ref(StasisSetRequest *q);
StasisSetRequest *stasis_set_request_unref(StasisSetRequest *q);
/* An absolute path of a directory whose volume the set is to hold. The
 * library does not look at it; stasisd does. -EINVAL for NULL or "". */
int stasis_set_request_add_path(StasisSetRequest *q, const char *path);
/* A writer component, WRITER[@INSTANCE][:COMPONENT]. */
int stasis_set_request_add_component(StasisSetRequest *q, const char *component);
/* The label (NULL or "": none). stasisd checks it (at most 256 bytes, no
 * control characters). */
int stasis_set_request_set_label(StasisSetRequest *q, const char *label);
/* 1: the set stays until deleted. 0 (the default): an auto-release set,
 * deleted by stasisd when this requestor's connection closes. -EINVAL for
 * other values. */
int stasis_set_request_set_persistent(StasisSetRequest *q, int persistent);
/* 1: the set fails (STASIS_ERR_WRITER_FAILED or _RETRYABLE) if a writer
 * taking part fails or vetoes. 0 (the default): the set is made without it
 * and its components are crash-consistent. */
int stasis_set_request_set_require_writers(StasisSetRequest *q, int require);
/* Since 0.4: leaves a writer out of the set: "WRITER" (all its instances) or
 * "WRITER@INSTANCE". It is not called at all (not even Identify), its data
 * is in the set only as far as the paths asked for hold it, and the set
 * lists it (stasis_set_excluded_writer()). Asking for a component of it is
 * an error; at most 64. */
int stasis_set_request_exclude_writer(StasisSetRequest *q, const char *writer);
/* The requestor's own id for the create (NULL or "": none); a copy is
 * kept. A second create with the same id by the same user (uid) makes no
 * second set: it is answered with the set the first one made (once it is
 * made, if it is still being made) or with the error the first one failed
 * with. Use it to retry a create whose answer was lost (STASIS_ERR_DISCONNECTED,
 * a time-out): the retry tells what became of the first. stasisd checks the
 * id: UTF-8, at most 128 bytes, no control characters (else
 * STASIS_ERR_INVALID_ARGUMENT, naming it). Ids of different users never
 * meet. A set's id is given up when the set is deleted; a failure is
 * remembered for 7 days (the latest 1000). See docs/requestors.md.
 * Since 0.3. */
int stasis_set_request_set_request_id(StasisSetRequest *q, const char *request_id);
/* The set expires usec microseconds after it is made (0, the default:
 * never): stasisd then removes it, once it is not in use (mounted, or an
 * auto-release set whose backup was not reported complete). stasisd takes
 * more than 0 and at most 100 years (else STASIS_ERR_INVALID_ARGUMENT).
 * See docs/retention.md. Since 0.4. */
int stasis_set_request_set_expire_after(StasisSetRequest *q, uint64_t usec);

/* Creates a set and returns when its snapshots exist (or it failed). The
 * id is in *ret_id, a string the caller frees with free(). The errors of
 * stasisd come back as -errno with stasis_requestor_last_error() telling
 * which (STASIS_ERR_BUSY, STASIS_ERR_NO_PROVIDER, ...). */
int stasis_requestor_create_set(StasisRequestor *r, const StasisSetRequest *q, char **ret_id);

/* The handler of an asynchronous create: id is the new set's id on
 * success, NULL on failure; error is NULL on success. Both are valid during
 * the call only (strdup() the id to keep it). */
typedef void (*stasis_create_handler_t)(StasisRequestor *r, const char *id, const StasisErrorInfo *error,
                                        void *userdata);
/* Sends CreateSet and returns at once; handler is called from the event
 * loop (see above) when stasisd answers. Any number may be under way at
 * once. A negative errno if the call could not be sent (the handler is then
 * not called). */
int stasis_requestor_create_set_async(StasisRequestor *r, const StasisSetRequest *q,
                                      stasis_create_handler_t handler, void *userdata);

/* The id of the set that the create with request_id (of this user) made,
 * in *ret_id (freed with free()). STASIS_ERR_NO_SUCH_SET (-ENXIO) if there
 * is none (not made, deleted since, or still asking the writers); the error
 * it failed with if it failed (remembered for 7 days). Since 0.3. */
int stasis_requestor_lookup_request_id(StasisRequestor *r, const char *request_id, char **ret_id);

/* -- Reading sets -- */

/* Reads all properties of set id into *ret (one call). STASIS_ERR_NO_SUCH_SET
 * (-ENXIO) if there is none; -EINVAL for an id that cannot name a set
 * (empty, or with characters other than letters, digits and '_'). The StasisSet is a copy made at the time of
 * the call: it does not change. */
int stasis_requestor_get_set(StasisRequestor *r, const char *id, StasisSet **ret);
/* Every set stasisd has, oldest first, in *ret: a NULL-terminated array
 * that the caller frees with stasis_set_list_free(); *ret_n (may be NULL)
 * gets their number. */
int stasis_requestor_list_sets(StasisRequestor *r, StasisSet ***ret, size_t *ret_n);
/* Unrefs each set and frees the array. Accepts NULL; returns NULL. */
StasisSet **stasis_set_list_free(StasisSet **list);

/* Every set stasisd has, as ListSets gives them: a summary of each, in
 * stasisd's order, in one short answer; sets whose label GetManagedObjects
 * leaves out are listed too. Only the id, object path, label, state,
 * consistency, persistent, created and stasis_set_volume_count() are
 * known; the other accessors return "" or 0, and the volumes' NULL. Freed
 * as stasis_requestor_list_sets()'s. */
int stasis_requestor_list_set_summaries(StasisRequestor *r, StasisSet ***ret, size_t *ret_n);

StasisSet *stasis_set_ref(StasisSet *s);
StasisSet *stasis_set_unref(StasisSet *s);
/* The set's properties, as in docs/dbus-api.md ("org.stasis1.Set"). The
 * strings belong to s; a string property not known is "" (never NULL for a
 * valid s). Times are microseconds (since the epoch for created and
 * completed; 0: not yet). State and consistency are strings because a
 * later stasisd may add values: "creating", "created", "missing",
 * "deleting"; "application", "crash-atomic", "per-volume" or "". */
const char *stasis_set_id(const StasisSet *s);
const char *stasis_set_object_path(const StasisSet *s);
const char *stasis_set_label(const StasisSet *s);
const char *stasis_set_state(const StasisSet *s);
const char *stasis_set_consistency(const StasisSet *s);
const char *stasis_set_error(const StasisSet *s);      /* why the last step failed; "" if none */
/* Where stasis_requestor_mount_set() attached the set; "" if it is not mounted. */
const char *stasis_set_mounted_at(const StasisSet *s);
/* How many views of the set stasis_requestor_open_view() handed out are
 * open (held by their callers' connections); 0 if not known (a summary
 * from stasis_requestor_list_set_summaries(), an older stasisd). Since 0.4. */
unsigned stasis_set_open_view_count(const StasisSet *s);
/* What happened to the set after it was made, oldest first (a snapshot
 * grown, a set released to make room, a snapshot lost): when
 * (CLOCK_REALTIME, usec) and what. -ERANGE past the end. */
unsigned stasis_set_event_count(const StasisSet *s);
int stasis_set_event(const StasisSet *s, unsigned index, uint64_t *ret_usec, const char **ret_text);
int stasis_set_persistent(const StasisSet *s);          /* 1 or 0 */
uint32_t stasis_set_owner(const StasisSet *s);          /* the uid that created it */
uint64_t stasis_set_created_usec(const StasisSet *s);
uint64_t stasis_set_completed_usec(const StasisSet *s);
uint64_t stasis_set_hold_usec(const StasisSet *s);
uint64_t stasis_set_window_usec(const StasisSet *s);
/* When the set expires (microseconds since the epoch; 0: never), and the
 * policy that made it ("" if none); known in summaries too. Since 0.4. */
uint64_t stasis_set_expires_usec(const StasisSet *s);
const char *stasis_set_policy(const StasisSet *s);

/* The volumes, in the set's order. Each accessor returns NULL for an index
 * past the end.
 *
 * The snapshot is the volume's snapshot exactly as stasisd names it (field 6
 * of Volumes in docs/dbus-api.md), not always a path that can be opened:
 *   - btrfs: "<uuid>:/.stasis/<id>-<index>", the UUID of the file system and
 *     the path of the read-only snapshot subvolume from the top of that file
 *     system, in a store only root may enter. Root reads it as
 *     DIR/.stasis/<id>-<index> where DIR is a mount of the file system's
 *     top-level subvolume: a mount without subvol= (its root in
 *     /proc/self/mountinfo is "/"; the volume's mount point may be one), or
 *     one made with "mount -o subvolid=5,ro DEVICE DIR". Sets made by stasis
 *     0.2.0 and earlier keep their old name, the path "<source>/.stasis/<id>".
 *   - an external provider: the snapshot's name, "stasis-<id>-<index>".
 * The library does not mount snapshots; views that show a set's volumes at
 * their original paths are planned, not there yet. See docs/requestors.md,
 * "Where the snapshots are". */
unsigned stasis_set_volume_count(const StasisSet *s);
const char *stasis_set_volume_path(const StasisSet *s, unsigned index);
const char *stasis_set_volume_mount_point(const StasisSet *s, unsigned index);
const char *stasis_set_volume_device(const StasisSet *s, unsigned index);
const char *stasis_set_volume_fstype(const StasisSet *s, unsigned index);
const char *stasis_set_volume_provider(const StasisSet *s, unsigned index);
const char *stasis_set_volume_source(const StasisSet *s, unsigned index);
const char *stasis_set_volume_snapshot(const StasisSet *s, unsigned index);
const char *stasis_set_volume_state(const StasisSet *s, unsigned index);   /* "ok" or "missing" */

/* The writer components, with their consistency ("application" or
 * "crash-consistent") and, for a crash-consistent one, why. NULL past the
 * end. The name for Complete's failed list is WRITER[@INSTANCE]:COMPONENT. */
unsigned stasis_set_component_count(const StasisSet *s);
const char *stasis_set_component_writer(const StasisSet *s, unsigned index);
const char *stasis_set_component_instance(const StasisSet *s, unsigned index);   /* "" if none */
const char *stasis_set_component_name(const StasisSet *s, unsigned index);
const char *stasis_set_component_consistency(const StasisSet *s, unsigned index);
const char *stasis_set_component_reason(const StasisSet *s, unsigned index);
/* Since 0.4: the writers its requestor left out, as given (0 for a summary). */
unsigned stasis_set_excluded_writer_count(const StasisSet *s);
const char *stasis_set_excluded_writer(const StasisSet *s, unsigned index);

/* -- Writers, volumes and orphan snapshots -- */

/* The registered writers, as ListWriters gives them (docs/dbus-api.md),
 * in *ret; freed with stasis_writer_list_free(). Anyone may list them. The
 * string accessors return NULL for an index past the end, the numbers 0.
 * state is "idle" or the event under way; last_set and last_error are ""
 * if none; bus_name is the writer's unique bus name. A writer that was
 * registered before stasisd restarted and has not registered again is
 * listed with state "missing" (bus_name "", pid 0) and its last metadata,
 * until it comes back or stasis_requestor_forget_writer() forgets it. */
typedef struct StasisWriterList StasisWriterList;
int stasis_requestor_list_writers(StasisRequestor *r, StasisWriterList **ret);
StasisWriterList *stasis_writer_list_free(StasisWriterList *l);          /* accepts NULL; returns NULL */
unsigned stasis_writer_list_count(const StasisWriterList *l);
const char *stasis_writer_list_name(const StasisWriterList *l, unsigned index);
const char *stasis_writer_list_instance(const StasisWriterList *l, unsigned index);     /* "" if none */
const char *stasis_writer_list_level(const StasisWriterList *l, unsigned index);
const char *stasis_writer_list_bus_name(const StasisWriterList *l, unsigned index);
const char *stasis_writer_list_state(const StasisWriterList *l, unsigned index);
const char *stasis_writer_list_last_set(const StasisWriterList *l, unsigned index);
const char *stasis_writer_list_last_error(const StasisWriterList *l, unsigned index);
uint32_t stasis_writer_list_pid(const StasisWriterList *l, unsigned index);    /* 0 if the bus did not tell */
uint32_t stasis_writer_list_uid(const StasisWriterList *l, unsigned index);
uint32_t stasis_writer_list_component_count(const StasisWriterList *l, unsigned index);
uint32_t stasis_writer_list_metadata_size(const StasisWriterList *l, unsigned index);
/* The metadata a writer registered with (JSON, docs/writers.md), in
 * *ret_json, which the caller frees. instance NULL or "": none.
 * STASIS_ERR_NO_SUCH_WRITER (-ENXIO) if no such writer is registered (it
 * may have left since it was listed). */
/* Forgets the missing writer writer@instance (instance NULL or "": none):
 * it is no longer listed, and sets no longer record its components as
 * crash-consistent for it. Root only, or polkit's org.stasis1.forget-writer
 * (STASIS_ERR_ACCESS_DENIED). STASIS_ERR_NO_SUCH_WRITER if no such writer
 * is missing; STASIS_ERR_INVALID_ARGUMENT if it is registered. Since 0.3. */
int stasis_requestor_forget_writer(StasisRequestor *r, const char *writer, const char *instance);
int stasis_requestor_get_writer_metadata(StasisRequestor *r, const char *writer, const char *instance,
                                         char **ret_json);

/* What each path resolves to, as CreateSet would resolve it, without
 * making anything (ResolvePaths): paths is NULL-terminated, absolute (the
 * library does not look at them; stasisd resolves them in its own
 * directory). Errors as CreateSet's (STASIS_ERR_NO_SUCH_PATH,
 * STASIS_ERR_NO_PROVIDER, ...). One entry per path, in their order; the
 * accessors return NULL past the end. requested is the path as given, path
 * as resolved; volume is stasisd's key of the volume (equal for paths on
 * one volume). */
/* The writers' backup metadata of set id (docs/writers.md, "Backup
 * metadata"), in the order it was recorded: each entry a value (name and
 * value set, path NULL) or a file (path set, name and value NULL; size its
 * bytes, mode its permission bits). The accessors return NULL (0) past the
 * end. Open to every local user, like the rest of a set. */
typedef struct StasisMetadataList StasisMetadataList;
int stasis_requestor_get_set_metadata(StasisRequestor *r, const char *id, StasisMetadataList **ret);
StasisMetadataList *stasis_metadata_list_free(StasisMetadataList *l);    /* accepts NULL; returns NULL */
unsigned stasis_metadata_list_count(const StasisMetadataList *l);
const char *stasis_metadata_list_writer(const StasisMetadataList *l, unsigned index);
const char *stasis_metadata_list_instance(const StasisMetadataList *l, unsigned index);  /* "" if none */
const char *stasis_metadata_list_component(const StasisMetadataList *l, unsigned index);
const char *stasis_metadata_list_name(const StasisMetadataList *l, unsigned index);
const char *stasis_metadata_list_value(const StasisMetadataList *l, unsigned index);
const char *stasis_metadata_list_path(const StasisMetadataList *l, unsigned index);
uint64_t stasis_metadata_list_size(const StasisMetadataList *l, unsigned index);
mode_t stasis_metadata_list_mode(const StasisMetadataList *l, unsigned index);
/* The content of the metadata file at path of set id, malloc'd (the caller
 * frees *ret_data), and its mode (ret_mode may be NULL). Needs the right to
 * mount the set (org.stasis1.Error.AccessDenied otherwise); the bus'
 * FileNotFound if the set has no such file. */
int stasis_requestor_read_set_metadata_file(StasisRequestor *r, const char *id, const char *path, void **ret_data,
                                            size_t *ret_size, mode_t *ret_mode);

typedef struct StasisPathList StasisPathList;
int stasis_requestor_resolve_paths(StasisRequestor *r, const char *const *paths, StasisPathList **ret);
StasisPathList *stasis_path_list_free(StasisPathList *l);                /* accepts NULL; returns NULL */
unsigned stasis_path_list_count(const StasisPathList *l);
const char *stasis_path_list_requested(const StasisPathList *l, unsigned index);
const char *stasis_path_list_path(const StasisPathList *l, unsigned index);
const char *stasis_path_list_mount_point(const StasisPathList *l, unsigned index);
const char *stasis_path_list_device(const StasisPathList *l, unsigned index);
const char *stasis_path_list_fstype(const StasisPathList *l, unsigned index);
const char *stasis_path_list_provider(const StasisPathList *l, unsigned index);
const char *stasis_path_list_source(const StasisPathList *l, unsigned index);
const char *stasis_path_list_volume(const StasisPathList *l, unsigned index);
/* What the provider tells of the volume (the LVM provider: "lv=vg0/data",
 * "vg=vg0", "type=thin", "pool=vg0/pool", "pool_free=BYTES",
 * "vg_free=BYTES"), as "key=value" strings, NULL-terminated (empty when it
 * tells nothing); NULL past the end. */
char *const *stasis_path_list_details(const StasisPathList *l, unsigned index);

/* Orphan snapshots: snapshots in a provider's store that no set of the
 * catalog holds (docs/dbus-api.md, "Orphan snapshots"). Listing is open to
 * all; rescanning, adopting and deleting need root. The accessors return
 * NULL (strings) or 0 past the end; created is 0 if not known. */
/* -- Policies and retention (docs/retention.md). Since 0.4. -- */

/* Makes a set as policy says (stasis.policy(5)); its id in *ret_id (freed
 * with free()). The set is persistent and records the policy's name; its
 * retention is not applied (stasis_requestor_cleanup() does). */
int stasis_requestor_run_policy(StasisRequestor *r, const char *policy, char **ret_id);

/* A list of retention decisions or removals. */
typedef struct StasisRetentionList StasisRetentionList;
/* Applies retention: removes expired sets and, for policy (NULL or "":
 * every policy), the sets its counts do not keep; returns when the
 * removals have ended. dry_run (1) removes nothing and says what would go.
 * Each entry: the set id, its policy ("" if none), the action ("removed",
 * "would-remove", "kept-in-use", "failed") and the reason. */
int stasis_requestor_cleanup(StasisRequestor *r, const char *policy, int dry_run, StasisRetentionList **ret);
/* The catalog's history of removals by retention, newest first, of policy
 * (NULL or "": all), at most max (0: all kept). Action "removed"; time is
 * when, created when the set was made, label its label. */
int stasis_requestor_list_removals(StasisRequestor *r, const char *policy, unsigned max, StasisRetentionList **ret);
/* The bytes set id's snapshots hold alone (what deleting it would free),
 * from btrfs quota groups. -ENODATA when it is not known (quotas not
 * enabled, a provider other than btrfs): the last error says why. */
int stasis_requestor_get_set_exclusive_size(StasisRequestor *r, const char *id, uint64_t *ret_bytes);
/* What stasis_requestor_get_set(), stasis_requestor_get_set_metadata() and
 * stasis_requestor_get_set_exclusive_size() give of set id, asked for
 * together: the calls go out at once and the caller waits about as long as
 * for one (without the caller's loop; in it, they are made one by one).
 * ret_metadata and ret_exclusive may be NULL: not asked for. *ret_exclusive
 * is UINT64_MAX when the size is not known, and then *ret_exclusive_why
 * (may be NULL; the caller frees it) says why, or is NULL if stasisd did
 * not say (one without the method). Errors as stasis_requestor_get_set()'s,
 * or stasis_requestor_get_set_metadata()'s; an unknown size is none.
 * Since 0.4. */
int stasis_requestor_get_set_details(StasisRequestor *r, const char *id, StasisSet **ret_set,
                                     StasisMetadataList **ret_metadata, uint64_t *ret_exclusive,
                                     char **ret_exclusive_why);
StasisRetentionList *stasis_retention_list_free(StasisRetentionList *l);    /* accepts NULL; returns NULL */
unsigned stasis_retention_list_count(const StasisRetentionList *l);
const char *stasis_retention_list_set_id(const StasisRetentionList *l, unsigned index);
const char *stasis_retention_list_policy(const StasisRetentionList *l, unsigned index);
const char *stasis_retention_list_action(const StasisRetentionList *l, unsigned index);
const char *stasis_retention_list_reason(const StasisRetentionList *l, unsigned index);
const char *stasis_retention_list_label(const StasisRetentionList *l, unsigned index);
uint64_t stasis_retention_list_time_usec(const StasisRetentionList *l, unsigned index);
uint64_t stasis_retention_list_created_usec(const StasisRetentionList *l, unsigned index);

typedef struct StasisOrphanList StasisOrphanList;
int stasis_requestor_list_orphans(StasisRequestor *r, StasisOrphanList **ret);
StasisOrphanList *stasis_orphan_list_free(StasisOrphanList *l);          /* accepts NULL; returns NULL */
unsigned stasis_orphan_list_count(const StasisOrphanList *l);
const char *stasis_orphan_list_provider(const StasisOrphanList *l, unsigned index);
const char *stasis_orphan_list_handle(const StasisOrphanList *l, unsigned index);
const char *stasis_orphan_list_set_id(const StasisOrphanList *l, unsigned index);
uint64_t stasis_orphan_list_index(const StasisOrphanList *l, unsigned index);
uint64_t stasis_orphan_list_created_usec(const StasisOrphanList *l, unsigned index);
/* Looks in the stores again (RescanOrphans); >= 0: how many orphans
 * there are now. */
int stasis_requestor_rescan_orphans(StasisRequestor *r);
/* Makes the orphans of set id set_id a set again (AdoptOrphans); its id
 * in *ret_id (free() it). STASIS_ERR_NO_SUCH_ORPHAN, STASIS_ERR_SET_EXISTS. */
int stasis_requestor_adopt_orphans(StasisRequestor *r, const char *set_id, char **ret_id);
/* Deletes one orphan snapshot by its handle (DeleteOrphan);
 * STASIS_ERR_NO_SUCH_ORPHAN if it is not one. */
int stasis_requestor_delete_orphan(StasisRequestor *r, const char *handle);

/* -- Finishing with a set -- */

/* Reports the backup of set id done. failed: NULL-terminated names
 * (WRITER[@INSTANCE]:COMPONENT) of the components that were not backed up;
 * NULL or empty: none. STASIS_ERR_BUSY if the set is not created or was
 * completed already, STASIS_ERR_NO_SUCH_COMPONENT for a name not in the
 * set, STASIS_ERR_NO_SUCH_SET if there is no such set (the library asks
 * stasisd for the set first), -EINVAL for an id that cannot name a set
 * (as stasis_requestor_get_set()). */
int stasis_requestor_complete_set(StasisRequestor *r, const char *id, const char *const *failed);
/* Deletes set id and its snapshots; returns when they are removed.
 * STASIS_ERR_NO_SUCH_SET, STASIS_ERR_BUSY (still being made),
 * STASIS_ERR_PROVIDER_FAILED or STASIS_ERR_TIMEOUT (stasisd retries). */
int stasis_requestor_delete_set(StasisRequestor *r, const char *id);

/* -- External sets: snapshots someone else takes (docs/virtualization.md) -- */

/* Freezes the writers of an external set (FreezeExternal in
 * docs/dbus-api.md) and returns once they froze or failed to: Identify,
 * PrepareBackup, PrepareSnapshot and Freeze, for the components of q's
 * paths and components (neither: every writer's), with q's label; q's
 * persistent does not matter (an external set is not tied to this
 * connection), a request id or require-writers is -EINVAL. window_usec: the
 * freeze window (0: stasisd's; at least 100000; capped by stasisd's and
 * the writers'). On success the set's id is in *ret_id (free() it) and the
 * writers that did not freeze, one "writer: reason" per line ("" if none),
 * in *ret_not_frozen (may be NULL; free() it); returns how many did not
 * freeze (>= 0: the set is frozen either way, those writers' components
 * are crash-consistent). Then let the file systems be frozen and the
 * snapshot be taken, and call stasis_requestor_thaw_external() before the
 * window ends. STASIS_ERR_BUSY (another external set holds the writers: the
 * message names it), STASIS_ERR_INVALID_ARGUMENT, STASIS_ERR_NO_SUCH_PATH,
 * STASIS_ERR_NO_SUCH_COMPONENT. Root, or polkit's
 * org.stasis1.freeze-external. Since 0.4. */
int stasis_requestor_freeze_external(StasisRequestor *r, const StasisSetRequest *q, uint64_t window_usec,
                                     char **ret_id, char **ret_not_frozen);
/* Thaws external set id (NULL or "": the one frozen now) and returns once
 * its writers are thawed and told (PostSnapshot) and the set is recorded
 * (if they are still being frozen: once they froze and are thawed again);
 * its id in *ret_id (may be NULL; free() it). STASIS_ERR_TIMEOUT if the
 * freeze window passed before (the writers were thawed then; the set is
 * "failed"), STASIS_ERR_NO_SUCH_SET (none frozen), STASIS_ERR_BUSY,
 * STASIS_ERR_INVALID_ARGUMENT (not an external set). Since 0.4. */
int stasis_requestor_thaw_external(StasisRequestor *r, const char *id, char **ret_id);

/* -- Views: reading a set's snapshots (docs/views.md) -- */

/* Mounts every snapshot of set id read-only (nosuid, nodev) under dir, each
 * at dir/<its volume's mount point>, with the options its file system
 * needs; dir NULL or "": stasisd's own, /run/stasis/sets/<id>. dir must be
 * an empty directory (the caller's, unless the caller is root). *ret_root
 * (may be NULL; free() it) is where. stasisd keeps track: a mounted set is
 * not deleted (STASIS_ERR_BUSY) until stasis_requestor_unmount_set(); an
 * auto-released set is unmounted. Root, or polkit's org.stasis1.mount-set.
 * Errors: STASIS_ERR_NO_SUCH_SET, STASIS_ERR_BUSY (not created, or mounted
 * already), STASIS_ERR_NO_SUCH_PATH, STASIS_ERR_NOT_A_DIRECTORY,
 * STASIS_ERR_INVALID_ARGUMENT (dir not empty), STASIS_ERR_PROVIDER_FAILED
 * (a snapshot cannot be mounted: the message names it). Nothing stays
 * mounted on failure. */
int stasis_requestor_mount_set(StasisRequestor *r, const char *id, const char *dir, char **ret_root);
/* Unmounts set id; STASIS_ERR_INVALID_ARGUMENT if it is not mounted. */
int stasis_requestor_unmount_set(StasisRequestor *r, const char *id);

/* The snapshots of a set as detached mounts (open_tree(2)), one per volume,
 * read-only, that no path reaches: nothing is mounted anywhere, and they
 * vanish when closed. For a backup tool that reads them at their original
 * paths in a mount namespace of its own (stasis_view_enter()). Root, or
 * polkit's org.stasis1.mount-set; errors as stasis_requestor_mount_set(). */
typedef struct StasisView StasisView;
int stasis_requestor_open_view(StasisRequestor *r, const char *id, StasisView **ret);
unsigned stasis_view_count(const StasisView *v);
/* The original mount point of volume index, parents before children. */
const char *stasis_view_mount_point(const StasisView *v, unsigned index);
/* Its mount, owned by v (-1 once entered). */
int stasis_view_fd(const StasisView *v, unsigned index);
/* Moves the calling process into a private mount namespace of its own
 * (unshare(CLONE_NEWNS), everything made private) and attaches each
 * snapshot over its original mount point, parents first. Mounts of the
 * namespace below a mount point that are not the set's are put back on
 * top, where the snapshot has their directory. A snapshot of "/" becomes
 * the process's root (pivot_root(2); the live root is not reachable from
 * it). The working directory is changed to the same path in the view.
 * Needs CAP_SYS_ADMIN; call it in the process (a child, usually) that will
 * run the backup, before dropping privileges. Negative errno. */
int stasis_view_enter(StasisView *v);
/* What stasis_view_enter() could not do, when it knows more than its
 * errno (the path at fault); NULL otherwise. Valid until v is freed. */
const char *stasis_view_error(const StasisView *v);
/* Closes what is left; returns NULL. NULL is fine. It does not tell
 * stasisd: see stasis_requestor_close_view(). */
StasisView *stasis_view_free(StasisView *v);
/* stasisd counts each view it hands out as held by the requestor's bus
 * connection, until the requestor says it is done with it (this call, once
 * the backup has read it: CMD ended) or the connection closes. A set with
 * views held by other connections is not deleted (STASIS_ERR_BUSY naming
 * their holders) and retention, expiry and the space watch keep it; the
 * requestor's own views do not keep it from its own delete. Tells stasisd
 * that one view of set id this connection holds is closed;
 * STASIS_ERR_INVALID_ARGUMENT if it holds none, STASIS_ERR_NO_SUCH_SET.
 * Since 0.4. */
int stasis_requestor_close_view(StasisRequestor *r, const char *id);
/* Makes stasisd forget every open view of set id, whoever holds them (the
 * views stay readable by their holders; the set may then be deleted under
 * them): what `stasis delete --force` does first. Root, or polkit's
 * org.stasis1.delete-set. Since 0.4. */
int stasis_requestor_forget_views(StasisRequestor *r, const char *id);

/* -- Being told of changes -- */

typedef enum StasisSetChange {
        STASIS_SET_ADDED,       /* set has every property; state "creating" */
        STASIS_SET_CHANGED,     /* set has the properties that change (state, consistency, error,
                                 * volumes, hold, components, completed, window) and the id; the
                                 * others ("label", "created", ...) are "" and 0 */
        STASIS_SET_REMOVED,     /* set is NULL */
} StasisSetChange;
/* set is valid during the call; stasis_set_ref() it to keep it. */
typedef void (*stasis_set_handler_t)(StasisRequestor *r, StasisSetChange change, const char *id,
                                     const StasisSet *set, void *userdata);
/* Calls handler, from the event loop, whenever a set appears, changes or
 * vanishes. Only signals whose sender is the current owner of org.stasis1
 * count; forged ones from other connections are dropped. Subscribe before
 * stasis_requestor_list_sets() to miss nothing. One handler per requestor:
 * a second call replaces it; handler NULL stops. */
int stasis_requestor_watch_sets(StasisRequestor *r, stasis_set_handler_t handler, void *userdata);

#ifdef __cplusplus
}
#endif
