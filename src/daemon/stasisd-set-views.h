/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-views.h - read-only views of a set: its snapshots as detached mounts, attached under one tree */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "stasisd-set.h"

#define SET_VIEWS_SUBDIR "sets"         /* default roots: <runtime dir>/sets/<id> */
#define SET_VIEWS_RECORDS "views"       /* <runtime dir>/views/<id>: what it mounted, for a restart */
#define SET_VIEWS_SCRATCH "scratch"     /* <runtime dir>/scratch/<id>-<index>: providers mount there on the way */

/* Where a set is mounted: state of the set, not a phase (a set is mounted
 * while idle). */
typedef struct SetView {
        char *root;             /* the directory it is attached under */
        bool root_made;         /* root is <runtime dir>/sets/<id>, made for it */
        char **targets;         /* the mounts made, parents first */
        int *target_fds;        /* each one's root (its detached mount fd, kept): unmounted through it */
        char **made;            /* directories made for them, in the order made */
        int ns_fd;              /* the mount namespace it is in, if not stasisd's; else -1 */
} SetView;

/* Opens a detached read-only mount of each snapshot of s, through its
 * provider's mount(); ret_fds[i] (n_volumes of them) for volume i, and
 * ret_order the volumes' indexes sorted by mount point, parents first.
 * Fails with a message naming the volume. */
int set_view_open(Set *s, int *ret_fds, size_t *ret_order, sd_bus_error *error);

/* Attaches the set's snapshots under dir (NULL or "": <runtime dir>/sets/<id>),
 * each at dir/<its mount point>, in the mount namespace ns_fd (the
 * caller's; -1: stasisd's own), which it takes. dir must be an empty
 * directory that uid (the caller) owns, or uid is 0. Nothing stays mounted
 * on failure. */
int set_view_attach(Set *s, const char *dir, uid_t uid, int ns_fd, sd_bus_error *error);

/* 0 if fd is a mount namespace a caller may hand over (Mount's option
 * mount-namespace), else an error. */
int set_views_check_namespace(int fd, sd_bus_error *error);

/* Unmounts the set's view, if any, and removes what was made for it. */
void set_view_detach(Set *s);

/* The bus methods Mount, Unmount and OpenView of org.stasis1.Set, and the
 * MountedAt property. */
int set_views_method_mount(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int set_views_method_unmount(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int set_views_method_open_view(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int set_views_property_mounted_at(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error);
