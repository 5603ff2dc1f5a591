/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-link.c - a queue of statements run one at a time in one session, each through libmariadb's
 * non-blocking calls (mysql_real_query_start() and _cont()) driven by the socket's readiness and a timer */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "mariadb-link.h"

typedef enum Step { STEP_CONNECT, STEP_QUERY, STEP_STORE, STEP_IDLE } Step;

typedef struct Query {
        char *sql;
        uint64_t timeout_usec;
        MariadbResultFn fn;
        void *userdata;
        struct Query *next;
} Query;

struct MariadbLink {
        sd_event *event;
        const MariadbConfig *config;
        MYSQL *mysql;                   /* NULL: no session */
        Step step;
        Query *head, *tail;             /* head is running (step != IDLE) */
        sd_event_source *io, *wait_timer, *deadline, *defer;
        unsigned session;
        char where[300];
};

void mariadb_format(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

const char *mariadb_link_where(const MariadbLink *l) {
        return l->where;
}

unsigned mariadb_link_session(const MariadbLink *l) {
        return l->mysql && l->step != STEP_CONNECT ? l->session : 0;
}

static void where_of(const MariadbConfig *c, char *buf, size_t size) {
        if (c->server.socket)
                mariadb_format(buf, size, "MariaDB at %s", c->server.socket);
        else
                mariadb_format(buf, size, "MariaDB at %s:%u", c->server.host, c->server.port);
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static void link_kick(MariadbLink *l);

/* Ends the head statement: hands over its answer and starts the next. */
static void finish_head(MariadbLink *l, MYSQL_RES *res, const char *error) {
        Query *q = l->head;

        l->deadline = sd_event_source_disable_unref(l->deadline);
        l->head = q->next;
        if (!l->head)
                l->tail = NULL;
        l->step = STEP_IDLE;
        q->fn(l, res, error, q->userdata);
        if (res)
                mysql_free_result(res);
        free(q->sql);
        free(q);
        link_kick(l);
}

static void close_session(MariadbLink *l) {
        l->io = sd_event_source_disable_unref(l->io);
        l->wait_timer = sd_event_source_disable_unref(l->wait_timer);
        if (l->mysql) {
                mysql_close(l->mysql);
                l->mysql = NULL;
        }
        l->step = STEP_IDLE;
}

void mariadb_link_drop(MariadbLink *l, const char *why) {
        char buf[400];

        mariadb_format(buf, sizeof buf, "%s", why);
        close_session(l);
        while (l->head)
                finish_head(l, NULL, buf);
}

/* The session failed (error from libmariadb): it is closed, and every
 * queued statement fails with the reason. */
static void fail_session(MariadbLink *l, const char *what) {
        char buf[400];

        mariadb_format(buf, sizeof buf, "%s: %s: %s", l->where, what, l->mysql ? mysql_error(l->mysql) : "no session");
        mariadb_link_drop(l, buf);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int on_wait_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Waits for what libmariadb asked (status: MYSQL_WAIT_*). */
static int wait_for(MariadbLink *l, int status) {
        uint32_t events = (status & MYSQL_WAIT_READ ? EPOLLIN : 0) | (status & MYSQL_WAIT_WRITE ? EPOLLOUT : 0) |
                          (status & MYSQL_WAIT_EXCEPT ? EPOLLPRI : 0);
        int r;

        if (!l->io) {
                r = sd_event_add_io(l->event, &l->io, mysql_get_socket(l->mysql), events, on_io, l);
                if (r < 0)
                        return r;
        } else {
                (void) sd_event_source_set_io_events(l->io, events);
                (void) sd_event_source_set_enabled(l->io, events ? SD_EVENT_ON : SD_EVENT_OFF);
        }
        l->wait_timer = sd_event_source_disable_unref(l->wait_timer);
        if (status & MYSQL_WAIT_TIMEOUT) {
                r = sd_event_add_time_relative(l->event, &l->wait_timer, CLOCK_MONOTONIC,
                                               (uint64_t) mysql_get_timeout_value_ms(l->mysql) * 1000ULL, 0, on_wait_timer, l);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Moves the head statement on: ready is 0 to start a step, else the
 * MYSQL_WAIT_* that happened. */
static void advance(MariadbLink *l, int ready) {
        MYSQL *ret_conn = NULL;
        MYSQL_RES *res = NULL;
        int status = 0, ret = 0;

        for (;;) {
                switch (l->step) {
                case STEP_CONNECT:
                        status = ready ? mysql_real_connect_cont(&ret_conn, l->mysql, ready)
                                       : mysql_real_connect_start(&ret_conn, l->mysql,
                                                                  l->config->server.socket ? NULL : l->config->server.host,
                                                                  l->config->server.user, l->config->server.password, NULL,
                                                                  l->config->server.socket ? 0 : l->config->server.port,
                                                                  l->config->server.socket, 0);
                        if (status)
                                break;
                        if (!ret_conn) {
                                char buf[400];
                                mariadb_format(buf, sizeof buf, "cannot connect to %s: %s", l->where, mysql_error(l->mysql));
                                mariadb_link_drop(l, buf);
                                return;
                        }
                        l->session++;
                        l->step = STEP_QUERY;
                        ready = 0;
                        continue;
                case STEP_QUERY:
                        status = ready ? mysql_real_query_cont(&ret, l->mysql, ready)
                                       : mysql_real_query_start(&ret, l->mysql, l->head->sql, strlen(l->head->sql));
                        if (status)
                                break;
                        if (ret != 0) {
                                unsigned err = mysql_errno(l->mysql);
                                char buf[600];
                                /* 2000-2999 are the client's: the session is gone. */
                                if (err >= 2000 && err < 3000) {
                                        fail_session(l, l->head->sql);
                                        return;
                                }
                                mariadb_format(buf, sizeof buf, "%s answered %s: %s", l->where, l->head->sql,
                                               mysql_error(l->mysql));
                                finish_head(l, NULL, buf);
                                return;
                        }
                        l->step = STEP_STORE;
                        ready = 0;
                        continue;
                case STEP_STORE:
                        status = ready ? mysql_store_result_cont(&res, l->mysql, ready)
                                       : mysql_store_result_start(&res, l->mysql);
                        if (status)
                                break;
                        if (!res && mysql_field_count(l->mysql) > 0) {
                                fail_session(l, l->head->sql);
                                return;
                        }
                        finish_head(l, res, NULL);
                        return;
                case STEP_IDLE:
                        return;
                }
                if (wait_for(l, status) < 0)
                        mariadb_link_drop(l, "out of memory");
                return;
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        MariadbLink *l = userdata;
        int ready = (revents & (EPOLLIN | EPOLLHUP | EPOLLERR) ? MYSQL_WAIT_READ : 0) |
                    (revents & EPOLLOUT ? MYSQL_WAIT_WRITE : 0) | (revents & EPOLLPRI ? MYSQL_WAIT_EXCEPT : 0);

        l->wait_timer = sd_event_source_disable_unref(l->wait_timer);
        (void) sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
        advance(l, ready);
        return 0;
}

static int on_wait_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        MariadbLink *l = userdata;

        l->wait_timer = sd_event_source_disable_unref(l->wait_timer);
        if (l->io)
                (void) sd_event_source_set_enabled(l->io, SD_EVENT_OFF);
        advance(l, MYSQL_WAIT_TIMEOUT);
        return 0;
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        MariadbLink *l = userdata;
        char buf[600];

        l->deadline = sd_event_source_disable_unref(l->deadline);
        mariadb_format(buf, sizeof buf, "%s did not answer %s within %.1f s", l->where,
                       l->step == STEP_CONNECT ? "the connection" : l->head->sql, l->head->timeout_usec / 1e6);
        mariadb_link_drop(l, buf);
        return 0;
}

/* Starts the head statement, if idle; from the loop (a deferred source), so
 * that no answer is handed over inside mariadb_link_query(). */
static int on_defer(sd_event_source *s, void *userdata) {
        MariadbLink *l = userdata;
        unsigned int secs = l->config->server.timeout_sec;

        (void) sd_event_source_set_enabled(l->defer, SD_EVENT_OFF);
        if (l->step != STEP_IDLE || !l->head)
                return 0;
        if (sd_event_add_time(l->event, &l->deadline, CLOCK_MONOTONIC, now_usec() + l->head->timeout_usec, 0,
                              on_deadline, l) < 0) {
                mariadb_link_drop(l, "out of memory");
                return 0;
        }
        if (!l->mysql) {
                l->mysql = mysql_init(NULL);
                if (!l->mysql) {
                        mariadb_link_drop(l, "out of memory");
                        return 0;
                }
                mysql_options(l->mysql, MYSQL_OPT_NONBLOCK, 0);
                mysql_options(l->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
                l->step = STEP_CONNECT;
        } else
                l->step = STEP_QUERY;
        advance(l, 0);
        return 0;
}

static void link_kick(MariadbLink *l) {
        if (l->head && l->step == STEP_IDLE)
                (void) sd_event_source_set_enabled(l->defer, SD_EVENT_ONESHOT);
}

int mariadb_link_query(MariadbLink *l, const char *sql, uint64_t timeout_usec, MariadbResultFn fn, void *userdata) {
        Query *q = calloc(1, sizeof(Query));

        if (!q || !(q->sql = strdup(sql))) {
                free(q);
                return -ENOMEM;
        }
        q->timeout_usec = timeout_usec ?: l->config->server.timeout_sec * 1000000ULL;
        q->fn = fn;
        q->userdata = userdata;
        if (l->tail)
                l->tail->next = q;
        else
                l->head = q;
        l->tail = q;
        link_kick(l);
        return 0;
}

int mariadb_link_new(MariadbLink **ret, sd_event *event, const MariadbConfig *c) {
        MariadbLink *l = calloc(1, sizeof(MariadbLink));
        int r;

        if (!l)
                return -ENOMEM;
        l->event = sd_event_ref(event);
        l->config = c;
        l->step = STEP_IDLE;
        where_of(c, l->where, sizeof l->where);
        r = sd_event_add_defer(event, &l->defer, on_defer, l);
        if (r < 0) {
                mariadb_link_free(l);
                return r;
        }
        (void) sd_event_source_set_enabled(l->defer, SD_EVENT_OFF);
        *ret = l;
        return 0;
}

MariadbLink *mariadb_link_free(MariadbLink *l) {
        if (!l)
                return NULL;
        mariadb_link_drop(l, "the writer is stopping");
        l->deadline = sd_event_source_disable_unref(l->deadline);
        l->defer = sd_event_source_disable_unref(l->defer);
        sd_event_unref(l->event);
        free(l);
        return NULL;
}

int mariadb_connect_sync(const MariadbConfig *c, MYSQL **ret, char *why, size_t why_size) {
        unsigned int secs = c->server.timeout_sec;
        char where[300];
        MYSQL *m = mysql_init(NULL);

        if (!m)
                return -ENOMEM;
        where_of(c, where, sizeof where);
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &secs);
        mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &secs);
        if (!mysql_real_connect(m, c->server.socket ? NULL : c->server.host, c->server.user, c->server.password, NULL, c->server.socket ? 0 : c->server.port,
                                c->server.socket, 0)) {
                unsigned err = mysql_errno(m);
                mariadb_format(why, why_size, "cannot connect to %s as %s%s%s: %s", where, c->server.user,
                               c->server.password_file ? " with the password from " : "", strempty(c->server.password_file),
                               mysql_error(m));
                mysql_close(m);
                return err == 1045 || err == 1698 ? -EACCES : -ECONNREFUSED;
        }
        *ret = m;
        return 0;
}
