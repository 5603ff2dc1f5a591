/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redis-writer.h - the writer's events for one Redis server: save at PrepareSnapshot, pause and save at Freeze */
#pragma once

#include <systemd/sd-event.h>

#include "stasis/stasis.h"
#include "redis-config.h"

typedef struct RedisWriter RedisWriter;

#define REDIS_COMPONENT "data"        /* the writer's one component */

/* Sets w's handlers; mode is REDIS_MODE_RDB or REDIS_MODE_AOF (auto
 * resolved); file: the RDB file or AOF directory the snapshot holds the
 * dataset in, named in the set's backup metadata (copied). */
int redis_writer_new(RedisWriter **ret, StasisWriter *w, sd_event *event, const RedisConfig *c, RedisMode mode,
                     const char *file);
RedisWriter *redis_writer_free(RedisWriter *rw);
