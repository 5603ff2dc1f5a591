/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-external.c - external sets: writers frozen while someone else (a hypervisor) snapshots */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "log.h"
#include "macro.h"
#include "stasisd-set-bus.h"
#include "stasisd-set-commit.h"
#include "stasisd-set-external.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"

Set *manager_external_set(Manager *m) {
        assert(m);
        LIST_FOREACH(sets, s, m->sets)
                if (s->external && set_phase_busy(s->phase))
                        return s;
        return NULL;
}

Set *manager_last_external_set(Manager *m) {
        Set *last = NULL;

        assert(m);
        LIST_FOREACH(sets, s, m->sets)
                if (s->external)
                        last = s;
        return last;
}

/* Nothing may write to a file system while the agent holds them frozen:
 * the log is held back and catalog writes wait (as in a commit's hold). */
static void external_hold(Set *s, bool on) {
        Manager *m = s->manager;

        if (on && !m->holding) {
                m->holding = true;
                log_hold();
        } else if (!on && m->holding) {
                m->holding = false;
                log_release();
        }
}

static int reply_frozen(Set *s) {
        _cleanup_bus_message_unref_ sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(s->pending, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "so", s->id, s->object_path);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && i < s->n_writers; i++) {
                const SetWriter *sw = &s->writers[i];
                if (sw->frozen)
                        continue;
                r = sd_bus_message_append(reply, "(ss)", sw->writer->display,
                                          sw->failed ? strempty(sw->error) : "did not freeze");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        s->pending = sd_bus_message_unref(s->pending);
        return r;
}

static int on_window_end(sd_event_source *es, uint64_t usec, void *userdata) {
        Set *s = userdata;
        char why[128];

        s->external_timer = sd_event_source_disable_unref(s->external_timer);
        snprintf(why, sizeof why, "the freeze window of %" PRIu64 " ms passed before the thaw",
                 s->freeze_window / USEC_PER_MSEC);
        free(s->external_failed);
        s->external_failed = strdup(why);
        external_hold(s, false);
        log_error("Set %s: %s; thawing its writers.", s->id, why);
        /* Writers still frozen fail (libstasis thawed them by itself at the same limit). */
        set_writers_check_window(s);
        TAKE_PTR(s->step_done)(s);
        return 0;
}

void set_external_frozen(Set *s, set_step_done_t done) {
        Manager *m = s->manager;
        size_t n_frozen = 0;
        int r;

        assert(s->external);
        assert(done);
        if (s->n_writers == 0) {
                /* No Freeze was sent: the window starts now. */
                s->freeze_window = s->external_window ? MIN(s->external_window, m->freeze_window) : m->freeze_window;
                s->freeze_started = now_usec(CLOCK_MONOTONIC);
                s->freeze_deadline = s->freeze_started + s->freeze_window;
        }
        set_enter(s, SET_PHASE_EXTERNAL_FROZEN);
        s->commit = (CommitResult) { .outcome = COMMIT_SUCCEEDED };
        s->step_done = done;
        for (size_t i = 0; i < s->n_writers; i++)
                n_frozen += s->writers[i].frozen;
        log_info("Set %s: %zu of %zu writer(s) frozen; the snapshots are someone else's now (window %" PRIu64 " ms).",
                 s->id, n_frozen, s->n_writers, s->freeze_window / USEC_PER_MSEC);
        r = sd_event_add_time(m->event, &s->external_timer, CLOCK_MONOTONIC, s->freeze_deadline + 1, 1,
                              on_window_end, s);
        if (r < 0)
                log_error_errno(r, "Set %s: cannot arm the end of its freeze window (the writers' own limit "
                                "still thaws them): %m", s->id);
        external_hold(s, true);
        r = reply_frozen(s);
        if (r < 0)
                /* The hook will not thaw a set it was not told of: the window does. */
                log_error_errno(r, "Set %s: cannot answer FreezeExternal: %m", s->id);
        if (s->external_thaw) {
                /* The thaw came first: the caller of FreezeExternal gave up waiting and the agent
                 * went on without it. Thaw at once rather than at the end of the window. */
                _cleanup_bus_message_unref_ sd_bus_message *msg = TAKE_PTR(s->external_thaw);
                log_info("Set %s: its thaw came while its writers froze; thawing them now.", s->id);
                (void) set_external_thaw(s, msg);
        }
}

int set_external_thaw_later(Set *s, sd_bus_message *msg, sd_bus_error *error) {
        assert(s);
        assert(set_phase_making(s->phase));

        if (s->external_thaw)
                return sd_bus_error_setf(error, STASIS_ERROR_BUSY,
                                         "External set %s is still freezing its writers and a thaw already "
                                         "waits for it", s->id);
        s->external_thaw = sd_bus_message_ref(msg);
        log_info("Set %s: thaw asked for while its writers are still being frozen; it follows their freeze.",
                 s->id);
        return 1;
}

int set_external_thaw(Set *s, sd_bus_message *msg) {
        assert(s);
        assert(s->phase == SET_PHASE_EXTERNAL_FROZEN);

        s->external_timer = sd_event_source_disable_unref(s->external_timer);
        s->pending = sd_bus_message_ref(msg);
        external_hold(s, false);
        log_info("Set %s: thaw after %.1f ms frozen.", s->id,
                 (double) (now_usec(CLOCK_MONOTONIC) - s->freeze_started) / USEC_PER_MSEC);
        TAKE_PTR(s->step_done)(s);
        return 1;
}

static const char *external_consistency(const Set *s) {
        if (s->external_failed || s->n_components == 0)
                return "crash-consistent";
        for (size_t i = 0; i < s->n_components; i++)
                if (!streq(s->components[i].consistency, "application"))
                        return "crash-consistent";
        return "application";
}

void set_external_finished(Set *s) {
        Manager *m = s->manager;
        const char *consistency;

        assert(s->external);
        assert(m->committing == s);

        set_writers_finish(s, s->external_failed);     /* Abort to all if it failed; the components */
        consistency = external_consistency(s);
        s->window_usec = now_usec(CLOCK_MONOTONIC) - s->turn_started;
        (void) set_record_created(s, consistency);     /* logged; the set stays in memory */
        if (s->external_failed) {
                set_record_state(s, SET_FAILED, NULL);
                set_set_error(s, s->external_failed);
                set_reply_error(s, STASIS_ERROR_TIMEOUT, "Thawing", s->external_failed);
        }
        set_enter(s, SET_PHASE_IDLE);
        if (s->pending) {
                (void) sd_bus_reply_method_return(s->pending, "so", s->id, s->object_path);
                s->pending = sd_bus_message_unref(s->pending);
        }
        set_bus_emit_changed(s);
        log_info("Set %s %s: external, %s.", s->id, s->external_failed ? "failed" : "created", consistency);
        m->committing = NULL;
        manager_hold_ended(m);
        manager_commit_next(m);
}
