/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-writer-memory.h - the writers stasisd remembers: recorded in the catalog, missing after a restart */
#pragma once

#include <systemd/sd-bus.h>

#include "stasisd-manager.h"
#include "stasisd-writer-call.h"
#include "stasisd-writer.h"

/* What a missing writer failed with, in a set: "writer NAME is missing: ..." */
#define WRITER_MISSING_REASON "is missing: registered before stasisd restarted and not back"

/* At start-up: the writers the catalog has (registered in stasisd's previous
 * life) are missing until they register again or are forgotten; those not
 * back within the grace period (WriterGraceSec=) are logged then. */
int writer_memory_load(Manager *m);
void writer_memory_free(Manager *m);

/* w registered (a missing writer of its name is back), changed its metadata,
 * or left: the catalog's record follows (after the hold, if in one). */
void writer_memory_registered(Manager *m, Writer *w);
void writer_memory_changed(Manager *m, Writer *w);
void writer_memory_gone(Manager *m, Writer *w);
/* Writes what had to wait for the end of a hold. */
void writer_memory_hold_ended(Manager *m);

Writer *manager_find_missing_writer(Manager *m, const char *name, const char *instance);

/* Adds the missing writers to an Identify batch that is over, as writers
 * that failed it (WRITER_MISSING_REASON): a set picks their components as
 * it picks any writer's, and records them crash-consistent with that reason
 * (or fails, with require-writers). */
int writer_memory_add_missing(Manager *m, WriterBatch *b);

/* ListWriters: the missing writers, state "missing". */
int writer_memory_append_list(Manager *m, sd_bus_message *reply);

/* ForgetWriter(s writer, s instance): root, or polkit's org.stasis1.forget-writer. */
int method_forget_writer(sd_bus_message *msg, void *userdata, sd_bus_error *error);
