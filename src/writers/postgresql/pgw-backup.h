/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-backup.h - PostgreSQL's backup mode kept with the set: backup_label, tablespace_map, the WAL to its end */
#pragma once

#include <libpq-fe.h>
#include <stasis/stasis.h>
#include <stdint.h>

#include "pgw-discover.h"

/* Sent at Freeze in backup mode: starts a new WAL segment, and says where,
 * on which timeline, and how large segments and WAL pages are. */
#define PGW_BACKUP_WAL_QUERY                                                            \
        "SELECT pg_switch_wal()::text, "                                                \
        "(SELECT timeline_id FROM pg_control_checkpoint()), "                           \
        "(SELECT setting FROM pg_settings WHERE name = 'wal_segment_size'), "           \
        "current_setting('wal_block_size')"

typedef struct PgwBackupWal {
        uint64_t switch_lsn;    /* what pg_switch_wal() answered */
        uint32_t timeline;
        uint64_t segment_size;
        uint64_t block_size;
} PgwBackupWal;

/* Parses an LSN such as "0/3000060". */
int pgw_lsn_parse(const char *s, uint64_t *ret);
/* Reads the answer to PGW_BACKUP_WAL_QUERY. */
int pgw_backup_wal_parse(const PGresult *res, PgwBackupWal *ret, char **ret_error);
/* At PostSnapshot, with the answer of pg_backup_stop() (lsn, labelfile,
 * spcmapfile): stores backup_label and tablespace_map as files of the
 * component in the data directory, the stop LSN as the value "stop_lsn", and
 * the WAL written from the segment switch at Freeze to the stop LSN as files
 * in the WAL directory. Returns the number of WAL files stored. */
int pgw_backup_store(StasisEvent *e, const char *component, const PgwCluster *cluster, const PgwBackupWal *wal,
                     const PGresult *stop, char **ret_error);
