/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-mountinfo.c - unit tests of the mountinfo parser and path-to-mount lookup */
#include <errno.h>
#include <stdio.h>
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
        "40 22 0:5 / /mnt/nosuper rw - tmpfs tmpfs\n";

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
        /* no super options at all */
        CHECK_STREQ(t->entries[6].super_options, "");
}

TEST(unescape) {
        char s[] = "a\\040b\\011c\\012d\\134e\\9zz\\04";
        mountinfo_unescape(s);
        CHECK_STREQ(s, "a b\tc\nd\\e\\9zz\\04");
}

TEST(malformed) {
        static const char *const bad[] = {
                "22 1 254:0 / / rw - ext4\n",                    /* no source */
                "22 1 254:0 / / rw shared:1 ext4 /dev/vda rw\n", /* no separator */
                "x 1 254:0 / / rw - ext4 /dev/vda rw\n",         /* id not a number */
                "22 1 254-0 / / rw - ext4 /dev/vda rw\n",        /* bad major:minor */
                "22 1 254:0 rel / rw - ext4 /dev/vda rw\n",      /* root not absolute */
                "22 1 254:0 / rel rw - ext4 /dev/vda rw\n",      /* mount point not absolute */
                "-5 1 254:0 / / rw - ext4 /dev/vda rw\n",        /* negative id */
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
