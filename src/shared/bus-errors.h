/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-errors.h - the org.stasis1.Error.* names and the errno each maps to */
#pragma once

#include <systemd/sd-bus.h>

/* The names (STASIS_ERROR_*) are public: stasis/stasis.h. */
#include "stasis/stasis.h"

extern const sd_bus_error_map stasis_bus_error_map[];

/* Registers the map with sd-bus so errno and names convert both ways. */
int stasis_bus_error_map_register(void);
