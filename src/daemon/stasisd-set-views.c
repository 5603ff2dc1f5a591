/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-views.c - read-only views of a set: its snapshots as detached mounts, attached under one tree */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-errors.h"
#include "echo.h"
#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "mountinfo.h"
#include "stasisd-auth.h"
#include "stasisd-set-bus.h"
#include "stasisd-set-open-views.h"
#include "stasisd-set-views.h"
#include "stasisd-set-views-record.h"
#include "stasisd-strings.h"
#include "strv.h"

#define VIEW_DIR_MAX 4096

static SetView *set_view_free(SetView *v) {
        if (!v)
                return NULL;
        safe_close(v->ns_fd);
        free(v->root);
        for (size_t i = 0; v->target_fds && i < strv_length(v->targets); i++)
                safe_close(v->target_fds[i]);
        free(v->target_fds);
        strv_free(v->targets);
        strv_free(v->made);
        free(v);
        return NULL;
}

static void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                fds[i] = safe_close(fds[i]);
}

static const Set *sort_set;

static int compare_mount_points(const void *a, const void *b) {
        const StasisVolume *va = &sort_set->volumes[*(const size_t *) a], *vb = &sort_set->volumes[*(const size_t *) b];
        return strcmp(stasis_volume_view_path(va), stasis_volume_view_path(vb));
}

static int check_viewable(Set *s, sd_bus_error *error) {
        if (s->state == SET_INVALID)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "Snapshot set %s is invalid, it cannot be "
                                         "mounted: %s", s->id, strna(s->error));
        if (s->phase != SET_PHASE_IDLE || s->state != SET_CREATED)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "Snapshot set %s is %s, not created: "
                                         "only a created set can be mounted", s->id, set_state_to_string(s->state));
        return 0;
}

/* <runtime dir>/scratch/<id>-<index>: where a provider may mount a snapshot
 * on its way to a detached mount; scratch/ is root-only. */
static int make_scratch(Manager *m, const char *id, size_t index, char **ret) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        if (asprintf(&dir, "%s/" SET_VIEWS_SCRATCH, m->runtime_dir) < 0 ||
            asprintf(&path, "%s/%s-%zu", dir, id, index) < 0)
                return -ENOMEM;
        (void) mkdir(m->runtime_dir, 0755);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
                return -errno;
        *ret = TAKE_PTR(path);
        return 0;
}

int set_view_open(Set *s, int *ret_fds, size_t *ret_order, sd_bus_error *error) {
        int r = check_viewable(s, error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_volumes; i++)
                ret_fds[i] = -1;
        for (size_t i = 0; i < s->n_volumes; i++) {
                const StasisVolume *v = &s->volumes[i];
                StasisProviderResult res = {};

                ret_order[i] = i;
                if (!v->provider || !v->provider->mount) {
                        close_fds(ret_fds, i);
                        return sd_bus_error_setf(error, STASIS_ERROR_PROVIDER_FAILED,
                                                 "Snapshot set %s: provider %s cannot mount its snapshot of %s",
                                                 s->id, v->provider ? v->provider->name : "unknown",
                                                 stasis_volume_view_path(v));
                }
                _cleanup_free_ char *scratch = NULL;
                r = make_scratch(s->manager, s->id, i, &scratch);
                if (r < 0)
                        stasis_provider_result_set(&res, r, "cannot make a directory under %s: %s",
                                                   s->manager->runtime_dir, strerror(-r));
                else {
                        r = v->provider->mount(v->provider, v, scratch, &ret_fds[i], &res);
                        (void) rmdir(scratch);
                }
                if (r < 0) {
                        close_fds(ret_fds, i);
                        log_error("Set %s: cannot mount the snapshot of %s: %s", s->id, stasis_volume_view_path(v),
                                  res.message[0] ? res.message : strerror(-r));
                        return sd_bus_error_setf(error, STASIS_ERROR_PROVIDER_FAILED,
                                                 "Snapshot set %s: cannot mount the snapshot of %s: %s", s->id,
                                                 stasis_volume_view_path(v), res.message[0] ? res.message : strerror(-r));
                }
        }
        sort_set = s;
        qsort(ret_order, s->n_volumes, sizeof(size_t), compare_mount_points);
        sort_set = NULL;
        return 0;
}

/* root + mount point: "/run/stasis/sets/3" + "/srv/data". */
static char *view_target(const char *root, const char *mount_point) {
        char *t = NULL;
        if (asprintf(&t, "%s%s", root, streq(mount_point, "/") ? "" : mount_point) < 0)
                return NULL;
        return t;
}

/* Opens the directory target (root + mount_point) as O_PATH, making the
 * directories that are missing below root (recorded in view->made). No
 * symlink is followed below root; mounts on the way (the set's own, just
 * attached) are entered. */
static int open_target(SetView *view, const char *mount_point, int *ret_fd, char **ret_why) {
        _cleanup_close_ int fd = open_dir_nofollow(view->root);
        _cleanup_free_ char *mp = strdup(mount_point), *sofar = strdup(view->root);
        char *save = NULL;

        if (fd < 0 || !mp || !sofar)
                return fd < 0 ? fd : -ENOMEM;
        for (char *c = strtok_r(mp, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                _cleanup_free_ char *next = NULL;
                if (asprintf(&next, "%s/%s", sofar, c) < 0)
                        return -ENOMEM;
                int nfd = openat2_fd(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
                if (nfd == -ENOENT) {
                        if (mkdirat(fd, c, 0755) < 0) {
                                int e = -errno;
                                if (asprintf(ret_why, "cannot make the directory %s: %s", next, strerror(-e)) < 0)
                                        *ret_why = NULL;
                                return e;
                        }
                        if (strv_extend(&view->made, next) < 0)
                                return -ENOMEM;
                        nfd = openat2_fd(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
                }
                if (nfd < 0) {
                        if (asprintf(ret_why, "cannot open %s: %s", next, nfd == -ELOOP ? "a symlink" :
                                     nfd == -ENOTDIR ? "not a directory" : strerror(-nfd)) < 0)
                                *ret_why = NULL;
                        return nfd;
                }
                safe_close(fd);
                fd = nfd;
                free(sofar);
                sofar = TAKE_PTR(next);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Unmounts what was attached, through the mounts themselves (never by a
 * path that the owner of DIR could have turned into a symlink), and
 * removes the directories made for them. */
static void view_undo(SetView *view, const char *id) {
        for (size_t i = strv_length(view->targets); i > 0; i--) {
                char p[32];
                snprintf(p, sizeof p, "/proc/self/fd/%d", view->target_fds[i - 1]);
                if (umount2(p, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
                        log_error_errno(-errno, "Set %s: failed to unmount %s: %m", id, view->targets[i - 1]);
        }
        for (size_t i = strv_length(view->made); i > 0; i--)
                set_views_rmdir_strict(view->made[i - 1]);
        if (view->root_made)
                set_views_rmdir_strict(view->root);
}

/* The default root, <runtime dir>/sets/<id>: the runtime directory and sets/
 * are made when missing, sets/ root-only. */
static int make_default_root(Manager *m, const char *id, char **ret) {
        _cleanup_free_ char *sets = NULL, *root = NULL;
        if (asprintf(&sets, "%s/" SET_VIEWS_SUBDIR, m->runtime_dir) < 0 || asprintf(&root, "%s/%s", sets, id) < 0)
                return -ENOMEM;
        (void) mkdir(m->runtime_dir, 0755);
        if (mkdir(sets, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(root, 0755) < 0 && errno != EEXIST)
                return -errno;
        *ret = TAKE_PTR(root);
        return 0;
}

/* dir is an empty directory that uid owns (or uid is 0). */
static int check_dir(const char *dir, uid_t uid, sd_bus_error *error) {
        _cleanup_close_ int fd = -1;
        struct stat st;

        if (dir[0] != '/' || strlen(dir) >= VIEW_DIR_MAX || strstr(dir, "/.."))
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "The directory to mount at, %s, is not an absolute path without \"..\"",
                                         ECHO(dir));
        fd = open_dir_nofollow(dir);
        if (fd == -ENOENT)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_PATH, "The directory to mount at, %s, "
                                         "does not exist", ECHO(dir));
        if (fd == -ENOTDIR)
                return sd_bus_error_setf(error, STASIS_ERROR_NOT_A_DIRECTORY, "%s is not a directory", ECHO(dir));
        if (fd == -ELOOP)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "%s is a symlink or has one above it; "
                                         "give the directory itself", ECHO(dir));
        if (fd < 0)
                return sd_bus_error_set_errnof(error, -fd, "Cannot open %s: %m", ECHO(dir));
        if (fstat(fd, &st) < 0)
                return sd_bus_error_set_errnof(error, errno, "Cannot look at %s: %m", ECHO(dir));
        if (uid != 0 && st.st_uid != uid)
                return sd_bus_error_setf(error, STASIS_ERROR_ACCESS_DENIED, "%s belongs to uid %u, not to the "
                                         "caller (uid %u)", ECHO(dir), (unsigned) st.st_uid, (unsigned) uid);
        _cleanup_close_ int rfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = rfd >= 0 ? fdopendir(rfd) : NULL;
        if (!d)
                return sd_bus_error_set_errnof(error, errno, "Cannot read %s: %m", ECHO(dir));
        rfd = -1;
        bool empty = true;
        for (struct dirent *de; empty && (de = readdir(d)); )
                empty = streq(de->d_name, ".") || streq(de->d_name, "..");
        closedir(d);
        if (!empty)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "%s is not empty: a set is mounted "
                                         "only on an empty directory", ECHO(dir));
        return 0;
}

/* A mount namespace a caller may hand over: one (NS_GET_NSTYPE), owned by
 * the initial user namespace, so made by a privileged process, not by a
 * user in a namespace of their own. */
int set_views_check_namespace(int fd, sd_bus_error *error) {
        struct stat a, b;
        int type = ioctl(fd, NS_GET_NSTYPE);
        if (type < 0 || type != CLONE_NEWNS)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "Option mount-namespace is not a mount namespace");
        _cleanup_close_ int userns = ioctl(fd, NS_GET_USERNS);
        if (userns < 0 || fstat(userns, &a) < 0 || stat("/proc/self/ns/user", &b) < 0 ||
            a.st_dev != b.st_dev || a.st_ino != b.st_ino)
                return sd_bus_error_setf(error, STASIS_ERROR_ACCESS_DENIED, "Option mount-namespace is a mount "
                                         "namespace of another user namespace; views go only to the host's users' "
                                         "namespaces");
        return 0;
}

int set_view_attach(Set *s, const char *dir, uid_t uid, int ns_fd, sd_bus_error *error) {
        Manager *m = s->manager;
        SetView *view = NULL;
        _cleanup_close_ int ns = ns_fd;
        int fds[MANAGER_VOLUMES_PER_SET_MAX];
        size_t order[MANAGER_VOLUMES_PER_SET_MAX];
        struct stat mounted[MANAGER_VOLUMES_PER_SET_MAX], ns_st;
        int own = -1, r;

        if (s->view)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY, "Snapshot set %s is mounted already, at %s",
                                         s->id, s->view->root);
        if (s->n_volumes > MANAGER_VOLUMES_PER_SET_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "Snapshot set %s has too many volumes",
                                         s->id);
        /* The snapshots are mounted in stasisd's namespace (providers run
         * there), then attached in the caller's. */
        r = set_view_open(s, fds, order, error);
        if (r < 0)
                return r;
        r = set_views_ns_enter(ns, &own);
        if (r < 0) {
                close_fds(fds, s->n_volumes);
                log_error_errno(r, "Set %s: cannot enter the caller's mount namespace: %m", s->id);
                return sd_bus_error_set_errnof(error, -r, "Cannot enter the caller's mount namespace to mount set "
                                               "%s there: %m", s->id);
        }
        if (own < 0)
                ns = safe_close(ns);    /* stasisd's own: nothing to enter later */
        else if (fstat(ns, &ns_st) < 0)
                r = -errno;
        if (r >= 0 && !isempty(dir))
                r = check_dir(dir, uid, error);
        if (r < 0) {
                set_views_ns_leave(own);
                close_fds(fds, s->n_volumes);
                return r;
        }

        view = calloc(1, sizeof(SetView));
        if (!view) {
                set_views_ns_leave(own);
                close_fds(fds, s->n_volumes);
                return -ENOMEM;
        }
        view->ns_fd = -1;
        if (isempty(dir)) {
                r = make_default_root(m, s->id, &view->root);
                view->root_made = r >= 0;
                if (r >= 0)
                        r = check_dir(view->root, 0, error);
                if (r < 0 && !sd_bus_error_is_set(error))
                        sd_bus_error_set_errnof(error, -r, "Cannot make the directory to mount set %s at under %s: %m",
                                                s->id, m->runtime_dir);
        } else {
                view->root = strdup(dir);
                r = view->root ? 0 : -ENOMEM;
        }
        for (size_t k = 0; r >= 0 && k < s->n_volumes; k++) {
                const char *vp = stasis_volume_view_path(&s->volumes[order[k]]);
                _cleanup_free_ char *why = NULL, *target = view_target(view->root, vp);
                _cleanup_close_ int tfd = -1;
                if (!target) {
                        r = -ENOMEM;
                        break;
                }
                r = open_target(view, vp, &tfd, &why);
                if (r < 0) {
                        sd_bus_error_setf(error, STASIS_ERROR_PROVIDER_FAILED, "Snapshot set %s: cannot mount the "
                                          "snapshot of %s at %s: %s", s->id, vp, target,
                                          why ?: strerror(-r));
                        break;
                }
                if (move_mount(fds[order[k]], "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
                        r = -errno;
                        sd_bus_error_setf(error, STASIS_ERROR_PROVIDER_FAILED, "Snapshot set %s: cannot mount the "
                                          "snapshot of %s at %s: %s", s->id, vp, target, strerror(-r));
                        break;
                }
                /* Its root's identity, for a restart to know it again; and
                 * its fd, to unmount it through. */
                int *tf = realloc(view->target_fds, (k + 1) * sizeof(int));
                if (!tf) {
                        r = -ENOMEM;
                        break;
                }
                view->target_fds = tf;
                tf[k] = fcntl(fds[order[k]], F_DUPFD_CLOEXEC, 3);
                if (tf[k] < 0 || fstat(tf[k], &mounted[k]) < 0)
                        r = -errno;
                else
                        r = strv_extend(&view->targets, target);
                if (r < 0) {
                        /* Attached, but not kept: undone here. */
                        char p[32];
                        snprintf(p, sizeof p, "/proc/self/fd/%d", fds[order[k]]);
                        (void) umount2(p, MNT_DETACH);
                        safe_close(tf[k]);
                        break;
                }
        }
        close_fds(fds, s->n_volumes);
        set_views_ns_leave(own);
        /* Recorded (in stasisd's namespace) for a restart, which takes the
         * view down wherever it is. */
        if (r >= 0)
                r = set_view_record(m->runtime_dir, s->id, view, own >= 0 ? &ns_st : NULL, mounted);
        if (r < 0) {
                if (set_views_ns_enter(ns, &own) >= 0) {
                        view_undo(view, s->id);
                        set_views_ns_leave(own);
                }
                set_view_unrecord(m->runtime_dir, s->id);
                set_view_free(view);
                if (!sd_bus_error_is_set(error))
                        sd_bus_error_set_errnof(error, -r, "Cannot mount snapshot set %s: %m", s->id);
                return r;
        }
        view->ns_fd = TAKE_FD(ns);
        s->view = view;
        log_info("Set %s mounted at %s%s.", s->id, view->root,
                 view->ns_fd >= 0 ? " (in the caller's mount namespace)" : "");
        (void) sd_bus_emit_properties_changed(m->bus, s->object_path, STASIS_SET_INTERFACE, "MountedAt", NULL);
        return 0;
}

void set_view_detach(Set *s) {
        int own = -1, r;

        if (!s->view)
                return;
        r = set_views_ns_enter(s->view->ns_fd, &own);
        if (r < 0)
                log_error_errno(r, "Set %s: cannot enter the mount namespace it is mounted in to unmount it from %s; "
                                "unmount it by hand: %m", s->id, s->view->root);
        else {
                view_undo(s->view, s->id);
                set_views_ns_leave(own);
        }
        if (s->manager)
                set_view_unrecord(s->manager->runtime_dir, s->id);
        log_info("Set %s unmounted from %s.", s->id, s->view->root);
        s->view = set_view_free(s->view);
        if (s->manager && s->manager->bus && s->object_path)
                (void) sd_bus_emit_properties_changed(s->manager->bus, s->object_path, STASIS_SET_INTERFACE,
                                                      "MountedAt", NULL);
}

/* ---- The bus ---- */

/* Mount and OpenView wait for a hold to end: a provider's mount verb runs
 * in stasisd's loop, which a hold must not wait on. When it ends the call
 * comes back here, through the manager (the set may be gone by then). */
static int method_deferred(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *id = startswith(sd_bus_message_get_path(msg), STASIS_SET_PATH_PREFIX "/");
        Set *s = id ? manager_find_set(m, id) : NULL;

        if (!s)
                return sd_bus_error_setf(error, STASIS_ERROR_NO_SUCH_SET, "No snapshot set at %s any more",
                                         ECHO(sd_bus_message_get_path(msg)));
        if (streq(sd_bus_message_get_member(msg), "Mount"))
                return set_views_method_mount(msg, s, error);
        return set_views_method_open_view(msg, s, error);
}

int set_views_method_mount(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        AuthCaller caller = {};
        const char *dir;
        int ns = -1, r;

        r = auth_check(s->manager, msg, AUTH_MOUNT_SET, &caller, error);
        if (r != 0)
                return r;
        r = manager_defer_if_holding(s->manager, msg, method_deferred, s->manager);
        if (r != 0)
                return r;
        r = sd_bus_message_read(msg, "s", &dir);
        if (r >= 0)
                r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        while (r >= 0) {
                const char *key;
                r = sd_bus_message_enter_container(msg, 'e', "sv");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(msg, "s", &key);
                if (r < 0)
                        break;
                if (streq(key, "mount-namespace")) {
                        int fd;
                        r = sd_bus_message_read(msg, "v", "h", &fd);
                        if (r < 0)
                                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                                         "Option mount-namespace must be a file descriptor (h)");
                        safe_close(ns);
                        ns = fcntl(fd, F_DUPFD_CLOEXEC, 3);
                        if (ns < 0)
                                return -errno;
                        r = set_views_check_namespace(ns, error);
                        if (r < 0) {
                                safe_close(ns);
                                return r;
                        }
                } else {
                        safe_close(ns);
                        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Unknown option %s of Mount",
                                                 ECHO(key));
                }
                r = sd_bus_message_exit_container(msg);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r < 0) {
                safe_close(ns);
                return r;
        }
        r = set_view_attach(s, dir, caller.uid, ns, error);
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", s->view->root);
}

int set_views_method_unmount(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        int r = auth_check(s->manager, msg, AUTH_MOUNT_SET, NULL, error);
        if (r != 0)
                return r;
        if (!s->view)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "Snapshot set %s is not mounted",
                                         s->id);
        set_view_detach(s);
        return sd_bus_reply_method_return(msg, "");
}

int set_views_method_open_view(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Set *s = userdata;
        const char *holder = sd_bus_message_get_sender(msg);
        AuthCaller caller = {};
        int fds[MANAGER_VOLUMES_PER_SET_MAX];
        size_t order[MANAGER_VOLUMES_PER_SET_MAX];
        int r;

        r = auth_check(s->manager, msg, AUTH_MOUNT_SET, &caller, error);
        if (r != 0)
                return r;
        r = manager_defer_if_holding(s->manager, msg, method_deferred, s->manager);
        if (r != 0)
                return r;
        if (s->n_volumes > MANAGER_VOLUMES_PER_SET_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "Snapshot set %s has too many volumes",
                                         s->id);
        /* The view is the caller's connection's until it closes it or leaves. */
        if (!holder)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "OpenView needs a caller on a bus");
        r = set_open_views_check(s, holder, &caller, error);
        if (r < 0)
                return r;
        r = set_view_open(s, fds, order, error);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sh)");
        for (size_t k = 0; r >= 0 && k < s->n_volumes; k++)
                r = sd_bus_message_append(reply, "(sh)", stasis_volume_view_path(&s->volumes[order[k]]),
                                          fds[order[k]]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        /* The message holds copies of the fds. */
        close_fds(fds, s->n_volumes);
        /* Recorded before it goes, so that none goes unrecorded. */
        if (r >= 0)
                r = set_open_views_add(s, holder, &caller);
        if (r < 0)
                return r;
        r = sd_bus_send(NULL, reply, NULL);
        if (r < 0) {
                (void) set_open_views_remove_one(s, holder);
                return log_error_errno(r, "Set %s: cannot hand out a view to %s: %m", s->id, holder);
        }
        log_info("Set %s: handed out a view of its %zu snapshot(s) to %s.", s->id, s->n_volumes, holder);
        return 1;
}

int set_views_property_mounted_at(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        return bus_append_string(reply, s->view ? s->view->root : "");
}
