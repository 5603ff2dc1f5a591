/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-flood.c - root's ListSets while unprivileged connections flood stasisd with calls.
 *
 * Two roles in one program. `bench-flood flood` (run as an unprivileged user)
 * opens N connections to stasisd and keeps D calls of one kind out on each,
 * sending the next as each answer comes, until its time is up; it prints how
 * many calls were answered and how many were refused with each error name.
 * `bench-flood measure` (run as root) times N ListSets calls, one after the
 * other, and prints their median and 90th percentile in microseconds.
 * run-bench-flood.sh alternates the two: root's ListSets idle, then under
 * each kind of flood, side by side in one run, and prints the ratios. Nothing
 * here gates on a time. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-util.h"
#include "macro.h"
#include "stasis/stasis.h"

#define CONNECTIONS_MAX 256
#define ERRORS_MAX 8

static unsigned arg_connections = 16;
static unsigned arg_depth = 16;
static unsigned arg_count = 200;
static double arg_seconds = 5;
static const char *arg_call = "ListSets";
static bool arg_errors = false;
static size_t arg_arg_bytes = 1;
static char *big_id;

typedef struct Flooder {
        sd_bus *bus;
        unsigned out;
} Flooder;

static struct {
        uint64_t answered, refused;
        struct { char name[128]; char message[256]; uint64_t n; } errors[ERRORS_MAX];
        unsigned n_errors;
        bool stopping;
} stats;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

static void count_error(const char *name, const char *message) {
        for (unsigned i = 0; i < stats.n_errors; i++)
                if (streq(stats.errors[i].name, name)) {
                        stats.errors[i].n++;
                        return;
                }
        if (stats.n_errors < ERRORS_MAX) {
                snprintf(stats.errors[stats.n_errors].name, sizeof stats.errors[0].name, "%s", name);
                snprintf(stats.errors[stats.n_errors].message, sizeof stats.errors[0].message, "%s", strempty(message));
                stats.errors[stats.n_errors++].n = 1;
        }
}

static int send_one(Flooder *f);

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Flooder *f = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);

        f->out--;
        if (e) {
                stats.refused++;
                count_error(e->name, e->message);
        } else
                stats.answered++;
        if (!stats.stopping)
                (void) send_one(f);
        return 0;
}

/* One call of the chosen kind; all of them are open to every user, except
 * CreateSet, which is refused (AccessDenied) after stasisd asked the bus who
 * the caller is. */
static int send_one(Flooder *f) {
        int r;

        if (streq(arg_call, "ListSets") || streq(arg_call, "ListWriters"))
                r = sd_bus_call_method_async(f->bus, NULL, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                             STASIS_MANAGER_INTERFACE, arg_call, on_reply, f, "");
        else if (streq(arg_call, "GetManagedObjects"))
                r = sd_bus_call_method_async(f->bus, NULL, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                             "org.freedesktop.DBus.ObjectManager", "GetManagedObjects",
                                             on_reply, f, "");
        else if (streq(arg_call, "Introspect"))
                r = sd_bus_call_method_async(f->bus, NULL, STASIS_BUS_NAME, STASIS_SET_PATH_PREFIX,
                                             "org.freedesktop.DBus.Introspectable", "Introspect", on_reply, f, "");
        else if (streq(arg_call, "GetAll"))
                r = sd_bus_call_method_async(f->bus, NULL, STASIS_BUS_NAME, STASIS_SET_PATH_PREFIX "/1",
                                             "org.freedesktop.DBus.Properties", "GetAll", on_reply, f, "s",
                                             STASIS_SET_INTERFACE);
        else if (streq(arg_call, "GetSet"))
                r = sd_bus_call_method_async(f->bus, NULL, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                             STASIS_MANAGER_INTERFACE, "GetSet", on_reply, f, "s", big_id);
        else if (streq(arg_call, "CreateSet"))
                r = sd_bus_call_method_async(f->bus, NULL, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                             STASIS_MANAGER_INTERFACE, "CreateSet", on_reply, f, "asa{sv}", 1,
                                             "/", 0);
        else
                return -EINVAL;
        if (r < 0)
                return r;
        f->out++;
        return 0;
}

static int on_time_up(sd_event_source *s, uint64_t usec, void *userdata) {
        stats.stopping = true;
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int flood(void) {
        Flooder f[CONNECTIONS_MAX] = {};
        sd_event *event = NULL;
        int r;

        r = sd_event_default(&event);
        if (r < 0)
                return r;
        big_id = malloc(arg_arg_bytes + 1);
        if (!big_id)
                return -ENOMEM;
        memset(big_id, 'x', arg_arg_bytes);
        big_id[arg_arg_bytes] = 0;
        for (unsigned i = 0; i < arg_connections; i++) {
                r = bus_open_stasis(&f[i].bus);
                if (r < 0) {
                        fprintf(stderr, "bench-flood: cannot connect: %s\n", strerror(-r));
                        return r;
                }
                r = sd_bus_attach_event(f[i].bus, event, 0);
                for (unsigned j = 0; r >= 0 && j < arg_depth; j++)
                        r = send_one(&f[i]);
                if (r < 0) {
                        fprintf(stderr, "bench-flood: cannot send %s: %s\n", arg_call, strerror(-r));
                        return r;
                }
        }
        r = sd_event_add_time_relative(event, NULL, CLOCK_MONOTONIC, (uint64_t) (arg_seconds * 1e6), 1000,
                                       on_time_up, NULL);
        if (r >= 0)
                r = sd_event_loop(event);
        printf("%s: %" PRIu64 " answered, %" PRIu64 " refused", arg_call, stats.answered, stats.refused);
        for (unsigned i = 0; i < stats.n_errors; i++)
                printf("%s %s %" PRIu64, i == 0 ? " (" : ",", stats.errors[i].name, stats.errors[i].n);
        printf("%s\n", stats.n_errors > 0 ? ")" : "");
        for (unsigned i = 0; arg_errors && i < stats.n_errors; i++)
                printf("%s: %s\n", stats.errors[i].name, stats.errors[i].message);
        for (unsigned i = 0; i < arg_connections; i++)
                sd_bus_flush_close_unref(f[i].bus);
        sd_event_unref(event);
        free(big_id);
        return r < 0 ? r : 0;
}

static int cmp_u64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
        return x < y ? -1 : x > y;
}

static int measure(void) {
        _cleanup_free_ uint64_t *t = calloc(arg_count, sizeof(uint64_t));
        sd_bus *bus = NULL;
        int r;

        if (!t)
                return -ENOMEM;
        r = bus_open_stasis(&bus);
        if (r < 0) {
                fprintf(stderr, "bench-flood: cannot connect: %s\n", strerror(-r));
                return r;
        }
        uint64_t deadline = now_usec() + (uint64_t) (arg_seconds * 1e6);
        unsigned n = 0;
        for (; n < arg_count && (n < 5 || now_usec() < deadline); n++) {
                unsigned i = n;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                sd_bus_message *reply = NULL;
                uint64_t start = now_usec();

                r = sd_bus_call_method(bus, STASIS_BUS_NAME, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE,
                                       "ListSets", &error, &reply, "");
                t[i] = now_usec() - start;
                sd_bus_message_unref(reply);
                if (r < 0) {
                        fprintf(stderr, "bench-flood: ListSets: %s\n", error.message ?: strerror(-r));
                        sd_bus_error_free(&error);
                        sd_bus_flush_close_unref(bus);
                        return r;
                }
        }
        sd_bus_flush_close_unref(bus);
        qsort(t, n, sizeof(uint64_t), cmp_u64);
        printf("%" PRIu64 " %" PRIu64 " %u\n", t[n / 2], t[n * 9 / 10], n);
        return 0;
}

static void help(void) {
        printf("bench-flood flood [--connections N] [--depth D] [--seconds S] [--call CALL] [--errors]\n"
               "                  [--arg-bytes B]\n"
               "bench-flood measure [--count N] [--seconds S]\n\n"
               "flood:   N connections (16) keep D calls (16) out each for S seconds (5);\n"
               "         CALL is ListSets, ListWriters, GetManagedObjects, Introspect, GetAll\n"
               "         (of set 1), GetSet (of an id of B bytes, 1) or CreateSet (refused unless\n"
               "         root). Prints the answers\n"
               "         (--errors: and the first message of each error).\n"
               "measure: times N ListSets calls (200), or as many as S seconds allow (at least\n"
               "         5), and prints the median, the 90th percentile (microseconds) and N.\n");
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "help",        no_argument,       NULL, 'h' },
                { "connections", required_argument, NULL, 'c' },
                { "depth",       required_argument, NULL, 'd' },
                { "seconds",     required_argument, NULL, 's' },
                { "call",        required_argument, NULL, 'C' },
                { "count",       required_argument, NULL, 'n' },
                { "errors",      no_argument,       NULL, 'e' },
                { "arg-bytes",   required_argument, NULL, 'b' },
                {}
        };
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h': help(); return 0;
                case 'c': arg_connections = (unsigned) strtoul(optarg, NULL, 10); break;
                case 'd': arg_depth = (unsigned) strtoul(optarg, NULL, 10); break;
                case 's': arg_seconds = strtod(optarg, NULL); break;
                case 'C': arg_call = optarg; break;
                case 'n': arg_count = (unsigned) strtoul(optarg, NULL, 10); break;
                case 'e': arg_errors = true; break;
                case 'b': arg_arg_bytes = strtoul(optarg, NULL, 10); break;
                default: return 2;
                }
        if (optind != argc - 1 || arg_connections == 0 || arg_connections > CONNECTIONS_MAX || arg_depth == 0 ||
            arg_count == 0 || arg_count > 100000 || !(arg_seconds > 0 && arg_seconds <= 600) || arg_arg_bytes == 0 ||
            arg_arg_bytes > 32 * 1024 * 1024) {
                help();
                return 2;
        }
        if (streq(argv[optind], "flood"))
                r = flood();
        else if (streq(argv[optind], "measure"))
                r = measure();
        else {
                help();
                return 2;
        }
        return r < 0 ? 1 : 0;
}
