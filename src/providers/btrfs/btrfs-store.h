/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* btrfs-store.h - the snapshot store stasis owns on each btrfs file system: a root-owned 0700
 * subvolume ".stasis" in the top-level subvolume, reached through a private mount */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provider.h"

#define BTRFS_STORE_NAME ".stasis"
#define BTRFS_FSID_SIZE 16
#define BTRFS_FSID_STRING_MAX 37        /* a UUID and its NUL */

typedef struct BtrfsStore {
        uint8_t fsid[BTRFS_FSID_SIZE];
        int tree_fd;            /* a detached mount of the top-level subvolume, no path reaches it */
        int mount_fd;           /* its root, open for ioctls */
        int dir_fd;             /* .stasis in it */
        uint64_t dir_id;        /* the subvolume id of .stasis */
} BtrfsStore;

#define BTRFS_STORE_INIT { .tree_fd = -1, .mount_fd = -1, .dir_fd = -1 }

void btrfs_store_close(BtrfsStore *s);

/* The n bytes at s are digits, 1 to 20 of them: a set id, an index, a subvolume id. */
bool btrfs_digits_valid(const char *s, size_t n);

int btrfs_fsid_of_fd(int fd, uint8_t ret[BTRFS_FSID_SIZE]);
void btrfs_fsid_format(const uint8_t fsid[BTRFS_FSID_SIZE], char ret[BTRFS_FSID_STRING_MAX]);
/* The file system and subvolume of a volume key, "btrfs:<32 hex digits>:<subvolume id>". */
int btrfs_key_parse(const char *key, uint8_t ret_fsid[BTRFS_FSID_SIZE], uint64_t *ret_subvolume);

/* A detached mount of the top-level subvolume of file system fsid, which
 * must be mounted (-ENODEV if not): ret_tree_fd keeps the mount, ret_fd is
 * its root, open for ioctls. Read-only if the file system is mounted so.
 * rw_device, if not NULL, is a device that holds the file system, which the
 * caller knows to be mounted read-write: it is tried first, saving the look
 * through sysfs and the mount table (the mount is checked either way). */
int btrfs_mount_top_level(const uint8_t fsid[BTRFS_FSID_SIZE], const char *rw_device,
                          int *ret_tree_fd, int *ret_fd, StasisProviderResult *res);

/* Opens the store of file system fsid, which must be mounted: -ENODEV if it
 * is not. With create, makes .stasis when it is missing; without, -ENOENT
 * then. A .stasis that is not a root-owned 0700 subvolume is refused
 * (-EPERM), res->message naming it. rw_device as for btrfs_mount_top_level(). */
int btrfs_store_open(const uint8_t fsid[BTRFS_FSID_SIZE], const char *rw_device, bool create, BtrfsStore *ret,
                     StasisProviderResult *res);

/* Handles in the store: "<file system UUID>:/.stasis/<set id>-<index>". */
int btrfs_handle_format(const uint8_t fsid[BTRFS_FSID_SIZE], const char *set_id, size_t index, char **ret);
/* 1 and the parts for a handle of this form, 0 for any other string
 * (the old layout's are paths). ret_name points into handle. */
int btrfs_handle_parse(const char *handle, uint8_t ret_fsid[BTRFS_FSID_SIZE], const char **ret_name);

/* Opens snapshot name in the directory store_fd (subvolume store_id): a
 * subvolume directly inside it, reached without symlinks or "..". -ENOENT
 * if it is not there, -EPERM if it is there but not a snapshot stasis made. */
int btrfs_store_open_entry(int store_fd, uint64_t store_id, const char *name, int *ret_fd);

/* Checks that fd is a subvolume (not a plain directory) owned by root that
 * no one else may enter; fills why (for "... is not a root-owned 0700
 * subvolume (<why>)") and returns -EPERM if not. */
int btrfs_store_check_dir(int fd, char *why, size_t why_size);

/* Why name in dir_fd, which could not be opened as a directory, is not one:
 * "a symlink" or "not a directory". */
void btrfs_store_describe_nondir(int dir_fd, const char *name, char *why, size_t why_size);
