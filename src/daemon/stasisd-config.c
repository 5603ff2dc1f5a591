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
#include "ini.h"
#include "path-trust.h"
#include "stasisd-config.h"

/* The config being filled, from the parser. */
static StasisdConfig *config_of(IniParser *p) {
        return p->data;
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
static int parse_names(IniParser *p, const char *key, const char *what, const char *v, ConfigName **l, size_t *n) {
        char q[80];

        if (*v == 0) {
                names_clear(l, n);
                return 0;
        }
        while (*v) {
                size_t len = strcspn(v, " \t");
                if (len > 0) {
                        if (!valid_name(v, len))
                                ini_report(p, LOG_ERR, "%s=: '%s' is not a valid %s name", key,
                                       ini_quote(v, len, q, sizeof q), what);
                        else if (*n >= CONFIG_NAMES_MAX)
                                ini_report(p, LOG_ERR, "%s=: more than %d names", key, CONFIG_NAMES_MAX);
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

/* A whole number from min to max (what: "seconds", "percent"), into *ret;
 * false after a report if it is not one. */
static bool parse_number(IniParser *p, const char *key, const char *v, unsigned min, unsigned max, const char *what,
                         unsigned *ret) {
        char q[80], *end;
        unsigned long n;

        errno = 0;
        n = strtoul(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno != 0 || n < min || n > max) {
                ini_report(p, LOG_ERR, "%s=: '%s' is not a whole number of %s from %u to %u", key,
                           ini_quote(v, strlen(v), q, sizeof q), what, min, max);
                return false;
        }
        *ret = (unsigned) n;
        return true;
}

unsigned long long config_writer_grace_usec(const StasisdConfig *c) {
        return (c && c->writer_grace_set ? c->writer_grace_sec : CONFIG_WRITER_GRACE_DEFAULT_SEC) * 1000000ULL;
}

unsigned long long config_space_watch_usec(const StasisdConfig *c) {
        return (c && c->space_watch_set ? c->space_watch_sec : CONFIG_SPACE_WATCH_DEFAULT_SEC) * 1000000ULL;
}

unsigned config_extend_at_percent(const StasisdConfig *c) {
        return c && c->extend_at_set ? c->extend_at_percent : CONFIG_EXTEND_AT_DEFAULT_PERCENT;
}

unsigned config_extend_by_percent(const StasisdConfig *c) {
        return c && c->extend_by_set ? c->extend_by_percent : CONFIG_EXTEND_BY_DEFAULT_PERCENT;
}

static const char *const sections[] = { "Authorization", "Writers", "Space", NULL };

static int parse_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        StasisdConfig *c = config_of(p);
        char q[80];

        if (!section) {
                ini_report(p, LOG_ERR, "'%s' is not in a section; put it under [Authorization], [Writers] or [Space]",
                           ini_quote(key, strlen(key), q, sizeof q));
                return 0;
        }
        if (streq(section, "Authorization")) {
                if (streq(key, "RegisterWriterUsers"))
                        return parse_names(p, key, "user", value, &c->writer_users, &c->n_writer_users);
                if (streq(key, "RegisterWriterGroups"))
                        return parse_names(p, key, "group", value, &c->writer_groups, &c->n_writer_groups);
        } else if (streq(section, "Writers")) {
                if (streq(key, "WriterGraceSec")) {
                        c->writer_grace_set = parse_number(p, key, value, 0, CONFIG_WRITER_GRACE_MAX_SEC, "seconds",
                                                           &c->writer_grace_sec);
                        return 0;
                }
        } else {
                if (streq(key, "WatchIntervalSec")) {
                        c->space_watch_set = parse_number(p, key, value, 0, CONFIG_SPACE_WATCH_MAX_SEC, "seconds",
                                                          &c->space_watch_sec);
                        return 0;
                }
                if (streq(key, "ExtendAtPercent")) {
                        c->extend_at_set = parse_number(p, key, value, 1, 99, "percent", &c->extend_at_percent);
                        return 0;
                }
                if (streq(key, "ExtendByPercent")) {
                        c->extend_by_set = parse_number(p, key, value, 1, 1000, "percent", &c->extend_by_percent);
                        return 0;
                }
        }
        ini_report(p, LOG_ERR, "unknown key '%s' in section [%s]", ini_quote(key, strlen(key), q, sizeof q), section);
        return 0;
}

int config_parse(const char *text, size_t size, const char *file, ConfigReport report_cb, void *userdata,
                 StasisdConfig **ret) {
        _cleanup_(config_freep) StasisdConfig *c = calloc(1, sizeof(StasisdConfig));
        int r;

        if (!c)
                return -ENOMEM;
        if (file) {
                c->path = strdup(file);
                if (!c->path)
                        return -ENOMEM;
        }
        r = ini_parse(text, size, file, sections, parse_assignment, c, report_cb, userdata);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int config_load(const char *path, bool must_exist, ConfigReport report_cb, void *userdata, StasisdConfig **ret) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;

        int r = ini_read_trusted(path, must_exist, report_cb, userdata, &text, &size);
        if (r == -ENOENT && !must_exist)
                return config_parse("", 0, NULL, report_cb, userdata, ret);
        if (r < 0)
                return r;
        return config_parse(text, size, path, report_cb, userdata, ret);
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
        IniParser p = { .file = c->path, .report = report_cb, .userdata = userdata };

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
                        ini_report(&p, LOG_WARNING, "RegisterWriterUsers=: no user '%s'%s%s; ignoring it", name,
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
                        ini_report(&p, LOG_WARNING, "RegisterWriterGroups=: no group '%s'%s%s; ignoring it", name,
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
