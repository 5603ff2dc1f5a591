/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-manager-bus.h - the org.stasis1.Manager interface at /org/stasis1 */
#pragma once

#include <systemd/sd-bus.h>

#include "stasisd-manager.h"

extern const sd_bus_vtable manager_vtable[];
/* Exports the manager, the sets below it and the object manager. */
int manager_bus_export(Manager *m);
