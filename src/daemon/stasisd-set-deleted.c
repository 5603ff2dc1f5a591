/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-deleted.c - the writers of a set hear that it is gone (SetDeleted, one-way) */
#include <stdlib.h>

#include "bus-util.h"
#include "log.h"
#include "macro.h"
#include "stasis/stasis.h"
#include "stasisd-set-deleted.h"
#include "stasisd-writer-announce.h"
#include "stasisd-writer.h"
#include "writer-event.h"

static int send_set_deleted(Manager *m, Writer *w, const char *id) {
        _cleanup_bus_message_unref_ sd_bus_message *msg = NULL;
        int r;

        r = sd_bus_message_new_method_call(m->bus, &msg, w->owner, w->path, STASIS_WRITER_INTERFACE,
                                           writer_event_name(STASIS_EVENT_SET_DELETED));
        if (r >= 0)
                r = sd_bus_message_append(msg, "s", id);
        if (r >= 0)
                r = sd_bus_message_set_expect_reply(msg, 0);
        if (r >= 0)
                r = sd_bus_send(m->bus, msg, NULL);
        return r;
}

void set_tell_writers_deleted(Set *s) {
        Manager *m = s->manager;
        _cleanup_free_ Writer **told = calloc(MAX(s->n_components, 1), sizeof(Writer *));
        size_t n = 0;

        if (!told)
                return (void) log_oom();
        for (size_t i = 0; i < s->n_components; i++) {
                const SetComponent *c = &s->components[i];
                Writer *w = manager_find_writer(m, c->writer, c->instance);
                bool again = false;
                for (size_t j = 0; j < n; j++)
                        again = again || told[j] == w;
                if (!w || again || !w->manager || !writer_takes_event(w, STASIS_EVENT_SET_DELETED))
                        continue;
                told[n++] = w;
                int r = send_set_deleted(m, w, s->id);
                if (r < 0)
                        log_warning_errno(r, "Set %s: cannot tell writer %s it is deleted: %m", s->id, w->display);
        }
}
