/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-config.c - libFuzzer target: stasisd.conf parsing never fails silently and keeps only well-formed names */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "stasisd-config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what) {
        fprintf(stderr, "fuzz-config: %s\n", what);
        abort();
}

typedef struct Seen {
        unsigned errors, warnings;
        unsigned last_line;
} Seen;

static void collect(void *userdata, int level, const char *file, unsigned line, const char *message) {
        Seen *s = userdata;
        if (!message || strlen(message) >= 512 || strchr(message, '\n'))
                die("bad message");
        if (level == LOG_ERR)
                s->errors++;
        else
                s->warnings++;
        if (line < s->last_line)
                die("lines reported out of order");
        s->last_line = line;
}

static void check_names(const ConfigName *l, size_t n, size_t size) {
        if (n > CONFIG_NAMES_MAX)
                die("too many names");
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(l[i].name);
                if (len == 0 || len > CONFIG_NAME_MAX || l[i].name[0] == '-' || l[i].line == 0 || l[i].line > size + 1)
                        die("a malformed name was kept");
                if (strcspn(l[i].name, " \t\r\n:/,") != len)
                        die("a name holds a separator");
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        StasisdConfig *c = NULL, *c2 = NULL;
        Seen seen = {};
        int r, r2;

        r = config_parse((const char *) data, size, "fuzz.conf", collect, &seen, &c);
        if (r < 0) {
                if (c)
                        die("output written on failure");
                if (r != -ENOMEM && seen.errors == 0)
                        die("failure without an error reported");
        } else {
                if (!c)
                        die("no output on success");
                if (seen.errors > 0)
                        die("success with errors reported");
                check_names(c->writer_users, c->n_writer_users, size);
                check_names(c->writer_groups, c->n_writer_groups, size);
        }
        /* Reporting does not change the outcome. */
        r2 = config_parse((const char *) data, size, "fuzz.conf", NULL, NULL, &c2);
        if (r2 != r)
                die("the result depends on the report callback");
        if (c && (c2->n_writer_users != c->n_writer_users || c2->n_writer_groups != c->n_writer_groups))
                die("the result differs on a second parse");
        config_free(c);
        config_free(c2);
        return 0;
}
