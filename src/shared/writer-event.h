/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-event.h - the names of the org.stasis1.Writer events, for stasisd and libstasis */
#pragma once

#include "stasis/stasis.h"

/* "Identify", "PrepareBackup", ... as the methods are called on the bus;
 * NULL for a value out of range. */
const char *writer_event_name(StasisWriterEvent e);
