/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redis-config.c - reads /etc/stasis/writers/redis.conf and the password file it names */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ini.h"
#include "log.h"
#include "macro.h"
#include "path-trust.h"
#include "redis-config.h"

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

static void report(void *userdata, int level, const char *file, unsigned line, const char *message) {
        if (line > 0)
                log_full_errno(level, 0, "%s:%u: %s.", file ?: "(config)", line, message);
        else
                log_full_errno(level, 0, "%s: %s.", file ?: "(config)", message);
}

static int set_string(IniParser *p, char **field, const char *key, const char *value) {
        char q[80];
        if (!*value || strlen(value) > 4095) {
                ini_report(p, LOG_ERR, "%s=: '%s' is not a valid value", key, ini_quote(value, strlen(value), q, sizeof q));
                return 0;
        }
        free(*field);
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

static int set_number(IniParser *p, unsigned *field, const char *key, const char *value, unsigned min, unsigned max) {
        char q[80], *end;
        unsigned long n;

        errno = 0;
        n = strtoul(value, &end, 10);
        if (*value < '0' || *value > '9' || *end || errno || n < min || n > max) {
                ini_report(p, LOG_ERR, "%s=: '%s' is not a whole number from %u to %u", key,
                           ini_quote(value, strlen(value), q, sizeof q), min, max);
                return 0;
        }
        *field = (unsigned) n;
        return 0;
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
                        return set_string(p, &c->instance, key, value);
                if (streq(key, "FreezeTimeoutSec"))
                        return set_number(p, &c->freeze_timeout_sec, key, value, 1, 600);
        } else if (streq(key, "Socket")) {
                if (value[0] != '/') {
                        ini_report(p, LOG_ERR, "Socket=: '%s' is not an absolute path", ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return set_string(p, &c->socket, key, value);
        } else if (streq(key, "Host"))
                return set_string(p, &c->host, key, value);
        else if (streq(key, "Port"))
                return set_number(p, &c->port, key, value, 1, 65535);
        else if (streq(key, "User"))
                return set_string(p, &c->user, key, value);
        else if (streq(key, "PasswordFile")) {
                if (value[0] != '/') {
                        ini_report(p, LOG_ERR, "PasswordFile=: '%s' is not an absolute path", ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return set_string(p, &c->password_file, key, value);
        } else if (streq(key, "CommandTimeoutSec"))
                return set_number(p, &c->timeout_sec, key, value, 1, 3600);
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

/* The password: the file's first line, root's, readable by nobody else. */
static int read_password(RedisConfig *c) {
        _cleanup_close_ int pfd = -1, fd = -1;
        char why[512], buf[REDIS_PASSWORD_MAX + 2], path[64];
        struct stat st;
        ssize_t n;
        int r;

        r = path_open_trusted(c->password_file, false, &pfd, &st, why, sizeof why);
        if (r < 0)
                return log_error_errno(r, "Cannot use the password file %s: %s.", c->password_file, why);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(EINVAL, "The password file %s is not a regular file.", c->password_file);
        if (st.st_mode & 0044)
                return log_error_errno(EPERM, "The password file %s is readable by %s (mode %04o); make it 0600.",
                                       c->password_file, st.st_mode & 0004 ? "every user" : "its group",
                                       (unsigned) (st.st_mode & 07777));
        snprintf(path, sizeof path, "/proc/self/fd/%d", pfd);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open the password file %s: %m", c->password_file);
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return log_error_errno(errno, "Cannot read the password file %s: %m", c->password_file);
        buf[n] = 0;
        buf[strcspn(buf, "\r\n")] = 0;
        if (strlen(buf) > REDIS_PASSWORD_MAX || !*buf) {
                explicit_bzero(buf, sizeof buf);
                return log_error_errno(EINVAL, "The password file %s holds %s; it must hold the password on its first line (at most %d bytes).",
                                       c->password_file, *buf ? "a line too long" : "no password", REDIS_PASSWORD_MAX);
        }
        c->password = strdup(buf);
        explicit_bzero(buf, sizeof buf);
        return c->password ? 0 : log_oom();
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
        r = ini_read_trusted(path, must_exist, report, NULL, &text, &size);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0) {
                r = ini_parse(text, size, path, sections, parse_assignment, c, report, NULL);
                if (r < 0)
                        return r;
        }
        if (c->socket && c->host)
                return log_error_errno(EINVAL, "%s: Socket= and Host= both given; use one.", path);
        if (!c->socket && !c->host && !(c->host = strdup(REDIS_DEFAULT_HOST)))
                return log_oom();
        if (c->password_file) {
                r = read_password(c);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}
