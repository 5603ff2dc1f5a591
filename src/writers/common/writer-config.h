/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-config.h - what the shipped writers' configuration files share: values, reports, password files */
#pragma once

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
