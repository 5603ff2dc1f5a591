/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-channel.c - building and checking the packets of a writer's direct channel */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"
#include "writer-channel.h"

static void copy_string(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
        utf8_trim_incomplete(dst);
}

void writer_channel_call_init(WriterChannelCall *c, StasisWriterEvent event, uint32_t seq, uint64_t window_usec,
                              const char *set_id) {
        memset(c, 0, sizeof *c);
        c->magic = WRITER_CHANNEL_MAGIC;
        c->version = WRITER_CHANNEL_VERSION;
        c->size = sizeof *c;
        c->event = event;
        c->seq = seq;
        c->window_usec = window_usec;
        copy_string(c->set_id, sizeof c->set_id, set_id);
}

void writer_channel_answer_init(WriterChannelAnswer *a, uint32_t seq, WriterChannelResult result,
                                const char *message) {
        memset(a, 0, sizeof *a);
        a->magic = WRITER_CHANNEL_MAGIC;
        a->version = WRITER_CHANNEL_VERSION;
        a->size = sizeof *a;
        a->seq = seq;
        a->result = result;
        copy_string(a->message, sizeof a->message, message);
}

static int bad(char *err, size_t err_size, const char *what) {
        if (err && err_size > 0)
                snprintf(err, err_size, "%s", what);
        return -EBADMSG;
}

/* The common header: the size received must be the size expected. */
static int check_header(const void *buf, size_t size, size_t expected, char *err, size_t err_size) {
        uint32_t magic;
        uint16_t version, declared;

        if (!buf || size != expected) {
                if (err && err_size > 0)
                        snprintf(err, err_size, "a packet of %zu bytes, not %zu", size, expected);
                return -EBADMSG;
        }
        memcpy(&magic, buf, sizeof magic);
        memcpy(&version, (const char *) buf + 4, sizeof version);
        memcpy(&declared, (const char *) buf + 6, sizeof declared);
        if (magic != WRITER_CHANNEL_MAGIC)
                return bad(err, err_size, "a packet with a wrong magic number");
        if (version != WRITER_CHANNEL_VERSION)
                return bad(err, err_size, "a packet of an unknown version");
        if (declared != expected)
                return bad(err, err_size, "a packet whose size field is wrong");
        return 0;
}

int writer_channel_call_parse(const void *buf, size_t size, WriterChannelCall *ret, char *err, size_t err_size) {
        WriterChannelCall c;
        int r = check_header(buf, size, sizeof c, err, err_size);

        if (r < 0)
                return r;
        memcpy(&c, buf, sizeof c);
        if (c.event != STASIS_EVENT_FREEZE && c.event != STASIS_EVENT_THAW)
                return bad(err, err_size, "a call of an event the channel does not carry");
        if (c.seq == 0)
                return bad(err, err_size, "a call numbered 0");
        if ((c.event == STASIS_EVENT_FREEZE) != (c.window_usec > 0))
                return bad(err, err_size, "a call whose freeze window does not fit its event");
        if (!memchr(c.set_id, 0, sizeof c.set_id) || c.set_id[0] == 0 || !utf8_is_valid(c.set_id))
                return bad(err, err_size, "a call whose set id is empty, not terminated or not UTF-8");
        if (ret)
                *ret = c;
        return 0;
}

int writer_channel_answer_parse(const void *buf, size_t size, WriterChannelAnswer *ret, char *err, size_t err_size) {
        WriterChannelAnswer a;
        int r = check_header(buf, size, sizeof a, err, err_size);

        if (r < 0)
                return r;
        memcpy(&a, buf, sizeof a);
        if (a.seq == 0)
                return bad(err, err_size, "an answer numbered 0");
        if (a.result >= _WRITER_CHANNEL_RESULT_MAX)
                return bad(err, err_size, "an answer with an unknown result");
        if (!memchr(a.message, 0, sizeof a.message))
                return bad(err, err_size, "an answer whose message is not terminated");
        if (ret)
                *ret = a;
        return 0;
}
