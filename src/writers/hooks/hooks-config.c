/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hooks-config.c - stasis-writer-hooks' configuration file: its [Writer] section */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hooks-config.h"
#include "ini.h"
#include "macro.h"
#include "strv.h"
#include "writer-config.h"

static int set_string(char **field, const char *v) {
        char *c = strdup(v);
        if (!c)
                return -ENOMEM;
        free(*field);
        *field = c;
        return 0;
}

static int on_assignment(IniParser *p, const char *section, const char *key, const char *value) {
        HooksConfig *c = p->data;
        char q[128];

        if (streq(key, "Instance"))
                return set_string(&c->instance, value);
        if (streq(key, "HooksDir")) {
                if (value[0] != '/') {
                        ini_report(p, LOG_ERR, "HooksDir=%s: not an absolute path",
                                   ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return set_string(&c->hooks_dir, value);
        }
        if (streq(key, "TimeoutSec") || streq(key, "FreezeTimeoutSec")) {
                return writer_config_set_seconds(p, streq(key, "TimeoutSec") ? &c->timeout_usec : &c->freeze_timeout_usec,
                                                 key, value);
        }
        if (streq(key, "Level")) {
                if (!streq(value, "front-end") && !streq(value, "back-end") && !streq(value, "system")) {
                        ini_report(p, LOG_ERR, "Level=%s: not front-end, back-end or system",
                                   ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return set_string(&c->level, value);
        }
        if (streq(key, "OnFreezeFailure")) {
                if (!streq(value, "freezeFail") && !streq(value, "thaw")) {
                        ini_report(p, LOG_ERR, "OnFreezeFailure=%s: not freezeFail or thaw",
                                   ini_quote(value, strlen(value), q, sizeof q));
                        return 0;
                }
                return set_string(&c->fail_argument, value);
        }
        if (streq(key, "Paths")) {
                _cleanup_free_ char *copy = strdup(value);
                char *save = NULL;
                if (!copy)
                        return -ENOMEM;
                c->paths = strv_free(c->paths);
                for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        if (w[0] != '/') {
                                ini_report(p, LOG_ERR, "Paths=: %s is not an absolute path",
                                           ini_quote(w, strlen(w), q, sizeof q));
                                continue;
                        }
                        if (strv_extend(&c->paths, w) < 0)
                                return -ENOMEM;
                }
                return 0;
        }
        ini_report(p, LOG_ERR, "unknown key %s in section [Writer]", ini_quote(key, strlen(key), q, sizeof q));
        return 0;
}

int hooks_config_read(const char *path, int must_exist, HooksConfig *ret) {
        static const char *const sections[] = { "Writer", NULL };
        _cleanup_free_ char *text = NULL;
        HooksConfig c = {
                .timeout_usec = HOOKS_TIMEOUT_USEC_DEFAULT,
                .freeze_timeout_usec = HOOKS_FREEZE_TIMEOUT_USEC_DEFAULT,
        };
        size_t size;
        int r;

        r = ini_read_trusted(path, must_exist, writer_config_report_stderr, NULL, &text, &size);
        if (r >= 0)
                r = ini_parse(text, size, path, sections, on_assignment, &c, writer_config_report_stderr, NULL);
        else if (r == -ENOENT && !must_exist)
                r = 0;
        if (r >= 0 && !c.hooks_dir)
                r = set_string(&c.hooks_dir, HOOKS_DIR_DEFAULT);
        if (r >= 0 && !c.level)
                r = set_string(&c.level, "front-end");
        if (r >= 0 && !c.fail_argument)
                r = set_string(&c.fail_argument, "freezeFail");
        if (r >= 0 && strv_isempty(c.paths))
                r = strv_extend(&c.paths, "/");
        if (r < 0) {
                hooks_config_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

void hooks_config_done(HooksConfig *c) {
        free(c->instance);
        free(c->hooks_dir);
        strv_free(c->paths);
        free(c->level);
        free(c->fail_argument);
        *c = (HooksConfig) {};
}
