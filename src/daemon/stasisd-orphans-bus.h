/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-orphans-bus.h - the orphan methods of org.stasis1.Manager */
#pragma once

#include <systemd/sd-bus.h>

/* The Manager methods ListOrphans, RescanOrphans,
 * DeleteOrphan and AdoptOrphans. */
int method_list_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_rescan_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_delete_orphan(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_adopt_orphans(sd_bus_message *msg, void *userdata, sd_bus_error *error);
