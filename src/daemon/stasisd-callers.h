/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-callers.h - calls from unprivileged callers wait their turn, so that none can crowd out root */
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

/* Calls of one unprivileged connection in flight (waiting to be handled):
 * each call beyond them is answered org.stasis1.Error.Busy, in its turn (an
 * answer at once would only make a flooder send the next one at once). */
#define CALLERS_CALLS_PER_CONNECTION_MAX  8
/* The same for all unprivileged connections together. */
#define CALLERS_CALLS_MAX               512
/* Calls of one connection, in flight or to be refused, that stasisd keeps
 * (the system bus lets a connection wait for 128 answers); beyond, or
 * beyond CALLERS_QUEUED_MAX in all, calls are refused at once. */
#define CALLERS_QUEUE_PER_CONNECTION    128
#define CALLERS_QUEUED_MAX             8192
/* Bytes of the calls in flight kept for one connection, and for all: a call
 * beyond is refused at once. (A call to be refused is kept as its small
 * answer only.) */
#define CALLERS_BYTES_PER_CONNECTION_MAX  (4U * 1024U * 1024U)
#define CALLERS_BYTES_MAX                (32U * 1024U * 1024U)
/* Unprivileged calls get at most 1 / CALLERS_SHARE of stasisd's time: after
 * one that took t, the next waits (CALLERS_SHARE - 1) * t. */
#define CALLERS_SHARE                     8
/* ... and at least this long (microseconds), however cheap it was: each
 * turn sends answers, and each answer lets a flooder send another call. */
#define CALLERS_TURN_GAP_MIN_USEC      1000

typedef struct Callers Callers;

/* Watches every method call that reaches bus: calls of root (uid 0) are
 * handled at once, as they come; those of other users are queued per
 * connection and handled one at a time, taking turns, in a share of
 * stasisd's time, so that a flood of them delays root's calls by at most one
 * call. */
int callers_new(sd_bus *bus, sd_event *event, Callers **ret);
Callers *callers_free(Callers *c);

/* What the bus said of the connection name when it made its first call:
 * uid, pid (0 if not told) and groups (malloc'ed copy). -ENOENT if it is not
 * known here (then ask the bus: bus_connection_credentials()). */
int callers_credentials(Callers *c, const char *name, uid_t *ret_uid, pid_t *ret_pid, gid_t **ret_gids,
                        size_t *ret_n_gids);

/* The connection with this unique name left the bus: its calls are dropped. */
void callers_gone(Callers *c, const char *name);
