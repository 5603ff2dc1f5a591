/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-views-record.c - the record of a mounted view that lets a restarted stasisd take it
 * down, in whichever mount namespace it is, and the entering of those namespaces */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fd-util.h"
#include "log.h"
#include "macro.h"
#include "mountinfo.h"
#include "stasisd-set-views-record.h"
#include "strv.h"

/* A record: this magic, then NUL-terminated fields, so that no path needs
 * quoting: "root" PATH; "ns" DEV INO (a namespace not stasisd's); "made"
 * PATH per directory made, in order; "mount" DEV INO PATH per snapshot
 * attached, parents first (DEV and INO: its root directory). A record
 * without the magic is the root alone (written by older versions). */
#define RECORD_MAGIC "stasis-view 2"
#define RECORD_MAX (1024 * 1024)

int set_views_ns_enter(int ns_fd, int *ret_own) {
        struct stat a, b;

        *ret_own = -1;
        if (ns_fd < 0)
                return 0;
        if (fstat(ns_fd, &a) < 0 || stat("/proc/self/ns/mnt", &b) < 0)
                return -errno;
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return 0;
        int own = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        if (own < 0)
                return -errno;
        if (setns(ns_fd, CLONE_NEWNS) < 0) {
                int e = -errno;
                safe_close(own);
                return e;
        }
        *ret_own = own;
        return 0;
}

void set_views_ns_leave(int own) {
        if (own < 0)
                return;
        /* Cannot fail for stasisd's own namespace; if it did, carrying on
         * in another would be wrong. */
        if (setns(own, CLONE_NEWNS) < 0) {
                log_error_errno(-errno, "Failed to go back to stasisd's own mount namespace: %m");
                abort();
        }
        safe_close(own);
}

/* Removes the empty directory path, reached without following a symlink
 * (DIR is the caller's, who may have replaced what stasisd made in it). */
void set_views_rmdir_strict(const char *path) {
        _cleanup_free_ char *parent = strdup(path);
        char *slash = parent ? strrchr(parent, '/') : NULL;
        if (!slash || slash == parent)
                return;
        *slash = 0;
        _cleanup_close_ int fd = openat2_fd(AT_FDCWD, parent, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
        if (fd >= 0)
                (void) unlinkat(fd, slash + 1, AT_REMOVEDIR);
}

static int record_path(const char *runtime_dir, const char *id, char **ret) {
        return asprintf(ret, "%s/" SET_VIEWS_RECORDS "/%s", runtime_dir, id) < 0 ? -ENOMEM : 0;
}

static int put(FILE *f, const char *field) {
        return fwrite(field, 1, strlen(field) + 1, f) == strlen(field) + 1 ? 0 : -EIO;
}

static int put_id(FILE *f, const char *what, dev_t dev, ino_t ino) {
        char d[32], i[32];
        snprintf(d, sizeof d, "%llu", (unsigned long long) dev);
        snprintf(i, sizeof i, "%llu", (unsigned long long) ino);
        return put(f, what) < 0 || put(f, d) < 0 || put(f, i) < 0 ? -EIO : 0;
}

int set_view_record(const char *runtime_dir, const char *id, const SetView *view, const struct stat *ns,
                    const struct stat *mounts) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL;
        int r = 0;

        if (asprintf(&dir, "%s/" SET_VIEWS_RECORDS, runtime_dir) < 0 || record_path(runtime_dir, id, &path) < 0 ||
            asprintf(&tmp, "%s.new", path) < 0)
                return -ENOMEM;
        (void) mkdir(runtime_dir, 0755);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return -errno;
        FILE *f = fdopen(fd, "w");
        if (!f) {
                safe_close(fd);
                return -errno;
        }
        if (put(f, RECORD_MAGIC) < 0 || put(f, "root") < 0 || put(f, view->root) < 0)
                r = -EIO;
        if (r >= 0 && ns)
                r = put_id(f, "ns", ns->st_dev, ns->st_ino);
        STRV_FOREACH(p, view->made)
                if (r >= 0 && (put(f, "made") < 0 || put(f, *p) < 0))
                        r = -EIO;
        for (size_t i = 0; r >= 0 && view->targets && view->targets[i]; i++)
                if (put_id(f, "mount", mounts[i].st_dev, mounts[i].st_ino) < 0 || put(f, view->targets[i]) < 0)
                        r = -EIO;
        if (fclose(f) != 0 && r >= 0)
                r = -errno;
        if (r >= 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        return r;
}

void set_view_unrecord(const char *runtime_dir, const char *id) {
        _cleanup_free_ char *path = NULL;
        if (record_path(runtime_dir, id, &path) >= 0)
                (void) unlink(path);
}

/* ---- At start: what a previous run left ---- */

static ssize_t read_all(int fd, char *buf, size_t size) {
        size_t n = 0;
        while (n < size) {
                ssize_t k = read(fd, buf + n, size - n);
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                n += k;
        }
        return n;
}

static int compare_strings_desc(const void *a, const void *b) {
        return -strcmp(*(char * const *) a, *(char * const *) b);
}

/* Unmounts every mount at or below root, deepest first (a record of an
 * older version: the root alone, in stasisd's namespace). */
static void unmount_below(const char *root) {
        _cleanup_mount_table_ MountTable *t = NULL;
        _cleanup_strv_free_ char **l = NULL;

        if (mount_table_load(&t) < 0)
                return;
        for (size_t i = 0; i < t->n; i++)
                if (path_has_prefix(t->entries[i].mount_point, root) > 0)
                        (void) strv_extend(&l, t->entries[i].mount_point);
        if (!l)
                return;
        qsort(l, strv_length(l), sizeof(char *), compare_strings_desc);
        STRV_FOREACH(p, l)
                if (umount2(*p, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
                        log_error_errno(-errno, "Failed to unmount %s, left by a previous run: %m", *p);
                else
                        log_info("Unmounted %s, left mounted by a previous run.", *p);
}

/* A mount namespace with this identity, through a process in it; -ENOENT
 * when no process is in it any more (the namespace, and the view in it,
 * are gone then). */
static int find_namespace(dev_t dev, ino_t ino) {
        DIR *d = opendir("/proc");
        if (!d)
                return -errno;
        int fd = -ENOENT;
        for (struct dirent *de; fd < 0 && (de = readdir(d)); ) {
                char p[300];
                struct stat st;
                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                snprintf(p, sizeof p, "/proc/%s/ns/mnt", de->d_name);
                if (stat(p, &st) < 0 || st.st_dev != dev || st.st_ino != ino)
                        continue;
                int nfd = open(p, O_RDONLY | O_CLOEXEC);
                /* The process may have gone, and its number been reused, in between. */
                if (nfd >= 0 && fstat(nfd, &st) >= 0 && st.st_dev == dev && st.st_ino == ino)
                        fd = nfd;
                else
                        safe_close(nfd);
        }
        closedir(d);
        return fd;
}

/* Unmounts path if it is still the mount recorded (its root directory has
 * dev and ino): opened without following a symlink, and unmounted through
 * that very file descriptor, so that nothing else is ever unmounted. */
static void unmount_recorded(const char *path, dev_t dev, ino_t ino) {
        _cleanup_close_ int fd = openat2_fd(AT_FDCWD, path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
                                            RESOLVE_NO_SYMLINKS);
        struct statx sx;
        char p[64];

        if (fd < 0) {
                log_info("%s, left mounted by a previous run, is not there any more.", path);
                return;
        }
        if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0 || !(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
            makedev(sx.stx_dev_major, sx.stx_dev_minor) != dev || sx.stx_ino != ino) {
                log_info("%s is not the snapshot a previous run mounted there any more; left as it is.", path);
                return;
        }
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        if (umount2(p, MNT_DETACH) < 0)
                log_error_errno(-errno, "Failed to unmount %s, left by a previous run: %m", path);
        else
                log_info("Unmounted %s, left mounted by a previous run.", path);
}

typedef struct Record {
        const char *root;
        bool has_ns;
        dev_t ns_dev;
        ino_t ns_ino;
        char **made;
        char **mounts;          /* paths */
        dev_t *devs;
        ino_t *inos;
        size_t n;
} Record;

static void record_done(Record *r) {
        strv_free(r->made);
        strv_free(r->mounts);
        free(r->devs);
        free(r->inos);
}

/* Fields of buf (n bytes, NUL-terminated ones) into rec; -EBADMSG if malformed. */
static int record_parse(const char *buf, size_t n, Record *rec) {
        const char *f[4];
        size_t pos = 0;

#define NEXT(x) ({ if (pos >= n) return -EBADMSG; (x) = buf + pos; pos += strlen(x) + 1; })
        NEXT(f[0]);
        if (!streq(f[0], RECORD_MAGIC))
                return -EBADMSG;
        while (pos < n) {
                NEXT(f[0]);
                if (streq(f[0], "root")) {
                        NEXT(rec->root);
                } else if (streq(f[0], "ns")) {
                        NEXT(f[1]);
                        NEXT(f[2]);
                        rec->has_ns = true;
                        rec->ns_dev = strtoull(f[1], NULL, 10);
                        rec->ns_ino = strtoull(f[2], NULL, 10);
                } else if (streq(f[0], "made")) {
                        NEXT(f[1]);
                        if (strv_extend(&rec->made, f[1]) < 0)
                                return -ENOMEM;
                } else if (streq(f[0], "mount")) {
                        NEXT(f[1]);
                        NEXT(f[2]);
                        NEXT(f[3]);
                        dev_t *d = realloc(rec->devs, (rec->n + 1) * sizeof(dev_t));
                        if (d)
                                rec->devs = d;
                        ino_t *i = realloc(rec->inos, (rec->n + 1) * sizeof(ino_t));
                        if (i)
                                rec->inos = i;
                        if (!d || !i || strv_extend(&rec->mounts, f[3]) < 0)
                                return -ENOMEM;
                        rec->devs[rec->n] = strtoull(f[1], NULL, 10);
                        rec->inos[rec->n++] = strtoull(f[2], NULL, 10);
                } else
                        return -EBADMSG;
        }
#undef NEXT
        return rec->root && rec->root[0] == '/' ? 0 : -EBADMSG;
}

/* Takes down the view of rec, in its namespace if it is in another one. */
static void clean_record(const Record *rec, const char *sets) {
        _cleanup_close_ int ns = -1;
        int own = -1, r;

        if (rec->has_ns) {
                ns = find_namespace(rec->ns_dev, rec->ns_ino);
                if (ns == -ENOENT) {
                        log_info("The mount namespace %s was mounted in by a previous run is gone, and the view "
                                 "with it.", rec->root);
                        return;
                }
                r = ns < 0 ? ns : set_views_ns_enter(ns, &own);
                if (r < 0) {
                        log_error_errno(r, "Cannot enter the mount namespace of the view at %s, left by a previous "
                                        "run; unmount it by hand: %m", rec->root);
                        return;
                }
        }
        for (size_t i = rec->n; i > 0; i--)
                unmount_recorded(rec->mounts[i - 1], rec->devs[i - 1], rec->inos[i - 1]);
        for (size_t i = strv_length(rec->made); i > 0; i--)
                set_views_rmdir_strict(rec->made[i - 1]);
        if (path_has_prefix(rec->root, sets) > 0)
                set_views_rmdir_strict(rec->root);
        set_views_ns_leave(own);
}

void set_views_clean_stale(const char *runtime_dir) {
        _cleanup_free_ char *records = NULL, *sets = NULL, *scratch = NULL;
        DIR *d;

        if (asprintf(&records, "%s/" SET_VIEWS_RECORDS, runtime_dir) < 0 ||
            asprintf(&sets, "%s/" SET_VIEWS_SUBDIR, runtime_dir) < 0 ||
            asprintf(&scratch, "%s/" SET_VIEWS_SCRATCH, runtime_dir) < 0)
                return;
        /* A provider's mount on the way, if stasisd died in between. */
        unmount_below(scratch);
        d = opendir(records);
        if (!d)
                return;
        for (struct dirent *de; (de = readdir(d)); ) {
                _cleanup_free_ char *buf = malloc(RECORD_MAX + 1);
                if (de->d_name[0] == '.' || !buf)
                        continue;
                _cleanup_close_ int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                ssize_t n = fd >= 0 ? read_all(fd, buf, RECORD_MAX) : -1;
                if (n > 0) {
                        buf[n] = 0;
                        Record rec = {};
                        if (memchr(buf, 0, n) == NULL) {
                                /* An older version's: the root alone, in stasisd's namespace. */
                                if (buf[0] == '/') {
                                        unmount_below(buf);
                                        if (path_has_prefix(buf, sets) > 0)
                                                (void) rmdir(buf);
                                }
                        } else if (record_parse(buf, n, &rec) >= 0)
                                clean_record(&rec, sets);
                        else
                                log_error("Ignoring the malformed record %s/%s of a view.", records, de->d_name);
                        record_done(&rec);
                }
                (void) unlinkat(dirfd(d), de->d_name, 0);
        }
        closedir(d);
}
