/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-external-bus.h - Manager.FreezeExternal and Manager.ThawExternal */
#pragma once

#include <systemd/sd-bus.h>

/* Handlers for the Manager vtable (userdata: the Manager). */
int method_freeze_external(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_thaw_external(sd_bus_message *msg, void *userdata, sd_bus_error *error);
