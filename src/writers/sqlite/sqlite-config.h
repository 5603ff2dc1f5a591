/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sqlite-config.h - stasis-writer-sqlite's configuration: the databases, the instance, the time limits */
#pragma once

#include <stdint.h>
#include <stddef.h>

#define SQLITE_WRITER_CONFIG_FILE "/etc/stasis/writers/sqlite.conf"
#define SQLITE_WRITER_DATABASES_MAX 64
#define SQLITE_WRITER_BUSY_TIMEOUT_USEC_DEFAULT (10ULL * 1000000ULL)
#define SQLITE_WRITER_FREEZE_TIMEOUT_USEC_DEFAULT (60ULL * 1000000ULL)

typedef struct SqliteConfig {
        char *instance;                 /* NULL: none */
        uint64_t busy_timeout_usec;     /* waiting for a checkpoint or for the write lock */
        uint64_t freeze_timeout_usec;   /* the writer's freeze time-out */
        char **paths;                   /* the database files, absolute; NULL-terminated */
        size_t n_paths;
} SqliteConfig;

/* Reads path (a trusted file: root's, not writable by others), reporting
 * every problem on stderr with the file and line. -ENOENT if it does not
 * exist; -EINVAL if anything in it is wrong. */
int sqlite_config_read(const char *path, SqliteConfig *ret);
void sqlite_config_done(SqliteConfig *c);
