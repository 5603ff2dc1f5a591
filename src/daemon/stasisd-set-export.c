/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-export.c - what the sets show on the bus, and the bound that keeps every reply about them within one bus message */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "echo.h"
#include "list.h"
#include "log.h"
#include "macro.h"
#include "stasisd-set-export.h"
#include "stasisd-set-writers.h"
#include "stasisd-set.h"
#include "stasisd-strings.h"
#include "strv.h"

/* What a set's entry in GetManagedObjects takes besides its label, volumes,
 * components and Error: the entry and its object path, the four interfaces
 * (org.stasis1.Set and the three standard ones, with their names), the 17
 * properties with their names, signatures and padding, Id, State,
 * Consistency and Policy (a policy name, at most 64 bytes). Measured at
 * about 600 bytes; this is more than half again, to be safe. */
#define SET_EXPORT_FIXED      1024
/* The last entry of Components when some are not shown. */
#define SET_EXPORT_MARKER     512

#define MARKER_COMPONENT "\xe2\x80\xa6"    /* U+2026 */

/* A string on the bus: its length (after U+FFFD replaces what is not
 * UTF-8), the 4-byte length before it, the NUL after it and up to 3 bytes of
 * padding. */
static size_t string_size(const char *s) {
        return bus_string_size(s) + 8;
}

static size_t volumes_size(const StasisVolume *volumes, size_t n) {
        size_t z = 8;   /* the array's length and padding */

        for (size_t i = 0; i < n; i++) {
                const StasisVolume *v = &volumes[i];
                z += 8 + string_size(v->path) + string_size(v->mount_point) + string_size(v->device) +
                     string_size(v->fstype) + string_size(v->provider ? v->provider->name : "unknown") +
                     string_size(v->source) + (v->handle ? string_size(v->handle) : SET_HANDLE_RESERVE + 8) +
                     string_size("missing");
        }
        return z;
}

static size_t component_size(const SetComponent *c) {
        return 8 + string_size(c->writer) + string_size(c->instance) + string_size(c->component) +
               string_size(c->consistency) + string_size(c->reason);
}

/* All but the components; with the room Components takes when empty. */
static size_t base_size(const char *label, const StasisVolume *volumes, size_t n_volumes) {
        return SET_EXPORT_FIXED + SET_ERROR_MAX + sizeof(ECHO_ELLIPSIS) + 8 + string_size(label) +
               volumes_size(volumes, n_volumes) + 8;
}

size_t set_export_estimate_new(const char *label, const StasisVolume *volumes, size_t n_volumes,
                               const SetWriter *writers, size_t n_writers) {
        size_t z = base_size(label, volumes, n_volumes);

        for (size_t i = 0; i < n_writers; i++) {
                const WriterMetadata *meta = writers[i].writer->meta;
                STRV_FOREACH(c, writers[i].components)
                        z += 8 + string_size(meta->writer) + string_size(meta->instance) + string_size(*c) +
                             string_size("crash-consistent") + SET_COMPONENT_REASON_MAX + sizeof(ECHO_ELLIPSIS) + 8;
        }
        return z;
}

/* The estimate of s as it is now, with at most shown of its components. */
static size_t set_size(const Set *s, size_t shown) {
        if (s->n_writers > 0 && !s->components)
                return set_export_estimate_new(s->label, s->volumes, s->n_volumes, s->writers, s->n_writers);
        size_t z = base_size(s->label, s->volumes, s->n_volumes);
        for (size_t i = 0; i < MIN(shown, s->n_components); i++)
                z += component_size(&s->components[i]);
        return z + (shown < s->n_components ? SET_EXPORT_MARKER : 0);
}

int set_export_check(Manager *m, size_t size, sd_bus_error *error) {
        if (size > SET_EXPORT_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "The snapshot set's properties would take %zu bytes on the bus (its "
                                         "volumes and writer components), more than the limit of %u for one set; "
                                         "ask for fewer volumes or components", size, SET_EXPORT_MAX);
        if (m->sets_export_bytes + size > SETS_EXPORT_TOTAL_MAX)
                return sd_bus_error_setf(error, STASIS_ERROR_LIMIT_EXCEEDED,
                                         "The snapshot set's properties (%zu bytes on the bus) would bring those "
                                         "of all %u sets to %zu bytes, more than the limit of %u; delete some sets",
                                         size, m->n_sets + 1, m->sets_export_bytes + size, SETS_EXPORT_TOTAL_MAX);
        return 0;
}

static void account(Set *s, size_t size) {
        Manager *m = s->manager;
        m->sets_export_bytes = m->sets_export_bytes - s->export_size + size;
        s->export_size = size;
}

void set_export_add(Set *s, size_t size) {
        s->components_shown = SIZE_MAX;
        account(s, size);
}

void set_export_update(Set *s) {
        if (!s->manager || s->export_hidden)
                return;
        size_t z = set_size(s, s->components_shown);
        if (z > s->export_size)         /* a handle longer than the room kept for it */
                log_debug("Set %s: its properties take %zu bytes on the bus, more than the %zu estimated when it "
                          "was made.", s->id, z, s->export_size);
        account(s, z);
}

void set_export_release(Set *s) {
        if (!s->manager)
                return;
        account(s, 0);
        if (s->export_hidden)
                s->manager->n_export_hidden--;
        s->export_hidden = false;
}

/* Fits s (loaded from the catalog) in room: all its components, or as many
 * as fit with the marker, or none shown and s left out of GetManagedObjects.
 * Returns whether it is shown. */
static bool set_fit(Set *s, size_t room) {
        size_t z = base_size(s->label, s->volumes, s->n_volumes), shown = 0;

        if (set_size(s, SIZE_MAX) <= room) {
                s->components_shown = SIZE_MAX;
                account(s, set_size(s, SIZE_MAX));
                return true;
        }
        if (z + SET_EXPORT_MARKER > room)
                return false;
        z += SET_EXPORT_MARKER;
        for (; shown < s->n_components; shown++) {
                size_t c = component_size(&s->components[shown]);
                if (z + c > room)
                        break;
                z += c;
        }
        s->components_shown = shown;
        account(s, z);
        return true;
}

static size_t total_left(Manager *m) {
        return m->sets_export_bytes < SETS_EXPORT_TOTAL_MAX ? SETS_EXPORT_TOTAL_MAX - m->sets_export_bytes : 0;
}

/* The room for a set loaded from the catalog: the limit of one set, within
 * what is left of the budget; for one whose volumes alone pass the limit of
 * one set (an older stasisd did not check it), its volumes without its
 * components. */
static size_t load_room(Manager *m, const Set *s) {
        size_t bare = base_size(s->label, s->volumes, s->n_volumes) + SET_EXPORT_MARKER;
        return MIN(total_left(m), MAX((size_t) SET_EXPORT_MAX, bare));
}

void set_export_load(Set *s) {
        Manager *m = s->manager;
        size_t full = set_size(s, SIZE_MAX);

        if (!set_fit(s, load_room(m, s))) {
                s->export_hidden = true;
                s->components_shown = 0;
                m->n_export_hidden++;
                log_warning("Set %s: its properties (%zu bytes on the bus) do not fit in what is left of the %u "
                            "bytes all sets may take (GetManagedObjects must fit in one bus message; the catalog "
                            "was recorded without this limit): it is left out of GetManagedObjects; ListSets "
                            "lists it and it is still at %s. Delete sets to make room.",
                            s->id, full, SETS_EXPORT_TOTAL_MAX, s->object_path);
        } else if (s->components_shown < s->n_components)
                log_warning("Set %s: its properties would take %zu bytes on the bus, more than the limit of %u for "
                            "one set or than what is left of the %u bytes all sets may take (the catalog was "
                            "recorded without these limits): %zu of its %zu components are not shown on the bus; "
                            "the catalog keeps them all.", s->id, full, SET_EXPORT_MAX, SETS_EXPORT_TOTAL_MAX,
                            s->n_components - s->components_shown, s->n_components);
}

void sets_export_refit(Manager *m) {
        for (Set *s = m->sets; s && m->n_export_hidden > 0; s = s->sets_next) {
                if (!s->export_hidden)
                        continue;
                if (!set_fit(s, load_room(m, s)))
                        continue;
                s->export_hidden = false;
                m->n_export_hidden--;
                log_info("Set %s: there is room for it on the bus again; it is back in GetManagedObjects.", s->id);
                (void) sd_bus_emit_object_added(m->bus, s->object_path);
        }
}

int set_export_append_components(sd_bus_message *reply, Set *s) {
        size_t shown = MIN(s->components_shown, s->n_components);
        int r = sd_bus_message_open_container(reply, 'a', "(sssss)");

        for (size_t i = 0; r >= 0 && i < shown + (shown < s->n_components); i++) {
                char more[160];
                const SetComponent *c = &s->components[MIN(i, s->n_components - 1)];
                const char *fields[] = { c->writer, c->instance, c->component, c->consistency, c->reason };
                if (i == shown) {
                        snprintf(more, sizeof more, "%zu more components are not shown: the set's properties "
                                 "would pass the limit of what stasisd sends on the bus", s->n_components - shown);
                        fields[0] = fields[1] = fields[3] = "";
                        fields[2] = MARKER_COMPONENT;
                        fields[4] = more;
                }
                r = bus_append_string_struct(reply, "sssss", fields, ELEMENTSOF(fields));
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

char *set_component_reason(const char *writer_display, const char *error) {
        _cleanup_free_ char *full = NULL;
        if (asprintf(&full, "writer %s %s", writer_display, strempty(error)) < 0)
                return NULL;
        return echo_strdup(full, SET_COMPONENT_REASON_MAX);
}
