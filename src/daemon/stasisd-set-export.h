/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-export.h - what the sets show on the bus, and the bound that keeps every reply about them within one bus message */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "stasisd-catalog.h"
#include "stasisd-manager.h"

/* The bus refuses a message larger than 32 MiB (dbus-daemon's
 * max_message_size) and disconnects its sender: stasisd would exit. So the
 * properties of one set, as they are sent (an upper-bound estimate of their
 * serialized size), are at most SET_EXPORT_MAX, and those of all sets
 * together at most SETS_EXPORT_TOTAL_MAX: GetManagedObjects, which sends
 * them all, stays 8 MiB below the bus's limit. */
#define SET_EXPORT_MAX            (1U * 1024U * 1024U)
#define SETS_EXPORT_TOTAL_MAX     (24U * 1024U * 1024U)
/* The Error property, and the reason of one component, in bytes (cut, at a
 * character, with "…"). */
#define SET_ERROR_MAX             1024
#define SET_COMPONENT_REASON_MAX  512
/* Room kept for a snapshot's handle not chosen yet (the in-tree providers'
 * are below 100 bytes). */
#define SET_HANDLE_RESERVE        128

struct SetWriter;

/* The estimate for a set about to be made: with its writers (their
 * components, each with the longest reason it may get). */
size_t set_export_estimate_new(const char *label, const StasisVolume *volumes, size_t n_volumes,
                               const struct SetWriter *writers, size_t n_writers);
/* Fails with LimitExceeded, naming the numbers, if a new set of that
 * estimate would pass the limit of one set or the budget of all sets. */
int set_export_check(Manager *m, size_t size, sd_bus_error *error);

/* Accounts a new set with its estimate (from set_export_estimate_new()). */
void set_export_add(Set *s, size_t size);
/* Estimates the set again from what it holds now (its components made, its
 * handles chosen), and accounts that. */
void set_export_update(Set *s);
/* Gives its share back (when it goes). */
void set_export_release(Set *s);

/* A set loaded from the catalog at start-up (in order, oldest first): within
 * the limit of one set (its components cut if need be), and within what is
 * left of the budget (its components cut, or, if it does not fit even
 * without them, left out of GetManagedObjects). Says so in the log. */
void set_export_load(Set *s);
/* A set went: the sets left out may fit again. */
void sets_export_refit(Manager *m);

/* Appends the Components property: those shown, and a last entry saying how
 * many are not, if any. */
int set_export_append_components(sd_bus_message *reply, Set *s);

/* A component's reason as a set records it, cut to SET_COMPONENT_REASON_MAX. */
char *set_component_reason(const char *writer_display, const char *error);
