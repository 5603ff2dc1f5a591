/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-retention-bus.h - the policy and retention methods of org.stasis1.Manager */
#pragma once

#include <systemd/sd-bus.h>

/* The Manager methods RunPolicy, Cleanup, ListPolicies and ListRemovals,
 * and ListExpiries (the retention columns of ListSets). */
int method_run_policy(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_cleanup(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_policies(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_removals(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_expiries(sd_bus_message *msg, void *userdata, sd_bus_error *error);
