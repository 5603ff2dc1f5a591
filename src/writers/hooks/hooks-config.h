/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hooks-config.h - stasis-writer-hooks' configuration: the hooks directory, the time limits, what it covers */
#pragma once

#include <stdint.h>

#define HOOKS_CONFIG_FILE "/etc/stasis/writers/hooks.conf"
#define HOOKS_DIR_DEFAULT "/etc/stasis/hooks.d"
#define HOOKS_TIMEOUT_USEC_DEFAULT (30ULL * 1000000ULL)
#define HOOKS_FREEZE_TIMEOUT_USEC_DEFAULT (60ULL * 1000000ULL)

typedef struct HooksConfig {
        char *instance;                 /* NULL: none */
        char *hooks_dir;
        char **paths;                   /* what the hooks quiesce: the component's paths */
        char *level;                    /* "front-end", "back-end", "system" */
        char *fail_argument;            /* "freezeFail" (VMware) or "thaw" (qemu-ga) */
        uint64_t timeout_usec;          /* each script */
        uint64_t freeze_timeout_usec;
} HooksConfig;

/* Reads path if it exists (not must_exist: defaults without it), reporting
 * every problem on stderr with the file and line; -EINVAL if any. */
int hooks_config_read(const char *path, int must_exist, HooksConfig *ret);
void hooks_config_done(HooksConfig *c);
