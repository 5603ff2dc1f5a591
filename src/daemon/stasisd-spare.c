/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-spare.c - a commit worker started ahead, waiting for its job */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-spare.h"

/* In the spare: the result pipe and the job socket. */
#define SPARE_RESULT_FD 3
#define SPARE_JOB_FD 4
/* A job is sent in one non-blocking send(): at most this (a socket's
 * buffer holds more). A larger one is forked for as before. */
#define SPARE_JOB_SEND_MAX (64 * 1024)
/* The next spare is forked this long after one took its job: usually after
 * the set was answered and read (a create of an idle btrfs subvolume keeps
 * stasisd busy for about 2 ms). At once, the fork (~0.2 ms) held up the
 * worker, woken on stasisd's CPU, and competed with its snapshot and the
 * requestor's reads: CreateSet took 2.45 ms against 2.24 with this delay
 * (docs/benchmarks.md). */
#define SPARE_REFILL_DELAY_USEC (3 * USEC_PER_MSEC)
/* Spares in a row that failed before stasisd stops starting them. */
#define SPARE_FAILURES_MAX 3

struct Spare {
        SpareSlot *slot;
        pid_t pid;
        int job_fd;             /* stasisd's end of the job socket */
        int result_fd;          /* the read end of the result pipe */
        sd_event_source *child; /* while it waits */
};

static Spare *spare_free(Spare *s) {
        if (!s)
                return NULL;
        sd_event_source_disable_unref(s->child);
        safe_close(s->job_fd);
        safe_close(s->result_fd);
        free(s);
        return NULL;
}

static void spare_failed(SpareSlot *slot, const char *why) {
        if (++slot->failures < SPARE_FAILURES_MAX) {
                log_warning("A commit worker started ahead %s; the next set's worker is forked.", why);
                return;
        }
        slot->disabled = true;
        log_warning("A commit worker started ahead %s, %u times in a row: stasisd forks each commit worker "
                    "when it is needed from now on.", why, slot->failures);
}

static int on_spare_exit(sd_event_source *es, const siginfo_t *si, void *userdata) {
        Spare *s = userdata;
        SpareSlot *slot = s->slot;
        char why[96];

        assert(slot->spare == s);
        if (si->si_code == CLD_EXITED)
                snprintf(why, sizeof why, "(pid %d) exited with status %d while it waited", (int) s->pid,
                         si->si_status);
        else
                snprintf(why, sizeof why, "(pid %d) was killed by signal %d while it waited", (int) s->pid,
                         si->si_status);
        slot->spare = spare_free(s);
        spare_failed(slot, why);
        return 0;
}

static int spare_run(pid_t parent);

static int spare_spawn(SpareSlot *slot, sd_event *e) {
        int job[2] = { -EBADF, -EBADF }, res[2] = { -EBADF, -EBADF };
        pid_t parent = getpid(), pid;
        int r;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, job) < 0)
                return -errno;
        if (pipe2(res, O_CLOEXEC) < 0) {
                r = -errno;
                safe_close(job[0]);
                safe_close(job[1]);
                return r;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                safe_close(res[0]);
                safe_close(res[1]);
                safe_close(job[0]);
                safe_close(job[1]);
                return r;
        }
        if (pid == 0) {
                if (worker_child_fds(res[1], job[1]) < 0)
                        _exit(EXIT_FAILURE);
                _exit(spare_run(parent));
        }
        safe_close(res[1]);
        safe_close(job[1]);

        Spare *s = calloc(1, sizeof(Spare));
        if (!s) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                safe_close(res[0]);
                safe_close(job[0]);
                return -ENOMEM;
        }
        *s = (Spare) { .slot = slot, .pid = pid, .job_fd = job[0], .result_fd = res[0] };
        r = sd_event_add_child(e, &s->child, pid, WEXITED, on_spare_exit, s);
        if (r < 0) {
                (void) kill(pid, SIGKILL);
                (void) waitpid(pid, NULL, 0);
                spare_free(s);
                return r;
        }
        (void) sd_event_source_set_description(s->child, "commit-spare");
        slot->spare = s;
        return 0;
}

void spare_refill(SpareSlot *slot, sd_event *e) {
        assert(slot);
        assert(e);

        if (slot->spare || slot->disabled)
                return;
        int r = spare_spawn(slot, e);
        if (r < 0) {
                char why[96];
                snprintf(why, sizeof why, "could not be started (%s)", strerror(-r));
                spare_failed(slot, why);
        }
}

static int on_refill(sd_event_source *es, uint64_t usec, void *userdata) {
        SpareSlot *slot = userdata;
        sd_event *e = sd_event_source_get_event(es);
        slot->refill = sd_event_source_disable_unref(slot->refill);
        spare_refill(slot, e);
        return 0;
}

void spare_refill_soon(SpareSlot *slot, sd_event *e) {
        assert(slot);
        assert(e);

        if (slot->spare || slot->disabled || slot->refill)
                return;
        /* From now, not from when the loop woke up (sd_event_now()). */
        int r = sd_event_add_time(e, &slot->refill, CLOCK_MONOTONIC,
                                  now_usec(CLOCK_MONOTONIC) + SPARE_REFILL_DELAY_USEC, 1, on_refill, slot);
        if (r < 0)
                spare_refill(slot, e);
}

int spare_take(SpareSlot *slot, sd_event *e, const SpareJob *job, usec_t timeout, worker_done_t done,
               void *userdata, Worker **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        assert(slot);
        assert(job);

        if (!slot->spare)
                return -EAGAIN;
        r = spare_job_encode(job, &buf, &size);         /* -EINVAL when not for a spare */
        if (r == -E2BIG || (r >= 0 && size > SPARE_JOB_SEND_MAX))
                return -EINVAL;
        if (r < 0)
                return r;

        /* From here on the spare is this job's, or gone. */
        Spare *s = TAKE_PTR(slot->spare);
        s->child = sd_event_source_disable_unref(s->child);
        uint32_t size32 = (uint32_t) size;
        struct iovec iov[2] = { { &size32, sizeof size32 }, { buf, size } };
        struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
        ssize_t l = sendmsg(s->job_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (l != (ssize_t) (sizeof size32 + size)) {
                /* It died meanwhile (EPIPE). */
                char why[96];
                snprintf(why, sizeof why, "(pid %d) could not be given its job (%s)", (int) s->pid,
                         l < 0 ? strerror(errno) : "a short send");
                (void) kill(s->pid, SIGKILL);
                (void) waitpid(s->pid, NULL, 0);
                spare_free(s);
                spare_failed(slot, why);
                return -EAGAIN;
        }
        slot->failures = 0;
        pid_t pid = s->pid;
        int fd = TAKE_FD(s->result_fd), linger = TAKE_FD(s->job_fd);
        spare_free(s);
        return worker_adopt(e, job->description, timeout, pid, fd, linger, done, userdata, ret);
}

void spare_slot_done(SpareSlot *slot) {
        if (!slot)
                return;
        /* Its job socket closes: it reads no job and exits (and dies with stasisd anyway). */
        slot->spare = spare_free(slot->spare);
        slot->refill = sd_event_source_disable_unref(slot->refill);
}

/* ---- the spare ---- */

static int read_all(int fd, void *buf, size_t size, size_t *ret_got) {
        size_t got = 0;
        while (got < size) {
                ssize_t l = read(fd, (char *) buf + got, size - got);
                if (l < 0 && errno == EINTR)
                        continue;
                if (l < 0)
                        return -errno;
                if (l == 0)
                        break;
                got += (size_t) l;
        }
        *ret_got = got;
        return 0;
}

/* The job: its size (a uint32_t) and its bytes. A socket closed before
 * anything came is no job (size 0). */
static int read_job(int fd, char **ret, size_t *ret_size) {
        uint32_t size;
        size_t got;
        int r;

        r = read_all(fd, &size, sizeof size, &got);
        if (r < 0)
                return r;
        if (got == 0) {
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }
        if (got < sizeof size || size == 0 || size > SPARE_JOB_SIZE_MAX)
                return -EBADMSG;
        char *buf = malloc(size);
        if (!buf)
                return -ENOMEM;
        r = read_all(fd, buf, size, &got);
        if (r >= 0 && got < size)
                r = -EBADMSG;
        if (r < 0) {
                free(buf);
                return r;
        }
        *ret = buf;
        *ret_size = size;
        return 0;
}

static int spare_run(pid_t parent) {
        _cleanup_free_ char *buf = NULL;
        SpareJob job = {};
        sigset_t none;
        size_t size = 0;
        int r;

        /* Dies with the daemon; if the daemon is gone already, now. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                return EXIT_FAILURE;
        (void) prctl(PR_SET_NAME, (unsigned long) "commit-spare");
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);

        r = read_job(SPARE_JOB_FD, &buf, &size);
        if (r < 0) {
                log_error_errno(r, "A commit worker started ahead could not read its job: %m");
                return EXIT_FAILURE;
        }
        if (size == 0)
                return EXIT_SUCCESS;    /* not needed after all */
        r = spare_job_decode(buf, size, &job);
        if (r < 0) {
                log_error_errno(r, "A commit worker started ahead was given a job it cannot read: %m");
                return EXIT_FAILURE;
        }
        (void) prctl(PR_SET_NAME, (unsigned long) job.description);
        CommitJob cj = {
                .volumes = job.volumes,
                .n_volumes = job.n_volumes,
                .commit_timeout = job.commit_timeout,
        };
        /* The job socket is what it waits on to exit, as a forked worker's linger pipe. */
        r = worker_child_finish(SPARE_RESULT_FD, SPARE_JOB_FD, commit_run(SPARE_RESULT_FD, &cj));
        spare_job_done(&job);
        return r;
}
