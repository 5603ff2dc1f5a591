/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-durable.c - what durable acknowledgements cost: `stasis create` of one btrfs subvolume
 * against a stasisd whose catalog syncs every commit (synchronous=FULL, the default) and against
 * one that does not (STASIS_BENCH_CATALOG_SYNC=normal, the old setting), turn about in one run;
 * also the CreateSet call alone, and the raw fsync cost of the state directory's file system.
 * Prints medians and the difference; never fails on a time. Run it through run-bench-durable.sh,
 * which starts the two daemons, each on its own private bus. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "macro.h"
#include "stasis/stasis.h"

extern char **environ;

#define TARGET_MS 2.0
#define MODES 2

static const char *const mode_name[MODES] = { "synchronous=FULL", "synchronous=NORMAL" };
static const char *arg_bus[MODES];
static const char *arg_stasis = NULL;
static const char *arg_state_dir = NULL;
static unsigned arg_pairs = 50;
static int devnull = -1;

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double pct(double *v, unsigned n, double p) {
        qsort(v, n, sizeof(double), cmp_double);
        return v[(unsigned) (p * (n - 1) + 0.5)];
}

static void report(const char *what, double *v, unsigned n) {
        printf("  %-34s median %7.3f ms  p10 %7.3f  p90 %7.3f  (n=%u)\n", what, pct(v, n, 0.5), pct(v, n, 0.1),
               pct(v, n, 0.9), n);
}

static int bus_connect(const char *address, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, true);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                fprintf(stderr, "bench-durable: cannot connect to %s: %s\n", address, strerror(-r));
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

/* Deletes every set of that stasisd (untimed): each run starts from none. */
static int delete_all(sd_bus *bus) {
        sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        char ids[64][24];
        unsigned n = 0;
        int r;

        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE, "ListSets",
                               &error, &reply, "");
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sotsssbu)");
        while (r >= 0 && n < ELEMENTSOF(ids)) {
                const char *id, *path, *state, *consistency, *label;
                uint64_t created;
                uint32_t n_volumes;
                int persistent;
                r = sd_bus_message_read(reply, "(sotsssbu)", &id, &path, &created, &state, &consistency, &label,
                                        &persistent, &n_volumes);
                if (r <= 0)
                        break;
                snprintf(ids[n++], sizeof ids[0], "%s", id);
        }
        sd_bus_message_unref(reply);
        for (unsigned i = 0; r >= 0 && i < n; i++)
                r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                                       "DeleteSet", &error, NULL, "s", ids[i]);
        if (r < 0)
                fprintf(stderr, "bench-durable: cleaning up: %s\n", error.message ?: strerror(-r));
        sd_bus_error_free(&error);
        return r < 0 ? r : 0;
}

/* `stasis create SUBVOL` against the stasisd on address; its wall time. */
static int time_cli(const char *address, const char *subvol, double *ret) {
        char env_bus[512], *argv[] = { (char *) arg_stasis, (char *) "create", (char *) subvol, NULL };
        char *envp[] = { env_bus, NULL };
        posix_spawn_file_actions_t fa;
        int status, r;
        pid_t pid;

        snprintf(env_bus, sizeof env_bus, "STASIS_BUS_ADDRESS=%s", address);
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);
        double t0 = now_ms();
        r = posix_spawn(&pid, arg_stasis, &fa, NULL, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                fprintf(stderr, "bench-durable: cannot run %s: %s\n", arg_stasis, strerror(r));
                return -r;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        *ret = now_ms() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench-durable: stasis create %s failed\n", subvol);
                return -EIO;
        }
        return 0;
}

/* The CreateSet call alone, from this process. */
static int time_call(sd_bus *bus, const char *subvol, double *ret) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL;
        int r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                               STASIS_MANAGER_INTERFACE, "CreateSet");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, subvol);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "persistent", "b", 1);
        double t0 = now_ms();
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, NULL);
        *ret = now_ms() - t0;
        if (r < 0)
                fprintf(stderr, "bench-durable: CreateSet: %s\n", error.message ?: strerror(-r));
        sd_bus_message_unref(m);
        sd_bus_error_free(&error);
        return r;
}

/* A 4 KiB write and fdatasync() (or fsync()) of a file in dir, n times. */
static int time_sync(const char *dir, bool data_only, double *v, unsigned n) {
        char path[4096], buf[4096];
        snprintf(path, sizeof path, "%s/bench-durable.probe", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                fprintf(stderr, "bench-durable: %s: %m\n", path);
                return -errno;
        }
        memset(buf, 'x', sizeof buf);
        for (unsigned i = 0; i < n; i++) {
                if (pwrite(fd, buf, sizeof buf, (off_t) (i % 16) * (off_t) sizeof buf) != (ssize_t) sizeof buf) {
                        close(fd);
                        return -EIO;
                }
                double t0 = now_ms();
                if ((data_only ? fdatasync(fd) : fsync(fd)) < 0) {
                        close(fd);
                        return -errno;
                }
                v[i] = now_ms() - t0;
        }
        close(fd);
        (void) unlink(path);
        return 0;
}

static void help(void) {
        printf("bench-durable --stasis PATH --full-bus ADDRESS --normal-bus ADDRESS --state-dir DIR [-n PAIRS] SUBVOL\n\n"
               "Times `stasis create SUBVOL` and the CreateSet call against a stasisd with a durable catalog\n"
               "and one with STASIS_BENCH_CATALOG_SYNC=normal, turn about, and the raw sync cost of DIR's\n"
               "file system. Use run-bench-durable.sh.\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h' },
                { "stasis",     required_argument, NULL, 's' },
                { "full-bus",   required_argument, NULL, 'f' },
                { "normal-bus", required_argument, NULL, 'o' },
                { "state-dir",  required_argument, NULL, 'd' },
                {}
        };
        sd_bus *bus[MODES] = {};
        int c, rc = EXIT_FAILURE;

        while ((c = getopt_long(argc, argv, "hn:", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return EXIT_SUCCESS;
                case 's': arg_stasis = optarg; break;
                case 'f': arg_bus[0] = optarg; break;
                case 'o': arg_bus[1] = optarg; break;
                case 'd': arg_state_dir = optarg; break;
                case 'n': arg_pairs = (unsigned) strtoul(optarg, NULL, 10); break;
                default: return EXIT_FAILURE;
                }
        if (optind + 1 != argc || !arg_stasis || !arg_bus[0] || !arg_bus[1] || !arg_state_dir ||
            arg_pairs < 3 || arg_pairs > 100000) {
                help();
                return EXIT_FAILURE;
        }
        const char *subvol = argv[optind];
        unsigned n = arg_pairs;
        double *cli[MODES], *call[MODES], *diff_cli = calloc(n, sizeof(double)), *sync_v = calloc(n, sizeof(double));
        for (int m = 0; m < MODES; m++) {
                cli[m] = calloc(n, sizeof(double));
                call[m] = calloc(n, sizeof(double));
                if (!cli[m] || !call[m])
                        return EXIT_FAILURE;
        }
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (!diff_cli || !sync_v || devnull < 0)
                return EXIT_FAILURE;
        for (int m = 0; m < MODES; m++)
                if (bus_connect(arg_bus[m], &bus[m]) < 0)
                        goto finish;

        /* A few untimed rounds first: caches, the daemons' first calls. */
        for (unsigned i = 0; i < 3; i++)
                for (int m = 0; m < MODES; m++) {
                        double t;
                        if (time_cli(arg_bus[m], subvol, &t) < 0 || delete_all(bus[m]) < 0)
                                goto finish;
                }
        /* Pairs, the two settings turn about, which goes first alternating. */
        for (unsigned i = 0; i < n; i++)
                for (int k = 0; k < MODES; k++) {
                        int m = (int) ((i + (unsigned) k) % MODES);
                        if (time_cli(arg_bus[m], subvol, &cli[m][i]) < 0 || delete_all(bus[m]) < 0)
                                goto finish;
                }
        for (unsigned i = 0; i < n; i++)
                for (int k = 0; k < MODES; k++) {
                        int m = (int) ((i + (unsigned) k) % MODES);
                        if (time_call(bus[m], subvol, &call[m][i]) < 0 || delete_all(bus[m]) < 0)
                                goto finish;
                }
        for (unsigned i = 0; i < n; i++)
                diff_cli[i] = cli[0][i] - cli[1][i];

        printf("bench-durable: %u pairs, one btrfs subvolume, state directory %s\n", n, arg_state_dir);
        printf("`stasis create`, end to end:\n");
        for (int m = 0; m < MODES; m++)
                report(mode_name[m], cli[m], n);
        double full = pct(cli[0], n, 0.5), normal = pct(cli[1], n, 0.5);
        printf("  added by durable commits: %+.3f ms at the median (median of pair differences %+.3f ms)\n",
               full - normal, pct(diff_cli, n, 0.5));
        printf("CreateSet call alone:\n");
        for (int m = 0; m < MODES; m++)
                report(mode_name[m], call[m], n);
        double call_added = pct(call[0], n, 0.5) - pct(call[1], n, 0.5);
        printf("  added by durable commits: %+.3f ms at the median\n", call_added);
        printf("Raw sync cost of the state directory's file system (4 KiB write, then sync):\n");
        if (time_sync(arg_state_dir, true, sync_v, n) < 0)
                goto finish;
        report("fdatasync", sync_v, n);
        if (time_sync(arg_state_dir, false, sync_v, n) < 0)
                goto finish;
        report("fsync", sync_v, n);
        printf("Target: at most %.1f ms added at the median: %s\n", TARGET_MS,
               full - normal <= TARGET_MS ? "met" : "not met");
        rc = EXIT_SUCCESS;
finish:
        for (int m = 0; m < MODES; m++) {
                sd_bus_flush_close_unref(bus[m]);
                free(cli[m]);
                free(call[m]);
        }
        free(diff_cli);
        free(sync_v);
        return rc;
}
