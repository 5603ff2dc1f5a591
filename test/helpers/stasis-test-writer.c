/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-test-writer.c - a writer for tests, built on the public libstasis API only: logs every
 * event, injects faults (slow, hang, crash, veto, fail) and can simulate an application's writes */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "stasis/stasis.h"

#define FAULTS_MAX 32
#define COMPONENTS_MAX 64
#define PATHS_MAX 64

typedef enum Action { ACTION_SLOW, ACTION_HANG, ACTION_CRASH, ACTION_VETO, ACTION_VETO_RETRYABLE, ACTION_FAIL } Action;

typedef struct Fault {
        StasisWriterEvent event;
        Action action;
        uint64_t slow_usec;
        const char *reason;
} Fault;

typedef struct Component {
        char *name;
        const char *paths[PATHS_MAX + 1];
        int selectable;
} Component;

typedef struct TestWriter {
        StasisWriter *w;
        char label[160];                /* name[@instance], as logged */
        unsigned index;
        unsigned hits[FAULTS_MAX];      /* how often each fault struck this writer */
        bool paused;                    /* holds the simulated application's writes */
        sd_event_source *io;            /* --loop poll: the writer's fd */
} TestWriter;

/* An event answered later (slow) or never (hang). */
typedef struct Pending {
        StasisEvent *e;
        TestWriter *tw;
        sd_event_source *timer;
        struct Pending *next;
} Pending;

/* --metadata, --metadata-file: added at an event; the result logged. */
#define METADATA_MAX 300
typedef struct MetadataSpec {
        StasisWriterEvent event;
        char *component, *key;          /* key: a value's name, or a file's path */
        char *value;                    /* a value; NULL for a file */
        char *data;                     /* a file's content */
        size_t size;
        unsigned mode;
} MetadataSpec;

typedef enum LoopMode { LOOP_ATTACH, LOOP_POLL, LOOP_RUN } LoopMode;

static struct {
        const char *bus, *name, *instance, *level, *log, *ready_file, *data, *manifest;
        uint64_t freeze_timeout_usec;
        unsigned count;
        Component components[COMPONENTS_MAX];
        unsigned n_components;
        Fault faults[FAULTS_MAX];
        unsigned n_faults;
        long fault_index;               /* -1: all writers */
        unsigned fault_count;           /* 0: unlimited */
        LoopMode loop;
        bool log_states, log_results, log_paths;
        unsigned handlers;              /* events with a handler, bit 1 << event */
        const char *usr1_component;     /* NAME=PATH added on SIGUSR1 */
        MetadataSpec metadata[METADATA_MAX];
        unsigned n_metadata;
} arg = { .name = "testw", .count = 1, .fault_index = -1, .handlers = ~0U };

static sd_event *event;
static TestWriter *writers;
static Pending *pending;
static int log_fd = -1;
static sd_event_source *ready_timer;

static struct {
        int fd;
        uint64_t n;             /* the transaction being written */
        bool half;              /* "begin n" written, "end n" not yet */
        unsigned paused;        /* writers that hold the writes */
        sd_event_source *timer;
} data = { .fd = -1 };

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* One line, one write(2) on an O_APPEND fd: nothing buffered, nothing lost to SIGKILL. */
__attribute__((format(printf, 1, 2)))
static void log_line(const char *format, ...) {
        char buf[4096];
        int n, m;
        va_list ap;

        if (log_fd < 0)
                return;
        n = snprintf(buf, sizeof buf, "%" PRIu64 " ", now_usec());
        va_start(ap, format);
        m = vsnprintf(buf + n, sizeof buf - (size_t) n - 1, format, ap);
        va_end(ap);
        if (m > 0)
                n = n + m < (int) sizeof buf - 1 ? n + m : (int) sizeof buf - 2;
        buf[n++] = '\n';
        if (write(log_fd, buf, (size_t) n) < 0)
                fprintf(stderr, "stasis-test-writer: cannot write the log: %m\n");
}

static void log_event(TestWriter *tw, StasisWriterEvent ev, StasisEvent *e, const char *result) {
        const char *set = stasis_event_set_id(e);
        log_line("%s %s %s %s", tw->label, stasis_writer_event_to_string(ev), set ? set : "-", result);
}

/* ---- The simulated application (--data) ---- */

static int data_write(const char *what) {
        char line[64];
        int n = snprintf(line, sizeof line, "%s %" PRIu64 "\n", what, data.n);

        if (write(data.fd, line, (size_t) n) != n || fdatasync(data.fd) < 0) {
                fprintf(stderr, "stasis-test-writer: cannot write %s: %m\n", arg.data);
                return -errno;
        }
        return 0;
}

/* One step of a transaction: "begin N", then "end N". */
static int data_step(void) {
        int r = data_write(data.half ? "end" : "begin");
        if (r < 0)
                return r;
        if (data.half)
                data.n++;
        data.half = !data.half;
        return 0;
}

static int on_data_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        if (data.paused == 0 && data_step() < 0)
                return sd_event_exit(event, 1);
        return sd_event_source_set_time_relative(s, 1000);
}

/* The data file as it is now, copied to --manifest. */
static void data_manifest(void) {
        char buf[65536];
        ssize_t n;
        int in = open(arg.data, O_RDONLY | O_CLOEXEC);
        int out = open(arg.manifest, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
                if (write(out, buf, (size_t) n) != n)
                        break;
        if (in < 0 || out < 0 || fsync(out) < 0)
                fprintf(stderr, "stasis-test-writer: cannot write the manifest %s: %m\n", arg.manifest);
        if (in >= 0)
                close(in);
        if (out >= 0)
                close(out);
}

/* A freeze finishes the transaction under way, then holds the writes. */
static void data_pause(TestWriter *tw) {
        if (data.fd < 0 || tw->paused)
                return;
        tw->paused = true;
        if (data.paused++ == 0 && data.half)
                (void) data_step();
        if (arg.manifest)
                data_manifest();
}

static void data_resume(TestWriter *tw) {
        if (data.fd < 0 || !tw->paused)
                return;
        tw->paused = false;
        data.paused--;
}

static int data_start(void) {
        int r;

        data.fd = open(arg.data, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (data.fd < 0) {
                fprintf(stderr, "stasis-test-writer: cannot open %s: %m\n", arg.data);
                return -errno;
        }
        r = sd_event_add_time_relative(event, &data.timer, CLOCK_MONOTONIC, 1000, 100, on_data_timer, NULL);
        if (r >= 0)
                r = sd_event_source_set_enabled(data.timer, SD_EVENT_ON);
        if (r < 0)
                fprintf(stderr, "stasis-test-writer: cannot arm the data timer: %s\n", strerror(-r));
        return r;
}

/* ---- Events and faults ---- */

static const Fault *fault_for(TestWriter *tw, StasisWriterEvent ev) {
        if (arg.fault_index >= 0 && (long) tw->index != arg.fault_index)
                return NULL;
        for (unsigned i = 0; i < arg.n_faults; i++) {
                if (arg.faults[i].event != ev)
                        continue;
                if (arg.fault_count > 0 && tw->hits[i] >= arg.fault_count)
                        continue;
                tw->hits[i]++;
                return &arg.faults[i];
        }
        return NULL;
}

static void pending_free(Pending *p) {
        Pending **pp = &pending;

        while (*pp && *pp != p)
                pp = &(*pp)->next;
        if (*pp)
                *pp = p->next;
        sd_event_source_disable_unref(p->timer);
        stasis_event_unref(p->e);      /* answers ECANCELED if not answered */
        free(p);
}

static int on_slow_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Pending *p = userdata;

        /* Logged before the answer goes out, as a synchronous answer is:
         * stasisd may call the next writer as soon as it has it, and that
         * writer's line must not come first. */
        log_event(p->tw, stasis_event_type(p->e), p->e, "ok");
        if (stasis_event_complete(p->e, 0) < 0)
                log_event(p->tw, stasis_event_type(p->e), p->e, "fail");
        pending_free(p);
        return 0;
}

/* Keeps e to answer it after usec (slow), or never (hang, usec 0). */
static int pending_add(TestWriter *tw, StasisEvent *e, uint64_t usec) {
        Pending *p = calloc(1, sizeof(Pending));
        int r;

        if (!p)
                return -ENOMEM;
        if (usec > 0) {
                r = sd_event_add_time_relative(event, &p->timer, CLOCK_MONOTONIC, usec, 100, on_slow_timer, p);
                if (r < 0) {
                        free(p);
                        return r;
                }
        }
        p->e = stasis_event_ref(e);
        p->tw = tw;
        p->next = pending;
        pending = p;
        return STASIS_EVENT_ASYNC;
}

static int apply_fault(TestWriter *tw, StasisWriterEvent ev, StasisEvent *e, const Fault *f) {
        switch (f->action) {
        case ACTION_SLOW:
                return pending_add(tw, e, f->slow_usec);
        case ACTION_HANG:
                log_event(tw, ev, e, "hang");
                return pending_add(tw, e, 0);
        case ACTION_CRASH:
                log_event(tw, ev, e, "crash");
                kill(getpid(), SIGKILL);        /* nothing flushed, nothing unregistered */
                return -EIO;
        case ACTION_VETO:
        case ACTION_VETO_RETRYABLE:
                log_event(tw, ev, e, "veto");
                return stasis_event_veto(e, f->action == ACTION_VETO_RETRYABLE, "%s", f->reason);
        case ACTION_FAIL:
                log_event(tw, ev, e, "fail");
                return -EIO;
        }
        return -EIO;
}

/* Adds the metadata given for ev; logs "<us> <writer> Metadata <set> <key>:ok|<errno name>:<error text>". */
static void add_metadata(TestWriter *tw, StasisWriterEvent ev, StasisEvent *e) {
        for (unsigned i = 0; i < arg.n_metadata; i++) {
                const MetadataSpec *m = &arg.metadata[i];
                int r;
                if (m->event != ev)
                        continue;
                if (m->value)
                        r = stasis_event_add_metadata(e, m->component, m->key, m->value);
                else
                        r = stasis_event_add_metadata_file(e, m->component, m->key, m->data, m->size, m->mode);
                if (r < 0)
                        log_line("%s Metadata %s %s:%s:%s", tw->label, stasis_event_set_id(e) ?: "-", m->key,
                                 strerrorname_np(-r), stasis_writer_last_error(tw->w));
                else
                        log_line("%s Metadata %s %s:ok", tw->label, stasis_event_set_id(e) ?: "-", m->key);
        }
}

/* For each component path (and one that is none):
 * "<us> <writer> PathSnapshot <set> <path>=<snapshot>:<path in snapshot>" or "<path>=<errno name>". */
static void log_paths(TestWriter *tw, StasisEvent *e) {
        for (unsigned c = 0; c <= arg.n_components; c++)
                for (unsigned i = 0; c == arg.n_components ? i < 1 : arg.components[c].paths[i] != NULL; i++) {
                        const char *p = c == arg.n_components ? "/no/such/component/path" : arg.components[c].paths[i];
                        const char *snap, *rel;
                        int r = stasis_event_get_path_snapshot(e, p, &snap, &rel);
                        if (r < 0)
                                log_line("%s PathSnapshot %s %s=%s", tw->label, stasis_event_set_id(e) ?: "-", p,
                                         strerrorname_np(-r));
                        else
                                log_line("%s PathSnapshot %s %s=%s:%s", tw->label, stasis_event_set_id(e) ?: "-", p,
                                         snap, rel);
                }
}

static int on_event(StasisWriter *w, StasisWriterEvent ev, StasisEvent *e, void *userdata) {
        TestWriter *tw = userdata;
        const Fault *f;

        if (ev == STASIS_EVENT_THAW && stasis_event_is_auto_thaw(e) > 0) {
                char result[512];
                snprintf(result, sizeof result, "auto-thaw:%s", stasis_event_reason(e));
                log_event(tw, ev, e, result);
                data_resume(tw);
                return 0;
        }
        add_metadata(tw, ev, e);
        if (ev == STASIS_EVENT_POST_SNAPSHOT && arg.log_paths)
                log_paths(tw, e);
        f = fault_for(tw, ev);
        if (ev == STASIS_EVENT_FREEZE && (!f || f->action == ACTION_SLOW))
                data_pause(tw);
        else if (ev == STASIS_EVENT_THAW)
                data_resume(tw);
        if (f)
                return apply_fault(tw, ev, e, f);
        log_event(tw, ev, e, "ok");
        /* What the requestor reported, one line per component:
         * "<us> <writer> BackupResult <set> <component>:succeeded|failed". */
        if (ev == STASIS_EVENT_BACKUP_COMPLETE && arg.log_results)
                for (const char *const *c = stasis_event_components(e); c && *c; c++) {
                        char result[512];
                        snprintf(result, sizeof result, "%s:%s", *c,
                                 stasis_event_component_succeeded(e, *c) > 0 ? "succeeded" : "failed");
                        log_line("%s BackupResult %s %s", tw->label, stasis_event_set_id(e) ?: "-", result);
                }
        return 0;
}

/* The writer's state, as the library reports each change. */
static void on_state(StasisWriter *w, StasisWriterState state, const char *reason, void *userdata) {
        TestWriter *tw = userdata;

        log_line("%s State - %s%s%s", tw->label, stasis_writer_state_to_string(state), reason ? ":" : "",
                 reason ? reason : "");
}

/* ---- Ready: every writer registered ---- */

static int on_ready_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        for (unsigned i = 0; i < arg.count; i++)
                if (!stasis_writer_is_registered(writers[i].w))
                        return sd_event_source_set_time_relative(s, 10 * 1000);
        log_line("ready");
        if (arg.ready_file) {
                int fd = open(arg.ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0)
                        fprintf(stderr, "stasis-test-writer: cannot create %s: %m\n", arg.ready_file);
                else
                        close(fd);
        }
        return sd_event_source_set_enabled(s, SD_EVENT_OFF);
}

/* ---- Options ---- */

static void usage(FILE *f) {
        fprintf(f,
                "usage: stasis-test-writer [OPTION...]\n\n"
                "A writer for tests. Logs every event, can fail on purpose, and can\n"
                "simulate an application that writes transactions to a file.\n\n"
                "  --bus ADDRESS              the bus (default: stasis_bus_address())\n"
                "  --name NAME                the writer's name (default testw)\n"
                "  --instance INST            its instance; with --count N: INST-0 .. INST-<N-1>\n"
                "  --count N                  N writers in this process, each on its own\n"
                "                             connection (instances 0 .. N-1 without --instance)\n"
                "  --level L                  front-end, back-end or system\n"
                "  --freeze-timeout MS        the writer's freeze timeout\n"
                "  --component NAME=PATH[,PATH...]               a component (repeatable)\n"
                "  --component-unselectable NAME=PATH[,PATH...]  one that is not selectable\n"
                "  --log FILE                 append a line per event:\n"
                "                             <monotonic us> <writer>[@<instance>] <Event> <set|-> <result>\n"
                "                             result: ok, veto, fail, hang, crash, auto-thaw:<reason>;\n"
                "                             and \"<us> ready\" once every writer is registered\n"
                "  --log-results              also log, after BackupComplete, a line per component:\n"
                "                             \"<us> <writer> BackupResult <set> <component>:succeeded|failed\"\n"
                "  --log-states               also log \"<us> <writer> State - <state>[:<reason>]\"\n"
                "                             at each change of the writer's state, as its state\n"
                "                             handler hears of it (stasis_writer_state_to_string())\n"
                "  --ready-file FILE          create FILE once every writer is registered\n"
                "  --handlers EVENT[,EVENT...] set handlers for these events only (as on the\n"
                "                             bus: Identify, PrepareBackup, ...; default all)\n"
                "  --usr1-component NAME=PATH on SIGUSR1, every writer adds this component and\n"
                "                             logs \"<us> <writer> MetadataChanged - ok\" (not --loop run)\n"
                "  --metadata EVENT:COMPONENT:NAME=VALUE   add a backup metadata value at EVENT\n"
                "  --log-paths                at PostSnapshot, log \"<us> <writer> PathSnapshot <set>\n"
                "                             <path>=<snapshot>:<in snapshot>|<errno name>\" per path\n"
                "  --metadata-file EVENT:COMPONENT:PATH=@FILE|SIZE[:MODE]  a metadata file: FILE's\n"
                "                             content, or SIZE bytes \"m\"; logs \"<us> <writer>\n"
                "                             Metadata <set> <key>:ok|<errno name>:<error>\"\n"
                "  --fault EVENT:ACTION       EVENT as on the bus (Freeze, Thaw, ...); ACTION one of\n"
                "                             slow:MS, hang, crash, veto:REASON,\n"
                "                             veto-retryable:REASON, fail (repeatable)\n"
                "  --fault-index K            faults strike writer K of --count only\n"
                "  --fault-count N            each fault strikes each writer N times at most\n"
                "  --data FILE                simulate an application: every 1 ms one step of a\n"
                "                             transaction, \"begin N\" then \"end N\", each fdatasync'ed;\n"
                "                             Freeze finishes the transaction under way and holds\n"
                "                             the writes until Thaw\n"
                "  --manifest FILE            with --data: at each Freeze, once the writes are\n"
                "                             held, copy the data file to FILE (what a snapshot\n"
                "                             taken now holds)\n"
                "  --loop MODE                attach (default: one sd-event loop for all), poll\n"
                "                             (stasis_writer_get_fd/process) or run\n"
                "                             (stasis_writer_run; one writer, no slow faults, no --data)\n\n"
                "Exits 0 on SIGTERM or SIGINT, after unregistering.\n");
}

static int parse_uint(const char *s, uint64_t max, uint64_t *ret) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || *s == '-' || v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_event(const char *s, size_t n, StasisWriterEvent *ret) {
        for (int i = 0; i < _STASIS_EVENT_MAX; i++) {
                const char *name = stasis_writer_event_to_string((StasisWriterEvent) i);
                if (strlen(name) == n && strncmp(name, s, n) == 0) {
                        *ret = (StasisWriterEvent) i;
                        return 0;
                }
        }
        return -EINVAL;
}

static int parse_fault(const char *s) {
        const char *colon = strchr(s, ':'), *a;
        Fault *f = &arg.faults[arg.n_faults];
        uint64_t ms;

        if (arg.n_faults >= FAULTS_MAX || !colon || parse_event(s, (size_t) (colon - s), &f->event) < 0)
                return -EINVAL;
        a = colon + 1;
        if (strncmp(a, "slow:", 5) == 0 && parse_uint(a + 5, 3600 * 1000, &ms) >= 0 && ms > 0) {
                f->action = ACTION_SLOW;
                f->slow_usec = ms * 1000;
        } else if (strcmp(a, "hang") == 0)
                f->action = ACTION_HANG;
        else if (strcmp(a, "crash") == 0)
                f->action = ACTION_CRASH;
        else if (strcmp(a, "fail") == 0)
                f->action = ACTION_FAIL;
        else if (strncmp(a, "veto:", 5) == 0) {
                f->action = ACTION_VETO;
                f->reason = a + 5;
        } else if (strncmp(a, "veto-retryable:", 15) == 0) {
                f->action = ACTION_VETO_RETRYABLE;
                f->reason = a + 15;
        } else
                return -EINVAL;
        arg.n_faults++;
        return 0;
}

/* NAME=PATH[,PATH...]; the strings stay in argv or in one copy. */
static int parse_component(const char *s, int selectable) {
        Component *c = &arg.components[arg.n_components];
        char *eq, *save = NULL, *p;
        unsigned n = 0;

        if (arg.n_components >= COMPONENTS_MAX)
                return -E2BIG;
        c->name = strdup(s);
        if (!c->name)
                return -ENOMEM;
        eq = strchr(c->name, '=');
        if (!eq || eq == c->name) {
                free(c->name);
                return -EINVAL;
        }
        *eq = 0;
        for (p = strtok_r(eq + 1, ",", &save); p && n < PATHS_MAX; p = strtok_r(NULL, ",", &save))
                c->paths[n++] = p;
        c->paths[n] = NULL;
        c->selectable = selectable;
        arg.n_components++;
        return 0;
}

/* EVENT:COMPONENT:KEY=VALUE (a value), or with file: EVENT:COMPONENT:PATH=@FILE[:MODE]
 * (FILE's content) or EVENT:COMPONENT:PATH=SIZE[:MODE] (SIZE bytes "m"). */
static int parse_metadata(const char *o, bool file) {
        MetadataSpec *m = &arg.metadata[arg.n_metadata];
        char *c1, *c2, *eq, *copy;
        int r;

        if (arg.n_metadata >= METADATA_MAX)
                return -E2BIG;
        copy = strdup(o);
        if (!copy)
                return -ENOMEM;
        c1 = strchr(copy, ':');
        c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        eq = c2 ? strchr(c2 + 1, '=') : NULL;
        if (!eq)
                return -EINVAL;
        *c1 = *c2 = *eq = 0;
        r = parse_event(copy, strlen(copy), &m->event);
        if (r < 0)
                return r;
        m->component = c1 + 1;
        m->key = c2 + 1;
        if (!file) {
                m->value = eq + 1;
                arg.n_metadata++;
                return 0;
        }
        char *colon = strrchr(eq + 1, ':');
        m->mode = 0644;
        if (colon) {
                *colon = 0;
                m->mode = (unsigned) strtoul(colon + 1, NULL, 8);
        }
        if (eq[1] == '@') {
                FILE *f = fopen(eq + 2, "re");
                if (!f)
                        return -errno;
                m->data = malloc(16 * 1024 * 1024);
                if (!m->data) {
                        fclose(f);
                        return -ENOMEM;
                }
                m->size = fread(m->data, 1, 16 * 1024 * 1024, f);
                fclose(f);
        } else {
                uint64_t v;
                if (parse_uint(eq + 1, 64 * 1024 * 1024, &v) < 0)
                        return -EINVAL;
                m->size = (size_t) v;
                m->data = malloc(m->size + 1);
                if (!m->data)
                        return -ENOMEM;
                memset(m->data, 'm', m->size);
        }
        arg.n_metadata++;
        return 0;
}

enum {
        OPT_BUS = 0x100, OPT_NAME, OPT_INSTANCE, OPT_COUNT, OPT_LEVEL, OPT_FREEZE_TIMEOUT, OPT_COMPONENT,
        OPT_COMPONENT_UNSELECTABLE, OPT_LOG, OPT_READY_FILE, OPT_FAULT, OPT_FAULT_INDEX, OPT_FAULT_COUNT,
        OPT_DATA, OPT_LOOP, OPT_LOG_STATES, OPT_MANIFEST, OPT_LOG_RESULTS, OPT_HANDLERS, OPT_USR1_COMPONENT,
        OPT_METADATA, OPT_METADATA_FILE, OPT_LOG_PATHS,
};

/* "Identify,Freeze,Thaw": the events with a handler. */
static int parse_handlers(const char *s) {
        char buf[512], *save = NULL;

        if (strlen(s) >= sizeof buf)
                return -EINVAL;
        strcpy(buf, s);
        arg.handlers = 0;
        for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
                int ev;
                for (ev = 0; ev < _STASIS_EVENT_MAX; ev++)
                        if (strcmp(p, stasis_writer_event_to_string((StasisWriterEvent) ev)) == 0)
                                break;
                if (ev == _STASIS_EVENT_MAX)
                        return -EINVAL;
                arg.handlers |= 1U << ev;
        }
        return 0;
}

static int parse_option(int c, const char *o) {
        uint64_t v;

        switch (c) {
        case OPT_BUS: arg.bus = o; return 0;
        case OPT_NAME: arg.name = o; return 0;
        case OPT_INSTANCE: arg.instance = o; return 0;
        case OPT_LEVEL: arg.level = o; return 0;
        case OPT_LOG: arg.log = o; return 0;
        case OPT_LOG_STATES: arg.log_states = true; return 0;
        case OPT_HANDLERS: return parse_handlers(o);
        case OPT_USR1_COMPONENT: arg.usr1_component = o; return strchr(o, '=') ? 0 : -EINVAL;
        case OPT_READY_FILE: arg.ready_file = o; return 0;
        case OPT_DATA: arg.data = o; return 0;
        case OPT_MANIFEST: arg.manifest = o; return 0;
        case OPT_LOG_RESULTS: arg.log_results = true; return 0;
        case OPT_COMPONENT: return parse_component(o, 1);
        case OPT_COMPONENT_UNSELECTABLE: return parse_component(o, 0);
        case OPT_FAULT: return parse_fault(o);
        case OPT_METADATA: return parse_metadata(o, false);
        case OPT_LOG_PATHS: arg.log_paths = true; return 0;
        case OPT_METADATA_FILE: return parse_metadata(o, true);
        case OPT_COUNT:
                if (parse_uint(o, 100000, &v) < 0 || v == 0)
                        return -EINVAL;
                arg.count = (unsigned) v;
                return 0;
        case OPT_FREEZE_TIMEOUT:
                if (parse_uint(o, UINT64_MAX / 1000, &v) < 0)
                        return -EINVAL;
                arg.freeze_timeout_usec = v * 1000;
                return 0;
        case OPT_FAULT_INDEX:
                if (parse_uint(o, 100000, &v) < 0)
                        return -EINVAL;
                arg.fault_index = (long) v;
                return 0;
        case OPT_FAULT_COUNT:
                if (parse_uint(o, UINT_MAX, &v) < 0)
                        return -EINVAL;
                arg.fault_count = (unsigned) v;
                return 0;
        case OPT_LOOP:
                if (strcmp(o, "attach") == 0)
                        arg.loop = LOOP_ATTACH;
                else if (strcmp(o, "poll") == 0)
                        arg.loop = LOOP_POLL;
                else if (strcmp(o, "run") == 0)
                        arg.loop = LOOP_RUN;
                else
                        return -EINVAL;
                return 0;
        }
        return -EINVAL;
}

static int parse_argv(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "bus", required_argument, NULL, OPT_BUS },
                { "name", required_argument, NULL, OPT_NAME },
                { "instance", required_argument, NULL, OPT_INSTANCE },
                { "count", required_argument, NULL, OPT_COUNT },
                { "level", required_argument, NULL, OPT_LEVEL },
                { "freeze-timeout", required_argument, NULL, OPT_FREEZE_TIMEOUT },
                { "component", required_argument, NULL, OPT_COMPONENT },
                { "component-unselectable", required_argument, NULL, OPT_COMPONENT_UNSELECTABLE },
                { "log", required_argument, NULL, OPT_LOG },
                { "metadata", required_argument, NULL, OPT_METADATA },
                { "log-paths", no_argument, NULL, OPT_LOG_PATHS },
                { "metadata-file", required_argument, NULL, OPT_METADATA_FILE },
                { "log-states", no_argument, NULL, OPT_LOG_STATES },
                { "handlers", required_argument, NULL, OPT_HANDLERS },
                { "usr1-component", required_argument, NULL, OPT_USR1_COMPONENT },
                { "ready-file", required_argument, NULL, OPT_READY_FILE },
                { "fault", required_argument, NULL, OPT_FAULT },
                { "fault-index", required_argument, NULL, OPT_FAULT_INDEX },
                { "fault-count", required_argument, NULL, OPT_FAULT_COUNT },
                { "data", required_argument, NULL, OPT_DATA },
                { "manifest", required_argument, NULL, OPT_MANIFEST },
                { "log-results", no_argument, NULL, OPT_LOG_RESULTS },
                { "loop", required_argument, NULL, OPT_LOOP },
                {}
        };
        int c, i;

        while ((c = getopt_long(argc, argv, "h", options, &i)) >= 0) {
                if (c == 'h') {
                        usage(stdout);
                        exit(0);
                }
                if (c == '?' || parse_option(c, optarg) < 0) {
                        if (c != '?')
                                fprintf(stderr, "stasis-test-writer: --%s: bad value \"%s\"\n", options[i].name, optarg);
                        return -EINVAL;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "stasis-test-writer: unexpected argument \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        if (arg.n_components == 0) {
                fprintf(stderr, "stasis-test-writer: give at least one --component\n");
                return -EINVAL;
        }
        if (arg.loop == LOOP_RUN && (arg.count != 1 || arg.data)) {
                fprintf(stderr, "stasis-test-writer: --loop run takes one writer and no --data\n");
                return -EINVAL;
        }
        for (unsigned k = 0; arg.loop == LOOP_RUN && k < arg.n_faults; k++)
                if (arg.faults[k].action == ACTION_SLOW) {
                        fprintf(stderr, "stasis-test-writer: --loop run cannot answer slowly (no timers)\n");
                        return -EINVAL;
                }
        return 0;
}

/* ---- The writers ---- */

static int writer_fail(TestWriter *tw, const char *what, int r) {
        fprintf(stderr, "stasis-test-writer: %s: %s: %s\n", tw->label, what,
                tw->w && *stasis_writer_last_error(tw->w) ? stasis_writer_last_error(tw->w) : strerror(-r));
        return r;
}

static int writer_describe(TestWriter *tw) {
        int r = 0;

        if (arg.level)
                r = stasis_writer_set_level(tw->w, arg.level);
        if (r >= 0 && arg.freeze_timeout_usec > 0)
                r = stasis_writer_set_freeze_timeout(tw->w, arg.freeze_timeout_usec);
        for (unsigned i = 0; r >= 0 && i < arg.n_components; i++)
                r = stasis_writer_add_component(tw->w, arg.components[i].name, arg.components[i].paths,
                                                arg.components[i].selectable, NULL);
        for (int ev = 0; r >= 0 && ev < _STASIS_EVENT_MAX; ev++)
                if (arg.handlers & (1U << ev))
                        r = stasis_writer_set_handler(tw->w, (StasisWriterEvent) ev, on_event, tw);
        if (r >= 0 && arg.log_states)
                r = stasis_writer_set_state_handler(tw->w, on_state, tw);
        if (r >= 0 && arg.bus)
                r = stasis_writer_set_bus_address(tw->w, arg.bus);
        return r;
}

static int on_writer_fd(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        TestWriter *tw = userdata;
        int r = stasis_writer_process(tw->w);

        if (r < 0) {
                writer_fail(tw, "processing failed", r);
                return sd_event_exit(event, 1);
        }
        return 0;
}

static int writer_setup(TestWriter *tw, unsigned index) {
        char instance[128] = "";
        int r;

        tw->index = index;
        if (arg.count > 1)
                snprintf(instance, sizeof instance, "%s%s%u", arg.instance ? arg.instance : "",
                         arg.instance ? "-" : "", index);
        else if (arg.instance)
                snprintf(instance, sizeof instance, "%s", arg.instance);
        snprintf(tw->label, sizeof tw->label, "%s%s%s", arg.name, *instance ? "@" : "", instance);

        r = stasis_writer_new(&tw->w, arg.name, *instance ? instance : NULL);
        if (r < 0)
                return writer_fail(tw, "invalid writer name or instance", r);
        r = writer_describe(tw);
        if (r < 0)
                return writer_fail(tw, "invalid description", r);
        if (arg.loop == LOOP_ATTACH) {
                r = stasis_writer_attach_event(tw->w, event, 0);
                if (r < 0)
                        return writer_fail(tw, "cannot attach", r);
        }
        r = stasis_writer_start(tw->w);
        if (r < 0)
                return writer_fail(tw, "cannot start", r);
        if (arg.loop == LOOP_POLL) {
                int fd = stasis_writer_get_fd(tw->w);
                r = fd < 0 ? fd : sd_event_add_io(event, &tw->io, fd, EPOLLIN, on_writer_fd, tw);
                if (r < 0)
                        return writer_fail(tw, "cannot watch its fd", r);
        }
        return 0;
}

static void writers_free(void) {
        while (pending)
                pending_free(pending);
        for (unsigned i = 0; writers && i < arg.count; i++) {
                sd_event_source_disable_unref(writers[i].io);
                stasis_writer_unref(writers[i].w);     /* unregisters */
        }
        free(writers);
        writers = NULL;
}

static void raise_nofile_limit(void) {
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

/* --loop run: the library's loop, which handles SIGTERM itself. */
static int run_one(void) {
        int r;

        if (stasis_writer_is_registered(writers[0].w)) {
                log_line("ready");
                if (arg.ready_file)
                        close(open(arg.ready_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        }
        r = stasis_writer_run(writers[0].w);
        if (r < 0)
                return writer_fail(&writers[0], "the loop failed", r);
        return r;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(event, 0);
}

/* SIGUSR1: every writer gains the --usr1-component (its metadata changes). */
static int on_usr1(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        char name[256], *eq;
        const char *paths[2] = { NULL, NULL };

        snprintf(name, sizeof name, "%s", arg.usr1_component);
        eq = strchr(name, '=');
        *eq = 0;
        paths[0] = eq + 1;
        for (unsigned i = 0; i < arg.count; i++) {
                int r = stasis_writer_add_component(writers[i].w, name, paths, 1, NULL);
                log_line("%s MetadataChanged - %s", writers[i].label, r < 0 ? "fail" : "ok");
        }
        return 0;
}

static int setup_loop(void) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (arg.usr1_component)
                sigaddset(&mask, SIGUSR1);
        r = -sigprocmask(SIG_BLOCK, &mask, NULL);
        if (r >= 0)
                r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, on_signal, NULL);
        if (r >= 0 && arg.usr1_component)
                r = sd_event_add_signal(event, NULL, SIGUSR1, on_usr1, NULL);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &ready_timer, CLOCK_MONOTONIC, 0, 100, on_ready_timer, NULL);
        if (r >= 0)
                r = sd_event_source_set_enabled(ready_timer, SD_EVENT_ON);
        if (r < 0)
                fprintf(stderr, "stasis-test-writer: cannot set up the event loop: %s\n", strerror(-r));
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        if (parse_argv(argc, argv) < 0)
                return 2;
        raise_nofile_limit();
        if (arg.log) {
                log_fd = open(arg.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
                if (log_fd < 0) {
                        fprintf(stderr, "stasis-test-writer: cannot open %s: %m\n", arg.log);
                        return 1;
                }
        }
        r = arg.loop == LOOP_RUN ? 0 : setup_loop();
        if (r >= 0 && arg.data)
                r = data_start();
        if (r >= 0) {
                writers = calloc(arg.count, sizeof(TestWriter));
                r = writers ? 0 : -ENOMEM;
        }
        for (unsigned i = 0; r >= 0 && i < arg.count; i++)
                r = writer_setup(&writers[i], i);
        if (r >= 0)
                r = arg.loop == LOOP_RUN ? run_one() : sd_event_loop(event);

        writers_free();
        sd_event_source_disable_unref(ready_timer);
        sd_event_source_disable_unref(data.timer);
        sd_event_unref(event);
        for (unsigned i = 0; i < arg.n_components; i++)
                free(arg.components[i].name);
        if (data.fd >= 0)
                close(data.fd);
        if (log_fd >= 0)
                close(log_fd);
        return r < 0 ? 1 : r;
}
