/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-channel.h - a writer's direct channel: Freeze and Thaw over a socketpair, past dbus-daemon */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "stasisd-writer.h"
#include "writer-event.h"

/* Calls out at once on one channel; more go over the bus. */
#define WRITER_CHANNEL_CALLS_MAX 16

/* The event goes over w's channel (it has one, and the event is Freeze or Thaw). */
bool writer_channel_takes(const Writer *w, StasisWriterEvent event);
/* Sends r's event over w's channel: 0, or <0 (then nothing is out). */
int writer_channel_send(Writer *w, WriterReply *r, StasisWriterEvent event, uint64_t window_usec,
                        const char *set_id);
/* r no longer waits for its answer (it ended another way): a late answer is dropped. */
void writer_channel_forget(WriterReply *r);
/* Closes w's channel, if any; the calls out on it stay to be ended by the caller. */
void writer_channel_close(Writer *w);

/* Manager.OpenWriterChannel(o path) → h. */
int method_open_writer_channel(sd_bus_message *msg, void *userdata, sd_bus_error *error);
