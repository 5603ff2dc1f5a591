/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-open-views.h - the views OpenView hands out: who holds them, until they are closed or their holder leaves the bus */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-bus.h>

#include "stasisd-auth.h"
#include "stasisd-set.h"

/* What one bus connection may hold: views of one set, and of all sets;
 * what the connections of one user other than root may hold together (so
 * that no user can take all the room); and what stasisd keeps in all (each
 * record is a few dozen bytes). */
#define SET_OPEN_VIEWS_PER_SET_MAX         8
#define SET_OPEN_VIEWS_PER_CONNECTION_MAX 32
#define SET_OPEN_VIEWS_PER_USER_MAX      128
#define SET_OPEN_VIEWS_MAX              1024

/* The views of a set that one connection (its unique name) holds. */
typedef struct SetOpenView {
        char *holder;
        pid_t pid;              /* 0 if the bus did not tell */
        uid_t uid;
        unsigned n;
} SetOpenView;

/* 0 if holder (of caller's uid) may have one more view of s, else
 * LimitExceeded naming the limit. */
int set_open_views_check(Set *s, const char *holder, const AuthCaller *caller, sd_bus_error *error);
/* Records one more view of s held by holder (the caller of OpenView). */
int set_open_views_add(Set *s, const char *holder, const AuthCaller *caller);

/* Takes one view of holder off (-ENOENT if it holds none). */
int set_open_views_remove_one(Set *s, const char *holder);
/* The views of s held by others than except (NULL: by anyone), for people:
 * "2 open views, held by :1.7 (pid 12), :1.9 (pid 20)" in buf; NULL if
 * there are none. */
const char *set_open_views_describe(const Set *s, const char *except, char *buf, size_t size);

/* Forgets the views of s held by holder (NULL: all of them). */
void set_open_views_forget(Set *s, const char *holder);
/* Frees the records of s, telling nobody (s goes). */
void set_open_views_free(Set *s);
/* The connection holder left the bus: its views of every set are forgotten. */
void manager_open_views_holder_gone(Manager *m, const char *holder);

/* org.stasis1.Set: CloseView, ForgetViews, and the OpenViews property. */
int set_open_views_method_close(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int set_open_views_method_forget(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int set_open_views_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error);
