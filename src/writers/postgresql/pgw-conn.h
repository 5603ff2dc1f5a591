/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-conn.h - one libpq session driven without blocking from an sd-event loop */
#pragma once

#include <libpq-fe.h>
#include <systemd/sd-event.h>

typedef struct PgwConn PgwConn;

/* Called once per pgw_conn_open() (res NULL) or pgw_conn_query(): error is
 * NULL on success, else a one-line message naming what failed (res is then
 * NULL). res is the query's last result, owned by the connection, valid
 * during the call only. The callback may free the connection. */
typedef void (*PgwDone)(PgwConn *c, const PGresult *res, const char *error, void *userdata);

/* Starts connecting with conninfo (libpq's environment fills what it leaves
 * out); done is called when the session is up or has failed. */
int pgw_conn_open(sd_event *event, const char *conninfo, PgwDone done, void *userdata, PgwConn **ret);
/* Sends one statement (no parameters when n_params is 0); done is called with
 * its result. -EBUSY if a call is under way, -ENOTCONN if the session was lost
 * (pgw_conn_error() says why). */
int pgw_conn_query(PgwConn *c, const char *sql, int n_params, const char *const *params, PgwDone done,
                   void *userdata);
/* Why the session is lost (the server closed it, the network failed), or NULL
 * while it is up. Noticed also between queries. */
const char *pgw_conn_error(PgwConn *c);
/* prefix + msg on one line, blanks collapsed, without a final period (malloc'd). */
char *pgw_one_line(const char *prefix, const char *msg);
/* Closes the session (the server ends what it held for it: a backup mode too). */
PgwConn *pgw_conn_free(PgwConn *c);
