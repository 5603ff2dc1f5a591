/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-announce.h - writers that announce their metadata's changes and the events they handle */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "stasisd-writer.h"
#include "writer-event.h"

/* Whether stasisd sends event to w: every event to a writer that never
 * called UpdateWriterMetadata; else only those it listed. */
bool writer_takes_event(const Writer *w, StasisWriterEvent event);

/* Manager.UpdateWriterMetadata(o path, s metadata, as events) -> t generation */
int method_update_writer_metadata(sd_bus_message *msg, void *userdata, sd_bus_error *error);
