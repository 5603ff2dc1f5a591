/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-util.c - connect to the bus stasisd lives on */
#include <errno.h>
#include <stdint.h>
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

int bus_get_name_owner(sd_bus *bus, const char *name, sd_bus_error *error, char **ret_owner) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        const char *owner;
        char *o;
        int r;

        r = sd_bus_call_method(bus, BUS_DRIVER_NAME, BUS_DRIVER_PATH, BUS_DRIVER_NAME, "GetNameOwner", error,
                               &reply, "s", name);
        if (r < 0 && sd_bus_error_has_name(error, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                sd_bus_error_free(error);
                *ret_owner = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_read(reply, "s", &owner);
        if (r < 0)
                return r;
        o = strdup(owner);
        if (!o)
                return -ENOMEM;
        *ret_owner = o;
        return 0;
}

/* Adds the size of what follows in the current container to *sum. */
static int body_walk(sd_bus_message *m, unsigned depth, size_t *sum) {
        for (;;) {
                const char *contents;
                char type;
                int r = sd_bus_message_peek_type(m, &type, &contents);
                if (r <= 0)
                        return r;
                if (type == SD_BUS_TYPE_ARRAY && contents && strlen(contents) == 1 &&
                    strchr("ybnqiuxtdh", contents[0])) {
                        const void *p;
                        size_t n;
                        r = sd_bus_message_read_array(m, contents[0], &p, &n);
                        if (r < 0)
                                return r;
                        *sum += n + 8;
                } else if (strchr("arve", type)) {
                        if (depth >= 64)
                                return -EBADMSG;
                        r = sd_bus_message_enter_container(m, type, contents);
                        if (r >= 0)
                                r = body_walk(m, depth + 1, sum);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                        *sum += 8;
                } else {
                        union {
                                const char *s;
                                uint64_t u;
                        } v;
                        r = sd_bus_message_read_basic(m, type, &v);
                        if (r < 0)
                                return r;
                        *sum += strchr("sog", type) ? strlen(v.s) + 5 : 8;
                }
        }
}

size_t bus_message_body_size(sd_bus_message *m) {
        size_t sum = 0;
        (void) sd_bus_message_rewind(m, true);
        (void) body_walk(m, 0, &sum);
        (void) sd_bus_message_rewind(m, true);
        return sum;
}

/* The credentials the bus has for the connection name
 * (GetConnectionCredentials): its uid, pid (0 if not told) and groups, its
 * effective and supplementary ones (none if not told; sd-bus does not read
 * them, hence this). A synchronous call to the bus itself, answered by the
 * bus at once. Nothing comes from /proc, where a pid may be another process
 * by now. */
int bus_connection_credentials(sd_bus *bus, const char *name, uid_t *ret_uid, pid_t *ret_pid,
                               gid_t **ret_gids, size_t *ret_n_gids) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        _cleanup_free_ gid_t *gids = NULL;
        uid_t uid = (uid_t) -1;
        pid_t pid = 0;
        size_t n = 0;
        int r;

        if (!name)
                return -ENXIO;
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "GetConnectionCredentials", NULL, &reply, "s", name);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *key;
                uint32_t v;

                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, "UnixUserID")) {
                        r = sd_bus_message_read(reply, "v", "u", &v);
                        uid = (uid_t) v;
                } else if (streq(key, "ProcessID")) {
                        r = sd_bus_message_read(reply, "v", "u", &v);
                        pid = (pid_t) v;
                } else if (streq(key, "UnixGroupIDs")) {
                        const void *a;
                        size_t size = 0;
                        r = sd_bus_message_enter_container(reply, 'v', "au");
                        if (r >= 0)
                                r = sd_bus_message_read_array(reply, 'u', &a, &size);
                        if (r >= 0 && size > 0) {
                                free(gids);
                                gids = malloc(size);
                                if (!gids)
                                        return -ENOMEM;
                                memcpy(gids, a, size);  /* gid_t is 32 bits, like 'u' */
                                n = size / sizeof(uint32_t);
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                } else
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return r;
        if (uid == (uid_t) -1)
                return -ENODATA;
        *ret_uid = uid;
        *ret_pid = pid;
        *ret_gids = TAKE_PTR(gids);
        *ret_n_gids = n;
        return 0;
}
