/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-hold.c - the hold window of a set (first FIFREEZE to last FITHAW) of
 * 1, 2, 4 and 8 loop-backed ext4/xfs volumes under a write load: what stasis
 * reports for `stasis --json create` (hold_usec, measured in stasisd's worker)
 * against the same freeze-clone-thaw sequence done directly in this process
 * (FIFREEZE each mount root, FICLONE each image into a directory on the pool,
 * FITHAW each in reverse), alternating the two, and print the medians, p99
 * and the difference. Machines are noisy, so the figures are differences and
 * ratios against the baseline measured in the same run; nothing here gates on
 * a time.
 *
 * The FIFREEZEs take most of the window and vary most, so each window is also
 * cut in three: the FIFREEZEs, what comes between them and the thaws, and the
 * FITHAWs. For stasis, whose worker reports only the whole, --trace-pid cuts
 * it from a kernel trace of stasisd's worker and the provider it runs, step
 * by step. With --breakdown, five more sequences are timed in the same
 * rounds to tell where stasis's extra time goes and what freezing in
 * parallel would change (see docs/benchmarks.md).
 *
 * Nothing is left frozen on an error: every path through a timed window thaws
 * what it froze, and SIGINT, SIGTERM, SIGHUP and SIGQUIT are blocked while
 * anything is frozen (they take effect after the thaw). The writers of the
 * load are child processes that die with this one. Run it through
 * run-bench-hold.sh, which sets up the bus, stasisd with the loopclone
 * provider, the pool and the volumes, and thaws everything again if this
 * program is killed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/fs.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"

extern char **environ;

#define VOLUMES_MAX 64
#define COUNTS_MAX 16
#define TARGET_MS_DEFAULT 5.0
#define OUTPUT_MAX (1024 * 1024)

static unsigned arg_rounds = 30;
static unsigned arg_warmup = 2;
static unsigned arg_counts[COUNTS_MAX] = { 1, 2, 4, 8 };
static unsigned arg_n_counts = 4;
static const char *arg_stasis = NULL;
static const char *arg_provider = NULL;
static const char *arg_raw_dir = NULL;
static unsigned arg_rate_kib = 2048;    /* per volume, KiB/s; 0: no load */
static unsigned arg_chunk_kib = 64;
static unsigned arg_sync_kib = 256;     /* fdatasync after this much */
static unsigned arg_wrap_mib = 16;      /* the load file's size */
static unsigned arg_settle_ms = 50;
static bool arg_breakdown = false;
static double arg_target_ms = TARGET_MS_DEFAULT;
static pid_t arg_trace_pid = 0;
static const char *arg_tracefs = "/sys/kernel/tracing";

typedef struct {
        char *mount;            /* canonical mount point */
        char *device;           /* /dev/loopN, from mountinfo */
        char *fstype;
        char *image;            /* the loop device's backing file */
        int root_fd;            /* the mount root, for FIFREEZE/FITHAW */
        int image_fd;           /* the image, for FICLONE */
        pid_t writer;
} Volume;

static Volume vols[VOLUMES_MAX];
static size_t n_vols = 0;
static int raw_dir_fd = -1;
static int devnull = -1;
static unsigned long serial = 0;        /* makes every clone name unique */
static sigset_t hold_signals;

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

/* ---- the volumes ---- */

/* Undoes the octal escapes of /proc/self/mountinfo (\040 for a space), in place. */
static void unescape(char *s) {
        char *o = s;
        for (char *i = s; *i; i++)
                if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' && i[2] <= '7' && i[3] >= '0' &&
                    i[3] <= '7') {
                        *o++ = (char) ((i[1] - '0') * 64 + (i[2] - '0') * 8 + (i[3] - '0'));
                        i += 3;
                } else
                        *o++ = *i;
        *o = 0;
}

/* The source and type of the mount at mount_point (the last one there). */
static int find_mount(const char *mount_point, char **ret_source, char **ret_fstype) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        _cleanup_free_ char *line = NULL;
        size_t size = 0;

        *ret_source = *ret_fstype = NULL;
        if (!f)
                return -errno;
        while (getline(&line, &size, f) > 0) {
                char *save = NULL, *fields[5], *sep = strstr(line, " - ");
                size_t k = 0;
                if (!sep)
                        continue;
                *sep = 0;
                for (char *t = strtok_r(line, " ", &save); t && k < 5; t = strtok_r(NULL, " ", &save))
                        fields[k++] = t;
                if (k < 5)
                        continue;
                unescape(fields[4]);
                if (!streq(fields[4], mount_point))
                        continue;
                char *fstype = strtok_r(sep + 3, " ", &save), *source = strtok_r(NULL, " \n", &save);
                if (!fstype || !source)
                        continue;
                unescape(source);
                free(*ret_source);
                free(*ret_fstype);
                *ret_source = strdup(source);
                *ret_fstype = strdup(fstype);
                if (!*ret_source || !*ret_fstype)
                        return -ENOMEM;
        }
        return *ret_source ? 0 : -ENOENT;
}

/* The image file behind the block device st_dev, if it is a loop device. */
static int loop_backing_file(dev_t dev, char **ret) {
        char path[128], buf[PATH_MAX + 1];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof path, "/sys/dev/block/%u:%u/loop/backing_file", major(dev), minor(dev));
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(buf, sizeof buf, f))
                return -EIO;
        buf[strcspn(buf, "\n")] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static int volume_add(const char *path) {
        Volume *v = &vols[n_vols];
        struct stat st;
        int r;

        if (n_vols >= VOLUMES_MAX) {
                fprintf(stderr, "bench-hold: at most %d volumes\n", VOLUMES_MAX);
                return -E2BIG;
        }
        *v = (Volume) { .root_fd = -1, .image_fd = -1 };
        v->mount = realpath(path, NULL);
        if (!v->mount) {
                fprintf(stderr, "bench-hold: %s: %m\n", path);
                return -errno;
        }
        r = find_mount(v->mount, &v->device, &v->fstype);
        if (r < 0) {
                fprintf(stderr, "bench-hold: %s is not a mount point: %s\n", v->mount, strerror(-r));
                return r;
        }
        v->root_fd = open(v->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (v->root_fd < 0 || fstat(v->root_fd, &st) < 0) {
                fprintf(stderr, "bench-hold: %s: %m\n", v->mount);
                return -errno;
        }
        r = loop_backing_file(st.st_dev, &v->image);
        if (r < 0) {
                fprintf(stderr, "bench-hold: %s (%s) is not a loop device with an image file: %s\n", v->mount,
                        v->device, strerror(-r));
                return r;
        }
        v->image_fd = open(v->image, O_RDONLY | O_CLOEXEC);
        if (v->image_fd < 0) {
                fprintf(stderr, "bench-hold: %s: %m\n", v->image);
                return -errno;
        }
        n_vols++;
        return 0;
}

/* ---- the write load: one writer process per volume ---- */

/* Overwrites MOUNT/bench-load in a loop, arg_chunk_kib at a time at
 * arg_rate_kib KiB/s, with fdatasync() every arg_sync_kib. Blocks while its
 * file system is frozen and goes on after the thaw (without catching up on
 * more than a second). Dies with its parent. */
static _noreturn_ void writer_main(const Volume *v, pid_t parent) {
        size_t chunk = (size_t) arg_chunk_kib * 1024, wrap = (size_t) arg_wrap_mib * 1024 * 1024;
        size_t since_sync = 0, off = 0;
        char path[PATH_MAX];
        char *buf;
        int fd;

        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(0);
        snprintf(path, sizeof path, "%s/bench-load", v->mount);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        buf = malloc(chunk);
        if (fd < 0 || !buf) {
                fprintf(stderr, "bench-hold: writer for %s: %m\n", path);
                _exit(1);
        }
        for (size_t i = 0; i < chunk; i++)
                buf[i] = (char) (i * 7 + 1);

        double interval = (double) chunk / 1024 / arg_rate_kib * 1e3, next = now_ms();
        for (unsigned long n = 0;; n++) {
                buf[0] = (char) n;
                if (pwrite(fd, buf, chunk, (off_t) off) != (ssize_t) chunk) {
                        fprintf(stderr, "bench-hold: writing %s: %m\n", path);
                        _exit(1);
                }
                off = off + chunk >= wrap ? 0 : off + chunk;
                since_sync += chunk;
                if (since_sync >= (size_t) arg_sync_kib * 1024) {
                        if (fdatasync(fd) < 0) {
                                fprintf(stderr, "bench-hold: fdatasync %s: %m\n", path);
                                _exit(1);
                        }
                        since_sync = 0;
                }
                next += interval;
                double now = now_ms();
                if (now > next + 1000)
                        next = now;             /* after a long stall: do not burst */
                else if (next > now) {
                        long long ns = (long long) ((next - now) * 1e6);
                        struct timespec ts = { .tv_sec = (time_t) (ns / 1000000000LL),
                                               .tv_nsec = (long) (ns % 1000000000LL) };
                        (void) nanosleep(&ts, NULL);
                }
        }
}

static int writers_start(void) {
        pid_t parent = getpid();
        if (arg_rate_kib == 0)
                return 0;
        for (size_t i = 0; i < n_vols; i++) {
                pid_t pid = fork();
                if (pid < 0) {
                        fprintf(stderr, "bench-hold: fork: %m\n");
                        return -errno;
                }
                if (pid == 0) {
                        sigset_t none;
                        sigemptyset(&none);
                        (void) sigprocmask(SIG_SETMASK, &none, NULL);
                        writer_main(&vols[i], parent);
                }
                vols[i].writer = pid;
        }
        return 0;
}

/* Called only when nothing is frozen, so the writers can die at once. */
static void writers_stop(void) {
        for (size_t i = 0; i < n_vols; i++)
                if (vols[i].writer > 0)
                        (void) kill(vols[i].writer, SIGKILL);
        for (size_t i = 0; i < n_vols; i++)
                if (vols[i].writer > 0) {
                        while (waitpid(vols[i].writer, NULL, 0) < 0 && errno == EINTR)
                                ;
                        vols[i].writer = 0;
                }
}

/* A writer that died has failed the load. */
static int writers_check(void) {
        for (size_t i = 0; i < n_vols; i++) {
                int status;
                if (vols[i].writer > 0 && waitpid(vols[i].writer, &status, WNOHANG) == vols[i].writer) {
                        vols[i].writer = 0;
                        fprintf(stderr, "bench-hold: the writer for %s stopped\n", vols[i].mount);
                        return -EIO;
                }
        }
        return 0;
}

/* ---- freezing, always undone ---- */

/* Thaws vols[0..frozen) in reverse; reports failures, which must not happen. */
static int thaw(size_t frozen) {
        int r = 0;
        for (size_t i = frozen; i > 0; i--)
                if (ioctl(vols[i - 1].root_fd, FITHAW, 0) < 0) {
                        fprintf(stderr, "bench-hold: FITHAW %s: %m\n", vols[i - 1].mount);
                        r = -errno;
                }
        return r;
}

/* FIFREEZEs vols[0..n) in order; *frozen says how many are. */
static int freeze(size_t n, size_t *frozen) {
        for (*frozen = 0; *frozen < n; (*frozen)++)
                if (ioctl(vols[*frozen].root_fd, FIFREEZE, 0) < 0) {
                        fprintf(stderr, "bench-hold: FIFREEZE %s: %m\n", vols[*frozen].mount);
                        return -errno;
                }
        return 0;
}

/* ---- running programs ---- */

static void print_argv(char *const argv[]) {
        for (char *const *a = argv; *a; a++)
                fprintf(stderr, "%s%s", a == argv ? "" : " ", *a);
}

/* Runs argv as stasisd's worker runs a provider (fork, its own process group,
 * stdin and stdout on pipes, STASIS_PROVIDER_VERSION=1, exec): writes input,
 * reads all of stdout (into *ret_out if not NULL) and waits for it. stderr
 * stays ours unless quiet. Returns the exit status, or -errno. */
static int run_piped(char *const argv[], const char *input, bool quiet, char **ret_out) {
        int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status, r = 0;
        size_t len = 0;
        char *buf = NULL;
        pid_t pid;

        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
                r = -errno;
                fprintf(stderr, "bench-hold: pipe: %m\n");
                goto finish;
        }
        buf = malloc(OUTPUT_MAX + 1);
        if (!buf) {
                r = -ENOMEM;
                goto finish;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                fprintf(stderr, "bench-hold: fork: %m\n");
                goto finish;
        }
        if (pid == 0) {
                sigset_t none;
                sigemptyset(&none);
                (void) sigprocmask(SIG_SETMASK, &none, NULL);
                (void) setpgid(0, 0);
                if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || (quiet && dup2(devnull, 2) < 0))
                        _exit(127);
                (void) setenv("STASIS_PROVIDER_VERSION", "1", 1);
                execvp(argv[0], argv);
                fprintf(stderr, "bench-hold: cannot run %s: %m\n", argv[0]);
                _exit(127);
        }
        in[0] = safe_close(in[0]);
        out[1] = safe_close(out[1]);
        /* Requests are far smaller than a pipe's buffer. */
        if (input && write(in[1], input, strlen(input)) < 0 && errno != EPIPE)
                fprintf(stderr, "bench-hold: writing to %s: %m\n", argv[0]);
        in[1] = safe_close(in[1]);
        for (;;) {
                ssize_t l = read(out[0], buf + len, OUTPUT_MAX - len);
                if (l < 0 && errno == EINTR)
                        continue;
                if (l <= 0)
                        break;
                len += (size_t) l;
                if (len == OUTPUT_MAX)
                        break;
        }
        buf[len] = 0;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = -errno;
                        fprintf(stderr, "bench-hold: wait for %s: %m\n", argv[0]);
                        goto finish;
                }
        if (WIFEXITED(status))
                r = WEXITSTATUS(status);
        else {
                fprintf(stderr, "bench-hold: ");
                print_argv(argv);
                fprintf(stderr, " was killed by signal %d\n", WTERMSIG(status));
                r = -EIO;
        }
        if (ret_out) {
                *ret_out = buf;
                buf = NULL;
        }
finish:
        safe_close(in[0]);
        safe_close(in[1]);
        safe_close(out[0]);
        safe_close(out[1]);
        free(buf);
        return r;
}

/* Runs argv with stdout on /dev/null and waits; 0 if it exited 0. */
static int run_quiet(char *const argv[]) {
        posix_spawn_file_actions_t fa;
        int status, r;
        pid_t pid;

        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, devnull, STDOUT_FILENO);
        r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0) {
                fprintf(stderr, "bench-hold: cannot run %s: %s\n", argv[0], strerror(r));
                return -r;
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench-hold: '");
                print_argv(argv);
                fprintf(stderr, "' failed (status 0x%x)\n", (unsigned) status);
                return -EIO;
        }
        return 0;
}

/* ---- tracing stasisd's worker (--trace-pid) ----
 *
 * stasisd reports only the whole window. To split it, a private tracefs
 * instance records, for stasisd and the processes it forks (set_event_pid
 * with event-fork), the FIFREEZE, FITHAW and FICLONE ioctls, fsync and the
 * forks, execs and exits, on the "mono" clock (CLOCK_MONOTONIC). Only those
 * processes are recorded, and other tracing is not disturbed. */

#define TRACE_IOCTLS "cmd == 0xc0045877 || cmd == 0xc0045878 || cmd == 0x40049409"

static char *trace_dir = NULL;          /* our instance, while it exists */

static int trace_write(const char *name, const char *value) {
        char path[PATH_MAX];
        int fd, r = 0;

        snprintf(path, sizeof path, "%s/%s", trace_dir, name);
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0 || write(fd, value, strlen(value)) < 0)
                r = -errno;
        safe_close(fd);
        if (r < 0)
                fprintf(stderr, "bench-hold: writing '%s' to %s: %s\n", value, path, strerror(-r));
        return r;
}

static void trace_stop(void) {
        if (!trace_dir)
                return;
        (void) trace_write("tracing_on", "0");
        if (rmdir(trace_dir) < 0)
                fprintf(stderr, "bench-hold: removing the trace instance %s: %m\n", trace_dir);
        free(trace_dir);
        trace_dir = NULL;
}

static int trace_start(void) {
        static const char *const events[] = {
                "syscalls/sys_enter_ioctl", "syscalls/sys_exit_ioctl",
                "syscalls/sys_enter_fsync", "syscalls/sys_exit_fsync",
                "sched/sched_process_fork", "sched/sched_process_exec", "sched/sched_process_exit",
        };
        char pid[32], name[128];

        if (asprintf(&trace_dir, "%s/instances/bench-hold-%d", arg_tracefs, (int) getpid()) < 0) {
                trace_dir = NULL;
                return -ENOMEM;
        }
        if (mkdir(trace_dir, 0700) < 0) {
                fprintf(stderr, "bench-hold: cannot make the trace instance %s: %m\n", trace_dir);
                free(trace_dir);
                trace_dir = NULL;
                return -errno;
        }
        snprintf(pid, sizeof pid, "%d", (int) arg_trace_pid);
        if (trace_write("trace_clock", "mono") < 0 || trace_write("options/irq-info", "0") < 0 ||
            trace_write("options/event-fork", "1") < 0 || trace_write("set_event_pid", pid) < 0 ||
            trace_write("events/syscalls/sys_enter_ioctl/filter", TRACE_IOCTLS) < 0)
                goto fail;
        for (size_t i = 0; i < ELEMENTSOF(events); i++) {
                snprintf(name, sizeof name, "events/%s/enable", events[i]);
                if (trace_write(name, "1") < 0)
                        goto fail;
        }
        return 0;
fail:
        trace_stop();
        return -EIO;
}

static int trace_clear(void) {
        return trace_write("trace", "");
}

static char *trace_read(void) {
        char path[PATH_MAX];
        size_t len = 0, cap = 64 * 1024;
        char *buf = malloc(cap + 1);
        int fd;

        snprintf(path, sizeof path, "%s/trace", trace_dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !buf) {
                fprintf(stderr, "bench-hold: %s: %m\n", path);
                safe_close(fd);
                free(buf);
                return NULL;
        }
        for (;;) {
                if (len == cap) {
                        char *n = realloc(buf, cap * 2 + 1);
                        if (!n)
                                break;
                        buf = n;
                        cap *= 2;
                }
                ssize_t l = read(fd, buf + len, cap - len);
                if (l < 0 && errno == EINTR)
                        continue;
                if (l <= 0)
                        break;
                len += (size_t) l;
        }
        buf[len] = 0;
        safe_close(fd);
        return buf;
}

/* The phases of stasis's window, from the trace of one create. */
enum {
        P_FREEZE,       /* first FIFREEZE called .. last FIFREEZE returned */
        P_TO_EXEC,      /* .. the provider exec'd (the worker forks it) */
        P_TO_CLONE,     /* .. the provider's first FICLONE */
        P_CLONE,        /* .. its last FICLONE or fsync returned */
        P_TO_EXIT,      /* .. the provider exited */
        P_TO_THAW,      /* .. the worker's first FITHAW */
        P_THAW,         /* .. the last FITHAW returned */
        P_BETWEEN,      /* last FIFREEZE returned .. first FITHAW called */
        P_REST,         /* last FIFREEZE returned .. last FITHAW returned */
        P_TOTAL,        /* first FIFREEZE called .. last FITHAW returned */
        _P_MAX
};

static const char *const phase_names[_P_MAX] = {
        [P_FREEZE]   = "FIFREEZE of each (first call to last return)",
        [P_TO_EXEC]  = "worker: fork and exec of the provider",
        [P_TO_CLONE] = "provider: start-up, request, checks, opens",
        [P_CLONE]    = "provider: FICLONE and fsync of each clone",
        [P_TO_EXIT]  = "provider: answer and exit",
        [P_TO_THAW]  = "worker: from the provider's exit to FITHAW",
        [P_THAW]     = "FITHAW of each",
        [P_BETWEEN]  = "between the freezes and the thaws (rows 2-6)",
        [P_REST]     = "after the freezes (rows 2-7)",
        [P_TOTAL]    = "the window, traced",
};

/* Parses one line of the trace: the task's pid, the time and the event text. */
static bool trace_line(char *line, pid_t *ret_pid, double *ret_t, char **ret_ev) {
        char *lb = strchr(line, '['), *rb, *end;
        if (line[0] == '#' || !lb || !(rb = strchr(lb, ']')))
                return false;
        char *p = lb;
        while (p > line && p[-1] == ' ')
                p--;
        char *dash = p;
        while (dash > line && dash[-1] != '-')
                dash--;
        if (dash == line)
                return false;
        *ret_pid = (pid_t) strtol(dash, NULL, 10);
        *ret_t = strtod(rb + 1, &end) * 1e3;
        if (end == rb + 1 || !startswith(end, ": "))
                return false;
        *ret_ev = end + 2;
        return true;
}

/* Fills ph[] from the trace of one create of n volumes; false if the trace
 * does not show one whole window. */
static bool trace_phases(char *text, size_t n, double ph[_P_MAX]) {
        double A = NAN, B = NAN, C = NAN, D = NAN, E = NAN, X = NAN, T1 = NAN, T2 = NAN;
        pid_t worker = 0, provider = 0, pend_pid[8] = {};
        unsigned long pend_cmd[8] = {};
        size_t freezes = 0, thaws = 0;
        char *save = NULL;

        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                pid_t pid;
                double t;
                char *ev, *q;
                if (!trace_line(line, &pid, &t, &ev))
                        continue;
                size_t slot = (size_t) pid % ELEMENTSOF(pend_pid);
                if (startswith(ev, "sys_ioctl(") && (q = strstr(ev, "cmd: "))) {
                        unsigned long cmd = strtoul(q + 5, NULL, 16);
                        pend_pid[slot] = pid;
                        pend_cmd[slot] = cmd;
                        if (cmd == FIFREEZE && worker == 0) {
                                worker = pid;
                                A = t;
                        } else if (cmd == FITHAW && pid == worker && isnan(T1))
                                T1 = t;
                        else if (cmd == FICLONE && pid == provider && isnan(D))
                                D = t;
                } else if (startswith(ev, "sys_ioctl -> ")) {
                        if (pend_pid[slot] != pid)
                                continue;       /* an ioctl we do not follow */
                        pend_pid[slot] = 0;
                        if (pid == worker && pend_cmd[slot] == FIFREEZE) {
                                B = t;
                                freezes++;
                        } else if (pid == worker && pend_cmd[slot] == FITHAW) {
                                T2 = t;
                                thaws++;
                        } else if (pid == provider && pend_cmd[slot] == FICLONE)
                                E = t;
                } else if (startswith(ev, "sys_fsync -> ")) {
                        if (pid == provider && !isnan(D))
                                E = t;
                } else if (startswith(ev, "sched_process_fork: ") && (q = strstr(ev, "child_pid="))) {
                        if (pid == worker && provider == 0 && !isnan(B))
                                provider = (pid_t) strtol(q + 10, NULL, 10);
                } else if (startswith(ev, "sched_process_exec: ")) {
                        if (pid == provider && isnan(C))
                                C = t;
                } else if (startswith(ev, "sched_process_exit: ") && (q = strstr(ev, " pid="))) {
                        if (provider != 0 && strtol(q + 5, NULL, 10) == provider)
                                X = t;
                }
        }
        if (freezes != n || thaws != n || isnan(A) || isnan(B) || isnan(C) || isnan(D) || isnan(E) || isnan(X) ||
            isnan(T1) || isnan(T2))
                return false;
        ph[P_FREEZE] = B - A;
        ph[P_TO_EXEC] = C - B;
        ph[P_TO_CLONE] = D - C;
        ph[P_CLONE] = E - D;
        ph[P_TO_EXIT] = X - E;
        ph[P_TO_THAW] = T1 - X;
        ph[P_THAW] = T2 - T1;
        ph[P_BETWEEN] = T1 - B;
        ph[P_REST] = T2 - B;
        ph[P_TOTAL] = T2 - A;
        return true;
}

/* ---- the measured sequences ---- */

enum {
        K_STASIS,       /* stasis --json create: hold_usec */
        K_RAW,          /* FIFREEZE each, FICLONE each, FITHAW each */
        K_RAW_FSYNC,    /* --breakdown: ... and fsync each clone and the directory */
        K_RAW_EXEC,     /* --breakdown: ... and a start of the provider process */
        K_RAW_PROVIDER, /* --breakdown: FIFREEZE each, the provider's commit, FITHAW each */
        K_RAW_PARALLEL, /* --breakdown: as K_RAW, but all FIFREEZEs at once, a thread each */
        K_RAW_PROBED,   /* --breakdown: as K_RAW, right after the provider's probe of each volume */
        _K_MAX
};

static const char *const kind_names[_K_MAX] = {
        [K_STASIS]       = "stasis create (hold_usec)",
        [K_RAW]          = "raw: freeze, FICLONE, thaw",
        [K_RAW_FSYNC]    = "raw + fsync clones and dir",
        [K_RAW_EXEC]     = "raw + fsync + provider start",
        [K_RAW_PROVIDER] = "raw freeze + provider commit",
        [K_RAW_PARALLEL] = "raw, FIFREEZEs in parallel",
        [K_RAW_PROBED]   = "raw, right after probes",
};

static void *freeze_thread(void *p) {
        Volume *v = p;
        return ioctl(v->root_fd, FIFREEZE, 0) < 0 ? (void *) (intptr_t) errno : NULL;
}

/* FIFREEZEs vols[0..n) at once, a thread each; *frozen says how many of the
 * first ones are frozen, and none after them (a failed freeze past the first
 * thaws those behind it, so that thaw(*frozen) undoes everything). */
static int freeze_parallel(size_t n, size_t *frozen) {
        pthread_t t[VOLUMES_MAX];
        bool ok[VOLUMES_MAX] = {}, started[VOLUMES_MAX] = {};
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                int e = pthread_create(&t[i], NULL, freeze_thread, &vols[i]);
                if (e != 0) {
                        fprintf(stderr, "bench-hold: pthread_create: %s\n", strerror(e));
                        r = -e;
                        break;
                }
                started[i] = true;
        }
        for (size_t i = 0; i < n; i++) {
                void *e = NULL;
                if (!started[i])
                        continue;
                (void) pthread_join(t[i], &e);
                ok[i] = e == NULL;
                if (!ok[i]) {
                        fprintf(stderr, "bench-hold: FIFREEZE %s: %s\n", vols[i].mount, strerror((int) (intptr_t) e));
                        r = -(int) (intptr_t) e;
                }
        }
        for (*frozen = 0; *frozen < n && ok[*frozen]; (*frozen)++)
                ;
        for (size_t i = *frozen; i < n; i++)
                if (ok[i] && ioctl(vols[i].root_fd, FITHAW, 0) < 0)
                        fprintf(stderr, "bench-hold: FITHAW %s: %m\n", vols[i].mount);
        return r;
}

/* One window in three parts, ms; NAN where not known. */
typedef struct {
        double total;           /* first FIFREEZE called .. last FITHAW returned */
        double freeze;          /* .. last FIFREEZE returned */
        double between;         /* .. first FITHAW called */
        double thaw;            /* .. last FITHAW returned */
} Window;

static void window_set(Window *w, double t0, double tf, double tc, double t1) {
        *w = (Window) { .total = t1 - t0, .freeze = tf - t0, .between = tc - tf, .thaw = t1 - tc };
}

/* The raw sequences. The files to FICLONE into are made before the window,
 * as the mount roots and images are opened before it. */
static int raw_window(size_t n, int kind, Window *ret) {
        int clone_fd[VOLUMES_MAX], r = 0, k;
        char names[VOLUMES_MAX][64];
        size_t frozen = 0;
        sigset_t saved;

        for (size_t i = 0; i < n; i++) {
                snprintf(names[i], sizeof names[i], "raw-%lu-%zu.img", serial, i);
                clone_fd[i] = openat(raw_dir_fd, names[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
                if (clone_fd[i] < 0) {
                        r = -errno;
                        fprintf(stderr, "bench-hold: creating %s/%s: %m\n", arg_raw_dir, names[i]);
                        for (size_t j = 0; j < i; j++) {
                                safe_close(clone_fd[j]);
                                (void) unlinkat(raw_dir_fd, names[j], 0);
                        }
                        return r;
                }
        }
        char *exec_argv[] = { (char *) arg_provider, NULL };   /* no verb: it answers with its usage and exits */
        bool with_fsync = kind == K_RAW_FSYNC || kind == K_RAW_EXEC;    /* as the provider does */

        /* As stasisd does when it resolves the paths of a create, just before its worker
         * freezes: the provider's probe of each volume, a process each. */
        for (size_t i = 0; kind == K_RAW_PROBED && i < n; i++) {
                char *probe_argv[] = { (char *) arg_provider, (char *) "probe", NULL };
                json_object *req = json_object_new_object(), *v = json_object_new_object();
                json_object_object_add(v, "path", json_object_new_string(vols[i].mount));
                json_object_object_add(v, "mount_point", json_object_new_string(vols[i].mount));
                json_object_object_add(v, "device", json_object_new_string(vols[i].device));
                json_object_object_add(v, "fstype", json_object_new_string(vols[i].fstype));
                json_object_object_add(req, "version", json_object_new_int(1));
                json_object_object_add(req, "volume", v);
                k = run_piped(probe_argv, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN), false, NULL);
                json_object_put(req);
                if (k != 0) {
                        fprintf(stderr, "bench-hold: the provider's probe of %s failed\n", vols[i].mount);
                        r = -EIO;
                        goto finish;
                }
        }

        sigprocmask(SIG_BLOCK, &hold_signals, &saved);
        double t0 = now_ms();
        r = kind == K_RAW_PARALLEL ? freeze_parallel(n, &frozen) : freeze(n, &frozen);
        double tf = now_ms();
        if (r >= 0 && kind == K_RAW_EXEC && run_piped(exec_argv, NULL, true, NULL) < 0)
                r = -EIO;
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (ioctl(clone_fd[i], FICLONE, vols[i].image_fd) < 0) {
                        r = -errno;
                        fprintf(stderr, "bench-hold: FICLONE %s to %s/%s: %m\n", vols[i].image, arg_raw_dir,
                                names[i]);
                } else if (with_fsync && fsync(clone_fd[i]) < 0) {
                        r = -errno;
                        fprintf(stderr, "bench-hold: fsync %s/%s: %m\n", arg_raw_dir, names[i]);
                } else if (with_fsync && fsync(raw_dir_fd) < 0) {
                        r = -errno;
                        fprintf(stderr, "bench-hold: fsync %s: %m\n", arg_raw_dir);
                }
        }
        double tc = now_ms();
        k = thaw(frozen);
        double t1 = now_ms();
        sigprocmask(SIG_SETMASK, &saved, NULL);

        window_set(ret, t0, tf, tc, t1);
finish:
        /* Untimed: remove the clones. */
        for (size_t i = 0; i < n; i++) {
                safe_close(clone_fd[i]);
                if (unlinkat(raw_dir_fd, names[i], 0) < 0 && r >= 0) {
                        r = -errno;
                        fprintf(stderr, "bench-hold: removing %s/%s: %m\n", arg_raw_dir, names[i]);
                }
        }
        return r < 0 ? r : k;
}

static json_object *volume_request(const Volume *v, const char *handle) {
        json_object *o = json_object_new_object();
        char key[PATH_MAX + 16];
        snprintf(key, sizeof key, "loopclone:%s", v->image);
        json_object_object_add(o, "path", json_object_new_string(v->mount));
        json_object_object_add(o, "mount_point", json_object_new_string(v->mount));
        json_object_object_add(o, "device", json_object_new_string(v->device));
        json_object_object_add(o, "fstype", json_object_new_string(v->fstype));
        json_object_object_add(o, "source", json_object_new_string(v->image));
        json_object_object_add(o, "key", json_object_new_string(key));
        json_object_object_add(o, "handle", json_object_new_string(handle));
        return o;
}

/* Freezes as stasisd's worker does, runs the provider's commit as it does (the
 * same request), thaws. The provider's clones go to $STASIS_LOOPCLONE_STORE,
 * from where they are removed after the window. */
static int provider_window(size_t n, Window *ret) {
        const char *store = getenv("STASIS_LOOPCLONE_STORE");
        json_object *req = json_object_new_object(), *arr = json_object_new_array();
        char handles[VOLUMES_MAX][64], *out = NULL;
        size_t frozen = 0;
        sigset_t saved;
        int r, k;

        for (size_t i = 0; i < n; i++) {
                snprintf(handles[i], sizeof handles[i], "bench-%lu-%zu", serial, i);
                json_object_array_add(arr, volume_request(&vols[i], handles[i]));
        }
        json_object_object_add(req, "version", json_object_new_int(1));
        json_object_object_add(req, "set_id", json_object_new_string("0"));
        json_object_object_add(req, "volumes", arr);
        const char *input = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
        char *argv[] = { (char *) arg_provider, (char *) "commit", NULL };

        sigprocmask(SIG_BLOCK, &hold_signals, &saved);
        double t0 = now_ms();
        r = freeze(n, &frozen);
        double tf = now_ms();
        if (r >= 0)
                r = run_piped(argv, input, false, &out);
        double tc = now_ms();
        k = thaw(frozen);
        double t1 = now_ms();
        sigprocmask(SIG_SETMASK, &saved, NULL);

        window_set(ret, t0, tf, tc, t1);
        if (r > 0) {
                fprintf(stderr, "bench-hold: the provider's commit failed (status %d): %s", r, strempty(out));
                r = -EIO;
        }
        /* Untimed: remove its clones (there are none after a failure). */
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char path[PATH_MAX];
                snprintf(path, sizeof path, "%s/%s.img", store, handles[i]);
                if (unlink(path) < 0) {
                        r = -errno;
                        fprintf(stderr, "bench-hold: removing %s: %m\n", path);
                }
        }
        free(out);
        json_object_put(req);
        return r < 0 ? r : k;
}

/* stasis --json create of the first n volumes; its hold_usec is ret->total.
 * Deletes the set afterwards (untimed). ret_wall: the CLI from start to exit.
 * With tracing, ph[] gets the phases of the window and ret its parts (NAN if
 * the trace shows no whole window). */
static int stasis_window(size_t n, Window *ret, double *ret_wall, double ph[_P_MAX]) {
        char *argv[VOLUMES_MAX + 4], *out = NULL;
        json_object *o = NULL, *j;
        size_t k = 0;
        int r;

        argv[k++] = (char *) arg_stasis;
        argv[k++] = (char *) "--json";
        argv[k++] = (char *) "create";
        for (size_t i = 0; i < n; i++)
                argv[k++] = vols[i].mount;
        argv[k] = NULL;

        for (int p = 0; p < _P_MAX; p++)
                ph[p] = NAN;
        if (trace_dir && trace_clear() < 0)
                return -EIO;
        double t0 = now_ms();
        r = run_piped(argv, NULL, false, &out);
        *ret_wall = now_ms() - t0;
        if (trace_dir) {
                char *text = trace_read();
                if (text && !trace_phases(text, n, ph))
                        for (int p = 0; p < _P_MAX; p++)
                                ph[p] = NAN;
                free(text);
        }
        if (r != 0) {
                fprintf(stderr, "bench-hold: '");
                print_argv(argv);
                fprintf(stderr, "' failed (%s %d)\n", r < 0 ? "error" : "exit status", r < 0 ? -r : r);
                free(out);
                return -EIO;
        }
        o = json_tokener_parse(out);
        const char *id = NULL, *state = NULL, *consistency = NULL;
        if (o && json_object_object_get_ex(o, "id", &j))
                id = json_object_get_string(j);
        if (o && json_object_object_get_ex(o, "state", &j))
                state = json_object_get_string(j);
        if (o && json_object_object_get_ex(o, "consistency", &j))
                consistency = json_object_get_string(j);
        bool have_hold = o && json_object_object_get_ex(o, "hold_usec", &j) && json_object_is_type(j, json_type_int);
        uint64_t hold = have_hold ? json_object_get_uint64(j) : 0;
        size_t n_volumes = o && json_object_object_get_ex(o, "volumes", &j) && json_object_is_type(j, json_type_array)
                                   ? json_object_array_length(j) : 0;

        if (!id || !have_hold) {
                fprintf(stderr, "bench-hold: stasis create printed no id or hold_usec: %s", out);
                r = -EBADMSG;
        } else {
                /* Untimed: delete the set (the provider removes its clones). */
                char *del_argv[] = { (char *) arg_stasis, (char *) "delete", (char *) id, NULL };
                r = run_quiet(del_argv);
                if (r >= 0 && (!streq(strempty(state), "created") || n_volumes != n || hold == 0 ||
                               !streq(strempty(consistency), "crash-atomic"))) {
                        fprintf(stderr, "bench-hold: set %s: state %s, consistency %s, %zu volumes (expected %zu), "
                                "hold_usec %llu: not held as expected\n", id, strna(state), strna(consistency),
                                n_volumes, n, (unsigned long long) hold);
                        r = -EBADMSG;
                }
        }
        *ret = (Window) { .total = hold / 1e3, .freeze = ph[P_FREEZE], .between = ph[P_BETWEEN], .thaw = ph[P_THAW] };
        json_object_put(o);
        free(out);
        return r;
}

/* ---- statistics ---- */

typedef struct {
        double *v;
        unsigned n;
} Series;

static bool series_alloc(Series *s, unsigned n) {
        s->n = 0;
        s->v = calloc(n, sizeof(double));
        return s->v != NULL;
}

/* NAN (a value that could not be measured) is left out. */
static void series_add(Series *s, double x) {
        if (!isnan(x))
                s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of s, linear between ranks. */
static double quantile(const Series *s, double q) {
        if (s->n == 0)
                return NAN;
        double *c = malloc(s->n * sizeof(double));
        if (!c)
                return NAN;
        memcpy(c, s->v, s->n * sizeof(double));
        qsort(c, s->n, sizeof(double), cmp_double);
        double pos = q * (s->n - 1);
        unsigned lo = (unsigned) pos;
        double x = lo + 1 < s->n ? c[lo] + (pos - lo) * (c[lo + 1] - c[lo]) : c[lo];
        free(c);
        return x;
}

static double median(const Series *s) {
        return quantile(s, 0.5);
}

static void print_row(const char *name, const Series *s) {
        printf("  %-32s %8.2f %8.2f %8.2f %8.2f %8.2f\n", name, median(s), quantile(s, 0.9), quantile(s, 0.99),
               quantile(s, 0), quantile(s, 1));
}

/* ---- the benchmark ---- */

static void help(void) {
        printf("bench-hold [OPTIONS...] RAW_DIR MOUNT...\n\n"
               "Times the hold window (first FIFREEZE to last FITHAW) of `stasis --json create`\n"
               "of the first N MOUNTs (its hold_usec) against FIFREEZE of the same mount roots,\n"
               "FICLONE of their loop devices' images into RAW_DIR and FITHAW in reverse, done\n"
               "here, alternating, for each N, and prints medians, p99 and the difference.\n"
               "Each MOUNT must be a file system on a loop device whose image lies on a\n"
               "reflink-capable file system with RAW_DIR; stasisd must be running with the\n"
               "loopclone provider and $STASIS_LOOPCLONE_STORE on that file system.\n"
               "A writer process per MOUNT keeps it under a write load. With --trace-pid,\n"
               "stasis's window is split into its phases from a kernel trace of stasisd's\n"
               "worker and provider, and compared phase by phase. Use run-bench-hold.sh.\n\n"
               "  -h --help              Show this help\n"
               "  -n --rounds=R          Measured rounds per N (default %u)\n"
               "  -w --warmup=W          Warm-up rounds per N, not counted (default %u)\n"
               "  -c --counts=N,N...     Numbers of volumes (default 1,2,4,8)\n"
               "     --stasis=PATH       The stasis CLI (default $STASIS, else stasis)\n"
               "     --provider=PATH     The loopclone provider, for --breakdown (default\n"
               "                         $STASIS_PROVIDER_LOOPCLONE)\n"
               "     --rate=KIB          Write load per volume, KiB/s; 0 for none (default %u)\n"
               "     --chunk=KIB         The writers' write size (default %u)\n"
               "     --sync-every=KIB    fdatasync after so much (default %u)\n"
               "     --settle=MS         Pause before each timed run (default %u)\n"
               "     --breakdown         Also time, in the same rounds: raw + fsync of each clone\n"
               "                         and of RAW_DIR; that + a start of the provider process\n"
               "                         in the window; the provider's commit itself run from\n"
               "                         this process between freeze and thaw; raw with all\n"
               "                         FIFREEZEs at once, a thread each; and raw right after\n"
               "                         the provider's probe of each volume, as stasisd does\n"
               "     --trace-pid=PID     Split stasis's window: trace stasisd PID and what it\n"
               "                         forks in a private tracefs instance (see above)\n"
               "     --tracefs=DIR       Where tracefs is (default /sys/kernel/tracing)\n"
               "     --target=MS         The target: stasis median <= raw median + MS (default %.0f)\n"
               "\nExit status: 0 when the benchmark ran (whether or not the target was met),\n"
               "1 when something failed, 2 on usage errors.\n",
               arg_rounds, arg_warmup, arg_rate_kib, arg_chunk_kib, arg_sync_kib, arg_settle_ms, TARGET_MS_DEFAULT);
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

static int parse_counts(const char *s) {
        _cleanup_free_ char *c = strdup(s);
        char *save = NULL;
        unsigned n = 0;
        if (!c)
                return -ENOMEM;
        for (char *t = strtok_r(c, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (n >= COUNTS_MAX || parse_unsigned(t, 1, VOLUMES_MAX, &arg_counts[n]) < 0)
                        return -EINVAL;
                n++;
        }
        if (n == 0)
                return -EINVAL;
        arg_n_counts = n;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_STASIS = 0x100, ARG_PROVIDER, ARG_RATE, ARG_CHUNK, ARG_SYNC, ARG_SETTLE, ARG_BREAKDOWN,
               ARG_TRACE_PID, ARG_TRACEFS, ARG_TARGET };
        static const struct option options[] = {
                { "help",       no_argument,       NULL, 'h' },
                { "rounds",     required_argument, NULL, 'n' },
                { "warmup",     required_argument, NULL, 'w' },
                { "counts",     required_argument, NULL, 'c' },
                { "stasis",     required_argument, NULL, ARG_STASIS },
                { "provider",   required_argument, NULL, ARG_PROVIDER },
                { "rate",       required_argument, NULL, ARG_RATE },
                { "chunk",      required_argument, NULL, ARG_CHUNK },
                { "sync-every", required_argument, NULL, ARG_SYNC },
                { "settle",     required_argument, NULL, ARG_SETTLE },
                { "breakdown",  no_argument,       NULL, ARG_BREAKDOWN },
                { "trace-pid",  required_argument, NULL, ARG_TRACE_PID },
                { "tracefs",    required_argument, NULL, ARG_TRACEFS },
                { "target",     required_argument, NULL, ARG_TARGET },
                {}
        };
        int c;

#define UNSIGNED(what, min, max, var)                                                   \
        if (parse_unsigned(optarg, min, max, &var) < 0) {                               \
                fprintf(stderr, "bench-hold: invalid --%s '%s'\n", what, optarg);       \
                return -EINVAL;                                                         \
        }                                                                               \
        break
        while ((c = getopt_long(argc, argv, "hn:w:c:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case 'n':
                        UNSIGNED("rounds", 1, 100000, arg_rounds);
                case 'w':
                        UNSIGNED("warmup", 0, 100000, arg_warmup);
                case 'c':
                        if (parse_counts(optarg) < 0) {
                                fprintf(stderr, "bench-hold: invalid --counts '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_STASIS:
                        arg_stasis = optarg;
                        break;
                case ARG_PROVIDER:
                        arg_provider = optarg;
                        break;
                case ARG_RATE:
                        UNSIGNED("rate", 0, 1024 * 1024, arg_rate_kib);
                case ARG_CHUNK:
                        UNSIGNED("chunk", 4, 16 * 1024, arg_chunk_kib);
                case ARG_SYNC:
                        UNSIGNED("sync-every", 4, 1024 * 1024, arg_sync_kib);
                case ARG_SETTLE:
                        UNSIGNED("settle", 0, 60000, arg_settle_ms);
                case ARG_BREAKDOWN:
                        arg_breakdown = true;
                        break;
                case ARG_TRACE_PID: {
                        unsigned pid;
                        if (parse_unsigned(optarg, 1, INT_MAX, &pid) < 0) {
                                fprintf(stderr, "bench-hold: invalid --trace-pid '%s'\n", optarg);
                                return -EINVAL;
                        }
                        arg_trace_pid = (pid_t) pid;
                        break;
                }
                case ARG_TRACEFS:
                        arg_tracefs = optarg;
                        break;
                case ARG_TARGET: {
                        char *end;
                        arg_target_ms = strtod(optarg, &end);
                        if (*end || end == optarg || !(arg_target_ms >= 0)) {
                                fprintf(stderr, "bench-hold: invalid --target '%s'\n", optarg);
                                return -EINVAL;
                        }
                        break;
                }
                default:
                        return -EINVAL;
                }
#undef UNSIGNED
        if (argc - optind < 2) {
                fprintf(stderr, "bench-hold: give RAW_DIR and at least one MOUNT; see --help\n");
                return -EINVAL;
        }
        arg_raw_dir = argv[optind];
        if (!arg_stasis)
                arg_stasis = getenv("STASIS") ?: "stasis";
        if (!arg_provider)
                arg_provider = getenv("STASIS_PROVIDER_LOOPCLONE");
        if (arg_breakdown && (!arg_provider || !getenv("STASIS_LOOPCLONE_STORE"))) {
                fprintf(stderr, "bench-hold: --breakdown needs --provider (or $STASIS_PROVIDER_LOOPCLONE) "
                        "and $STASIS_LOOPCLONE_STORE\n");
                return -EINVAL;
        }
        return optind;
}

/* All measurements of one count of volumes. */
typedef struct {
        Series total[_K_MAX];   /* first FIFREEZE called to last FITHAW returned */
        Series freeze[_K_MAX];  /* .. last FIFREEZE returned */
        Series between[_K_MAX]; /* .. first FITHAW called */
        Series thaw[_K_MAX];    /* .. last FITHAW returned */
        Series rest[_K_MAX];    /* between + thaw: after the freezes */
        Series phase[_P_MAX];   /* stasis's, traced */
        Series diff;            /* stasis - raw, per round */
        Series wall;            /* stasis create, CLI start to exit */
        Series untraced;        /* hold_usec - the traced window */
} Results;

static bool results_alloc(Results *res, unsigned n) {
        bool ok = series_alloc(&res->diff, n) && series_alloc(&res->wall, n) && series_alloc(&res->untraced, n);
        for (int k = 0; k < _K_MAX; k++)
                ok = ok && series_alloc(&res->total[k], n) && series_alloc(&res->freeze[k], n) &&
                     series_alloc(&res->between[k], n) && series_alloc(&res->thaw[k], n) &&
                     series_alloc(&res->rest[k], n);
        for (int p = 0; p < _P_MAX; p++)
                ok = ok && series_alloc(&res->phase[p], n);
        return ok;
}

static void results_done(Results *res) {
        free(res->diff.v);
        free(res->wall.v);
        free(res->untraced.v);
        for (int k = 0; k < _K_MAX; k++) {
                free(res->total[k].v);
                free(res->freeze[k].v);
                free(res->between[k].v);
                free(res->thaw[k].v);
                free(res->rest[k].v);
        }
        for (int p = 0; p < _P_MAX; p++)
                free(res->phase[p].v);
}

static void results_add(Results *res, int kind, const Window *w) {
        series_add(&res->total[kind], w->total);
        series_add(&res->freeze[kind], w->freeze);
        series_add(&res->between[kind], w->between);
        series_add(&res->thaw[kind], w->thaw);
        series_add(&res->rest[kind], w->between + w->thaw);
}

static void print_parts(const char *name, Results *res, int k) {
        printf("    %-32s %9.2f %9.2f %9.2f %9.2f\n", name, median(&res->freeze[k]), median(&res->between[k]),
               median(&res->thaw[k]), median(&res->rest[k]));
}

static void print_results(size_t n, Results *res, int n_kinds) {
        bool traced = res->phase[P_TOTAL].n > 0;

        printf("\nN=%zu: %zu volume(s)\n", n, n);
        printf("  %-32s %8s %8s %8s %8s %8s\n", "ms, first FIFREEZE to last FITHAW", "median", "p90", "p99", "min",
               "max");
        for (int k = 0; k < n_kinds; k++)
                print_row(kind_names[k], &res->total[k]);
        print_row("stasis - raw, per round", &res->diff);
        printf("  (stasis create, CLI start to exit: median %.2f ms, not part of the window)\n", median(&res->wall));

        /* The FIFREEZEs write out what the volumes have unwritten and wait for RCU grace
         * periods; they take most of the window and vary most. What comes after them is
         * what a caller adds. */
        printf("  the window in parts (medians, ms):    FIFREEZEs   between   FITHAWs  after the freezes\n");
        if (traced)
                print_parts("stasis create (traced)", res, K_STASIS);
        for (int k = K_RAW; k < n_kinds; k++)
                print_parts(kind_names[k], res, k);
        if (traced) {
                printf("    %-32s %+9.2f %+9.2f %+9.2f %+9.2f\n", "stasis - raw",
                       median(&res->freeze[K_STASIS]) - median(&res->freeze[K_RAW]),
                       median(&res->between[K_STASIS]) - median(&res->between[K_RAW]),
                       median(&res->thaw[K_STASIS]) - median(&res->thaw[K_RAW]),
                       median(&res->rest[K_STASIS]) - median(&res->rest[K_RAW]));
                printf("  stasis's window, traced (%u of %u runs; medians, ms):\n", res->phase[P_TOTAL].n,
                       res->total[K_STASIS].n);
                for (int p = 0; p < _P_MAX; p++)
                        printf("    %-52s %7.2f\n", phase_names[p], median(&res->phase[p]));
                printf("    %-52s %7.2f\n", "hold_usec minus the traced window", median(&res->untraced));
        }
        if (n_kinds == _K_MAX) {
                /* From the parts between the freezes and the thaws: the whole windows
                 * vary far more, with the FIFREEZEs. */
                double m[_K_MAX];
                for (int k = 0; k < _K_MAX; k++)
                        m[k] = median(&res->between[k]);
                printf("  between the freezes and the thaws, step by step (medians, ms; from separate runs):\n");
                printf("    %-58s %7.2f\n", "raw: FICLONE of each image", m[K_RAW]);
                printf("    %-58s %+7.2f\n", "fsync of each clone and of the store (the provider does)",
                       m[K_RAW_FSYNC] - m[K_RAW]);
                printf("    %-58s %+7.2f\n", "a start and exit of the provider process (fork, exec, wait)",
                       m[K_RAW_EXEC] - m[K_RAW_FSYNC]);
                printf("    %-58s %+7.2f\n", "the provider's own work (request, checks, opens, mkdir)",
                       m[K_RAW_PROVIDER] - m[K_RAW_EXEC]);
                if (traced) {
                        printf("    %-58s %+7.2f\n", "stasisd's worker around it (pipes, JSON, poll, wait)",
                               m[K_STASIS] - m[K_RAW_PROVIDER]);
                        printf("    %-58s %7.2f\n", "= stasis, traced", m[K_STASIS]);
                } else
                        printf("    %-58s %7.2f\n", "= the provider's commit run from here", m[K_RAW_PROVIDER]);
                printf("  the FIFREEZEs (medians, ms): raw %.2f; right after a probe of each volume, as in stasis\n"
                       "  create, %.2f", median(&res->freeze[K_RAW]), median(&res->freeze[K_RAW_PROBED]));
                if (traced)
                        printf(" (stasis: %.2f)", median(&res->freeze[K_STASIS]));
                printf("; all at once, a thread each, %.2f\n", median(&res->freeze[K_RAW_PARALLEL]));
        }
        fflush(stdout);
}

int main(int argc, char *argv[]) {
        Results res[COUNTS_MAX] = {};
        int r, ret = EXIT_FAILURE, first;

        first = parse_argv(argc, argv);
        if (first <= 0)
                return first < 0 ? 2 : EXIT_SUCCESS;

        sigemptyset(&hold_signals);
        sigaddset(&hold_signals, SIGINT);
        sigaddset(&hold_signals, SIGTERM);
        sigaddset(&hold_signals, SIGHUP);
        sigaddset(&hold_signals, SIGQUIT);

        raw_dir_fd = open(arg_raw_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (raw_dir_fd < 0 || devnull < 0) {
                fprintf(stderr, "bench-hold: %s: %m\n", raw_dir_fd < 0 ? arg_raw_dir : "/dev/null");
                goto finish;
        }
        for (int i = first + 1; i < argc; i++)
                if (volume_add(argv[i]) < 0)
                        goto finish;
        for (unsigned c = 0; c < arg_n_counts; c++)
                if (arg_counts[c] > n_vols) {
                        fprintf(stderr, "bench-hold: %u volumes asked for, %zu given\n", arg_counts[c], n_vols);
                        ret = 2;
                        goto finish;
                }
        for (unsigned c = 0; c < arg_n_counts; c++)
                if (!results_alloc(&res[c], arg_rounds))
                        goto oom;
        if (arg_trace_pid > 0 && trace_start() < 0)
                goto finish;

        printf("bench-hold: hold window, first FIFREEZE to last FITHAW: stasis create (hold_usec) vs raw, in this process\n");
        for (size_t i = 0; i < n_vols; i++)
                printf("bench-hold: volume %zu: %s (%s on %s, image %s)\n", i + 1, vols[i].mount, vols[i].fstype,
                       vols[i].device, vols[i].image);
        if (arg_rate_kib > 0)
                printf("bench-hold: write load on all %zu volumes: %u KiB/s each, %u KiB writes, fdatasync every %u KiB\n",
                       n_vols, arg_rate_kib, arg_chunk_kib, arg_sync_kib);
        else
                printf("bench-hold: no write load\n");
        printf("bench-hold: %u rounds per count (+%u warm-up), order rotating, %u ms pause before each run%s%s\n",
               arg_rounds, arg_warmup, arg_settle_ms, arg_breakdown ? ", breakdown" : "",
               trace_dir ? ", stasisd traced" : "");
        fflush(stdout);

        if (writers_start() < 0)
                goto finish;
        sleep_ms(500);  /* let the load get going */

        int n_kinds = arg_breakdown ? _K_MAX : K_RAW + 1;
        for (unsigned c = 0; c < arg_n_counts; c++) {
                size_t n = arg_counts[c];
                for (unsigned round = 0; round < arg_warmup + arg_rounds; round++) {
                        Window win[_K_MAX] = {};
                        double ph[_P_MAX], wall = 0;
                        for (int j = 0; j < n_kinds; j++) {
                                int kind = (int) ((round + (unsigned) j) % (unsigned) n_kinds);
                                if (writers_check() < 0)
                                        goto finish;
                                sleep_ms(arg_settle_ms);
                                serial++;
                                switch (kind) {
                                case K_STASIS:
                                        r = stasis_window(n, &win[kind], &wall, ph);
                                        break;
                                case K_RAW_PROVIDER:
                                        r = provider_window(n, &win[kind]);
                                        break;
                                default:
                                        r = raw_window(n, kind, &win[kind]);
                                }
                                if (r < 0)
                                        goto finish;
                                /* Untimed: write out the pool (the clones' removal), so that
                                 * every run starts from the same state. */
                                if (syncfs(raw_dir_fd) < 0) {
                                        fprintf(stderr, "bench-hold: syncfs %s: %m\n", arg_raw_dir);
                                        goto finish;
                                }
                        }
                        if (round < arg_warmup)
                                continue;
                        for (int k = 0; k < n_kinds; k++)
                                results_add(&res[c], k, &win[k]);
                        for (int p = 0; p < _P_MAX; p++)
                                series_add(&res[c].phase[p], ph[p]);
                        series_add(&res[c].untraced, win[K_STASIS].total - ph[P_TOTAL]);
                        series_add(&res[c].wall, wall);
                        series_add(&res[c].diff, win[K_STASIS].total - win[K_RAW].total);
                }
                print_results(n, &res[c], n_kinds);
        }

        bool traced = trace_dir != NULL;
        printf("\n  %2s %22s %22s %18s %6s%s  %s\n", "N", "stasis median / p99", "raw median / p99", "stasis - raw",
               "ratio", traced ? "  after freezes" : "", "target");
        bool all_met = true;
        for (unsigned c = 0; c < arg_n_counts; c++) {
                Results *x = &res[c];
                double ms = median(&x->total[K_STASIS]), mr = median(&x->total[K_RAW]);
                bool met = ms <= mr + arg_target_ms;
                all_met = all_met && met;
                printf("  %2u %10.2f / %7.2f ms %10.2f / %7.2f ms %+8.2f (%+6.2f) %6.2f", arg_counts[c], ms,
                       quantile(&x->total[K_STASIS], 0.99), mr, quantile(&x->total[K_RAW], 0.99), ms - mr,
                       median(&x->diff), ms / mr);
                if (traced)
                        printf("  %+9.2f ms", median(&x->rest[K_STASIS]) - median(&x->rest[K_RAW]));
                printf("  %s\n", met ? "met" : "NOT met");
        }
        printf("  (stasis - raw, ms: difference of the medians (median of the per-round differences))\n");
        if (traced)
            printf("  (after freezes: stasis - raw of the medians of the window after the last FIFREEZE returned)\n");
        printf("hold: target stasis median <= raw median + %.1f ms: %s\n", arg_target_ms,
               all_met ? "met for every N" : "NOT met for every N");
        ret = EXIT_SUCCESS;
        goto finish;

oom:
        fprintf(stderr, "bench-hold: out of memory\n");
finish:
        fflush(stdout);
        writers_stop();
        trace_stop();
        for (unsigned c = 0; c < COUNTS_MAX; c++)
                results_done(&res[c]);
        for (size_t i = 0; i < n_vols; i++) {
                safe_close(vols[i].root_fd);
                safe_close(vols[i].image_fd);
                free(vols[i].mount);
                free(vols[i].device);
                free(vols[i].fstype);
                free(vols[i].image);
        }
        safe_close(raw_dir_fd);
        safe_close(devnull);
        return ret;
}
