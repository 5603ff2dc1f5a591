/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* log.c - leveled logging to stderr for the daemon and the CLI */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *prefix = NULL;
static bool level_prefix = false;

void log_set_level_prefix(bool b) {
        level_prefix = b;
}

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_prefix(const char *p) {
        prefix = p;
}

int log_level_from_string(const char *s) {
        static const char *const names[] = {
                "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
        };
        for (int i = 0; i < (int) ELEMENTSOF(names); i++)
                if (streq(s, names[i]))
                        return i;
        if (streq(s, "error"))
                return LOG_ERR;
        if (s[0] >= '0' && s[0] <= '7' && s[1] == 0)
                return s[0] - '0';
        return -EINVAL;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        if (error < 0)
                error = -error;

        if (level <= max_level) {
                char buf[2048];
                va_list ap;

                errno = error;
                va_start(ap, fmt);
                vsnprintf(buf, sizeof buf, fmt, ap);
                va_end(ap);

                /* "<N>" lets journald (and anything reading stderr) see the level. */
                char lvl[8] = "";
                if (level_prefix)
                        snprintf(lvl, sizeof lvl, "<%d>", level);
                if (max_level >= LOG_DEBUG)
                        fprintf(stderr, "%s%s%s%s (%s:%d)\n", lvl, strempty(prefix),
                                prefix ? ": " : "", buf, file, line);
                else
                        fprintf(stderr, "%s%s%s%s\n", lvl, strempty(prefix),
                                prefix ? ": " : "", buf);
        }
        return -error;
}
