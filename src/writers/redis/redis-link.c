/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redis-link.c - a hiredis asynchronous context on an sd-event loop, connected on demand */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "redis-link.h"

/* A command sent, until its answer: kept so that the answer can be handed
 * over from the loop and a lost connection reported with its reason. */
typedef struct Pending {
        RedisLink *link;
        RedisReplyFn fn;
        void *userdata;
        struct Pending *prev, *next;
} Pending;

/* One connection's watch of its socket: hiredis's event hooks get it, and
 * free it with the connection (a new connection may be made while an old
 * one is being freed, from the callbacks of its commands). */
typedef struct Conn {
        redisAsyncContext *ctx;
        sd_event_source *io;
        uint32_t io_events;
} Conn;

struct RedisLink {
        sd_event *event;
        const RedisConfig *config;
        redisAsyncContext *ctx;         /* the current connection; NULL if none */
        Pending *pending;
        char where[300];
        char error[300];        /* why the connection went, for the commands that were waiting */
        bool auth_failed;       /* then every answer on this connection is that refusal */
        bool closing;           /* redis_link_free() runs: no new connection, no new command */
};

void redis_format(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

const char *redis_link_where(const RedisLink *l) {
        return l->where;
}

static void where_of(const RedisConfig *c, char *buf, size_t size) {
        if (c->server.socket)
                redis_format(buf, size, "Redis at %s", c->server.socket);
        else
                redis_format(buf, size, "Redis at %s:%u", c->server.host, c->server.port);
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Conn *c = userdata;
        redisAsyncContext *ctx = c->ctx;

        /* Reading may free the connection, and c with it. */
        if (revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                redisAsyncHandleRead(ctx);
                return 0;
        }
        if (revents & EPOLLOUT)
                redisAsyncHandleWrite(ctx);
        return 0;
}

static void update_io(Conn *c, uint32_t set, uint32_t clear) {
        uint32_t events = (c->io_events | set) & ~clear;

        if (!c->io)
                return;
        if (events != c->io_events)
                (void) sd_event_source_set_io_events(c->io, events);
        c->io_events = events;
        (void) sd_event_source_set_enabled(c->io, events ? SD_EVENT_ON : SD_EVENT_OFF);
}

static void ev_add_read(void *p) { update_io(p, EPOLLIN, 0); }
static void ev_del_read(void *p) { update_io(p, 0, EPOLLIN); }
static void ev_add_write(void *p) { update_io(p, EPOLLOUT, 0); }
static void ev_del_write(void *p) { update_io(p, 0, EPOLLOUT); }
static void ev_cleanup(void *p) {
        Conn *c = p;
        sd_event_source_disable_unref(c->io);
        free(c);
}

static void on_disconnect(const redisAsyncContext *ctx, int status) {
        RedisLink *l = ctx->data;

        if (l->ctx != ctx)
                return;
        if (status != REDIS_OK && !*l->error)
                redis_format(l->error, sizeof l->error, "%s: %s", l->where, ctx->errstr[0] ? ctx->errstr : "connection lost");
        l->ctx = NULL;
}

static void on_connect(const redisAsyncContext *ctx, int status) {
        RedisLink *l = ctx->data;

        /* On failure hiredis frees the context after this callback. */
        if (status != REDIS_OK && l->ctx == ctx) {
                redis_format(l->error, sizeof l->error, "cannot connect to %s: %s", l->where, ctx->errstr);
                l->ctx = NULL;
        }
}

static void on_reply(redisAsyncContext *ctx, void *r, void *privdata) {
        Pending *p = privdata;
        RedisLink *l = p->link;
        redisReply *reply = r;
        char buf[400];

        if (p->prev)
                p->prev->next = p->next;
        else
                l->pending = p->next;
        if (p->next)
                p->next->prev = p->prev;
        if (!reply || (l->auth_failed && ctx == l->ctx))
                redis_format(buf, sizeof buf, "%s", *l->error ? l->error : "the connection to Redis was lost");
        else if (reply->type == REDIS_REPLY_ERROR)
                redis_format(buf, sizeof buf, "%s answered: %s", l->where, reply->str);
        p->fn(l, reply, reply && reply->type != REDIS_REPLY_ERROR && !(l->auth_failed && ctx == l->ctx) ? NULL : buf,
              p->userdata);
        free(p);
}

static void on_auth(redisAsyncContext *ctx, void *r, void *privdata) {
        RedisLink *l = ctx->data;
        redisReply *reply = r;

        if (reply && reply->type == REDIS_REPLY_ERROR) {
                redis_format(l->error, sizeof l->error, "%s refused the password from %s: %s", l->where,
                         l->config->server.password_file, reply->str);
                l->auth_failed = true;
                redisAsyncDisconnect(ctx);
        }
}

static int connect_link(RedisLink *l) {
        redisAsyncContext *ctx;
        int r;

        l->error[0] = 0;
        l->auth_failed = false;
        ctx = l->config->server.socket ? redisAsyncConnectUnix(l->config->server.socket)
                                : redisAsyncConnect(l->config->server.host, (int) l->config->server.port);
        if (!ctx)
                return log_oom();
        if (ctx->err) {
                redis_format(l->error, sizeof l->error, "cannot connect to %s: %s", l->where, ctx->errstr);
                redisAsyncFree(ctx);
                return -ECONNREFUSED;
        }
        Conn *c = calloc(1, sizeof(Conn));
        if (!c) {
                redisAsyncFree(ctx);
                return -ENOMEM;
        }
        c->ctx = ctx;
        r = sd_event_add_io(l->event, &c->io, ctx->c.fd, 0, on_io, c);
        if (r < 0) {
                free(c);
                redisAsyncFree(ctx);
                return r;
        }
        (void) sd_event_source_set_enabled(c->io, SD_EVENT_OFF);
        (void) sd_event_source_set_description(c->io, "redis");
        ctx->data = l;
        ctx->ev.data = c;
        ctx->ev.addRead = ev_add_read;
        ctx->ev.delRead = ev_del_read;
        ctx->ev.addWrite = ev_add_write;
        ctx->ev.delWrite = ev_del_write;
        ctx->ev.cleanup = ev_cleanup;
        redisAsyncSetConnectCallback(ctx, on_connect);
        redisAsyncSetDisconnectCallback(ctx, on_disconnect);
        l->ctx = ctx;
        if (l->config->server.password) {
                const char *argv[3] = { "AUTH" };
                int argc = 1;
                if (l->config->server.user)
                        argv[argc++] = l->config->server.user;
                argv[argc++] = l->config->server.password;
                if (redisAsyncCommandArgv(ctx, on_auth, NULL, argc, argv, NULL) != REDIS_OK)
                        return -ENOMEM;
        }
        return 0;
}

/* A command that cannot even be sent is answered from the loop, as the
 * others: the caller never sees its callback run inside its own call. */
typedef struct Failed {
        RedisLink *link;
        RedisReplyFn fn;
        void *userdata;
        char error[300];
} Failed;

static int on_failed(sd_event_source *s, void *userdata) {
        Failed *f = userdata;
        f->fn(f->link, NULL, f->error, f->userdata);
        free(f);
        sd_event_source_disable_unref(s);
        return 0;
}

int redis_link_command(RedisLink *l, RedisReplyFn fn, void *userdata, int argc, const char *const *argv) {
        Pending *p;
        int r = 0;

        if (l->closing)
                return -ESHUTDOWN;
        if (!l->ctx)
                r = connect_link(l);
        if (r >= 0) {
                p = calloc(1, sizeof(Pending));
                if (!p)
                        return -ENOMEM;
                *p = (Pending) { .link = l, .fn = fn, .userdata = userdata, .next = l->pending };
                if (redisAsyncCommandArgv(l->ctx, on_reply, p, argc, (const char **) argv, NULL) == REDIS_OK) {
                        if (l->pending)
                                l->pending->prev = p;
                        l->pending = p;
                        return 0;
                }
                free(p);
                redis_format(l->error, sizeof l->error, "%s: %s", l->where, l->ctx->errstr[0] ? l->ctx->errstr : "cannot send");
        }
        Failed *f = calloc(1, sizeof(Failed));
        if (!f)
                return -ENOMEM;
        *f = (Failed) { .link = l, .fn = fn, .userdata = userdata };
        redis_format(f->error, sizeof f->error, "%s", *l->error ? l->error : l->where);
        r = sd_event_add_defer(l->event, NULL, on_failed, f);
        if (r < 0) {
                free(f);
                return r;
        }
        return 0;
}

void redis_link_drop(RedisLink *l, const char *why) {
        redisAsyncContext *ctx = l->ctx;

        if (!ctx)
                return;
        redis_format(l->error, sizeof l->error, "%s", why);
        l->ctx = NULL;
        redisAsyncFree(ctx);    /* calls the pending callbacks with NULL */
}

int redis_link_new(RedisLink **ret, sd_event *event, const RedisConfig *c) {
        RedisLink *l = calloc(1, sizeof(RedisLink));

        if (!l)
                return -ENOMEM;
        l->event = sd_event_ref(event);
        l->config = c;
        where_of(c, l->where, sizeof l->where);
        *ret = l;
        return 0;
}

RedisLink *redis_link_free(RedisLink *l) {
        if (!l)
                return NULL;
        l->closing = true;
        redis_link_drop(l, "the writer is stopping");
        sd_event_unref(l->event);
        free(l);
        return NULL;
}

/* ---- start-up, synchronously ---- */

static redisReply *command_sync(redisContext *ctx, char *why, size_t why_size, const char *where, int argc,
                                const char **argv) {
        redisReply *reply = redisCommandArgv(ctx, argc, argv, NULL);

        if (!reply) {
                redis_format(why, why_size, "%s: %s", where, ctx->errstr[0] ? ctx->errstr : "no answer");
                return NULL;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
                redis_format(why, why_size, "%s answered %s: %s", where, argv[0], reply->str);
                freeReplyObject(reply);
                return NULL;
        }
        return reply;
}

/* CONFIG GET name: its value, or NULL (why says so). */
static char *config_get(redisContext *ctx, const char *where, const char *name, char *why, size_t why_size) {
        const char *argv[] = { "CONFIG", "GET", name };
        redisReply *reply = command_sync(ctx, why, why_size, where, 3, argv);
        char *v = NULL;

        if (!reply)
                return NULL;
        if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 && reply->element[1]->type == REDIS_REPLY_STRING)
                v = strdup(reply->element[1]->str);
        else
                redis_format(why, why_size, "%s answered CONFIG GET %s with no value", where, name);
        freeReplyObject(reply);
        return v;
}

void redis_server_info_done(RedisServerInfo *i) {
        i->dir = mfree(i->dir);
        i->dbfilename = mfree(i->dbfilename);
        i->appenddirname = mfree(i->appenddirname);
}

int redis_probe(const RedisConfig *c, RedisServerInfo *ret, char *why, size_t why_size) {
        struct timeval tv = { .tv_sec = c->server.timeout_sec };
        RedisServerInfo info = {};
        char where[300], *aof;
        redisContext *ctx;
        redisReply *reply;

        where_of(c, where, sizeof where);
        ctx = c->server.socket ? redisConnectUnixWithTimeout(c->server.socket, tv) : redisConnectWithTimeout(c->server.host, (int) c->server.port, tv);
        if (!ctx)
                return -ENOMEM;
        if (ctx->err) {
                redis_format(why, why_size, "cannot connect to %s: %s", where, ctx->errstr);
                redisFree(ctx);
                return -ECONNREFUSED;
        }
        (void) redisSetTimeout(ctx, tv);
        if (c->server.password) {
                const char *argv[3] = { "AUTH" };
                int argc = 1;
                if (c->server.user)
                        argv[argc++] = c->server.user;
                argv[argc++] = c->server.password;
                reply = redisCommandArgv(ctx, argc, argv, NULL);
                if (!reply || reply->type == REDIS_REPLY_ERROR) {
                        redis_format(why, why_size, "%s refused the password from %s: %s", where, c->server.password_file,
                                     reply ? reply->str : ctx->errstr);
                        freeReplyObject(reply);
                        redisFree(ctx);
                        return -EACCES;
                }
                freeReplyObject(reply);
        }
        info.dir = config_get(ctx, where, "dir", why, why_size);
        if (info.dir && info.dir[0] != '/') {
                redis_format(why, why_size, "%s answered CONFIG GET dir with no absolute directory", where);
                info.dir = mfree(info.dir);
        }
        if (info.dir)
                info.dbfilename = config_get(ctx, where, "dbfilename", why, why_size);
        aof = info.dbfilename ? config_get(ctx, where, "appendonly", why, why_size) : NULL;
        info.aof = aof && streq(aof, "yes");
        free(aof);
        if (info.dbfilename)    /* Redis before 7 has none: the AOF is appendfilename, in dir */
                info.appenddirname = config_get(ctx, where, "appenddirname", why, why_size) ?:
                                     config_get(ctx, where, "appendfilename", why, why_size);
        redisFree(ctx);
        if (!info.dir || !info.dbfilename || !info.appenddirname) {
                redis_server_info_done(&info);
                return -EIO;
        }
        *ret = info;
        return 0;
}
