/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-policy.h - policies: /etc/stasis/policies.d/NAME.conf, read and checked */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "ini.h"
#include "stasisd-retention-timeline.h"

#define POLICY_NAME_MAX    64   /* bytes in a policy's name (its file name without .conf) */
#define POLICIES_MAX      256   /* policy files read */
#define POLICY_PATHS_MAX   64   /* Paths= and Components= entries */

typedef struct Policy {
        char *name;
        char *file;
        /* [Set] */
        char **paths;
        char **components;
        bool require_writers;
        char *label;            /* NULL: "policy NAME" */
        /* [Retention] */
        RetentionRules rules;
        /* [Space] MinFreePercent=: 0 for none */
        unsigned min_free_percent;
        /* [Schedule] OnCalendar=: NULL for none (stasis-run@NAME.timer's) */
        char *on_calendar;
} Policy;

typedef struct Policies {
        Policy **list;          /* sorted by name */
        size_t n;
        unsigned n_bad;         /* files left out for their errors */
} Policies;

/* Whether name can name a policy: 1 to POLICY_NAME_MAX bytes of a-z, A-Z,
 * 0-9, '_', '-', '.', not starting with '.' or '-'. */
bool policy_name_valid(const char *name);

/* Parses size bytes of text, the policy name read from file. Every problem
 * is reported (file and line); 0 and *ret, -EINVAL if there was any error,
 * -ENOMEM. */
int policy_parse(const char *text, size_t size, const char *file, const char *name, IniReport report,
                 void *userdata, Policy **ret);

/* Reads every NAME.conf in dir (a directory that does not exist has none).
 * A file with errors is reported and left out; the others are kept. *ret
 * gets the good ones; returns 0, or -EINVAL if any file was bad (*ret is
 * set all the same), or -ENOMEM. */
int policies_load(const char *dir, IniReport report, void *userdata, Policies **ret);

const Policy *policies_find(const Policies *p, const char *name);

Policy *policy_free(Policy *p);
Policies *policies_free(Policies *p);
static inline void policies_freep(Policies **p) {
        policies_free(*p);
}
