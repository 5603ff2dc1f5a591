/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-util.h - connect to the bus stasisd lives on */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#define BUS_DRIVER_NAME "org.freedesktop.DBus"
#define BUS_DRIVER_PATH "/org/freedesktop/DBus"
#define BUS_LOCAL_NAME  "org.freedesktop.DBus.Local"

/* A match for the bus driver's NameOwnerChanged of name (a string literal). */
#define BUS_OWNER_MATCH(name)                                                                   \
        "type='signal',sender='" BUS_DRIVER_NAME "',path='" BUS_DRIVER_PATH "',interface='"     \
        BUS_DRIVER_NAME "',member='NameOwnerChanged',arg0='" name "'"

/* $STASIS_BUS_ADDRESS, else $DBUS_SYSTEM_BUS_ADDRESS, else NULL (the system bus). */
const char *bus_stasis_address(void);

/* Opens and starts a client connection to address (NULL: the system bus),
 * named description (may be NULL) for sd-bus' logs. */
int bus_open_address(const char *address, const char *description, sd_bus **ret);

/* Opens and starts a connection to bus_stasis_address(), as a client. */
int bus_open_stasis(sd_bus **ret);

/* The message was sent by the bus driver itself. sd-bus does not hold a
 * unicast signal against a match's sender=, so any client can send one that
 * matches NameOwnerChanged: every handler of a bus signal checks this. */
bool bus_message_from_driver(sd_bus_message *m);
/* The message was made by sd-bus itself (Disconnected). */
bool bus_message_is_local(sd_bus_message *m);

/* Asks the bus who owns name: 0 and *ret_owner, NULL if nobody does; or the
 * failure, with error as the bus answered (unset if the answer was malformed). */
int bus_get_name_owner(sd_bus *bus, const char *name, sd_bus_error *error, char **ret_owner);

/* About how many bytes the body of m takes (sd-bus does not say): its
 * strings, arrays and other values, walked from the start; the message is
 * rewound afterwards. Walking is linear in the size, and quick for arrays of
 * fixed-size values. */
size_t bus_message_body_size(sd_bus_message *m);

#define _cleanup_bus_flush_close_unref_ __attribute__((cleanup(sd_bus_flush_close_unrefp)))
#define _cleanup_bus_error_ __attribute__((cleanup(sd_bus_error_free)))
#define _cleanup_bus_message_unref_ __attribute__((cleanup(sd_bus_message_unrefp)))

/* The uid, pid (0 if the bus does not tell) and groups (malloc'ed, may be
 * NULL with 0) the bus has for the connection name: one
 * GetConnectionCredentials call. -ENODATA if the bus gives no uid. */
int bus_connection_credentials(sd_bus *bus, const char *name, uid_t *ret_uid, pid_t *ret_pid,
                               gid_t **ret_gids, size_t *ret_n_gids);
