/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hooks-run.h - running hook scripts one after the other with an argument, each with a time limit */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

typedef struct HookRun HookRun;

/* The run is over: ok[i] says whether hook i (in the order run) succeeded;
 * n_run of them ran (fewer than asked when stop_on_failure stopped it);
 * failure describes the first failure ("" if none). */
typedef void (*hook_run_done_t)(HookRun *run, const bool *ok, size_t n_run, const char *failure, void *userdata);

/* Runs each of hooks (n, in that order) as "HOOK arg", its stdout and
 * stderr on ours, in a process group of its own that is killed (SIGKILL)
 * when it runs longer than timeout_usec. done is called from the loop once
 * all ran or, with stop_on_failure, after the first that failed. */
int hook_run_start(sd_event *event, char *const *hooks, size_t n, const char *arg, uint64_t timeout_usec,
                   bool stop_on_failure, hook_run_done_t done, void *userdata, HookRun **ret);
/* How far it got: ok[i] for the n hooks that ended so far. */
const bool *hook_run_progress(const HookRun *run, size_t *ret_n);
/* Kills what runs and frees the run without calling done. Accepts NULL. */
HookRun *hook_run_free(HookRun *run);
