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
