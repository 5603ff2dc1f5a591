/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog-excluded.h - the catalog's record of the writers a set's requestor left out */
#pragma once

#include <stdint.h>

#include "stasisd-catalog.h"

/* Records the writers (WRITER or WRITER@INSTANCE, NULL-terminated) set id left out. */
int catalog_add_excluded_writers(Catalog *c, uint64_t id, char *const *writers);
/* Those of set id, in the order given (*ret never NULL on success). */
int catalog_load_excluded_writers(Catalog *c, uint64_t id, char ***ret);
