/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-fake-coordinator.c - stands in for stasisd in tests of libstasis writers: owns org.stasis1,
 * takes registrations, and calls writers' events as told on stdin, from its own connection */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-util.h"
#include "macro.h"
#include "stasis/stasis.h"

#define LINE_MAX_LEN 8192
#define CALL_TIMEOUT_USEC (120 * 1000000ULL)

static sd_bus *bus;
static const char *refuse;
static char line[LINE_MAX_LEN];
static size_t line_len;

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

_printf_(1, 2)
static void out(const char *format, ...) {
        va_list ap;

        printf("%" PRIu64 " ", now_usec());
        va_start(ap, format);
        vprintf(format, ap);
        va_end(ap);
        putchar('\n');
        fflush(stdout);
}

/* ---- The Manager side: registrations ---- */

static int method_register(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *path, *metadata;
        int r = sd_bus_message_read(m, "os", &path, &metadata);
        if (r < 0)
                return r;
        out("register %s %s %s", sd_bus_message_get_sender(m), path, metadata);
        if (refuse)
                return sd_bus_error_set(error, "org.stasis1.Error.InvalidArgument", refuse);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_unregister(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *path;
        int r = sd_bus_message_read(m, "o", &path);
        if (r < 0)
                return r;
        out("unregister %s %s", sd_bus_message_get_sender(m), path);
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("RegisterWriter", "os", "", method_register, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("UnregisterWriter", "o", "", method_unregister, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END
};

/* ---- The writer side: calls as told on stdin ---- */

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *id = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(m);
        const char *s;

        if (e)
                out("%s error %s %s", id, e->name, strempty(e->message));
        else if (sd_bus_message_read(m, "s", &s) > 0)
                out("%s ok %s", id, s);
        else
                out("%s ok", id);
        return 0;
}

/* "a,b,c" or "-" (none) as an "as". */
static int append_list(sd_bus_message *m, char *list) {
        char *save = NULL;
        int r = sd_bus_message_open_container(m, 'a', "s");

        for (char *p = streq(list, "-") ? NULL : strtok_r(list, ",", &save); r >= 0 && p; p = strtok_r(NULL, ",", &save))
                r = sd_bus_message_append(m, "s", p);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

/* "k=v,k=v" or "-" as "a(ss)" or, with is_bool, "a(sb)". */
static int append_pairs(sd_bus_message *m, char *list, bool is_bool) {
        char *save = NULL;
        int r = sd_bus_message_open_container(m, 'a', is_bool ? "(sb)" : "(ss)");

        for (char *p = streq(list, "-") ? NULL : strtok_r(list, ",", &save); r >= 0 && p; p = strtok_r(NULL, ",", &save)) {
                char *eq = strchr(p, '=');
                if (!eq)
                        return -EINVAL;
                *eq = 0;
                if (is_bool)
                        r = sd_bus_message_append(m, "(sb)", p, (int) streq(eq + 1, "1"));
                else
                        r = sd_bus_message_append(m, "(ss)", p, eq + 1);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

static int append_options(sd_bus_message *m, const char *flag) {
        if (flag && streq(flag, "crash-atomic"))
                return sd_bus_message_append(m, "a{sv}", 1, "crash-atomic", "b", 1);
        return sd_bus_message_append(m, "a{sv}", 0);
}

/* Appends the arguments of method from the words in args (n of them). */
static int append_args(sd_bus_message *m, const char *method, char **args, int n, const char *rest) {
        if (streq(method, "Identify"))
                return 0;
        if (n < 1)
                return -EINVAL;
        int r = sd_bus_message_append(m, "s", args[0]);
        if (r < 0)
                return r;
        if (streq(method, "Thaw"))
                return 0;
        if (streq(method, "Abort"))
                return sd_bus_message_append(m, "s", strempty(rest));
        if (n < 2)
                return -EINVAL;
        if (streq(method, "Freeze"))
                return sd_bus_message_append(m, "t", (uint64_t) strtoull(args[1], NULL, 10));
        if (streq(method, "PostSnapshot"))
                return append_pairs(m, args[1], false);
        if (streq(method, "BackupComplete"))
                return append_pairs(m, args[1], true);
        r = append_list(m, args[1]);
        if (r >= 0 && streq(method, "PostRestore"))
                r = sd_bus_message_append(m, "b", n > 2 && streq(args[2], "1"));
        if (r >= 0)
                r = append_options(m, streq(method, "PostRestore") || n < 3 ? NULL : args[2]);
        return r;
}

/* "ID DEST METHOD ARGS...": Abort takes the rest of the line as its reason. */
static void run_command(char *cmd) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        sd_bus_slot *slot = NULL;
        char *words[8], *save = NULL, *rest = NULL, *id;
        int n = 0, r;

        for (char *p = strtok_r(cmd, " ", &save); p && n < 8; p = strtok_r(NULL, " ", &save)) {
                words[n++] = p;
                if (n == 4 && streq(words[2], "Abort")) {
                        rest = save;
                        break;
                }
        }
        if (n < 3) {
                out("? bad command");
                return;
        }
        id = strdup(words[0]);
        if (!id)
                return;
        r = sd_bus_message_new_method_call(bus, &m, words[1], STASIS_WRITER_PATH, STASIS_WRITER_INTERFACE, words[2]);
        if (r >= 0)
                r = append_args(m, words[2], words + 3, n - 3, rest);
        if (r >= 0)
                r = sd_bus_call_async(bus, &slot, m, on_reply, id, CALL_TIMEOUT_USEC);
        if (r < 0) {
                out("%s error local %s", id, strerror(-r));
                free(id);
                return;
        }
        /* The slot frees id when the call ends, or when the bus closes. */
        sd_bus_slot_set_destroy_callback(slot, free);
        sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
        out("%s sent", id);
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        ssize_t n = read(fd, line + line_len, sizeof line - 1 - line_len);
        char *nl;

        if (n <= 0) {
                sd_event_source_set_enabled(s, SD_EVENT_OFF);   /* EOF: keep serving the bus */
                return 0;
        }
        line_len += (size_t) n;
        line[line_len] = 0;
        while ((nl = strchr(line, '\n'))) {
                *nl = 0;
                if (*line)
                        run_command(line);
                memmove(line, nl + 1, line_len - (size_t) (nl + 1 - line) + 1);
                line_len -= (size_t) (nl + 1 - line);
        }
        if (line_len == sizeof line - 1)
                line_len = 0;   /* an overlong line: dropped */
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

int main(int argc, char *argv[]) {
        sd_event *e = NULL;
        const char *unique;
        sigset_t mask;
        int r;

        if (argc == 3 && streq(argv[1], "--refuse"))
                refuse = argv[2];
        else if (argc != 1) {
                fprintf(stderr, "usage: test-fake-coordinator [--refuse MESSAGE] < COMMANDS\n");
                return 2;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&e);
        if (r >= 0)
                r = bus_open_stasis(&bus);
        if (r >= 0)
                r = sd_bus_attach_event(bus, e, 0);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, STASIS_MANAGER_PATH, STASIS_MANAGER_INTERFACE, manager_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, STASIS_BUS_NAME, 0);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_signal, NULL);
        if (r >= 0)
                r = sd_event_add_io(e, NULL, STDIN_FILENO, EPOLLIN, on_stdin, NULL);
        if (r < 0) {
                fprintf(stderr, "test-fake-coordinator: cannot set up: %s\n", strerror(-r));
                return 1;
        }
        r = sd_bus_get_unique_name(bus, &unique);
        out("ready %s", r >= 0 ? unique : "?");
        r = sd_event_loop(e);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(e);
        return r < 0 ? 1 : 0;
}
