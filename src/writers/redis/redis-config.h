/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redis-config.h - /etc/stasis/writers/redis.conf: how to reach the server and how to save its dataset */
#pragma once

#include "writer-config.h"

#include <stddef.h>

#define REDIS_CONFIG_FILE "/etc/stasis/writers/redis.conf"
#define REDIS_DEFAULT_HOST "127.0.0.1"     /* Debian's redis.conf: no socket, 127.0.0.1:6379 */

typedef enum RedisMode {
        REDIS_MODE_AUTO,        /* aof when the server has appendonly yes, else rdb */
        REDIS_MODE_RDB,
        REDIS_MODE_AOF,
} RedisMode;

typedef struct RedisConfig {
        WriterServerConfig server; /* Socket= or Host= (default 127.0.0.1), Port=, 6379, User=: an
                                    * ACL user (NULL: "default"), PasswordFile=, CommandTimeoutSec=:
                                    * longest wait for one answer, 10; [Writer] Instance=,
                                    * FreezeTimeoutSec=: the longest pause of writes, 60 */
        RedisMode mode;         /* Mode= */
        int save_at_freeze;     /* SaveAtFreeze=save: SAVE, not BGSAVE, under the pause (rdb mode) */
} RedisConfig;

const char *redis_mode_to_string(RedisMode m);

/* Reads path (must_exist: else a missing file means the defaults), checks
 * it as a file root trusts, reads the password file. Every problem is
 * logged, naming the file and line; returns -EINVAL (or -errno) then. */
int redis_config_load(const char *path, int must_exist, RedisConfig **ret);
RedisConfig *redis_config_free(RedisConfig *c);
