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

#define HOLD_MAX (64 * 1024)
static char *held = NULL;
static size_t held_len = 0;
static bool holding = false, held_dropped = false;

void log_hold(void) {
        holding = true;
}

void log_release(void) {
        holding = false;
        if (held_len > 0)
                fwrite(held, 1, held_len, stderr);
        if (held_dropped)
                fprintf(stderr, "(log lines were dropped while file systems were frozen)\n");
        free(held);
        held = NULL;
        held_len = 0;
        held_dropped = false;
}

static void emit(const char *text) {
        if (!holding) {
                fputs(text, stderr);
                return;
        }
        size_t l = strlen(text);
        if (!held)
                held = malloc(HOLD_MAX);
        if (!held || held_len + l > HOLD_MAX) {
                held_dropped = true;
                return;
        }
        memcpy(held + held_len, text, l);
        held_len += l;
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
                char out[2400];
                if (max_level >= LOG_DEBUG)
                        snprintf(out, sizeof out, "%s%s%s%s (%s:%d)\n", lvl, strempty(prefix),
                                 prefix ? ": " : "", buf, file, line);
                else
                        snprintf(out, sizeof out, "%s%s%s%s\n", lvl, strempty(prefix),
                                 prefix ? ": " : "", buf);
                emit(out);
        }
        return -error;
}
