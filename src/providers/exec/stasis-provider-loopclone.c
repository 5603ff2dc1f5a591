/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-provider-loopclone.c - example external provider (docs/provider-spec.md): snapshots the image file behind a loop device */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/fs.h>
#include <linux/loop.h>

#include "provider-protocol.h"

#define PROVIDER_NAME     "stasis-provider-loopclone"
#define HANDLE_MAX        200
#define STORE_DIR_NAME    ".stasis-loopclone"
#define STORE_ENV         "STASIS_LOOPCLONE_STORE"
#define COPY_CHUNK        (1024 * 1024)
#define LOOP_GRAB_TRIES   16

/* What commit made in this call, so that a failure can take it back. */
#define MADE_MAX 256
static char *made_clones[MADE_MAX];
static size_t n_made_clones;
static char *made_stores[MADE_MAX];
static size_t n_made_stores;
/* What mount mounted, for the same reason. */
static const char *mounted_target;

static void close_keep_errno(int fd) {
        int e = errno;
        if (fd >= 0)
                close(fd);
        errno = e;
}

/* ---- the request ---- */

static int get_path(json_object *o, const char *what, const char *key, const char **ret) {
        if (get_string(o, what, key, true, ret) < 0)
                return -1;
        if ((*ret)[0] != '/')
                return fail("%s field \"%s\" is not an absolute path: '%s'", what, key, *ret);
        return 0;
}

typedef struct Volume {
        const char *path, *mount_point, *device, *fstype, *source, *key, *handle;
} Volume;

/* Reads and checks a volume object. with_handle: the fields stasisd adds after
 * probe (source, key, handle) must be there too. placed: path and mount_point
 * must be absolute paths (probe, commit). */
static int parse_volume(json_object *o, const char *what, bool with_handle, bool placed, Volume *v) {
        *v = (Volume) {};
        if (!o)
                return fail("request lacks \"volume\"");
        if (!json_object_is_type(o, json_type_object))
                return fail("%s is not a JSON object", what);
        /* A snapshot listed by list and adopted has no known place: delete,
         * exists and mount get "" for path and mount_point then. */
        if ((placed ? get_path(o, what, "path", &v->path) : get_string(o, what, "path", true, &v->path)) < 0 ||
            (placed ? get_path(o, what, "mount_point", &v->mount_point) :
                      get_string(o, what, "mount_point", true, &v->mount_point)) < 0 ||
            get_string(o, what, "device", true, &v->device) < 0 ||
            get_string(o, what, "fstype", true, &v->fstype) < 0)
                return -1;
        if (get_string(o, what, "source", with_handle, &v->source) < 0 ||
            get_string(o, what, "key", with_handle, &v->key) < 0 ||
            get_string(o, what, "handle", with_handle, &v->handle) < 0)
                return -1;
        for (const char *c = v->fstype; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("._-", *c))
                        return fail("%s field \"fstype\" is not a file system type: '%s'", what, v->fstype);
        if (!with_handle)
                return 0;

        if (v->source[0] != '/')
                return fail("%s field \"source\" is not an absolute path: '%s'", what, v->source);
        size_t hl = strlen(v->handle);
        if (hl == 0 || hl > HANDLE_MAX || v->handle[0] == '.')
                return fail("%s field \"handle\" is not a usable snapshot name: '%s'", what, v->handle);
        for (const char *c = v->handle; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("._-", *c))
                        return fail("%s field \"handle\" is not a usable snapshot name: '%s'", what, v->handle);
        if (strncmp(v->key, "loopclone:", 10) != 0 || strcmp(v->key + 10, v->source) != 0)
                return fail("%s of %s: key '%s' is not this provider's key for source %s", what, v->path,
                            v->key, v->source);
        return 0;
}

static int parse_single_volume(json_object *req, bool with_handle, Volume *v) {
        json_object *o = NULL;
        (void) json_object_object_get_ex(req, "volume", &o);
        if (o && json_object_is_type(o, json_type_null))
                o = NULL;
        return parse_volume(o, "volume", with_handle, !with_handle, v);
}

/* ---- loop devices ---- */

/* "/dev/loopN" → N; -1 for anything else. */
static long loop_number(const char *device) {
        const char *p = device;
        char *end;
        if (strncmp(p, "/dev/loop", 9) != 0 || !isdigit((unsigned char) p[9]))
                return -1;
        errno = 0;
        long n = strtol(p + 9, &end, 10);
        if (errno != 0 || *end != 0 || n < 0 || n > INT_MAX || (p[9] == '0' && p[10] != 0))
                return -1;
        return n;
}

/* Reads a sysfs attribute of loopN into buf, without the trailing newline.
 * 1 on success, 0 if it does not exist, -1 after fail(). */
static int read_loop_attr(long n, const char *attr, char *buf, size_t size) {
        char p[128];
        snprintf(p, sizeof p, "/sys/block/loop%ld/loop/%s", n, attr);
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return fail("cannot open %s: %s", p, strerror(errno));
        }
        ssize_t l = read(fd, buf, size - 1);
        int e = errno;
        close(fd);
        if (l < 0)
                return fail("cannot read %s: %s", p, strerror(e));
        if ((size_t) l == size - 1)
                return fail("%s is too long", p);
        buf[l] = 0;
        if (l > 0 && buf[l - 1] == '\n')
                buf[l - 1] = 0;
        return 1;
}

/* Whether st (of the file at path) is the file loop device reads: 0 if so,
 * -1 with the reason reported if not. */
static int loop_backs(const char *device, const struct stat *st, const char *path) {
        int fd = open(device, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return fail("cannot open %s: %s", device, strerror(errno));
        struct loop_info64 info = {};
        if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0) {
                int e = errno;
                close(fd);
                return fail("cannot read the state of %s: %s", device, strerror(e));
        }
        close(fd);
        uint64_t ma = major(st->st_dev), mi = minor(st->st_dev);
        uint64_t encoded = (mi & 0xff) | (ma << 8) | ((mi & ~(uint64_t) 0xff) << 12);
        if (info.lo_inode != (uint64_t) st->st_ino || info.lo_device != encoded)
                return fail("%s is not the file behind %s any more (renamed or replaced?)", path, device);
        return 0;
}

/* The image file behind device: 1 with *ret (malloc'ed) when device is a
 * /dev/loopN with a backing file, 0 when it is not, -1 after fail() when it
 * is one that this provider cannot take. */
static int loop_backing_file(const char *device, char **ret) {
        char buf[PATH_MAX + 64], num[64];
        long n = loop_number(device);
        int r;

        *ret = NULL;
        if (n < 0)
                return 0;
        r = read_loop_attr(n, "backing_file", buf, sizeof buf);
        if (r <= 0)
                return r;
        if (buf[0] == 0)
                return 0;
        size_t l = strlen(buf);
        if (l >= 10 && strcmp(buf + l - 10, " (deleted)") == 0)
                return fail("the image file behind %s was deleted (%s); it cannot be snapshotted", device, buf);
        if (buf[0] != '/')
                return fail("the image file behind %s is not reachable by a path here: '%s'", device, buf);

        /* A clone of the image is only mountable if the file system starts at its beginning. */
        r = read_loop_attr(n, "offset", num, sizeof num);
        if (r < 0)
                return -1;
        if (r > 0 && strcmp(num, "0") != 0)
                return fail("%s maps %s from offset %s; only whole image files are supported", device, buf, num);
        r = read_loop_attr(n, "sizelimit", num, sizeof num);
        if (r < 0)
                return -1;
        if (r > 0 && strcmp(num, "0") != 0)
                return fail("%s maps only %s bytes of %s; only whole image files are supported", device, num, buf);

        /* The path must still name the file the loop device reads (not a file
         * put in its place since). */
        struct stat st;
        if (stat(buf, &st) < 0)
                return fail("cannot access the image file %s behind %s: %s", buf, device, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return fail("the image %s behind %s is not a regular file", buf, device);

        r = loop_backs(device, &st, buf);
        if (r < 0)
                return r;

        *ret = strdup(buf);
        if (!*ret)
                return fail("out of memory");
        return 1;
}

/* ---- the store ---- */

/* The directory that holds the clones of image. */
static char *store_dir(const char *image) {
        const char *env = getenv(STORE_ENV);
        char *s;

        if (env && env[0]) {
                if (env[0] != '/') {
                        fail("%s must be an absolute path, not '%s'", STORE_ENV, env);
                        return NULL;
                }
                s = strdup(env);
        } else {
                const char *slash = strrchr(image, '/');
                int dl = (int) (slash - image);
                if (asprintf(&s, "%.*s/%s", dl, image, STORE_DIR_NAME) < 0)
                        s = NULL;
        }
        if (!s)
                fail("out of memory");
        return s;
}

static char *clone_path(const char *store, const char *handle) {
        char *p;
        if (asprintf(&p, "%s/%s.img", store, handle) < 0) {
                fail("out of memory");
                return NULL;
        }
        return p;
}

/* Opens the store, which must be a directory of root's that nobody else may
 * write: it usually sits beside the image, in a directory whose owner may
 * be a user (an image set up for a user, as udisks does), who could have
 * put a symbolic link there (the clone would be written where it points) or
 * a directory of their own (they could swap the clone). Opened without
 * following a symbolic link and checked on the descriptor. The fd, or -1
 * after fail() (errno kept for ENOENT). */
static int open_store(const char *store) {
        struct stat st;
        int fd = open(store, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

        if (fd < 0) {
                int e = errno;
                if (e == ELOOP || (e == ENOTDIR && lstat(store, &st) == 0 && S_ISLNK(st.st_mode)))
                        fail("store %s is a symbolic link; it must be a directory of root's", store);
                else if (e == ENOTDIR)
                        fail("store %s is not a directory", store);
                else if (e != ENOENT)
                        fail("cannot access the store %s: %s", store, strerror(e));
                errno = e;
                return -1;
        }
        if (fstat(fd, &st) < 0) {
                fail("cannot access the store %s: %s", store, strerror(errno));
                close(fd);
                return -1;
        }
        if (st.st_uid != 0 || (st.st_mode & 022)) {
                if (st.st_uid != 0)
                        fail("store %s is owned by uid %u; it must be root's, not writable by others", store,
                             (unsigned) st.st_uid);
                else
                        fail("store %s is writable by group or others; it must be root's alone", store);
                close(fd);
                errno = EPERM;
                return -1;
        }
        return fd;
}

/* When the store is not there: 0 if it evidently was never made (the place it
 * would be made in is there), -1 after fail() when that cannot be told (its
 * file system is not mounted, say). */
static int store_absent_is_empty(const char *store, const char *image, const char *clone) {
        const char *env = getenv(STORE_ENV);
        struct stat st;

        if (env && env[0]) {
                char *parent = strdup(store);
                if (!parent)
                        return fail("out of memory");
                char *slash = strrchr(parent, '/');
                if (slash == parent)
                        slash[1] = 0;
                else
                        *slash = 0;
                int r = stat(parent, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
                if (r < 0)
                        fail("cannot tell whether %s exists: neither the store %s nor the directory that holds it is there",
                             clone, store);
                free(parent);
                return r;
        }
        if (stat(image, &st) == 0)
                return 0;
        return fail("cannot tell whether %s exists: neither the store %s nor the image %s is there (is its file system mounted?)",
                    clone, store, image);
}

/* Where volume v's clone is: 1 with *ret_clone if the store is there, 0 if
 * neither it nor the clone can be there, -1 after fail(). */
static int find_clone(const Volume *v, char **ret_clone) {
        char *store = store_dir(v->source), *clone = NULL;
        int r;

        *ret_clone = NULL;
        if (!store)
                return -1;
        clone = clone_path(store, v->handle);
        if (!clone) {
                free(store);
                return -1;
        }
        int fd = open_store(store);
        if (fd >= 0) {
                close(fd);
                r = 1;
        } else if (errno == ENOENT)
                r = store_absent_is_empty(store, v->source, clone);
        else
                r = -1;
        free(store);
        if (r == 1)
                *ret_clone = clone;
        else
                free(clone);
        return r;
}

static void sync_dir_of(const char *file) {
        char *d = strdup(file);
        if (!d)
                return;
        char *slash = strrchr(d, '/');
        if (slash && slash != d) {
                *slash = 0;
                int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd >= 0) {
                        (void) fsync(fd);
                        close(fd);
                }
        }
        free(d);
}

/* ---- copying ---- */

static int copy_range(int in, int out, off_t off, off_t end, bool *use_cfr, char **buf,
                      const char *image, const char *clone) {
        while (off < end) {
                size_t want = (size_t) (end - off < COPY_CHUNK * 64 ? end - off : COPY_CHUNK * 64);
                if (*use_cfr) {
                        loff_t io = off, oo = off;
                        ssize_t n = copy_file_range(in, &io, out, &oo, want, 0);
                        if (n > 0) {
                                off += n;
                                continue;
                        }
                        if (n == 0)
                                return fail("copying %s to %s: the image ended early (at %lld bytes)", image, clone,
                                            (long long) off);
                        if (errno == EINTR)
                                continue;
                        if (errno != EXDEV && errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
                                return fail("copying %s to %s: %s", image, clone, strerror(errno));
                        *use_cfr = false;   /* not between these two file systems: read and write */
                }
                if (!*buf) {
                        *buf = malloc(COPY_CHUNK);
                        if (!*buf)
                                return fail("out of memory");
                }
                if (want > COPY_CHUNK)
                        want = COPY_CHUNK;
                ssize_t n = pread(in, *buf, want, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return fail("reading %s: %s", image, strerror(errno));
                }
                if (n == 0)
                        return fail("copying %s to %s: the image ended early (at %lld bytes)", image, clone,
                                    (long long) off);
                for (ssize_t done = 0; done < n;) {
                        ssize_t w = pwrite(out, *buf + done, (size_t) (n - done), off + done);
                        if (w < 0) {
                                if (errno == EINTR)
                                        continue;
                                return fail("writing %s: %s", clone, strerror(errno));
                        }
                        done += w;
                }
                off += n;
        }
        return 0;
}

/* A full copy of in to out that keeps the holes of a sparse image. */
static int copy_image(int in, int out, off_t size, const char *image, const char *clone) {
        bool use_cfr = true;
        char *buf = NULL;
        off_t pos = 0;
        int r = 0;

        while (pos < size) {
                off_t data = lseek(in, pos, SEEK_DATA);
                if (data < 0 && errno == ENXIO)
                        break;              /* a hole up to the end */
                if (data < 0 && errno == EINVAL)
                        data = pos;         /* no SEEK_DATA here: all of it is data */
                else if (data < 0) {
                        r = fail("looking for data in %s: %s", image, strerror(errno));
                        break;
                }
                if (data >= size)
                        break;
                off_t hole = lseek(in, data, SEEK_HOLE);
                if (hole < 0 || hole > size)
                        hole = size;
                r = copy_range(in, out, data, hole, &use_cfr, &buf, image, clone);
                if (r < 0)
                        break;
                pos = hole;
        }
        free(buf);
        if (r == 0 && ftruncate(out, size) < 0)
                r = fail("cannot set the size of %s: %s", clone, strerror(errno));
        return r;
}

/* ---- the verbs ---- */

static int do_probe(json_object *req, json_object *resp) {
        Volume v;
        char *image = NULL;

        if (parse_single_volume(req, false, &v) < 0)
                return -1;
        int r = loop_backing_file(v.device, &image);
        if (r < 0)
                return -1;
        if (r == 0) {
                json_object_object_add(resp, "supported", json_object_new_boolean(false));
                return 0;
        }
        char *key;
        if (asprintf(&key, "loopclone:%s", image) < 0) {
                free(image);
                return fail("out of memory");
        }
        json_object_object_add(resp, "supported", json_object_new_boolean(true));
        json_object_object_add(resp, "priority", json_object_new_int(50));
        json_object_object_add(resp, "hold", json_object_new_string("freeze"));
        json_object_object_add(resp, "key", json_object_new_string(key));
        json_object_object_add(resp, "source", json_object_new_string(image));
        free(key);
        free(image);
        return 0;
}

/* Removes what this commit made (after a failure). */
static void commit_undo(void) {
        for (size_t i = n_made_clones; i > 0; i--) {
                if (unlink(made_clones[i - 1]) < 0 && errno != ENOENT)
                        fprintf(stderr, "%s: %s: cannot remove %s: %s\n", PROVIDER_NAME, verb,
                                made_clones[i - 1], strerror(errno));
                else
                        sync_dir_of(made_clones[i - 1]);
                free(made_clones[i - 1]);
        }
        n_made_clones = 0;
        for (size_t i = n_made_stores; i > 0; i--) {
                (void) rmdir(made_stores[i - 1]);   /* only if it stayed empty */
                free(made_stores[i - 1]);
        }
        n_made_stores = 0;
}

/* The store's fd, made if need be; -1 after fail(). */
static int make_store(const char *store) {
        if (mkdir(store, 0700) == 0) {
                char *d = strdup(store);
                if (d && n_made_stores < MADE_MAX)
                        made_stores[n_made_stores++] = d;
                else
                        free(d);
                sync_dir_of(store);
        } else if (errno != EEXIST)
                return fail("cannot create the store %s: %s", store, strerror(errno));
        int fd = open_store(store);
        if (fd < 0 && errno == ENOENT)
                fail("the store %s went away as it was made", store);
        return fd;
}

static int clone_one(const Volume *v) {
        char *store = NULL, *clone = NULL;
        int in = -1, out = -1, dfd = -1, r = -1;
        struct stat st;

        store = store_dir(v->source);
        if (!store)
                goto finish;
        clone = clone_path(store, v->handle);
        if (!clone || (dfd = make_store(store)) < 0)
                goto finish;

        /* The image's directory may be a user's: what is opened must be the
         * very file the loop device reads (the path may have been swapped for
         * a symbolic link, or another file, since probe). */
        in = open(v->source, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
        if (in < 0) {
                fail("cannot open the image %s: %s", v->source, strerror(errno));
                goto finish;
        }
        if (fstat(in, &st) < 0) {
                fail("cannot stat the image %s: %s", v->source, strerror(errno));
                goto finish;
        }
        if (!S_ISREG(st.st_mode)) {
                fail("the image %s is not a regular file", v->source);
                goto finish;
        }
        if (loop_backs(v->device, &st, v->source) < 0)
                goto finish;
        /* In the store checked above, even if its path changed since. */
        out = openat(dfd, strrchr(clone, '/') + 1, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW,
                     0600);
        if (out < 0) {
                if (errno == EEXIST)
                        fail("clone %s exists already (snapshot %s was taken before?)", clone, v->handle);
                else
                        fail("cannot create the clone %s: %s", clone, strerror(errno));
                goto finish;
        }
        if (n_made_clones >= MADE_MAX) {
                close(out);
                out = -1;
                (void) unlink(clone);
                fail("too many volumes in one commit (at most %d)", MADE_MAX);
                goto finish;
        }
        made_clones[n_made_clones++] = clone;
        clone = NULL;
        const char *cp = made_clones[n_made_clones - 1];

        if (ioctl(out, FICLONE, in) < 0) {
                if (errno != EXDEV && errno != EOPNOTSUPP && errno != EINVAL && errno != ENOTTY) {
                        fail("cannot clone %s to %s: %s", v->source, cp, strerror(errno));
                        goto finish;
                }
                /* Another file system, or no reflinks: a full copy. */
                if (copy_image(in, out, st.st_size, v->source, cp) < 0)
                        goto finish;
        }
        if (fsync(out) < 0) {
                fail("cannot write %s to disk: %s", cp, strerror(errno));
                goto finish;
        }
        if (close(out) < 0) {
                out = -1;
                fail("cannot write %s: %s", cp, strerror(errno));
                goto finish;
        }
        out = -1;
        sync_dir_of(cp);
        r = 0;
finish:
        close_keep_errno(in);
        close_keep_errno(out);
        close_keep_errno(dfd);
        free(store);
        free(clone);
        return r;
}

/* The store of v must not be on a file system frozen for this commit (one of
 * vols): writing there would block until the time limit. */
static int check_store_not_frozen(const Volume *v, const Volume *vols, size_t n) {
        char *store = store_dir(v->source);
        struct stat st, mst;
        int r = 0;

        if (!store)
                return -1;
        /* Where it is, or where it will be made. */
        if (stat(store, &st) < 0) {
                char *slash = strrchr(store, '/');
                if (slash == store)
                        slash[1] = 0;
                else
                        *slash = 0;
                if (stat(store, &st) < 0) {
                        r = fail("cannot access %s, the directory to hold the store for %s: %s", store, v->source,
                                 strerror(errno));
                        goto finish;
                }
        }
        for (size_t k = 0; k < n; k++)
                if (stat(vols[k].mount_point, &mst) == 0 && mst.st_dev == st.st_dev) {
                        r = fail("the store for %s (in %s) is on %s, which is frozen for this commit; "
                                 "set %s to a directory on another file system",
                                 v->source, store, vols[k].mount_point, STORE_ENV);
                        break;
                }
finish:
        free(store);
        return r;
}

static int do_commit(json_object *req, json_object *resp) {
        json_object *arr;
        const char *set_id;

        (void) resp;   /* the answer is only {"version": 1} */
        if (get_string(req, "request", "set_id", true, &set_id) < 0)
                return -1;
        if (!json_object_object_get_ex(req, "volumes", &arr))
                return fail("request lacks \"volumes\"");
        if (!json_object_is_type(arr, json_type_array))
                return fail("request field \"volumes\" is not an array");
        size_t n = json_object_array_length(arr);
        if (n == 0)
                return fail("request field \"volumes\" is empty");
        if (n > MADE_MAX)
                return fail("too many volumes in one commit (%zu; at most %d)", n, MADE_MAX);

        Volume *vols = calloc(n, sizeof(Volume));
        if (!vols)
                return fail("out of memory");

        /* Check all of them before making anything. */
        int r = 0;
        for (size_t i = 0; i < n && r == 0; i++) {
                char what[64], *image = NULL;
                snprintf(what, sizeof what, "volumes[%zu]", i);
                if (parse_volume(json_object_array_get_idx(arr, i), what, true, true, &vols[i]) < 0) {
                        r = -1;
                        break;
                }
                int k = loop_backing_file(vols[i].device, &image);
                if (k < 0)
                        r = -1;
                else if (k == 0)
                        r = fail("%s (volume %s) is not a loop device with an image file", vols[i].device,
                                 vols[i].path);
                else if (strcmp(image, vols[i].source) != 0)
                        r = fail("%s now reads %s, not %s as at probe", vols[i].device, image, vols[i].source);
                for (size_t j = 0; r == 0 && j < i; j++)
                        if (strcmp(vols[j].handle, vols[i].handle) == 0)
                                r = fail("handle %s is given twice", vols[i].handle);
                free(image);
        }
        for (size_t i = 0; i < n && r == 0; i++)
                r = check_store_not_frozen(&vols[i], vols, n);
        for (size_t i = 0; i < n && r == 0; i++)
                r = clone_one(&vols[i]);
        if (r < 0)
                commit_undo();
        free(vols);
        return r;
}

static int do_delete(json_object *req, json_object *resp) {
        Volume v;
        char *clone = NULL;
        struct stat st;
        int r;

        (void) resp;   /* the answer is only {"version": 1} */
        if (parse_single_volume(req, true, &v) < 0)
                return -1;
        r = find_clone(&v, &clone);
        if (r <= 0)
                return r;   /* an error, or no store: nothing to delete */
        /* From the store's checked descriptor: its path may have changed
         * since find_clone() looked. */
        char *store = store_dir(v.source);
        int dfd = store ? open_store(store) : -1;
        const char *name = strrchr(clone, '/') + 1;
        free(store);
        r = 0;
        if (dfd < 0)
                r = errno == ENOENT ? 0 : -1;
        else if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                r = errno == ENOENT ? 0 : fail("cannot access the clone %s: %s", clone, strerror(errno));
        } else if (!S_ISREG(st.st_mode)) {
                r = fail("%s is not a regular file; not deleting it", clone);
        } else if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT) {
                r = fail("cannot delete the clone %s: %s", clone, strerror(errno));
        } else
                (void) fsync(dfd);
        close_keep_errno(dfd);
        free(clone);
        return r;
}

static int do_exists(json_object *req, json_object *resp) {
        Volume v;
        char *clone = NULL;
        struct stat st;
        bool exists = false;
        int r;

        if (parse_single_volume(req, true, &v) < 0)
                return -1;
        r = find_clone(&v, &clone);
        if (r < 0)
                return -1;
        if (r > 0) {
                if (lstat(clone, &st) == 0) {
                        if (!S_ISREG(st.st_mode))
                                r = fail("%s is not a regular file", clone);
                        exists = true;
                } else if (errno != ENOENT)
                        r = fail("cannot access the clone %s: %s", clone, strerror(errno));
                free(clone);
                if (r < 0)
                        return -1;
        }
        json_object_object_add(resp, "exists", json_object_new_boolean(exists));
        return 0;
}

static int check_target(const char *target) {
        struct stat st;
        if (lstat(target, &st) < 0)
                return fail("cannot access the target %s: %s", target, strerror(errno));
        if (!S_ISDIR(st.st_mode))
                return fail("the target %s is not a directory", target);
        DIR *d = opendir(target);
        if (!d)
                return fail("cannot open the target %s: %s", target, strerror(errno));
        struct dirent *de;
        bool empty = true;
        while ((de = readdir(d)))
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
                        empty = false;
                        break;
                }
        closedir(d);
        if (!empty)
                return fail("the target %s is not empty", target);
        return 0;
}

/* Attaches file (open read-only as fd) to a free loop device, read-only and
 * with autoclear. Returns the loop device's fd and its path in dev; -1 after fail(). */
static int attach_loop(int fd, const char *file, char *dev, size_t dev_size) {
        int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
        if (ctl < 0)
                return fail("cannot open /dev/loop-control: %s", strerror(errno));

        for (int tries = 0; tries < LOOP_GRAB_TRIES; tries++) {
                int n = ioctl(ctl, LOOP_CTL_GET_FREE);
                if (n < 0) {
                        int e = errno;
                        close(ctl);
                        return fail("cannot find a free loop device: %s", strerror(e));
                }
                snprintf(dev, dev_size, "/dev/loop%d", n);
                int lfd = open(dev, O_RDWR | O_CLOEXEC);
                if (lfd < 0 && (errno == EROFS || errno == EACCES))
                        lfd = open(dev, O_RDONLY | O_CLOEXEC);
                if (lfd < 0) {
                        int e = errno;
                        close(ctl);
                        return fail("cannot open %s: %s", dev, strerror(e));
                }
                struct loop_config cfg = {
                        .fd = (uint32_t) fd,
                        .info.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR,
                };
                snprintf((char *) cfg.info.lo_file_name, sizeof cfg.info.lo_file_name, "%s", file);
                if (ioctl(lfd, LOOP_CONFIGURE, &cfg) == 0) {
                        close(ctl);
                        return lfd;
                }
                if (errno == ENOTTY || errno == EINVAL) {
                        /* Before Linux 5.8: LOOP_SET_FD (read-only as fd is) + autoclear. */
                        if (ioctl(lfd, LOOP_SET_FD, fd) == 0) {
                                struct loop_info64 info = { .lo_flags = LO_FLAGS_AUTOCLEAR };
                                snprintf((char *) info.lo_file_name, sizeof info.lo_file_name, "%s", file);
                                if (ioctl(lfd, LOOP_SET_STATUS64, &info) == 0) {
                                        close(ctl);
                                        return lfd;
                                }
                                int e = errno;
                                (void) ioctl(lfd, LOOP_CLR_FD, 0);
                                close(lfd);
                                close(ctl);
                                return fail("cannot set up %s for %s: %s", dev, file, strerror(e));
                        }
                }
                int e = errno;
                close(lfd);
                if (e == EBUSY)
                        continue;   /* someone else took it first */
                close(ctl);
                return fail("cannot set up %s for %s: %s", dev, file, strerror(e));
        }
        close(ctl);
        return fail("cannot get a free loop device for %s: all were taken while trying", file);
}

static int do_mount(json_object *req, json_object *resp) {
        Volume v;
        const char *target;
        char *clone = NULL, dev[64];
        int fd = -1, lfd = -1, r = -1;
        struct stat st;

        if (parse_single_volume(req, true, &v) < 0 || get_path(req, "request", "target", &target) < 0)
                return -1;
        if (!v.fstype[0])
                return fail("volume field \"fstype\" is empty; cannot mount %s", v.handle);
        if (check_target(target) < 0)
                return -1;
        r = find_clone(&v, &clone);
        if (r < 0)
                return -1;
        if (r == 0)
                return fail("snapshot %s of %s does not exist (no store)", v.handle, v.source);
        r = -1;
        fd = open(clone, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        if (fd < 0) {
                fail("cannot open the clone %s: %s", clone, strerror(errno));
                goto finish;
        }
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
                fail("the clone %s is not a regular file", clone);
                goto finish;
        }
        lfd = attach_loop(fd, clone, dev, sizeof dev);
        if (lfd < 0)
                goto finish;

        /* A frozen file system looks like one that was never unmounted: mount it
         * without touching its journal or log. */
        const char *opts = NULL;
        if (strcmp(v.fstype, "ext4") == 0 || strcmp(v.fstype, "ext3") == 0)
                opts = "noload";
        else if (strcmp(v.fstype, "xfs") == 0)
                opts = "nouuid,norecovery";
        if (mount(dev, target, v.fstype, MS_RDONLY, opts) < 0) {
                fail("cannot mount %s (the clone %s, %s%s%s) at %s: %s (see the kernel log)", dev, clone, v.fstype,
                     opts ? " " : "", opts ? opts : "", target, strerror(errno));
                goto finish;   /* closing lfd lets autoclear detach it */
        }
        json_object_object_add(resp, "device", json_object_new_string(dev));
        mounted_target = target;
        r = 0;
finish:
        close_keep_errno(lfd);   /* the mount keeps it; unmounting releases it */
        close_keep_errno(fd);
        free(clone);
        return r;
}

/* ---- list ---- */

#define LIST_STORES_MAX 256

/* "stasis-<set id>-<index>.img", digits without leading zeros: a clone this
 * provider made for stasis; anything else in a store is not listed. */
static bool is_clone_name(const char *name) {
        const char *p = name;
        if (strncmp(p, "stasis-", 7) != 0)
                return false;
        p += 7;
        for (int part = 0; part < 2; part++) {
                const char *start = p;
                while (isdigit((unsigned char) *p))
                        p++;
                if (p == start || p - start > 19 || (*start == '0' && (part == 0 || p - start > 1)))
                        return false;
                if (*p != (part == 0 ? '-' : '.'))
                        return false;
                p++;
        }
        return strcmp(p, "img") == 0;
}

/* The stores to look in: STASIS_LOOPCLONE_STORE, or the store next to the
 * image of every loop device attached now. */
static int list_stores(char **stores, size_t *n) {
        const char *env = getenv(STORE_ENV);
        DIR *d;
        struct dirent *de;

        *n = 0;
        if (env && env[0]) {
                stores[0] = store_dir("/");
                if (!stores[0])
                        return -1;
                *n = 1;
                return 0;
        }
        d = opendir("/sys/block");
        if (!d)
                return fail("cannot list /sys/block: %s", strerror(errno));
        while ((de = readdir(d)) && *n < LIST_STORES_MAX) {
                char dev[300], *image = NULL;
                if (strncmp(de->d_name, "loop", 4) != 0)
                        continue;
                snprintf(dev, sizeof dev, "/dev/%s", de->d_name);
                fail_clear();
                if (loop_backing_file(dev, &image) <= 0) {
                        fail_clear();       /* not attached, or not an image it could take */
                        continue;
                }
                char *store = store_dir(image);
                free(image);
                if (!store) {
                        closedir(d);
                        return -1;
                }
                bool seen = false;
                for (size_t i = 0; i < *n && !seen; i++)
                        seen = strcmp(stores[i], store) == 0;
                if (seen)
                        free(store);
                else
                        stores[(*n)++] = store;
        }
        closedir(d);
        return 0;
}

/* Adds the clones in store to snapshots; a store that is not there holds none. */
static int list_store(const char *store, json_object *snapshots) {
        DIR *d = opendir(store);
        struct dirent *de;
        char *key = NULL;

        if (!d)
                return errno == ENOENT ? 0 : fail("cannot list the store %s: %s", store, strerror(errno));
        if (asprintf(&key, "loopclone:%s", store) < 0) {
                closedir(d);
                return fail("out of memory");
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (!is_clone_name(de->d_name) || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                    !S_ISREG(st.st_mode))
                        continue;
                /* The image a clone was taken of is not recorded: the store
                 * stands for it, and delete, exists and mount find the clone
                 * from it as they would from the image. */
                json_object *o = json_object_new_object();
                json_object_object_add(o, "handle", json_object_new_string_len(de->d_name, (int) strlen(de->d_name) - 4));
                json_object_object_add(o, "key", json_object_new_string(key));
                json_object_object_add(o, "source", json_object_new_string(store));
                json_object_object_add(o, "created", json_object_new_int64((int64_t) st.st_mtim.tv_sec));
                json_object_array_add(snapshots, o);
        }
        closedir(d);
        free(key);
        return 0;
}

static int do_list(json_object *req, json_object *resp) {
        char *stores[LIST_STORES_MAX];
        size_t n = 0;
        int r;

        (void) req;
        r = list_stores(stores, &n);
        json_object *snapshots = json_object_new_array();
        for (size_t i = 0; r == 0 && i < n; i++)
                r = list_store(stores[i], snapshots);
        for (size_t i = 0; i < n; i++)
                free(stores[i]);
        if (r < 0) {
                json_object_put(snapshots);
                return -1;
        }
        json_object_object_add(resp, "snapshots", snapshots);
        return 0;
}

/* ---- main ---- */

/* The answer could not be written: stasisd will not learn of what was made. */
static void undo(void) {
        if (n_made_clones > 0)
                commit_undo();
        if (mounted_target)
                (void) umount2(mounted_target, MNT_DETACH);
}

int main(int argc, char *argv[]) {
        static const ProviderVerb verbs[] = {
                { "probe", do_probe },
                { "commit", do_commit },
                { "delete", do_delete },
                { "exists", do_exists },
                { "mount", do_mount },
                { "list", do_list },
        };
        return provider_main(argc, argv, PROVIDER_NAME, verbs, sizeof verbs / sizeof verbs[0], undo);
}
