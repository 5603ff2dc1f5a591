/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hooks-run.c - running hook scripts one after the other with an argument, each with a time limit */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks-run.h"
#include "macro.h"
#include "strv.h"

struct HookRun {
        sd_event *event;
        char **hooks;
        size_t n, i;
        char *arg;
        uint64_t timeout_usec;
        bool stop_on_failure, timed_out;
        bool *ok;
        char failure[512];
        pid_t pid;
        sd_event_source *child, *timer, *defer;
        hook_run_done_t done;
        void *userdata;
};

static int run_next(HookRun *run);

static void finish(HookRun *run) {
        run->child = sd_event_source_disable_unref(run->child);
        run->timer = sd_event_source_disable_unref(run->timer);
        run->pid = 0;
        run->done(run, run->ok, run->i, run->failure, run->userdata);
}

/* "hook PATH ARG <what> <detail>": the first failure is kept. */
static void fail(HookRun *run, const char *what, const char *detail) {
        if (!run->failure[0])
                snprintf(run->failure, sizeof run->failure, "hook %s %s %s%s", run->hooks[run->i], run->arg, what,
                         detail);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        HookRun *run = userdata;

        run->timed_out = true;
        (void) kill(-run->pid, SIGKILL);        /* its whole process group */
        return 0;
}

static int on_child_exit(sd_event_source *s, const siginfo_t *si, void *userdata) {
        HookRun *run = userdata;
        char detail[64];

        run->child = sd_event_source_disable_unref(run->child);
        run->timer = sd_event_source_disable_unref(run->timer);
        /* What it left running in its group goes with it. */
        (void) kill(-run->pid, SIGKILL);
        run->pid = 0;
        if (run->timed_out) {
                snprintf(detail, sizeof detail, "%.3g s", (double) run->timeout_usec / 1e6);
                fail(run, "ran longer than its time limit and was killed with its process group: ", detail);
        } else if (si->si_code == CLD_EXITED && si->si_status == 0)
                run->ok[run->i] = true;
        else if (si->si_code == CLD_EXITED) {
                snprintf(detail, sizeof detail, "%d", si->si_status);
                fail(run, "exited with status ", detail);
        } else {
                snprintf(detail, sizeof detail, "%s", strsignal(si->si_status));
                fail(run, "was killed by signal ", detail);
        }
        run->timed_out = false;
        run->i++;
        if ((!run->ok[run->i - 1] && run->stop_on_failure) || run->i >= run->n) {
                finish(run);
                return 0;
        }
        if (run_next(run) < 0)
                finish(run);
        return 0;
}

static int run_next(HookRun *run) {
        const char *path = run->hooks[run->i];
        pid_t pid;
        int r;

        pid = fork();
        if (pid < 0) {
                r = -errno;
                fail(run, "could not be started: ", strerror(-r));
                return r;
        }
        if (pid == 0) {
                sigset_t all;
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                sigfillset(&all);
                sigprocmask(SIG_UNBLOCK, &all, NULL);
                (void) setpgid(0, 0);
                if (null >= 0)
                        (void) dup2(null, STDIN_FILENO);
                (void) dup2(STDERR_FILENO, STDOUT_FILENO);
                execl(path, path, run->arg, (char *) NULL);
                fprintf(stderr, "stasis-writer-hooks: cannot run %s: %m\n", path);
                _exit(127);
        }
        (void) setpgid(pid, pid);       /* also here: no window before the child's own call */
        run->pid = pid;
        r = sd_event_add_child(run->event, &run->child, pid, WEXITED, on_child_exit, run);
        if (r >= 0)
                r = sd_event_add_time_relative(run->event, &run->timer, CLOCK_MONOTONIC, run->timeout_usec, 1000,
                                               on_timeout, run);
        if (r < 0) {
                (void) kill(-pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                run->pid = 0;
                run->child = sd_event_source_disable_unref(run->child);
                fail(run, "could not be watched: ", strerror(-r));
                return r;
        }
        return 0;
}

static int on_start(sd_event_source *s, void *userdata) {
        HookRun *run = userdata;

        run->defer = sd_event_source_disable_unref(run->defer);
        if (run->n == 0 || run_next(run) < 0)
                finish(run);
        return 0;
}

int hook_run_start(sd_event *event, char *const *hooks, size_t n, const char *arg, uint64_t timeout_usec,
                   bool stop_on_failure, hook_run_done_t done, void *userdata, HookRun **ret) {
        HookRun *run = calloc(1, sizeof(HookRun));
        int r;

        if (!run)
                return -ENOMEM;
        *run = (HookRun) { .event = event, .n = n, .timeout_usec = timeout_usec, .stop_on_failure = stop_on_failure,
                           .done = done, .userdata = userdata };
        run->hooks = calloc(n + 1, sizeof(char *));
        run->ok = calloc(n + 1, sizeof(bool));
        run->arg = strdup(arg);
        if (!run->hooks || !run->ok || !run->arg) {
                hook_run_free(run);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++)
                if (!(run->hooks[i] = strdup(hooks[i]))) {
                        hook_run_free(run);
                        return -ENOMEM;
                }
        /* Started from the loop: done is never called from within this call. */
        r = sd_event_add_defer(event, &run->defer, on_start, run);
        if (r < 0) {
                hook_run_free(run);
                return r;
        }
        *ret = run;
        return 0;
}

const bool *hook_run_progress(const HookRun *run, size_t *ret_n) {
        *ret_n = run->i;
        return run->ok;
}

HookRun *hook_run_free(HookRun *run) {
        if (!run)
                return NULL;
        if (run->pid > 0) {
                (void) kill(-run->pid, SIGKILL);
                (void) waitpid(run->pid, NULL, 0);
        }
        sd_event_source_disable_unref(run->child);
        sd_event_source_disable_unref(run->timer);
        sd_event_source_disable_unref(run->defer);
        strv_free(run->hooks);
        free(run->ok);
        free(run->arg);
        free(run);
        return NULL;
}
