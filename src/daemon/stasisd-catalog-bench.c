/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-bench.c - for benchmarks only: many sets recorded at once, without snapshots */
#include <errno.h>

#include "macro.h"
#include "stasisd-catalog-bench.h"
#include "stasisd-catalog-internal.h"

typedef struct Populate {
        unsigned n;
        const char *policy;
        usec_t now, step;
} Populate;

static int populate(Catalog *c, void *userdata) {
        const Populate *x = userdata;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (sqlite3_prepare_v2(c->db, "INSERT INTO sets (created, label, persistent, owner_uid, state, consistency, "
                                      "policy) VALUES (?, 'bench', 1, 0, 'created', 'per-volume', ?)",
                               -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the benchmark's sets");
        for (unsigned i = 0; i < x->n; i++) {
                usec_t back = (usec_t) (x->n - 1 - i) * x->step;
                sqlite3_bind_int64(st, 1, (sqlite3_int64) (x->now > back ? x->now - back : 0));
                sqlite3_bind_text(st, 2, strempty(x->policy), -1, SQLITE_STATIC);
                r = catalog_step_done(c, st, "recording a benchmark set");
                if (r < 0)
                        return r;
        }
        /* The ids given are taken: none is reserved above them. */
        return catalog_raise_next_id(c, (uint64_t) sqlite3_last_insert_rowid(c->db));
}

int catalog_populate(Catalog *c, unsigned n, const char *policy, usec_t now, usec_t step) {
        Populate x = { n, policy, now, step };
        return catalog_in_transaction(c, populate, &x);
}
