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

/* While frozen in backup mode the writer asks every PGW_POLL_USEC how far
 * the WAL is, and switches to a new segment once the current one holds
 * PGW_SWITCH_BYTES since its start: each segment of the WAL that the set must
 * hold then fits in a file of backup metadata (1 MiB). */
#define PGW_POLL_USEC (25 * 1000)
#define PGW_SWITCH_BYTES (512 * 1024)
#define PGW_WAL_SWITCHES_MAX 16
#define PGW_BACKUP_POLL_QUERY                                                           \
        "SELECT CASE WHEN pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn) >= $2::numeric " \
        "THEN pg_switch_wal()::text ELSE '' END"

typedef struct PgwBackupWal {
        uint64_t switch_lsn;    /* what pg_switch_wal() answered at Freeze */
        uint32_t timeline;
        uint64_t segment_size;
        uint64_t block_size;
        uint64_t ends[PGW_WAL_SWITCHES_MAX];    /* where each segment switched while frozen ends */
        unsigned n_ends;
} PgwBackupWal;

/* The first byte of the segment that WAL written after lsn goes to. */
uint64_t pgw_wal_next_segment_start(const PgwBackupWal *w, uint64_t lsn);

/* The name of WAL segment segno: the timeline, then the segment number
 * split as PostgreSQL's XLogFileName() does. */
void pgw_wal_segment_name(const PgwBackupWal *w, uint64_t segno, char buf[static 25]);
/* How many bytes of segment segno the set needs: up to where it was
 * switched, the last up to the stop LSN, rounded up to a WAL page; the whole
 * segment if neither (more WAL than a poll saw). */
uint64_t pgw_wal_segment_bytes(const PgwBackupWal *w, uint64_t segno, uint64_t stop_lsn);
/* Parses an LSN such as "0/3000060". */
int pgw_lsn_parse(const char *s, uint64_t *ret);
/* Reads the answer to PGW_BACKUP_WAL_QUERY. */
int pgw_backup_wal_parse(const PGresult *res, PgwBackupWal *ret, char **ret_error);
/* What pg_backup_stop() answered. */
typedef struct PgwBackupStop {
        char *lsn;
        char *labelfile;
        char *spcmapfile;
} PgwBackupStop;
int pgw_backup_stop_parse(const PGresult *res, PgwBackupStop *ret, char **ret_error);
void pgw_backup_stop_done(PgwBackupStop *s);

/* At PostSnapshot, with the answer of pg_backup_stop(): stores backup_label and tablespace_map as files of the
 * component in the data directory, the stop LSN as the value "stop_lsn", and
 * the WAL written from the segment switch at Freeze to the stop LSN as files
 * in the WAL directory, each segment up to where it was switched (or, the
 * last, to the stop LSN). Returns the number of WAL files stored. */
int pgw_backup_store(StasisEvent *e, const char *component, const PgwCluster *cluster, const PgwBackupWal *wal,
                     const PgwBackupStop *stop, char **ret_error);
