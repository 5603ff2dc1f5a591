/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log.h - leveled logging to stderr for the daemon and the CLI */
#pragma once

#include <errno.h>
#include <syslog.h>

#include "macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
void log_set_prefix(const char *prefix);
/* Prefix each line with "<N>", the syslog level, for journald. */
void log_set_level_prefix(bool b);
/* Parses "debug", "info", "notice", "warning", "err"/"error" or a number 0-7. */
int log_level_from_string(const char *s);

/* While held, log lines are kept in memory (up to 64 KiB) instead of written:
 * stderr may be a file on a file system that is frozen. Release writes them. */
void log_hold(void);
void log_release(void);

/* Logs and returns -abs(error). errno is set to error for %m. */
int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) _printf_(5, 6);

#define log_full_errno(level, error, ...) \
        log_internal((level), (error), __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...)   log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)    log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...)  log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)   log_full_errno(LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(e, ...)   log_full_errno(LOG_DEBUG, (e), __VA_ARGS__)
#define log_info_errno(e, ...)    log_full_errno(LOG_INFO, (e), __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...)   log_full_errno(LOG_ERR, (e), __VA_ARGS__)
#define log_oom() log_error_errno(ENOMEM, "Out of memory.")
