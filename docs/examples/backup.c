/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backup.c - a backup tool's use of libstasis: snapshot the paths given, read
 * them from the snapshots, report the backup and release the set. Runs as
 * root, on btrfs volumes whose file system's top-level subvolume is mounted
 * where the volume is (mounted without subvol=).
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

/* 1 if the mount on dir shows the top of its file system (for btrfs, the
 * top-level subvolume: the root field of /proc/self/mountinfo is "/"), 0 if
 * it shows a subvolume or a directory below, -1 if dir is not a mount point.
 * (mountinfo writes a space in a path as \040: this example does not decode
 * that.) */
static int shows_top(const char *dir) {
        FILE *f = fopen("/proc/self/mountinfo", "re");
        char line[8192], root[4096], target[4096];
        int top = -1;

        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, target) == 2 && strcmp(target, dir) == 0)
                        top = strcmp(root, "/") == 0;   /* the last mount on dir is the one in sight */
        fclose(f);
        return top;
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
                const char *mount = stasis_set_volume_mount_point(set, i);
                const char *source = stasis_set_volume_source(set, i);
                const char *snapshot = stasis_set_volume_snapshot(set, i);
                const char *in_fs = strchr(snapshot, ':');
                char dir[4096];

                /* A btrfs snapshot is "UUID:/.stasis/ID-INDEX": a read-only
                 * subvolume at that path from the top of the file system, in
                 * a store only root can enter. The path given lies at the
                 * same place below it as below the subvolume (the source). */
                if (strcmp(stasis_set_volume_provider(set, i), "btrfs") != 0 || !in_fs || in_fs[1] != '/' ||
                    strncmp(path, source, strlen(source)) != 0) {
                        fprintf(stderr, "backup: %s: %s is not a btrfs snapshot\n", path, snapshot);
                        failed = 1;
                        continue;
                }
                in_fs++;
                /* Read it where the top of the file system is mounted. */
                if (shows_top(mount) != 1) {
                        fprintf(stderr, "backup: %s: %s does not show the top of its file system: "
                                "mount -o subvolid=5,ro %s DIR and read DIR%s\n",
                                path, mount, stasis_set_volume_device(set, i), in_fs);
                        failed = 1;
                        continue;
                }
                snprintf(dir, sizeof dir, "%s%s%s", strcmp(mount, "/") == 0 ? "" : mount, in_fs,
                         path + (strcmp(source, "/") == 0 ? 0 : strlen(source)));
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
