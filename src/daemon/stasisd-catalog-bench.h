/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-bench.h - for benchmarks only: many sets recorded at once, without snapshots */
#pragma once

#include "stasisd-catalog.h"

/* Records n persistent, created sets without volumes (nothing to take or
 * remove), the last made at now and each one step before the next, with
 * label "bench" and the policy (NULL: none), in one transaction. For
 * stasisd --test-populate-catalog (test/bench/run-bench-retention.sh). */
int catalog_populate(Catalog *c, unsigned n, const char *policy, usec_t now, usec_t step);
