/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mariadb-writer.h - the writer's events for one MariaDB or MySQL server: commits blocked in one session across the freeze */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "stasis/stasis.h"
#include "mariadb-config.h"

#define MARIADB_COMPONENT "data"      /* the writer's one component */

typedef struct MariadbWriter MariadbWriter;

/* Sets w's handlers. method: BACKUP_STAGE or FTWRL (auto resolved);
 * mariadb: the server is MariaDB (else MySQL: GTIDs are gtid_executed). */
int mariadb_writer_new(MariadbWriter **ret, StasisWriter *w, sd_event *event, const MariadbConfig *c,
                       MariadbMethod method, bool mariadb);
MariadbWriter *mariadb_writer_free(MariadbWriter *mw);
