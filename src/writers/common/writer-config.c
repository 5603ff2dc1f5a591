/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-config.c - what the shipped writers' configuration files share: values, reports, password files */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "path-trust.h"
#include "writer-config.h"

void writer_config_report(void *userdata, int level, const char *file, unsigned line, const char *message) {
        if (line > 0)
                log_full_errno(level, 0, "%s:%u: %s.", file ?: "(config)", line, message);
        else
                log_full_errno(level, 0, "%s: %s.", file ?: "(config)", message);
}

int writer_config_set_string(IniParser *p, char **field, const char *key, const char *value) {
        char q[80];

        if (!*value || strlen(value) > 4095) {
                ini_report(p, LOG_ERR, "%s=: '%s' is not a valid value", key, ini_quote(value, strlen(value), q, sizeof q));
                return 0;
        }
        free(*field);
        *field = strdup(value);
        return *field ? 0 : -ENOMEM;
}

int writer_config_set_number(IniParser *p, unsigned *field, const char *key, const char *value, unsigned min,
                              unsigned max) {
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

int writer_config_read_password(const char *file, char **ret) {
        _cleanup_close_ int pfd = -1, fd = -1;
        char why[512], buf[WRITER_PASSWORD_MAX + 2], path[64];
        struct stat st;
        ssize_t n;
        int r;

        r = path_open_trusted(file, false, &pfd, &st, why, sizeof why);
        if (r < 0)
                return log_error_errno(r, "Cannot use the password file %s: %s.", file, why);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(EINVAL, "The password file %s is not a regular file.", file);
        if (st.st_mode & 0044)
                return log_error_errno(EPERM, "The password file %s is readable by %s (mode %04o); make it 0600.",
                                       file, st.st_mode & 0004 ? "every user" : "its group",
                                       (unsigned) (st.st_mode & 07777));
        snprintf(path, sizeof path, "/proc/self/fd/%d", pfd);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return log_error_errno(errno, "Cannot open the password file %s: %m", file);
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0)
                return log_error_errno(errno, "Cannot read the password file %s: %m", file);
        buf[n] = 0;
        buf[strcspn(buf, "\r\n")] = 0;
        if (strlen(buf) > WRITER_PASSWORD_MAX || !*buf) {
                bool long_line = *buf;
                explicit_bzero(buf, sizeof buf);
                return log_error_errno(EINVAL, "The password file %s holds %s; it must hold the password on its first line (at most %d bytes).",
                                       file, long_line ? "a line too long" : "no password", WRITER_PASSWORD_MAX);
        }
        *ret = strdup(buf);
        explicit_bzero(buf, sizeof buf);
        return *ret ? 0 : log_oom();
}

int writer_config_unknown_key(IniParser *p, const char *section, const char *key) {
        char q[80];

        ini_report(p, LOG_ERR, "unknown key '%s' in section [%s]", ini_quote(key, strlen(key), q, sizeof q), section);
        return 0;
}

static int set_path(IniParser *p, char **field, const char *key, const char *value) {
        char q[80];

        if (value[0] != '/') {
                ini_report(p, LOG_ERR, "%s=: '%s' is not an absolute path", key, ini_quote(value, strlen(value), q, sizeof q));
                return 0;
        }
        return writer_config_set_string(p, field, key, value);
}

static int server_assignment(IniParser *p, WriterServerConfig *s, const char *key, const char *value) {
        if (streq(key, "Socket"))
                return set_path(p, &s->socket, key, value);
        if (streq(key, "Host"))
                return writer_config_set_string(p, &s->host, key, value);
        if (streq(key, "Port"))
                return writer_config_set_number(p, &s->port, key, value, 1, 65535);
        if (streq(key, "User"))
                return writer_config_set_string(p, &s->user, key, value);
        if (streq(key, "PasswordFile"))
                return set_path(p, &s->password_file, key, value);
        if (streq(key, "CommandTimeoutSec"))
                return writer_config_set_number(p, &s->timeout_sec, key, value, 1, 3600);
        return 1;
}

int writer_server_config_assignment(IniParser *p, WriterServerConfig *s, const char *own_section,
                                    const char *section, const char *key, const char *value) {
        char q[80];
        int r;

        if (!section) {
                ini_report(p, LOG_ERR, "'%s' is not in a section; put it under [%s] or [Writer]",
                           ini_quote(key, strlen(key), q, sizeof q), own_section);
                return 1;
        }
        if (streq(section, "Writer")) {
                if (streq(key, "Instance"))     /* checked by stasis_writer_new() */
                        r = writer_config_set_string(p, &s->instance, key, value);
                else if (streq(key, "FreezeTimeoutSec"))
                        r = writer_config_set_number(p, &s->freeze_timeout_sec, key, value, 1, 600);
                else
                        r = writer_config_unknown_key(p, section, key);
                return r < 0 ? r : 1;
        }
        r = server_assignment(p, s, key, value);
        return r < 0 ? r : r == 0;
}

int writer_config_parse_file(const char *path, int must_exist, const char *const *sections, IniAssignment assignment,
                             void *data) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        int r;

        r = ini_read_trusted(path, must_exist, writer_config_report, NULL, &text, &size);
        if (r == -ENOENT && !must_exist)       /* the defaults apply */
                return 0;
        if (r < 0)
                return r;
        return ini_parse(text, size, path, sections, assignment, data, writer_config_report, NULL);
}

int writer_server_config_finish(WriterServerConfig *s, const char *path, const char *default_socket,
                                const char *default_host) {
        if (s->socket && s->host)
                return log_error_errno(EINVAL, "%s: Socket= and Host= both given; use one.", path);
        if (!s->socket && !s->host) {
                if (default_socket && !(s->socket = strdup(default_socket)))
                        return log_oom();
                if (!default_socket && !(s->host = strdup(default_host)))
                        return log_oom();
        }
        if (s->password_file)
                return writer_config_read_password(s->password_file, &s->password);
        return 0;
}

void writer_server_config_done(WriterServerConfig *s) {
        free(s->socket);
        free(s->host);
        free(s->user);
        free(s->password_file);
        if (s->password)
                explicit_bzero(s->password, strlen(s->password));
        free(s->password);
        free(s->instance);
        *s = (WriterServerConfig) {};
}

void writer_config_report_stderr(void *userdata, int level, const char *file, unsigned line, const char *message) {
        if (line > 0)
                fprintf(stderr, "%s:%u: %s%s\n", file, line, level == LOG_ERR ? "" : "warning: ", message);
        else
                fprintf(stderr, "%s: %s%s\n", file, level == LOG_ERR ? "" : "warning: ", message);
}

int writer_config_set_seconds(IniParser *p, uint64_t *field, const char *key, const char *value) {
        char q[128], *end;
        double d;

        errno = 0;
        d = strtod(value, &end);
        if (errno != 0 || end == value || *end != 0 || !(d >= 0.001 && d <= 3600)) {
                ini_report(p, LOG_ERR, "%s=%s: not a number of seconds from 0.001 to 3600", key,
                           ini_quote(value, strlen(value), q, sizeof q));
                return 0;
        }
        *field = (uint64_t) (d * 1000000.0);
        return 0;
}
