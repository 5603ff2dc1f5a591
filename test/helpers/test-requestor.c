/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-requestor.c - a requestor that creates an auto-release set and keeps its
 * bus connection open until stdin closes, to test auto-release */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "stasis/stasis.h"

int main(int argc, char *argv[]) {
        sd_bus *bus = NULL;
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        const char *id, *path;
        char buf[64];
        int r;

        if (argc < 2) {
                fprintf(stderr, "usage: test-requestor PATH...\n");
                return 2;
        }
        r = bus_open_stasis(&bus);
        if (r < 0) {
                fprintf(stderr, "test-requestor: cannot connect: %s\n", strerror(-r));
                return 1;
        }
        r = sd_bus_message_new_method_call(bus, &m, STASIS_BUS_NAME, STASIS_MANAGER_PATH,
                                           STASIS_MANAGER_INTERFACE, "CreateSet");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, argv + 1);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "label", "s", "auto-release test");
        if (r >= 0)
                r = sd_bus_call(bus, m, 0, &error, &reply);
        if (r < 0) {
                fprintf(stderr, "test-requestor: CreateSet failed: %s\n", error.message ?: strerror(-r));
                return 1;
        }
        r = sd_bus_message_read(reply, "so", &id, &path);
        if (r < 0)
                return 1;
        printf("%s\n", id);
        fflush(stdout);

        /* Hold the connection until told to go. */
        while (read(STDIN_FILENO, buf, sizeof buf) > 0)
                ;
        sd_bus_message_unref(reply);
        sd_bus_message_unref(m);
        sd_bus_flush_close_unref(bus);
        return 0;
}
