/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-link.h - one session with the MariaDB server in libmariadb's non-blocking mode, on an sd-event loop */
#pragma once

#include <mysql.h>
#include <systemd/sd-event.h>

#include "mariadb-config.h"

typedef struct MariadbLink MariadbLink;

/* A statement's answer: res is its result set (NULL for a statement
 * without one, or on failure; freed after the call); error is NULL on
 * success, else says why, naming the server. */
typedef void (*MariadbResultFn)(MariadbLink *l, MYSQL_RES *res, const char *error, void *userdata);

int mariadb_link_new(MariadbLink **ret, sd_event *event, const MariadbConfig *c);
MariadbLink *mariadb_link_free(MariadbLink *l);

/* Queues a statement (copied), connecting first when there is no session.
 * Statements run one at a time, in order, in the one session. fn is called
 * exactly once, from the loop. timeout_usec: the longest wait for the
 * answer (0: CommandTimeoutSec=); when it passes, the session is closed. */
int mariadb_link_query(MariadbLink *l, const char *sql, uint64_t timeout_usec, MariadbResultFn fn, void *userdata);

/* Closes the session (the server then releases its locks); queued
 * statements fail with why. */
void mariadb_link_drop(MariadbLink *l, const char *why);

/* The number of the session open (sessions are counted from 1; a lock
 * taken in one is gone in the next), 0 if none is. */
unsigned mariadb_link_session(const MariadbLink *l);

/* "MariaDB at /run/mysqld/mysqld.sock", for messages. */
const char *mariadb_link_where(const MariadbLink *l);

/* snprintf() for messages, where cutting a long one short is fine. */
void mariadb_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A blocking connection, for the start: fails with a message in why. */
int mariadb_connect_sync(const MariadbConfig *c, MYSQL **ret, char *why, size_t why_size);
