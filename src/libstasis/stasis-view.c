/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-view.c - views of a set: mounting it under a directory, and entering its snapshots at their original paths */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd-util.h"
#include "mountinfo.h"
#include "stasis-lists-internal.h"
#include "stasis-view-internal.h"
#include "strv.h"

#define VIEW_MOUNTS_MAX 64      /* stasisd's most volumes per set */


int stasis_requestor_mount_set(StasisRequestor *r, const char *id, const char *dir, char **ret_root) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *root;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = requestor_new_set_call(r, id, "Mount", &m);
        if (k < 0)
                return k;
        /* The view goes to this process's mount namespace, which stasisd
         * (in one of its own under systemd) would not see otherwise. */
        _cleanup_close_ int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (ns < 0)
                return requestor_fail(r, -errno, "Cannot open this process's mount namespace: %s", strerror(errno));
        k = sd_bus_message_append(m, "sa{sv}", strempty(dir), 1, "mount-namespace", "h", ns);
        if (k < 0)
                return requestor_fail(r, k, "Cannot build the Mount call: %s", strerror(-k));
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "s", &root);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to Mount: %s", strerror(-k));
        /* The writers' metadata files, placed at their paths under the tree. */
        {
                _cleanup_free_ StasisView *v = calloc(1, sizeof(StasisView));
                if (!v)
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                _cleanup_free_ char *where = NULL;
                k = view_load_metadata(r, id, v);
                if (k >= 0 && v->n_files > 0) {
                        k = view_place_files(v->files, v->n_files, streq(root, "/") ? NULL : root, &where);
                        if (k < 0) {
                                /* Nothing stays mounted: the files placed, then the set. */
                                (void) stasis_requestor_unmount_set(r, id);
                                (void) requestor_fail(r, k, "Cannot place the backup metadata files of set %s at "
                                                      "%s: %s", id, strna(where), k == -ELOOP ?
                                                      "a symlink on the way (not followed)" : strerror(-k));
                        }
                }
                view_files_free(v->files, v->n_files);
                if (k < 0 && !(r->client.last_error.name &&
                               streq(r->client.last_error.name, SD_BUS_ERROR_UNKNOWN_METHOD)))
                        return k;
        }
        if (ret_root) {
                char *c = strdup(root);
                if (!c)
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                *ret_root = c;
        }
        return 0;
}

int stasis_requestor_unmount_set(StasisRequestor *r, const char *id) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        /* The metadata files placed when it was mounted go first: stasisd
         * unmounts what is on top at each of its mount points. */
        {
                StasisSet *s = NULL;
                StasisMetadataList *l = NULL;
                if (stasis_requestor_get_set(r, id, &s) >= 0 && !isempty(stasis_set_mounted_at(s)) &&
                    stasis_requestor_get_set_metadata(r, id, &l) >= 0)
                        view_remove_files(l, streq(stasis_set_mounted_at(s), "/") ? "" :
                                             stasis_set_mounted_at(s));
                stasis_metadata_list_free(l);
                stasis_set_unref(s);
                k = requestor_begin(r);         /* what failed here is not this call's error */
                if (k < 0)
                        return k;
        }
        k = requestor_new_set_call(r, id, "Unmount", &m);
        if (k < 0)
                return k;
        return requestor_call(r, m, NULL);
}

StasisView *stasis_view_free(StasisView *v) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n; i++)
                safe_close(v->fds[i]);
        strv_free(v->mount_points);
        free(v->fds);
        view_files_free(v->files, v->n_files);
        free(v->error);
        free(v);
        return NULL;
}

const char *stasis_view_error(const StasisView *v) {
        return v ? v->error : NULL;
}

static void view_freep(StasisView **v) {
        stasis_view_free(*v);
}

static int read_view(sd_bus_message *reply, StasisView *v) {
        const char *mp;
        int fd, k;

        k = sd_bus_message_enter_container(reply, 'a', "(sh)");
        while (k >= 0) {
                k = sd_bus_message_read(reply, "(sh)", &mp, &fd);
                if (k <= 0)
                        break;
                if (v->n == VIEW_MOUNTS_MAX || mp[0] != '/')
                        return -EBADMSG;
                int *fds = realloc(v->fds, (v->n + 1) * sizeof(int));
                if (!fds)
                        return -ENOMEM;
                v->fds = fds;
                v->fds[v->n] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                if (v->fds[v->n] < 0)
                        return -errno;
                v->n++;
                k = strv_extend(&v->mount_points, mp);
        }
        if (k >= 0)
                k = sd_bus_message_exit_container(reply);
        return k < 0 ? k : 0;
}

int stasis_requestor_open_view(StasisRequestor *r, const char *id, StasisView **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(view_freep) StasisView *v = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        if (!ret)
                return requestor_fail(r, -EINVAL, "open view: ret must not be NULL");
        k = requestor_new_set_call(r, id, "OpenView", &m);
        if (k < 0)
                return k;
        k = requestor_call(r, m, &reply);
        if (k < 0)
                return k;
        v = calloc(1, sizeof(StasisView));
        if (!v)
                return requestor_fail(r, -ENOMEM, "Out of memory");
        k = read_view(reply, v);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to OpenView: %s", strerror(-k));
        /* The files its writers declared, placed by stasis_view_enter() (a stasisd
         * without backup metadata has none for it). */
        k = view_load_metadata(r, id, v);
        if (k < 0 && !(r->client.failed && r->client.last_error.name &&
                       streq(r->client.last_error.name, SD_BUS_ERROR_UNKNOWN_METHOD)))
                return k;
        *ret = TAKE_PTR(v);
        return 0;
}

unsigned stasis_view_count(const StasisView *v) {
        return v ? (unsigned) v->n : 0;
}

const char *stasis_view_mount_point(const StasisView *v, unsigned index) {
        return v && index < v->n ? v->mount_points[index] : NULL;
}

int stasis_view_fd(const StasisView *v, unsigned index) {
        return v && index < v->n ? v->fds[index] : -EINVAL;
}

/* Whether path is one of the view's mount points. */
static bool is_view_mount_point(const StasisView *v, const char *path) {
        STRV_FOREACH(p, v->mount_points)
                if (streq(*p, path))
                        return true;
        return false;
}

/* The mounts of this namespace right below mount point i of the view that
 * are not the view's: their mount points, and a recursive copy of each
 * (detached), to put back on top of the snapshot. */
static int copy_mounts_below(const StasisView *v, size_t i, char ***ret_paths, int **ret_fds, size_t *ret_n) {
        _cleanup_mount_table_ MountTable *t = NULL;
        const char *mp = v->mount_points[i];
        char **paths = NULL;
        int *fds = NULL;
        size_t n = 0;
        int k;

        k = mount_table_load(&t);
        if (k < 0)
                return k;
        for (size_t j = 0; j < t->n; j++) {
                const char *p = t->entries[j].mount_point;
                if (streq(p, mp) || path_has_prefix(p, mp) <= 0 || is_view_mount_point(v, p))
                        continue;
                /* Only the top ones: a copy is recursive. And none under a
                 * deeper mount point of the view: that one's own turn. */
                bool covered = false;
                for (size_t l = 0; l < t->n && !covered; l++) {
                        const char *q = t->entries[l].mount_point;
                        covered = !streq(q, p) && !streq(q, mp) && path_has_prefix(q, mp) > 0 &&
                                  path_has_prefix(p, q) > 0;
                }
                bool seen = false;
                STRV_FOREACH(q, paths)
                        seen = seen || streq(*q, p);
                if (covered || seen)
                        continue;
                int fd = open_tree(AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                if (fd < 0)
                        continue;       /* one we may not copy (a namespace file): left out */
                int *nfds = realloc(fds, (n + 1) * sizeof(int));
                if (!nfds || strv_extend(&paths, p) < 0) {
                        safe_close(fd);
                        free(nfds ?: fds);
                        strv_free(paths);
                        return -ENOMEM;
                }
                fds = nfds;
                fds[n++] = fd;
        }
        *ret_paths = paths;
        *ret_fds = fds;
        *ret_n = n;
        return 0;
}

/* The view's snapshot of / (fd) becomes this process's root: attached over
 * the old one, made the root with pivot_root(), the old tree detached (in
 * this namespace only, which is private). */
static int swap_root(int fd) {
        if (fchdir(fd) < 0)
                return -errno;
        if (move_mount(fd, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return -errno;
        /* new root and put_old both ".": the old root ends up stacked on
         * the new one at /, and "." unmounts it (pivot_root(2)). */
        if (syscall(SYS_pivot_root, ".", ".") < 0)
                return -errno;
        if (umount2(".", MNT_DETACH) < 0)
                return -errno;
        return chdir("/") < 0 ? -errno : 0;
}

/* Attaches the detached mount fd at path, reached without following a
 * symlink: below a snapshot's root the tree is its users', and a symlink
 * there must not take a mount anywhere else. */
static int move_to(int fd, const char *path) {
        _cleanup_close_ int t = openat2_fd(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
        if (t < 0)
                return t;
        return move_mount(fd, "", t, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0 ? -errno : 0;
}

typedef struct Below {
        char **paths;
        int *fds;
        size_t n;
} Below;

static void below_free(Below *b, size_t n) {
        for (size_t i = 0; b && i < n; i++) {
                for (size_t j = 0; j < b[i].n; j++)
                        safe_close(b[i].fds[j]);
                free(b[i].fds);
                strv_free(b[i].paths);
        }
        free(b);
}

int stasis_view_enter(StasisView *v) {
        char cwd[PATH_MAX];
        Below *below;
        int k = 0;

        if (!v)
                return -EINVAL;
        bool have_cwd = getcwd(cwd, sizeof cwd) != NULL;
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        /* Nothing done here may reach the namespace it came from. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        /* What is mounted below each mount point and is not the view's,
         * copied before anything moves: swapping / takes the old tree away. */
        below = calloc(v->n ?: 1, sizeof(Below));
        if (!below)
                return -ENOMEM;
        for (size_t i = 0; i < v->n && k >= 0; i++)
                k = copy_mounts_below(v, i, &below[i].paths, &below[i].fds, &below[i].n);
        /* Parents first: a snapshot of / comes first. */
        for (size_t i = 0; i < v->n && k >= 0; i++) {
                if (streq(v->mount_points[i], "/"))
                        k = swap_root(v->fds[i]);
                else if ((k = move_to(v->fds[i], v->mount_points[i])) < 0) {
                        free(v->error);
                        if (asprintf(&v->error, "cannot mount the snapshot of %s there: %s", v->mount_points[i],
                                     k == -ELOOP ? "a symlink on the way (not followed)" : strerror(-k)) < 0)
                                v->error = NULL;
                }
                v->fds[i] = safe_close(v->fds[i]);
                /* What was mounted below it goes back on top, where the
                 * snapshot has the directory. */
                for (size_t j = 0; k >= 0 && j < below[i].n; j++)
                        (void) move_to(below[i].fds[j], below[i].paths[j]);
        }
        below_free(below, v->n);
        if (k < 0)
                return k;
        /* The working directory held the live tree: the same path, now in
         * the view (left at / if the snapshot has no such directory). */
        if (have_cwd && chdir(cwd) < 0)
                (void) chdir("/");
        return view_place_metadata(v);
}
