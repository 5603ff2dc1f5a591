/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-backup-metadata.c - unit tests of the checks on writer backup metadata and of its list's limits */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backup-metadata.h"
#include "tests.h"

static char err[512];

TEST(names) {
        CHECK(backup_metadata_check_name("stop_lsn", err, sizeof err) == 0);
        CHECK(backup_metadata_check_name("a.b-c_D9", err, sizeof err) == 0);
        CHECK(backup_metadata_check_name("", err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_name(NULL, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_name("a b", err, sizeof err) == -EINVAL);
        CHECK(strstr(err, "at byte 1") != NULL);
        CHECK(backup_metadata_check_name("a/b", err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_name("\xc3\xa9", err, sizeof err) == -EINVAL);
        char n[66];
        memset(n, 'n', 65);
        n[65] = 0;
        CHECK(backup_metadata_check_name(n, err, sizeof err) == -EINVAL);
        n[64] = 0;
        CHECK(backup_metadata_check_name(n, err, sizeof err) == 0);
}

TEST(values) {
        static char v[STASIS_METADATA_VALUE_MAX + 1];
        memset(v, 'v', sizeof v);
        CHECK(backup_metadata_check_value(v, STASIS_METADATA_VALUE_MAX, err, sizeof err) == 0);
        CHECK(backup_metadata_check_value(v, STASIS_METADATA_VALUE_MAX + 1, err, sizeof err) == -E2BIG);
        CHECK(backup_metadata_check_value("", 0, err, sizeof err) == 0);
        CHECK(backup_metadata_check_value("\xff", 1, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_value("a\0b", 3, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_value("line 1\nline 2\n", 14, err, sizeof err) == 0);
}

TEST(paths) {
        char *paths[] = { (char *) "/srv/pg", (char *) "/srv/wal", NULL };
        char *root[] = { (char *) "/", NULL };

        CHECK(backup_metadata_check_path("/srv/pg/backup_label", paths, err, sizeof err) == 0);
        CHECK(backup_metadata_check_path("/srv/wal/a/b", paths, err, sizeof err) == 0);
        CHECK(backup_metadata_check_path("/srv/pg", paths, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path("/srv/pgx/a", paths, err, sizeof err) == -EINVAL);
        CHECK(strstr(err, "not below any path") != NULL);
        CHECK(backup_metadata_check_path("/srv/pg/../etc/passwd", paths, err, sizeof err) == -EINVAL);
        CHECK(strstr(err, "not normalized") != NULL);
        CHECK(backup_metadata_check_path("/srv/pg/./a", paths, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path("/srv/pg//a", paths, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path("/srv/pg/a/", paths, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path("srv/pg/a", paths, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path("", paths, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path(NULL, paths, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path("/a", root, err, sizeof err) == 0);
        CHECK(backup_metadata_check_path("/", root, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_path("/srv/pg/..a", paths, err, sizeof err) == 0);
}

TEST(files) {
        CHECK(backup_metadata_check_file("/a", STASIS_METADATA_FILE_MAX, 0600, err, sizeof err) == 0);
        CHECK(backup_metadata_check_file("/a", STASIS_METADATA_FILE_MAX + 1, 0600, err, sizeof err) == -E2BIG);
        CHECK(backup_metadata_check_file("/a", 1, 04755, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_file("/a", 1, 01777, err, sizeof err) == -EINVAL);
        CHECK(backup_metadata_check_file("/a", 1, 0777, err, sizeof err) == 0);
}

TEST(list_limits) {
        BackupMetadataList l = {};
        char name[16];
        static char mib[STASIS_METADATA_FILE_MAX];

        for (int i = 0; i < STASIS_METADATA_ENTRIES_MAX; i++) {
                snprintf(name, sizeof name, "n%d", i);
                CHECK(backup_metadata_list_add(&l, "c", name, NULL, "v", 1, 0, false, err, sizeof err) == 0);
        }
        CHECK(backup_metadata_list_add(&l, "c", "one-more", NULL, "v", 1, 0, false, err, sizeof err) == -E2BIG);
        /* Replacing is not one more. */
        CHECK(backup_metadata_list_add(&l, "c", "n0", NULL, "vv", 2, 0, true, err, sizeof err) == 0);
        CHECK(l.n == STASIS_METADATA_ENTRIES_MAX);
        CHECK(l.bytes == STASIS_METADATA_ENTRIES_MAX + 1);
        CHECK(backup_metadata_list_add(&l, "c", "n1", NULL, "v", 1, 0, false, err, sizeof err) == -EEXIST);
        /* The same name in another component is another entry. */
        backup_metadata_list_clear(&l);
        CHECK(backup_metadata_list_add(&l, "c", "x", NULL, "1", 1, 0, false, err, sizeof err) == 0);
        CHECK(backup_metadata_list_add(&l, "d", "x", NULL, "1", 1, 0, false, err, sizeof err) == 0);
        /* A path is one, whatever the component. */
        CHECK(backup_metadata_list_add(&l, "c", NULL, "/p", "1", 1, 0644, false, err, sizeof err) == 0);
        CHECK(backup_metadata_list_add(&l, "d", NULL, "/p", "1", 1, 0644, false, err, sizeof err) == -EEXIST);
        backup_metadata_list_clear(&l);

        for (int i = 0; i < 4; i++) {
                snprintf(name, sizeof name, "/f%d", i);
                CHECK(backup_metadata_list_add(&l, "c", NULL, name, mib, sizeof mib, 0600, false, err, sizeof err) == 0);
        }
        CHECK(backup_metadata_list_add(&l, "c", NULL, "/f4", "x", 1, 0600, false, err, sizeof err) == -E2BIG);
        CHECK(strstr(err, "at most 4194304") != NULL);
        /* A smaller replacement makes room. */
        CHECK(backup_metadata_list_add(&l, "c", NULL, "/f0", "x", 1, 0600, true, err, sizeof err) == 0);
        CHECK(backup_metadata_list_add(&l, "c", NULL, "/f4", "x", 1, 0600, false, err, sizeof err) == 0);
        backup_metadata_list_clear(&l);
        CHECK(l.n == 0 && l.entries == NULL && l.bytes == 0);
}
