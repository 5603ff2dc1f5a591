/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-policy.c - policies: /etc/stasis/policies.d/NAME.conf, read and checked */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "macro.h"
#include "stasisd-policy.h"
#include "stasisd-select.h"
#include "strv.h"
#include "time-util.h"
#include "utf8.h"

static const char *const sections[] = { "Set", "Retention", "Space", "Schedule", NULL };

bool policy_name_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > POLICY_NAME_MAX || name[0] == '.' || name[0] == '-')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '-' || c == '.'))
                        return false;
        }
        return true;
}

static bool printable(const char *s) {
        if (!utf8_is_valid(s))
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

/* Words separated by blanks; an empty value empties the list. check says
 * whether a word is good and, if not, why (its message). */
static int parse_words(IniParser *p, const char *key, const char *v, char ***list,
                       const char *(*check)(const char *word)) {
        char q[80];

        if (*v == 0) {
                strv_free(*list);
                *list = NULL;
                return 0;
        }
        while (*v) {
                size_t len = strcspn(v, " \t");
                if (len > 0) {
                        _cleanup_free_ char *w = strndup(v, len);
                        const char *why;
                        if (!w)
                                return -ENOMEM;
                        why = check(w);
                        if (why)
                                ini_report(p, LOG_ERR, "%s=: '%s' %s", key, ini_quote(v, len, q, sizeof q), why);
                        else if (strv_length(*list) >= POLICY_PATHS_MAX)
                                ini_report(p, LOG_ERR, "%s=: more than %d entries", key, POLICY_PATHS_MAX);
                        else if (strv_extend(list, w) < 0)
                                return -ENOMEM;
                }
                v += len;
                v += strspn(v, " \t");
        }
        return 0;
}

static const char *check_path(const char *w) {
        if (w[0] != '/')
                return "is not an absolute path";
        if (strlen(w) >= PATH_MAX)
                return "is too long";
        if (!printable(w))
                return "has control characters or is not UTF-8";
        return NULL;
}

static const char *check_component(const char *w) {
        Selector x;
        if (selector_parse(w, &x) < 0)
                return "is not a component: WRITER[@INSTANCE][:COMPONENT] (a writer name is a-z, 0-9, '.', '_' and '-')";
        return NULL;
}

static void parse_count(IniParser *p, const char *key, const char *v, unsigned *ret) {
        char q[80], *end;
        unsigned long n;

        errno = 0;
        n = strtoul(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno || n > 100000) {
                ini_report(p, LOG_ERR, "%s=: '%s' is not a whole number from 0 to 100000", key,
                           ini_quote(v, strlen(v), q, sizeof q));
                return;
        }
        *ret = (unsigned) n;
}

static int parse_set(IniParser *p, Policy *x, const char *key, const char *v) {
        char q[80];
        int b;

        if (streq(key, "Paths"))
                return parse_words(p, key, v, &x->paths, check_path);
        if (streq(key, "Components"))
                return parse_words(p, key, v, &x->components, check_component);
        if (streq(key, "RequireWriters")) {
                b = streq(v, "yes") || streq(v, "true") || streq(v, "1") || streq(v, "on") ? 1 :
                    streq(v, "no") || streq(v, "false") || streq(v, "0") || streq(v, "off") ? 0 : -1;
                if (b < 0)
                        ini_report(p, LOG_ERR, "RequireWriters=: '%s' is not yes or no",
                                   ini_quote(v, strlen(v), q, sizeof q));
                else
                        x->require_writers = b;
                return 0;
        }
        if (streq(key, "Label")) {
                if (strlen(v) > 256 || !printable(v)) {
                        ini_report(p, LOG_ERR, "Label=: longer than 256 bytes, not UTF-8 or with control characters");
                        return 0;
                }
                free(x->label);
                x->label = strdup(v);
                return x->label ? 0 : -ENOMEM;
        }
        ini_report(p, LOG_ERR, "unknown key '%s' in section [Set]; known: Paths=, Components=, RequireWriters=, Label=",
                   ini_quote(key, strlen(key), q, sizeof q));
        return 0;
}

static void parse_retention(IniParser *p, Policy *x, const char *key, const char *v) {
        static const struct {
                const char *key;
                size_t offset;
        } counts[] = {
                { "KeepLast", offsetof(RetentionRules, keep_last) },
                { "Hourly",   offsetof(RetentionRules, hourly) },
                { "Daily",    offsetof(RetentionRules, daily) },
                { "Weekly",   offsetof(RetentionRules, weekly) },
                { "Monthly",  offsetof(RetentionRules, monthly) },
                { "Yearly",   offsetof(RetentionRules, yearly) },
        };
        char q[80];

        for (size_t i = 0; i < ELEMENTSOF(counts); i++)
                if (streq(key, counts[i].key)) {
                        parse_count(p, key, v, (unsigned *) ((char *) &x->rules + counts[i].offset));
                        return;
                }
        if (streq(key, "MinAge")) {
                usec_t d;
                if (parse_duration(v, &d) < 0)
                        ini_report(p, LOG_ERR, "MinAge=: '%s' is not a duration (e.g. 30min, 2h, 7d, 1w)",
                                   ini_quote(v, strlen(v), q, sizeof q));
                else
                        x->rules.min_age = d;
                return;
        }
        ini_report(p, LOG_ERR, "unknown key '%s' in section [Retention]; known: KeepLast=, Hourly=, Daily=, "
                   "Weekly=, Monthly=, Yearly=, MinAge=", ini_quote(key, strlen(key), q, sizeof q));
}

static int parse_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        Policy *x = p->data;
        char q[80];

        if (!section) {
                ini_report(p, LOG_ERR, "'%s' is not in a section; put it under [Set], [Retention], [Space] or "
                           "[Schedule]", ini_quote(key, strlen(key), q, sizeof q));
                return 0;
        }
        if (streq(section, "Set"))
                return parse_set(p, x, key, value);
        if (streq(section, "Retention")) {
                parse_retention(p, x, key, value);
                return 0;
        }
        if (streq(section, "Space") && streq(key, "MinFreePercent")) {
                unsigned n = 0;
                unsigned before = p->n_errors;
                parse_count(p, key, value, &n);
                if (p->n_errors == before && n > 99)
                        ini_report(p, LOG_ERR, "MinFreePercent=: %u is more than 99", n);
                else if (p->n_errors == before)
                        x->min_free_percent = n;
                return 0;
        }
        if (streq(section, "Schedule") && streq(key, "OnCalendar")) {
                if (isempty(value) || strlen(value) > 256 || !printable(value)) {
                        ini_report(p, LOG_ERR, "OnCalendar=: give a calendar event of systemd.time(7), e.g. hourly "
                                   "or *-*-* 02:00:00");
                        return 0;
                }
                free(x->on_calendar);
                x->on_calendar = strdup(value);
                return x->on_calendar ? 0 : -ENOMEM;
        }
        ini_report(p, LOG_ERR, "unknown key '%s' in section [%s]", ini_quote(key, strlen(key), q, sizeof q), section);
        return 0;
}

int policy_parse(const char *text, size_t size, const char *file, const char *name, IniReport report,
                 void *userdata, Policy **ret) {
        Policy *x = calloc(1, sizeof(Policy));
        int r;

        if (!x)
                return -ENOMEM;
        x->name = strdup(name);
        x->file = strdup(strempty(file));
        if (!x->name || !x->file) {
                policy_free(x);
                return -ENOMEM;
        }
        r = ini_parse(text, size, file, sections, parse_assignment, x, report, userdata);
        if (r >= 0 && strv_isempty(x->paths) && strv_isempty(x->components)) {
                IniParser p = { .file = file, .report = report, .userdata = userdata };
                ini_report(&p, LOG_ERR, "the policy names no Paths= and no Components= in [Set]: it would make "
                           "nothing");
                r = -EINVAL;
        }
        if (r < 0) {
                policy_free(x);
                return r;
        }
        *ret = x;
        return 0;
}

Policy *policy_free(Policy *p) {
        if (!p)
                return NULL;
        free(p->name);
        free(p->file);
        strv_free(p->paths);
        strv_free(p->components);
        free(p->label);
        free(p->on_calendar);
        free(p);
        return NULL;
}

Policies *policies_free(Policies *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n; i++)
                policy_free(p->list[i]);
        free(p->list);
        free(p);
        return NULL;
}

static int compare_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int compare_policies(const void *a, const void *b) {
        return strcmp((*(Policy *const *) a)->name, (*(Policy *const *) b)->name);
}

int policies_load(const char *dir, IniReport report, void *userdata, Policies **ret) {
        _cleanup_(policies_freep) Policies *ps = calloc(1, sizeof(Policies));
        _cleanup_strv_free_ char **names = NULL;
        DIR *d;
        int r = 0;

        if (!ps)
                return -ENOMEM;
        d = opendir(dir);
        if (!d) {
                if (errno != ENOENT) {
                        IniParser p = { .file = dir, .report = report, .userdata = userdata };
                        ini_report(&p, LOG_ERR, "cannot read the directory: %s", strerror(errno));
                        r = -EINVAL;
                }
                *ret = TAKE_PTR(ps);
                return r;
        }
        for (struct dirent *de; (de = readdir(d)); ) {
                size_t l = strlen(de->d_name);
                if (l <= 5 || !streq(de->d_name + l - 5, ".conf") || de->d_name[0] == '.')
                        continue;
                if (strv_length(names) >= POLICIES_MAX) {
                        IniParser p = { .file = dir, .report = report, .userdata = userdata };
                        ini_report(&p, LOG_ERR, "more than %d policies; the others are left out", POLICIES_MAX);
                        r = -EINVAL;
                        break;
                }
                if (strv_extend(&names, de->d_name) < 0) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        if (names)
                qsort(names, strv_length(names), sizeof(char *), compare_names);

        STRV_FOREACH(n, names) {
                _cleanup_free_ char *path = NULL, *text = NULL, *name = strndup(*n, strlen(*n) - 5);
                size_t size = 0;
                Policy *x = NULL;
                int k;

                if (!name || asprintf(&path, "%s/%s", dir, *n) < 0)
                        return -ENOMEM;
                if (!policy_name_valid(name)) {
                        IniParser p = { .file = path, .report = report, .userdata = userdata };
                        ini_report(&p, LOG_ERR, "'%s' cannot name a policy: at most %d of a-z, A-Z, 0-9, '_', '-' "
                                   "and '.', not first '.' or '-'", name, POLICY_NAME_MAX);
                        ps->n_bad++;
                        r = -EINVAL;
                        continue;
                }
                k = ini_read_trusted(path, true, report, userdata, &text, &size);
                if (k == -ENOMEM)
                        return k;
                if (k >= 0)
                        k = policy_parse(text, size, path, name, report, userdata, &x);
                if (k == -ENOMEM)
                        return k;
                if (k < 0) {
                        ps->n_bad++;
                        r = -EINVAL;
                        continue;
                }
                Policy **nl = realloc(ps->list, (ps->n + 1) * sizeof(Policy *));
                if (!nl) {
                        policy_free(x);
                        return -ENOMEM;
                }
                ps->list = nl;
                ps->list[ps->n++] = x;
        }
        if (ps->n > 1)
                qsort(ps->list, ps->n, sizeof(Policy *), compare_policies);
        *ret = TAKE_PTR(ps);
        return r;
}

const Policy *policies_find(const Policies *ps, const char *name) {
        if (!ps || !name)
                return NULL;
        for (size_t i = 0; i < ps->n; i++)
                if (streq(ps->list[i]->name, name))
                        return ps->list[i];
        return NULL;
}
