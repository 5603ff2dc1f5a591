/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-plain-writer.c - a writer on plain sd-bus, as written before UpdateWriterMetadata existed: it
 * registers, answers every org.stasis1.Writer call with success (Identify with its metadata) and never
 * announces anything. Logs "<writer> <Method>" to stdout per call; runs until SIGTERM.
 *
 * usage: test-plain-writer BUS-ADDRESS WRITER-NAME PATH [EVENTS [METADATA]]
 *
 * With EVENTS (comma-separated, "" for none), it then calls UpdateWriterMetadata once with them and
 * METADATA (default ""), and prints "update: ok GENERATION" or "update: ERROR-NAME: MESSAGE".
 *
 * With PLAIN_WRITER_POST_SNAPSHOT in the environment, it answers PostSnapshot with that backup
 * metadata, unchecked, as a writer not on libstasis could: entries separated by ';', each
 * "v|COMPONENT|NAME|VALUE" or "f|COMPONENT|PATH|SIZE|MODE" (SIZE bytes "m", MODE octal); or "sig"
 * for an answer of the wrong type.
 *
 * With PLAIN_WRITER_CHANNEL=MODE in the environment, it asks for a direct channel
 * (Manager.OpenWriterChannel) after registering, twice (printing "channel: ok" or the error, and
 * "channel again: ERROR-NAME"), and logs "<writer> channel <Event> <set>" per call on it; it answers
 * each as MODE says: "ok" (success), "garbage" (3 bytes), "long" (a packet longer than an answer),
 * "badseq" (a valid answer to a call never sent), "silent" (never), "flood" (the right answer, and
 * then the same again, 100 times). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "writer-channel.h"

static const char *name;
static char metadata[4096];

/* Appends the entries of spec of kind ('v' or 'f') to reply. */
static int append_metadata(sd_bus_message *reply, const char *spec, char kind) {
        char *copy = strdup(spec), *save = NULL;
        int r = copy ? 0 : -ENOMEM;

        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', kind == 'v' ? "(sss)" : "(ssayu)");
        for (char *e = strtok_r(copy, ";", &save); r >= 0 && e; e = strtok_r(NULL, ";", &save)) {
                char *f[5] = {}, *save2 = NULL;
                int n = 0;
                for (char *x = strtok_r(e, "|", &save2); x && n < 5; x = strtok_r(NULL, "|", &save2))
                        f[n++] = x;
                if (n < 4 || f[0][0] != kind)
                        continue;
                if (kind == 'v')
                        r = sd_bus_message_append(reply, "(sss)", f[1], f[2], f[3]);
                else {
                        size_t size = strtoul(f[3], NULL, 10);
                        char *data = malloc(size + 1);
                        if (!data)
                                return -ENOMEM;
                        memset(data, 'm', size);
                        r = sd_bus_message_open_container(reply, 'r', "ssayu");
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "ss", f[1], f[2]);
                        if (r >= 0)
                                r = sd_bus_message_append_array(reply, 'y', data, size);
                        if (r >= 0)
                                r = sd_bus_message_append(reply, "u", (uint32_t) strtoul(f[4] ?: "644", NULL, 8));
                        if (r >= 0)
                                r = sd_bus_message_close_container(reply);
                        free(data);
                }
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        free(copy);
        return r;
}

static int reply_post_snapshot(sd_bus_message *m, const char *spec) {
        sd_bus_message *reply = NULL;
        int r;

        if (strcmp(spec, "sig") == 0)
                return sd_bus_reply_method_return(m, "s", "not metadata");
        r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = append_metadata(reply, spec, 'v');
        if (r >= 0)
                r = append_metadata(reply, spec, 'f');
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        if (r < 0)
                fprintf(stderr, "test-plain-writer: cannot answer PostSnapshot: %s\n", strerror(-r));
        sd_bus_message_unref(reply);
        return r;
}

static int on_call(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m);
        const char *post = getenv("PLAIN_WRITER_POST_SNAPSHOT");

        printf("%s %s\n", name, member);
        fflush(stdout);
        if (strcmp(member, "Identify") == 0)
                return sd_bus_reply_method_return(m, "s", metadata);
        if (strcmp(member, "PostSnapshot") == 0 && post)
                return reply_post_snapshot(m, post);
        return sd_bus_reply_method_return(m, "");
}

/* sd-bus checks an answer against the result signature of its method: PostSnapshot's is
 * none, the metadata's, or (for "sig") a string. */
#define WRITER_VTABLE(name, post_snapshot_result)                                       \
        static const sd_bus_vtable name[] = {                                           \
                SD_BUS_VTABLE_START(0),                                                 \
                SD_BUS_METHOD("Identify", "", "s", on_call, 0),                         \
                SD_BUS_METHOD("PrepareBackup", "sasa{sv}", "", on_call, 0),             \
                SD_BUS_METHOD("PrepareSnapshot", "sasa{sv}", "", on_call, 0),           \
                SD_BUS_METHOD("Freeze", "st", "", on_call, 0),                          \
                SD_BUS_METHOD("Thaw", "s", "", on_call, 0),                             \
                SD_BUS_METHOD("PostSnapshot", "sa(ss)", post_snapshot_result, on_call, 0), \
                SD_BUS_METHOD("BackupComplete", "sa(sb)", "", on_call, 0),              \
                SD_BUS_METHOD("Abort", "ss", "", on_call, 0),                           \
                SD_BUS_METHOD("PreRestore", "sasa{sv}", "", on_call, 0),                \
                SD_BUS_METHOD("PostRestore", "sasba{sv}", "", on_call, 0),              \
                SD_BUS_VTABLE_END,                                                      \
        }
WRITER_VTABLE(writer_vtable, "");
WRITER_VTABLE(writer_vtable_metadata, "a(sss)a(ssayu)");
WRITER_VTABLE(writer_vtable_sig, "s");


static int on_channel(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        const char *mode = userdata;
        char buf[sizeof(WriterChannelCall) + 1], big[sizeof(WriterChannelAnswer) + 64];
        WriterChannelCall c;
        WriterChannelAnswer a;
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);

        if (n < 0)
                return 0;
        if (n == 0 || writer_channel_call_parse(buf, (size_t) n, &c, NULL, 0) < 0) {
                printf("%s channel closed or malformed\n", name);
                fflush(stdout);
                sd_event_source_disable_unref(es);
                return 0;
        }
        printf("%s channel %s %s\n", name, c.event == STASIS_EVENT_FREEZE ? "Freeze" : "Thaw", c.set_id);
        fflush(stdout);
        if (strcmp(mode, "garbage") == 0)
                (void) send(fd, "xyz", 3, MSG_NOSIGNAL);
        else if (strcmp(mode, "long") == 0) {
                memset(big, 'x', sizeof big);
                (void) send(fd, big, sizeof big, MSG_NOSIGNAL);
        } else if (strcmp(mode, "badseq") == 0) {
                writer_channel_answer_init(&a, c.seq + 1000, WRITER_CHANNEL_OK, "");
                (void) send(fd, &a, sizeof a, MSG_NOSIGNAL);
        } else if (strcmp(mode, "ok") == 0) {
                writer_channel_answer_init(&a, c.seq, WRITER_CHANNEL_OK, "");
                (void) send(fd, &a, sizeof a, MSG_NOSIGNAL);
        } else if (strcmp(mode, "flood") == 0) {
                writer_channel_answer_init(&a, c.seq, WRITER_CHANNEL_OK, "");
                for (int i = 0; i < 101; i++)
                        if (send(fd, &a, sizeof a, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
                                break;
        }
        return 0;
}

/* OpenWriterChannel: the fd (a copy), or <0 having printed the error. */
static int open_channel(sd_bus *bus, const char *what) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int fd = -1, r;

        r = sd_bus_call_method(bus, "org.stasis1", "/org/stasis1", "org.stasis1.Manager", "OpenWriterChannel",
                               &error, &reply, "o", "/org/stasis1/writer");
        if (r < 0)
                printf("%s: %s: %s\n", what, error.name, error.message);
        else if (sd_bus_message_read(reply, "h", &fd) >= 0 && (fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) >= 0)
                printf("%s: ok\n", what);
        fflush(stdout);
        sd_bus_message_unref(reply);
        sd_bus_error_free(&error);
        return r < 0 ? r : fd;
}

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
                r = sd_bus_add_object_vtable(bus, NULL, "/org/stasis1/writer", "org.stasis1.Writer",
                                             !getenv("PLAIN_WRITER_POST_SNAPSHOT") ? writer_vtable :
                                             strcmp(getenv("PLAIN_WRITER_POST_SNAPSHOT"), "sig") == 0 ?
                                             writer_vtable_sig : writer_vtable_metadata, NULL);
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
        if (getenv("PLAIN_WRITER_CHANNEL")) {
                int fd = open_channel(bus, "channel");
                if (fd >= 0) {
                        (void) open_channel(bus, "channel again");
                        r = sd_event_add_io(event, NULL, fd, EPOLLIN, on_channel, getenv("PLAIN_WRITER_CHANNEL"));
                        if (r < 0)
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
