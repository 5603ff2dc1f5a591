/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo.c - the mount table, read by libmount, and the mount that holds a path */
#include <errno.h>
#include <fcntl.h>
#include <libmount.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "macro.h"
#include "mountinfo.h"
#ifdef MOUNTINFO_DLOPEN
#include "libmount-dl.h"
#endif

#define MOUNT_TABLE_MAX 65536

MountTable *mount_table_free(MountTable *t) {
        if (!t)
                return NULL;
        free(t->entries);
        if (t->table)
                mnt_unref_table(t->table);
        free(t);
        return NULL;
}

/* The first line libmount could not parse. Fatal: the parse stops there
 * (except on the last line, which is why it is noted here too). */
static int on_parse_error(struct libmnt_table *tb, const char *filename, int line) {
        unsigned *bad_line = mnt_table_get_userdata(tb);
        if (*bad_line == 0)
                *bad_line = line > 0 ? (unsigned) line : 1;
        return -EBADMSG;
}

/* Whether libmount read fs as the kernel lists a mount: from a mountinfo line
 * (a first line that does not begin with two numbers makes libmount read the
 * whole text as fstab), with ids that are not negative and an absolute mount
 * point. */
static bool entry_is_mount(struct libmnt_fs *fs) {
        const char *target = mnt_fs_get_target(fs);
        return mnt_fs_is_kernel(fs) && mnt_fs_get_id(fs) >= 0 && mnt_fs_get_parent_id(fs) >= 0 &&
               target && target[0] == '/';
}

/* The number of the line entry k (from 0) came from: libmount skips blank
 * lines and lines that begin with '#'. 0 if f cannot be read again. */
static unsigned line_of_entry(FILE *f, size_t k) {
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        unsigned lineno = 0;

        if (fseek(f, 0, SEEK_SET) < 0)
                return 0;
        while (getline(&line, &cap, f) >= 0) {
                size_t l = strcspn(line, "\n");
                if (l > 0 && line[l - 1] == '\r')
                        l--;
                line[l] = 0;
                const char *p = line + strspn(line, " \t");
                lineno++;
                if (*p == 0 || *p == '#')
                        continue;
                if (k-- == 0)
                        return lineno;
        }
        return 0;
}

static const char *str(const char *s) {
        return s ?: "";
}

/* MountEntries for the entries libmount read: 1 and the index of the first
 * that is not a mount if there is one. */
static int fill_entries(MountTable *t, size_t *ret_bad) {
        struct libmnt_iter *it;
        struct libmnt_fs *fs;
        int n = mnt_table_get_nents(t->table);

        if (n > MOUNT_TABLE_MAX)
                return -E2BIG;
        t->entries = calloc(MAX(n, 1), sizeof(MountEntry));
        if (!t->entries)
                return -ENOMEM;
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!it)
                return -ENOMEM;
        while (t->n < (size_t) n && mnt_table_next_fs(t->table, it, &fs) == 0) {
                if (!entry_is_mount(fs)) {
                        mnt_free_iter(it);
                        *ret_bad = t->n;
                        return 1;
                }
                dev_t devno = mnt_fs_get_devno(fs);
                t->entries[t->n++] = (MountEntry) {
                        .mount_id = mnt_fs_get_id(fs),
                        .parent_id = mnt_fs_get_parent_id(fs),
                        .major = major(devno),
                        .minor = minor(devno),
                        .root = str(mnt_fs_get_root(fs)),
                        .mount_point = mnt_fs_get_target(fs),
                        .options = str(mnt_fs_get_vfs_options(fs)),
                        .fstype = str(mnt_fs_get_fstype(fs)),
                        .source = str(mnt_fs_get_source(fs)),
                        .super_options = str(mnt_fs_get_fs_options(fs)),
                };
        }
        mnt_free_iter(it);
        return 0;
}

int mount_table_parse(FILE *f, MountTable **ret, unsigned *ret_bad_line) {
        _cleanup_(mount_table_freep) MountTable *t = calloc(1, sizeof(MountTable));
        unsigned bad_line = 0;
        size_t bad_entry = 0;
        int r;

        if (!t)
                return -ENOMEM;
#ifdef MOUNTINFO_DLOPEN
        r = libmount_dlopen();
        if (r < 0)
                return r;
#endif
        t->table = mnt_new_table();
        if (!t->table)
                return -ENOMEM;
        mnt_table_set_userdata(t->table, &bad_line);
        mnt_table_set_parser_errcb(t->table, on_parse_error);

        r = mnt_table_parse_stream(t->table, f, "mountinfo");
        if (ferror(f))
                return -EIO;
        if (r < 0 && bad_line == 0)
                return r;

        /* What libmount read comes before the line it could not parse, if
         * any: an entry there that is not a mount is the first error. */
        r = fill_entries(t, &bad_entry);
        if (r < 0)
                return r;
        if (r > 0 || bad_line > 0) {
                if (ret_bad_line)
                        *ret_bad_line = r > 0 ? line_of_entry(f, bad_entry) : bad_line;
                return -EBADMSG;
        }

        *ret = TAKE_PTR(t);
        return 0;
}

int mount_table_load(MountTable **ret) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return negative_errno();
        return mount_table_parse(f, ret, NULL);
}

int mount_cache_get(MountCache *c, const MountTable **ret) {
        int r;

        if (!c->monitor) {
#ifdef MOUNTINFO_DLOPEN
                r = libmount_dlopen();
                if (r < 0)
                        return r;
#endif
                struct libmnt_monitor *mn = mnt_new_monitor();
                if (!mn)
                        return -ENOMEM;
                r = mnt_monitor_enable_kernel(mn, true);
                if (r >= 0)
                        r = mnt_monitor_get_fd(mn);     /* watches from here on */
                if (r < 0) {
                        mnt_unref_monitor(mn);
                        return r;
                }
                c->monitor = mn;
                c->table = mount_table_free(c->table);
        } else if (c->table) {
                r = mnt_monitor_next_change(c->monitor, NULL, NULL);
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* Changed: take all the news before reading, so that a
                         * change made while reading is news next time. */
                        r = mnt_monitor_event_cleanup(c->monitor);
                        if (r < 0)
                                return r;
                        c->table = mount_table_free(c->table);
                }
        }
        if (!c->table) {
                r = mount_table_load(&c->table);
                if (r < 0)
                        return r;
        }
        *ret = c->table;
        return 0;
}

void mount_cache_done(MountCache *c) {
        if (c->monitor)
                mnt_unref_monitor(c->monitor);
        c->monitor = NULL;
        c->table = mount_table_free(c->table);
}

const MountEntry *mount_table_find_id(const MountTable *t, int mount_id) {
        for (size_t i = 0; i < t->n; i++)
                if (t->entries[i].mount_id == mount_id)
                        return &t->entries[i];
        return NULL;
}

int path_has_prefix(const char *path, const char *prefix) {
        size_t l = strlen(prefix);
        if (l == 1 && prefix[0] == '/')
                return path[0] == '/';
        if (strncmp(path, prefix, l) != 0)
                return 0;
        return path[l] == 0 || path[l] == '/';
}

const MountEntry *mount_table_find_prefix(const MountTable *t, const char *path) {
        const MountEntry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < t->n; i++) {
                const MountEntry *e = &t->entries[i];
                size_t l = strlen(e->mount_point);
                if (!path_has_prefix(path, e->mount_point))
                        continue;
                if (!best || l >= best_len) {
                        best = e;
                        best_len = l;
                }
        }
        return best;
}

/* The path of the directory open as fd (whose statx() is sx): the kernel's
 * name for it, in one readlink() of its /proc/self/fd link, used when that
 * name leads back to the same file (same device, inode and mount); else what
 * realpath() makes of the link, which walks it a component at a time. */
static int fd_canonical_path(int fd, const struct statx *sx, char **ret) {
        char self[64], buf[PATH_MAX];
        struct statx again;

        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        ssize_t l = readlink(self, buf, sizeof buf);
        if (l > 0 && (size_t) l < sizeof buf && buf[0] == '/') {
                buf[l] = 0;
                if (statx(AT_FDCWD, buf, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO | STATX_MNT_ID, &again) >= 0 &&
                    again.stx_dev_major == sx->stx_dev_major && again.stx_dev_minor == sx->stx_dev_minor &&
                    again.stx_ino == sx->stx_ino &&
                    (!(sx->stx_mask & STATX_MNT_ID) || !(again.stx_mask & STATX_MNT_ID) ||
                     again.stx_mnt_id == sx->stx_mnt_id)) {
                        *ret = strdup(buf);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        *ret = realpath(self, NULL);
        return *ret ? 0 : negative_errno();
}

int mount_table_find_path(const MountTable *t, const char *path,
                          char **ret_canonical, const MountEntry **ret_mount, uid_t *ret_owner) {
        /* One lookup: the canonical path and the mount are those of the
         * same file, even if the path changes meanwhile. */
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        struct statx sx;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_UID | STATX_MNT_ID, &sx) < 0)
                return negative_errno();
        if (!S_ISDIR(sx.stx_mode))
                return -ENOTDIR;

        _cleanup_free_ char *canonical = NULL;
        int r = fd_canonical_path(fd, &sx, &canonical);
        if (r < 0)
                return r;

        const MountEntry *m = NULL;
        if (sx.stx_mask & STATX_MNT_ID)
                m = mount_table_find_id(t, (int) sx.stx_mnt_id);
        if (!m)
                m = mount_table_find_prefix(t, canonical);
        if (!m)
                return -ENOENT;

        if (ret_canonical)
                *ret_canonical = TAKE_PTR(canonical);
        if (ret_mount)
                *ret_mount = m;
        if (ret_owner)
                *ret_owner = (uid_t) sx.stx_uid;
        return 0;
}
