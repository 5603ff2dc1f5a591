/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-bus.h - the org.stasis1.Set interface of each set */
#pragma once

#include <systemd/sd-bus.h>

#include "stasisd-set.h"

extern const sd_bus_vtable set_vtable[];
int set_bus_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                 void **found, sd_bus_error *error);
int set_bus_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
void set_bus_emit_changed(Set *s);
int set_bus_append_volumes(sd_bus_message *reply, Set *s);
