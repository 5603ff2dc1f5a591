/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ini.c - systemd-style INI files: [Section] headers, KEY=VALUE lines, '#' and ';' comments */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "ini.h"
#include "macro.h"
#include "path-trust.h"

void ini_report(IniParser *p, int level, const char *fmt, ...) {
        char buf[512];
        va_list ap;

        if (level == LOG_ERR)
                p->n_errors++;
        if (!p->report)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        p->report(p->userdata, level, p->file, p->line, buf);
}

const char *ini_quote(const char *s, size_t n, char *buf, size_t size) {
        size_t o = 0, i;
        for (i = 0; i < n && o + 8 < size; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c >= 0x20 && c < 0x7f)
                        buf[o++] = (char) c;
                else
                        o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
        }
        if (i < n) {
                memcpy(buf + o, "...", 3);
                o += 3;
        }
        buf[o] = 0;
        return buf;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

static bool known_section(const char *const *sections, const char *name) {
        for (; sections && *sections; sections++)
                if (streq(*sections, name))
                        return true;
        return false;
}

/* One line, NUL-terminated. *section is the current header (NULL before the
 * first), *skip whether the current section is unknown. */
static int parse_line(IniParser *p, char *l, const char *const *sections, IniAssignment on_assignment,
                      char **section, bool *skip) {
        char q[80], *e, *eq;

        while (is_blank(*l))
                l++;
        e = l + strlen(l);
        while (e > l && is_blank(e[-1]))
                *--e = 0;
        if (*l == 0 || *l == '#' || *l == ';')
                return 0;

        if (*l == '[') {
                *section = mfree(*section);
                if (e[-1] != ']' || e - l < 3) {
                        ini_report(p, LOG_ERR, "bad section header '%s'; expected [NAME]",
                                   ini_quote(l, (size_t) (e - l), q, sizeof q));
                        *skip = true;
                        return 0;
                }
                e[-1] = 0;
                *skip = !known_section(sections, l + 1);
                if (*skip) {
                        ini_report(p, LOG_ERR, "unknown section [%s]", ini_quote(l + 1, strlen(l + 1), q, sizeof q));
                        return 0;
                }
                *section = strdup(l + 1);
                return *section ? 0 : -ENOMEM;
        }

        eq = strchr(l, '=');
        if (!eq || eq == l) {
                ini_report(p, LOG_ERR, "'%s' is not KEY=VALUE, a [SECTION] or a comment",
                           ini_quote(l, (size_t) (e - l), q, sizeof q));
                return 0;
        }
        if (*skip)
                return 0;       /* the section header was reported */
        *eq = 0;
        for (char *k = eq; k > l && is_blank(k[-1]); k--)
                k[-1] = 0;
        eq++;
        while (is_blank(*eq))
                eq++;
        return on_assignment(p, *section, l, eq);
}

int ini_parse(const char *text, size_t size, const char *file, const char *const *sections,
              IniAssignment on_assignment, void *data, IniReport report, void *userdata) {
        IniParser p = { .file = file, .report = report, .userdata = userdata, .data = data };
        _cleanup_free_ char *line = NULL, *section = NULL;
        bool skip = false;
        int r;

        if (size > INI_FILE_MAX) {
                ini_report(&p, LOG_ERR, "the file is %zu bytes long; at most %d", size, INI_FILE_MAX);
                return -EINVAL;
        }
        line = malloc(INI_LINE_MAX + 1);
        if (!line)
                return -ENOMEM;
        for (size_t i = 0; i < size;) {
                const char *nl = memchr(text + i, '\n', size - i);
                size_t len = nl ? (size_t) (nl - (text + i)) : size - i;

                p.line++;
                if (len > INI_LINE_MAX)
                        ini_report(&p, LOG_ERR, "the line is %zu bytes long; at most %d", len, INI_LINE_MAX);
                else if (memchr(text + i, 0, len))
                        ini_report(&p, LOG_ERR, "the line holds a NUL byte");
                else {
                        memcpy(line, text + i, len);
                        line[len] = 0;
                        r = parse_line(&p, line, sections, on_assignment, &section, &skip);
                        if (r < 0)
                                return r;
                }
                i += len + 1;
        }
        return p.n_errors > 0 ? -EINVAL : 0;
}

int ini_read_trusted(const char *path, bool must_exist, IniReport report, void *userdata,
                     char **ret_text, size_t *ret_size) {
        IniParser p = { .file = path, .report = report, .userdata = userdata };
        char why[PATH_MAX + 64] = "", self[64];
        _cleanup_close_ int pfd = -1, fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        struct stat st;

        /* Root acts on it: it, and every directory above it, must be root's
         * and writable by nobody else, as sshd and sudo want theirs. */
        int r = path_open_trusted(path, false, &pfd, &st, why, sizeof why);
        if (r == -ENOENT && !must_exist)
                return r;
        if (r == -EPERM) {
                ini_report(&p, LOG_ERR, "%s; refusing to use it", why);
                return r;
        }
        if (r < 0) {
                ini_report(&p, LOG_ERR, "cannot open it: %s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                ini_report(&p, LOG_ERR, "not a regular file");
                return -EINVAL;
        }
        /* Read what was checked, not what the path names now. */
        snprintf(self, sizeof self, "/proc/self/fd/%d", pfd);
        fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                ini_report(&p, LOG_ERR, "cannot open it: %s", strerror(-r));
                return r;
        }
        if (st.st_size > INI_FILE_MAX) {
                ini_report(&p, LOG_ERR, "the file is %lld bytes long; at most %d", (long long) st.st_size, INI_FILE_MAX);
                return -EINVAL;
        }
        /* Read one byte more than the limit: the file may grow meanwhile. */
        buf = malloc(INI_FILE_MAX + 2);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + size, INI_FILE_MAX + 1 - size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = -errno;
                        ini_report(&p, LOG_ERR, "cannot read it: %s", strerror(-r));
                        return r;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size > INI_FILE_MAX) {
                        ini_report(&p, LOG_ERR, "the file is more than %d bytes long", INI_FILE_MAX);
                        return -EINVAL;
                }
        }
        buf[size] = 0;
        *ret_text = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}
