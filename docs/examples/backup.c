/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backup.c - a backup tool's use of libstasis: snapshot the paths given, read
 * them from the snapshots, report the backup and release the set.
 * Build: cc backup.c $(pkg-config --cflags --libs stasis) -o backup */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stasis/stasis.h>

static int die(StasisRequestor *r, const char *what) {
        const StasisErrorInfo *e = stasis_requestor_last_error(r);

        fprintf(stderr, "backup: %s: %s (%s)\n", what, stasis_error_info_message(e),
                stasis_error_info_name(e) ?: "local failure");
        /* Some errors are worth a retry later, the others are not. */
        switch (stasis_error_info_code(e)) {
        case STASIS_ERR_BUSY:
        case STASIS_ERR_WRITER_RETRYABLE:
                return 75;      /* EX_TEMPFAIL */
        default:
                return 1;
        }
}

/* "Backs up" one directory of a snapshot: reads every regular file in it. */
static int back_up(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        char buf[65536];

        if (!d)
                return -1;
        while ((de = readdir(d))) {
                int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                long long total = 0;
                ssize_t n;

                if (fd < 0)
                        continue;       /* ".", "..", a directory, a symbolic link */
                while ((n = read(fd, buf, sizeof buf)) > 0)
                        total += n;
                close(fd);
                if (n == 0)
                        printf("  %s/%s: %lld bytes\n", dir, de->d_name, total);
        }
        closedir(d);
        return 0;
}

int main(int argc, char *argv[]) {
        StasisRequestor *r = NULL;
        StasisSetRequest *q = NULL;
        StasisSet *set = NULL;
        char *id = NULL;
        int failed = 0, rc = 1;

        if (argc < 2) {
                fprintf(stderr, "usage: backup PATH...\n");
                return 2;
        }
        if (stasis_requestor_new(&r) < 0 || stasis_set_request_new(&q) < 0)
                goto finish;
        for (int i = 1; i < argc; i++)
                stasis_set_request_add_path(q, argv[i]);
        stasis_set_request_set_label(q, "backup example");
        /* Not persistent: if this program dies, stasisd releases the set. */

        if (stasis_requestor_create_set(r, q, &id) < 0) {
                rc = die(r, "cannot create the snapshot set");
                goto finish;
        }
        if (stasis_requestor_get_set(r, id, &set) < 0) {
                rc = die(r, "cannot read the snapshot set");
                goto finish;    /* unref below closes the connection: the set is released */
        }
        printf("set %s: %s, %u volume(s)\n", id, stasis_set_consistency(set), stasis_set_volume_count(set));

        for (unsigned i = 0; i < stasis_set_volume_count(set); i++) {
                const char *path = stasis_set_volume_path(set, i);
                const char *source = stasis_set_volume_source(set, i);
                const char *snapshot = stasis_set_volume_snapshot(set, i);
                char dir[4096];

                /* A btrfs snapshot is a directory: the path given lies at the
                 * same place below it as below the subvolume (the source). */
                if (snapshot[0] != '/' || strncmp(path, source, strlen(source)) != 0) {
                        fprintf(stderr, "backup: %s: the snapshot %s is not a directory\n", path, snapshot);
                        failed = 1;
                        continue;
                }
                snprintf(dir, sizeof dir, "%s%s", snapshot, path + (strcmp(source, "/") == 0 ? 0 : strlen(source)));
                printf("volume %s: reading %s\n", path, dir);
                if (back_up(dir) < 0) {
                        perror(dir);
                        failed = 1;
                }
        }

        /* Writers learn that their components were backed up (none failed
         * here: a set of paths alone has no components). */
        if (!failed && stasis_requestor_complete_set(r, id, NULL) < 0)
                rc = die(r, "cannot report the backup");
        else if (stasis_requestor_delete_set(r, id) < 0)
                rc = die(r, "cannot delete the snapshot set");
        else
                rc = failed;

finish:
        stasis_set_unref(set);
        free(id);
        stasis_set_request_unref(q);
        stasis_requestor_unref(r);
        return rc;
}
