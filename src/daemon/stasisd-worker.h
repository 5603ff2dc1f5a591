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

/* Watches a child started some other way (a spare, stasisd-spare.c) as
 * worker_spawn() does its own: pid is the caller's child, fd the read end of
 * its result, linger_fd the daemon's end of what the child waits on to exit
 * (worker_child_finish()). All are the Worker's from now on, also on failure (the child
 * is killed and reaped then). */
int worker_adopt(sd_event *e, const char *description, usec_t timeout, pid_t pid, int fd, int linger_fd,
                 worker_done_t done, void *userdata, Worker **ret);

/* In the child: makes result_fd fd 3 and linger_fd fd 4, and closes every
 * fd above. */
int worker_child_fds(int result_fd, int linger_fd);

/* In the child: ends its result with the mark of success when r is 0,
 * closes fd, waits for the daemon to close its end of linger_fd (once it
 * has acted on the result, or died; -1: no wait) and returns the exit
 * status to _exit() with. */
int worker_child_finish(int fd, int linger_fd, int r);

pid_t worker_pid(const Worker *w);

/* Called once the child has been reaped, after done: for a worker that
 * missed its deadline, the moment it can no longer change anything. */
typedef void (*worker_exited_t)(void *userdata);
void worker_set_exited_callback(Worker *w, worker_exited_t exited);
/* With NULL, done is not called any more either (its owner is gone). */
void worker_set_userdata(Worker *w, void *userdata);

/* Writes all of buf or fails; for use in the child. */
int worker_write_all(int fd, const void *buf, size_t size);
