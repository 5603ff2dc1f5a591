/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-create.c - time `stasis create` of one btrfs subvolume end to end (CLI
 * start to exit, through D-Bus and stasisd) against `btrfs subvolume snapshot
 * -r` of the same subvolume, alternating the two in one process, and print the
 * ratio. Machines are noisy, so the figures are ratios against the baseline
 * measured in the same run; nothing here gates on a time. Each run is timed
 * from posix_spawn() to its exit on CLOCK_MONOTONIC; what each run made is
 * removed, untimed, before the next pair, so every pair starts from the same
 * state. Run it through run-bench-create.sh, which sets up the bus, the daemon
 * and a loop volume. */
#include <btrfsutil.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus-util.h"
#include "macro.h"
#include "stasis/stasis.h"

extern char **environ;

#define TARGET_DEFAULT 1.3

static unsigned arg_pairs = 50;
static unsigned arg_warmup = 3;
static const char *arg_stasis = NULL;
static const char *arg_btrfs = "btrfs";
static bool arg_sync = true;
static bool arg_breakdown = false;
static unsigned arg_dirty_kib = 0;
static double arg_target = TARGET_DEFAULT;
static const char *arg_subvol = NULL;
static const char *arg_raw_dir = NULL;
static const char *arg_sync_dir = NULL;

static int devnull = -1;
static int fs_fd = -1;         /* the benchmark's btrfs, for syncfs() */
static int sync_fd = -1;       /* --sync-dir: an unnamed file there */

/* Writes out the benchmark's file system only: sync() would wait for every
 * other file system too (and block on a frozen one). */
static int sync_fs(void) {
        if (!arg_sync)
                return 0;
        if (syncfs(fs_fd) < 0) {
                fprintf(stderr, "bench-create: syncfs %s: %m\n", arg_raw_dir);
                return -1;
        }
        return 0;
}

/* With --dirty: leave KiB of unwritten data in the subvolume, so the snapshot's
 * transaction commit has to write it out, as on a volume in use. */
static int make_dirty(const char *subvol) {
        static char buf[64 * 1024];
        char path[PATH_MAX];
        int fd;

        if (arg_dirty_kib == 0)
                return 0;
        snprintf(path, sizeof path, "%s/bench-dirty", subvol);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr, "bench-create: %s: %m\n", path);
                return -1;
        }
        for (unsigned long done = 0; done < arg_dirty_kib * 1024UL;) {
                size_t l = MIN(sizeof buf, arg_dirty_kib * 1024UL - done);
                memset(buf, (int) (done >> 16), l);
                ssize_t w = write(fd, buf, l);
                if (w < 0) {
                        fprintf(stderr, "bench-create: writing %s: %m\n", path);
                        close(fd);
                        return -1;
                }
                done += (size_t) w;
        }
        close(fd);
        return 0;
}

/* One kind of measured run: its samples in milliseconds, wall and CPU. */
typedef struct {
        const char *name;
        double *wall;
        double *cpu;            /* the child's user + system time */
        unsigned n;
} Series;

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double tv_ms(const struct timeval *tv) {
        return tv->tv_sec * 1e3 + tv->tv_usec / 1e3;
}

/* Runs argv with stdout on /dev/null (stderr stays ours) and waits for it.
 * Returns 0 if it exited 0; on failure says so and returns -1. */
static int run(char *const argv[], double *ret_wall, double *ret_cpu) {
        posix_spawn_file_actions_t fa;
        struct rusage ru;
        int status, r;
        pid_t pid;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);

        double t0 = now_ms();
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&fa);
                fprintf(stderr, "bench-create: cannot run %s: %s\n", argv[0], strerror(r));
                return -1;
        }
        while (wait4(pid, &status, 0, &ru) < 0)
                if (errno != EINTR) {
                        fprintf(stderr, "bench-create: wait for %s: %m\n", argv[0]);
                        posix_spawn_file_actions_destroy(&fa);
                        return -1;
                }
        double t1 = now_ms();
        posix_spawn_file_actions_destroy(&fa);

        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench-create: '");
                for (char *const *a = argv; *a; a++)
                        fprintf(stderr, "%s%s", a == argv ? "" : " ", *a);
                if (WIFEXITED(status))
                        fprintf(stderr, "' exited with status %d\n", WEXITSTATUS(status));
                else
                        fprintf(stderr, "' was killed by signal %d\n", WTERMSIG(status));
                return -1;
        }
        if (ret_wall)
                *ret_wall = t1 - t0;
        if (ret_cpu)
                *ret_cpu = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
        return 0;
}

static int run_timed(char *const argv[], Series *s, bool rec) {
        double wall, cpu;
        if (run(argv, &wall, &cpu) < 0)
                return -1;
        if (rec) {
                s->wall[s->n] = wall;
                s->cpu[s->n] = cpu;
                s->n++;
        }
        return 0;
}

/* ---- the sets stasisd holds, read over our own (untimed) bus connection ---- */

typedef struct {
        char **ids;
        size_t n;
} IdList;

static void id_list_done(IdList *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->ids[i]);
        free(l->ids);
        *l = (IdList) {};
}

static bool id_list_has(const IdList *l, const char *id) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(l->ids[i], id))
                        return true;
        return false;
}

static int list_sets(sd_bus *bus, IdList *ret) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        IdList l = {};
        int r;

        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                               "ListSets", &error, &reply, "");
        if (r < 0) {
                fprintf(stderr, "bench-create: ListSets: %s\n", error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(sotsssbu)");
        while (r >= 0) {
                const char *id, *path, *state, *consistency, *label;
                uint64_t created;
                uint32_t n_volumes;
                int persistent;
                r = sd_bus_message_read(reply, "(sotsssbu)", &id, &path, &created, &state, &consistency,
                                        &label, &persistent, &n_volumes);
                if (r <= 0)
                        break;
                char **n = realloc(l.ids, (l.n + 1) * sizeof(char *));
                if (!n || !(n[l.n] = strdup(id))) {
                        l.ids = n ?: l.ids;
                        id_list_done(&l);
                        return -ENOMEM;
                }
                l.ids = n;
                l.n++;
        }
        if (r < 0) {
                fprintf(stderr, "bench-create: reading ListSets: %s\n", strerror(-r));
                id_list_done(&l);
                return r;
        }
        *ret = l;
        return 0;
}

static int delete_set(sd_bus *bus, const char *id) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                                   "DeleteSet", &error, NULL, "s", id);
        if (r < 0)
                fprintf(stderr, "bench-create: DeleteSet %s: %s\n", id, error.message ?: strerror(-r));
        return r;
}

/* Deletes the sets that are in now but not in before: the ones this run made. */
static int delete_new_sets(sd_bus *bus, const IdList *before, unsigned *ret_n_new) {
        IdList now = {};
        unsigned n_new = 0;
        int r = list_sets(bus, &now);
        if (r < 0)
                return r;
        for (size_t i = 0; i < now.n; i++) {
                if (id_list_has(before, now.ids[i]))
                        continue;
                n_new++;
                r = delete_set(bus, now.ids[i]);
                if (r < 0)
                        break;
        }
        id_list_done(&now);
        if (ret_n_new)
                *ret_n_new = n_new;
        return r < 0 ? r : 0;
}

/* ---- the pieces, timed in this process (for --breakdown) ---- */

/* One D-Bus round trip through dbus-daemon to stasisd and back: Get Version. */
static int time_get_version(sd_bus *bus, double *ret) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        double t0 = now_ms();
        int r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, "org.freedesktop.DBus.Properties",
                                   "Get", &error, &reply, "ss", STASIS_MANAGER_INTERFACE, "Version");
        *ret = now_ms() - t0;
        if (r < 0)
                fprintf(stderr, "bench-create: Get Version: %s\n", error.message ?: strerror(-r));
        return r;
}

static int on_read_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        int *left = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                fprintf(stderr, "bench-create: reading the new set: %s\n", e->message ?: e->name);
        (*left)--;
        return 0;
}

/* What the CLI reads of the new set: its properties, its backup metadata and
 * its exclusive size, the three calls sent at once and their answers waited
 * for together, as libstasis's stasis_requestor_get_set_details() does. */
static int time_set_reads(sd_bus *bus, const char *object_path, double *ret) {
        static const char *const calls[][2] = {
                { "org.freedesktop.DBus.Properties", "GetAll" },
                { STASIS_SET_INTERFACE, "BackupMetadata" },
                { STASIS_SET_INTERFACE, "GetExclusiveSize" },
        };
        sd_bus_slot *slots[ELEMENTSOF(calls)] = {};
        int left = 0, r = 0;
        double t0 = now_ms();

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(calls); i++) {
                _cleanup_bus_message_unref_ sd_bus_message *m = NULL;
                r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, object_path, calls[i][0], calls[i][1]);
                if (r >= 0 && i == 0)
                        r = sd_bus_message_append(m, "s", STASIS_SET_INTERFACE);
                if (r >= 0)
                        r = sd_bus_call_async(bus, &slots[i], m, on_read_reply, &left, 0);
                if (r >= 0)
                        left++;
        }
        while (r >= 0 && left > 0) {
                r = sd_bus_process(bus, NULL);
                if (r == 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
        }
        *ret = now_ms() - t0;
        for (size_t i = 0; i < ELEMENTSOF(calls); i++)
                sd_bus_slot_unref(slots[i]);
        if (r < 0)
                fprintf(stderr, "bench-create: reading %s: %s\n", object_path, strerror(-r));
        return r < 0 ? r : 0;
}

/* The CreateSet call the CLI makes, then its reads of the new set, each timed. */
static int time_create_set(sd_bus *bus, const char *path, double *ret_create, double *ret_reads) {
        _cleanup_bus_message_unref_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *id, *object_path;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                           STASIS_MANAGER_INTERFACE, "CreateSet");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, path);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "persistent", "b", 1);
        if (r < 0) {
                fprintf(stderr, "bench-create: building CreateSet: %s\n", strerror(-r));
                return r;
        }
        double t0 = now_ms();
        r = sd_bus_call(bus, m, 0, &error, &reply);
        *ret_create = now_ms() - t0;
        if (r < 0) {
                fprintf(stderr, "bench-create: CreateSet: %s\n", error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_read(reply, "so", &id, &object_path);
        if (r < 0) {
                fprintf(stderr, "bench-create: reading the CreateSet answer: %s\n", strerror(-r));
                return r;
        }
        return time_set_reads(bus, object_path, ret_reads);
}

/* The snapshot ioctl alone, through libbtrfsutil as stasisd's worker does it. */
static int time_snapshot_ioctl(const char *source, const char *dest, double *ret) {
        double t0 = now_ms();
        enum btrfs_util_error e = btrfs_util_create_snapshot(source, dest, BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY,
                                                             NULL, NULL);
        *ret = now_ms() - t0;
        if (e != BTRFS_UTIL_OK) {
                fprintf(stderr, "bench-create: snapshot %s to %s: %s: %m\n", source, dest, btrfs_util_strerror(e));
                return -1;
        }
        e = btrfs_util_delete_subvolume(dest, 0);
        if (e != BTRFS_UTIL_OK) {
                fprintf(stderr, "bench-create: delete %s: %s: %m\n", dest, btrfs_util_strerror(e));
                return -1;
        }
        return 0;
}

/* What the durable record of a set costs at the least: a 4 KiB page
 * appended to a file in dir (stasisd's state directory) and fdatasync()ed,
 * as SQLite's write-ahead log does. fd is the file, emptied now and then. */
static int time_append_sync(int fd, unsigned i, double *ret) {
        static const char page[4096] = { 's' };
        off_t at = (off_t) (i % 256) * (off_t) sizeof page;

        if (at == 0 && ftruncate(fd, 0) < 0)
                return -1;
        if (pwrite(fd, page, sizeof page, at) != (ssize_t) sizeof page) {
                fprintf(stderr, "bench-create: write in %s: %m\n", arg_sync_dir);
                return -1;
        }
        double t0 = now_ms();
        int r = fdatasync(fd);
        *ret = now_ms() - t0;
        if (r < 0)
                fprintf(stderr, "bench-create: fdatasync in %s: %m\n", arg_sync_dir);
        return r;
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n), linear between ranks. */
static double quantile(const double *v, unsigned n, double q) {
        double *s = malloc(n * sizeof(double));
        if (!s || n == 0) {
                free(s);
                return NAN;
        }
        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), cmp_double);
        double pos = q * (n - 1);
        unsigned lo = (unsigned) pos;
        double x = lo + 1 < n ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
        free(s);
        return x;
}

static double mean(const double *v, unsigned n) {
        double sum = 0;
        for (unsigned i = 0; i < n; i++)
                sum += v[i];
        return n ? sum / n : NAN;
}

static double median(const Series *s) {
        return quantile(s->wall, s->n, 0.5);
}

static void print_series(const Series *s) {
        double cpu = quantile(s->cpu, s->n, 0.5);
        printf("  %-34s %7.2f %7.2f %7.2f %7.2f", s->name, median(s), quantile(s->wall, s->n, 0.9),
               quantile(s->wall, s->n, 0.0), mean(s->wall, s->n));
        if (isnan(cpu))
                printf("       -\n");
        else
                printf(" %7.2f\n", cpu);
}

static void record(Series *s, double wall) {
        s->wall[s->n] = wall;
        s->cpu[s->n] = NAN;
        s->n++;
}

static bool series_alloc(Series *s, const char *name, unsigned n) {
        s->name = name;
        s->wall = calloc(n, sizeof(double));
        s->cpu = calloc(n, sizeof(double));
        return s->wall && s->cpu;
}

static void series_done(Series *s) {
        free(s->wall);
        free(s->cpu);
}

/* ---- the benchmark ---- */

static void help(void) {
        printf("bench-create [OPTIONS...] SUBVOLUME RAW_DIR\n\n"
               "Times `stasis create SUBVOLUME` against `btrfs subvolume snapshot -r SUBVOLUME\n"
               "RAW_DIR/snap-N`, alternating, and prints the median ratio. stasisd must be\n"
               "running on $STASIS_BUS_ADDRESS (or the system bus); it deletes the sets it\n"
               "made and the raw snapshots between pairs. Use run-bench-create.sh.\n\n"
               "  -h --help            Show this help\n"
               "  -n --pairs=N         Measured pairs (default %u)\n"
               "  -w --warmup=N        Warm-up pairs, not counted (default %u)\n"
               "     --stasis=PATH     The stasis CLI (default $STASIS, else stasis in $PATH)\n"
               "     --btrfs=PATH      The btrfs tool (default btrfs)\n"
               "     --no-sync         Do not syncfs(2) the volume between pairs\n"
               "     --breakdown       Also time the pieces, after each pair: `stasis --version`,\n"
               "                       `stasis list`, `btrfs --version`, and from this process\n"
               "                       one D-Bus round trip to stasisd, the CreateSet call and\n"
               "                       the reads of the set the CLI makes (GetAll,\n"
               "                       BackupMetadata, GetExclusiveSize, sent together), and\n"
               "                       the snapshot ioctl\n"
               "     --sync-dir=DIR    With --breakdown, also time a 4 KiB page appended to a\n"
               "                       file in DIR (stasisd's state directory) and fdatasync()ed,\n"
               "                       and print the floor: `stasis list` + ioctl + that\n"
               "     --dirty=KIB       Before each timed run, rewrite a file of KIB KiB in the\n"
               "                       subvolume and leave it unwritten, so each snapshot has\n"
               "                       that to write out (default 0: an idle volume)\n"
               "     --target=RATIO    The target median ratio to report against (default %.1f)\n"
               "\nExit status: 0 when the benchmark ran (whether or not the target was met),\n"
               "1 when a command failed, 2 on usage errors.\n",
               arg_pairs, arg_warmup, TARGET_DEFAULT);
}

static int parse_unsigned(const char *s, unsigned min, unsigned *ret) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v < min || v > 100000)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_STASIS = 0x100, ARG_BTRFS, ARG_NO_SYNC, ARG_BREAKDOWN, ARG_DIRTY, ARG_TARGET, ARG_SYNC_DIR };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h' },
                { "pairs",     required_argument, NULL, 'n' },
                { "warmup",    required_argument, NULL, 'w' },
                { "stasis",    required_argument, NULL, ARG_STASIS },
                { "btrfs",     required_argument, NULL, ARG_BTRFS },
                { "no-sync",   no_argument,       NULL, ARG_NO_SYNC },
                { "breakdown", no_argument,       NULL, ARG_BREAKDOWN },
                { "dirty",     required_argument, NULL, ARG_DIRTY },
                { "target",    required_argument, NULL, ARG_TARGET },
                { "sync-dir",  required_argument, NULL, ARG_SYNC_DIR },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "hn:w:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'n':
                        if (parse_unsigned(optarg, 1, &arg_pairs) < 0) {
                                fprintf(stderr, "bench-create: invalid --pairs '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (parse_unsigned(optarg, 0, &arg_warmup) < 0) {
                                fprintf(stderr, "bench-create: invalid --warmup '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_STASIS:
                        arg_stasis = optarg;
                        break;
                case ARG_BTRFS:
                        arg_btrfs = optarg;
                        break;
                case ARG_NO_SYNC:
                        arg_sync = false;
                        break;
                case ARG_BREAKDOWN:
                        arg_breakdown = true;
                        break;
                case ARG_DIRTY:
                        if (parse_unsigned(optarg, 0, &arg_dirty_kib) < 0) {
                                fprintf(stderr, "bench-create: invalid --dirty '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_SYNC_DIR:
                        arg_sync_dir = optarg;
                        break;
                case ARG_TARGET: {
                        char *end;
                        arg_target = strtod(optarg, &end);
                        if (*end || end == optarg || !(arg_target > 0)) {
                                fprintf(stderr, "bench-create: invalid --target '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                }
                default:
                        return -EINVAL;
                }
        if (argc - optind != 2) {
                fprintf(stderr, "bench-create: give SUBVOLUME and RAW_DIR; see --help\n");
                return -EINVAL;
        }
        arg_subvol = argv[optind];
        arg_raw_dir = argv[optind + 1];
        if (!arg_stasis)
                arg_stasis = getenv("STASIS") ?: "stasis";
        return 1;
}

enum {
        S_STASIS, S_BTRFS,                              /* the pair */
        S_VERSION, S_LIST, S_BTRFS_VERSION,             /* --breakdown: commands */
        S_GET, S_CREATE_SET, S_READS, S_IOCTL,          /* --breakdown: in this process */
        S_SYNC,                                         /* --breakdown --sync-dir */
        _S_MAX
};

int main(int argc, char *argv[]) {
        static const char *const names[_S_MAX] = {
                [S_STASIS]        = "stasis create",
                [S_BTRFS]         = "btrfs subvolume snapshot -r",
                [S_VERSION]       = "stasis --version",
                [S_LIST]          = "stasis list",
                [S_BTRFS_VERSION] = "btrfs --version",
                [S_GET]           = "[in-process] Get Version",
                [S_CREATE_SET]    = "[in-process] CreateSet",
                [S_READS]       = "[in-process] reads of the set",
                [S_IOCTL]         = "[in-process] snapshot ioctl",
                [S_SYNC]          = "[in-process] append+fdatasync",
        };
        _cleanup_bus_flush_close_unref_ sd_bus *bus = NULL;
        _cleanup_free_ char *subvol = NULL;
        Series series[_S_MAX] = {};
        double *ratio = NULL;
        IdList before = {};
        char dest[PATH_MAX], ioctl_dest[PATH_MAX];
        unsigned n_new;
        struct stat st;
        int r, ret = EXIT_FAILURE;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        subvol = realpath(arg_subvol, NULL);
        if (!subvol) {
                fprintf(stderr, "bench-create: %s: %m\n", arg_subvol);
                return EXIT_FAILURE;
        }
        if (stat(arg_raw_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "bench-create: %s is not a directory\n", arg_raw_dir);
                return EXIT_FAILURE;
        }
        fs_fd = open(arg_raw_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fs_fd < 0) {
                fprintf(stderr, "bench-create: %s: %m\n", arg_raw_dir);
                return EXIT_FAILURE;
        }
        if (arg_breakdown && arg_sync_dir) {
                sync_fd = open(arg_sync_dir, O_RDWR | O_TMPFILE | O_CLOEXEC, 0600);
                if (sync_fd < 0) {
                        fprintf(stderr, "bench-create: a file in %s: %m\n", arg_sync_dir);
                        return EXIT_FAILURE;
                }
        }
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull < 0) {
                fprintf(stderr, "bench-create: /dev/null: %m\n");
                return EXIT_FAILURE;
        }
        r = bus_open_stasis(&bus);
        if (r < 0) {
                fprintf(stderr, "bench-create: cannot connect to %s: %s\n",
                        bus_stasis_address() ?: "the system bus", strerror(-r));
                goto finish;
        }
        /* The sets that were there before we started are not ours to delete. */
        if (list_sets(bus, &before) < 0)
                goto finish;

        for (int k = 0; k < _S_MAX; k++)
                if (!series_alloc(&series[k], names[k], arg_pairs))
                        goto oom;
        ratio = calloc(arg_pairs, sizeof(double));
        if (!ratio)
                goto oom;

        char *stasis_argv[] = { (char *) arg_stasis, (char *) "create", subvol, NULL };
        char *btrfs_argv[] = { (char *) arg_btrfs, (char *) "subvolume", (char *) "snapshot", (char *) "-r",
                               subvol, dest, NULL };
        char *btrfs_delete_argv[] = { (char *) arg_btrfs, (char *) "-q", (char *) "subvolume", (char *) "delete",
                                      dest, NULL };
        char *version_argv[] = { (char *) arg_stasis, (char *) "--version", NULL };
        char *list_argv[] = { (char *) arg_stasis, (char *) "list", NULL };
        char *btrfs_version_argv[] = { (char *) arg_btrfs, (char *) "--version", NULL };

        printf("bench-create: stasis create %s  vs  btrfs subvolume snapshot -r %s %s/snap-N\n",
               subvol, subvol, arg_raw_dir);
        printf("bench-create: %u pairs (+%u warm-up, discarded), order alternating, %s between pairs",
               arg_pairs, arg_warmup, arg_sync ? "cleanup + syncfs" : "cleanup only");
        if (arg_dirty_kib > 0)
                printf(", %u KiB left unwritten before each run", arg_dirty_kib);
        printf("%s\n", arg_breakdown ? ", breakdown" : "");
        fflush(stdout);

        for (unsigned i = 0; i < arg_warmup + arg_pairs; i++) {
                bool rec = i >= arg_warmup;
                unsigned k = series[S_STASIS].n;
                double t = 0, t2 = 0;

                snprintf(dest, sizeof dest, "%s/snap-%u", arg_raw_dir, i);
                /* Alternate which goes first, so neither always follows the other's transaction commit. */
                for (int j = 0; j < 2; j++) {
                        int which = (i + j) % 2 == 0 ? S_STASIS : S_BTRFS;
                        if (make_dirty(subvol) < 0)
                                goto finish;
                        if (run_timed(which == S_STASIS ? stasis_argv : btrfs_argv, &series[which], rec) < 0)
                                goto finish;
                }
                if (rec)
                        ratio[k] = series[S_STASIS].wall[k] / series[S_BTRFS].wall[k];

                /* Untimed: remove what both made, and write it out, so every pair starts
                 * from the same state. (Waiting for the btrfs cleaner as well would take
                 * up to the 30 s commit interval per pair; cleaning an unchanged snapshot
                 * is cheap.) */
                if (delete_new_sets(bus, &before, &n_new) < 0)
                        goto finish;
                if (n_new != 1) {
                        fprintf(stderr, "bench-create: stasis create made %u sets, expected 1\n", n_new);
                        goto finish;
                }
                if (run(btrfs_delete_argv, NULL, NULL) < 0)
                        goto finish;
                if (sync_fs() < 0)
                        goto finish;

                if (!arg_breakdown)
                        continue;
                if (run_timed(version_argv, &series[S_VERSION], rec) < 0 ||
                    run_timed(list_argv, &series[S_LIST], rec) < 0 ||
                    run_timed(btrfs_version_argv, &series[S_BTRFS_VERSION], rec) < 0)
                        goto finish;
                if (time_get_version(bus, &t) < 0)
                        goto finish;
                if (rec)
                        record(&series[S_GET], t);
                if (make_dirty(subvol) < 0 || time_create_set(bus, subvol, &t, &t2) < 0)
                        goto finish;
                if (rec) {
                        record(&series[S_CREATE_SET], t);
                        record(&series[S_READS], t2);
                }
                if (delete_new_sets(bus, &before, NULL) < 0 || sync_fs() < 0)
                        goto finish;
                snprintf(ioctl_dest, sizeof ioctl_dest, "%s/ioctl-%u", arg_raw_dir, i);
                if (make_dirty(subvol) < 0 || time_snapshot_ioctl(subvol, ioctl_dest, &t) < 0)
                        goto finish;
                if (rec)
                        record(&series[S_IOCTL], t);
                if (sync_fs() < 0)
                        goto finish;
                if (sync_fd >= 0) {
                        if (time_append_sync(sync_fd, i, &t) < 0)
                                goto finish;
                        if (rec)
                                record(&series[S_SYNC], t);
                }
        }

        double med_stasis = median(&series[S_STASIS]), med_btrfs = median(&series[S_BTRFS]);
        double med_ratio = quantile(ratio, arg_pairs, 0.5);

        printf("\n  %-34s %7s %7s %7s %7s %7s\n", "ms, start to exit", "median", "p90", "min", "mean", "cpu");
        for (int k = 0; k < (arg_breakdown ? _S_MAX : S_VERSION); k++)
                print_series(&series[k]);
        printf("  (cpu: median user+system time of the command's own process; stasisd's, dbus-daemon's\n"
               "   and the kernel's btrfs work for it are not counted there)\n");

        if (arg_breakdown) {
                /* All medians; the pieces are measured separately, so the sums are estimates. */
                double version = median(&series[S_VERSION]), list = median(&series[S_LIST]);
                double get = median(&series[S_GET]), create_set = median(&series[S_CREATE_SET]);
                double get_all = median(&series[S_READS]), ioctl_ms = median(&series[S_IOCTL]);
                double btrfs_version = median(&series[S_BTRFS_VERSION]);
                double connect = list - version - get;
                printf("\n  where the time goes (medians, ms; the rows are measured apart, so they are estimates)\n");
                printf("  %-50s %7.2f\n", "stasis create", med_stasis);
                printf("  %-50s %7.2f\n", "  process start and exit (stasis --version)", version);
                printf("  %-50s %7.2f\n", "  bus connect, Hello (list - version - round trip)", connect);
                printf("  %-50s %7.2f\n", "  CreateSet call", create_set);
                printf("  %-50s %7.2f\n", "    of it, the snapshot ioctl", ioctl_ms);
                printf("  %-50s %7.2f\n", "    of it, one bus round trip (Get Version)", get);
                printf("  %-50s %7.2f\n", "    of it, stasisd's own work (the rest)", create_set - ioctl_ms - get);
                printf("  %-50s %7.2f\n", "  reads of the set (3 calls sent together)", get_all);
                printf("  %-50s %7.2f\n", "  the rest (arguments, output)",
                       med_stasis - version - connect - create_set - get_all);
                printf("  %-50s %7.2f\n", "btrfs subvolume snapshot -r", med_btrfs);
                printf("  %-50s %7.2f\n", "  process start and exit (btrfs --version)", btrfs_version);
                printf("  %-50s %7.2f\n", "  the snapshot ioctl", ioctl_ms);
                printf("  %-50s %7.2f\n", "  the rest", med_btrfs - btrfs_version - ioctl_ms);
                printf("  %-50s %7.2f\n", "stasis create - btrfs subvolume snapshot -r", med_stasis - med_btrfs);
                /* What no create through the bus with a durable answer can
                 * go under: a client's start, connection and one round trip
                 * (stasis list), the snapshot, and one synced page. */
                if (sync_fd >= 0) {
                        double floor_ms = list + ioctl_ms + median(&series[S_SYNC]);
                        printf("  %-50s %7.2f (ratio %.2f)\n", "floor: stasis list + ioctl + fdatasync", floor_ms,
                               floor_ms / med_btrfs);
                }
        }

        printf("\n  ratio stasis/btrfs per pair: median %.2f, p10 %.2f, p90 %.2f; ratio of medians %.2f\n",
               med_ratio, quantile(ratio, arg_pairs, 0.1), quantile(ratio, arg_pairs, 0.9),
               med_stasis / med_btrfs);
        printf("create: median ratio %.2f (stasis %.1f ms / btrfs %.1f ms), target <= %.1f: %s\n",
               med_ratio, med_stasis, med_btrfs, arg_target, med_ratio <= arg_target ? "met" : "NOT met");
        ret = EXIT_SUCCESS;
        goto finish;

oom:
        fprintf(stderr, "bench-create: out of memory\n");
finish:
        fflush(stdout);
        id_list_done(&before);
        for (int k = 0; k < _S_MAX; k++)
                series_done(&series[k]);
        free(ratio);
        safe_close(devnull);
        safe_close(fs_fd);
        safe_close(sync_fd);
        return ret;
}
