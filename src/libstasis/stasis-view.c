/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-view.c - views of a set: mounting it under a directory, and entering its snapshots at their original paths */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "fd-util.h"
#include "mountinfo.h"
#include "stasis-requestor-internal.h"
#include "stasis-view-internal.h"
#include "strv.h"

#define VIEW_MOUNTS_MAX 64      /* stasisd's most volumes per set */


/* A call of member on the object of set id (found through GetSet, so that
 * a set that does not exist gives NoSuchSet, not UnknownObject). */
int view_new_set_call(StasisRequestor *r, const char *id, const char *member, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *path;
        int k;

        if (!set_id_valid(id))
                return requestor_fail(r, -EINVAL, "Set id \"%s\" is not a decimal number", strna(id));
        k = requestor_call_id(r, "GetSet", id, &reply);
        if (k < 0)
                return k;
        k = sd_bus_message_read(reply, "o", &path);
        if (k < 0)
                return requestor_fail(r, k, "Malformed reply to GetSet: %s", strerror(-k));
        k = sd_bus_message_new_method_call(r->client.bus, ret, STASIS_BUS_NAME, path, STASIS_SET_INTERFACE, member);
        if (k < 0)
                return requestor_fail(r, k, "Cannot make a %s call: %s", member, strerror(-k));
        return 0;
}

int stasis_requestor_mount_set(StasisRequestor *r, const char *id, const char *dir, char **ret_root) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        const char *root;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = view_new_set_call(r, id, "Mount", &m);
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
                k = view_load_metadata(r, id, v);
                if (k >= 0 && v->n_files > 0) {
                        k = view_place_files(v->files, v->n_files, streq(root, "/") ? NULL : root);
                        if (k < 0)
                                (void) requestor_fail(r, k, "Cannot place the backup metadata files of set %s "
                                                      "under %s: %s", id, root, strerror(-k));
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
        k = view_new_set_call(r, id, "Unmount", &m);
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
        free(v);
        return NULL;
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
        k = view_new_set_call(r, id, "OpenView", &m);
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

int stasis_view_enter(StasisView *v) {
        int k;

        if (!v)
                return -EINVAL;
        if (unshare(CLONE_NEWNS) < 0)
                return -errno;
        /* Nothing done here may reach the namespace it came from. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return -errno;
        for (size_t i = 0; i < v->n; i++) {
                _cleanup_strv_free_ char **below = NULL;
                _cleanup_free_ int *below_fds = NULL;
                size_t n_below = 0;

                if (streq(v->mount_points[i], "/"))
                        return -EOPNOTSUPP;     /* the root cannot be swapped under a running process */
                k = copy_mounts_below(v, i, &below, &below_fds, &n_below);
                if (k < 0)
                        return k;
                if (move_mount(v->fds[i], "", AT_FDCWD, v->mount_points[i], MOVE_MOUNT_F_EMPTY_PATH) < 0)
                        k = -errno;
                v->fds[i] = safe_close(v->fds[i]);
                /* What was mounted below it goes back on top, where the
                 * snapshot has the directory. */
                for (size_t j = 0; j < n_below; j++) {
                        if (k >= 0)
                                (void) move_mount(below_fds[j], "", AT_FDCWD, below[j], MOVE_MOUNT_F_EMPTY_PATH);
                        safe_close(below_fds[j]);
                }
                if (k < 0)
                        return k;
        }
        return view_place_metadata(v);
}
