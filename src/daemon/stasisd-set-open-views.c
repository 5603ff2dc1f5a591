/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-open-views.c - the views OpenView hands out: who holds them, until they are closed or their holder leaves the bus */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "log.h"
#include "macro.h"
#include "stasisd-set-open-views.h"
#include "stasisd-set.h"

/* Holders named in a description; the others are counted. */
#define DESCRIBE_HOLDERS_MAX 4

static void emit_changed(Set *s) {
        if (s->manager && s->manager->bus && s->object_path)
                (void) sd_bus_emit_properties_changed(s->manager->bus, s->object_path, STASIS_SET_INTERFACE,
                                                      "OpenViews", NULL);
}

static SetOpenView *find(const Set *s, const char *holder, size_t *ret_index) {
        for (size_t i = 0; i < s->n_open_view_holders; i++)
                if (streq(s->open_views[i]->holder, holder)) {
                        if (ret_index)
                                *ret_index = i;
                        return s->open_views[i];
                }
        return NULL;
}

static unsigned held_by(Manager *m, const char *holder) {
        unsigned n = 0;
        if (m->n_open_views == 0)
                return 0;
        LIST_FOREACH(sets, s, m->sets) {
                SetOpenView *v = find(s, holder, NULL);
                if (v)
                        n += v->n;
        }
        return n;
}

static unsigned held_by_uid(Manager *m, uid_t uid) {
        unsigned n = 0;
        if (m->n_open_views == 0)
                return 0;
        LIST_FOREACH(sets, s, m->sets)
                for (size_t i = 0; i < s->n_open_view_holders; i++)
                        if (s->open_views[i]->uid == uid)
                                n += s->open_views[i]->n;
        return n;
}

/* Drops entry i of s (n views), without telling the bus. */
static void drop(Set *s, size_t i) {
        SetOpenView *v = s->open_views[i];

        assert(s->n_open_views >= v->n);
        s->n_open_views -= v->n;
        if (s->manager) {
                assert(s->manager->n_open_views >= v->n);
                s->manager->n_open_views -= v->n;
        }
        free(v->holder);
        free(v);
        s->open_views[i] = s->open_views[--s->n_open_view_holders];
        if (s->n_open_view_holders == 0)
                s->open_views = mfree(s->open_views);
}

/* An auto-release set whose requestor left goes once the last view of
 * others is closed. s may be gone when this returns. */
static void maybe_release(Set *s) {
        if (!s->release_after_views || s->n_open_views > 0)
                return;
        s->release_after_views = false;
        log_info("Set %s: its last open view is closed and its requestor left; releasing it.", s->id);
        (void) set_delete(s, NULL, NULL);
}

int set_open_views_check(Set *s, const char *holder, const AuthCaller *caller, sd_bus_error *error) {
        SetOpenView *v = find(s, holder, NULL);
        Manager *m = s->manager;

        if (v && v->n >= SET_OPEN_VIEWS_PER_SET_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "This connection holds %u open views "
                                         "of snapshot set %s already, its most; close one first (CloseView)",
                                         v->n, s->id);
        unsigned n = held_by(m, holder);
        if (n >= SET_OPEN_VIEWS_PER_CONNECTION_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "This connection holds %u open views "
                                         "already, its most; close one first (CloseView)", n);
        if (caller->uid != 0 && (n = held_by_uid(m, caller->uid)) >= SET_OPEN_VIEWS_PER_USER_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "The connections of uid %u hold %u open "
                                         "views already, the most for a user other than root; close some first "
                                         "(CloseView)", (unsigned) caller->uid, n);
        if (m->n_open_views >= SET_OPEN_VIEWS_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED, "stasisd tracks %u open views already, "
                                         "its most; try again when some are closed", m->n_open_views);
        return 0;
}

/* A holder cannot have left before its view is recorded: the call is
 * handled before the bus's NameOwnerChanged, and a call put off (a hold,
 * its turn among the callers) is dropped when its caller leaves, or fails
 * the check of its caller's credentials. */
int set_open_views_add(Set *s, const char *holder, const AuthCaller *caller) {
        SetOpenView *v = find(s, holder, NULL);

        if (!v) {
                SetOpenView **l = realloc(s->open_views, (s->n_open_view_holders + 1) * sizeof(SetOpenView *));
                if (!l)
                        return -ENOMEM;
                s->open_views = l;
                v = calloc(1, sizeof(SetOpenView));
                if (!v || !(v->holder = strdup(holder))) {
                        free(v);
                        return -ENOMEM;
                }
                v->pid = caller ? caller->pid : 0;
                v->uid = caller ? caller->uid : 0;
                s->open_views[s->n_open_view_holders++] = v;
        }
        v->n++;
        s->n_open_views++;
        s->manager->n_open_views++;
        emit_changed(s);
        return 0;
}

const char *set_open_views_describe(const Set *s, const char *except, char *buf, size_t size) {
        unsigned n = 0, named = 0, others = 0;
        size_t len;

        for (size_t i = 0; i < s->n_open_view_holders; i++)
                if (!except || !streq(s->open_views[i]->holder, except))
                        n += s->open_views[i]->n;
        if (n == 0)
                return NULL;
        len = (size_t) snprintf(buf, size, "%u open view%s, held by", n, n == 1 ? "" : "s");
        for (size_t i = 0; i < s->n_open_view_holders; i++) {
                const SetOpenView *v = s->open_views[i];
                if (except && streq(v->holder, except))
                        continue;
                if (named == DESCRIBE_HOLDERS_MAX) {
                        others++;
                        continue;
                }
                if (len < size)
                        len += (size_t) snprintf(buf + len, size - len, "%s %s", named ? "," : "", v->holder);
                if (len < size && v->pid > 0)
                        len += (size_t) snprintf(buf + len, size - len, " (pid %d)", (int) v->pid);
                named++;
        }
        if (others > 0 && len < size)
                (void) snprintf(buf + len, size - len, " and %u other connection%s", others, others == 1 ? "" : "s");
        return buf;
}

void set_open_views_forget(Set *s, const char *holder) {
        size_t i;
        bool changed = false;

        if (!holder) {
                changed = s->n_open_view_holders > 0;
                while (s->n_open_view_holders > 0)
                        drop(s, s->n_open_view_holders - 1);
        } else if (find(s, holder, &i)) {
                drop(s, i);
                changed = true;
        }
        if (changed)
                emit_changed(s);
}

void set_open_views_free(Set *s) {
        while (s->n_open_view_holders > 0)
                drop(s, s->n_open_view_holders - 1);
}

void manager_open_views_holder_gone(Manager *m, const char *holder) {
        if (m->n_open_views == 0)
                return;
        LIST_FOREACH_SAFE(sets, s, next, m->sets) {
                size_t i;
                SetOpenView *v = find(s, holder, &i);
                if (!v)
                        continue;
                log_info("Set %s: %s left the bus; its %u open view(s) forgotten.", s->id, holder, v->n);
                drop(s, i);
                emit_changed(s);
                maybe_release(s);
        }
}

/* ---- The bus ---- */

int set_open_views_remove_one(Set *s, const char *holder) {
        size_t i;
        SetOpenView *v = holder ? find(s, holder, &i) : NULL;

        if (!v)
                return -ENOENT;
        if (v->n == 1)
                drop(s, i);
        else {
                v->n--;
                s->n_open_views--;
                s->manager->n_open_views--;
        }
        emit_changed(s);
        return 0;
}

int set_open_views_method_close(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        const char *holder = sd_bus_message_get_sender(msg);
        int r;

        /* Only the caller's own record is touched: no right is needed. */
        if (set_open_views_remove_one(s, holder) < 0)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT, "This connection holds no open view "
                                         "of snapshot set %s", s->id);
        log_info("Set %s: view closed by %s.", s->id, holder);
        r = sd_bus_reply_method_return(msg, "");
        maybe_release(s);
        return r;
}

int set_open_views_method_forget(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        int r = auth_check(s->manager, msg, AUTH_DELETE_SET, NULL, error);
        if (r != 0)
                return r;
        if (s->n_open_views > 0)
                log_info("Set %s: its %u open view(s) forgotten, as %s asked.", s->id, s->n_open_views,
                         strna(sd_bus_message_get_sender(msg)));
        set_open_views_forget(s, NULL);
        r = sd_bus_reply_method_return(msg, "");
        maybe_release(s);
        return r;
}

int set_open_views_property(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Set *s = userdata;
        uint32_t n = s->n_open_views;
        return sd_bus_message_append_basic(reply, 'u', &n);
}
