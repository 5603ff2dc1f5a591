/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-set.c - what the PostgreSQL writer does for each snapshot set, one session per set
 *
 * PrepareSnapshot opens a session of its own for the set and runs CHECKPOINT
 * in it, and, when the set is not crash-atomic across the cluster's volumes,
 * pg_backup_start(). Freeze checks that the session is still there (and, in
 * backup mode, switches to a new WAL segment, so that the WAL written from
 * then to the end of the backup starts a segment). PostSnapshot checks the
 * session again, or ends the backup with pg_backup_stop() and stores what a
 * restore needs with the set (pgw-backup.c). Abort, or the writer dying,
 * closes the session: the server then ends a backup mode by itself.
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

#define PGW_SETS_MAX 16

typedef enum PgwPhase {
        PGW_CONNECTING,         /* PrepareSnapshot */
        PGW_CHECKPOINT,         /* PrepareSnapshot */
        PGW_BACKUP_START,       /* PrepareSnapshot, backup mode */
        PGW_PREPARED,           /* waits for Freeze */
        PGW_FREEZE_CHECK,       /* Freeze */
        PGW_FROZEN,             /* waits for PostSnapshot */
        PGW_POST_CHECK,         /* PostSnapshot */
        PGW_BACKUP_STOP,        /* PostSnapshot, backup mode */
} PgwPhase;

struct PgwSet {
        Pgw *pgw;
        char *id;
        PgwConn *conn;
        StasisEvent *event;     /* the event being answered */
        PgwPhase phase;
        bool backup;            /* the set is not crash-atomic: backup mode */
        PgwBackupWal wal;       /* learned at Freeze, in backup mode */
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
        pgw_conn_free(s->conn);         /* ends a backup mode under way */
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
                if (s->backup) {
                        r = pgw_backup_wal_parse(res, &s->wal, &msg);
                        if (r < 0)
                                return set_veto(s, 0, "cannot switch to a new WAL segment", msg ?: strerror(-r));
                }
                s->phase = PGW_FROZEN;
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
        case PGW_BACKUP_STOP:
                if (error) {
                        set_veto(s, 1, "cannot end the backup mode", error);
                        set_free(s);
                        return;
                }
                r = pgw_backup_store(s->event, s->pgw->component, &s->pgw->cluster, &s->wal, res, &msg);
                if (r < 0) {
                        set_veto(s, 0, "cannot store the backup with the set", msg ?: strerror(-r));
                        set_free(s);
                        return;
                }
                log_info("Set %s: backup mode ended; backup_label, tablespace_map and %d WAL segment(s) stored with the set.",
                         s->id, r);
                set_answer(s, 0);
                set_free(s);
                return;
        case PGW_PREPARED:
        case PGW_FROZEN:
                return;
        }
}

/* Keeps e to answer later; the handler returns what this returns. */
static int set_take(PgwSet *s, StasisEvent *e) {
        s->event = stasis_event_ref(e);
        return STASIS_EVENT_ASYNC;
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
        if (!s->backup)
                set_query(s, PGW_FREEZE_CHECK, "SELECT 1", 0, NULL);
        else
                set_query(s, PGW_FREEZE_CHECK, PGW_BACKUP_WAL_QUERY, 0, NULL);
        return STASIS_EVENT_ASYNC;
}

static int on_post_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        PgwSet *s = set_find(userdata, stasis_event_set_id(e));

        if (!s || s->phase != PGW_FROZEN)
                return stasis_event_veto(e, 0, "no session with PostgreSQL for set %s",
                                         stasis_event_set_id(e));
        set_take(s, e);
        if (!s->backup)
                set_query(s, PGW_POST_CHECK, "SELECT 1", 0, NULL);
        else
                set_query(s, PGW_BACKUP_STOP,
                          s->pgw->cluster.server_version >= 150000
                          ? "SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)"
                          : "SELECT lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)",
                          0, NULL);
        return STASIS_EVENT_ASYNC;
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

int pgw_set_handlers(Pgw *p, StasisWriter *w) {
        int r;

        r = stasis_writer_set_handler(w, STASIS_EVENT_PREPARE_SNAPSHOT, on_prepare_snapshot, p);
        if (r >= 0)
                r = stasis_writer_set_handler(w, STASIS_EVENT_FREEZE, on_freeze, p);
        if (r >= 0)
                r = stasis_writer_set_handler(w, STASIS_EVENT_POST_SNAPSHOT, on_post_snapshot, p);
        if (r >= 0)
                r = stasis_writer_set_handler(w, STASIS_EVENT_ABORT, on_abort, p);
        return r;
}

void pgw_sets_free(Pgw *p) {
        while (p->sets_head)
                set_free(p->sets_head);
}
