/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-worker.h - short-lived forked workers with a deadline and a size-checked result */
#pragma once

#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "time-util.h"

#define WORKER_RESULT_MAX (256 * 1024)

typedef struct Worker Worker;

/* Runs in the child: write the result to fd, return the exit status (0 = ok). */
typedef int (*worker_fn_t)(int fd, void *userdata);

/* Called once in the parent: status 0 with the child's result, -ETIMEDOUT when
 * the deadline passed (the child has been sent SIGKILL), -ECHILD when the
 * child died by a signal or exited non-zero, -EMSGSIZE for an oversized result. */
typedef void (*worker_done_t)(Worker *w, int status, const void *data, size_t size, void *userdata);

/* Forks a worker. The child dies with the daemon (PR_SET_PDEATHSIG). The
 * Worker frees itself after done has run and the child is reaped; callers
 * must not keep a pointer past done. */
int worker_spawn(sd_event *e, const char *description, usec_t timeout,
                 worker_fn_t fn, void *userdata, worker_done_t done, Worker **ret);

pid_t worker_pid(const Worker *w);

/* Called once the child has been reaped, after done: for a worker that
 * missed its deadline, the moment it can no longer change anything. */
typedef void (*worker_exited_t)(void *userdata);
void worker_set_exited_callback(Worker *w, worker_exited_t exited);
/* With NULL, done is not called any more either (its owner is gone). */
void worker_set_userdata(Worker *w, void *userdata);

/* Writes all of buf or fails; for use in the child. */
int worker_write_all(int fd, const void *buf, size_t size);
