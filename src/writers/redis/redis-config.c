/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redis-config.c - reads /etc/stasis/writers/redis.conf and the password file it names */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ini.h"
#include "log.h"
#include "macro.h"
#include "redis-config.h"
#include "writer-config.h"

const char *redis_mode_to_string(RedisMode m) {
        static const char *const names[] = { "auto", "rdb", "aof" };
        return m < ELEMENTSOF(names) ? names[m] : NULL;
}

RedisConfig *redis_config_free(RedisConfig *c) {
        if (!c)
                return NULL;
        writer_server_config_done(&c->server);
        free(c);
        return NULL;
}

static void redis_config_freep(RedisConfig **c) {
        redis_config_free(*c);
}

static int parse_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        RedisConfig *c = p->data;
        char q[80];
        int r;

        r = writer_server_config_assignment(p, &c->server, "Redis", section, key, value);
        if (r != 0)
                return r < 0 ? r : 0;
        if (streq(key, "SaveAtFreeze")) {
                if (!streq(value, "bgsave") && !streq(value, "save")) {
                        ini_report(p, LOG_ERR, "SaveAtFreeze=: '%s' is not bgsave or save", ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                c->save_at_freeze = streq(value, "save");
                return 0;
        } else if (streq(key, "Mode")) {
                for (RedisMode m = 0; redis_mode_to_string(m); m++)
                        if (streq(value, redis_mode_to_string(m))) {
                                c->mode = m;
                                return 0;
                        }
                ini_report(p, LOG_ERR, "Mode=: '%s' is not auto, rdb or aof", ini_quote(value, strlen(value), q, sizeof q));
                return 0;
        }
        return writer_config_unknown_key(p, section, key);
}

int redis_config_load(const char *path, int must_exist, RedisConfig **ret) {
        static const char *const sections[] = { "Redis", "Writer", NULL };
        _cleanup_(redis_config_freep) RedisConfig *c = calloc(1, sizeof(RedisConfig));
        int r;

        if (!c)
                return log_oom();
        c->server.port = 6379;
        c->server.timeout_sec = 10;
        c->server.freeze_timeout_sec = 60;
        r = writer_config_parse_file(path, must_exist, sections, parse_assignment, c);
        if (r >= 0)
                r = writer_server_config_finish(&c->server, path, NULL, REDIS_DEFAULT_HOST);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}
