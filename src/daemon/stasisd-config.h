/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-config.h - stasisd.conf: parse it, check who owns it, look up the users and groups it names */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ini.h"

#define CONFIG_NAMES_MAX  256           /* names in one list */
#define CONFIG_NAME_MAX   256           /* bytes in one user or group name */
#define CONFIG_WRITER_GRACE_DEFAULT_SEC 30      /* [Writers] WriterGraceSec= */
#define CONFIG_WRITER_GRACE_MAX_SEC     86400
#define CONFIG_SPACE_WATCH_DEFAULT_SEC  10      /* [Space] WatchIntervalSec=; 0: no watch */
#define CONFIG_SPACE_WATCH_MAX_SEC      3600
#define CONFIG_EXTEND_AT_DEFAULT_PERCENT 80     /* [Space] ExtendAtPercent= */
#define CONFIG_EXTEND_BY_DEFAULT_PERCENT 20     /* [Space] ExtendByPercent= */

/* A user or group name as written, with the line it is on (for messages). */
typedef struct ConfigName {
        char *name;
        unsigned line;
} ConfigName;

typedef struct StasisdConfig {
        char *path;                     /* for messages; NULL when no file was read */

        /* [Authorization] RegisterWriterUsers=, RegisterWriterGroups= */
        ConfigName *writer_users;
        size_t n_writer_users;
        ConfigName *writer_groups;
        size_t n_writer_groups;

        /* The same, looked up by config_resolve(); names that do not exist are left out. */
        uid_t *writer_uids;
        size_t n_writer_uids;
        gid_t *writer_gids;
        size_t n_writer_gids;

        /* [Writers] WriterGraceSec=: how long the writers of stasisd's
         * previous life have to register again before they are logged
         * missing. 0 when not set: see config_writer_grace_usec(). */
        unsigned writer_grace_sec;
        bool writer_grace_set;

        /* [Space] WatchIntervalSec=, ExtendAtPercent=, ExtendByPercent=: how
         * often the space watch looks at snapshots that fill up, at what use
         * it grows one, and by how much of its size (stasisd-space-watch.c). */
        unsigned space_watch_sec, extend_at_percent, extend_by_percent;
        bool space_watch_set, extend_at_set, extend_by_set;
} StasisdConfig;

/* WriterGraceSec=, or its default, in microseconds (c may be NULL). */
unsigned long long config_writer_grace_usec(const StasisdConfig *c);

/* [Space]: the interval in microseconds (0: no watch), and the percentages;
 * their defaults when not set (c may be NULL). */
unsigned long long config_space_watch_usec(const StasisdConfig *c);
unsigned config_extend_at_percent(const StasisdConfig *c);
unsigned config_extend_by_percent(const StasisdConfig *c);

/* Called once for each problem (see IniReport). */
typedef IniReport ConfigReport;

/* Parses size bytes of text (no NUL terminator needed) read from file (only
 * used in messages). Every error is reported; returns 0 and *ret if there was
 * none, -EINVAL if there was any, -ENOMEM. Warnings do not fail it. */
int config_parse(const char *text, size_t size, const char *file, ConfigReport report, void *userdata,
                 StasisdConfig **ret);

/* Opens path, checks that it is a regular file owned by root and not writable
 * by group or others, reads and parses it. A path that does not exist gives
 * an empty config, unless must_exist. Problems are reported as by
 * config_parse(); returns -EINVAL (reported), -ENOMEM or another -errno
 * (reported). */
int config_load(const char *path, bool must_exist, ConfigReport report, void *userdata, StasisdConfig **ret);

/* Looks up the names in the user and group databases (numbers are taken as
 * ids). A name that does not exist is reported as a warning and left out. */
int config_resolve(StasisdConfig *c, ConfigReport report, void *userdata);

/* Whether a caller with this uid and these groups is one of the users or
 * groups that may register writers. */
bool config_may_register_writer(const StasisdConfig *c, uid_t uid, const gid_t *gids, size_t n_gids);

StasisdConfig *config_free(StasisdConfig *c);
static inline void config_freep(StasisdConfig **c) {
        config_free(*c);
}
