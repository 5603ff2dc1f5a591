/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-conn.c - one libpq session driven without blocking from an sd-event loop */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "macro.h"
#include "pgw-conn.h"

typedef enum PgwConnPhase {
        PGW_CONN_CONNECTING,
        PGW_CONN_IDLE,
        PGW_CONN_QUERY,
        PGW_CONN_LOST,
} PgwConnPhase;

struct PgwConn {
        PGconn *pg;
        sd_event *event;
        sd_event_source *io;
        sd_event_source *start;         /* the first step of connecting, from the loop */
        int fd;
        PgwConnPhase phase;
        PgwDone done;
        void *userdata;
        PGresult *result;               /* the last result of the query under way */
        char *error;                    /* why the session is lost */
};

char *pgw_one_line(const char *prefix, const char *msg) {
        char *s = NULL, *o;

        if (asprintf(&s, "%s%s", prefix, msg && *msg ? msg : "unknown error") < 0)
                return NULL;
        /* libpq's messages end with a line feed and may hold several lines. */
        o = s;
        for (const char *p = s; *p; p++) {
                char c = *p == '\n' || *p == '\r' || *p == '\t' ? ' ' : *p;
                if (c == ' ' && (o == s || o[-1] == ' '))
                        continue;
                *o++ = c;
        }
        while (o > s && (o[-1] == ' ' || o[-1] == '.'))
                o--;
        *o = 0;
        return s;
}

static int conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);

static int conn_watch(PgwConn *c, uint32_t events) {
        int fd = PQsocket(c->pg), r;
        if (fd < 0)
                return -EBADF;
        if (c->io && fd != c->fd)               /* libpq may change sockets while connecting */
                c->io = sd_event_source_disable_unref(c->io);
        if (!c->io) {
                r = sd_event_add_io(c->event, &c->io, fd, events, conn_io, c);
                if (r < 0)
                        return r;
                c->fd = fd;
                (void) sd_event_source_set_description(c->io, "postgresql");
                return 0;
        }
        r = sd_event_source_set_io_events(c->io, events);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(c->io, SD_EVENT_ON);
}

/* Hands the outcome to the callback; the connection may be gone after it. */
static void conn_finish(PgwConn *c, const char *error) {
        PgwDone done = c->done;
        c->done = NULL;
        if (done)
                done(c, error ? NULL : c->result, error, c->userdata);
}

static void conn_lose(PgwConn *c, const char *prefix) {
        free(c->error);
        c->error = pgw_one_line(prefix, PQerrorMessage(c->pg));
        c->phase = PGW_CONN_LOST;
        if (c->io)
                (void) sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
        conn_finish(c, c->error ?: "out of memory");
}

static void conn_poll_connect(PgwConn *c) {
        switch (PQconnectPoll(c->pg)) {
        case PGRES_POLLING_READING:
                if (conn_watch(c, EPOLLIN) < 0)
                        conn_lose(c, "cannot watch the connection to PostgreSQL: ");
                return;
        case PGRES_POLLING_WRITING:
                if (conn_watch(c, EPOLLOUT) < 0)
                        conn_lose(c, "cannot watch the connection to PostgreSQL: ");
                return;
        case PGRES_POLLING_OK:
                if (PQsetnonblocking(c->pg, 1) < 0 || conn_watch(c, EPOLLIN) < 0) {
                        conn_lose(c, "cannot make the connection to PostgreSQL non-blocking: ");
                        return;
                }
                c->phase = PGW_CONN_IDLE;
                conn_finish(c, NULL);
                return;
        default:
                conn_lose(c, "cannot connect to PostgreSQL: ");
                return;
        }
}

/* Reads what arrived; finishes the query when its last result is in. */
static void conn_poll_query(PgwConn *c) {
        if (!PQconsumeInput(c->pg)) {
                conn_lose(c, "the connection to PostgreSQL was lost: ");
                return;
        }
        while (!PQisBusy(c->pg)) {
                PGresult *res = PQgetResult(c->pg);
                if (!res) {
                        c->phase = PGW_CONN_IDLE;
                        (void) conn_watch(c, EPOLLIN);
                        if (PQstatus(c->pg) == CONNECTION_BAD) {
                                conn_lose(c, "the connection to PostgreSQL was lost: ");
                                return;
                        }
                        ExecStatusType st = c->result ? PQresultStatus(c->result) : PGRES_FATAL_ERROR;
                        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                                conn_finish(c, NULL);
                                return;
                        }
                        _cleanup_free_ char *e = pgw_one_line("", c->result ? PQresultErrorMessage(c->result)
                                                                          : PQerrorMessage(c->pg));
                        conn_finish(c, e ?: "out of memory");
                        return;
                }
                PQclear(c->result);
                c->result = res;
        }
}

static int conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        PgwConn *c = userdata;

        switch (c->phase) {
        case PGW_CONN_CONNECTING:
                conn_poll_connect(c);
                break;
        case PGW_CONN_QUERY:
                if (revents & EPOLLOUT) {
                        int f = PQflush(c->pg);
                        if (f < 0) {
                                conn_lose(c, "the connection to PostgreSQL was lost: ");
                                break;
                        }
                        if (f == 0)     /* everything sent: wait for the answer only */
                                (void) conn_watch(c, EPOLLIN);
                }
                if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR))
                        conn_poll_query(c);
                break;
        case PGW_CONN_IDLE:
                /* Between queries only notices or the end of the session come. */
                if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
                        conn_lose(c, "the connection to PostgreSQL was lost: ");
                        break;
                }
                for (PGnotify *n; (n = PQnotifies(c->pg)); )
                        PQfreemem(n);
                break;
        case PGW_CONN_LOST:
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                break;
        }
        return 0;
}

static int conn_start(sd_event_source *s, void *userdata) {
        PgwConn *c = userdata;

        c->start = sd_event_source_disable_unref(c->start);
        /* As libpq says: begin as if PQconnectPoll() had asked to write. */
        if (PQstatus(c->pg) == CONNECTION_BAD)
                conn_lose(c, "cannot connect to PostgreSQL: ");
        else if (conn_watch(c, EPOLLOUT) < 0)
                conn_lose(c, "cannot watch the connection to PostgreSQL: ");
        return 0;
}

int pgw_conn_open(sd_event *event, const char *conninfo, PgwDone done, void *userdata, PgwConn **ret) {
        const char *keys[] = { "dbname", "fallback_application_name", NULL, NULL };
        const char *values[] = { conninfo ?: "", "stasis-writer-postgresql", NULL, NULL };
        PgwConn *c;
        int r;

        c = calloc(1, sizeof *c);
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        c->fd = -1;
        c->done = done;
        c->userdata = userdata;
        /* expand_dbname: conninfo may be a full connection string or URI. */
        c->pg = PQconnectStartParams(keys, values, 1);
        if (!c->pg) {
                pgw_conn_free(c);
                return -ENOMEM;
        }
        c->phase = PGW_CONN_CONNECTING;
        /* The callback is called from the loop, never from within the caller. */
        r = sd_event_add_defer(event, &c->start, conn_start, c);
        if (r < 0) {
                pgw_conn_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

int pgw_conn_query(PgwConn *c, const char *sql, int n_params, const char *const *params, PgwDone done,
                   void *userdata) {
        if (c->phase == PGW_CONN_LOST)
                return -ENOTCONN;
        if (c->phase != PGW_CONN_IDLE)
                return -EBUSY;
        /* Something may have come (the end of the session) since we last looked. */
        if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
                free(c->error);
                c->error = pgw_one_line("the connection to PostgreSQL was lost: ", PQerrorMessage(c->pg));
                c->phase = PGW_CONN_LOST;
                return -ENOTCONN;
        }
        if (!PQsendQueryParams(c->pg, sql, n_params, NULL, (const char *const *) params, NULL, NULL, 0)) {
                free(c->error);
                c->error = pgw_one_line("the connection to PostgreSQL was lost: ", PQerrorMessage(c->pg));
                c->phase = PGW_CONN_LOST;
                return -ENOTCONN;
        }
        PQclear(c->result);
        c->result = NULL;
        c->done = done;
        c->userdata = userdata;
        c->phase = PGW_CONN_QUERY;
        return conn_watch(c, PQflush(c->pg) == 0 ? EPOLLIN : EPOLLIN | EPOLLOUT);
}

const char *pgw_conn_error(PgwConn *c) {
        return c->phase == PGW_CONN_LOST ? (c->error ?: "the connection to PostgreSQL was lost") : NULL;
}

PgwConn *pgw_conn_free(PgwConn *c) {
        if (!c)
                return NULL;
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->start);
        PQclear(c->result);
        if (c->pg)
                PQfinish(c->pg);
        sd_event_unref(c->event);
        free(c->error);
        free(c);
        return NULL;
}
