/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-set.h - what the PostgreSQL writer does for each snapshot set, one session per set */
#pragma once

#include <stasis/stasis.h>
#include <systemd/sd-event.h>

#include "pgw-discover.h"

typedef struct PgwSet PgwSet;

typedef struct Pgw {
        sd_event *event;
        const char *conninfo;
        const char *component;          /* the one component: "cluster" */
        PgwCluster cluster;
        PgwSet *sets_head, *sets_tail;
        unsigned n_sets;
        /* Called when cluster.paths grew: the writer's component is made anew. */
        int (*paths_changed)(struct Pgw *p);
        StasisWriter *writer;
} Pgw;

/* Sets the writer's handlers for PrepareSnapshot, Freeze, PostSnapshot and Abort. */
int pgw_set_handlers(Pgw *p, StasisWriter *w);
/* Ends every set's session (a backup mode under way ends with it). */
void pgw_sets_free(Pgw *p);
