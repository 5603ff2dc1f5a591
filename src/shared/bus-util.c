/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-util.c - connect to the bus stasisd lives on */
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "macro.h"

const char *bus_stasis_address(void) {
        const char *a = getenv("STASIS_BUS_ADDRESS");
        if (!isempty(a))
                return a;
        a = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        if (!isempty(a))
                return a;
        return NULL;
}

int bus_open_address(const char *address, const char *description, sd_bus **ret) {
        sd_bus *bus = NULL;
        int r;

        if (!address)
                return description ? sd_bus_open_system_with_description(ret, description) : sd_bus_open_system(ret);

        r = sd_bus_new(&bus);
        if (r < 0)
                return r;
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
                r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0)
                r = sd_bus_set_trusted(bus, 0);
        if (r >= 0 && description)
                r = sd_bus_set_description(bus, description);
        if (r >= 0)
                r = sd_bus_start(bus);
        if (r < 0) {
                sd_bus_unref(bus);
                return r;
        }
        *ret = bus;
        return 0;
}

int bus_open_stasis(sd_bus **ret) {
        return bus_open_address(bus_stasis_address(), NULL, ret);
}

static bool sender_is(sd_bus_message *m, const char *name) {
        const char *sender = sd_bus_message_get_sender(m);
        return sender && strcmp(sender, name) == 0;
}

bool bus_message_from_driver(sd_bus_message *m) {
        return sender_is(m, BUS_DRIVER_NAME);
}

bool bus_message_is_local(sd_bus_message *m) {
        return sender_is(m, BUS_LOCAL_NAME);
}
