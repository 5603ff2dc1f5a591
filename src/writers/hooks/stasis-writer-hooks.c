/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-hooks.c - a writer that runs hook scripts around the freeze, as qemu-guest-agent's
 * fsfreeze-hook.d and VMware Tools' backupScripts.d do, with time limits and failures reported */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "hooks-config.h"
#include "hooks-run.h"
#include "hooks-scan.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "strv.h"
#include "writer-main.h"


static HooksConfig config;
static sd_event *event;

/* The hooks that ran "freeze" successfully and await "thaw", in the order they ran. */
static char **frozen;
/* The run under way and the event it answers. */
static HookRun *run;
static char **freezing;         /* the hooks the freeze run goes through */
static StasisEvent *pending;
static char failure[768];

static void answer(int error) {
        StasisEvent *e = TAKE_PTR(pending);

        if (!e)
                return;
        if (error < 0)
                (void) stasis_event_veto(e, 0, "%s", failure);
        (void) stasis_event_complete(e, error < 0 ? -ECANCELED : 0);
        stasis_event_unref(e);
}

/* The hooks of l in reverse order. */
static char **reversed(char **l) {
        size_t n = strv_length(l);
        char **r = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; r && i < n; i++)
                r[i] = l[n - 1 - i];
        return r;
}

static int start(char **hooks, const char *argument, bool stop_on_failure, hook_run_done_t done) {
        return hook_run_start(event, hooks, strv_length(hooks), argument, config.timeout_usec, stop_on_failure, done,
                              NULL, &run);
}

/* ---- Thaw (and a failed freeze): the frozen hooks, in reverse order ---- */

static void on_unfrozen(HookRun *r, const bool *ok, size_t n, const char *why, void *userdata) {
        /* why is the run's: kept before the run goes. */
        if (*why) {
                if (failure[0])
                        strncat(failure, "; then ", sizeof failure - strlen(failure) - 1);
                strncat(failure, why, sizeof failure - strlen(failure) - 1);
        }
        run = hook_run_free(run);
        frozen = strv_free(frozen);
        answer(failure[0] ? -EIO : 0);
}

static int unfreeze(const char *argument) {
        _cleanup_free_ char **rev = reversed(frozen);
        if (!rev)
                return -ENOMEM;
        return start(rev, argument, false, on_unfrozen);
}

/* ---- Freeze: every hook in name order; on a failure the frozen ones are told ---- */

/* The hooks of the freeze run that succeeded are frozen; the run ends. */
static void freeze_run_end(const bool *ok, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (ok[i] && strv_extend(&frozen, freezing[i]) < 0)
                        break;
        freezing = strv_free(freezing);
        run = hook_run_free(run);
}

static void on_frozen(HookRun *r, const bool *ok, size_t n, const char *why, void *userdata) {
        /* why and ok are the run's: used before the run goes. */
        snprintf(failure, sizeof failure, "%s", why);
        freeze_run_end(ok, n);
        if (!failure[0]) {
                answer(0);
                return;
        }
        if (strv_isempty(frozen) || unfreeze(config.fail_argument) < 0)
                answer(-EIO);
}

static int on_freeze(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        char err[512];
        int r;

        failure[0] = 0;
        freezing = strv_free(freezing);
        r = hooks_scan(config.hooks_dir, &freezing, err, sizeof err);
        if (r < 0)
                return stasis_event_veto(e, 0, "%s", err);
        frozen = strv_free(frozen);
        r = start(freezing, "freeze", true, on_frozen);
        if (r < 0) {
                freezing = strv_free(freezing);
                return r;
        }
        pending = stasis_event_ref(e);
        return STASIS_EVENT_ASYNC;
}

static int on_thaw(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        /* Raised by the library (an Abort, the window passed): the snapshot is not
         * to be counted on, as after a failed freeze. */
        const char *argument = stasis_event_reason(e) ? config.fail_argument : "thaw";
        int r;

        if (run) {
                /* Still freezing (the window passed, an Abort): stop; those frozen so far are told. */
                size_t n;
                const bool *ok = hook_run_progress(run, &n);
                freeze_run_end(ok, n);
                snprintf(failure, sizeof failure, "thawed while the freeze hooks still ran: %s",
                         strna(stasis_event_reason(e)));
                answer(-EIO);
                argument = config.fail_argument;
        }
        failure[0] = 0;
        if (strv_isempty(frozen))
                return 0;
        r = unfreeze(argument);
        if (r < 0)
                return r;
        pending = stasis_event_ref(e);
        return STASIS_EVENT_ASYNC;
}

/* ---- Setting up ---- */

static void help(void) {
        printf("stasis-writer-hooks [OPTIONS]\n\n"
               "A stasis writer that runs the executables of a hooks directory: \"freeze\" in name\n"
               "order before the snapshots, \"thaw\" in reverse after, \"freezeFail\" to those\n"
               "frozen when something fails (qemu-ga fsfreeze-hook.d, VMware backupScripts.d).\n\n"
               "  -h --help              this help\n"
               "     --config PATH       the configuration (default %s)\n"
               "     --hooks-dir DIR     the hooks (default %s, or HooksDir=)\n"
               "     --bus-address ADDR  the bus stasisd is on (default: the system bus)\n",
               HOOKS_CONFIG_FILE, HOOKS_DIR_DEFAULT);
}

static WriterArgs arg = {
        .help = help,
        .config = HOOKS_CONFIG_FILE,
        .extra_option = "hooks-dir",
        .stderr_name = "stasis-writer-hooks",
};

static const WriterHandler handlers[] = {
        { STASIS_EVENT_FREEZE, on_freeze },
        { STASIS_EVENT_THAW, on_thaw },
};

int main(int argc, char *argv[]) {
        StasisWriter *w = NULL;
        sigset_t mask;
        int r;

        r = writer_parse_argv(argc, argv, &arg);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        if (arg.extra && arg.extra[0] != '/') {
                fprintf(stderr, "stasis-writer-hooks: --hooks-dir %s: not an absolute path\n", arg.extra);
                return 2;
        }
        /* Without a configuration file: the defaults (unless --config named one). */
        r = hooks_config_read(arg.config, !streq(arg.config, HOOKS_CONFIG_FILE), &config);
        if (r < 0)
                return 1;
        if (arg.extra) {
                free(config.hooks_dir);
                config.hooks_dir = strdup(arg.extra);
                if (!config.hooks_dir)
                        return 1;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = writer_stderr_open("hooks", config.instance, config.freeze_timeout_usec, arg.bus, &event, &w);
        if (r >= 0)
                r = stasis_writer_set_level(w, config.level);
        if (r >= 0)
                r = stasis_writer_add_component(w, "hooks", (const char *const *) config.paths, 1,
                                                "what the hook scripts quiesce");
        if (r >= 0)
                r = writer_set_handlers(w, handlers, ELEMENTSOF(handlers), NULL);
        r = writer_stderr_start("hooks", w, event, r);
        if (r < 0) {
                r = 1;
        } else {
                fprintf(stderr, "stasis-writer-hooks: hooks in %s\n", config.hooks_dir);
                r = sd_event_loop(event) < 0;
        }
        run = hook_run_free(run);
        freezing = strv_free(freezing);
        answer(-ECANCELED);
        stasis_writer_unref(w);
        sd_event_unref(event);
        strv_free(frozen);
        hooks_config_done(&config);
        return r;
}
