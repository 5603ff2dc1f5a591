/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redis-writer.c - the writer's events for one Redis server, each an operation of a few commands
 * moved by one function, op_advance(), on the answers and poll timers of the sd-event loop */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "redis-link.h"
#include "redis-writer.h"
#include "writer-main.h"

#define POLL_FREEZE_USEC (5 * 1000ULL)          /* INFO while writes are paused */
#define POLL_PREPARE_USEC (50 * 1000ULL)        /* INFO while a save runs at PrepareSnapshot */
#define FREEZE_MARGIN_USEC (200 * 1000ULL)      /* answer Freeze this long before the window ends */

typedef enum OpKind { OP_PREPARE, OP_FREEZE, OP_THAW } OpKind;

/* The steps, in the order an operation goes through them; each skips those
 * that are not its own (see next_step()). */
typedef enum OpStep {
        STEP_PAUSE,             /* Freeze: CLIENT PAUSE <window> WRITE */
        STEP_WAIT_IDLE,         /* rdb, aof at Prepare: INFO until no save or rewrite runs */
        STEP_SAVE,              /* BGSAVE or BGREWRITEAOF (SAVE at Freeze with SaveAtFreeze=save) */
        STEP_WAIT_SAVED,        /* INFO until it is done, then its status */
        STEP_WAIT_WRITTEN,      /* aof at Freeze: INFO until the AOF buffer is written out */
        STEP_COUNT,             /* Freeze: DBSIZE, for the log */
        STEP_UNPAUSE,           /* Thaw: CLIENT UNPAUSE */
        STEP_DONE,
} OpStep;

typedef struct Op Op;
struct Op {
        RedisWriter *rw;
        StasisEvent *e;                 /* NULL once answered */
        OpKind kind;
        OpStep step;
        bool busy;                      /* a command is in flight: its answer frees a dead op */
        bool dead;                      /* answered already (cancelled); freed when idle */
        uint64_t started;               /* CLOCK_MONOTONIC usec */
        uint64_t deadline;              /* Freeze: answer by then */
        uint64_t window_ms;
        long long keys;
        sd_event_source *timer;         /* poll delay, or the deadline of the command in flight */
        const char *command;            /* in flight, for messages */
        Op *next;
};

/* What a Freeze saw, for PostSnapshot. */
typedef struct Saved {
        char set[64];
        long long keys;
} Saved;
#define SAVED_MAX 16

struct RedisWriter {
        StasisWriter *w;
        char *file;
        Saved saved[SAVED_MAX];
        unsigned n_saved;
        sd_event *event;
        const RedisConfig *config;
        RedisMode mode;
        RedisLink *link;
        Op *ops;
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static const char *kind_name(OpKind k) {
        return k == OP_PREPARE ? "PrepareSnapshot" : k == OP_FREEZE ? "Freeze" : "Thaw";
}

static void op_free(Op *o) {
        RedisWriter *rw = o->rw;

        for (Op **p = &rw->ops; *p; p = &(*p)->next)
                if (*p == o) {
                        *p = o->next;
                        break;
                }
        o->timer = sd_event_source_disable_unref(o->timer);
        if (o->e) {
                stasis_event_complete(o->e, -ECANCELED);
                stasis_event_unref(o->e);
        }
        free(o);
}

static void on_unpaused_anyway(RedisLink *l, redisReply *reply, const char *error, void *userdata) {
        if (error)
                log_warning("Could not lift the pause of writes after a failure: %s. It lapses by itself at the end of the freeze window.", error);
}

/* Answers the event: error NULL for success. An op that failed while it
 * may have paused writes lifts the pause first. */
static void op_finish(Op *o, bool retryable, const char *error) {
        const char *set = stasis_event_set_id(o->e);

        o->timer = sd_event_source_disable_unref(o->timer);
        if (error) {
                log_error("Set %s: %s failed: %s.", set, kind_name(o->kind), error);
                if (o->kind == OP_FREEZE) {     /* harmless if the pause did not take */
                        const char *argv[] = { "CLIENT", "UNPAUSE" };
                        (void) redis_link_command(o->rw->link, on_unpaused_anyway, NULL, 2, argv);
                }
                stasis_event_veto(o->e, retryable, "%s", error);
                stasis_event_complete(o->e, -ECANCELED);
        } else {
                uint64_t ms = (now_usec() - o->started) / 1000;
                if (o->kind == OP_PREPARE)
                        log_info("Set %s: %s done in %llu ms.", set,
                                 o->rw->mode == REDIS_MODE_AOF ? "AOF rewrite" : "background save", (unsigned long long) ms);
                else if (o->kind == OP_FREEZE) {
                        Saved *sv = &o->rw->saved[o->rw->n_saved++ % SAVED_MAX];
                        redis_format(sv->set, sizeof sv->set, "%s", set);
                        sv->keys = o->keys;
                        log_info("Set %s: writes paused for at most %llu ms; dataset of %lld keys %s in %llu ms.", set,
                                 (unsigned long long) o->window_ms, o->keys,
                                 o->rw->mode == REDIS_MODE_AOF ? "written to the AOF" : "saved to the RDB file",
                                 (unsigned long long) ms);
                } else
                        log_info("Set %s: writes resumed.", set);
                stasis_event_complete(o->e, 0);
        }
        o->e = stasis_event_unref(o->e);
        o->dead = true;
        if (!o->busy)
                op_free(o);
}

static void op_advance(Op *o, redisReply *reply);

static void on_reply(RedisLink *l, redisReply *reply, const char *error, void *userdata) {
        Op *o = userdata;

        o->busy = false;
        o->timer = sd_event_source_disable_unref(o->timer);
        if (o->dead) {
                op_free(o);
                return;
        }
        if (error) {
                /* A save that is running already is waited for, not a failure. */
                if (reply && o->step == STEP_SAVE && strstr(error, "already in progress")) {
                        o->step = STEP_WAIT_IDLE;
                        op_advance(o, NULL);
                        return;
                }
                op_finish(o, true, error);
                return;
        }
        op_advance(o, reply);
}

static int on_command_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Op *o = userdata;
        char buf[300];

        redis_format(buf, sizeof buf, "%s did not answer %s within %s", redis_link_where(o->rw->link), o->command,
                 o->kind == OP_FREEZE ? "the freeze window" : "the command time-out (CommandTimeoutSec=)");
        /* Dropping the connection answers every command in flight, ours with buf. */
        o->timer = sd_event_source_disable_unref(o->timer);
        redis_link_drop(o->rw->link, buf);
        return 0;
}

static void op_send(Op *o, int argc, const char *const *argv) {
        uint64_t deadline = now_usec() + o->rw->config->server.timeout_sec * 1000000ULL;
        int r;

        if (o->kind == OP_FREEZE)
                deadline = MIN(deadline, o->deadline);
        o->command = argv[0];
        r = redis_link_command(o->rw->link, on_reply, o, argc, argv);
        if (r < 0) {
                op_finish(o, true, "out of memory");
                return;
        }
        o->busy = true;
        (void) sd_event_add_time(o->rw->event, &o->timer, CLOCK_MONOTONIC, deadline, 0, on_command_timeout, o);
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Op *o = userdata;
        const char *argv[] = { "INFO", "persistence" };

        o->timer = sd_event_source_disable_unref(o->timer);
        op_send(o, 2, argv);
        return 0;
}

/* INFO again after a while; in a Freeze, only while the window allows. */
static void op_poll_later(Op *o) {
        uint64_t at = now_usec() + (o->kind == OP_FREEZE ? POLL_FREEZE_USEC : POLL_PREPARE_USEC);

        if (o->kind == OP_FREEZE && at >= o->deadline) {
                op_finish(o, true, "the save did not finish within the freeze window");
                return;
        }
        if (sd_event_add_time(o->rw->event, &o->timer, CLOCK_MONOTONIC, at, 0, on_poll, o) < 0)
                op_finish(o, true, "out of memory");
}

/* The value of "field:" in an INFO answer; -1 if absent. */
static long long info_number(const redisReply *reply, const char *field) {
        size_t n = strlen(field);
        for (const char *p = reply->str; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strneq(p, field, n) && p[n] == ':')
                        return strtoll(p + n + 1, NULL, 10);
        return -1;
}

static bool info_is(const redisReply *reply, const char *field, const char *value) {
        size_t n = strlen(field), m = strlen(value);
        for (const char *p = reply->str; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strneq(p, field, n) && p[n] == ':')
                        return strneq(p + n + 1, value, m) && strchr("\r\n", p[n + 1 + m]);
        return false;
}

static OpStep next_step(const Op *o, OpStep s) {
        bool aof = o->rw->mode == REDIS_MODE_AOF;

        switch (o->kind) {
        case OP_PREPARE:
                return s < STEP_WAIT_IDLE ? STEP_WAIT_IDLE : s < STEP_WAIT_SAVED ? s + 1 : STEP_DONE;
        case OP_FREEZE:
                if (aof)
                        return s == STEP_PAUSE ? STEP_WAIT_WRITTEN : s == STEP_WAIT_WRITTEN ? STEP_COUNT : STEP_DONE;
                if (s == STEP_SAVE && o->rw->config->save_at_freeze)
                        return STEP_COUNT;      /* SAVE answers when it is done */
                return s < STEP_WAIT_SAVED ? s + 1 : s == STEP_WAIT_SAVED ? STEP_COUNT : STEP_DONE;
        case OP_THAW:
                return s < STEP_UNPAUSE ? STEP_UNPAUSE : STEP_DONE;
        }
        return STEP_DONE;
}

/* Sends the command of o->step (reply NULL) or takes its answer. */
static void op_advance(Op *o, redisReply *reply) {
        bool aof = o->rw->mode == REDIS_MODE_AOF;
        char ms[32];

        switch (o->step) {
        case STEP_PAUSE:
                if (!reply) {
                        redis_format(ms, sizeof ms, "%llu", (unsigned long long) o->window_ms);
                        op_send(o, 4, (const char *const[]) { "CLIENT", "PAUSE", ms, "WRITE" });
                        return;
                }
                break;
        case STEP_WAIT_IDLE:
        case STEP_WAIT_SAVED:
        case STEP_WAIT_WRITTEN:
                if (!reply) {
                        op_send(o, 2, (const char *const[]) { "INFO", "persistence" });
                        return;
                }
                if (reply->type != REDIS_REPLY_STRING) {
                        op_finish(o, true, "INFO persistence gave no text");
                        return;
                }
                if (o->step == STEP_WAIT_IDLE && (info_number(reply, "rdb_bgsave_in_progress") > 0 ||
                                                   info_number(reply, "aof_rewrite_in_progress") > 0 ||
                                                   info_number(reply, "aof_rewrite_scheduled") > 0)) {
                        op_poll_later(o);
                        return;
                }
                if (o->step == STEP_WAIT_SAVED) {
                        const char *busy = aof ? "aof_rewrite_in_progress" : "rdb_bgsave_in_progress";
                        const char *status = aof ? "aof_last_bgrewrite_status" : "rdb_last_bgsave_status";
                        if (info_number(reply, busy) > 0 || (aof && info_number(reply, "aof_rewrite_scheduled") > 0)) {
                                op_poll_later(o);
                                return;
                        }
                        if (!info_is(reply, status, "ok")) {
                                char buf[200];
                                redis_format(buf, sizeof buf, "%s: the %s failed (%s is not ok; see the server's log)",
                                         redis_link_where(o->rw->link), aof ? "AOF rewrite" : "background save", status);
                                op_finish(o, true, buf);
                                return;
                        }
                }
                if (o->step == STEP_WAIT_WRITTEN) {
                        if (info_number(reply, "aof_enabled") != 1) {
                                op_finish(o, false, "Mode=aof, but the server does not write an AOF (appendonly no)");
                                return;
                        }
                        if (info_number(reply, "aof_buffer_length") != 0) {
                                op_poll_later(o);
                                return;
                        }
                        if (!info_is(reply, "aof_last_write_status", "ok")) {
                                op_finish(o, true, "the server cannot write its AOF (aof_last_write_status is not ok)");
                                return;
                        }
                }
                break;
        case STEP_SAVE:
                if (!reply) {
                        op_send(o, 1, (const char *const[]) { aof ? "BGREWRITEAOF" :
                                o->kind == OP_FREEZE && o->rw->config->save_at_freeze ? "SAVE" : "BGSAVE" });
                        return;
                }
                break;
        case STEP_COUNT:
                if (!reply) {
                        op_send(o, 1, (const char *const[]) { "DBSIZE" });
                        return;
                }
                o->keys = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
                break;
        case STEP_UNPAUSE:
                if (!reply) {
                        op_send(o, 2, (const char *const[]) { "CLIENT", "UNPAUSE" });
                        return;
                }
                break;
        case STEP_DONE:
                break;
        }
        o->step = next_step(o, o->step);
        if (o->step == STEP_DONE)
                op_finish(o, false, NULL);
        else
                op_advance(o, NULL);
}

static int op_start(RedisWriter *rw, StasisEvent *e, OpKind kind) {
        Op *o = calloc(1, sizeof(Op));

        if (!o)
                return -ENOMEM;
        *o = (Op) { .rw = rw, .e = stasis_event_ref(e), .kind = kind, .started = now_usec(), .next = rw->ops };
        rw->ops = o;
        if (kind == OP_FREEZE) {
                uint64_t window = stasis_event_freeze_window_usec(e);
                o->window_ms = (window + 999) / 1000;
                o->deadline = o->started + (window > 2 * FREEZE_MARGIN_USEC ? window - FREEZE_MARGIN_USEC : window / 2);
        }
        o->step = kind == OP_FREEZE ? STEP_PAUSE : next_step(o, STEP_PAUSE);
        op_advance(o, NULL);
        return STASIS_EVENT_ASYNC;
}

/* Answers, as failed, the operations still running for set (all if NULL). */
static void cancel_ops(RedisWriter *rw, const char *set, const char *why) {
        for (Op *o = rw->ops, *next; o; o = next) {
                next = o->next;
                if (!o->dead && (!set || streq(stasis_event_set_id(o->e), set)))
                        op_finish(o, true, why);
        }
}

static int on_prepare_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        return op_start(userdata, e, OP_PREPARE);
}

static int on_freeze(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        return op_start(userdata, e, OP_FREEZE);
}

static int on_thaw(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        RedisWriter *rw = userdata;

        if (stasis_event_is_auto_thaw(e))
                log_warning("Set %s: thawing by itself: %s.", stasis_event_set_id(e), strna(stasis_event_reason(e)));
        cancel_ops(rw, stasis_event_set_id(e), "thawed before the writes were paused and saved");
        return op_start(rw, e, OP_THAW);
}

static int on_abort(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        log_info("Set %s: aborted: %s.", stasis_event_set_id(e), strna(stasis_event_reason(e)));
        cancel_ops(userdata, stasis_event_set_id(e), "the set was aborted");
        return 0;
}

/* Where the dataset is in the snapshot, and how many keys it has, kept with the set. */
static int on_post_snapshot(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        RedisWriter *rw = userdata;
        const char *set = stasis_event_set_id(e);
        const Saved *sv = NULL;
        char keys[32];
        int r;

        for (unsigned i = 0; i < MIN(rw->n_saved, SAVED_MAX); i++)
                if (streq(rw->saved[i].set, set))
                        sv = &rw->saved[i];
        if (!sv)
                return stasis_event_veto(e, false, "no dataset was saved for set %s at Freeze", set);
        redis_format(keys, sizeof keys, "%lld", sv->keys);
        r = stasis_event_add_metadata(e, REDIS_COMPONENT, "mode", redis_mode_to_string(rw->mode));
        if (r >= 0)
                r = stasis_event_add_metadata(e, REDIS_COMPONENT, rw->mode == REDIS_MODE_AOF ? "appenddirname" : "dbfilename",
                                              rw->file);
        if (r >= 0)
                r = stasis_event_add_metadata(e, REDIS_COMPONENT, "keys", keys);
        if (r < 0)
                return log_error_errno(r, "Set %s: cannot attach the backup metadata: %s", set,
                                       *stasis_writer_last_error(w) ? stasis_writer_last_error(w) : strerror(-r));
        return 0;
}

static const WriterHandler handlers[] = {
        { STASIS_EVENT_PREPARE_SNAPSHOT, on_prepare_snapshot },
        { STASIS_EVENT_FREEZE, on_freeze },
        { STASIS_EVENT_THAW, on_thaw },
        { STASIS_EVENT_ABORT, on_abort },
        { STASIS_EVENT_POST_SNAPSHOT, on_post_snapshot },
};

int redis_writer_new(RedisWriter **ret, StasisWriter *w, sd_event *event, const RedisConfig *c, RedisMode mode,
                     const char *file) {
        RedisWriter *rw = calloc(1, sizeof(RedisWriter));
        int r;

        if (!rw)
                return -ENOMEM;
        *rw = (RedisWriter) { .w = w, .event = sd_event_ref(event), .config = c, .mode = mode, .file = strdup(file) };
        r = rw->file ? redis_link_new(&rw->link, event, c) : -ENOMEM;
        if (r >= 0)
                r = writer_set_handlers(w, handlers, ELEMENTSOF(handlers), rw);
        if (r < 0) {
                redis_writer_free(rw);
                return r;
        }
        *ret = rw;
        return 0;
}

RedisWriter *redis_writer_free(RedisWriter *rw) {
        if (!rw)
                return NULL;
        cancel_ops(rw, NULL, "the writer is stopping");
        rw->link = redis_link_free(rw->link);   /* frees the ops whose commands were in flight */
        while (rw->ops)
                op_free(rw->ops);
        sd_event_unref(rw->event);
        free(rw->file);
        free(rw);
        return NULL;
}
