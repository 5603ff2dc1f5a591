/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-view-metadata.c - the writers' backup metadata files of a set, placed at their paths in a view */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "fd-util.h"
#include "stasis-requestor-internal.h"
#include "stasis-view-internal.h"
#include "strv.h"

void view_files_free(ViewFile *f, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(f[i].path);
                free(f[i].data);
        }
        free(f);
}

int view_load_metadata(StasisRequestor *r, const char *id, StasisView *v) {
        StasisMetadataList *l = NULL;
        int k;

        k = stasis_requestor_get_set_metadata(r, id, &l);
        if (k < 0)
                return k;
        for (unsigned i = 0; i < stasis_metadata_list_count(l); i++) {
                const char *path = stasis_metadata_list_path(l, i);
                ViewFile *f;
                if (!path)
                        continue;
                f = realloc(v->files, (v->n_files + 1) * sizeof(ViewFile));
                if (!f) {
                        stasis_metadata_list_free(l);
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                }
                v->files = f;
                f = &v->files[v->n_files];
                *f = (ViewFile) { .path = strdup(path) };
                if (!f->path) {
                        stasis_metadata_list_free(l);
                        return requestor_fail(r, -ENOMEM, "Out of memory");
                }
                v->n_files++;
                k = stasis_requestor_read_set_metadata_file(r, id, path, &f->data, &f->size, &f->mode);
                if (k < 0) {
                        stasis_metadata_list_free(l);
                        return k;
                }
        }
        stasis_metadata_list_free(l);
        return 0;
}

/* Writes the file into the directory dfd. */
static int write_file(int dfd, const char *name, const ViewFile *f) {
        _cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, f->mode & 0777);
        size_t done = 0;

        if (fd < 0)
                return -errno;
        while (done < f->size) {
                ssize_t n = write(fd, (const char *) f->data + done, f->size - done);
                if (n < 0)
                        return -errno;
                done += (size_t) n;
        }
        return fchmod(fd, f->mode & 0777) < 0 ? -errno : 0;
}

/* The directory dir, as O_PATH, reached without following a symlink: the
 * snapshot's content is its users', and a symlink there must not take a
 * writer's file (or a mount) anywhere else, such as /etc. */
static int open_dir_strict(const char *dir) {
        return openat2_fd(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
}

static void fd_path(char buf[static 32], int fd) {
        snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/* Over the directory dir of the view: a read-only overlay of a small tmpfs
 * holding the files (on top) and what dir was (below). Both layers sit in
 * a tmpfs mounted over dir first, at dir/l and dir/s, which the overlay
 * then covers. Every step goes through file descriptors of what was
 * opened without following a symlink (mount targets and layers as their
 * /proc/self/fd links): nothing lands anywhere but dir. */
static int place_in(const char *dir, ViewFile *files, size_t n, const size_t *which, size_t n_which) {
        _cleanup_close_ int dfd = -EBADF, below = -EBADF, tfd = -EBADF, lfd = -EBADF, sfd = -EBADF;
        _cleanup_free_ char *opts = NULL;
        char p[32], l[32], sp[32];
        struct statfs sf;
        struct statx sx;
        int k;

        dfd = open_dir_strict(dir);
        if (dfd < 0)
                return dfd;
        below = open_tree(dfd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
        if (below < 0)
                return -errno;
        fd_path(p, dfd);
        if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") < 0)
                return -errno;
        /* The tmpfs just mounted, on top at dir (checked: a tmpfs, a mount's root). */
        tfd = open_dir_strict(dir);
        if (tfd < 0)
                return tfd;
        if (fstatfs(tfd, &sf) < 0 || statx(tfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
                return -errno;
        if (sf.f_type != TMPFS_MAGIC || !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return -EBUSY;
        if (mkdirat(tfd, "l", 0755) < 0 || mkdirat(tfd, "s", 0755) < 0)
                return -errno;
        sfd = openat(tfd, "s", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0)
                return -errno;
        if (move_mount(below, "", sfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return -errno;
        below = safe_close(below);
        sfd = safe_close(sfd);
        sfd = openat(tfd, "s", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);       /* now the copy on top */
        lfd = openat(tfd, "l", O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sfd < 0 || lfd < 0)
                return -errno;
        for (size_t i = 0; i < n_which; i++) {
                ViewFile *f = &files[which[i]];
                k = write_file(lfd, strrchr(f->path, '/') + 1, f);
                if (k < 0)
                        return k;
        }
        fd_path(l, lfd);
        fd_path(sp, sfd);
        fd_path(p, tfd);
        if (asprintf(&opts, "lowerdir=%s:%s", l, sp) < 0)
                return -ENOMEM;
        if (mount("overlay", p, "overlay", MS_RDONLY | MS_NOSUID | MS_NODEV, opts) < 0)
                return -errno;
        return 0;
}

static int compare_length(const void *a, const void *b) {
        size_t x = strlen(*(char *const *) a), y = strlen(*(char *const *) b);
        return x < y ? -1 : x > y;
}

int view_place_files(ViewFile *files, size_t n_files, const char *root, char **ret_where) {
        _cleanup_free_ size_t *which = calloc(MAX(n_files, 1), sizeof(size_t));
        _cleanup_strv_free_ char **dirs = NULL;

        if (!which)
                return -ENOMEM;
        for (size_t i = 0; i < n_files; i++) {
                const char *p = files[i].path;
                _cleanup_free_ char *dir = strndup(p, (size_t) (strrchr(p, '/') - p));
                bool seen = false;
                if (!dir)
                        return -ENOMEM;
                STRV_FOREACH(d, dirs)
                        seen = seen || streq(*d, dir);
                if (!seen && strv_extend(&dirs, dir) < 0)
                        return -ENOMEM;
        }
        /* One overlay per directory that holds files, parents first: a
         * parent's overlay would hide one already made below it. */
        if (dirs)
                qsort(dirs, strv_length(dirs), sizeof(char *), compare_length);
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *where = NULL;
                size_t n = 0, len = strlen(*d);
                int k;
                for (size_t j = 0; j < n_files; j++) {
                        const char *p = files[j].path;
                        if ((size_t) (strrchr(p, '/') - p) == len && strncmp(p, *d, len) == 0)
                                which[n++] = j;
                }
                if (asprintf(&where, "%s%s", root ? root : "", isempty(*d) && !root ? "/" : *d) < 0)
                        return -ENOMEM;
                k = place_in(where, files, n_files, which, n);
                if (k < 0) {
                        if (ret_where)
                                *ret_where = TAKE_PTR(where);
                        return k;
                }
        }
        return 0;
}

int view_place_metadata(StasisView *v) {
        _cleanup_free_ char *where = NULL;
        int k = view_place_files(v->files, v->n_files, NULL, &where);

        if (k < 0 && where) {
                free(v->error);
                if (asprintf(&v->error, "cannot place the writers' backup metadata files at %s: %s", where,
                             k == -ELOOP ? "a symlink on the way (not followed)" : strerror(-k)) < 0)
                        v->error = NULL;
        }
        return k;
}

static int compare_length_desc(const void *a, const void *b) {
        return -compare_length(a, b);
}

/* Unmounts at dir (reached without following a symlink) the mount of type
 * magic that is on top there, if it is one. */
static void unmount_if(const char *dir, long magic) {
        _cleanup_close_ int fd = open_dir_strict(dir);
        struct statfs sf;
        struct statx sx;
        char p[32];

        if (fd < 0 || fstatfs(fd, &sf) < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
                return;
        if (sf.f_type != magic || !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
                return;
        fd_path(p, fd);
        (void) umount2(p, MNT_DETACH);
}

void view_remove_files(StasisMetadataList *l, const char *root) {
        _cleanup_strv_free_ char **dirs = NULL;

        for (unsigned i = 0; i < stasis_metadata_list_count(l); i++) {
                const char *p = stasis_metadata_list_path(l, i);
                _cleanup_free_ char *dir = NULL;
                bool seen = false;
                if (!p || !(dir = strndup(p, (size_t) (strrchr(p, '/') - p))))
                        continue;
                STRV_FOREACH(d, dirs)
                        seen = seen || streq(*d, dir);
                if (!seen && strv_extend(&dirs, dir) < 0)
                        return;
        }
        /* Children first; at each, the overlay, then the tmpfs under it:
         * only those, and only where no symlink leads. */
        if (dirs)
                qsort(dirs, strv_length(dirs), sizeof(char *), compare_length_desc);
        STRV_FOREACH(d, dirs) {
                _cleanup_free_ char *where = NULL;
                if (asprintf(&where, "%s%s", root, *d) < 0)
                        return;
                unmount_if(where, OVERLAYFS_SUPER_MAGIC);
                unmount_if(where, TMPFS_MAGIC);
        }
}
