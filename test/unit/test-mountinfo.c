/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-mountinfo.c - unit tests of the mountinfo parser and path-to-mount lookup */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "mountinfo.h"
#include "tests.h"

static const char sample[] =
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "35 22 0:30 / /mnt/pool rw,relatime shared:5 - btrfs /dev/loop0 rw,space_cache=v2,subvolid=5,subvol=/\n"
        "36 35 0:30 /data /mnt/pool/data rw,relatime shared:6 - btrfs /dev/loop0 rw,subvolid=256,subvol=/data\n"
        "37 22 7:1 / /mnt/with\\040space rw master:2 - xfs /dev/loop1 rw,attr2\n"
        "38 22 7:2 / /mnt/over rw - ext4 /dev/loop2 rw\n"
        "39 22 7:3 / /mnt/over rw - xfs /dev/loop3 rw\n"
        "40 22 0:5 / /mnt/tmp rw - tmpfs tmpfs rw,size=1024k\n";

static MountTable *parse(const char *text, int *ret_r, unsigned *bad) {
        MountTable *t = NULL;
        FILE *f = fmemopen((void *) text, strlen(text), "r");
        *ret_r = mount_table_parse(f, &t, bad);
        fclose(f);
        return t;
}

TEST(parse_fields) {
        int r;
        _cleanup_mount_table_ MountTable *t = parse(sample, &r, NULL);
        CHECK_INTEQ(r, 0);
        CHECK_INTEQ(t->n, 7);
        CHECK_INTEQ(t->entries[1].mount_id, 35);
        CHECK_INTEQ(t->entries[1].parent_id, 22);
        CHECK_INTEQ(t->entries[1].major, 0);
        CHECK_INTEQ(t->entries[1].minor, 30);
        CHECK_STREQ(t->entries[1].fstype, "btrfs");
        CHECK_STREQ(t->entries[1].source, "/dev/loop0");
        CHECK_STREQ(t->entries[2].root, "/data");
        CHECK_STREQ(t->entries[2].super_options, "rw,subvolid=256,subvol=/data");
        /* optional fields before "-" */
        CHECK_STREQ(t->entries[3].fstype, "xfs");
        CHECK_STREQ(t->entries[3].mount_point, "/mnt/with space");
        CHECK_STREQ(t->entries[6].super_options, "rw,size=1024k");
        CHECK_STREQ(t->entries[6].options, "rw");
}

/* A bind mount of a namespace file (as `ip netns add` makes under /run/netns):
 * its root is not a path. One such mount must not make the table unreadable. */
TEST(parse_nsfs_root) {
        int r;
        _cleanup_mount_table_ MountTable *t = parse(
                "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
                "68 22 0:4 net:[4026531833] /run/netns/blue rw shared:60 - nsfs nsfs rw\n"
                "69 22 0:4 mnt:[4026532281] /tmp/ns\\040mnt rw - nsfs nsfs rw\n", &r, NULL);
        CHECK_INTEQ(r, 0);
        CHECK_INTEQ(t->n, 3);
        CHECK_STREQ(t->entries[1].root, "net:[4026531833]");
        CHECK_STREQ(t->entries[1].mount_point, "/run/netns/blue");
        CHECK_STREQ(t->entries[1].fstype, "nsfs");
        CHECK_STREQ(t->entries[2].mount_point, "/tmp/ns mnt");
        CHECK_INTEQ(mount_table_find_prefix(t, "/run/netns/blue")->mount_id, 68);
}

/* A file system mounted with an empty source: the kernel writes nothing for it,
 * so two spaces separate the type from the super options. */
TEST(parse_empty_source) {
        int r;
        _cleanup_mount_table_ MountTable *t = parse(
                "69 47 0:46 / /tmp/x\\040y rw,relatime - tmpfs  rw,size=64k\n", &r, NULL);
        CHECK_INTEQ(r, 0);
        CHECK_INTEQ(t->n, 1);
        CHECK_STREQ(t->entries[0].fstype, "tmpfs");
        CHECK_STREQ(t->entries[0].source, "");
        CHECK_STREQ(t->entries[0].super_options, "rw,size=64k");
        CHECK_STREQ(t->entries[0].mount_point, "/tmp/x y");
}

/* Every escape the kernel writes (space, tab, newline, backslash), in each
 * field that may hold one; several optional fields; a type with a subtype. */
TEST(parse_escapes_and_fuse) {
        int r;
        _cleanup_mount_table_ MountTable *t = parse(
                "22 1 254:0 / / rw - ext4 /dev/vda rw\n"
                "90 22 0:51 /sub\\011dir /mnt/a\\040b\\011c\\012d\\134e rw,nosuid,nodev "
                "shared:7 master:3 propagate_from:2 unbindable - fuse.sshfs "
                "user@host:/srv/my\\040files rw,user_id=0,group_id=0\n"
                "91 22 0:52 / /mnt/odd\\9zz\\04 rw - tmpfs tmpfs rw\n", &r, NULL);
        CHECK_INTEQ(r, 0);
        CHECK_INTEQ(t->n, 3);
        const MountEntry *e = &t->entries[1];
        CHECK_INTEQ(e->mount_id, 90);
        CHECK_INTEQ(e->parent_id, 22);
        CHECK_INTEQ(e->major, 0);
        CHECK_INTEQ(e->minor, 51);
        CHECK_STREQ(e->root, "/sub\tdir");
        CHECK_STREQ(e->mount_point, "/mnt/a b\tc\nd\\e");
        CHECK_STREQ(e->options, "rw,nosuid,nodev");
        CHECK_STREQ(e->fstype, "fuse.sshfs");
        CHECK_STREQ(e->source, "user@host:/srv/my files");
        CHECK_STREQ(e->super_options, "rw,user_id=0,group_id=0");
        /* What is not an escape stays as it is. */
        CHECK_STREQ(t->entries[2].mount_point, "/mnt/odd\\9zz\\04");
        CHECK_INTEQ(mount_table_find_prefix(t, "/mnt/a b\tc\nd\\e/x")->mount_id, 90);
}

TEST(malformed) {
        static const char *const bad[] = {
                "22 1 254:0 / / rw - ext4\n",                    /* no source */
                "22 1 254:0 / / rw shared:1 ext4 /dev/vda rw\n", /* no separator */
                "x 1 254:0 / / rw - ext4 /dev/vda rw\n",         /* id not a number */
                "22 1 254-0 / / rw - ext4 /dev/vda rw\n",        /* bad major:minor */
                "22 1 254:0 / rel rw - ext4 /dev/vda rw\n",      /* mount point not absolute */
                "-5 1 254:0 / / rw - ext4 /dev/vda rw\n",        /* negative id */
                "22 -1 254:0 / / rw - ext4 /dev/vda rw\n",       /* negative parent */
                "22 1 254:0 / / rw - ext4 /dev/vda",             /* the last line, no super options */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char text[512];
                unsigned line = 0;
                int r;
                snprintf(text, sizeof text, "22 1 254:0 / / rw - ext4 /dev/vda rw\n%s", bad[i]);
                MountTable *t = parse(text, &r, &line);
                CHECK(t == NULL);
                CHECK_INTEQ(r, -EBADMSG);
                CHECK_INTEQ(line, 2);
        }
}

/* Lines libmount skips count; a bad line after them is named by its number. */
TEST(malformed_line_numbers) {
        int r;
        unsigned line = 0;
        MountTable *t = parse("22 1 254:0 / / rw - ext4 /dev/vda rw\n\n  \n"
                              "23 22 0:5 / /a rw - tmpfs tmpfs rw\n# a comment\n"
                              "24 22 0:6 / b rw - tmpfs tmpfs rw\n", &r, &line);
        CHECK(t == NULL);
        CHECK_INTEQ(r, -EBADMSG);
        CHECK_INTEQ(line, 6);
        /* Not mountinfo at all, but something libmount could read as fstab. */
        line = 0;
        t = parse("/dev/vda / ext4 rw 0 0\n", &r, &line);
        CHECK(t == NULL);
        CHECK_INTEQ(r, -EBADMSG);
        CHECK_INTEQ(line, 1);
        /* ... and what follows it, which libmount then cannot read as fstab. */
        line = 0;
        t = parse("/dev/vda / ext4 rw 0 0\n22 1 254:0 / / rw - ext4 /dev/vda rw\n", &r, &line);
        CHECK(t == NULL);
        CHECK_INTEQ(r, -EBADMSG);
        CHECK_INTEQ(line, 1);
        /* A NUL byte in a line. */
        static const char nul[] = "22 1 254:0 / / rw - ext4 /dev/vda rw\n23 1 7:0 / /a\0b rw - ext4 /dev/vdb rw\n";
        FILE *f = fmemopen((void *) nul, sizeof nul - 1, "r");
        line = 0;
        t = NULL;
        r = mount_table_parse(f, &t, &line);
        fclose(f);
        CHECK(t == NULL);
        CHECK_INTEQ(r, -EBADMSG);
        CHECK_INTEQ(line, 2);
        /* Nothing at all is an empty table. */
        _cleanup_mount_table_ MountTable *e = parse("", &r, NULL);
        CHECK_INTEQ(r, 0);
        CHECK_INTEQ(e->n, 0);
}

TEST(prefix) {
        CHECK(path_has_prefix("/mnt/pool/data", "/mnt/pool"));
        CHECK(path_has_prefix("/mnt/pool", "/mnt/pool"));
        CHECK(!path_has_prefix("/mnt/poolx", "/mnt/pool"));
        CHECK(path_has_prefix("/anything", "/"));
        CHECK(!path_has_prefix("/mnt", "/mnt/pool"));
}

TEST(find_prefix) {
        int r;
        _cleanup_mount_table_ MountTable *t = parse(sample, &r, NULL);
        CHECK_INTEQ(r, 0);
        CHECK_INTEQ(mount_table_find_prefix(t, "/mnt/pool/data/x/y")->mount_id, 36);
        CHECK_INTEQ(mount_table_find_prefix(t, "/mnt/pool/other")->mount_id, 35);
        CHECK_INTEQ(mount_table_find_prefix(t, "/mnt/pooled")->mount_id, 22);
        CHECK_INTEQ(mount_table_find_prefix(t, "/etc")->mount_id, 22);
        /* two mounts at one point: the later one is on top */
        CHECK_INTEQ(mount_table_find_prefix(t, "/mnt/over/f")->mount_id, 39);
        CHECK(mount_table_find_id(t, 37) == &t->entries[3]);
        CHECK(mount_table_find_id(t, 99) == NULL);
}

TEST(find_path_live) {
        /* The real table of this process: / is always found, errors are told apart. */
        _cleanup_mount_table_ MountTable *t = NULL;
        const MountEntry *m;
        char *canonical = NULL;
        uid_t owner = 1;
        CHECK_INTEQ(mount_table_load(&t), 0);
        CHECK_INTEQ(mount_table_find_path(t, "/proc/self/..", &canonical, &m, &owner), 0);
        CHECK_INTEQ((int) owner, 0);
        CHECK_STREQ(canonical, "/proc");
        CHECK_STREQ(m->fstype, "proc");
        free(canonical);
        CHECK_INTEQ(mount_table_find_path(t, "/nonexistent/really", NULL, NULL, NULL), -ENOENT);
        CHECK_INTEQ(mount_table_find_path(t, "/proc/self/status", NULL, NULL, NULL), -ENOTDIR);
}

/* In a mount namespace of its own: the cache's table is that of the moment,
 * and is read again only after a mount or an unmount. Exits 0 when all holds,
 * 77 when it cannot make a namespace, else the number of the check that failed. */
static int cache_in_namespace(void) {
        MountCache c = MOUNT_CACHE_INIT;
        const MountTable *t1, *t2, *t3;
        char dir[] = "/tmp/test-mountinfo.XXXXXX";

        if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                return 77;
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || !mkdtemp(dir))
                return 77;
        int rc = 0;
        if (mount_cache_get(&c, &t1) < 0)
                rc = 1;
        else if (mount_cache_get(&c, &t2) < 0 || t2 != t1)
                rc = 2;         /* nothing changed: the same table */
        else if (mount_table_find_prefix(t1, dir)->mount_point[0] != '/' ||
                 streq(mount_table_find_prefix(t1, dir)->mount_point, dir))
                rc = 3;
        else if (mount("test-mountinfo", dir, "tmpfs", 0, "size=64k") < 0)
                rc = 77;
        else {
                if (mount_cache_get(&c, &t3) < 0 || !streq(mount_table_find_prefix(t3, dir)->mount_point, dir) ||
                    !streq(mount_table_find_prefix(t3, dir)->source, "test-mountinfo"))
                        rc = 4;  /* the mount is seen */
                else if (umount(dir) < 0)
                        rc = 5;
                else if (mount_cache_get(&c, &t1) < 0 || streq(mount_table_find_prefix(t1, dir)->mount_point, dir))
                        rc = 6;  /* and so is the unmount */
                (void) umount(dir);
        }
        mount_cache_done(&c);
        (void) rmdir(dir);
        return rc;
}

TEST(cache_sees_changes) {
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0)
                _exit(cache_in_namespace());
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77) {
                fprintf(stderr, "cache_sees_changes: cannot make a mount namespace here, not run\n");
                return;
        }
        CHECK_INTEQ(WEXITSTATUS(status), 0);
}
