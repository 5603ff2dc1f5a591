/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-channel.c - the writer's end of its direct channel: Freeze and Thaw from stasisd past
 * dbus-daemon (Manager.OpenWriterChannel), dispatched to the same handlers as the calls on the bus */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-errors.h"
#include "stasis-writer-internal.h"
#include "writer-channel.h"

/* STASIS_WRITER_CHANNEL=0 in the environment: the events come over the bus, as to a writer
 * that does not know the channel (for tests and for comparing). */
static bool channel_wanted(void) {
        const char *e = getenv("STASIS_WRITER_CHANNEL");
        return !e || !streq(e, "0");
}

void writer_channel_close(StasisWriter *w) {
        w->channel_slot = sd_bus_slot_unref(w->channel_slot);
        w->channel_source = sd_event_source_disable_unref(w->channel_source);
        if (w->channel_fd >= 0)
                (void) close(w->channel_fd);
        w->channel_fd = -EBADF;
}

int writer_channel_answer(StasisEvent *e, int error) {
        StasisWriter *w = e->writer;
        WriterChannelAnswer a;
        WriterChannelResult result = WRITER_CHANNEL_OK;
        char msg[WRITER_CHANNEL_MESSAGE_MAX];

        msg[0] = 0;
        if (e->vetoed) {
                result = e->veto_retryable ? WRITER_CHANNEL_VETO_RETRYABLE : WRITER_CHANNEL_VETO;
                snprintf(msg, sizeof msg, "%s", strempty(e->veto_reason));
        } else if (error < 0) {
                result = WRITER_CHANNEL_FAILED;
                snprintf(msg, sizeof msg, "%s", strerror(error >= -4095 ? -error : EIO));
        }
        if (w->channel_fd < 0 || w->channel_generation != e->channel_generation)
                return -ENOTCONN;       /* closed meanwhile: stasisd failed the call already */
        writer_channel_answer_init(&a, e->channel_seq, result, msg);
        if (send(w->channel_fd, &a, sizeof a, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t) sizeof a)
                return -errno;
        return 0;
}

/* A call refused before any handler ran: its error, as the bus would have carried it. */
static void answer_error(StasisWriter *w, uint32_t seq, int r, const sd_bus_error *error) {
        WriterChannelAnswer a;
        char msg[WRITER_CHANNEL_MESSAGE_MAX];

        if (sd_bus_error_is_set(error))
                snprintf(msg, sizeof msg, "%s", error->message ?: error->name);
        else
                snprintf(msg, sizeof msg, "%s", strerror(r < 0 && r >= -4095 ? -r : EIO));
        writer_channel_answer_init(&a, seq, WRITER_CHANNEL_FAILED, msg);
        (void) send(w->channel_fd, &a, sizeof a, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* One call, checked already: dispatched as the same call on the bus would be. */
static void take_call(StasisWriter *w, const WriterChannelCall *c) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_event_unref_ StasisEvent *e = NULL;
        int r;

        r = event_new(w, c->event, &e);
        if (r >= 0 && !(e->set_id = strdup(c->set_id)))
                r = -ENOMEM;
        if (r < 0) {
                answer_error(w, c->seq, r, NULL);
                return;
        }
        e->channel_seq = c->seq;
        e->channel_generation = w->channel_generation;
        if (c->event == STASIS_EVENT_FREEZE)
                r = writer_dispatch_freeze(e, NULL, c->window_usec, &error);
        else
                r = writer_dispatch_thaw(e, NULL, &error);
        if (r < 0) {
                e->answered = true;     /* answered here, not by the event */
                answer_error(w, c->seq, r, &error);
        }
}

static int on_channel_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        _cleanup_(stasis_writer_unrefp) StasisWriter *w = stasis_writer_ref(userdata);
        char buf[sizeof(WriterChannelCall) + 1];

        while (w->channel_fd >= 0) {
                WriterChannelCall c;
                ssize_t n = recv(w->channel_fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0 && (errno == EAGAIN || errno == EINTR))
                        break;
                /* Closed, failed or malformed: only stasisd writes to it, so the
                 * channel is done with; the events come over the bus again. */
                if (n <= 0 || writer_channel_call_parse(buf, (size_t) n, &c, NULL, 0) < 0) {
                        writer_channel_close(w);
                        return 0;
                }
                take_call(w, &c);
                /* One call at a time, as on the bus: the next after the loop runs once more. */
                return 0;
        }
        if (w->channel_fd >= 0 && (revents & (EPOLLHUP | EPOLLERR)))
                writer_channel_close(w);
        return 0;
}

static int channel_take(StasisWriter *w, sd_bus_message *reply) {
        int fd, r;

        r = sd_bus_message_read(reply, "h", &fd);
        if (r < 0)
                return r;
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
                r = -errno;
                (void) close(fd);
                return r;
        }
        r = sd_event_add_io(w->client.event, &w->channel_source, fd, EPOLLIN, on_channel_io, w);
        /* Before the bus: a call on the channel is taken before a later one on the bus (an Abort). */
        if (r >= 0)
                r = sd_event_source_set_priority(w->channel_source, w->client.priority - 1);
        if (r < 0) {
                w->channel_source = sd_event_source_disable_unref(w->channel_source);
                (void) close(fd);
                return r;
        }
        w->channel_fd = fd;
        w->channel_generation++;
        return 0;
}

/* Any refusal (a stasisd without channels: UnknownMethod) leaves the events on the bus. */
static int on_channel_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        StasisWriter *w = userdata;

        w->channel_slot = sd_bus_slot_unref(w->channel_slot);
        if (!sd_bus_message_is_method_error(m, NULL) && w->channel_fd < 0)
                (void) channel_take(w, m);
        return 0;
}

int writer_channel_open(StasisWriter *w) {
        if (!channel_wanted() || w->channel_fd >= 0 || w->channel_slot)
                return 0;
        return sd_bus_call_method_async(w->client.bus, &w->channel_slot, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                        STASIS_MANAGER_INTERFACE, "OpenWriterChannel", on_channel_reply, w,
                                        "o", STASIS_WRITER_PATH);
}

int writer_channel_open_sync(StasisWriter *w) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        if (!channel_wanted() || w->channel_fd >= 0)
                return 0;
        r = sd_bus_call_method(w->client.bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "OpenWriterChannel", NULL, &reply, "o", STASIS_WRITER_PATH);
        if (r < 0)
                return 0;       /* on the bus, then */
        return channel_take(w, reply);
}
