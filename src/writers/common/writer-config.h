/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-config.h - what the shipped writers' configuration files share: values, reports, password files */
#pragma once

#include <stdint.h>

#include "ini.h"

#define WRITER_PASSWORD_MAX 512

/* An IniReport that logs "FILE:LINE: MESSAGE." at the level given. */
void writer_config_report(void *userdata, int level, const char *file, unsigned line, const char *message);

/* KEY=VALUE into *field (a copy; replaces what was there); an empty or
 * over-long value is reported. -ENOMEM only. */
int writer_config_set_string(IniParser *p, char **field, const char *key, const char *value);

/* A whole number from min to max into *field, else reported. Returns 0. */
int writer_config_set_number(IniParser *p, unsigned *field, const char *key, const char *value, unsigned min,
                              unsigned max);

/* The password on the first line of path, a regular file that root (or
 * this process's user) owns, writable by nobody else along its path and
 * readable by nobody else. Logs why not, naming the file. */
int writer_config_read_password(const char *path, char **ret);

/* What the writers for a database server reached over a socket or TCP share:
 * [Writer] Instance= and FreezeTimeoutSec=, and in the server's own section
 * Socket=, Host=, Port=, User=, PasswordFile=, CommandTimeoutSec=. */
typedef struct WriterServerConfig {
        char *socket;           /* Socket=; NULL for TCP */
        char *host;             /* Host= */
        unsigned port;          /* Port= */
        char *user;             /* User= */
        char *password_file;    /* PasswordFile= */
        char *password;         /* read from it */
        char *instance;         /* [Writer] Instance= */
        unsigned freeze_timeout_sec; /* [Writer] FreezeTimeoutSec=: 1 to 600 */
        unsigned timeout_sec;   /* CommandTimeoutSec=: 1 to 3600 */
} WriterServerConfig;

/* One KEY=VALUE of a server writer's file, own_section being its section
 * ("MariaDB", "Redis"). Returns 1 when taken (a bad value, a key outside any
 * section or an unknown key of [Writer] reported), 0 when the key is not one
 * of these (the writer's own keys), -ENOMEM. */
int writer_server_config_assignment(IniParser *p, WriterServerConfig *s, const char *own_section,
                                    const char *section, const char *key, const char *value);

/* "unknown key 'KEY' in section [SECTION]", reported. Returns 0. */
int writer_config_unknown_key(IniParser *p, const char *section, const char *key);

/* Reads path with ini_read_trusted() and parses it. A missing file leaves
 * the defaults (after reporting it, if must_exist). */
int writer_config_parse_file(const char *path, int must_exist, const char *const *sections, IniAssignment assignment,
                             void *data);

/* After parsing: Socket= and Host= not both; the defaults (one of them),
 * the password read from PasswordFile=. Logs why not, naming path. */
int writer_server_config_finish(WriterServerConfig *s, const char *path, const char *default_socket,
                                const char *default_host);
void writer_server_config_done(WriterServerConfig *s);

/* An IniReport that writes "FILE:LINE: MESSAGE" on stderr, with "warning: "
 * before a warning (the writers that do not log: sqlite, hooks). */
void writer_config_report_stderr(void *userdata, int level, const char *file, unsigned line, const char *message);

/* KEY=VALUE seconds, with an optional fraction, from 0.001 to 3600, into
 * *field in microseconds; else reported. Returns 0. */
int writer_config_set_seconds(IniParser *p, uint64_t *field, const char *key, const char *value);
