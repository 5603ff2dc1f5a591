/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-store.c - the snapshot store stasis owns on each btrfs file system: a root-owned 0700
 * subvolume ".stasis" in the top-level subvolume, reached through a private mount */
#include <btrfsutil.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/btrfs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "btrfs-store.h"
#include "fd-util.h"
#include "macro.h"
#include "mountinfo.h"

#define TOP_LEVEL_ID 5                  /* BTRFS_FS_TREE_OBJECTID */
#define BENEATH (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)

void btrfs_store_close(BtrfsStore *s) {
        s->dir_fd = safe_close(s->dir_fd);
        s->mount_fd = safe_close(s->mount_fd);
        s->tree_fd = safe_close(s->tree_fd);
}

int btrfs_fsid_of_fd(int fd, uint8_t ret[BTRFS_FSID_SIZE]) {
        struct btrfs_ioctl_fs_info_args fs = {};
        if (ioctl(fd, BTRFS_IOC_FS_INFO, &fs) < 0)
                return -errno;
        memcpy(ret, fs.fsid, BTRFS_FSID_SIZE);
        return 0;
}

void btrfs_fsid_format(const uint8_t f[BTRFS_FSID_SIZE], char ret[BTRFS_FSID_STRING_MAX]) {
        snprintf(ret, BTRFS_FSID_STRING_MAX,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7],
                 f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15]);
}

static int hex_digit(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        return -1;
}

/* 32 lower-case hex digits, with the dashes of a UUID when dashes is set. */
static int parse_fsid(const char *s, bool dashes, uint8_t ret[BTRFS_FSID_SIZE], const char **ret_end) {
        for (size_t i = 0; i < BTRFS_FSID_SIZE; i++) {
                if (dashes && (i == 4 || i == 6 || i == 8 || i == 10)) {
                        if (*s != '-')
                                return -EINVAL;
                        s++;
                }
                int hi = hex_digit(s[0]), lo = hi < 0 ? -1 : hex_digit(s[1]);
                if (lo < 0)
                        return -EINVAL;
                ret[i] = (uint8_t) (hi << 4 | lo);
                s += 2;
        }
        *ret_end = s;
        return 0;
}

bool btrfs_digits_valid(const char *s, size_t n) {
        if (n == 0 || n > 20)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

int btrfs_key_parse(const char *key, uint8_t ret_fsid[BTRFS_FSID_SIZE], uint64_t *ret_subvolume) {
        const char *p = key ? startswith(key, "btrfs:") : NULL;
        uint8_t fsid[BTRFS_FSID_SIZE];

        if (!p || parse_fsid(p, false, fsid, &p) < 0 || *p != ':' || !btrfs_digits_valid(p + 1, strlen(p + 1)))
                return -EINVAL;
        errno = 0;
        uint64_t id = strtoull(p + 1, NULL, 10);
        if (errno)
                return -EINVAL;
        memcpy(ret_fsid, fsid, sizeof fsid);
        *ret_subvolume = id;
        return 0;
}

int btrfs_handle_format(const uint8_t fsid[BTRFS_FSID_SIZE], const char *set_id, size_t index, char **ret) {
        char uuid[BTRFS_FSID_STRING_MAX];

        if (!btrfs_digits_valid(set_id, strlen(set_id)))
                return -EINVAL;
        btrfs_fsid_format(fsid, uuid);
        if (asprintf(ret, "%s:/" BTRFS_STORE_NAME "/%s-%zu", uuid, set_id, index) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 0;
}

int btrfs_handle_parse(const char *handle, uint8_t ret_fsid[BTRFS_FSID_SIZE], const char **ret_name) {
        uint8_t fsid[BTRFS_FSID_SIZE];
        const char *p;

        if (parse_fsid(handle, true, fsid, &p) < 0)
                return 0;
        p = startswith(p, ":/" BTRFS_STORE_NAME "/");
        if (!p)
                return 0;
        /* <set id>-<index>: nothing else, so no "..", no "/", no symlink name. */
        const char *dash = strchr(p, '-');
        if (!dash || !btrfs_digits_valid(p, (size_t) (dash - p)) || !btrfs_digits_valid(dash + 1, strlen(dash + 1)))
                return 0;
        memcpy(ret_fsid, fsid, sizeof fsid);
        *ret_name = p;
        return 1;
}

/* The block devices of a mounted btrfs file system, from /sys/fs/btrfs/<uuid>/devices. */
static int fs_devices(const char *uuid, dev_t *ret, size_t max, size_t *ret_n) {
        char path[128];
        size_t n = 0;

        snprintf(path, sizeof path, "/sys/fs/btrfs/%s/devices", uuid);
        DIR *d = opendir(path);
        if (!d)
                return errno == ENOENT ? -ENODEV : -errno;
        for (struct dirent *de; (de = readdir(d)) && n < max; ) {
                char devfile[512], buf[32];
                unsigned maj, min;
                if (de->d_name[0] == '.')
                        continue;
                snprintf(devfile, sizeof devfile, "%s/%s/dev", path, de->d_name);
                FILE *f = fopen(devfile, "re");
                if (!f)
                        continue;
                if (fgets(buf, sizeof buf, f) && sscanf(buf, "%u:%u", &maj, &min) == 2)
                        ret[n++] = makedev(maj, min);
                fclose(f);
        }
        closedir(d);
        *ret_n = n;
        return n > 0 ? 0 : -ENODEV;
}

/* A device that holds file system uuid, as mounted, and whether its super
 * block is read-only. Mounting the top level read-write would turn a
 * read-only file system read-write, so a read-only one is mounted so. */
static int find_mounted_device(const char *uuid, char **ret_source, bool *ret_ro) {
        _cleanup_mount_table_ MountTable *t = NULL;
        dev_t devs[64];
        size_t n_devs = 0;
        int r;

        r = fs_devices(uuid, devs, ELEMENTSOF(devs), &n_devs);
        if (r < 0)
                return r;
        r = mount_table_load(&t);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n; i++) {
                const MountEntry *e = &t->entries[i];
                struct stat st;
                if (!streq(e->fstype, "btrfs") || e->source[0] != '/' || stat(e->source, &st) < 0 ||
                    !S_ISBLK(st.st_mode))
                        continue;
                for (size_t j = 0; j < n_devs; j++)
                        if (st.st_rdev == devs[j]) {
                                char *s = strdup(e->source);
                                if (!s)
                                        return -ENOMEM;
                                *ret_source = s;
                                *ret_ro = startswith(e->super_options, "ro") &&
                                          (e->super_options[2] == 0 || e->super_options[2] == ',');
                                return 0;
                        }
        }
        return -ENODEV;
}

/* Mounts the top-level subvolume of the file system on device source,
 * detached, and checks that it is the top of file system fsid. */
static int mount_top_level_of(const uint8_t fsid[BTRFS_FSID_SIZE], const char *uuid, const char *source, bool ro,
                              int *ret_tree_fd, int *ret_fd, StasisProviderResult *res) {
        _cleanup_close_ int fs = -1, mfd = -1;
        uint8_t got[BTRFS_FSID_SIZE];
        uint64_t id = 0;
        int r;

        fs = fsopen("btrfs", FSOPEN_CLOEXEC);
        if (fs < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "subvolid", "5", 0) < 0 ||
            (ro && fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0) ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return stasis_provider_result_set(res, -errno, "cannot mount the top level of btrfs file system %s (%s): %m",
                                                  uuid, source);
        mfd = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        if (mfd < 0)
                return stasis_provider_result_set(res, -errno, "cannot mount the top level of btrfs file system %s (%s): %m",
                                                  uuid, source);
        /* fsmount() gives an O_PATH fd; ioctls need a real one. */
        _cleanup_close_ int dfd = openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return stasis_provider_result_set(res, -errno, "cannot open the top level of btrfs file system %s: %m",
                                                  uuid);
        /* The device must hold the file system asked for, and this its top. */
        r = btrfs_fsid_of_fd(dfd, got);
        if (r >= 0 && btrfs_util_subvolume_id_fd(dfd, &id) != BTRFS_UTIL_OK)
                r = -errno;
        if (r < 0)
                return stasis_provider_result_set(res, r, "cannot read the top level of btrfs file system %s: %s",
                                                  uuid, strerror(-r));
        if (memcmp(got, fsid, sizeof got) != 0 || id != TOP_LEVEL_ID)
                return stasis_provider_result_set(res, -ENODEV, "%s is not the top level of btrfs file system %s",
                                                  source, uuid);
        *ret_tree_fd = TAKE_FD(mfd);
        *ret_fd = TAKE_FD(dfd);
        return 0;
}

/* A detached mount of the top-level subvolume: no path leads to it, so no
 * one can swap anything on the way. */
int btrfs_mount_top_level(const uint8_t fsid[BTRFS_FSID_SIZE], const char *rw_device,
                          int *ret_tree_fd, int *ret_fd, StasisProviderResult *res) {
        char uuid[BTRFS_FSID_STRING_MAX];
        _cleanup_free_ char *source = NULL;
        bool ro = false;
        int r;

        btrfs_fsid_format(fsid, uuid);
        /* The device the caller knows, without reading sysfs and the mount
         * table: whatever it is, the mount is checked to be fsid's top. */
        if (rw_device && rw_device[0] == '/') {
                StasisProviderResult ignored = {};
                struct stat st;
                if (stat(rw_device, &st) >= 0 && S_ISBLK(st.st_mode) &&
                    mount_top_level_of(fsid, uuid, rw_device, false, ret_tree_fd, ret_fd, &ignored) >= 0)
                        return 0;
        }
        r = find_mounted_device(uuid, &source, &ro);
        if (r == -ENODEV)
                return stasis_provider_result_set(res, r, "btrfs file system %s is not mounted", uuid);
        if (r < 0)
                return stasis_provider_result_set(res, r, "cannot find the devices of btrfs file system %s: %s",
                                                  uuid, strerror(-r));
        return mount_top_level_of(fsid, uuid, source, ro, ret_tree_fd, ret_fd, res);
}

void btrfs_store_describe_nondir(int dir_fd, const char *name, char *why, size_t why_size) {
        struct stat st;
        if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISLNK(st.st_mode))
                snprintf(why, why_size, "a symlink");
        else
                snprintf(why, why_size, "not a directory");
}

int btrfs_store_check_dir(int fd, char *why, size_t why_size) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISDIR(st.st_mode))
                snprintf(why, why_size, "not a directory");
        else if (btrfs_util_is_subvolume_fd(fd) != BTRFS_UTIL_OK)
                snprintf(why, why_size, "a plain directory");
        else if (st.st_uid != 0 || (st.st_mode & 07777) != 0700)
                snprintf(why, why_size, "owner uid %u, mode %04o", (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
        else
                return 0;
        return -EPERM;
}

int btrfs_store_open(const uint8_t fsid[BTRFS_FSID_SIZE], const char *rw_device, bool create, BtrfsStore *ret,
                     StasisProviderResult *res) {
        _cleanup_(btrfs_store_close) BtrfsStore s = BTRFS_STORE_INIT;
        char uuid[BTRFS_FSID_STRING_MAX], why[64] = "";
        int r;

        btrfs_fsid_format(fsid, uuid);
        memcpy(s.fsid, fsid, sizeof s.fsid);
        r = btrfs_mount_top_level(fsid, rw_device, &s.tree_fd, &s.mount_fd, res);
        if (r < 0)
                return r;

        s.dir_fd = openat2_fd(s.mount_fd, BTRFS_STORE_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, BENEATH);
        if (s.dir_fd == -ENOENT && create) {
                /* The kernel gives a new subvolume's root the mode 0777 less the umask: made
                 * with 077 it is 0700 from the start, so a worker killed before the fchmod()
                 * below (or while the create waits on a frozen file system) does not leave a
                 * store that is refused from then on. (Only the commit worker creates the
                 * store, a process of one thread, so the umask changes nothing else.) */
                mode_t old_umask = umask(0077);
                enum btrfs_util_error e = btrfs_util_create_subvolume_fd(s.mount_fd, BTRFS_STORE_NAME, 0, NULL, NULL);
                int saved_errno = errno;
                umask(old_umask);
                errno = saved_errno;
                if (e != BTRFS_UTIL_OK && errno != EEXIST)
                        return stasis_provider_result_set(res, -errno, "cannot create /" BTRFS_STORE_NAME
                                                          " in btrfs file system %s: %s (%m)", uuid, btrfs_util_strerror(e));
                s.dir_fd = openat2_fd(s.mount_fd, BTRFS_STORE_NAME, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, BENEATH);
                if (e == BTRFS_UTIL_OK && s.dir_fd >= 0 && fchmod(s.dir_fd, 0700) < 0)
                        return stasis_provider_result_set(res, -errno, "cannot make /" BTRFS_STORE_NAME
                                                          " of btrfs file system %s private: %m", uuid);
        }
        if (s.dir_fd == -ENOENT)
                return -ENOENT;
        if (s.dir_fd == -ELOOP || s.dir_fd == -ENOTDIR)
                btrfs_store_describe_nondir(s.mount_fd, BTRFS_STORE_NAME, why, sizeof why);
        else if (s.dir_fd < 0)
                return stasis_provider_result_set(res, s.dir_fd, "cannot open /" BTRFS_STORE_NAME
                                                  " of btrfs file system %s: %s", uuid, strerror(-s.dir_fd));
        else {
                r = btrfs_store_check_dir(s.dir_fd, why, sizeof why);
                if (r < 0 && r != -EPERM)
                        return stasis_provider_result_set(res, r, "cannot look at /" BTRFS_STORE_NAME
                                                          " of btrfs file system %s: %s", uuid, strerror(-r));
        }
        if (why[0])
                return stasis_provider_result_set(res, -EPERM,
                                "/" BTRFS_STORE_NAME " of btrfs file system %s is not a root-owned 0700 subvolume "
                                "(%s): stasis keeps its snapshots there; move it aside", uuid, why);
        if (btrfs_util_subvolume_id_fd(s.dir_fd, &s.dir_id) != BTRFS_UTIL_OK)
                return stasis_provider_result_set(res, -errno, "cannot read /" BTRFS_STORE_NAME
                                                  " of btrfs file system %s: %m", uuid);
        *ret = s;
        s = (BtrfsStore) BTRFS_STORE_INIT;
        return 0;
}

int btrfs_store_open_entry(int store_fd, uint64_t store_id, const char *name, int *ret_fd) {
        struct btrfs_util_subvolume_info info;
        _cleanup_close_ int fd = -1;

        if (strchr(name, '/') || streq(name, "..") || streq(name, "."))
                return -EPERM;
        fd = openat2_fd(store_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, BENEATH);
        if (fd == -ENOENT)
                return -ENOENT;
        if (fd == -ELOOP || fd == -ENOTDIR || fd == -EXDEV)
                return -EPERM;
        if (fd < 0)
                return fd;
        if (btrfs_util_is_subvolume_fd(fd) != BTRFS_UTIL_OK ||
            btrfs_util_subvolume_info_fd(fd, 0, &info) != BTRFS_UTIL_OK || info.parent_id != store_id)
                return -EPERM;
        *ret_fd = TAKE_FD(fd);
        return 0;
}
