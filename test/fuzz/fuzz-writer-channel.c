/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-writer-channel.c - libFuzzer target: any bytes, as a packet of a writer's channel, are taken only if
 * well-formed, and a packet taken builds back to the same bytes */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writer-channel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what) {
        fprintf(stderr, "fuzz-writer-channel: %s\n", what);
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        WriterChannelCall c, c2;
        WriterChannelAnswer a, a2;
        char err[64];
        int r;

        memset(err, 'x', sizeof err);
        r = writer_channel_answer_parse(data, size, &a, err, sizeof err);
        if (r < 0 && (r != -EBADMSG || !memchr(err, 0, sizeof err) || err[0] == 0))
                die("an answer refused without -EBADMSG and a message");
        if (r >= 0) {
                if (size != sizeof a || a.seq == 0 || a.result >= _WRITER_CHANNEL_RESULT_MAX ||
                    !memchr(a.message, 0, sizeof a.message))
                        die("a malformed answer taken");
                /* What the writer's side builds from it is taken too. */
                writer_channel_answer_init(&a2, a.seq, a.result, a.message);
                if (writer_channel_answer_parse(&a2, sizeof a2, NULL, NULL, 0) < 0)
                        die("a built answer refused");
        }

        memset(err, 'x', sizeof err);
        r = writer_channel_call_parse(data, size, &c, err, sizeof err);
        if (r < 0 && (r != -EBADMSG || !memchr(err, 0, sizeof err) || err[0] == 0))
                die("a call refused without -EBADMSG and a message");
        if (r >= 0) {
                if (size != sizeof c || c.seq == 0 || !memchr(c.set_id, 0, sizeof c.set_id) || c.set_id[0] == 0 ||
                    (c.event != STASIS_EVENT_FREEZE && c.event != STASIS_EVENT_THAW))
                        die("a malformed call taken");
                writer_channel_call_init(&c2, c.event, c.seq, c.window_usec, c.set_id);
                if (writer_channel_call_parse(&c2, sizeof c2, NULL, NULL, 0) < 0)
                        die("a built call refused");
        }
        /* No buffer for the reason: no crash. */
        (void) writer_channel_answer_parse(data, size, NULL, NULL, 0);
        (void) writer_channel_call_parse(data, size, NULL, NULL, 0);
        return 0;
}
