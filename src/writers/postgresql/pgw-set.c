/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-set.c - what the PostgreSQL writer does for each snapshot set, one session per set
 *
 * PrepareSnapshot opens a session of its own for the set and runs CHECKPOINT
 * in it, and, when the set is not crash-atomic across the cluster's volumes,
 * pg_backup_start(). Freeze checks that the session is still there; in
 * backup mode it switches to a new WAL segment, so that the WAL written from
 * then to the end of the backup starts a segment, and, while frozen, the
 * writer switches again whenever a segment holds PGW_SWITCH_BYTES. Thaw
 * (which stasisd sends once the snapshots are taken) ends the backup with
 * pg_backup_stop(), and PostSnapshot stores what a restore needs with the set
 * (pgw-backup.c); without backup mode PostSnapshot checks the session again.
 * Abort, or the writer dying, closes the session: the server then ends a
 * backup mode by itself.
 *
 * Every query is sent without blocking; the handlers return
 * STASIS_EVENT_ASYNC and the answer goes when the server has answered.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list.h"
#include "log.h"
#include "macro.h"
#include "pgw-backup.h"
#include "pgw-conn.h"
#include "pgw-set.h"
#include "strv.h"
#include "writer-main.h"

#define PGW_SETS_MAX 16

typedef enum PgwPhase {
        PGW_CONNECTING,         /* PrepareSnapshot */
        PGW_CHECKPOINT,         /* PrepareSnapshot */
        PGW_CHECKPOINT_LSN,     /* PrepareSnapshot: where a start from the snapshot begins its redo */
        PGW_TABLESPACES,        /* PrepareSnapshot: a tablespace made since the writer started? */
        PGW_BACKUP_START,       /* PrepareSnapshot, backup mode */
        PGW_PREPARED,           /* waits for Freeze */
        PGW_FREEZE_CHECK,       /* Freeze */
        PGW_FROZEN,             /* waits for Thaw (backup mode: the poll timer runs) */
        PGW_FROZEN_POLL,        /* backup mode: a poll of the WAL is under way */
        PGW_BACKUP_STOP,        /* Thaw, backup mode */
        PGW_THAWED,             /* waits for PostSnapshot */
        PGW_POST_CHECK,         /* PostSnapshot */
        PGW_FAILED,             /* the session failed between events: the next one says why */
} PgwPhase;

struct PgwSet {
        Pgw *pgw;
        char *id;
        PgwConn *conn;
        StasisEvent *event;     /* the event being answered */
        PgwPhase phase;
        bool backup;            /* the set is not crash-atomic: backup mode */
        PgwBackupWal wal;       /* learned at Freeze and while frozen, in backup mode */
        uint64_t segment_start; /* where the segment being written starts */
        sd_event_source *poll;  /* the WAL poll timer while frozen */
        PgwBackupStop stop;     /* what pg_backup_stop() answered at Thaw */
        char *failure;          /* PGW_FAILED: why */
        LIST_FIELDS(PgwSet, sets);
};

static PgwSet *set_free(PgwSet *s) {
        if (!s)
                return NULL;
        LIST_REMOVE(sets, s->pgw->sets_head, s->pgw->sets_tail, s);
        s->pgw->n_sets--;
        if (s->event) {
                (void) stasis_event_complete(s->event, -ECANCELED);
                stasis_event_unref(s->event);
        }
        sd_event_source_disable_unref(s->poll);
        pgw_conn_free(s->conn);         /* ends a backup mode under way */
        pgw_backup_stop_done(&s->stop);
        free(s->failure);
        free(s->id);
        free(s);
        return NULL;
}

static PgwSet *set_find(Pgw *p, const char *id) {
        for (PgwSet *s = p->sets_head; s; s = s->sets_next)
                if (streq(s->id, id))
                        return s;
        return NULL;
}

/* Answers the event under way with error (0, or a veto made before). */
static void set_answer(PgwSet *s, int error) {
        StasisEvent *e = s->event;
        s->event = NULL;
        if (e) {
                (void) stasis_event_complete(e, error);
                stasis_event_unref(e);
        }
}

static void set_veto(PgwSet *s, int retryable, const char *what, const char *error) {
        size_t n = strlen(error);
        log_error("Set %s: %s: %s%s", s->id, what, error, n > 0 && strchr("?!", error[n - 1]) ? "" : ".");
        if (s->event)
                set_answer(s, stasis_event_veto(s->event, retryable, "%s: %s", what, error));
}

/* The session failed with no event under way: the next event vetoes. */
static void set_fail(PgwSet *s, const char *what, const char *error) {
        log_error("Set %s: %s: %s", s->id, what, error);
        s->poll = sd_event_source_disable_unref(s->poll);
        free(s->failure);
        if (asprintf(&s->failure, "%s: %s", what, error) < 0)
                s->failure = NULL;
        s->phase = PGW_FAILED;
}

static void on_done(PgwConn *c, const PGresult *res, const char *error, void *userdata);

static void set_query(PgwSet *s, PgwPhase phase, const char *sql, int n, const char *const *params) {
        int r;

        s->phase = phase;
        r = pgw_conn_query(s->conn, sql, n, params, on_done, s);
        if (r == -ENOTCONN)
                set_veto(s, 1, "the session for the set ended", pgw_conn_error(s->conn));
        else if (r < 0)
                set_veto(s, 0, "cannot send a query to PostgreSQL", strerror(-r));
}

static void start_backup(PgwSet *s) {
        char label[128];
        const char *params[] = { label };

        /* fast: the checkpoint of the backup start is taken at once, not spread. */
        (void) snprintf(label, sizeof label, "stasis set %s", s->id);
        set_query(s, PGW_BACKUP_START,
                  s->pgw->cluster.server_version >= 150000 ? "SELECT pg_backup_start($1, true)"
                                                           : "SELECT pg_start_backup($1, true, false)",
                  1, params);
}

static void stop_backup(PgwSet *s) {
        set_query(s, PGW_BACKUP_STOP,
                  s->pgw->cluster.server_version >= 150000
                  ? "SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)"
                  : "SELECT lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)",
                  0, NULL);
}

static int on_poll_timer(sd_event_source *src, uint64_t usec, void *userdata) {
        PgwSet *s = userdata;
        char start[32], bytes[32];
        const char *params[] = { start, bytes };
        int r;

        if (s->phase != PGW_FROZEN)
                return 0;
        (void) snprintf(start, sizeof start, "%X/%X", (unsigned) (s->segment_start >> 32),
                        (unsigned) (s->segment_start & 0xffffffffu));
        (void) snprintf(bytes, sizeof bytes, "%d", PGW_SWITCH_BYTES);
        s->phase = PGW_FROZEN_POLL;
        r = pgw_conn_query(s->conn, PGW_BACKUP_POLL_QUERY, 2, params, on_done, s);
        if (r < 0)
                set_fail(s, "the session for the set ended while frozen",
                         r == -ENOTCONN ? pgw_conn_error(s->conn) : strerror(-r));
        return 0;
}

static void poll_again(PgwSet *s) {
        int r;

        s->phase = PGW_FROZEN;
        if (s->poll) {
                r = sd_event_source_set_time_relative(s->poll, PGW_POLL_USEC);
                if (r >= 0)
                        r = sd_event_source_set_enabled(s->poll, SD_EVENT_ONESHOT);
        } else
                r = sd_event_add_time_relative(s->pgw->event, &s->poll, CLOCK_MONOTONIC, PGW_POLL_USEC, 0,
                                               on_poll_timer, s);
        if (r < 0)
                log_warning_errno(r, "Set %s: cannot arm the WAL poll: %m", s->id);
}

/* A poll answered: '' or where the segment it switched ends. */
static void on_poll(PgwSet *s, const PGresult *res, const char *error) {
        uint64_t end;

        if (error && s->event) {        /* Thaw came meanwhile */
                set_veto(s, 1, "the session for the set failed while frozen", error);
                s->phase = PGW_FAILED;
                return;
        }
        if (error)
                return set_fail(s, "the session for the set failed while frozen", error);
        if (PQntuples(res) == 1 && *PQgetvalue(res, 0, 0) && pgw_lsn_parse(PQgetvalue(res, 0, 0), &end) >= 0) {
                if (s->wal.n_ends < PGW_WAL_SWITCHES_MAX) {
                        s->wal.ends[s->wal.n_ends++] = end;
                        log_debug("Set %s: switched WAL segments at %X/%X.", s->id, (unsigned) (end >> 32),
                                  (unsigned) (end & 0xffffffffu));
                }
                s->segment_start = pgw_wal_next_segment_start(&s->wal, end);
        }
        if (s->event) {                 /* Thaw came meanwhile */
                s->poll = sd_event_source_disable_unref(s->poll);
                return stop_backup(s);
        }
        if (s->wal.n_ends < PGW_WAL_SWITCHES_MAX)
                poll_again(s);
        else
                s->phase = PGW_FROZEN;
}

static void on_done(PgwConn *c, const PGresult *res, const char *error, void *userdata) {
        PgwSet *s = userdata;
        _cleanup_free_ char *msg = NULL;
        int r;

        switch (s->phase) {
        case PGW_CONNECTING:
                if (error)
                        return set_veto(s, 1, "cannot open a session for the set", error);
                /* All that a start from the snapshot must replay is what is written after this. */
                return set_query(s, PGW_CHECKPOINT, "CHECKPOINT", 0, NULL);
        case PGW_CHECKPOINT:
                if (error)
                        return set_veto(s, 1, "CHECKPOINT failed", error);
                return set_query(s, PGW_CHECKPOINT_LSN, "SELECT redo_lsn::text FROM pg_control_checkpoint()", 0, NULL);
        case PGW_CHECKPOINT_LSN:
                if (error)
                        return set_veto(s, 1, "cannot read the checkpoint's redo LSN", error);
                log_info("Set %s: checkpoint done; a start from the snapshot replays the WAL from %s on.", s->id,
                         PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : "?");
                return set_query(s, PGW_TABLESPACES, PGW_TABLESPACES_QUERY, 0, NULL);
        case PGW_TABLESPACES:
                if (error)
                        return set_veto(s, 1, "cannot list the tablespaces", error);
                r = pgw_cluster_add_tablespaces(&s->pgw->cluster, res, &msg);
                if (r < 0)
                        return set_veto(s, 1, "cannot resolve a tablespace's location", msg ?: strerror(-r));
                if (r > 0) {
                        /* The set was resolved without it, so it cannot hold the
                         * cluster; the next one will. */
                        const char *path = s->pgw->cluster.paths[strv_length(s->pgw->cluster.paths) - 1];
                        r = s->pgw->paths_changed(s->pgw);
                        if (r < 0)
                                return set_veto(s, 1, "a tablespace made since the writer started is not in the set",
                                                path);
                        if (asprintf(&msg, "%s (the writer has added it to its component: try again)", path) < 0)
                                msg = NULL;
                        return set_veto(s, 1, "a tablespace made since the writer started is not in the set",
                                        msg ?: path);
                }
                if (s->backup)
                        return start_backup(s);
                s->phase = PGW_PREPARED;
                return set_answer(s, 0);
        case PGW_BACKUP_START:
                if (error)
                        return set_veto(s, 1, "cannot start the backup mode", error);
                log_info("Set %s: backup mode started (the set is not crash-atomic across the cluster's volumes).",
                         s->id);
                s->phase = PGW_PREPARED;
                return set_answer(s, 0);
        case PGW_FREEZE_CHECK:
                if (error)
                        return set_veto(s, 1, "the session with PostgreSQL failed at Freeze", error);
                s->phase = PGW_FROZEN;
                if (s->backup) {
                        r = pgw_backup_wal_parse(res, &s->wal, &msg);
                        if (r < 0)
                                return set_veto(s, 0, "cannot switch to a new WAL segment", msg ?: strerror(-r));
                        s->segment_start = pgw_wal_next_segment_start(&s->wal, s->wal.switch_lsn);
                        poll_again(s);
                }
                return set_answer(s, 0);
        case PGW_FROZEN_POLL:
                return on_poll(s, res, error);
        case PGW_BACKUP_STOP:
                if (error)
                        return set_veto(s, 1, "cannot end the backup mode", error);
                r = pgw_backup_stop_parse(res, &s->stop, &msg);
                if (r < 0)
                        return set_veto(s, 0, "cannot end the backup mode", msg ?: strerror(-r));
                s->phase = PGW_THAWED;
                return set_answer(s, 0);
        case PGW_POST_CHECK:
                if (error) {
                        set_veto(s, 1, "the session with PostgreSQL was lost during the set", error);
                        set_free(s);
                        return;
                }
                set_answer(s, 0);
                set_free(s);
                return;
        case PGW_PREPARED:
        case PGW_FROZEN:
        case PGW_THAWED:
        case PGW_FAILED:
                return;
        }
}

/* Keeps e to answer later. */
static int set_take(PgwSet *s, StasisEvent *e) {
        s->event = stasis_event_ref(e);
        return STASIS_EVENT_ASYNC;
}

static int set_failed(PgwSet *s, StasisEvent *e) {
        return stasis_event_veto(e, 1, "%s", s->failure ?: "the session for the set failed");
}

static int on_prepare_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        Pgw *p = userdata;
        const char *id = stasis_event_set_id(e);
        PgwSet *s;
        int r;

        if (set_find(p, id))
                return stasis_event_veto(e, 0, "PrepareSnapshot for set %s came twice", id);
        if (p->n_sets >= PGW_SETS_MAX)
                return stasis_event_veto(e, 1, "%u sets are under way already, the most this writer takes",
                                         p->n_sets);
        s = calloc(1, sizeof *s);
        if (!s || !(s->id = strdup(id))) {
                free(s);
                return -ENOMEM;
        }
        s->pgw = p;
        s->backup = stasis_event_crash_atomic(e) == 0;
        LIST_APPEND(sets, p->sets_head, p->sets_tail, s);
        p->n_sets++;
        s->phase = PGW_CONNECTING;
        r = pgw_conn_open(p->event, p->conninfo, on_done, s, &s->conn);
        if (r < 0) {
                set_free(s);
                return r;
        }
        return set_take(s, e);
}

static int on_freeze(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        PgwSet *s = set_find(userdata, stasis_event_set_id(e));

        if (!s || s->phase != PGW_PREPARED)
                return stasis_event_veto(e, 1, "no prepared session with PostgreSQL for set %s",
                                         stasis_event_set_id(e));
        set_take(s, e);
        set_query(s, PGW_FREEZE_CHECK, s->backup ? PGW_BACKUP_WAL_QUERY : "SELECT 1", 0, NULL);
        return STASIS_EVENT_ASYNC;
}

static int on_thaw(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        PgwSet *s = set_find(userdata, stasis_event_set_id(e));

        if (!s)
                return 0;               /* resuming what is not paused is harmless */
        if (stasis_event_reason(e)) {
                /* Raised by the library (the window passed, stasisd gone, an
                 * Abort): the snapshots may not all be taken. No backup end. */
                s->poll = sd_event_source_disable_unref(s->poll);
                if (s->phase == PGW_FROZEN)
                        set_fail(s, "thawed before the snapshots were all taken", stasis_event_reason(e));
                return 0;
        }
        if (s->phase == PGW_FAILED)
                return set_failed(s, e);
        if (!s->backup) {
                if (s->phase == PGW_FROZEN)
                        s->phase = PGW_THAWED;
                return 0;
        }
        if (s->phase == PGW_FROZEN_POLL)        /* the stop follows the poll under way */
                return set_take(s, e);
        if (s->phase != PGW_FROZEN)
                return stasis_event_veto(e, 0, "Thaw for set %s came before Freeze", s->id);
        s->poll = sd_event_source_disable_unref(s->poll);
        set_take(s, e);
        stop_backup(s);
        return STASIS_EVENT_ASYNC;
}

static int on_post_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        PgwSet *s = set_find(userdata, stasis_event_set_id(e));
        _cleanup_free_ char *msg = NULL;
        int r;

        if (!s)
                return stasis_event_veto(e, 0, "no session with PostgreSQL for set %s", stasis_event_set_id(e));
        if (s->phase == PGW_FAILED) {
                r = set_failed(s, e);
                set_free(s);
                return r;
        }
        if (s->phase != PGW_THAWED)
                return stasis_event_veto(e, 0, "PostSnapshot for set %s came before Thaw", s->id);
        if (!s->backup) {
                set_take(s, e);
                set_query(s, PGW_POST_CHECK, "SELECT 1", 0, NULL);
                return STASIS_EVENT_ASYNC;
        }
        r = pgw_backup_store(e, s->pgw->component, &s->pgw->cluster, &s->wal, &s->stop, &msg);
        if (r < 0) {
                log_error("Set %s: cannot store the backup with the set: %s.", s->id, msg ?: strerror(-r));
                r = stasis_event_veto(e, 0, "cannot store the backup with the set: %s", msg ?: strerror(-r));
        } else {
                log_info("Set %s: backup mode ended at %s; backup_label, tablespace_map and %d WAL file(s) stored with the set.",
                         s->id, s->stop.lsn, r);
                r = 0;
        }
        set_free(s);
        return r;
}

static int on_abort(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        PgwSet *s = set_find(userdata, stasis_event_set_id(e));

        if (s) {
                log_info("Set %s aborted (%s): session closed%s.", s->id, strna(stasis_event_reason(e)),
                         s->backup ? ", which ends its backup mode" : "");
                set_free(s);
        }
        return 0;
}

static const WriterHandler handlers[] = {
        { STASIS_EVENT_PREPARE_SNAPSHOT, on_prepare_snapshot },
        { STASIS_EVENT_FREEZE, on_freeze },
        { STASIS_EVENT_THAW, on_thaw },
        { STASIS_EVENT_POST_SNAPSHOT, on_post_snapshot },
        { STASIS_EVENT_ABORT, on_abort },
};

int pgw_set_handlers(Pgw *p, StasisWriter *w) {
        int r;

        r = writer_set_handlers(w, handlers, ELEMENTSOF(handlers), p);
        return r;
}

void pgw_sets_free(Pgw *p) {
        while (p->sets_head)
                set_free(p->sets_head);
}
