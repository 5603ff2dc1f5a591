/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-channel.h - the packets of a writer's direct channel (Freeze and Thaw past the bus), for stasisd and libstasis */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stasis/stasis.h"

/* Each packet is one SOCK_SEQPACKET datagram of exactly its size, all
 * fields in host byte order (both ends are on one machine). A packet of
 * any other size, magic, version, kind or with a string not terminated
 * inside its field is malformed: the channel is broken. */
#define WRITER_CHANNEL_MAGIC   UINT32_C(0x53544331)     /* "STC1" */
#define WRITER_CHANNEL_VERSION 1
#define WRITER_CHANNEL_SET_ID_MAX  24                   /* with its NUL, as stasisd's set ids */
#define WRITER_CHANNEL_MESSAGE_MAX 512                  /* with its NUL */

/* stasisd to the writer: one event. */
typedef struct WriterChannelCall {
        uint32_t magic;
        uint16_t version;
        uint16_t size;                  /* sizeof(WriterChannelCall) */
        uint32_t event;                 /* STASIS_EVENT_FREEZE or STASIS_EVENT_THAW */
        uint32_t seq;                   /* stasisd's number of the call on this channel, never 0 */
        uint64_t window_usec;           /* Freeze: the freeze window, > 0; Thaw: 0 */
        char set_id[WRITER_CHANNEL_SET_ID_MAX];
} WriterChannelCall;

typedef enum WriterChannelResult {
        WRITER_CHANNEL_OK,
        WRITER_CHANNEL_VETO,            /* org.stasis1.Error.Veto */
        WRITER_CHANNEL_VETO_RETRYABLE,  /* org.stasis1.Error.VetoRetryable */
        WRITER_CHANNEL_FAILED,          /* any other error, message says which */
        _WRITER_CHANNEL_RESULT_MAX,
} WriterChannelResult;

/* The writer to stasisd: the answer to the call of that seq. */
typedef struct WriterChannelAnswer {
        uint32_t magic;
        uint16_t version;
        uint16_t size;                  /* sizeof(WriterChannelAnswer) */
        uint32_t seq;
        uint32_t result;                /* WriterChannelResult */
        char message[WRITER_CHANNEL_MESSAGE_MAX];       /* "" on success */
} WriterChannelAnswer;

/* Fills the packets in; message and set_id are cut (at a character) to fit. */
void writer_channel_call_init(WriterChannelCall *c, StasisWriterEvent event, uint32_t seq, uint64_t window_usec,
                              const char *set_id);
void writer_channel_answer_init(WriterChannelAnswer *a, uint32_t seq, WriterChannelResult result,
                                const char *message);

/* Checks size bytes received as one packet: 0, or -EBADMSG with why in err. */
int writer_channel_call_parse(const void *buf, size_t size, WriterChannelCall *ret, char *err, size_t err_size);
int writer_channel_answer_parse(const void *buf, size_t size, WriterChannelAnswer *ret, char *err, size_t err_size);
