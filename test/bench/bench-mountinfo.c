/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-mountinfo.c - time the reading of /proc/self/mountinfo and the lookups
 * in it: the hand-written parser stasis used before libmount (the baseline,
 * mountinfo-handwritten.c), libmount's own table (mnt_table_parse_mtab,
 * mnt_new_table_from_file, mnt_table_find_*), and stasis's mountinfo.h as it
 * is built now, in one process and in turns, and print medians and ratios
 * against the baseline. Machines are noisy: nothing here gates on a time. Run
 * it through run-bench-mountinfo.sh, which also runs it on a table of 500 more
 * mounts in a private mount namespace. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libmount.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "mountinfo.h"
#include "mountinfo-handwritten.h"

static unsigned arg_rounds = 200;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n) {
        qsort(v, n, sizeof *v, cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double p90(double *v, size_t n) {
        /* v is sorted by median() */
        return v[(size_t) ((double) (n - 1) * 0.9)];
}

static void die(const char *what, int r) {
        fprintf(stderr, "bench-mountinfo: %s: %s\n", what, strerror(r < 0 ? -r : r));
        exit(EXIT_FAILURE);
}

/* The cases, each run once per round, in turns. Each returns the time of its
 * unit of work in µs. */

static double case_handwritten_load(void) {
        HwMountTable *t = NULL;
        uint64_t a = now_ns();
        int r = hw_mount_table_load(&t);
        hw_mount_table_free(t);
        uint64_t b = now_ns();
        if (r < 0)
                die("hand-written parser", r);
        return (double) (b - a) / 1e3;
}

static double case_libmount_mtab(void) {
        uint64_t a = now_ns();
        struct libmnt_table *tb = mnt_new_table();
        if (!tb)
                die("mnt_new_table", -ENOMEM);
        int r = mnt_table_parse_mtab(tb, NULL);
        mnt_unref_table(tb);
        uint64_t b = now_ns();
        if (r < 0)
                die("mnt_table_parse_mtab", r);
        return (double) (b - a) / 1e3;
}

static double case_libmount_from_file(void) {
        uint64_t a = now_ns();
        struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
        if (!tb)
                die("mnt_new_table_from_file", -EINVAL);
        mnt_unref_table(tb);
        uint64_t b = now_ns();
        return (double) (b - a) / 1e3;
}

static double case_stasis_load(void) {
        MountTable *t = NULL;
        uint64_t a = now_ns();
        int r = mount_table_load(&t);
        mount_table_free(t);
        uint64_t b = now_ns();
        if (r < 0)
                die("mount_table_load", r);
        return (double) (b - a) / 1e3;
}

/* Lookups: every mount point of the table looked up once; the time per lookup. */
static HwMountTable *hw_table;
static struct libmnt_table *lm_table;
static MountTable *st_table;

static double case_handwritten_find_prefix(void) {
        uint64_t a = now_ns();
        for (size_t i = 0; i < hw_table->n; i++)
                if (!hw_mount_table_find_prefix(hw_table, hw_table->entries[i].mount_point))
                        die("hand-written find_prefix", -ENOENT);
        return (double) (now_ns() - a) / 1e3 / (double) hw_table->n;
}

static double case_libmount_find_target(void) {
        uint64_t a = now_ns();
        for (size_t i = 0; i < hw_table->n; i++)
                if (!mnt_table_find_target(lm_table, hw_table->entries[i].mount_point, MNT_ITER_BACKWARD))
                        die("mnt_table_find_target", -ENOENT);
        return (double) (now_ns() - a) / 1e3 / (double) hw_table->n;
}

static double case_stasis_find_prefix(void) {
        uint64_t a = now_ns();
        for (size_t i = 0; i < hw_table->n; i++)
                if (!mount_table_find_prefix(st_table, hw_table->entries[i].mount_point))
                        die("mount_table_find_prefix", -ENOENT);
        return (double) (now_ns() - a) / 1e3 / (double) hw_table->n;
}

static double case_handwritten_find_id(void) {
        uint64_t a = now_ns();
        for (size_t i = 0; i < hw_table->n; i++)
                if (!hw_mount_table_find_id(hw_table, hw_table->entries[i].mount_id))
                        die("hand-written find_id", -ENOENT);
        return (double) (now_ns() - a) / 1e3 / (double) hw_table->n;
}

static double case_libmount_find_devno(void) {
        uint64_t a = now_ns();
        for (size_t i = 0; i < hw_table->n; i++) {
                dev_t d = makedev(hw_table->entries[i].major, hw_table->entries[i].minor);
                if (!mnt_table_find_devno(lm_table, d, MNT_ITER_BACKWARD))
                        die("mnt_table_find_devno", -ENOENT);
        }
        return (double) (now_ns() - a) / 1e3 / (double) hw_table->n;
}

static double case_stasis_find_id(void) {
        uint64_t a = now_ns();
        for (size_t i = 0; i < hw_table->n; i++)
                if (!mount_table_find_id(st_table, hw_table->entries[i].mount_id))
                        die("mount_table_find_id", -ENOENT);
        return (double) (now_ns() - a) / 1e3 / (double) hw_table->n;
}

/* The path to mount lookup with its system calls: libmount's (stat() up the
 * path) against stasis's (open, statx, realpath): of a directory on the last
 * mount of the table. */
static const char *deep_path;

static double case_libmount_find_mountpoint(void) {
        uint64_t a = now_ns();
        if (!mnt_table_find_mountpoint(lm_table, deep_path, MNT_ITER_BACKWARD))
                die("mnt_table_find_mountpoint", -ENOENT);
        return (double) (now_ns() - a) / 1e3;
}

static double case_stasis_find_path(void) {
        char *canonical = NULL;
        const MountEntry *m;
        uint64_t a = now_ns();
        int r = mount_table_find_path(st_table, deep_path, &canonical, &m, NULL);
        free(canonical);
        uint64_t b = now_ns();
        if (r < 0)
                die("mount_table_find_path", r);
        return (double) (b - a) / 1e3;
}

/* Change detection when nothing changed: a poll() for POLLPRI on
 * /proc/self/mountinfo, libmount's monitor, and stasis's cache (which does
 * one of them and returns its table). */
static int poll_fd = -1;
static struct libmnt_monitor *monitor;
static MountCache cache = MOUNT_CACHE_INIT;

static double case_poll(void) {
        struct pollfd p = { .fd = poll_fd, .events = POLLPRI };
        uint64_t a = now_ns();
        if (poll(&p, 1, 0) < 0)
                die("poll", -errno);
        return (double) (now_ns() - a) / 1e3;
}

static double case_monitor(void) {
        uint64_t a = now_ns();
        int r = mnt_monitor_next_change(monitor, NULL, NULL);
        uint64_t b = now_ns();
        if (r < 0)
                die("mnt_monitor_next_change", r);
        return (double) (b - a) / 1e3;
}

static double case_cache_get(void) {
        const MountTable *t;
        uint64_t a = now_ns();
        int r = mount_cache_get(&cache, &t);
        uint64_t b = now_ns();
        if (r < 0)
                die("mount_cache_get", r);
        return (double) (b - a) / 1e3;
}

typedef struct Case {
        const char *group;
        const char *name;
        double (*run)(void);
        double *t;
} Case;

static Case cases[] = {
        { "parse",   "hand-written (baseline)",            case_handwritten_load },
        { "parse",   "libmount mnt_table_parse_mtab",      case_libmount_mtab },
        { "parse",   "libmount mnt_new_table_from_file",   case_libmount_from_file },
        { "parse",   "stasis mount_table_load (as built)", case_stasis_load },
        { "target",  "hand-written find_prefix (baseline)", case_handwritten_find_prefix },
        { "target",  "libmount mnt_table_find_target",     case_libmount_find_target },
        { "target",  "stasis mount_table_find_prefix",     case_stasis_find_prefix },
        { "id",      "hand-written find_id (baseline)",    case_handwritten_find_id },
        { "id",      "libmount mnt_table_find_devno",      case_libmount_find_devno },
        { "id",      "stasis mount_table_find_id",         case_stasis_find_id },
        { "path",    "stasis mount_table_find_path (baseline)", case_stasis_find_path },
        { "path",    "libmount mnt_table_find_mountpoint", case_libmount_find_mountpoint },
        { "changed", "poll POLLPRI (baseline)",            case_poll },
        { "changed", "libmount mnt_monitor_next_change",   case_monitor },
        { "changed", "stasis mount_cache_get (as built)",  case_cache_get },
};

static void help(void) {
        printf("bench-mountinfo [-n ROUNDS]\n\n"
               "Times the parse of /proc/self/mountinfo and lookups in it: the hand-written\n"
               "parser stasis used before libmount, libmount, and stasis's mountinfo.h as\n"
               "built; prints medians (µs) and ratios against the baseline of each group.\n");
}

int main(int argc, char *argv[]) {
        int c, r;

        while ((c = getopt(argc, argv, "hn:")) >= 0)
                switch (c) {
                case 'n':
                        arg_rounds = (unsigned) strtoul(optarg, NULL, 10);
                        if (arg_rounds < 3) {
                                fprintf(stderr, "bench-mountinfo: -n wants at least 3 rounds\n");
                                return EXIT_FAILURE;
                        }
                        break;
                case 'h':
                        help();
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }

        r = hw_mount_table_load(&hw_table);
        if (r < 0)
                die("hand-written parser", r);
        lm_table = mnt_new_table();
        if (!lm_table)
                die("mnt_new_table", -ENOMEM);
        r = mnt_table_parse_mtab(lm_table, NULL);
        if (r < 0)
                die("mnt_table_parse_mtab", r);
        r = mount_table_load(&st_table);
        if (r < 0)
                die("mount_table_load", r);
        if ((size_t) mnt_table_get_nents(lm_table) != hw_table->n || st_table->n != hw_table->n) {
                fprintf(stderr, "bench-mountinfo: the parsers disagree: %zu entries by hand, %d by libmount, "
                        "%zu by stasis (did the table change?)\n",
                        hw_table->n, mnt_table_get_nents(lm_table), st_table->n);
                return EXIT_FAILURE;
        }
        /* The deepest directory mount point, for the path lookups. */
        size_t deep_len = 0;
        for (size_t i = 0; i < hw_table->n; i++) {
                struct stat st;
                const char *p = hw_table->entries[i].mount_point;
                if (strlen(p) > deep_len && stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
                        deep_path = p;
                        deep_len = strlen(p);
                }
        }
        if (!deep_path)
                deep_path = "/";

        poll_fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (poll_fd < 0)
                die("/proc/self/mountinfo", -errno);
        struct pollfd p = { .fd = poll_fd, .events = POLLPRI };
        (void) poll(&p, 1, 0);  /* the first poll reports the table "changed" */
        monitor = mnt_new_monitor();
        if (!monitor)
                die("mnt_new_monitor", -ENOMEM);
        r = mnt_monitor_enable_kernel(monitor, 1);
        if (r < 0)
                die("mnt_monitor_enable_kernel", r);
        r = mnt_monitor_get_fd(monitor);
        if (r < 0)
                die("mnt_monitor_get_fd", r);
        const MountTable *ct;
        r = mount_cache_get(&cache, &ct);
        if (r < 0)
                die("mount_cache_get", r);

        FILE *la = fopen("/proc/loadavg", "re");
        char load[64] = "?";
        if (la) {
                if (!fgets(load, sizeof load, la))
                        strcpy(load, "?");
                load[strcspn(load, "\n")] = 0;
                fclose(la);
        }
        printf("mount table: %zu entries; %u rounds, cases in turns; load average %s\n",
               hw_table->n, arg_rounds, load);
        printf("path lookups on %s\n", deep_path);

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                cases[i].t = calloc(arg_rounds, sizeof(double));
                if (!cases[i].t)
                        die("calloc", -ENOMEM);
                (void) cases[i].run();  /* warm up */
        }
        for (unsigned k = 0; k < arg_rounds; k++)
                for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                        cases[i].t[k] = cases[i].run();

        const char *group = NULL;
        double base = 0;
        printf("%-8s %-42s %12s %12s %8s\n", "what", "how", "median µs", "p90 µs", "ratio");
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                double m = median(cases[i].t, arg_rounds), q = p90(cases[i].t, arg_rounds);
                if (!group || !streq(group, cases[i].group)) {
                        group = cases[i].group;
                        base = m;
                }
                printf("%-8s %-42s %12.3f %12.3f %8.2f\n", cases[i].group, cases[i].name, m, q,
                       base > 0 ? m / base : 0);
                free(cases[i].t);
        }

        mount_cache_done(&cache);
        mnt_unref_monitor(monitor);
        close(poll_fd);
        mount_table_free(st_table);
        mnt_unref_table(lm_table);
        hw_mount_table_free(hw_table);
        return EXIT_SUCCESS;
}
