/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-worker.c - short-lived forked workers with a deadline and a size-checked result */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "stasisd-worker.h"

struct Worker {
        char *description;
        pid_t pid;
        int fd;
        int linger_fd;                  /* the child exits when it closes: once done has run */
        sd_event_source *io, *child, *timer;
        char *buf;
        size_t size;
        bool overflow, eof, exited, done_called;
        int exit_status;                /* 0 ok, -ECHILD otherwise */
        worker_done_t done;
        worker_exited_t exited_cb;
        void *userdata;
};

static void worker_free(Worker *w) {
        sd_event_source_disable_unref(w->io);
        sd_event_source_disable_unref(w->child);
        sd_event_source_disable_unref(w->timer);
        safe_close(w->fd);
        safe_close(w->linger_fd);
        free(w->buf);
        free(w->description);
        free(w);
}

/* What a child writes after its result when its function succeeded, and then
 * closes its end: the parent need not wait for the child to be torn down
 * (a copy of the daemon's address space, some 0.2 ms) to act on the result. */
static const char worker_trailer[16] = "\0stasis-worker\n";

/* At the end of file before the child was reaped: a result that ends with
 * the trailer is complete and the function returned 0. */
static bool take_trailer(Worker *w) {
        if (w->overflow || w->size < sizeof worker_trailer ||
            memcmp(w->buf + w->size - sizeof worker_trailer, worker_trailer, sizeof worker_trailer) != 0)
                return false;
        w->size -= sizeof worker_trailer;
        return true;
}

static void worker_maybe_finish(Worker *w) {
        if (!w->done_called && !w->exited && w->eof && take_trailer(w)) {
                w->done_called = true;
                w->done(w, 0, w->buf, w->size, w->userdata);
        }
        if (!w->done_called && w->exited && w->eof) {
                int status = w->overflow ? -EMSGSIZE : w->exit_status;
                w->done_called = true;
                w->done(w, status, w->buf, w->size, w->userdata);
        }
        if (w->done_called)
                w->linger_fd = safe_close(w->linger_fd);
        if (w->done_called && w->exited) {
                if (w->exited_cb)
                        w->exited_cb(w->userdata);
                worker_free(w);
        }
}

void worker_set_exited_callback(Worker *w, worker_exited_t exited) {
        w->exited_cb = exited;
}

void worker_set_userdata(Worker *w, void *userdata) {
        w->userdata = userdata;
        if (!userdata) {
                w->done_called = true;       /* nobody to tell any more */
                w->linger_fd = safe_close(w->linger_fd);
        }
}

static int drain(Worker *w) {
        for (;;) {
                char tmp[16384];
                ssize_t l = read(w->fd, tmp, sizeof tmp);
                if (l < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        w->eof = true;
                        return -errno;
                }
                if (l == 0) {
                        w->eof = true;
                        w->io = sd_event_source_disable_unref(w->io);
                        return 0;
                }
                if (w->size + (size_t) l > WORKER_RESULT_MAX) {
                        w->overflow = true;
                        continue;       /* keep reading so the child is never stuck on a full pipe */
                }
                char *n = realloc(w->buf, w->size + (size_t) l);
                if (!n)
                        return -ENOMEM;
                memcpy(n + w->size, tmp, (size_t) l);
                w->buf = n;
                w->size += (size_t) l;
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Worker *w = userdata;
        int r = drain(w);
        if (r < 0) {
                log_error_errno(r, "Failed to read the result of worker %s: %m", w->description);
                w->overflow = true;
                w->eof = true;
        }
        worker_maybe_finish(w);
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        Worker *w = userdata;

        w->exited = true;
        if (si->si_code == CLD_EXITED && si->si_status == 0)
                w->exit_status = 0;
        else {
                w->exit_status = -ECHILD;
                if (si->si_code == CLD_EXITED)
                        log_debug("Worker %s exited with status %d.", w->description, si->si_status);
                else if (!w->done_called)
                        log_warning("Worker %s was killed by signal %d.", w->description, si->si_status);
        }
        if (!w->eof) {
                (void) drain(w);
                w->eof = true;  /* the writer end is closed: the child is gone */
        }
        if (!w->done_called && w->exit_status == 0)
                (void) take_trailer(w);
        worker_maybe_finish(w);
        return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        Worker *w = userdata;

        if (w->done_called)
                return 0;
        log_warning("Worker %s (pid %d) missed its deadline; killing it.", w->description, (int) w->pid);
        (void) kill(w->pid, SIGKILL);
        w->done_called = true;
        w->linger_fd = safe_close(w->linger_fd);
        w->io = sd_event_source_disable_unref(w->io);
        w->done(w, -ETIMEDOUT, NULL, 0, w->userdata);
        /* Freed once the child source reaps it (a child stuck in the kernel may take a while). */
        return 0;
}

int worker_write_all(int fd, const void *buf, size_t size) {
        const char *p = buf;
        while (size > 0) {
                ssize_t l = write(fd, p, size);
                if (l < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += l;
                size -= (size_t) l;
        }
        return 0;
}

pid_t worker_pid(const Worker *w) {
        return w->pid;
}

int worker_child_fds(int result_fd, int linger_fd) {
        /* Out of the way first: either may be 3 or 4 already. */
        int a = fcntl(result_fd, F_DUPFD, 5), b = fcntl(linger_fd, F_DUPFD, 5);
        if (a < 0 || b < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0)
                return -errno;
        if (close_range(5, ~0U, 0) < 0)
                return -errno;
        return 0;
}

int worker_child_finish(int fd, int linger_fd, int r) {
        if (r == 0 && worker_write_all(fd, worker_trailer, sizeof worker_trailer) < 0)
                r = -EIO;
        (void) close(fd);
        /* Exit only once the daemon has acted on the result: the daemon,
         * woken by it, may have been put on this CPU (a pipe's wake-up says
         * the writer sleeps next), and the exit, which tears this process's
         * address space down (~0.1 ms), would run first. Its end of
         * linger_fd closes when it is done, or when it dies. */
        for (char c; linger_fd >= 0;) {
                ssize_t l = read(linger_fd, &c, sizeof c);
                if (l == 0 || (l < 0 && errno != EINTR))
                        break;
        }
        return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static Worker *worker_new(const char *description, worker_done_t done, void *userdata) {
        Worker *w = calloc(1, sizeof(Worker));
        if (!w)
                return NULL;
        w->fd = -1;
        w->linger_fd = -1;
        w->done = done;
        w->userdata = userdata;
        w->description = strdup(description);
        if (!w->description) {
                worker_free(w);
                return NULL;
        }
        return w;
}

/* Watches w's child (w->pid, its result on w->fd) until it is reaped, with
 * its deadline. On failure the child is killed and reaped, and w freed. */
static int worker_watch(Worker *w, sd_event *e, usec_t timeout, Worker **ret) {
        int r;

        (void) fcntl(w->fd, F_SETFL, O_NONBLOCK);
        r = sd_event_add_io(e, &w->io, w->fd, EPOLLIN, on_io, w);
        if (r >= 0)
                r = sd_event_add_child(e, &w->child, w->pid, WEXITED, on_child, w);
        if (r >= 0)
                r = sd_event_add_time_relative(e, &w->timer, CLOCK_MONOTONIC, timeout, 0, on_timeout, w);
        if (r < 0) {
                (void) kill(w->pid, SIGKILL);
                (void) waitpid(w->pid, NULL, 0);
                worker_free(w);
                return r;
        }
        (void) sd_event_source_set_description(w->child, w->description);

        if (ret)
                *ret = w;
        return 0;
}

int worker_adopt(sd_event *e, const char *description, usec_t timeout, pid_t pid, int fd, int linger_fd,
                 worker_done_t done, void *userdata, Worker **ret) {
        Worker *w = worker_new(description, done, userdata);
        if (!w) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                safe_close(fd);
                safe_close(linger_fd);
                return -ENOMEM;
        }
        w->pid = pid;
        w->fd = fd;
        w->linger_fd = linger_fd;
        return worker_watch(w, e, timeout, ret);
}

int worker_spawn(sd_event *e, const char *description, usec_t timeout,
                 worker_fn_t fn, void *userdata, worker_done_t done, Worker **ret) {
        int pipefd[2], linger[2];
        pid_t parent = getpid();
        int r;

        Worker *w = worker_new(description, done, userdata);
        if (!w)
                return -ENOMEM;

        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                r = -errno;
                worker_free(w);
                return r;
        }
        if (pipe2(linger, O_CLOEXEC) < 0) {
                r = -errno;
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                worker_free(w);
                return r;
        }

        w->pid = fork();
        if (w->pid < 0) {
                r = -errno;
                safe_close(pipefd[0]);
                safe_close(pipefd[1]);
                safe_close(linger[0]);
                safe_close(linger[1]);
                worker_free(w);
                return r;
        }
        if (w->pid == 0) {
                sigset_t all;
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                /* What it does, for ps and top (cut to 15 bytes). */
                (void) prctl(PR_SET_NAME, (unsigned long) description);
                if (getppid() != parent)
                        _exit(EXIT_FAILURE);
                /* Keep only stdio, the result pipe (as fd 3) and the read end of
                 * linger (as fd 4): the bus socket, the catalog and the event
                 * loop stay the daemon's alone, so a worker stuck in the kernel
                 * cannot keep the daemon's bus connection alive after the
                 * daemon died. */
                if (worker_child_fds(pipefd[1], linger[0]) < 0)
                        _exit(EXIT_FAILURE);
                sigemptyset(&all);
                (void) sigprocmask(SIG_SETMASK, &all, NULL);
                _exit(worker_child_finish(3, 4, fn(3, userdata)));
        }

        safe_close(pipefd[1]);
        safe_close(linger[0]);
        w->fd = pipefd[0];
        w->linger_fd = linger[1];
        return worker_watch(w, e, timeout, ret);
}
