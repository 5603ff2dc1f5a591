/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-freeze.c - which file systems to FIFREEZE for a set, in which order, and the freeze journal */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "stasisd-freeze.h"
#include "stasisd-rcu.h"

void freeze_targets_free(FreezeTarget *t, size_t n) {
        for (size_t i = 0; t && i < n; i++)
                free(t[i].mount_point);
        free(t);
}

int freeze_order(const ssize_t *lower, size_t n, size_t *ret_order) {
        bool *placed = calloc(n ? n : 1, sizeof(bool));
        size_t k = 0;

        if (!placed)
                return -ENOMEM;
        /* Repeatedly place a target that no unplaced target lies on. */
        while (k < n) {
                bool progress = false;
                for (size_t i = 0; i < n; i++) {
                        if (placed[i])
                                continue;
                        bool held_up = false;
                        for (size_t j = 0; j < n && !held_up; j++)
                                held_up = !placed[j] && j != i && lower[j] == (ssize_t) i;
                        if (held_up)
                                continue;
                        placed[i] = true;
                        ret_order[k++] = i;
                        progress = true;
                }
                if (!progress) {
                        free(placed);
                        return -ELOOP;
                }
        }
        free(placed);
        return 0;
}

/* The backing file of a loop device ("/dev/loop3"), or NULL. */
static char *loop_backing_file(const char *device) {
        const char *name = startswith(device, "/dev/");
        char path[256], buf[4096];
        FILE *f;

        if (!name || !startswith(name, "loop"))
                return NULL;
        snprintf(path, sizeof path, "/sys/block/%s/loop/backing_file", name);
        f = fopen(path, "re");
        if (!f)
                return NULL;
        if (!fgets(buf, sizeof buf, f)) {
                fclose(f);
                return NULL;
        }
        fclose(f);
        buf[strcspn(buf, "\n")] = 0;
        return strdup(buf);
}

int freeze_plan(const StasisVolume *volumes, size_t n_volumes, FreezeTarget **ret, size_t *ret_n,
                ssize_t *ret_volume_target, char *err, size_t err_size) {
        FreezeTarget *t = calloc(n_volumes ? n_volumes : 1, sizeof(FreezeTarget));
        char **backing = calloc(n_volumes ? n_volumes : 1, sizeof(char *));
        ssize_t *lower = NULL;
        size_t n = 0, *order = NULL;
        int r = 0;

        if (!t || !backing) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n_volumes; i++) {
                const StasisVolume *v = &volumes[i];
                struct stat st;

                ret_volume_target[i] = -1;
                if (v->hold != STASIS_HOLD_FREEZE)
                        continue;
                if (file_identity_is_set(&v->mount_identity))
                        st.st_dev = v->mount_identity.dev;      /* as resolved, not as it may be now */
                else if (stat(v->mount_point, &st) < 0) {
                        r = -errno;
                        snprintf(err, err_size, "cannot look at %s: %s", v->mount_point, strerror(-r));
                        goto finish;
                }
                /* Bind mounts and duplicate mounts of one file system: one target. */
                size_t j;
                for (j = 0; j < n && t[j].dev != st.st_dev; j++)
                        ;
                if (j == n) {
                        t[n].mount_point = strdup(v->mount_point);
                        t[n].dev = st.st_dev;
                        t[n].identity = v->mount_identity;
                        t[n].lower = -1;
                        backing[n] = loop_backing_file(v->device);
                        if (!t[n].mount_point) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        n++;
                }
                ret_volume_target[i] = (ssize_t) j;
        }

        /* A file system on a loop device whose image lies on another target's
         * file system must be frozen first (it writes its journal there). */
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                if (!backing[i] || stat(backing[i], &st) < 0)
                        continue;
                for (size_t j = 0; j < n; j++)
                        if (j != i && t[j].dev == st.st_dev)
                                t[i].lower = (ssize_t) j;
        }

        lower = calloc(n ? n : 1, sizeof(ssize_t));
        order = calloc(n ? n : 1, sizeof(size_t));
        if (!lower || !order) {
                r = -ENOMEM;
                goto finish;
        }
        for (size_t i = 0; i < n; i++)
                lower[i] = t[i].lower;
        r = freeze_order(lower, n, order);
        if (r < 0) {
                snprintf(err, err_size, "the loop images of the file systems to freeze lie on each other in a cycle");
                goto finish;
        }

        /* Rearrange into freeze order and renumber the links. */
        FreezeTarget *sorted = calloc(n ? n : 1, sizeof(FreezeTarget));
        ssize_t *new_index = calloc(n ? n : 1, sizeof(ssize_t));
        if (!sorted || !new_index) {
                free(sorted);
                free(new_index);
                r = -ENOMEM;
                goto finish;
        }
        for (size_t k = 0; k < n; k++)
                new_index[order[k]] = (ssize_t) k;
        for (size_t k = 0; k < n; k++) {
                sorted[k] = t[order[k]];
                if (sorted[k].lower >= 0)
                        sorted[k].lower = new_index[sorted[k].lower];
        }
        for (size_t i = 0; i < n_volumes; i++)
                if (ret_volume_target[i] >= 0)
                        ret_volume_target[i] = new_index[ret_volume_target[i]];
        free(new_index);
        free(t);
        t = sorted;

        *ret = TAKE_PTR(t);
        *ret_n = n;
        n = 0;
finish:
        for (size_t i = 0; backing && i < n_volumes; i++)
                free(backing[i]);
        free(backing);
        free(lower);
        free(order);
        freeze_targets_free(t, n);
        return r;
}

int freeze_target_open(const FreezeTarget *t, int *ret_fd) {
        _cleanup_close_ int fd = -1;
        struct stat st;
        int r;

        r = open_dir_checked(t->mount_point, O_RDONLY, &t->identity, &fd);
        if (r < 0)
                return r;
        /* The file system planned, whatever the path says now. */
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_dev != t->dev)
                return -ESTALE;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int freeze_thaw_fd(int fd) {
        if (ioctl(fd, FITHAW, 0) < 0) {
                if (errno == EINVAL)        /* not frozen */
                        return 0;
                return -errno;
        }
        return 1;
}

/* The journal's last line when the worker expedites RCU grace periods. */
#define JOURNAL_RCU_LINE "rcu_expedited 0"

static char *journal_path(const char *state_dir) {
        char *p;
        if (asprintf(&p, "%s/" FREEZE_JOURNAL_NAME, state_dir) < 0)
                return NULL;
        return p;
}

int freeze_journal_write(const char *state_dir, const FreezeTarget *t, size_t n, bool rcu_restore) {
        _cleanup_free_ char *path = journal_path(state_dir), *tmp = NULL;
        _cleanup_close_ int fd = -1;
        int r = 0;

        if (!path || asprintf(&tmp, "%s.tmp", path) < 0)
                return -ENOMEM;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        for (size_t i = 0; i < n && r == 0; i++)
                if (dprintf(fd, "%u:%u %s\n", major(t[i].dev), minor(t[i].dev), t[i].mount_point) < 0)
                        r = -EIO;
        if (r == 0 && rcu_restore && dprintf(fd, JOURNAL_RCU_LINE "\n") < 0)
                r = -EIO;
        /* No fsync: a freeze does not outlive a reboot, so the journal only has
         * to outlive stasisd, and the page cache does that. (Syncing here also
         * made the FIFREEZE that follows measurably slower.) */
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlink(tmp);
                return r;
        }
        return 0;
}

/* Turns expedited RCU grace periods off if the journal at path says a worker
 * turned them on. */
static void journal_restore_rcu(const char *path) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;

        while (f && getline(&line, &cap, f) > 0)
                if (streq(line, JOURNAL_RCU_LINE "\n")) {
                        rcu_expedite_end(0);
                        log_info("Turned expedited RCU grace periods off again, as the hold's worker did not.");
                        return;
                }
}

int freeze_journal_remove(const char *state_dir, bool restore_rcu) {
        _cleanup_free_ char *path = journal_path(state_dir);
        if (!path)
                return -ENOMEM;
        if (restore_rcu)
                journal_restore_rcu(path);
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

int freeze_journal_recover(const char *state_dir) {
        _cleanup_free_ char *path = journal_path(state_dir), *line = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        size_t cap = 0;
        int thawed = 0;

        if (!path)
                return -ENOMEM;
        f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        journal_restore_rcu(path);

        /* The journal lists file systems in freeze order; thaw in reverse (a
         * stacked file system's thaw writes through to the one below it). */
        char *lines[256];
        size_t n = 0;
        while (n < ELEMENTSOF(lines) && getline(&line, &cap, f) > 0) {
                line[strcspn(line, "\n")] = 0;
                if (streq(line, JOURNAL_RCU_LINE))
                        continue;
                lines[n] = strdup(line);
                if (lines[n])
                        n++;
        }
        for (size_t k = n; k > 0; k--) {
                unsigned maj, min;
                int off = 0;
                free(line);
                line = lines[k - 1];
                if (sscanf(line, "%u:%u %n", &maj, &min, &off) != 2 || off == 0 || line[off] != '/') {
                        log_warning("Ignoring a malformed line in %s: %s", path, line);
                        continue;
                }
                const char *mp = line + off;
                struct stat st;
                /* One lookup, no symlinks: thaw only the file system that was frozen. */
                _cleanup_close_ int fd = openat2_fd(AT_FDCWD, mp, O_RDONLY | O_DIRECTORY | O_NOCTTY, RESOLVE_NO_SYMLINKS);
                if (fd < 0 || fstat(fd, &st) < 0 || st.st_dev != makedev(maj, min)) {
                        log_warning("%s from the freeze journal is no longer the file system that was frozen; "
                                    "not touching it.", mp);
                        continue;
                }
                int r = freeze_thaw_fd(fd);
                if (r < 0)
                        log_error_errno(r, "Failed to thaw %s, left frozen by a previous run: %m", mp);
                else if (r > 0) {
                        log_warning("Thawed %s, which a previous run left frozen.", mp);
                        thawed++;
                }
        }
        fclose(TAKE_PTR(f));
        (void) unlink(path);
        return thawed;
}
