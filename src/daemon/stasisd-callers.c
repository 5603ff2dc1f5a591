/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-callers.c - calls from unprivileged callers wait their turn, so that none can crowd out root
 *
 * stasisd is one thread and sd-bus hands it calls in the order they came, so
 * a few connections that keep many calls out (GetManagedObjects of many sets
 * costs milliseconds) could make root wait behind hundreds of them. A bus
 * filter sees every method call first: root's go on at once; those of other
 * users are taken out of the stream and queued per connection (a bounded
 * number; one more is answered Busy at once), then put back, one at a time,
 * connections taking turns, with sd_bus_enqueue_for_read(). After a call that
 * took t, the next unprivileged one waits (CALLERS_SHARE - 1) * t, so that
 * most of the time stasisd is free for root whatever others send. */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "echo.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-callers.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

typedef struct Caller {
        char *name;                     /* unique bus name */
        uid_t uid;                      /* (uid_t) -1 if the bus did not say */
        /* The rest of what the bus said of it, for authorization checks. */
        bool known;                     /* the bus answered */
        pid_t pid;
        gid_t *gids;
        size_t n_gids;
        /* Its calls in the order they came; for a refused one, the Busy
         * answer, sent when it reaches the head. CALLERS_QUEUE_PER_CONNECTION
         * entries (3 KiB), made on the first call held back: root's
         * connections, such as a thousand writers', never need them. */
        struct CallerEntry {
                sd_bus_message *msg;
                bool refused;
                size_t size;            /* of an accepted call's body, about */
        } *queue;
        unsigned head, n;
        unsigned n_accepted;            /* not refused */
        size_t bytes;                   /* of the accepted calls */
        bool in_ready;                  /* in the turn list */
        LIST_FIELDS(struct Caller, ready);
} Caller;

struct Callers {
        sd_bus *bus;
        sd_event *event;
        sd_bus_slot *filter;
        sd_event_source *turn;          /* the next unprivileged call's turn */
        void *tree;                     /* Caller, by name */
        Caller *ready, *ready_tail;     /* callers with calls waiting, in turn */
        unsigned n_waiting;             /* accepted calls, of all callers */
        unsigned n_queued;              /* calls, accepted or refused */
        size_t bytes;                   /* of the accepted calls, of all callers */
        sd_bus_message *admitted;       /* let through the filter once */
        bool passed;
        uint64_t next_turn;             /* CLOCK_MONOTONIC, usec */
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static int caller_compare(const void *a, const void *b) {
        return strcmp(((const Caller *) a)->name, ((const Caller *) b)->name);
}

static void caller_free(void *p) {
        Caller *k = p;
        for (unsigned i = 0; i < k->n; i++)
                sd_bus_message_unref(k->queue[(k->head + i) % CALLERS_QUEUE_PER_CONNECTION].msg);
        free(k->queue);
        free(k->gids);
        free(k->name);
        free(k);
}

/* The caller's record, made on its first call: the bus says who it is, once
 * per connection (a unique name is never given twice). The record goes when
 * the bus says the connection left (callers_gone()). A call may come after
 * that: one put back in the queue when polkit answered, its caller gone
 * meanwhile. A record made then would never go, so none is: -ESRCH, the call
 * has no one to answer. NULL with -ENOMEM if out of memory. */
static int caller_get(Callers *c, const char *name, Caller **ret) {
        Caller key = { .name = (char *) name }, *k, **found;
        int r;

        found = tfind(&key, &c->tree, caller_compare);
        if (found) {
                *ret = *found;
                return 0;
        }
        k = calloc(1, sizeof(Caller));
        if (!k || !(k->name = strdup(name))) {
                free(k);
                return -ENOMEM;
        }
        k->uid = (uid_t) -1;
        /* One question to the bus per connection, whose answer also serves
         * stasisd-auth.c (callers_credentials()). */
        r = bus_connection_credentials(c->bus, name, &k->uid, &k->pid, &k->gids, &k->n_gids);
        k->known = r >= 0;
        if (r == -ENOMEM) {
                caller_free(k);
                return r;
        }
        if (r == -ENXIO || r == -ESRCH) {
                log_debug("Dropped a call of %s, which left the bus.", name);
                caller_free(k);
                return -ESRCH;
        }
        if (!tsearch(k, &c->tree, caller_compare)) {
                caller_free(k);
                return -ENOMEM;
        }
        log_debug("Caller %s (uid %d) made its first call.", name, k->uid == (uid_t) -1 ? -1 : (int) k->uid);
        *ret = k;
        return 0;
}

static void ready_push(Callers *c, Caller *k) {
        k->in_ready = true;
        LIST_APPEND(ready, c->ready, c->ready_tail, k);
}

static Caller *ready_pop(Callers *c) {
        Caller *k = LIST_POP(ready, c->ready, c->ready_tail);
        if (k)
                k->in_ready = false;
        return k;
}

static void ready_remove(Callers *c, Caller *k) {
        if (k->in_ready)
                LIST_REMOVE(ready, c->ready, c->ready_tail, k);
        k->in_ready = false;
}

static void schedule_turn(Callers *c) {
        uint64_t now = now_usec();
        int r;

        if (!c->ready)
                return;
        r = sd_event_source_set_time(c->turn, MAX(c->next_turn, now));
        if (r >= 0)
                r = sd_event_source_set_enabled(c->turn, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Cannot schedule the next unprivileged call: %m");
}

static int reply_busy(sd_bus_message *m, const char *why) {
        (void) sd_bus_reply_method_errorf(m, STASIS_ERROR_BUSY, "%s", why);
        return 1;
}

#define BUSY_CONNECTION "Busy: this connection already has " STRINGIFY(CALLERS_CALLS_PER_CONNECTION_MAX) \
        " calls in flight, the most an unprivileged caller may; wait for their answers"
#define BUSY_ALL "Busy: stasisd has " STRINGIFY(CALLERS_CALLS_MAX) \
        " calls of unprivileged callers in flight; try again later"
#define BUSY_BYTES "Busy: this connection's calls in flight would take more than 4 MiB, the most " \
        "an unprivileged caller's may; wait for their answers"
#define BUSY_BYTES_ALL "Busy: the calls of unprivileged callers in flight would take more than 32 MiB; " \
        "try again later"

/* Takes the caller's next call, sending the Busy answers of the refused
 * ones before it; NULL if none is left. */
static sd_bus_message *caller_next(Callers *c, Caller *k) {
        while (k->n > 0) {
                sd_bus_message *m = k->queue[k->head].msg;
                bool refused = k->queue[k->head].refused;
                size_t size = k->queue[k->head].size;

                k->head = (k->head + 1) % CALLERS_QUEUE_PER_CONNECTION;
                k->n--;
                c->n_queued--;
                if (!refused) {
                        k->n_accepted--;
                        c->n_waiting--;
                        k->bytes -= size;
                        c->bytes -= size;
                        return m;
                }
                (void) sd_bus_send(c->bus, m, NULL);
                sd_bus_message_unref(m);
        }
        return NULL;
}

/* One waiting call goes back to sd-bus and is handled now; the next waits. */
static int on_turn(sd_event_source *s, uint64_t usec, void *userdata) {
        Callers *c = userdata;
        Caller *k = ready_pop(c);
        sd_bus_message *m;
        uint64_t start;
        int r;

        if (!k)
                return 0;
        m = caller_next(c, k);
        if (k->n > 0)
                ready_push(c, k);
        if (!m) {
                schedule_turn(c);
                return 0;
        }

        start = now_usec();
        c->admitted = m;
        c->passed = false;
        r = sd_bus_enqueue_for_read(c->bus, m);
        if (r < 0) {
                c->admitted = NULL;
                log_error_errno(r, "Cannot hand a call back to sd-bus: %m");
                (void) sd_bus_reply_method_errno(m, r, NULL);
        }
        sd_bus_message_unref(m);
        /* It is handled within the sd_bus_process() that passes it through
         * the filter; whatever was read before it goes first. */
        for (unsigned i = 0; r >= 0 && !c->passed && i < 1024; i++)
                if (sd_bus_process(c->bus, NULL) <= 0)
                        break;
        c->next_turn = now_usec() + MAX((CALLERS_SHARE - 1) * (now_usec() - start), (uint64_t) CALLERS_TURN_GAP_MIN_USEC);
        schedule_turn(c);
        return 0;
}

/* sd-bus's own errors quote the object path and a property's interface and
 * name whole, and the bus bounds none of them: calls naming things longer
 * than anything stasisd exports are refused here, quoting a prefix. */
#define NAME_MAX_BYTES 255
static int refuse_long_names(sd_bus_message *m) {
        const char *path = sd_bus_message_get_path(m), *a = NULL, *b = NULL;
        int r = 1;

        if (path && strlen(path) > NAME_MAX_BYTES)
                return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_UNKNOWN_OBJECT, "Unknown object '%s'.", ECHO(path)), 1;
        if (!sd_bus_message_is_method_call(m, "org.freedesktop.DBus.Properties", NULL))
                return 0;
        if (sd_bus_message_has_signature(m, "ss") || sd_bus_message_has_signature(m, "ssv"))
                r = sd_bus_message_read(m, "ss", &a, &b);
        else if (sd_bus_message_has_signature(m, "s"))
                r = sd_bus_message_read(m, "s", &a);
        (void) sd_bus_message_rewind(m, true);
        if (r >= 0 && ((a && strlen(a) > NAME_MAX_BYTES) || (b && strlen(b) > NAME_MAX_BYTES)))
                return sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS,
                                                  "No interface '%s' with a property '%s' here.", ECHO(a), ECHO(b)), 1;
        return 0;
}

static int on_message(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Callers *c = userdata;
        sd_bus_message *entry = NULL;
        const char *sender;
        size_t size = 0;
        bool refused;
        Caller *k;
        int r;

        if (m == c->admitted) {
                c->admitted = NULL;
                c->passed = true;
                return 0;
        }
        if (!sd_bus_message_is_method_call(m, NULL, NULL))
                return 0;
        if (refuse_long_names(m))
                return 1;
        sender = sd_bus_message_get_sender(m);
        if (!sender)
                return 0;
        r = caller_get(c, sender, &k);
        if (r == -ESRCH)
                return 1;       /* its caller left: nothing to do, no one to answer */
        if (r < 0 || k->uid == 0)
                return 0;       /* root is never held back */
        if (!k->queue) {
                k->queue = calloc(CALLERS_QUEUE_PER_CONNECTION, sizeof(struct CallerEntry));
                if (!k->queue)
                        return reply_busy(m, BUSY_ALL);
        }
        if (k->n >= CALLERS_QUEUE_PER_CONNECTION || c->n_queued >= CALLERS_QUEUED_MAX)
                return reply_busy(m, k->n_accepted >= CALLERS_CALLS_PER_CONNECTION_MAX ? BUSY_CONNECTION : BUSY_ALL);
        refused = k->n_accepted >= CALLERS_CALLS_PER_CONNECTION_MAX || c->n_waiting >= CALLERS_CALLS_MAX;
        if (refused && !sd_bus_message_get_expect_reply(m))
                return 1;       /* nothing to answer */
        if (refused) {
                /* Keep the answer only: the call may be large. */
                r = sd_bus_message_new_method_errorf(m, &entry, STASIS_ERROR_BUSY, "%s",
                                                     k->n_accepted >= CALLERS_CALLS_PER_CONNECTION_MAX ? BUSY_CONNECTION
                                                                                                       : BUSY_ALL);
                if (r < 0)
                        return reply_busy(m, BUSY_ALL);
        } else {
                size = bus_message_body_size(m);
                if (k->bytes + size > CALLERS_BYTES_PER_CONNECTION_MAX || c->bytes + size > CALLERS_BYTES_MAX)
                        return reply_busy(m, k->bytes + size > CALLERS_BYTES_PER_CONNECTION_MAX ? BUSY_BYTES
                                                                                                : BUSY_BYTES_ALL);
                entry = sd_bus_message_ref(m);
        }
        k->queue[(k->head + k->n) % CALLERS_QUEUE_PER_CONNECTION].msg = entry;
        k->queue[(k->head + k->n) % CALLERS_QUEUE_PER_CONNECTION].refused = refused;
        k->queue[(k->head + k->n) % CALLERS_QUEUE_PER_CONNECTION].size = size;
        k->n++;
        c->n_queued++;
        if (!refused) {
                k->n_accepted++;
                c->n_waiting++;
                k->bytes += size;
                c->bytes += size;
        }
        if (!k->in_ready) {
                ready_push(c, k);
                if (c->ready == k)
                        schedule_turn(c);
        }
        return 1;
}

void callers_gone(Callers *c, const char *name) {
        Caller key = { .name = (char *) name }, **found, *k;

        if (!c)
                return;
        found = tfind(&key, &c->tree, caller_compare);
        if (!found)
                return;
        k = *found;
        log_debug("Caller %s left the bus.", name);
        tdelete(&key, &c->tree, caller_compare);
        ready_remove(c, k);
        c->n_waiting -= k->n_accepted;
        c->n_queued -= k->n;
        c->bytes -= k->bytes;
        caller_free(k);
}

int callers_new(sd_bus *bus, sd_event *event, Callers **ret) {
        Callers *c = calloc(1, sizeof(Callers));
        int r;

        if (!c)
                return -ENOMEM;
        c->bus = sd_bus_ref(bus);
        c->event = sd_event_ref(event);
        /* As urgent as the bus: while it is flooded, turns still come. */
        r = sd_event_add_time(event, &c->turn, CLOCK_MONOTONIC, 0, 1, on_turn, c);
        if (r >= 0)
                r = sd_event_source_set_enabled(c->turn, SD_EVENT_OFF);
        if (r >= 0)
                r = sd_bus_add_filter(bus, &c->filter, on_message, c);
        if (r < 0) {
                callers_free(c);
                return r;
        }
        *ret = c;
        return 0;
}

Callers *callers_free(Callers *c) {
        if (!c)
                return NULL;
        c->filter = sd_bus_slot_unref(c->filter);
        c->turn = sd_event_source_disable_unref(c->turn);
        tdestroy(c->tree, caller_free);
        sd_bus_unref(c->bus);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

int callers_credentials(Callers *c, const char *name, uid_t *ret_uid, pid_t *ret_pid, gid_t **ret_gids,
                        size_t *ret_n_gids) {
        Caller key = { .name = (char *) name }, **found;
        gid_t *gids = NULL;

        if (!c || !name)
                return -ENOENT;
        found = tfind(&key, &c->tree, caller_compare);
        if (!found || !(*found)->known)
                return -ENOENT;
        if ((*found)->n_gids > 0) {
                gids = malloc((*found)->n_gids * sizeof(gid_t));
                if (!gids)
                        return -ENOMEM;
                memcpy(gids, (*found)->gids, (*found)->n_gids * sizeof(gid_t));
        }
        *ret_uid = (*found)->uid;
        *ret_pid = (*found)->pid;
        *ret_gids = gids;
        *ret_n_gids = (*found)->n_gids;
        return 0;
}
