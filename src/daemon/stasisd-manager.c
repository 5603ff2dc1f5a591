/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-manager.c - the coordinator: bus, event loop, catalog and the sets it keeps */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "bus-util.h"
#include "log.h"
#include "macro.h"
#include "path-util.h"
#include "stasis/stasis.h"
#include "stasisd-auth.h"
#include "stasisd-config.h"
#include "stasisd-create-request.h"
#include "stasisd-freeze.h"
#include "stasisd-manager-bus.h"
#include "stasisd-manager.h"
#include "stasisd-set-open-views.h"
#include "stasisd-set-events.h"
#include "stasisd-space-watch.h"
#include "stasisd-retention.h"
#include "stasisd-orphans-scan.h"
#include "stasisd-orphans.h"
#include "stasisd-request-id.h"
#include "stasisd-set-bus.h"
#include "stasisd-set-life.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"
#include "stasisd-state-dir.h"
#include "stasisd-writer-call.h"
#include "stasisd-writer-memory.h"
#include "stasisd-writer.h"

/* A writer left: the sets it takes part in fail its components. */
static void on_writer_gone(Manager *m, Writer *w, const char *why) {
        LIST_FOREACH(sets, s, m->sets)
                set_writer_gone(s, w, why);
}

int manager_new(const char *state_dir, Manager **ret) {
        assert(state_dir);
        assert(ret);

        Manager *m = calloc(1, sizeof(Manager));
        int r;

        if (!m)
                return -ENOMEM;
        m->mounts = (MountCache) MOUNT_CACHE_INIT;
        m->commit_timeout = MANAGER_COMMIT_TIMEOUT_DEFAULT;
        m->hold_timeout = MANAGER_HOLD_TIMEOUT_DEFAULT;
        m->freeze_settle = MANAGER_FREEZE_SETTLE_DEFAULT;
        m->expedite_freeze = true;
        m->identify_timeout = MANAGER_IDENTIFY_TIMEOUT_DEFAULT;
        m->prepare_timeout = MANAGER_PREPARE_TIMEOUT_DEFAULT;
        m->freeze_window = MANAGER_FREEZE_WINDOW_DEFAULT;
        m->orphan_scan = true;
        /* STASIS_COMMIT_SPARE=0: fork each commit worker when needed (to compare). */
        const char *e = secure_getenv("STASIS_COMMIT_SPARE");
        m->spare.disabled = e && streq(e, "0");
        m->writer_gone = on_writer_gone;
        m->state_dir = strdup(state_dir);
        if (!m->state_dir) {
                manager_free(m);
                return -ENOMEM;
        }
        r = sd_event_default(&m->event);
        if (r < 0) {
                manager_free(m);
                return r;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        /* Exiting in a hold: the worker thaws when we are gone (PR_SET_PDEATHSIG);
         * write what was logged meanwhile. */
        log_release();
        request_waiters_free(m);        /* first: the requests would look at them */
        retention_free(m);              /* before the sets: nothing is carried on once they go */
        create_requests_free(m);
        m->name_match = sd_bus_slot_unref(m->name_match);
        m->callers = callers_free(m->callers);
        while (m->sets)
                set_free(m->sets);
        manager_writers_free(m);
        writer_memory_free(m);
        manager_scan_orphans_cancel(m);
        manager_space_watch_free(m);
        spare_slot_done(&m->spare);
        orphans_free(m->orphans, m->n_orphans);
        for (Deferred *d; (d = LIST_POP(deferred, m->deferred, m->deferred_tail)); ) {
                sd_bus_message_unref(d->msg);
                free(d);
        }
        auth_queries_free(m);
        config_free(m->config);
        stasis_providers_free_external(&m->providers);
        mount_cache_done(&m->mounts);
        free(m->providers_dir);
        catalog_close(m->catalog);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->state_dir);
        free(m->runtime_dir);
        free(m);
        return NULL;
}

Set *manager_find_set(Manager *m, const char *id) {
        assert(m);
        assert(id);

        LIST_FOREACH(sets, s, m->sets)
                if (streq(s->id, id))
                        return s;
        return NULL;
}

/* The handles of a set read from the catalog are used to delete snapshots
 * (a half-made set is cleaned up at start-up): one that does not plainly
 * name a snapshot (a "..", say) leaves its set alone, not loaded, with
 * nothing of it deleted, for someone to look at. */
static bool catalog_set_trustworthy(Manager *m, const CatalogSet *cs) {
        for (size_t i = 0; i < cs->n_volumes; i++) {
                char why[128], shown[256];
                if (handle_check(cs->volumes[i].handle, why, sizeof why) >= 0)
                        continue;
                log_error("Set %" PRIu64 " in the catalog %s/catalog.db has a snapshot handle that is not a "
                          "normalized path, '%s' (volume %zu): %s. The catalog may have been altered; stasisd "
                          "leaves this set alone: it is not loaded, and nothing of it is deleted. Check the "
                          "catalog, then remove the set from it (sqlite3 %s/catalog.db "
                          "'DELETE FROM sets WHERE id = %" PRIu64 "') and its snapshots by hand.",
                          cs->id, m->state_dir, string_escape_short(strempty(cs->volumes[i].handle), shown,
                                                                    sizeof shown),
                          i, why, m->state_dir, cs->id);
                return false;
        }
        return true;
}

int manager_check_room(Manager *m, sd_bus_error *error) {
        int r = catalog_check_room(m->catalog);

        if (r >= 0) {
                if (m->read_only)
                        log_info("There is room again in %s: snapshot sets can be created again.", m->state_dir);
                m->read_only = false;
                return 0;
        }
        if (!m->read_only)
                log_warning_errno(r, "The file system of %s is full (%m): stasisd is read-only; snapshot sets can "
                                  "be listed and deleted, not created, until there is room.", m->state_dir);
        m->read_only = true;
        return sd_bus_error_setf(error, STASIS_ERROR_NO_SPACE,
                                 "The file system of the catalog (%s) is full: stasisd is read-only until there "
                                 "is room; delete sets or free space there", m->state_dir);
}

static int manager_load_catalog(Manager *m) {
        CatalogSet *sets = NULL;
        size_t n = 0;
        int r;

        char why[1024];
        r = catalog_open_why(m->state_dir, &m->catalog, why, sizeof why);
        if (r < 0)
                return log_error_errno(r, "Failed to open the catalog in %s: %s", m->state_dir, why);
        if (!catalog_durable(m->catalog))
                log_warning("STASIS_BENCH_CATALOG_SYNC=normal: catalog commits are not synced to disk; "
                            "for benchmarks only.");
        r = catalog_load(m->catalog, &m->providers, &sets, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to load the catalog: %s", catalog_last_error(m->catalog));

        for (size_t i = 0; i < n; i++) {
                Set *s;
                if (!catalog_set_trustworthy(m, &sets[i]))
                        continue;
                r = set_load(m, &sets[i], &s);
                if (r < 0) {
                        catalog_sets_free(sets, n);
                        return log_oom();
                }
        }
        catalog_sets_free(sets, n);
        r = manager_load_set_events(m);
        if (r < 0)
                return r;

        if (catalog_check_room(m->catalog) < 0) {
                m->read_only = true;
                log_warning("The file system of %s is full: stasisd starts read-only; snapshot sets can be "
                            "listed and deleted, not created, until there is room.", m->state_dir);
        }

        /* Reconcile after all are loaded: it may remove sets from the list. */
        LIST_FOREACH_SAFE(sets, s, next, m->sets)
                set_reconcile(s);
        log_info("Catalog loaded: %u set(s).", m->n_sets);
        retention_arm(m);       /* sets that expired while stasisd was stopped go now */

        if (!m->orphan_scan) {
                log_info("Not looking for orphan snapshots (--orphan-scan=no).");
                return 0;
        }
        r = manager_scan_orphans(m);
        return r == -ECANCELED ? r : 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s; exiting.", strsignal((int) si->ssi_signo));
        return sd_event_exit(m->event, 0);
}

static int on_bus_disconnect(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        if (!bus_message_is_local(msg))
                return 0;
        log_error("Lost the connection to the bus; exiting.");
        return sd_event_exit(m->event, EXIT_FAILURE);
}

/* A client left the bus: its writers are gone, its views of sets are
 * forgotten, its auto-release sets are released. Only the bus driver says
 * so: a client may send any of its peers a signal that looks like this one. */
static int on_name_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *name, *old_owner, *new_owner, *sender = sd_bus_message_get_sender(msg);

        if (!bus_message_from_driver(msg)) {
                log_debug("Ignored a NameOwnerChanged signal sent by %s, not by the bus.", strna(sender));
                return 0;
        }
        if (sd_bus_message_read(msg, "sss", &name, &old_owner, &new_owner) < 0)
                return 0;
        if (name[0] != ':' || !isempty(new_owner))
                return 0;
        callers_gone(m->callers, name);
        auth_caller_gone(m, name);
        manager_writers_owner_gone(m, name);
        /* Its views first: its own do not keep its auto-release sets. */
        manager_open_views_holder_gone(m, name);
        manager_sets_requestor_gone(m, name);
        return 0;
}

int manager_defer_if_holding(Manager *m, sd_bus_message *msg, sd_bus_message_handler_t handler, void *userdata) {
        assert(m);
        assert(msg);
        assert(handler);

        if (!m->holding)
                return 0;
        if (m->n_deferred >= MANAGER_DEFERRED_MAX)
                return sd_bus_reply_method_errorf(msg, STASIS_ERROR_BUSY,
                                                  "stasisd is holding file systems frozen and %u calls already "
                                                  "wait for it to end; try again", m->n_deferred) < 0 ? -EIO : 1;
        Deferred *d = calloc(1, sizeof(Deferred));
        if (!d)
                return -ENOMEM;
        d->msg = sd_bus_message_ref(msg);
        d->handler = handler;
        d->userdata = userdata;
        LIST_APPEND(deferred, m->deferred, m->deferred_tail, d);
        m->n_deferred++;
        return 1;
}

void manager_hold_ended(Manager *m) {
        assert(m);

        /* Registered writers whose record waited for the hold to end. */
        writer_memory_hold_ended(m);
        /* An orphan scan that ended in the hold: the set ids it found. */
        manager_orphans_raise_next_id(m);
        /* Calls that came in during the hold, in order. */
        while (m->deferred && !m->holding) {
                Deferred *d = LIST_POP(deferred, m->deferred, m->deferred_tail);
                sd_bus_error error = SD_BUS_ERROR_NULL;
                int r;

                m->n_deferred--;
                (void) sd_bus_message_rewind(d->msg, true);
                r = d->handler(d->msg, d->userdata, &error);
                if (r < 0)
                        (void) sd_bus_reply_method_errno(d->msg, r, &error);
                sd_bus_error_free(&error);
                sd_bus_message_unref(d->msg);
                free(d);
        }
        /* Releases asked for during the hold, and sets whose writers failed then. */
        LIST_FOREACH_SAFE(sets, s, next, m->sets) {
                if (m->holding)
                        break;
                set_life_hold_ended(s);
        }
        LIST_FOREACH_SAFE(sets, s, next, m->sets) {
                if (m->holding)
                        break;
                if (s->release_requested && !set_phase_busy(s->phase) && s->state != SET_CREATING) {
                        s->release_requested = false;
                        (void) set_delete(s, NULL, NULL);
                }
        }
}

static void on_provider_refused(const char *path, const char *why, void *userdata) {
        log_error("Refusing provider %s: %s; a provider, and every directory above it (above its target, for a "
                  "symbolic link), must be owned by root and writable by nobody else. It is not run.", path, why);
}

int manager_start(Manager *m) {
        assert(m);

        int r;

        /* Before anything is read from it or written to it. */
        r = state_dir_setup(m->state_dir);
        if (r < 0)
                return r;

        r = stasis_bus_error_map_register();
        if (r < 0)
                return log_error_errno(r, "Failed to register the error map: %m");

        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_signal, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        r = bus_open_stasis(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the bus %s: %m",
                                       bus_stasis_address() ?: "(system bus)");
        r = sd_bus_attach_event(m->bus, m->event, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");
        r = sd_bus_match_signal_async(m->bus, NULL, "org.freedesktop.DBus.Local", NULL,
                                      "org.freedesktop.DBus.Local", "Disconnected",
                                      on_bus_disconnect, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch for disconnection: %m");

        r = callers_new(m->bus, m->event, &m->callers);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the calls that come in: %m");
        r = sd_bus_match_signal_async(m->bus, &m->name_match, BUS_DRIVER_NAME, BUS_DRIVER_PATH, BUS_DRIVER_NAME,
                                      "NameOwnerChanged", on_name_owner_changed, NULL, m);
        if (r < 0)
                return log_error_errno(r, "Failed to watch the bus for writers that leave: %m");

        r = manager_bus_export(m);
        if (r < 0)
                return log_error_errno(r, "Failed to export the bus objects: %m");

        /* Before anything else: a previous run may have left file systems frozen. */
        r = freeze_journal_recover(m->state_dir);
        if (r < 0)
                log_error_errno(r, "Failed to read the freeze journal in %s: %m", m->state_dir);

        char why[512];
        r = stasis_providers_load_external(&m->providers, m->providers_dir, on_provider_refused, m, why, sizeof why);
        if (r == -EPERM)
                log_error("Refusing the providers directory %s: %s; it, and every directory above it, must be "
                          "owned by root and writable by nobody else. No external provider is loaded.",
                          m->providers_dir, why);
        else if (r < 0)
                log_warning("Cannot read the providers directory %s: %s", m->providers_dir, why);
        else if (r > 0)
                log_info("Loaded %d external provider(s) from %s.", r, m->providers_dir);

        r = manager_load_catalog(m);
        if (r >= 0)
                r = writer_memory_load(m);
        if (r < 0)
                return r;

        r = sd_bus_request_name(m->bus, STASIS_BUS_NAME, 0);
        if (r == -EEXIST)
                return log_error_errno(r, "Another process already owns %s; is stasisd running?", STASIS_BUS_NAME);
        if (r < 0)
                return log_error_errno(r, "Failed to take the bus name %s: %m "
                                       "(is the D-Bus policy org.stasis1.conf installed?)", STASIS_BUS_NAME);
        r = manager_space_watch_start(m);
        if (r < 0)
                return r;
        spare_refill(&m->spare, m->event);
        log_info("stasisd %s ready on %s.", STASIS_VERSION, bus_stasis_address() ?: "the system bus");
        return 0;
}

int manager_run(Manager *m) {
        assert(m);

        return sd_event_loop(m->event);
}
