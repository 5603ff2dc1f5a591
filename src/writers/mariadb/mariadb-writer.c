/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-writer.c - the writer's events for one MariaDB or MySQL server, each a short list of statements
 * run in the writer's one session and moved on by op_advance(); the backup's phase in BackupPhase */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "mariadb-link.h"
#include "mariadb-writer.h"
#include "writer-main.h"

#define FREEZE_MARGIN_USEC (200 * 1000ULL)      /* answer Freeze this long before the window ends */
#define POSITIONS_MAX 16                        /* sets whose binary-log position is kept for PostSnapshot */

typedef enum OpKind { OP_PREPARE, OP_FREEZE, OP_THAW, OP_ABORT, _OP_KIND_MAX } OpKind;

/* Where the server's one backup stands; moved only by backup_move(). */
typedef enum BackupPhase {
        BACKUP_NONE,            /* no backup stage, no lock */
        BACKUP_STARTED,         /* PrepareSnapshot done: BACKUP STAGE START, FLUSH (backup-stage only) */
        BACKUP_BLOCKED,         /* Freeze done: commits blocked, position read */
} BackupPhase;

typedef struct Position {
        char set[64];
        char file[256];         /* "" when the binary log is off */
        char position[32];
        char gtid[1024];
} Position;

typedef struct Op Op;
struct Op {
        MariadbWriter *mw;
        StasisEvent *e;
        OpKind kind;
        unsigned index;                 /* of the statement running */
        uint64_t started, deadline;
        Position pos;                   /* Freeze: read under the block */
        Op *next;
};

struct MariadbWriter {
        StasisWriter *w;
        sd_event *event;
        const MariadbConfig *config;
        MariadbMethod method;
        bool mariadb;
        MariadbLink *link;
        BackupPhase phase;
        char backup_set[64];            /* the set the backup is for */
        unsigned session;               /* the session that holds it */
        Position positions[POSITIONS_MAX];
        unsigned n_positions;
        Op *ops;
};

static const char *const statements[2][_OP_KIND_MAX][5] = {
        [0] = {         /* backup-stage */
                [OP_PREPARE] = { "BACKUP STAGE START", "BACKUP STAGE FLUSH" },
                [OP_FREEZE]  = { "BACKUP STAGE BLOCK_DDL", "BACKUP STAGE BLOCK_COMMIT", "SHOW MASTER STATUS", "" /* GTID */ },
                [OP_THAW]    = { "BACKUP STAGE END" },
                [OP_ABORT]   = { "BACKUP STAGE END" },
        },
        [1] = {         /* ftwrl */
                [OP_PREPARE] = { "FLUSH LOCAL TABLES" },    /* LOCAL: not into the binary log */
                [OP_FREEZE]  = { "FLUSH TABLES WITH READ LOCK", "SHOW MASTER STATUS", "" },
                [OP_THAW]    = { "UNLOCK TABLES" },
                [OP_ABORT]   = { "UNLOCK TABLES" },
        },
};

static const char *kind_name(OpKind k) {
        static const char *const names[] = { "PrepareSnapshot", "Freeze", "Thaw", "Abort" };
        return names[k];
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static const char *statement(const Op *o) {
        const char *s = statements[o->mw->method == MARIADB_METHOD_FTWRL][o->kind][o->index];
        if (s && !*s)
                return o->mw->mariadb ? "SELECT @@GLOBAL.gtid_binlog_pos" : "SELECT @@GLOBAL.gtid_executed";
        return s;
}

static void backup_move(MariadbWriter *mw, BackupPhase phase, const char *set) {
        mw->phase = phase;
        if (phase == BACKUP_NONE) {
                mw->backup_set[0] = 0;
                mw->session = 0;
        } else {
                mariadb_format(mw->backup_set, sizeof mw->backup_set, "%s", set);
                mw->session = mariadb_link_session(mw->link);
        }
}

static void keep_position(MariadbWriter *mw, const Position *p) {
        mw->positions[mw->n_positions++ % POSITIONS_MAX] = *p;
}

static const Position *find_position(MariadbWriter *mw, const char *set) {
        for (unsigned i = 0; i < MIN(mw->n_positions, POSITIONS_MAX); i++)
                if (streq(mw->positions[i].set, set))
                        return &mw->positions[i];
        return NULL;
}

/* An operation of that kind for that set is under way (its statements queued). */
static bool op_running(MariadbWriter *mw, const char *set, OpKind kind) {
        for (Op *o = mw->ops; o; o = o->next)
                if (o->kind == kind && o->e && streq(stasis_event_set_id(o->e), set))
                        return true;
        return false;
}

static void op_free(Op *o) {
        for (Op **p = &o->mw->ops; *p; p = &(*p)->next)
                if (*p == o) {
                        *p = o->next;
                        break;
                }
        if (o->e) {
                stasis_event_complete(o->e, -ECANCELED);
                stasis_event_unref(o->e);
        }
        free(o);
}

static void on_released_anyway(MariadbLink *l, MYSQL_RES *res, const char *error, void *userdata) {
        if (error)
                log_warning("Could not end the backup after a failure: %s. Closing the session to release it.", error);
        if (error)
                mariadb_link_drop(l, "closed to release the backup lock");
}

static void op_finish(Op *o, bool retryable, const char *error) {
        MariadbWriter *mw = o->mw;
        const char *set = stasis_event_set_id(o->e);
        uint64_t ms = (now_usec() - o->started) / 1000;

        if (error) {
                log_error("Set %s: %s failed: %s.", set, kind_name(o->kind), error);
                /* Whatever was taken for the set goes: no lock may outlive a failure. */
                if ((o->kind == OP_PREPARE || o->kind == OP_FREEZE) && mw->phase != BACKUP_NONE &&
                    streq(mw->backup_set, set)) {
                        const char *end = statements[mw->method == MARIADB_METHOD_FTWRL][OP_THAW][0];
                        if (mariadb_link_session(mw->link) == mw->session)
                                (void) mariadb_link_query(mw->link, end, 0, on_released_anyway, NULL);
                        backup_move(mw, BACKUP_NONE, NULL);
                }
                stasis_event_veto(o->e, retryable, "%s", error);
                stasis_event_complete(o->e, -ECANCELED);
        } else {
                switch (o->kind) {
                case OP_PREPARE:
                        log_info("Set %s: %s in %llu ms.", set, mw->method == MARIADB_METHOD_FTWRL ? "tables flushed" :
                                 "backup started (BACKUP STAGE START, FLUSH)", (unsigned long long) ms);
                        break;
                case OP_FREEZE:
                        mariadb_format(o->pos.set, sizeof o->pos.set, "%s", set);
                        keep_position(mw, &o->pos);
                        if (o->pos.file[0])
                                log_info("Set %s: commits blocked in %llu ms; binary log %s position %s, GTID %s.", set,
                                         (unsigned long long) ms, o->pos.file, o->pos.position,
                                         o->pos.gtid[0] ? o->pos.gtid : "none");
                        else
                                log_info("Set %s: commits blocked in %llu ms; the binary log is off.", set,
                                         (unsigned long long) ms);
                        break;
                case OP_THAW:
                case OP_ABORT:
                        if (mw->phase != BACKUP_NONE)
                                log_info("Set %s: commits resumed (%s).", set, kind_name(o->kind));
                        backup_move(mw, BACKUP_NONE, NULL);
                        break;
                default:
                        break;
                }
                stasis_event_complete(o->e, 0);
        }
        o->e = stasis_event_unref(o->e);
        op_free(o);
}

static void op_advance(Op *o);

/* Reads what the Freeze statements answer: the position and the GTIDs. */
static void read_result(Op *o, MYSQL_RES *res) {
        const char *s = statement(o);
        MYSQL_ROW row;

        if (!res || !(row = mysql_fetch_row(res)))
                return;
        if (streq(s, "SHOW MASTER STATUS")) {
                mariadb_format(o->pos.file, sizeof o->pos.file, "%s", strempty(row[0]));
                mariadb_format(o->pos.position, sizeof o->pos.position, "%s", strempty(row[1]));
        } else if (strneq(s, "SELECT @@GLOBAL.gtid", 20))
                mariadb_format(o->pos.gtid, sizeof o->pos.gtid, "%s", strempty(row[0]));
}

static void on_result(MariadbLink *l, MYSQL_RES *res, const char *error, void *userdata) {
        Op *o = userdata;

        if (error) {
                op_finish(o, true, error);
                return;
        }
        read_result(o, res);
        /* The phase moves as soon as the server took the lock, so that a
         * failure after it releases it. */
        if (streq(statement(o), "BACKUP STAGE START"))
                backup_move(o->mw, BACKUP_STARTED, stasis_event_set_id(o->e));
        else if (streq(statement(o), "BACKUP STAGE BLOCK_COMMIT") || streq(statement(o), "FLUSH TABLES WITH READ LOCK"))
                backup_move(o->mw, BACKUP_BLOCKED, stasis_event_set_id(o->e));
        o->index++;
        op_advance(o);
}

/* Runs the next statement of the op, or answers its event when none is left. */
static void op_advance(Op *o) {
        MariadbWriter *mw = o->mw;
        const char *s = o->index < 5 ? statement(o) : NULL;
        uint64_t timeout = 0;

        if (!s) {
                op_finish(o, false, NULL);
                return;
        }
        if (o->kind == OP_FREEZE) {
                uint64_t now = now_usec();
                if (now >= o->deadline) {
                        op_finish(o, true, "the freeze window ended before commits were blocked");
                        return;
                }
                timeout = o->deadline - now;
        }
        if (mariadb_link_query(mw->link, s, timeout, on_result, o) < 0)
                op_finish(o, true, "out of memory");
}

static int op_start(MariadbWriter *mw, StasisEvent *e, OpKind kind) {
        const char *set = stasis_event_set_id(e);
        Op *o = calloc(1, sizeof(Op));

        if (!o)
                return -ENOMEM;
        *o = (Op) { .mw = mw, .e = stasis_event_ref(e), .kind = kind, .started = now_usec(), .next = mw->ops };
        mw->ops = o;
        if (kind == OP_FREEZE) {
                uint64_t window = stasis_event_freeze_window_usec(e);
                o->deadline = o->started + (window > 2 * FREEZE_MARGIN_USEC ? window - FREEZE_MARGIN_USEC : window / 2);
        }
        char buf[300];
        switch (kind) {
        case OP_PREPARE:
                if (mw->phase != BACKUP_NONE) {
                        mariadb_format(buf, sizeof buf, "the backup of set %s is under way on %s; one at a time",
                                       mw->backup_set, mariadb_link_where(mw->link));
                        op_finish(o, true, buf);
                        return STASIS_EVENT_ASYNC;
                }
                break;
        case OP_FREEZE:
                if (mw->method != MARIADB_METHOD_BACKUP_STAGE)
                        break;
                if (mw->phase != BACKUP_STARTED || !streq(mw->backup_set, set)) {
                        op_finish(o, true, "no backup was started for this set at PrepareSnapshot");
                        return STASIS_EVENT_ASYNC;
                }
                if (mariadb_link_session(mw->link) != mw->session) {
                        mariadb_format(buf, sizeof buf, "the session with %s that started the backup at PrepareSnapshot was lost",
                                       mariadb_link_where(mw->link));
                        backup_move(mw, BACKUP_NONE, NULL);
                        op_finish(o, true, buf);
                        return STASIS_EVENT_ASYNC;
                }
                break;
        case OP_THAW:
        case OP_ABORT:
                /* A PrepareSnapshot still under way (stasisd gave up waiting) may yet take the
                 * lock: the end goes into the queue after its statements, in the same session. */
                if (kind == OP_ABORT && op_running(mw, set, OP_PREPARE))
                        break;
                /* Nothing held for the set (or the session holding it is gone, and the lock with it). */
                if (mw->phase == BACKUP_NONE || !streq(mw->backup_set, set) ||
                    mariadb_link_session(mw->link) != mw->session) {
                        if (mw->phase != BACKUP_NONE && streq(mw->backup_set, set))
                                backup_move(mw, BACKUP_NONE, NULL);
                        o->index = 5;
                }
                break;
        default:
                break;
        }
        op_advance(o);
        return STASIS_EVENT_ASYNC;
}

static int on_prepare_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        return op_start(userdata, e, OP_PREPARE);
}

static int on_freeze(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        return op_start(userdata, e, OP_FREEZE);
}

static int on_thaw(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        if (stasis_event_is_auto_thaw(e))
                log_warning("Set %s: thawing by itself: %s.", stasis_event_set_id(e), strna(stasis_event_reason(e)));
        return op_start(userdata, e, OP_THAW);
}

static int on_abort(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        log_info("Set %s: aborted: %s.", stasis_event_set_id(e), strna(stasis_event_reason(e)));
        return op_start(userdata, e, OP_ABORT);
}

/* The position read at Freeze, kept with the set as the component's backup metadata. */
static int on_post_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        MariadbWriter *mw = userdata;
        const Position *p = find_position(mw, stasis_event_set_id(e));
        const char *gtid_name = mw->mariadb ? "gtid_binlog_pos" : "gtid_executed";
        int r = 0;

        if (!p)
                return stasis_event_veto(e, false, "no binary-log position was read for set %s at Freeze",
                                         stasis_event_set_id(e));
        /* With the binary log off there is no position, and no GTID to speak of.
         * (PostSnapshot names no components: the writer has the one.) */
        if (p->file[0]) {
                r = stasis_event_add_metadata(e, MARIADB_COMPONENT, "binlog_file", p->file);
                if (r >= 0)
                        r = stasis_event_add_metadata(e, MARIADB_COMPONENT, "binlog_position", p->position);
        }
        if (r >= 0 && p->gtid[0])
                r = stasis_event_add_metadata(e, MARIADB_COMPONENT, gtid_name, p->gtid);
        if (r < 0)
                return log_error_errno(r, "Set %s: cannot attach the binary-log position: %s", stasis_event_set_id(e),
                                       *stasis_writer_last_error(w) ? stasis_writer_last_error(w) : strerror(-r));
        log_info("Set %s: stored binary log %s position %s, %s %s.", stasis_event_set_id(e),
                 p->file[0] ? p->file : "off", p->file[0] ? p->position : "-", gtid_name, p->gtid[0] ? p->gtid : "none");
        return 0;
}

static const WriterHandler handlers[] = {
        { STASIS_EVENT_PREPARE_SNAPSHOT, on_prepare_snapshot },
        { STASIS_EVENT_FREEZE, on_freeze },
        { STASIS_EVENT_THAW, on_thaw },
        { STASIS_EVENT_ABORT, on_abort },
        { STASIS_EVENT_POST_SNAPSHOT, on_post_snapshot },
};

int mariadb_writer_new(MariadbWriter **ret, StasisWriter *w, sd_event *event, const MariadbConfig *c,
                       MariadbMethod method, bool mariadb) {
        MariadbWriter *mw = calloc(1, sizeof(MariadbWriter));
        int r;

        if (!mw)
                return -ENOMEM;
        *mw = (MariadbWriter) { .w = w, .event = sd_event_ref(event), .config = c, .method = method, .mariadb = mariadb };
        r = mariadb_link_new(&mw->link, event, c);
        if (r >= 0)
                r = writer_set_handlers(w, handlers, ELEMENTSOF(handlers), mw);
        if (r < 0) {
                mariadb_writer_free(mw);
                return r;
        }
        *ret = mw;
        return 0;
}

MariadbWriter *mariadb_writer_free(MariadbWriter *mw) {
        if (!mw)
                return NULL;
        mw->link = mariadb_link_free(mw->link);         /* answers the ops of the statements queued */
        while (mw->ops)
                op_free(mw->ops);
        sd_event_unref(mw->event);
        free(mw);
        return NULL;
}
