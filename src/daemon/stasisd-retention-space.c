/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention-space.c - the free-space floor of a policy (MinFreePercent=), and a set's exclusive size */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "btrfs/btrfs-space.h"
#include "bus-errors.h"
#include "bus-util.h"
#include "log.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-clock.h"
#include "stasisd-retention-space.h"
#include "stasisd-retention.h"
#include "stasisd-set.h"
#include "stasisd-worker.h"
#include "strv.h"

/* A RunPolicy making room. */
typedef struct SpaceRun {
        Manager *manager;
        sd_bus_message *msg;
        char *policy;
        uid_t uid;
        space_proceed_t proceed;
        unsigned removed;
} SpaceRun;

static void space_run_free(SpaceRun *x) {
        if (!x)
                return;
        sd_bus_message_unref(x->msg);
        free(x->policy);
        free(x);
}

/* 1 if every file system of p's paths has the floor free; 0 with why (the
 * first that has not) if not; < 0 if one cannot be looked at. */
static int floor_met(const Policy *p, char *why, size_t size) {
        STRV_FOREACH(path, p->paths) {
                struct statvfs sv;
                if (statvfs(*path, &sv) < 0) {
                        snprintf(why, size, "cannot look at the free space of %s: %s", *path, strerror(errno));
                        return -errno;
                }
                if (sv.f_blocks == 0)
                        continue;
                unsigned percent = (unsigned) ((long double) sv.f_bavail * 100 / sv.f_blocks);
                if (percent < p->min_free_percent) {
                        snprintf(why, size, "the file system of %s has %u%% free, under the floor of "
                                 "MinFreePercent=%u", *path, percent, p->min_free_percent);
                        return 0;
                }
        }
        return 1;
}

static Set *oldest_removable(Manager *m, const char *policy) {
        char why[256];
        LIST_FOREACH(sets, s, m->sets)
                if (s->policy && streq(s->policy, policy) && !retention_set_in_use(s, why, sizeof why))
                        return s;
        return NULL;
}

static void space_step(SpaceRun *x);

static int worker_wait(int fd, void *userdata) {
        SpaceRun *x = userdata;
        const Policy *p = policies_find(x->manager->policies, x->policy);
        if (!p)
                return 0;
        STRV_FOREACH(path, p->paths) {
                _cleanup_close_ int d = open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (d >= 0)
                        (void) btrfs_wait_deleted(d);
        }
        return 0;
}

static void on_waited(Worker *w, int status, const void *data, size_t size, void *userdata) {
        SpaceRun *x = userdata;
        if (status < 0)
                log_warning_errno(status, "Policy %s: waiting for the room of the removed set failed: %m", x->policy);
        space_step(x);
}

static void on_removed(Manager *m, bool failed, void *userdata) {
        SpaceRun *x = userdata;
        int r;

        if (!m->policies_dir) {
                space_run_free(x);      /* stasisd is stopping */
                return;
        }
        x->removed++;
        /* Its room comes back once the file system has let the snapshot go. */
        r = worker_spawn(m->event, "space-wait", m->commit_timeout, worker_wait, x, on_waited, NULL);
        if (r < 0)
                space_step(x);
}

/* Answers the RunPolicy with error name and message. */
static void space_fail(SpaceRun *x, const char *name, const char *message) {
        _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
        (void) sd_bus_error_set(&e, name, message);
        log_error("%s.", e.message);
        (void) sd_bus_reply_method_error(x->msg, &e);
        space_run_free(x);
}

static void space_step(SpaceRun *x) {
        Manager *m = x->manager;
        const Policy *p = policies_find(m->policies, x->policy);
        char why[512], reason[640];
        int r;

        if (!p) {
                space_fail(x, STASIS_ERROR_INVALID_ARGUMENT, "The policy is gone");
                return;
        }
        r = floor_met(p, why, sizeof why);
        if (r < 0) {
                snprintf(reason, sizeof reason, "Policy %s: %s", x->policy, why);
                space_fail(x, SD_BUS_ERROR_FAILED, reason);
                return;
        }
        if (r > 0) {
                _cleanup_bus_error_ sd_bus_error e = SD_BUS_ERROR_NULL;
                if (x->removed > 0)
                        log_info("Policy %s: the floor of free space is met after removing %u set(s).", p->name,
                                 x->removed);
                r = x->proceed(m, x->msg, p, x->uid, &e);
                if (r < 0 && sd_bus_error_is_set(&e))
                        (void) sd_bus_reply_method_error(x->msg, &e);
                else if (r < 0)
                        (void) sd_bus_reply_method_errnof(x->msg, r, "Making the set of policy %s failed: %m", p->name);
                space_run_free(x);
                return;
        }
        Set *s = oldest_removable(m, p->name);
        if (!s) {
                snprintf(reason, sizeof reason, "Cannot make a set of policy %s: %s, and no set of the policy is "
                         "left that could be removed to make room", p->name, why);
                space_fail(x, STASIS_ERROR_NO_SPACE, reason);
                return;
        }
        snprintf(reason, sizeof reason, "policy %s: %s; the oldest set of the policy goes first", p->name, why);
        r = retention_remove_then(m, s, p->name, reason, on_removed, x);
        if (r < 0) {
                snprintf(why, sizeof why, "Policy %s: cannot remove set %s to make room: %s", p->name, s->id,
                         strerror(-r));
                space_fail(x, SD_BUS_ERROR_FAILED, why);
        }
}

int retention_space_make_room(Manager *m, sd_bus_message *msg, const Policy *p, uid_t uid, space_proceed_t proceed,
                              sd_bus_error *error) {
        char why[512];
        int r;

        if (p->min_free_percent == 0 || strv_isempty(p->paths))
                return proceed(m, msg, p, uid, error);
        r = floor_met(p, why, sizeof why);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Policy %s: %s", p->name, why);
        if (r > 0)
                return proceed(m, msg, p, uid, error);

        SpaceRun *x = calloc(1, sizeof(SpaceRun));
        if (!x)
                return -ENOMEM;
        *x = (SpaceRun) { .manager = m, .msg = sd_bus_message_ref(msg), .policy = strdup(p->name), .uid = uid,
                          .proceed = proceed };
        if (!x->policy) {
                space_run_free(x);
                return -ENOMEM;
        }
        log_info("Policy %s: %s; removing its oldest sets first.", p->name, why);
        space_step(x);
        return 1;
}

int method_set_exclusive_size(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        uint64_t total = 0;
        char why[512] = "";

        for (size_t i = 0; i < s->n_volumes && !why[0]; i++) {
                const StasisVolume *v = &s->volumes[i];
                uint64_t b;
                if (!v->provider || !streq(v->provider->name, "btrfs")) {
                        snprintf(why, sizeof why, "the snapshot of %s is not a btrfs one (provider %s)",
                                 strna(v->mount_point), v->provider ? v->provider->name : "unknown");
                        break;
                }
                _cleanup_close_ int fd = open(v->mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int r = fd < 0 ? -errno : btrfs_exclusive_bytes(fd, v->handle, &b);
                if (r == -ENODATA)
                        snprintf(why, sizeof why, "quotas are not enabled on %s, or need a rescan "
                                 "(btrfs quota enable %s)", v->mount_point, v->mount_point);
                else if (r < 0)
                        snprintf(why, sizeof why, "cannot read the quota of the snapshot of %s: %s",
                                 v->mount_point, strerror(-r));
                else
                        total += b;
        }
        return sd_bus_reply_method_return(msg, "ts", why[0] ? UINT64_MAX : total, why);
}
