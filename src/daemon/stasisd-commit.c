/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-commit.c - the worker's side of a set: hold, commit, thaw; remove */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fd-util.h"
#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-rcu.h"
#include "stasisd-worker.h"

#define VOLUMES_MAX 64

/* Commits the volumes selected by want(), one provider at a time. */
static int commit_groups(StasisVolume * const *v, size_t n, bool *done, bool (*want)(const StasisVolume *),
                         usec_t timeout, int abort_fd, StasisProviderResult *res) {
        StasisVolume *group[VOLUMES_MAX];
        size_t index[VOLUMES_MAX];

        for (size_t i = 0; i < n; i++) {
                if (done[i] || !want(v[i]))
                        continue;
                size_t k = 0;
                for (size_t j = i; j < n; j++)
                        if (!done[j] && want(v[j]) && v[j]->provider == v[i]->provider) {
                                group[k] = v[j];
                                index[k++] = j;
                        }
                StasisProviderResult gres[VOLUMES_MAX] = {};
                int r = v[i]->provider->commit(v[i]->provider, group, k, timeout, abort_fd, gres);
                for (size_t j = 0; j < k; j++) {
                        res[index[j]] = gres[j];
                        done[index[j]] = true;
                        if (r < 0 && res[index[j]].error == 0)
                                res[index[j]].error = r;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool is_held(const StasisVolume *v) {
        return v->hold == STASIS_HOLD_FREEZE;
}

static bool is_not_held(const StasisVolume *v) {
        return v->hold != STASIS_HOLD_FREEZE;
}

/* The worker's abort signal: readable when the hold time is up or the daemon
 * died (PR_SET_PDEATHSIG sends SIGTERM). One epoll fd for both. */
typedef struct Abort {
        int epoll, timer, signal;
} Abort;

static int abort_open(Abort *a) {
        sigset_t mask;

        *a = (Abort) { -1, -1, -1 };
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        a->signal = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        a->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        a->epoll = epoll_create1(EPOLL_CLOEXEC);
        if (a->signal < 0 || a->timer < 0 || a->epoll < 0)
                return -errno;
        struct epoll_event ev = { .events = EPOLLIN };
        if (epoll_ctl(a->epoll, EPOLL_CTL_ADD, a->signal, &ev) < 0 ||
            epoll_ctl(a->epoll, EPOLL_CTL_ADD, a->timer, &ev) < 0)
                return -errno;
        /* From now on the daemon's death wakes us instead of killing us. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
                return -errno;
        if (getppid() == 1)
                return -ESRCH;
        return 0;
}

static void abort_close(Abort *a) {
        safe_close(a->epoll);
        safe_close(a->timer);
        safe_close(a->signal);
}

static int arm_deadline(Abort *a, usec_t timeout) {
        struct itimerspec its = {
                .it_value.tv_sec = (time_t) (timeout / USEC_PER_SEC),
                .it_value.tv_nsec = (long) (timeout % USEC_PER_SEC) * 1000,
        };
        return timerfd_settime(a->timer, 0, &its, NULL) < 0 ? -errno : 0;
}

/* After a failure: removes what was made; failures keep their reason. */
typedef struct FreezeThread {
        int fd;
        int error;
} FreezeThread;

static void *freeze_thread(void *userdata) {
        FreezeThread *f = userdata;
        f->error = ioctl(f->fd, FIFREEZE, 0) < 0 ? -errno : 0;
        return NULL;
}

/* Freezes the targets in waves: a wave is every target not yet frozen that no
 * unfrozen target lies on (stacked file systems before the ones holding their
 * images). The file systems of a wave are independent and are frozen at
 * once, a thread each: FIFREEZE mostly waits (for RCU grace periods), so N
 * file systems take about as long as one. */
static int freeze_all(const CommitJob *job, const int *tfd, bool *is_frozen, size_t *n_frozen,
                      StasisProviderResult *res) {
        size_t n = job->n_targets;

        while (*n_frozen < n) {
                FreezeThread f[VOLUMES_MAX];
                pthread_t t[VOLUMES_MAX];
                bool started[VOLUMES_MAX] = {};
                size_t wave[VOLUMES_MAX], k = 0;

                for (size_t i = 0; i < n; i++) {
                        bool blocked = is_frozen[i];
                        for (size_t j = 0; j < n && !blocked; j++)
                                blocked = !is_frozen[j] && j != i && job->targets[j].lower == (ssize_t) i;
                        if (!blocked)
                                wave[k++] = i;
                }
                if (k == 0)
                        return stasis_provider_result_set(&res[0], -ELOOP, "the file systems to freeze lie on each other");

                for (size_t w = 0; w < k; w++) {
                        f[w] = (FreezeThread) { .fd = tfd[wave[w]] };
                        if (w > 0)
                                started[w] = pthread_create(&t[w], NULL, freeze_thread, &f[w]) == 0;
                }
                freeze_thread(&f[0]);
                for (size_t w = 1; w < k; w++) {
                        if (started[w])
                                (void) pthread_join(t[w], NULL);
                        else
                                freeze_thread(&f[w]);
                }

                int r = 0;
                for (size_t w = 0; w < k; w++) {
                        if (f[w].error == 0) {
                                is_frozen[wave[w]] = true;
                                (*n_frozen)++;
                        } else if (r == 0) {
                                r = f[w].error;
                                stasis_provider_result_set(&res[0], r, "cannot freeze %s: %s",
                                                job->targets[wave[w]].mount_point,
                                                r == -EBUSY ? "it is already frozen (by someone else?)" : strerror(-r));
                        }
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A provider stopped through the abort fd: say why, in place of "stopped". */
static void explain_abort(Abort *a, usec_t hold_timeout, StasisVolume * const *v, size_t n, StasisProviderResult *res) {
        uint64_t expirations;
        struct signalfd_siginfo si;
        const char *why = NULL;
        int error = 0;

        if (read(a->timer, &expirations, sizeof expirations) == sizeof expirations) {
                why = "the hold window ended";
                error = -ETIMEDOUT;
        } else if (read(a->signal, &si, sizeof si) == sizeof si) {
                why = "stasisd went away";
                error = -ESHUTDOWN;
        }
        if (!why)
                return;
        for (size_t i = 0; i < n; i++)
                if (res[i].error == -ECANCELED || res[i].error == -ETIMEDOUT) {
                        stasis_provider_result_set(&res[i], error,
                                        "%s before provider %s finished its commit (hold time limit %g s); it was killed",
                                        why, v[i]->provider->name, (double) hold_timeout / USEC_PER_SEC);
                        break;
                }
}

static void remove_made(StasisVolume * const *v, size_t n, StasisProviderResult *res, const bool *done) {
        for (size_t i = 0; i < n; i++) {
                if (res[i].error < 0) {
                        /* A provider stopped in its commit could not clean up
                         * after itself: ask it to remove (absent is success). */
                        if (done[i] && (res[i].error == -ETIMEDOUT || res[i].error == -ESHUTDOWN ||
                                        res[i].error == -ECANCELED)) {
                                StasisProviderResult ignored = {};
                                (void) v[i]->provider->remove(v[i]->provider, v[i], &ignored);
                        }
                        continue;
                }
                if (!done[i])
                        stasis_provider_result_set(&res[i], -ECANCELED, "not attempted: another volume of the set failed");
                else if (res[i].error == 0) {
                        StasisProviderResult ignored = {};
                        (void) v[i]->provider->remove(v[i]->provider, v[i], &ignored);
                        stasis_provider_result_set(&res[i], -ECANCELED, "rolled back: another volume of the set failed");
                }
        }
}

/* Each volume's mount is still the one resolved: checked right before the
 * freeze and before the snapshots (the providers check their sources). */
static int check_volumes(StasisVolume * const *v, size_t n, StasisProviderResult *res) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_close_ int fd = -1;
                if (!file_identity_is_set(&v[i]->mount_identity))
                        continue;
                int r = open_dir_checked(v[i]->mount_point, O_PATH, &v[i]->mount_identity, &fd);
                if (r < 0)
                        return stasis_provider_result_set(&res[i], r, "%s changed after the set was planned (%s)",
                                                          v[i]->mount_point, identity_error_reason(r));
        }
        return 0;
}

int commit_run(int fd, const CommitJob *job) {
        StasisVolume *v[VOLUMES_MAX];
        StasisProviderResult res[VOLUMES_MAX] = {};
        bool done[VOLUMES_MAX] = {};
        int tfd[VOLUMES_MAX];
        bool is_frozen[VOLUMES_MAX] = {};
        CommitHeader h = {};
        size_t n = MIN(job->n_volumes, (size_t) VOLUMES_MAX), frozen = 0;
        Abort a = { -1, -1, -1 };
        usec_t t_freeze = 0;
        int r = 0;

        for (size_t i = 0; i < n; i++)
                v[i] = &job->volumes[i];
        for (size_t i = 0; i < VOLUMES_MAX; i++)
                tfd[i] = -1;

        if (job->n_targets > 0) {
                /* Everything that can fail or write comes before the first FIFREEZE. */
                r = abort_open(&a);
                if (r < 0) {
                        stasis_provider_result_set(&res[0], r, "cannot set up the hold: %s", strerror(-r));
                        goto fail;
                }
                r = check_volumes(v, n, res);
                if (r < 0)
                        goto fail;
                /* Freeze exactly the mounts planned, or nothing. */
                for (size_t i = 0; i < job->n_targets; i++) {
                        r = freeze_target_open(&job->targets[i], &tfd[i]);
                        if (r < 0) {
                                stasis_provider_result_set(&res[0], r, "%s changed after the set was planned (%s); "
                                                           "not freezing it", job->targets[i].mount_point,
                                                           identity_error_reason(r));
                                goto fail;
                        }
                }
                bool expedite = job->expedite_freeze && rcu_expedited_get() == 0;
                r = freeze_journal_write(job->state_dir, job->targets, job->n_targets, expedite);
                if (r < 0) {
                        stasis_provider_result_set(&res[0], r, "cannot write the freeze journal in %s: %s",
                                                   job->state_dir, strerror(-r));
                        goto fail;
                }

                /* Providers that can start ahead do, so only their work falls in the window. */
                for (size_t i = 0; i < n; i++) {
                        bool first = true;
                        for (size_t j = 0; j < i && first; j++)
                                first = v[j]->provider != v[i]->provider || !is_held(v[j]);
                        if (first && is_held(v[i]) && v[i]->provider->prestart)
                                (void) v[i]->provider->prestart(v[i]->provider);
                }

                /* Let the system settle first: right after processes start or
                 * exit (this worker, the providers just started), the kernel's
                 * FIFREEZE takes several ms longer (its RCU grace periods
                 * stretch), and the file systems are held for all of it. A
                 * pause here costs the requestor time, not the applications. */
                if (job->freeze_settle > 0) {
                        struct timespec ts = {
                                .tv_sec = (time_t) (job->freeze_settle / USEC_PER_SEC),
                                .tv_nsec = (long) (job->freeze_settle % USEC_PER_SEC) * 1000,
                        };
                        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                                ;
                }
                /* FIFREEZE mostly waits for RCU grace periods: expedited, they
                 * take a fraction of the time, and the applications wait less. */
                int rcu_old = expedite ? rcu_expedite_begin() : -EOPNOTSUPP;
                /* The hold window: no writes to any file system from here to the thaw. */
                t_freeze = now_usec(CLOCK_MONOTONIC);
                r = arm_deadline(&a, job->hold_timeout);
                if (r >= 0)
                        r = freeze_all(job, tfd, is_frozen, &frozen, res);
                rcu_expedite_end(rcu_old);
                if (r >= 0) {
                        usec_t left = job->hold_timeout - MIN(job->hold_timeout, now_usec(CLOCK_MONOTONIC) - t_freeze);
                        r = commit_groups(v, n, done, is_held, left, a.epoll, res);
                        if (r < 0)
                                explain_abort(&a, job->hold_timeout, v, n, res);
                }
                /* Only what we froze: never thaw someone else's freeze. */
                for (size_t i = job->n_targets; i > 0; i--)
                        if (is_frozen[i - 1])
                                (void) freeze_thaw_fd(tfd[i - 1]);
                h.hold_usec = now_usec(CLOCK_MONOTONIC) - t_freeze;
                /* End of the hold window. */
                (void) freeze_journal_remove(job->state_dir, false);
                if (r < 0)
                        goto fail;
        }

        r = check_volumes(v, n, res);
        if (r >= 0)
                r = commit_groups(v, n, done, is_not_held, job->commit_timeout, -1, res);
        if (r < 0)
                goto fail;
        goto finish;

fail:
        /* A failure of the hold itself may not have named a volume yet. */
        if (n > 0) {
                bool named = false;
                for (size_t i = 0; i < n && !named; i++)
                        named = res[i].error < 0 && res[i].error != -ECANCELED;
                if (!named)
                        stasis_provider_result_set(&res[0], r < 0 ? r : -EIO, "%s", strerror(r < 0 ? -r : EIO));
        }
        remove_made(v, n, res, done);
finish:
        for (size_t i = 0; i < VOLUMES_MAX; i++)
                safe_close(tfd[i]);
        abort_close(&a);
        r = worker_write_all(fd, &h, sizeof h);
        if (r >= 0)
                r = worker_write_all(fd, res, sizeof(StasisProviderResult) * n);
        return r;
}

int remove_run(int fd, StasisVolume *volumes, size_t n) {
        StasisProviderResult res[VOLUMES_MAX] = {};

        n = MIN(n, (size_t) VOLUMES_MAX);
        for (size_t i = 0; i < n; i++) {
                StasisVolume *v = &volumes[i];
                if (!v->provider)
                        stasis_provider_result_set(&res[i], -EOPNOTSUPP,
                                        "no provider in this build can remove %s", v->handle);
                else
                        (void) v->provider->remove(v->provider, v, &res[i]);
        }
        return worker_write_all(fd, res, sizeof(StasisProviderResult) * n);
}
