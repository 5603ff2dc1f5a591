/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-plain-writer.c - a writer on plain sd-bus, as written before UpdateWriterMetadata existed: it
 * registers, answers every org.stasis1.Writer call with success (Identify with its metadata) and never
 * announces anything. Logs "<writer> <Method>" to stdout per call; runs until SIGTERM.
 *
 * usage: test-plain-writer BUS-ADDRESS WRITER-NAME PATH [EVENTS [METADATA]]
 *
 * With EVENTS (comma-separated, "" for none), it then calls UpdateWriterMetadata once with them and
 * METADATA (default ""), and prints "update: ok GENERATION" or "update: ERROR-NAME: MESSAGE". */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

static const char *name;
static char metadata[4096];

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m);

        printf("%s %s\n", name, member);
        fflush(stdout);
        if (strcmp(member, "Identify") == 0)
                return sd_bus_reply_method_return(m, "s", metadata);
        return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable writer_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("Identify", "", "s", on_call, 0),
        SD_BUS_METHOD("PrepareBackup", "sasa{sv}", "", on_call, 0),
        SD_BUS_METHOD("PrepareSnapshot", "sasa{sv}", "", on_call, 0),
        SD_BUS_METHOD("Freeze", "st", "", on_call, 0),
        SD_BUS_METHOD("Thaw", "s", "", on_call, 0),
        SD_BUS_METHOD("PostSnapshot", "sa(ss)", "", on_call, 0),
        SD_BUS_METHOD("BackupComplete", "sa(sb)", "", on_call, 0),
        SD_BUS_METHOD("Abort", "ss", "", on_call, 0),
        SD_BUS_METHOD("PreRestore", "sasa{sv}", "", on_call, 0),
        SD_BUS_METHOD("PostRestore", "sasba{sv}", "", on_call, 0),
        SD_BUS_VTABLE_END,
};

/* UpdateWriterMetadata(path, metadata, events); prints its answer. */
static int update(sd_bus *bus, const char *events, const char *json) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        char buf[1024], *save = NULL;
        uint64_t generation;
        int r;

        snprintf(buf, sizeof buf, "%s", events);
        r = sd_bus_message_new_method_call(bus, &m, "org.stasis1", "/org/stasis1", "org.stasis1.Manager",
                                           "UpdateWriterMetadata");
        if (r >= 0)
                r = sd_bus_message_append(m, "os", "/org/stasis1/writer", json);
        if (r >= 0)
                r = sd_bus_message_open_container(m, 'a', "s");
        for (char *e = strtok_r(buf, ",", &save); r >= 0 && e; e = strtok_r(NULL, ",", &save))
                r = sd_bus_message_append(m, "s", e);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                goto finish;
        r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0)
                printf("update: %s: %s\n", error.name, error.message);
        else if (sd_bus_message_read(reply, "t", &generation) >= 0)
                printf("update: ok %llu\n", (unsigned long long) generation);
        r = 0;
finish:
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        sd_bus_error_free(&error);
        return r;
}

int main(int argc, char *argv[]) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_event *event = NULL;
        sd_bus *bus = NULL;
        sigset_t mask;
        int r;

        if (argc < 4 || argc > 6) {
                fprintf(stderr, "usage: test-plain-writer BUS-ADDRESS WRITER-NAME PATH [EVENTS [METADATA]]\n");
                return 2;
        }
        name = argv[2];
        snprintf(metadata, sizeof metadata,
                 "{\"version\":1,\"writer\":\"%s\",\"components\":[{\"name\":\"data\",\"paths\":[\"%s\"]}]}",
                 argv[2], argv[3]);
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_bus_new(&bus);
        if (r >= 0)
                r = sd_bus_set_address(bus, argv[1]);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/stasis1/writer", "org.stasis1.Writer", writer_vtable,
                                             NULL);
        if (r >= 0)
                r = sd_bus_call_method(bus, "org.stasis1", "/org/stasis1", "org.stasis1.Manager", "RegisterWriter",
                                       &error, NULL, "os", "/org/stasis1/writer", metadata);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, 0);
        if (r >= 0)
                r = sd_bus_set_exit_on_disconnect(bus, 1);
        if (r < 0) {
                fprintf(stderr, "test-plain-writer: %s\n", error.message ?: strerror(-r));
                return 1;
        }
        if (argc > 4) {
                r = update(bus, argv[4], argc > 5 ? argv[5] : "");
                if (r < 0) {
                        fprintf(stderr, "test-plain-writer: %s\n", strerror(-r));
                        return 1;
                }
        }
        printf("%s registered\n", name);
        fflush(stdout);
        r = sd_event_loop(event);
        sd_bus_flush_close_unref(bus);
        sd_event_unref(event);
        sd_bus_error_free(&error);
        return r < 0;
}
