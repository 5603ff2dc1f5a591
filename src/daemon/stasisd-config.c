/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-config.c - stasisd.conf: parse it, check who owns it, look up the users and groups it names */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "macro.h"
#include "path-trust.h"
#include "stasisd-config.h"

typedef struct Parser {
        const char *file;
        ConfigReport report;
        void *userdata;
        unsigned line;
        unsigned n_errors;
        StasisdConfig *config;
} Parser;

_printf_(3, 4)
static void report(Parser *p, int level, const char *fmt, ...) {
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

/* A short, printable rendering of what the file says, for messages. */
static const char *quote(const char *s, size_t n, char *buf, size_t size) {
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

/* Letters, digits, '_', '.', '-', not first '-', and optionally a final '$'
 * (Samba machine accounts): what useradd and systemd accept, and no space,
 * ':', '/' or control character that would confuse anyone reading it. */
static bool valid_name(const char *s, size_t n) {
        if (n == 0 || n > CONFIG_NAME_MAX || s[0] == '-')
                return false;
        if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-')
                        continue;
                if (c == '$' && i == n - 1 && i > 0)
                        continue;
                return false;
        }
        return true;
}

static void names_clear(ConfigName **l, size_t *n) {
        for (size_t i = 0; i < *n; i++)
                free((*l)[i].name);
        *l = mfree(*l);
        *n = 0;
}

/* A list of names separated by spaces; an empty value empties the list. */
static int parse_names(Parser *p, const char *key, const char *what, const char *v, ConfigName **l, size_t *n) {
        char q[80];

        if (*v == 0) {
                names_clear(l, n);
                return 0;
        }
        while (*v) {
                size_t len = strcspn(v, " \t");
                if (len > 0) {
                        if (!valid_name(v, len))
                                report(p, LOG_ERR, "%s=: '%s' is not a valid %s name", key,
                                       quote(v, len, q, sizeof q), what);
                        else if (*n >= CONFIG_NAMES_MAX)
                                report(p, LOG_ERR, "%s=: more than %d names", key, CONFIG_NAMES_MAX);
                        else {
                                ConfigName *nl = realloc(*l, (*n + 1) * sizeof(ConfigName));
                                if (!nl)
                                        return -ENOMEM;
                                *l = nl;
                                nl[*n] = (ConfigName) { .name = strndup(v, len), .line = p->line };
                                if (!nl[*n].name)
                                        return -ENOMEM;
                                (*n)++;
                        }
                }
                v += len;
                v += strspn(v, " \t");
        }
        return 0;
}

typedef enum Section {
        SECTION_NONE,
        SECTION_UNKNOWN,
        SECTION_AUTHORIZATION,
        SECTION_WRITERS,
} Section;

/* A whole number of seconds, 0 to CONFIG_WRITER_GRACE_MAX_SEC. */
static void parse_grace(Parser *p, const char *key, const char *v) {
        char q[80], *end;
        unsigned long n;

        errno = 0;
        n = strtoul(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno != 0 || n > CONFIG_WRITER_GRACE_MAX_SEC) {
                report(p, LOG_ERR, "%s=: '%s' is not a whole number of seconds from 0 to %d", key,
                       quote(v, strlen(v), q, sizeof q), CONFIG_WRITER_GRACE_MAX_SEC);
                return;
        }
        p->config->writer_grace_sec = (unsigned) n;
        p->config->writer_grace_set = true;
}

unsigned long long config_writer_grace_usec(const StasisdConfig *c) {
        return (c && c->writer_grace_set ? c->writer_grace_sec : CONFIG_WRITER_GRACE_DEFAULT_SEC) * 1000000ULL;
}

static int parse_assignment(Parser *p, Section section, const char *key, const char *value) {
        StasisdConfig *c = p->config;
        char q[80];

        switch (section) {
        case SECTION_NONE:
                report(p, LOG_ERR, "'%s' is not in a section; put it under [Authorization] or [Writers]",
                       quote(key, strlen(key), q, sizeof q));
                return 0;
        case SECTION_UNKNOWN:
                return 0;       /* the section header was reported */
        case SECTION_AUTHORIZATION:
                if (streq(key, "RegisterWriterUsers"))
                        return parse_names(p, key, "user", value, &c->writer_users, &c->n_writer_users);
                if (streq(key, "RegisterWriterGroups"))
                        return parse_names(p, key, "group", value, &c->writer_groups, &c->n_writer_groups);
                report(p, LOG_ERR, "unknown key '%s' in section [Authorization]", quote(key, strlen(key), q, sizeof q));
                return 0;
        case SECTION_WRITERS:
                if (streq(key, "WriterGraceSec")) {
                        parse_grace(p, key, value);
                        return 0;
                }
                report(p, LOG_ERR, "unknown key '%s' in section [Writers]", quote(key, strlen(key), q, sizeof q));
                return 0;
        }
        return 0;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

/* One line, NUL-terminated, of at most CONFIG_LINE_MAX bytes. */
static int parse_line(Parser *p, char *l, Section *section) {
        char q[80], *e, *eq;

        while (is_blank(*l))
                l++;
        e = l + strlen(l);
        while (e > l && is_blank(e[-1]))
                *--e = 0;
        if (*l == 0 || *l == '#' || *l == ';')
                return 0;

        if (*l == '[') {
                if (e[-1] != ']' || e - l < 3) {
                        report(p, LOG_ERR, "bad section header '%s'; expected [NAME]", quote(l, (size_t) (e - l), q, sizeof q));
                        *section = SECTION_UNKNOWN;
                        return 0;
                }
                e[-1] = 0;
                if (streq(l + 1, "Authorization"))
                        *section = SECTION_AUTHORIZATION;
                else if (streq(l + 1, "Writers"))
                        *section = SECTION_WRITERS;
                else {
                        report(p, LOG_ERR, "unknown section [%s]", quote(l + 1, strlen(l + 1), q, sizeof q));
                        *section = SECTION_UNKNOWN;
                }
                return 0;
        }

        eq = strchr(l, '=');
        if (!eq || eq == l) {
                report(p, LOG_ERR, "'%s' is not KEY=VALUE, a [SECTION] or a comment", quote(l, (size_t) (e - l), q, sizeof q));
                return 0;
        }
        *eq = 0;
        for (char *k = eq; k > l && is_blank(k[-1]); k--)
                k[-1] = 0;
        eq++;
        while (is_blank(*eq))
                eq++;
        return parse_assignment(p, *section, l, eq);
}

int config_parse(const char *text, size_t size, const char *file, ConfigReport report_cb, void *userdata,
                 StasisdConfig **ret) {
        _cleanup_(config_freep) StasisdConfig *c = calloc(1, sizeof(StasisdConfig));
        Parser p = { .file = file, .report = report_cb, .userdata = userdata, .config = c };
        Section section = SECTION_NONE;
        char *line;
        int r;

        if (!c)
                return -ENOMEM;
        if (file) {
                c->path = strdup(file);
                if (!c->path)
                        return -ENOMEM;
        }
        if (size > CONFIG_FILE_MAX) {
                report(&p, LOG_ERR, "the file is %zu bytes long; at most %d", size, CONFIG_FILE_MAX);
                return -EINVAL;
        }
        line = malloc(CONFIG_LINE_MAX + 1);
        if (!line)
                return -ENOMEM;
        for (size_t i = 0; i < size;) {
                const char *nl = memchr(text + i, '\n', size - i);
                size_t len = nl ? (size_t) (nl - (text + i)) : size - i;

                p.line++;
                if (len > CONFIG_LINE_MAX)
                        report(&p, LOG_ERR, "the line is %zu bytes long; at most %d", len, CONFIG_LINE_MAX);
                else if (memchr(text + i, 0, len))
                        report(&p, LOG_ERR, "the line holds a NUL byte");
                else {
                        memcpy(line, text + i, len);
                        line[len] = 0;
                        r = parse_line(&p, line, &section);
                        if (r < 0) {
                                free(line);
                                return r;
                        }
                }
                i += len + 1;
        }
        free(line);
        if (p.n_errors > 0)
                return -EINVAL;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, bool must_exist, ConfigReport report_cb, void *userdata, StasisdConfig **ret) {
        Parser p = { .file = path, .report = report_cb, .userdata = userdata };
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        struct stat st;

        /* Root acts on it: it, and every directory above it, must be root's
         * and writable by nobody else, as sshd and sudo want theirs. */
        char why[PATH_MAX + 64] = "";
        _cleanup_close_ int pfd = -1;
        int r = path_open_trusted(path, false, &pfd, &st, why, sizeof why);
        if (r == -ENOENT && !must_exist)
                return config_parse("", 0, NULL, report_cb, userdata, ret);
        if (r == -EPERM) {
                report(&p, LOG_ERR, "%s; refusing to use it", why);
                return r;
        }
        if (r < 0) {
                report(&p, LOG_ERR, "cannot open it: %s", strerror(-r));
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                report(&p, LOG_ERR, "not a regular file");
                return -EINVAL;
        }
        /* Read what was checked, not what the path names now. */
        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", pfd);
        fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                int e = errno;
                report(&p, LOG_ERR, "cannot open it: %s", strerror(e));
                return -e;
        }
        if (st.st_size > CONFIG_FILE_MAX) {
                report(&p, LOG_ERR, "the file is %lld bytes long; at most %d", (long long) st.st_size, CONFIG_FILE_MAX);
                return -EINVAL;
        }
        /* Read one byte more than the limit: the file may grow meanwhile. */
        buf = malloc(CONFIG_FILE_MAX + 1);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t n = read(fd, buf + size, CONFIG_FILE_MAX + 1 - size);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = errno;
                        report(&p, LOG_ERR, "cannot read it: %s", strerror(e));
                        return -e;
                }
                if (n == 0 || (size += (size_t) n) > CONFIG_FILE_MAX)
                        break;
        }
        return config_parse(buf, size, path, report_cb, userdata, ret);
}

static bool parse_id(const char *s, unsigned long *ret) {
        char *end;
        if (!*s || strspn(s, "0123456789") != strlen(s))
                return false;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        /* (uid_t) -1 means "none" to the kernel. */
        if (errno || *end || v >= (unsigned long) (uid_t) -1)
                return false;
        *ret = v;
        return true;
}

int config_resolve(StasisdConfig *c, ConfigReport report_cb, void *userdata) {
        Parser p = { .file = c->path, .report = report_cb, .userdata = userdata };

        c->writer_uids = mfree(c->writer_uids);
        c->writer_gids = mfree(c->writer_gids);
        c->n_writer_uids = c->n_writer_gids = 0;
        if (c->n_writer_users > 0 && !(c->writer_uids = calloc(c->n_writer_users, sizeof(uid_t))))
                return -ENOMEM;
        if (c->n_writer_groups > 0 && !(c->writer_gids = calloc(c->n_writer_groups, sizeof(gid_t))))
                return -ENOMEM;

        for (size_t i = 0; i < c->n_writer_users; i++) {
                const char *name = c->writer_users[i].name;
                unsigned long id;
                struct passwd *pw;

                p.line = c->writer_users[i].line;
                if (parse_id(name, &id)) {
                        c->writer_uids[c->n_writer_uids++] = (uid_t) id;
                        continue;
                }
                errno = 0;
                pw = getpwnam(name);
                if (!pw) {
                        report(&p, LOG_WARNING, "RegisterWriterUsers=: no user '%s'%s%s; ignoring it", name,
                               errno ? ": " : "", errno ? strerror(errno) : "");
                        continue;
                }
                c->writer_uids[c->n_writer_uids++] = pw->pw_uid;
        }
        for (size_t i = 0; i < c->n_writer_groups; i++) {
                const char *name = c->writer_groups[i].name;
                unsigned long id;
                struct group *gr;

                p.line = c->writer_groups[i].line;
                if (parse_id(name, &id)) {
                        c->writer_gids[c->n_writer_gids++] = (gid_t) id;
                        continue;
                }
                errno = 0;
                gr = getgrnam(name);
                if (!gr) {
                        report(&p, LOG_WARNING, "RegisterWriterGroups=: no group '%s'%s%s; ignoring it", name,
                               errno ? ": " : "", errno ? strerror(errno) : "");
                        continue;
                }
                c->writer_gids[c->n_writer_gids++] = gr->gr_gid;
        }
        return 0;
}

bool config_may_register_writer(const StasisdConfig *c, uid_t uid, const gid_t *gids, size_t n_gids) {
        if (!c)
                return false;
        for (size_t i = 0; i < c->n_writer_uids; i++)
                if (c->writer_uids[i] == uid)
                        return true;
        for (size_t i = 0; i < c->n_writer_gids; i++)
                for (size_t j = 0; j < n_gids; j++)
                        if (c->writer_gids[i] == gids[j])
                                return true;
        return false;
}

StasisdConfig *config_free(StasisdConfig *c) {
        if (!c)
                return NULL;
        names_clear(&c->writer_users, &c->n_writer_users);
        names_clear(&c->writer_groups, &c->n_writer_groups);
        free(c->writer_uids);
        free(c->writer_gids);
        free(c->path);
        free(c);
        return NULL;
}
