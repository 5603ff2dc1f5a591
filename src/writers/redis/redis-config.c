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
        free(c->socket);
        free(c->host);
        free(c->user);
        free(c->password_file);
        if (c->password)
                explicit_bzero(c->password, strlen(c->password));
        free(c->password);
        free(c->instance);
        free(c);
        return NULL;
}

static void redis_config_freep(RedisConfig **c) {
        redis_config_free(*c);
}

static int parse_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        RedisConfig *c = p->data;
        char q[80];

        if (!section) {
                ini_report(p, LOG_ERR, "'%s' is not in a section; put it under [Redis] or [Writer]",
                           ini_quote(key, strlen(key), q, sizeof q));
                return 0;
        }
        if (streq(section, "Writer")) {
                if (streq(key, "Instance"))     /* checked by stasis_writer_new() */
                        return writer_config_set_string(p, &c->instance, key, value);
                if (streq(key, "FreezeTimeoutSec"))
                        return writer_config_set_number(p, &c->freeze_timeout_sec, key, value, 1, 600);
        } else if (streq(key, "Socket")) {
                if (value[0] != '/') {
                        ini_report(p, LOG_ERR, "Socket=: '%s' is not an absolute path", ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return writer_config_set_string(p, &c->socket, key, value);
        } else if (streq(key, "Host"))
                return writer_config_set_string(p, &c->host, key, value);
        else if (streq(key, "Port"))
                return writer_config_set_number(p, &c->port, key, value, 1, 65535);
        else if (streq(key, "User"))
                return writer_config_set_string(p, &c->user, key, value);
        else if (streq(key, "PasswordFile")) {
                if (value[0] != '/') {
                        ini_report(p, LOG_ERR, "PasswordFile=: '%s' is not an absolute path", ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return writer_config_set_string(p, &c->password_file, key, value);
        } else if (streq(key, "CommandTimeoutSec"))
                return writer_config_set_number(p, &c->timeout_sec, key, value, 1, 3600);
        else if (streq(key, "SaveAtFreeze")) {
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
        ini_report(p, LOG_ERR, "unknown key '%s' in section [%s]", ini_quote(key, strlen(key), q, sizeof q), section);
        return 0;
}

int redis_config_load(const char *path, int must_exist, RedisConfig **ret) {
        static const char *const sections[] = { "Redis", "Writer", NULL };
        _cleanup_(redis_config_freep) RedisConfig *c = calloc(1, sizeof(RedisConfig));
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        if (!c)
                return log_oom();
        c->port = 6379;
        c->timeout_sec = 10;
        c->freeze_timeout_sec = 60;
        r = ini_read_trusted(path, must_exist, writer_config_report, NULL, &text, &size);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0) {
                r = ini_parse(text, size, path, sections, parse_assignment, c, writer_config_report, NULL);
                if (r < 0)
                        return r;
        }
        if (c->socket && c->host)
                return log_error_errno(EINVAL, "%s: Socket= and Host= both given; use one.", path);
        if (!c->socket && !c->host && !(c->host = strdup(REDIS_DEFAULT_HOST)))
                return log_oom();
        if (c->password_file) {
                r = writer_config_read_password(c->password_file, &c->password);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}
