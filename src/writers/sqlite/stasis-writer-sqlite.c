/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-sqlite.c - a writer for SQLite databases: the WAL checkpointed at PrepareSnapshot, the
 * write lock held across the freeze */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "macro.h"
#include "sqlite-config.h"
#include "sqlite-databases.h"
#include "stasis/stasis.h"
#include "writer-main.h"

/* While Freeze waits for a write lock another connection holds, it tries
 * again and again for this long at a time (every 20-100 us: the lock of a
 * busy application is free for microseconds between its transactions), and
 * in between, the loop runs. */
#define LOCK_WAIT_MS 50
#define LOCK_RETRY_USEC (1ULL * 1000ULL)

static void help(void) {
        printf("stasis-writer-sqlite [OPTIONS]\n\n"
               "A stasis writer for SQLite databases: checkpoints their write-ahead log at\n"
               "PrepareSnapshot and holds their write lock while the snapshots are taken.\n\n"
               "  -h --help              this help\n"
               "     --config PATH       the configuration (default %s)\n"
               "     --bus-address ADDR  the bus stasisd is on (default: the system bus)\n",
               SQLITE_WRITER_CONFIG_FILE);
}

static WriterArgs arg = {
        .help = help,
        .config = SQLITE_WRITER_CONFIG_FILE,
        .stderr_name = "stasis-writer-sqlite",
};

static SqliteConfig config;
static Database *dbs;
static size_t n_dbs;
static sd_event *event;

/* The set prepared last, and which databases are in it. */
static char *prepared_set;
static bool *in_set;

/* A Freeze waiting for write locks that other connections hold. */
static struct {
        StasisEvent *e;
        sd_event_source *timer;
        uint64_t deadline;
        uint64_t started;
} freezing;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static void unlock_all(void) {
        for (size_t i = 0; i < n_dbs; i++)
                database_unlock(&dbs[i]);
}

/* ---- PrepareSnapshot: which databases, and their checkpoint ---- */

static int on_prepare_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        const char *const *components = stasis_event_components(e);
        char err[1024];
        int r;

        free(prepared_set);
        prepared_set = strdup(stasis_event_set_id(e));
        if (!prepared_set)
                return -ENOMEM;
        for (size_t i = 0; i < n_dbs; i++) {
                in_set[i] = false;
                for (size_t c = 0; components[c]; c++)
                        in_set[i] = in_set[i] || streq(components[c], dbs[i].component);
        }
        for (size_t i = 0; i < n_dbs; i++) {
                if (!in_set[i])
                        continue;
                r = database_checkpoint(&dbs[i], (int) (config.busy_timeout_usec / 1000), err, sizeof err);
                /* A log not emptied (a reader kept it) is still consistent with the database under
                 * the write lock: the copy replays it when opened. Only slower to open. */
                if (r == -EBUSY)
                        fprintf(stderr, "stasis-writer-sqlite: set %s: %s; the snapshot holds the rest of the "
                                "write-ahead log\n", stasis_event_set_id(e), err);
                else if (r < 0)
                        return stasis_event_veto(e, 0, "%s", err);
        }
        return 0;
}

/* ---- Freeze: the write locks, waiting for them at most the busy time-out ---- */

static void freeze_end(int error) {
        StasisEvent *e = TAKE_PTR(freezing.e);

        freezing.timer = sd_event_source_disable_unref(freezing.timer);
        if (e) {
                (void) stasis_event_complete(e, error);
                stasis_event_unref(e);
        }
}

/* 1: every database of the set locked; 0: some are busy; < 0: failed (vetoed). */
static int lock_step(StasisEvent *e, int wait_ms) {
        char err[1024];
        bool busy = false;

        for (size_t i = 0; i < n_dbs; i++) {
                if (!in_set[i])
                        continue;
                int r = database_try_lock(&dbs[i], wait_ms, err, sizeof err);
                if (r < 0) {
                        unlock_all();
                        return stasis_event_veto(e, 0, "%s", err);
                }
                busy = busy || r == 0;
        }
        return busy ? 0 : 1;
}

static int on_lock_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        StasisEvent *e = freezing.e;
        int r = lock_step(e, LOCK_WAIT_MS);

        if (r != 0) {
                freeze_end(r < 0 ? r : 0);
                return 0;
        }
        if (now_usec() >= freezing.deadline) {
                unlock_all();
                freeze_end(stasis_event_veto(e, 1, "a database stayed locked by another connection for %.1f s "
                                             "(BusyTimeoutSec=)", (double) (now_usec() - freezing.started) / 1e6));
                return 0;
        }
        (void) sd_event_source_set_time_relative(s, LOCK_RETRY_USEC);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static int on_freeze(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        uint64_t window = stasis_event_freeze_window_usec(e);
        int r;

        if (!prepared_set || !streq(prepared_set, stasis_event_set_id(e)))
                for (size_t i = 0; i < n_dbs; i++)
                        in_set[i] = true;       /* not told which: all of them */
        if (freezing.e)
                freeze_end(-ECANCELED);
        r = lock_step(e, 0);
        if (r != 0)
                return r < 0 ? r : 0;
        /* Busy: wait for the writers under way, but leave most of the window to the snapshots. */
        freezing.started = now_usec();
        freezing.deadline = freezing.started + MIN(config.busy_timeout_usec, window / 2);
        r = sd_event_add_time_relative(event, &freezing.timer, CLOCK_MONOTONIC, LOCK_RETRY_USEC, 0, on_lock_retry,
                                       NULL);
        if (r < 0) {
                unlock_all();
                return r;
        }
        freezing.e = stasis_event_ref(e);
        return STASIS_EVENT_ASYNC;
}

/* ---- Thaw (also by itself, when the window passes) and Abort ---- */

static int on_thaw(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        if (freezing.e) {
                unlock_all();
                freeze_end(stasis_event_veto(freezing.e, 1, "thawed before every write lock was taken: %s",
                                             stasis_event_reason(e) ?: "Thaw"));
        }
        unlock_all();
        if (stasis_event_is_auto_thaw(e) > 0)
                fprintf(stderr, "stasis-writer-sqlite: set %s: write locks released by themselves: %s\n",
                        stasis_event_set_id(e), strna(stasis_event_reason(e)));
        return 0;
}

static int on_abort(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        unlock_all();
        if (prepared_set && streq(prepared_set, stasis_event_set_id(e)))
                prepared_set = mfree(prepared_set);
        return 0;
}

/* ---- Setting up ---- */

/* One component per database, named after its file, made unique. */
static int make_databases(StasisWriter *w) {
        dbs = calloc(config.n_paths, sizeof(Database));
        in_set = calloc(config.n_paths, sizeof(bool));
        if (!dbs || !in_set)
                return -ENOMEM;
        for (size_t i = 0; i < config.n_paths; i++) {
                const char *base = strrchr(config.paths[i], '/') + 1;
                char name[128];
                int r;

                snprintf(name, sizeof name, "%s", *base ? base : "database");
                for (unsigned k = 2; ; k++) {
                        bool taken = false;
                        for (size_t j = 0; j < i; j++)
                                taken = taken || streq(dbs[j].component, name);
                        if (!taken)
                                break;
                        snprintf(name, sizeof name, "%.100s-%u", *base ? base : "database", k);
                }
                dbs[i].path = config.paths[i];
                dbs[i].component = strdup(name);
                if (!dbs[i].component)
                        return -ENOMEM;
                n_dbs++;
                const char *paths[] = { dbs[i].path, NULL };
                r = stasis_writer_add_component(w, name, paths, 1, "an SQLite database");
                if (r < 0) {
                        fprintf(stderr, "stasis-writer-sqlite: database %s: %s\n", dbs[i].path,
                                stasis_writer_last_error(w));
                        return r;
                }
        }
        return 0;
}

static const WriterHandler handlers[] = {
        { STASIS_EVENT_PREPARE_SNAPSHOT, on_prepare_snapshot },
        { STASIS_EVENT_FREEZE, on_freeze },
        { STASIS_EVENT_THAW, on_thaw },
        { STASIS_EVENT_ABORT, on_abort },
};

int main(int argc, char *argv[]) {
        StasisWriter *w = NULL;
        int r;

        r = writer_parse_argv(argc, argv, &arg);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        r = sqlite_config_read(arg.config, &config);
        if (r < 0) {
                if (r == -ENOENT)
                        fprintf(stderr, "stasis-writer-sqlite: %s does not exist\n", arg.config);
                return 1;
        }
        r = writer_stderr_open("sqlite", config.instance, config.freeze_timeout_usec, arg.bus, &event, &w);
        if (r >= 0)
                r = make_databases(w);
        if (r >= 0)
                r = writer_set_handlers(w, handlers, ELEMENTSOF(handlers), NULL);
        r = writer_stderr_start("sqlite", w, event, r);
        if (r < 0) {
                r = 1;
        } else {
                fprintf(stderr, "stasis-writer-sqlite: %zu database(s)\n", n_dbs);
                r = sd_event_loop(event) < 0;
        }
        freeze_end(-ECANCELED);
        for (size_t i = 0; i < n_dbs; i++) {
                database_close(&dbs[i]);
                free(dbs[i].component);
        }
        stasis_writer_unref(w);
        sd_event_unref(event);
        free(dbs);
        free(in_set);
        free(prepared_set);
        sqlite_config_done(&config);
        return r;
}
