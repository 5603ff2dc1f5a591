/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-policy.c - libFuzzer target: a policy file parses into sane values, or reports an error */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "stasisd-policy.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what) {
        fprintf(stderr, "fuzz-policy: %s\n", what);
        abort();
}

static void collect(void *userdata, int level, const char *file, unsigned line, const char *message) {
        if (!message || strlen(message) >= 512 || strchr(message, '\n'))
                die("bad message");
        if (level == LOG_ERR)
                (*(unsigned *) userdata)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Policy *p = NULL;
        unsigned errors = 0;

        int r = policy_parse((const char *) data, size, "fuzz.conf", "fuzz", collect, &errors, &p);
        if (r < 0 && errors == 0)
                die("failed without an error reported");
        if (r >= 0) {
                if (errors > 0)
                        die("errors reported, yet it parsed");
                if (strv_isempty(p->paths) && strv_isempty(p->components))
                        die("a policy with nothing to snapshot");
                STRV_FOREACH(x, p->paths)
                        if ((*x)[0] != '/')
                                die("a relative path kept");
                if (strv_length(p->paths) > POLICY_PATHS_MAX || strv_length(p->components) > POLICY_PATHS_MAX)
                        die("too many entries");
                if (p->min_free_percent > 99)
                        die("MinFreePercent= over 99");
                policy_free(p);
        }
        return 0;
}
