/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-channel.c - a writer's direct channel: a socketpair handed to the connection that registered
 * the writer, over which Freeze and Thaw go as small checked packets instead of through dbus-daemon */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus-errors.h"
#include "echo.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-writer-call.h"
#include "stasisd-writer-channel.h"
#include "writer-channel.h"

bool writer_channel_takes(const Writer *w, StasisWriterEvent event) {
        assert(w);

        if (!w->channel_source || (event != STASIS_EVENT_FREEZE && event != STASIS_EVENT_THAW))
                return false;
        size_t n = 0;
        for (const WriterReply *r = w->channel_calls; r; r = r->channel_calls_next)
                n++;
        return n < WRITER_CHANNEL_CALLS_MAX;
}

void writer_channel_forget(WriterReply *r) {
        assert(r);

        if (!r->channel_out)
                return;
        LIST_REMOVE(channel_calls, r->writer->channel_calls, r->writer->channel_calls_tail, r);
        r->channel_out = false;
}

void writer_channel_close(Writer *w) {
        assert(w);

        /* The fd is ours only with its source: a Writer made otherwise (a
         * missing one, from the catalog) has none. */
        if (!w->channel_source)
                return;
        w->channel_source = sd_event_source_disable_unref(w->channel_source);
        (void) close(w->channel_fd);
        w->channel_fd = -EBADF;
}

/* The channel broke: closed, and every call out on it fails, as if the
 * writer had left during it; its next events go over the bus. */
static void channel_broke(Writer *w, const char *why) {
        log_warning("Writer %s %s; the channel is closed.", w->display, why);
        writer_ref(w);
        writer_channel_close(w);
        while (w->channel_calls) {
                WriterReply *r = w->channel_calls;
                writer_channel_forget(r);
                writer_reply_channel_failed(r, why);
        }
        writer_unref(w);
}

/* The writer closed its channel. A writer that died did: its calls out on
 * the channel fail when the bus tells that it left (the reason then says
 * so, as for any writer that leaves), which the bus may not know yet; one
 * that closed it and stays fails them at their deadline. */
static void channel_closed(Writer *w) {
        log_debug("Writer %s closed its channel.", w->display);
        writer_channel_close(w);
}

int writer_channel_send(Writer *w, WriterReply *r, StasisWriterEvent event, uint64_t window_usec,
                        const char *set_id) {
        WriterChannelCall c;

        assert(w);
        assert(r);
        assert(writer_channel_takes(w, event));

        if (++w->channel_seq == 0)
                w->channel_seq = 1;
        writer_channel_call_init(&c, event, w->channel_seq, window_usec, set_id);
        if (send(w->channel_fd, &c, sizeof c, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t) sizeof c)
                return errno > 0 ? -errno : -EIO;
        w->channel_sent++;
        r->channel_seq = c.seq;
        r->channel_out = true;
        LIST_APPEND(channel_calls, w->channel_calls, w->channel_calls_tail, r);
        return 0;
}

/* One packet taken: 0, or <0 with why (the channel is then broken). */
static int take_answer(Writer *w, const void *buf, size_t size, char *why, size_t why_size) {
        WriterChannelAnswer a;
        char err[128];

        if (writer_channel_answer_parse(buf, size, &a, err, sizeof err) < 0) {
                snprintf(why, why_size, "sent %s on its channel", err);
                return -EBADMSG;
        }
        /* More answers than calls: a writer flooding the channel (which
         * would keep stasisd reading it). Bounded so: at most one packet a
         * call is ever read. */
        if (++w->channel_answered > w->channel_sent) {
                snprintf(why, why_size, "sent more answers on its channel than it was sent calls");
                return -EBADMSG;
        }
        /* Newer than any call sent: a writer that makes answers up. Older:
         * an answer that came late, to a call that ended (its deadline). */
        if (a.seq > w->channel_seq) {
                snprintf(why, why_size, "answered call %u on its channel, which was never sent", a.seq);
                return -EBADMSG;
        }
        LIST_FOREACH(channel_calls, r, w->channel_calls)
                if (r->channel_seq == a.seq) {
                        writer_channel_forget(r);
                        writer_reply_channel_answered(r, a.result, a.message);
                        return 0;
                }
        log_debug("Writer %s: dropped a late answer to call %u on its channel.", w->display, a.seq);
        return 0;
}

static int on_channel_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Writer *w = userdata;
        /* One byte more than an answer: a longer packet is seen as longer. */
        char buf[sizeof(WriterChannelAnswer) + 1], why[256];

        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
                if (n < 0 && errno == EINTR)
                        continue;       /* edge-triggered: read until EAGAIN */
                if (n < 0 && errno == EAGAIN)
                        break;
                if (n < 0) {
                        snprintf(why, sizeof why, "lost its channel (%s)", strerror(errno));
                        channel_broke(w, why);
                        return 0;
                }
                if (n == 0) {
                        channel_closed(w);
                        return 0;
                }
                if (take_answer(w, buf, (size_t) n, why, sizeof why) < 0) {
                        channel_broke(w, why);
                        return 0;
                }
                if (!w->channel_source)
                        return 0;
        }
        if (revents & (EPOLLHUP | EPOLLERR))
                channel_closed(w);
        return 0;
}

int method_open_writer_channel(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *path;
        int fds[2], r;
        Writer *w;

        /* Open to all: a connection gets the channel of a writer it
         * registered, and of no other. */
        r = sd_bus_message_read(msg, "o", &path);
        if (r < 0)
                return r;
        r = manager_caller_writer(m, msg, path, error, &w);
        if (r < 0)
                return r;
        if (w->channel_source)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "Writer %s has a channel already", w->display);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) < 0)
                return sd_bus_error_set_errnof(error, errno, "Cannot make a channel for writer %s: %m", w->display);
        /* Edge-triggered: on_channel_io() reads until EAGAIN. Level-triggered,
         * a thousand channels with an answer each made every pass of the loop
         * see all of them, for one dispatched: N² (docs/benchmarks.md). */
        r = sd_event_add_io(m->event, &w->channel_source, fds[0], EPOLLIN | EPOLLET, on_channel_io, w);
        if (r < 0) {
                (void) close(fds[0]);
                (void) close(fds[1]);
                return sd_bus_error_set_errnof(error, -r, "Cannot watch the channel of writer %s: %m", w->display);
        }
        w->channel_fd = fds[0];
        w->channel_sent = w->channel_answered = 0;
        r = sd_bus_reply_method_return(msg, "h", fds[1]);
        (void) close(fds[1]);
        if (r < 0) {
                writer_channel_close(w);
                return r;
        }
        log_debug("Writer %s: Freeze and Thaw go over its channel.", w->display);
        return 0;
}
