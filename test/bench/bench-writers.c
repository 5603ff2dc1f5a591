/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-writers.c - the coordination cost of writers: for N test writers
 * (1, 10, 100, 1000) on one btrfs subvolume, the set's freeze window (stasisd's
 * Set.WindowUSec: from the set's turn, just before the first Freeze is sent, to
 * the last Thaw answered) and the CreateSet round trip, each against the same
 * run without writers, in one process: machines are noisy, so the figures are
 * differences and ratios against baselines measured alongside. Three kinds of
 * set:
 *
 *   writers  a set of WRITERS_SUBVOL, which all N writers have their component
 *            on: every writer gets Identify, PrepareBackup, PrepareSnapshot,
 *            Freeze, Thaw, PostSnapshot;
 *   idle     a set of IDLE_SUBVOL, on the same file system, which no writer is
 *            on: the N writers are registered, get Identify (stasisd asks every
 *            registered writer for every set) and nothing else;
 *   none     a set of WRITERS_SUBVOL with no writer registered at all.
 *
 * Per N: half of the "none" rounds, then the N writers start (one
 * stasis-test-writer --count N process, a bus connection each; or, with
 * --per-process=K, processes of K writers each), then warm-up
 * rounds and the measured rounds, each a "writers" and an "idle" set in
 * alternating order, then the writers stop and the other half of the "none"
 * rounds. Every set is deleted, untimed, right after it was made, and the file
 * system synced, so each starts from the same state. stasisd's memory (VmRSS)
 * is read with no writers, with N registered, after the rounds and after they
 * left; the CPU time stasisd, dbus-daemon and the writers' process spend on
 * each set is read from /proc.
 *
 * The writers log every event with CLOCK_MONOTONIC µs (--log); after each set
 * this program reads the new lines, checks that every writer got each event of
 * the set exactly once and answered it (the sanity check it prints) and times
 * the phases (first Freeze received to last Freeze received, ...). The logs
 * stay in --log-dir. The targets: 100 writers frozen and thawed (the median
 * window) in 50 ms, 1000 in 250 ms, stasisd's VmRSS with 1000 registered
 * within 32 MiB.
 *
 * It never fails on a time: it prints whether the targets are met and exits 0;
 * it fails only when something it runs fails or the events are not as they
 * must be. Run it through run-bench-writers.sh, which sets up the bus, stasisd
 * and the volume. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bus-util.h"
#include "macro.h"
#include "stasis/stasis.h"

#define COUNTS_MAX 16
#define WRITER_NAME "benchw"
#define CALL_TIMEOUT_USEC (300ULL * 1000000ULL)

static unsigned arg_rounds = 15;
static unsigned arg_warmup = 1;
static unsigned arg_counts[COUNTS_MAX] = { 1, 10, 100, 1000 };
static unsigned arg_n_counts = 4;
static const char *arg_writer = NULL;
static const char *arg_log_dir = NULL;
static unsigned arg_per_process = 0;    /* writers per process; 0: all in one */
#define WRITER_OPTIONS_MAX 16
static char *arg_writer_options[WRITER_OPTIONS_MAX];    /* more options for stasis-test-writer */
static unsigned arg_n_writer_options = 0;
static pid_t arg_stasisd_pid = 0;
static pid_t arg_bus_pid = 0;
static double arg_target_100_ms = 50;
static double arg_target_1000_ms = 250;
static double arg_target_rss_mib = 32;
static const char *arg_writers_subvol = NULL;
static const char *arg_idle_subvol = NULL;

static int fs_fd = -1;          /* the volume, for syncfs() */

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* ---- statistics ---- */

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of the non-NaN values of v[0..n), linear between ranks. */
static double quantile(const double *v, unsigned n, double q) {
        double *s = malloc((n ? n : 1) * sizeof(double));
        unsigned k = 0;
        if (!s)
                return NAN;
        for (unsigned i = 0; i < n; i++)
                if (!isnan(v[i]))
                        s[k++] = v[i];
        if (k == 0) {
                free(s);
                return NAN;
        }
        qsort(s, k, sizeof(double), cmp_double);
        double pos = q * (k - 1);
        unsigned lo = (unsigned) pos;
        double x = lo + 1 < k ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
        free(s);
        return x;
}

static double median(const double *v, unsigned n) {
        return quantile(v, n, 0.5);
}

/* ---- other processes: memory and CPU time, from /proc ---- */

/* VmRSS (or another field of /proc/PID/status) in KiB; NAN if unknown. */
static double proc_status_kib(pid_t pid, const char *field) {
        char path[64], line[256];
        size_t l = strlen(field);
        double v = NAN;
        FILE *f;

        if (pid <= 0)
                return NAN;
        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        f = fopen(path, "re");
        if (!f)
                return NAN;
        while (fgets(line, sizeof line, f))
                if (strneq(line, field, l) && line[l] == ':') {
                        v = strtod(line + l + 1, NULL);
                        break;
                }
        fclose(f);
        return v;
}

/* The CPU time of all threads of pid, in ms: se.sum_exec_runtime from
 * /proc/PID/task/TID/sched (ns precision) where the kernel has it, else
 * utime + stime from /proc/PID/stat (clock ticks). NAN if unknown. */
static double proc_cpu_ms(pid_t pid) {
        char path[PATH_MAX], line[256];
        double sum = 0;
        bool found = false;
        DIR *d;

        if (pid <= 0)
                return NAN;
        snprintf(path, sizeof path, "/proc/%d/task", (int) pid);
        d = opendir(path);
        if (d) {
                struct dirent *de;
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof path, "/proc/%d/task/%s/sched", (int) pid, de->d_name);
                        FILE *f = fopen(path, "re");
                        if (!f)
                                continue;
                        while (fgets(line, sizeof line, f))
                                if (strneq(line, "se.sum_exec_runtime", 19)) {
                                        char *colon = strchr(line, ':');
                                        if (colon) {
                                                sum += strtod(colon + 1, NULL);
                                                found = true;
                                        }
                                        break;
                                }
                        fclose(f);
                }
                closedir(d);
        }
        if (found)
                return sum;

        snprintf(path, sizeof path, "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return NAN;
        char buf[2048];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *p = strrchr(buf, ')');
        unsigned long long ut, st;
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
                return NAN;
        return (double) (ut + st) * 1e3 / (double) sysconf(_SC_CLK_TCK);
}

/* ---- the writers' process and its log ---- */

typedef enum Ev { EV_IDENTIFY, EV_PREPARE_BACKUP, EV_PREPARE_SNAPSHOT, EV_FREEZE, EV_THAW, EV_POST_SNAPSHOT, _EV_MAX } Ev;

static const char *const ev_names[_EV_MAX] = {
        [EV_IDENTIFY] = "Identify",
        [EV_PREPARE_BACKUP] = "PrepareBackup",
        [EV_PREPARE_SNAPSHOT] = "PrepareSnapshot",
        [EV_FREEZE] = "Freeze",
        [EV_THAW] = "Thaw",
        [EV_POST_SNAPSHOT] = "PostSnapshot",
};

/* What the log says about one set: per event, how many writers got it (each
 * once, answered "ok"), and when the first and the last got it. */
typedef struct {
        unsigned count[_EV_MAX];        /* distinct writers that logged it */
        unsigned dup[_EV_MAX];          /* lines for a writer that had logged it already */
        unsigned bad[_EV_MAX];          /* not "ok", or for another set */
        double first[_EV_MAX], last[_EV_MAX];   /* ms, CLOCK_MONOTONIC */
        unsigned other;                 /* lines that are none of these */
} LogRound;

typedef struct {
        pid_t *pids;                    /* the writers' processes; 0 once gone */
        unsigned n_procs;
        unsigned per_proc;              /* writers per process */
        unsigned n;
        FILE *log;
        char *log_path;
        char *partial;                  /* a line read without its end, kept for the next read */
        uint8_t *seen[_EV_MAX];         /* per event, per writer index */
} Writers;

static void writers_free(Writers *w) {
        free(w->pids);
        if (w->log)
                fclose(w->log);
        free(w->log_path);
        free(w->partial);
        for (int e = 0; e < _EV_MAX; e++)
                free(w->seen[e]);
        *w = (Writers) {};
}

static int ev_from_string(const char *s) {
        for (int e = 0; e < _EV_MAX; e++)
                if (streq(s, ev_names[e]))
                        return e;
        return -1;
}

/* The index (0 .. n-1) of the writer a log line names, ULONG_MAX if none.
 * One process: "benchw@K" (--count N > 1), or plain "benchw" (one writer).
 * Process P of several: "benchw@pP-K" (--instance pP --count K > 1), or
 * "benchw@pP" for a process of one writer. */
static unsigned long writer_index(const Writers *w, const char *label) {
        size_t l = strlen(WRITER_NAME);
        unsigned long proc = 0, k = 0;
        char *end;

        if (!strneq(label, WRITER_NAME, l))
                return ULONG_MAX;
        if (label[l] == 0)
                return w->n == 1 ? 0 : ULONG_MAX;
        if (label[l] != '@')
                return ULONG_MAX;
        label += l + 1;
        if (w->n_procs > 1) {
                if (label[0] != 'p')
                        return ULONG_MAX;
                proc = strtoul(label + 1, &end, 10);
                if (end == label + 1 || (*end && *end != '-'))
                        return ULONG_MAX;
                if (!*end)      /* a process of one writer */
                        return proc * w->per_proc;
                label = end + 1;
        }
        k = strtoul(label, &end, 10);
        if (end == label || *end || k >= w->per_proc)
                return ULONG_MAX;
        return proc * w->per_proc + k;
}

/* Reads the lines the writers logged since the last call into *ret. set_id:
 * the set they should be about (NULL for none in particular). Lines:
 * "<us> <writer>@<k> <Event> <set|-> <result>", and "<us> ready". */
static int writers_read_log(Writers *w, const char *set_id, LogRound *ret) {
        char *line = NULL;
        size_t size = 0;
        ssize_t l;

        *ret = (LogRound) {};
        for (int e = 0; e < _EV_MAX; e++) {
                ret->first[e] = ret->last[e] = NAN;
                if (!w->seen[e] && !(w->seen[e] = calloc(MAX(w->n, 1), 1)))
                        return -ENOMEM;
                memset(w->seen[e], 0, MAX(w->n, 1));
        }
        if (!w->log)
                return 0;
        clearerr(w->log);
        while ((l = getline(&line, &size, w->log)) > 0) {
                char *full = line;
                _cleanup_free_ char *joined = NULL;
                if (line[l - 1] != '\n') {
                        /* Written but not all read yet: keep it for next time. */
                        char *p = w->partial;
                        if (asprintf(&w->partial, "%s%s", strempty(p), line) < 0)
                                w->partial = NULL;
                        free(p);
                        break;
                }
                if (w->partial) {
                        if (asprintf(&joined, "%s%s", w->partial, line) < 0) {
                                free(line);
                                return -ENOMEM;
                        }
                        w->partial = mfree(w->partial);
                        full = joined;
                }
                char us[32] = "", label[200] = "", event[64] = "", set[64] = "", result[256] = "";
                int k = sscanf(full, "%31s %199s %63s %63s %255s", us, label, event, set, result);
                if (k == 2 && streq(label, "ready"))
                        continue;
                int e = k == 5 ? ev_from_string(event) : -1;
                unsigned long idx = writer_index(w, label);
                if (e < 0 || idx >= w->n) {
                        ret->other++;
                        continue;
                }
                double t = strtod(us, NULL) / 1e3;
                bool ok = streq(result, "ok") &&
                          (e == EV_IDENTIFY ? streq(set, "-") : (set_id && streq(set, set_id)));
                if (!ok)
                        ret->bad[e]++;
                if (w->seen[e][idx]) {
                        ret->dup[e]++;
                        continue;
                }
                w->seen[e][idx] = 1;
                ret->count[e]++;
                if (isnan(ret->first[e]) || t < ret->first[e])
                        ret->first[e] = t;
                if (isnan(ret->last[e]) || t > ret->last[e])
                        ret->last[e] = t;
        }
        free(line);
        return 0;
}

/* Starts n writers, each with its component on the writers' subvolume: one
 * `stasis-test-writer --count n` process, or with --per-process=K, n/K
 * processes of K writers (instances pP-0 .. pP-<K-1>), and waits until all
 * are registered. */
static int writers_start(Writers *w, unsigned n, double *ret_ms) {
        unsigned per = arg_per_process > 0 && arg_per_process < n ? arg_per_process : n;
        unsigned procs = (n + per - 1) / per;
        char component[PATH_MAX + 8];
        double t0;
        int r;

        *w = (Writers) { .n = n, .n_procs = procs, .per_proc = per };
        w->pids = calloc(procs, sizeof(pid_t));
        if (!w->pids || asprintf(&w->log_path, "%s/events-%u.log", arg_log_dir, n) < 0) {
                w->log_path = NULL;
                return -ENOMEM;
        }
        snprintf(component, sizeof component, "data=%s", arg_writers_subvol);
        (void) unlink(w->log_path);
        int fd = open(w->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                fprintf(stderr, "bench-writers: %s: %m\n", w->log_path);
                return -errno;
        }
        close(fd);
        w->log = fopen(w->log_path, "re");
        if (!w->log) {
                fprintf(stderr, "bench-writers: %s: %m\n", w->log_path);
                return -errno;
        }

        pid_t parent = getpid();
        t0 = now_ms();
        for (unsigned p = 0; p < procs; p++) {
                char count[16], instance[32], ready[PATH_MAX], out[PATH_MAX];
                snprintf(count, sizeof count, "%u", MIN(per, n - p * per));
                snprintf(instance, sizeof instance, "p%u", p);
                snprintf(ready, sizeof ready, "%s/ready-%u-%u", arg_log_dir, n, p);
                snprintf(out, sizeof out, "%s/writers-%u-%u.out", arg_log_dir, n, p);
                (void) unlink(ready);
                char *argv[14 + WRITER_OPTIONS_MAX] = {
                        (char *) arg_writer, (char *) "--count", count, (char *) "--name", (char *) WRITER_NAME,
                        (char *) "--component", component, (char *) "--log", w->log_path,
                        (char *) "--ready-file", ready,
                };
                unsigned k = 11;
                if (procs > 1) {
                        argv[k++] = (char *) "--instance";
                        argv[k++] = instance;
                }
                for (unsigned o = 0; o < arg_n_writer_options; o++)
                        argv[k++] = arg_writer_options[o];
                argv[k] = NULL;
                w->pids[p] = fork();
                if (w->pids[p] < 0) {
                        w->pids[p] = 0;
                        fprintf(stderr, "bench-writers: fork: %m\n");
                        return -errno;
                }
                if (w->pids[p] == 0) {
                        /* They go when we go. */
                        (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                        if (getppid() != parent)
                                _exit(1);
                        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                        if (o >= 0) {
                                (void) dup2(o, STDOUT_FILENO);
                                (void) dup2(o, STDERR_FILENO);
                        }
                        execvp(argv[0], argv);
                        fprintf(stderr, "bench-writers: cannot run %s: %m\n", argv[0]);
                        _exit(127);
                }
        }
        for (unsigned p = 0; p < procs; p++) {
                char ready[PATH_MAX];
                snprintf(ready, sizeof ready, "%s/ready-%u-%u", arg_log_dir, n, p);
                for (;;) {
                        int status;
                        if (access(ready, F_OK) == 0)
                                break;
                        r = waitpid(w->pids[p], &status, WNOHANG);
                        if (r == w->pids[p]) {
                                fprintf(stderr, "bench-writers: a writers' process exited before all its writers "
                                        "were registered; its output is in %s/writers-%u-%u.out\n", arg_log_dir, n,
                                        p);
                                w->pids[p] = 0;
                                return -ECHILD;
                        }
                        if (now_ms() - t0 > 300e3) {
                                fprintf(stderr, "bench-writers: %u writers did not register within 300 s\n", n);
                                return -ETIMEDOUT;
                        }
                        sleep_ms(5);
                }
        }
        *ret_ms = now_ms() - t0;
        return 0;
}

/* The CPU time of all writers' processes, ms. */
static double writers_cpu_ms(const Writers *w) {
        double sum = 0;
        if (!w || w->n_procs == 0)
                return NAN;
        for (unsigned p = 0; p < w->n_procs; p++)
                sum += w->pids[p] > 0 ? proc_cpu_ms(w->pids[p]) : NAN;
        return sum;
}

static void writers_kill(Writers *w) {
        for (unsigned p = 0; p < w->n_procs; p++)
                if (w->pids[p] > 0) {
                        (void) kill(w->pids[p], SIGKILL);
                        (void) waitpid(w->pids[p], NULL, 0);
                        w->pids[p] = 0;
                }
}

/* SIGTERM: the writers unregister and their processes exit 0. */
static int writers_stop(Writers *w, double *ret_ms) {
        double t0 = now_ms();
        int r = 0;

        for (unsigned p = 0; p < w->n_procs; p++)
                if (w->pids[p] > 0)
                        (void) kill(w->pids[p], SIGTERM);
        for (unsigned p = 0; p < w->n_procs; p++) {
                int status;
                if (w->pids[p] <= 0)
                        continue;
                for (;;) {
                        pid_t x = waitpid(w->pids[p], &status, WNOHANG);
                        if (x == w->pids[p])
                                break;
                        if (x < 0 && errno != EINTR) {
                                r = -errno;
                                break;
                        }
                        if (now_ms() - t0 > 60e3) {
                                fprintf(stderr, "bench-writers: the writers did not exit within 60 s of SIGTERM; "
                                        "killing them\n");
                                writers_kill(w);
                                return -ETIMEDOUT;
                        }
                        sleep_ms(2);
                }
                w->pids[p] = 0;
                if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
                        fprintf(stderr, "bench-writers: a writers' process ended with %s %d\n",
                                WIFEXITED(status) ? "status" : "signal",
                                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
                        r = -EIO;
                }
        }
        if (ret_ms)
                *ret_ms = now_ms() - t0;
        return r;
}

/* ---- stasisd, over our own bus connection ---- */

static int count_writers(sd_bus *bus, unsigned *ret) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        unsigned n = 0;
        int r;

        r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE, "ListWriters",
                               &error, &reply, "");
        if (r < 0) {
                fprintf(stderr, "bench-writers: ListWriters: %s\n", error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssssuusssuu)");
        while (r > 0) {
                r = sd_bus_message_skip(reply, "(ssssuusssuu)");
                if (r > 0)
                        n++;
        }
        if (r < 0) {
                fprintf(stderr, "bench-writers: reading ListWriters: %s\n", strerror(-r));
                return r;
        }
        *ret = n;
        return 0;
}

/* Waits until stasisd lists exactly n writers. */
static int wait_for_writers(sd_bus *bus, unsigned n, double timeout_ms) {
        double t0 = now_ms();
        unsigned have = 0;
        for (;;) {
                int r = count_writers(bus, &have);
                if (r < 0)
                        return r;
                if (have == n)
                        return 0;
                if (now_ms() - t0 > timeout_ms) {
                        fprintf(stderr, "bench-writers: stasisd lists %u writers, expected %u\n", have, n);
                        return -ETIMEDOUT;
                }
                sleep_ms(10);
        }
}

static int get_property(sd_bus *bus, const char *path, const char *name, char type, void *ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        if (type == 's')
                r = sd_bus_get_property_string(bus, STASIS_BUS_NAME, path, STASIS_SET_INTERFACE, name, &error,
                                               (char **) ret);
        else
                r = sd_bus_get_property_trivial(bus, STASIS_BUS_NAME, path, STASIS_SET_INTERFACE, name, &error, type,
                                                ret);
        if (r < 0)
                fprintf(stderr, "bench-writers: %s %s: %s\n", path, name, error.message ?: strerror(-r));
        return r;
}

static int delete_set(sd_bus *bus, const char *id) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                                   "DeleteSet", &error, NULL, "s", id);
        if (r < 0)
                fprintf(stderr, "bench-writers: DeleteSet %s: %s\n", id, error.message ?: strerror(-r));
        return r;
}

/* ---- one set, timed ---- */

typedef enum Kind { K_WRITERS, K_IDLE, K_NONE, _K_MAX } Kind;

static const char *const kind_names[_K_MAX] = {
        [K_WRITERS] = "writers",
        [K_IDLE] = "idle",
        [K_NONE] = "none",
};

typedef struct {
        double call_ms;                 /* CreateSet, sent to answered */
        double window_ms;               /* Set.WindowUSec */
        double hold_ms;                 /* Set.HoldUSec */
        double cpu_ms[3];               /* stasisd, dbus-daemon, the writers */
        double t_call, t_reply;         /* CLOCK_MONOTONIC ms */
        LogRound log;
} Sample;

/* CreateSet of path, timed; then its window, checks, deletion and a syncfs. */
static int create_one(sd_bus *bus, Kind kind, Writers *w, Sample *ret) {
        _cleanup_bus_message_unref_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_free_ char *id = NULL, *path = NULL, *consistency = NULL;
        const char *subvol = kind == K_IDLE ? arg_idle_subvol : arg_writers_subvol;
        const char *rid, *rpath;
        pid_t pids[2] = { arg_stasisd_pid, arg_bus_pid };
        double cpu0[3];
        uint64_t window = 0, hold = 0;
        int r;

        *ret = (Sample) {};
        r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                                           "CreateSet");
        if (r >= 0)
                r = sd_bus_message_append(m, "as", 1, subvol);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 2, "persistent", "b", 1, "label", "s", "bench-writers");
        if (r < 0) {
                fprintf(stderr, "bench-writers: building CreateSet: %s\n", strerror(-r));
                return r;
        }
        for (int i = 0; i < 2; i++)
                cpu0[i] = proc_cpu_ms(pids[i]);
        cpu0[2] = writers_cpu_ms(w);
        ret->t_call = now_ms();
        r = sd_bus_call(bus, m, CALL_TIMEOUT_USEC, &error, &reply);
        ret->t_reply = now_ms();
        ret->call_ms = ret->t_reply - ret->t_call;
        for (int i = 0; i < 2; i++)
                ret->cpu_ms[i] = proc_cpu_ms(pids[i]) - cpu0[i];
        ret->cpu_ms[2] = writers_cpu_ms(w) - cpu0[2];
        if (r < 0) {
                fprintf(stderr, "bench-writers: CreateSet %s (%s): %s\n", subvol, kind_names[kind],
                        error.message ?: strerror(-r));
                return r;
        }
        r = sd_bus_message_read(reply, "so", &rid, &rpath);
        if (r < 0 || !(id = strdup(rid)) || !(path = strdup(rpath))) {
                fprintf(stderr, "bench-writers: reading the CreateSet answer: %s\n", strerror(r < 0 ? -r : ENOMEM));
                return r < 0 ? r : -ENOMEM;
        }
        r = get_property(bus, path, "WindowUSec", 't', &window);
        if (r >= 0)
                r = get_property(bus, path, "HoldUSec", 't', &hold);
        if (r >= 0)
                r = get_property(bus, path, "Consistency", 's', &consistency);
        if (r < 0)
                return r;
        ret->window_ms = (double) window / 1e3;
        ret->hold_ms = (double) hold / 1e3;
        const char *want = kind == K_WRITERS ? "application" : "crash-atomic";
        if (!streq(consistency, want)) {
                fprintf(stderr, "bench-writers: set %s (%s) is %s, expected %s\n", id, kind_names[kind], consistency,
                        want);
                return -EBADMSG;
        }
        if (w && w->log) {
                r = writers_read_log(w, id, &ret->log);
                if (r < 0)
                        return r;
        }
        r = delete_set(bus, id);
        if (r < 0)
                return r;
        if (syncfs(fs_fd) < 0) {
                fprintf(stderr, "bench-writers: syncfs: %m\n");
                return -errno;
        }
        return 0;
}

/* Whether the writers log ev: with --writer-option=--handlers=LIST, only the
 * events of LIST have a handler, and only handlers log. */
static bool ev_logged(Ev ev) {
        for (unsigned o = 0; o < arg_n_writer_options; o++) {
                const char *l = arg_writer_options[o];
                size_t n = strlen(ev_names[ev]);
                if (!strneq(l, "--handlers=", 11))
                        continue;
                for (l += 11; *l; l += strcspn(l, ","), l += *l == ',')
                        if (strneq(l, ev_names[ev], n) && (l[n] == ',' || l[n] == 0))
                                return true;
                return false;
        }
        return true;
}

/* The sanity check of one set's events: "" if all is as it must be, else why not. */
static void check_events(Kind kind, unsigned n, const LogRound *l, char *buf, size_t size) {
        size_t o = 0;
        buf[0] = 0;
        if (l->other > 0)
                o += (size_t) snprintf(buf + MIN(o, size - 1), size - MIN(o, size - 1), "%u unexpected lines; ",
                                       l->other);
        for (int e = 0; e < _EV_MAX; e++) {
                unsigned want = !ev_logged((Ev) e) ? 0 : kind == K_WRITERS ? n : kind == K_IDLE && e == EV_IDENTIFY ? n : 0;
                if (l->count[e] != want || l->dup[e] || l->bad[e])
                        o += (size_t) snprintf(buf + MIN(o, size - 1), size - MIN(o, size - 1),
                                               "%s: %u writers (expected %u), %u twice, %u not ok; ", ev_names[e],
                                               l->count[e], want, l->dup[e], l->bad[e]);
        }
}

/* ---- the results of one N ---- */

/* The phases of a "writers" set, from the writers' log (ms). */
enum {
        P_TO_IDENTIFY,          /* CreateSet sent -> first Identify received */
        P_IDENTIFY,             /* first -> last Identify received */
        P_TO_PB,                /* last Identify -> first PrepareBackup */
        P_PB,
        P_TO_PS,
        P_PS,
        P_TO_FREEZE,            /* last PrepareSnapshot -> first Freeze */
        P_FREEZE,               /* first -> last Freeze received */
        P_SNAPSHOT,             /* last Freeze received -> first Thaw received */
        P_THAW,                 /* first -> last Thaw received */
        P_TO_POST,
        P_POST,
        P_TO_REPLY,             /* last PostSnapshot received -> CreateSet answered */
        P_WINDOW_REST,          /* WindowUSec - (last Thaw - first Freeze) */
        _P_MAX
};

static const char *const phase_names[_P_MAX] = {
        [P_TO_IDENTIFY] = "CreateSet sent -> first Identify",
        [P_IDENTIFY]    = "Identify, first to last writer",
        [P_TO_PB]       = "-> first PrepareBackup",
        [P_PB]          = "PrepareBackup, first to last",
        [P_TO_PS]       = "-> first PrepareSnapshot",
        [P_PS]          = "PrepareSnapshot, first to last",
        [P_TO_FREEZE]   = "-> first Freeze",
        [P_FREEZE]      = "Freeze, first to last",
        [P_SNAPSHOT]    = "last Freeze -> first Thaw (snapshot)",
        [P_THAW]        = "Thaw, first to last",
        [P_TO_POST]     = "-> first PostSnapshot",
        [P_POST]        = "PostSnapshot, first to last",
        [P_TO_REPLY]    = "last PostSnapshot -> CreateSet answered",
        [P_WINDOW_REST] = "window - (last Thaw - first Freeze)",
};

typedef struct {
        unsigned n;
        double register_ms, unregister_ms;
        double rss_none_kib, rss_registered_kib, rss_after_kib, rss_left_kib, hwm_kib;
        double bus_rss_none_kib, bus_rss_registered_kib;
        Sample *s[_K_MAX];
        unsigned n_s[_K_MAX];
        double *phases[_P_MAX];
        double *idle_identify;          /* idle sets: Identify first to last */
        double *window_diff;            /* per round: writers - idle window */
        unsigned n_rounds;
        unsigned bad_sets;              /* sets whose events were not as they must be */
} Result;

static void result_free(Result *res) {
        for (int k = 0; k < _K_MAX; k++)
                free(res->s[k]);
        for (int p = 0; p < _P_MAX; p++)
                free(res->phases[p]);
        free(res->idle_identify);
        free(res->window_diff);
}

static double field(const Sample *s, size_t off, unsigned i) {
        return *(const double *) ((const char *) &s[i] + off);
}

/* The q-quantile of a double field of n samples. */
static double sample_quantile(const Sample *s, unsigned n, size_t off, double q) {
        double *v = calloc(MAX(n, 1), sizeof(double));
        if (!v)
                return NAN;
        for (unsigned i = 0; i < n; i++)
                v[i] = field(s, off, i);
        double x = quantile(v, n, q);
        free(v);
        return x;
}

#define SQ(res, k, member, q) sample_quantile((res)->s[k], (res)->n_s[k], offsetof(Sample, member), q)

static void record_phases(Result *res, const Sample *s, unsigned i) {
        const LogRound *l = &s->log;
        double v[_P_MAX] = {
                [P_TO_IDENTIFY] = l->first[EV_IDENTIFY] - s->t_call,
                [P_IDENTIFY] = l->last[EV_IDENTIFY] - l->first[EV_IDENTIFY],
                [P_TO_PB] = l->first[EV_PREPARE_BACKUP] - l->last[EV_IDENTIFY],
                [P_PB] = l->last[EV_PREPARE_BACKUP] - l->first[EV_PREPARE_BACKUP],
                [P_TO_PS] = l->first[EV_PREPARE_SNAPSHOT] - l->last[EV_PREPARE_BACKUP],
                [P_PS] = l->last[EV_PREPARE_SNAPSHOT] - l->first[EV_PREPARE_SNAPSHOT],
                [P_TO_FREEZE] = l->first[EV_FREEZE] - l->last[EV_PREPARE_SNAPSHOT],
                [P_FREEZE] = l->last[EV_FREEZE] - l->first[EV_FREEZE],
                [P_SNAPSHOT] = l->first[EV_THAW] - l->last[EV_FREEZE],
                [P_THAW] = l->last[EV_THAW] - l->first[EV_THAW],
                [P_TO_POST] = l->first[EV_POST_SNAPSHOT] - l->last[EV_THAW],
                [P_POST] = l->last[EV_POST_SNAPSHOT] - l->first[EV_POST_SNAPSHOT],
                [P_TO_REPLY] = s->t_reply - l->last[EV_POST_SNAPSHOT],
                [P_WINDOW_REST] = s->window_ms - (l->last[EV_THAW] - l->first[EV_FREEZE]),
        };
        for (int p = 0; p < _P_MAX; p++)
                res->phases[p][i] = v[p];
}

static int result_alloc(Result *res, unsigned n) {
        unsigned none = arg_rounds;
        *res = (Result) { .n = n };
        res->s[K_WRITERS] = calloc(arg_rounds, sizeof(Sample));
        res->s[K_IDLE] = calloc(arg_rounds, sizeof(Sample));
        res->s[K_NONE] = calloc(none, sizeof(Sample));
        res->idle_identify = calloc(arg_rounds, sizeof(double));
        res->window_diff = calloc(arg_rounds, sizeof(double));
        for (int p = 0; p < _P_MAX; p++)
                if (!(res->phases[p] = calloc(arg_rounds, sizeof(double))))
                        return -ENOMEM;
        for (int k = 0; k < _K_MAX; k++)
                if (!res->s[k])
                        return -ENOMEM;
        return res->idle_identify && res->window_diff ? 0 : -ENOMEM;
}

/* `count` sets with no writer registered. */
static int run_none(sd_bus *bus, Result *res, unsigned count) {
        for (unsigned i = 0; i < count; i++) {
                Sample s;
                int r = create_one(bus, K_NONE, NULL, &s);
                if (r < 0)
                        return r;
                res->s[K_NONE][res->n_s[K_NONE]++] = s;
        }
        return 0;
}

static int run_count(sd_bus *bus, unsigned n, Result *res) {
        Writers w = {};
        char why[1024];
        int r;

        r = result_alloc(res, n);
        if (r < 0)
                goto finish;

        /* Half the baseline before the writers come, half after they left. */
        r = run_none(bus, res, (arg_rounds + 1) / 2);
        if (r < 0)
                goto finish;
        res->rss_none_kib = proc_status_kib(arg_stasisd_pid, "VmRSS");
        res->bus_rss_none_kib = proc_status_kib(arg_bus_pid, "VmRSS");

        r = writers_start(&w, n, &res->register_ms);
        if (r < 0)
                goto finish;
        r = wait_for_writers(bus, n, 10e3);
        if (r < 0)
                goto finish;
        sleep_ms(200);
        res->rss_registered_kib = proc_status_kib(arg_stasisd_pid, "VmRSS");
        res->bus_rss_registered_kib = proc_status_kib(arg_bus_pid, "VmRSS");
        {
                LogRound l;     /* the "ready" line */
                r = writers_read_log(&w, NULL, &l);
                if (r < 0)
                        goto finish;
        }

        for (unsigned i = 0; i < arg_warmup + arg_rounds; i++) {
                bool rec = i >= arg_warmup;
                Sample s[2];
                /* Alternate which goes first. */
                for (int j = 0; j < 2; j++) {
                        Kind kind = (i + j) % 2 == 0 ? K_WRITERS : K_IDLE;
                        r = create_one(bus, kind, &w, &s[kind]);
                        if (r < 0)
                                goto finish;
                        check_events(kind, n, &s[kind].log, why, sizeof why);
                        if (*why) {
                                fprintf(stderr, "bench-writers: N=%u, round %u, %s set: the events are not as they "
                                        "must be: %s\n", n, i + 1, kind_names[kind], why);
                                res->bad_sets++;
                        }
                }
                if (!rec)
                        continue;
                unsigned k = res->n_rounds++;
                res->s[K_WRITERS][res->n_s[K_WRITERS]++] = s[K_WRITERS];
                res->s[K_IDLE][res->n_s[K_IDLE]++] = s[K_IDLE];
                record_phases(res, &s[K_WRITERS], k);
                res->idle_identify[k] = s[K_IDLE].log.last[EV_IDENTIFY] - s[K_IDLE].log.first[EV_IDENTIFY];
                res->window_diff[k] = s[K_WRITERS].window_ms - s[K_IDLE].window_ms;
        }
        res->rss_after_kib = proc_status_kib(arg_stasisd_pid, "VmRSS");

        r = writers_stop(&w, &res->unregister_ms);
        if (r < 0)
                goto finish;
        r = wait_for_writers(bus, 0, 30e3);
        if (r < 0)
                goto finish;
        res->unregister_ms = MAX(res->unregister_ms, 0);
        {
                LogRound l;
                r = writers_read_log(&w, NULL, &l);
                if (r < 0)
                        goto finish;
                unsigned stray = l.other;
                for (int e = 0; e < _EV_MAX; e++)
                        stray += l.count[e] + l.dup[e];
                if (stray > 0) {
                        fprintf(stderr, "bench-writers: N=%u: %u events logged after the last set\n", n, stray);
                        res->bad_sets++;
                }
        }

        r = run_none(bus, res, arg_rounds / 2);
        if (r < 0)
                goto finish;
        res->rss_left_kib = proc_status_kib(arg_stasisd_pid, "VmRSS");
        res->hwm_kib = proc_status_kib(arg_stasisd_pid, "VmHWM");

        fprintf(stderr, "bench-writers: N=%u done: registered in %.0f ms; window %.1f ms (idle %.1f, none %.1f); "
                "CreateSet %.1f ms (idle %.1f, none %.1f); stasisd VmRSS %.1f -> %.1f MiB\n",
                n, res->register_ms, SQ(res, K_WRITERS, window_ms, 0.5), SQ(res, K_IDLE, window_ms, 0.5),
                SQ(res, K_NONE, window_ms, 0.5), SQ(res, K_WRITERS, call_ms, 0.5), SQ(res, K_IDLE, call_ms, 0.5),
                SQ(res, K_NONE, call_ms, 0.5), res->rss_none_kib / 1024, res->rss_registered_kib / 1024);
finish:
        writers_kill(&w);
        writers_free(&w);
        return r;
}

/* ---- output ---- */

static void print_results(Result *res, unsigned n_res) {
        printf("\nfreeze window (Set.WindowUSec: the set's turn, just before the first Freeze, to the last Thaw\n"
               "answered; without writers, the snapshot alone), ms, median / p90:\n");
        printf("  %5s  %17s  %17s  %17s  %22s  %6s\n", "N", "writers", "idle (registered)", "none",
               "writers-idle (rounds)", "ratio");
        for (unsigned i = 0; i < n_res; i++) {
                Result *x = &res[i];
                double w = SQ(x, K_WRITERS, window_ms, 0.5), id = SQ(x, K_IDLE, window_ms, 0.5);
                printf("  %5u  %7.1f / %7.1f  %7.1f / %7.1f  %7.1f / %7.1f  %+9.1f (%+9.1f)  %6.1f\n", x->n, w,
                       SQ(x, K_WRITERS, window_ms, 0.9), id, SQ(x, K_IDLE, window_ms, 0.9),
                       SQ(x, K_NONE, window_ms, 0.5), SQ(x, K_NONE, window_ms, 0.9), w - id,
                       median(x->window_diff, x->n_rounds), w / SQ(x, K_NONE, window_ms, 0.5));
        }
        printf("  (writers-idle: difference of the medians, in brackets the median of the per-round differences;\n"
               "   ratio: writers / none)\n");

        printf("\nCreateSet, sent to answered (end to end, from this process), ms, median / p90:\n");
        printf("  %5s  %17s  %17s  %17s  %10s  %10s  %6s\n", "N", "writers", "idle (registered)", "none",
               "writers-none", "idle-none", "ratio");
        for (unsigned i = 0; i < n_res; i++) {
                Result *x = &res[i];
                double w = SQ(x, K_WRITERS, call_ms, 0.5), id = SQ(x, K_IDLE, call_ms, 0.5),
                       no = SQ(x, K_NONE, call_ms, 0.5);
                printf("  %5u  %7.1f / %7.1f  %7.1f / %7.1f  %7.1f / %7.1f  %+10.1f  %+10.1f  %6.1f\n", x->n, w,
                       SQ(x, K_WRITERS, call_ms, 0.9), id, SQ(x, K_IDLE, call_ms, 0.9), no,
                       SQ(x, K_NONE, call_ms, 0.9), w - no, id - no, w / no);
        }
        printf("  (ratio: writers / none)\n");

        printf("\nCPU time per set, ms, median (stasisd / dbus-daemon / the writers' process):\n");
        printf("  %5s  %23s  %23s  %23s\n", "N", "writers", "idle (registered)", "none");
        for (unsigned i = 0; i < n_res; i++) {
                Result *x = &res[i];
                printf("  %5u", x->n);
                for (int k = 0; k < _K_MAX; k++)
                        printf("  %7.1f / %6.1f / %6.1f", SQ(x, k, cpu_ms[0], 0.5), SQ(x, k, cpu_ms[1], 0.5),
                               k == K_NONE ? 0.0 : SQ(x, k, cpu_ms[2], 0.5));
                printf("\n");
        }

        printf("\nmemory, VmRSS in MiB (stasisd: no writers / N registered / after the rounds / after they left,\n"
               "peak VmHWM so far; dbus-daemon: no writers / N registered); registering and unregistering N, ms:\n");
        printf("  %5s  %6s %6s %6s %6s %6s   %6s %6s   %9s %11s\n", "N", "none", "reg", "after", "left", "peak",
               "bus", "reg", "register", "unregister");
        for (unsigned i = 0; i < n_res; i++) {
                Result *x = &res[i];
                printf("  %5u  %6.1f %6.1f %6.1f %6.1f %6.1f   %6.1f %6.1f   %9.0f %11.0f\n", x->n,
                       x->rss_none_kib / 1024, x->rss_registered_kib / 1024, x->rss_after_kib / 1024,
                       x->rss_left_kib / 1024, x->hwm_kib / 1024, x->bus_rss_none_kib / 1024,
                       x->bus_rss_registered_kib / 1024, x->register_ms, x->unregister_ms);
        }

        printf("\nwhere a set with writers spends its time, from the writers' log (when each writer got each\n"
               "event, CLOCK_MONOTONIC), ms, median over the rounds:\n");
        printf("  %-42s", "N");
        for (unsigned i = 0; i < n_res; i++)
                printf(" %8u", res[i].n);
        printf("\n");
        for (int p = 0; p < _P_MAX; p++) {
                printf("  %-42s", phase_names[p]);
                for (unsigned i = 0; i < n_res; i++)
                        printf(" %8.2f", median(res[i].phases[p], res[i].n_rounds));
                printf("\n");
        }
        printf("  %-42s", "idle set: Identify, first to last writer");
        for (unsigned i = 0; i < n_res; i++)
                printf(" %8.2f", median(res[i].idle_identify, res[i].n_rounds));
        printf("\n");
}

static Result *find_result(Result *res, unsigned n_res, unsigned n) {
        for (unsigned i = 0; i < n_res; i++)
                if (res[i].n == n)
                        return &res[i];
        return NULL;
}

static void print_targets(Result *res, unsigned n_res) {
        static const struct {
                unsigned n;
                const double *target;
        } windows[] = { { 100, &arg_target_100_ms }, { 1000, &arg_target_1000_ms } };

        printf("\n");
        for (size_t i = 0; i < ELEMENTSOF(windows); i++) {
                Result *x = find_result(res, n_res, windows[i].n);
                if (!x) {
                        printf("writers: %u writers frozen and thawed: not measured (target <= %.0f ms)\n",
                               windows[i].n, *windows[i].target);
                        continue;
                }
                double w = SQ(x, K_WRITERS, window_ms, 0.5);
                printf("writers: %u writers frozen and thawed: window median %.1f ms (p90 %.1f; %+.1f ms over the "
                       "same set with none), target <= %.0f ms: %s\n",
                       x->n, w, SQ(x, K_WRITERS, window_ms, 0.9), w - SQ(x, K_NONE, window_ms, 0.5),
                       *windows[i].target, w <= *windows[i].target ? "met" : "NOT met");
        }
        Result *x = find_result(res, n_res, 1000);
        if (!x)
                printf("writers: stasisd VmRSS with 1000 writers registered: not measured (target <= %.0f MiB)\n",
                       arg_target_rss_mib);
        else {
                double rss = MAX(x->rss_registered_kib, x->rss_after_kib) / 1024;
                printf("writers: stasisd VmRSS with 1000 writers registered: %.1f MiB (%.1f before the sets, "
                       "%.1f with none), target <= %.0f MiB: %s\n",
                       rss, x->rss_registered_kib / 1024, x->rss_none_kib / 1024, arg_target_rss_mib,
                       rss <= arg_target_rss_mib ? "met" : "NOT met");
        }
}

/* ---- options ---- */

static void help(void) {
        printf("bench-writers [OPTIONS...] WRITERS_SUBVOLUME IDLE_SUBVOLUME\n\n"
               "For N test writers with a component on WRITERS_SUBVOLUME, times the freeze window\n"
               "(Set.WindowUSec) and CreateSet of sets of WRITERS_SUBVOLUME, against sets of\n"
               "IDLE_SUBVOLUME (no writer on it; the writers registered) and sets made with no\n"
               "writer registered. stasisd must be running on $STASIS_BUS_ADDRESS (or the system\n"
               "bus); the two subvolumes must be on one file system. Use run-bench-writers.sh.\n\n"
               "  -h --help               Show this help\n"
               "  -n --rounds=R           Measured rounds per N (default %u), each a set with the\n"
               "                          writers and an idle one; and R sets with no writers\n"
               "  -w --warmup=K           Warm-up rounds per N, not counted (default %u)\n"
               "  -c --counts=N,N,...     Writer counts (default 1,10,100,1000)\n"
               "     --writer=PATH        stasis-test-writer (default $STASIS_TEST_WRITER)\n"
               "     --writer-option=OPT  One more option for stasis-test-writer, such as\n"
               "                          --writer-option=--loop=poll (repeatable); with\n"
               "                          --writer-option=--handlers=LIST, only the events of LIST\n"
               "                          are checked (the writers log only those)\n"
               "     --log-dir=DIR        Where the writers' event logs go (events-N.log)\n"
               "     --per-process=K      K writers per stasis-test-writer process (default 0:\n"
               "                          all N in one process)\n"
               "     --stasisd-pid=PID    stasisd, for its memory and CPU time\n"
               "     --bus-pid=PID        dbus-daemon, for its memory and CPU time\n"
               "     --target-100=MS      Target window with 100 writers (default %.0f)\n"
               "     --target-1000=MS     Target window with 1000 writers (default %.0f)\n"
               "     --target-rss=MIB     Target stasisd VmRSS with 1000 writers (default %.0f)\n"
               "\nExit status: 0 when the benchmark ran (whether or not the targets were met),\n"
               "1 when something failed or a writer did not get its events, 2 on usage errors.\n",
               arg_rounds, arg_warmup, arg_target_100_ms, arg_target_1000_ms, arg_target_rss_mib);
}

static int parse_unsigned(const char *s, unsigned min, unsigned max, unsigned *ret) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || end == s || v < min || v > max)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static int parse_double(const char *s, double *ret) {
        char *end;
        double v = strtod(s, &end);
        if (*end || end == s || !(v > 0))
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_counts(const char *s) {
        _cleanup_free_ char *copy = strdup(s);
        char *save = NULL;
        arg_n_counts = 0;
        if (!copy)
                return -ENOMEM;
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (arg_n_counts >= COUNTS_MAX || parse_unsigned(t, 1, 4096, &arg_counts[arg_n_counts]) < 0)
                        return -EINVAL;
                arg_n_counts++;
        }
        return arg_n_counts > 0 ? 0 : -EINVAL;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_WRITER = 0x100, ARG_WRITER_OPTION, ARG_LOG_DIR, ARG_PER_PROCESS, ARG_STASISD_PID, ARG_BUS_PID, ARG_T100, ARG_T1000, ARG_TRSS };
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "rounds",      required_argument, NULL, 'n' },
                { "warmup",      required_argument, NULL, 'w' },
                { "counts",      required_argument, NULL, 'c' },
                { "writer",      required_argument, NULL, ARG_WRITER },
                { "writer-option", required_argument, NULL, ARG_WRITER_OPTION },
                { "log-dir",     required_argument, NULL, ARG_LOG_DIR },
                { "per-process", required_argument, NULL, ARG_PER_PROCESS },
                { "stasisd-pid", required_argument, NULL, ARG_STASISD_PID },
                { "bus-pid",     required_argument, NULL, ARG_BUS_PID },
                { "target-100",  required_argument, NULL, ARG_T100 },
                { "target-1000", required_argument, NULL, ARG_T1000 },
                { "target-rss",  required_argument, NULL, ARG_TRSS },
                {}
        };
        unsigned u;
        int c;

        while ((c = getopt_long(argc, argv, "hn:w:c:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'n':
                        if (parse_unsigned(optarg, 1, 100000, &arg_rounds) < 0) {
                                fprintf(stderr, "bench-writers: invalid --rounds '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (parse_unsigned(optarg, 0, 1000, &arg_warmup) < 0) {
                                fprintf(stderr, "bench-writers: invalid --warmup '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'c':
                        if (parse_counts(optarg) < 0) {
                                fprintf(stderr, "bench-writers: invalid --counts '%s' (1 to 4096 each, at most %d)\n",
                                        optarg, COUNTS_MAX);
                                return -EINVAL;
                        }
                        break;
                case ARG_WRITER:
                        arg_writer = optarg;
                        break;
                case ARG_WRITER_OPTION:
                        if (arg_n_writer_options >= WRITER_OPTIONS_MAX) {
                                fprintf(stderr, "bench-writers: at most %d --writer-option\n", WRITER_OPTIONS_MAX);
                                return -EINVAL;
                        }
                        arg_writer_options[arg_n_writer_options++] = optarg;
                        break;
                case ARG_LOG_DIR:
                        arg_log_dir = optarg;
                        break;
                case ARG_PER_PROCESS:
                        if (parse_unsigned(optarg, 0, 4096, &arg_per_process) < 0) {
                                fprintf(stderr, "bench-writers: invalid --per-process '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_STASISD_PID:
                case ARG_BUS_PID:
                        if (parse_unsigned(optarg, 1, INT_MAX, &u) < 0) {
                                fprintf(stderr, "bench-writers: invalid pid '%s'\n", optarg);
                                return -EINVAL;
                        }
                        *(c == ARG_STASISD_PID ? &arg_stasisd_pid : &arg_bus_pid) = (pid_t) u;
                        break;
                case ARG_T100:
                case ARG_T1000:
                case ARG_TRSS:
                        if (parse_double(optarg, c == ARG_T100 ? &arg_target_100_ms :
                                                 c == ARG_T1000 ? &arg_target_1000_ms : &arg_target_rss_mib) < 0) {
                                fprintf(stderr, "bench-writers: invalid target '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                default:
                        return -EINVAL;
                }
        if (argc - optind != 2) {
                fprintf(stderr, "bench-writers: give WRITERS_SUBVOLUME and IDLE_SUBVOLUME; see --help\n");
                return -EINVAL;
        }
        arg_writers_subvol = argv[optind];
        arg_idle_subvol = argv[optind + 1];
        if (!arg_writer)
                arg_writer = getenv("STASIS_TEST_WRITER") ?: "stasis-test-writer";
        if (!arg_log_dir) {
                fprintf(stderr, "bench-writers: give --log-dir\n");
                return -EINVAL;
        }
        if (arg_stasisd_pid <= 0) {
                fprintf(stderr, "bench-writers: give --stasisd-pid\n");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_bus_flush_close_unref_ sd_bus *bus = NULL;
        _cleanup_free_ char *wsub = NULL, *isub = NULL;
        Result res[COUNTS_MAX] = {};
        unsigned n_res = 0, bad = 0;
        int r, ret = EXIT_FAILURE;
        double t_start = now_ms();

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? 2 : EXIT_SUCCESS;

        wsub = realpath(arg_writers_subvol, NULL);
        isub = realpath(arg_idle_subvol, NULL);
        if (!wsub || !isub) {
                fprintf(stderr, "bench-writers: %s: %m\n", wsub ? arg_idle_subvol : arg_writers_subvol);
                return EXIT_FAILURE;
        }
        arg_writers_subvol = wsub;
        arg_idle_subvol = isub;
        fs_fd = open(wsub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fs_fd < 0) {
                fprintf(stderr, "bench-writers: %s: %m\n", wsub);
                return EXIT_FAILURE;
        }
        if (mkdir(arg_log_dir, 0755) < 0 && errno != EEXIST) {
                fprintf(stderr, "bench-writers: %s: %m\n", arg_log_dir);
                goto finish;
        }
        r = bus_open_stasis(&bus);
        if (r < 0) {
                fprintf(stderr, "bench-writers: cannot connect to %s: %s\n", bus_stasis_address() ?: "the system bus",
                        strerror(-r));
                goto finish;
        }
        r = wait_for_writers(bus, 0, 0);
        if (r < 0) {
                fprintf(stderr, "bench-writers: writers are registered already; this needs a stasisd of its own\n");
                goto finish;
        }

        printf("bench-writers: writers on %s, idle sets of %s\n", wsub, isub);
        printf("bench-writers: N = ");
        for (unsigned i = 0; i < arg_n_counts; i++)
                printf("%s%u", i ? ", " : "", arg_counts[i]);
        printf("; per N %u rounds (+%u warm-up) of a set with the writers and an idle one, order alternating,\n"
               "  and %u sets with no writer registered (half before the writers start, half after they stop);\n"
               "  every set deleted and the volume synced after it; event logs in %s\n",
               arg_rounds, arg_warmup, arg_rounds, arg_log_dir);
        if (arg_per_process > 0)
                printf("bench-writers: %u writers per stasis-test-writer process\n", arg_per_process);
        else
                printf("bench-writers: all N writers in one stasis-test-writer process (--count N)\n");
        for (unsigned o = 0; o < arg_n_writer_options; o++)
                printf("bench-writers: stasis-test-writer option %s\n", arg_writer_options[o]);
        fflush(stdout);

        /* Warm-up with no writers: the first set of a file system makes its store, .stasis. */
        for (int i = 0; i < 2; i++) {
                Sample s;
                if (create_one(bus, K_NONE, NULL, &s) < 0 || create_one(bus, K_IDLE, NULL, &s) < 0)
                        goto finish;
        }

        for (unsigned i = 0; i < arg_n_counts; i++) {
                r = run_count(bus, arg_counts[i], &res[n_res]);
                n_res++;
                if (r < 0)
                        goto finish;
                bad += res[n_res - 1].bad_sets;
        }

        print_results(res, n_res);
        printf("\nevents (the writers' log):");
        for (unsigned i = 0; i < n_res; i++)
                printf(" N=%u: %s;", res[i].n, res[i].bad_sets == 0 ? "ok" : "NOT ok");
        printf("\n  (ok: in every set with writers each writer got Identify, PrepareBackup, PrepareSnapshot,\n"
               "   Freeze, Thaw and PostSnapshot once, for that set, and answered them; in every idle set\n"
               "   only Identify; nothing in the sets with no writers)\n");
        print_targets(res, n_res);
        printf("bench-writers: ran %.0f s\n", (now_ms() - t_start) / 1e3);
        ret = bad == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        if (bad > 0)
                fprintf(stderr, "bench-writers: %u sets whose events were not as they must be\n", bad);
finish:
        fflush(stdout);
        for (unsigned i = 0; i < n_res; i++)
                result_free(&res[i]);
        safe_close(fs_fd);
        return ret;
}
