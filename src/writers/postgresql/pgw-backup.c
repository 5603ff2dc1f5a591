/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-backup.c - PostgreSQL's backup mode kept with the set: backup_label, tablespace_map, the WAL to its end */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "pgw-backup.h"

int pgw_lsn_parse(const char *s, uint64_t *ret) {
        unsigned hi, lo;
        int n = 0;

        if (!s || sscanf(s, "%X/%X%n", &hi, &lo, &n) != 2 || s[n] != 0)
                return -EINVAL;
        *ret = ((uint64_t) hi << 32) | lo;
        return 0;
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end = NULL;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || !end || end == s || *end != 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int pgw_backup_wal_parse(const PGresult *res, PgwBackupWal *ret, char **ret_error) {
        PgwBackupWal w = {};
        uint64_t tli;

        if (PQntuples(res) != 1 || PQnfields(res) != 4 ||
            pgw_lsn_parse(PQgetvalue(res, 0, 0), &w.switch_lsn) < 0 ||
            parse_u64(PQgetvalue(res, 0, 1), &tli) < 0 || tli == 0 || tli > UINT32_MAX ||
            parse_u64(PQgetvalue(res, 0, 2), &w.segment_size) < 0 ||
            parse_u64(PQgetvalue(res, 0, 3), &w.block_size) < 0 ||
            w.segment_size == 0 || (w.segment_size & (w.segment_size - 1)) != 0 ||
            w.block_size == 0 || w.segment_size % w.block_size != 0) {
                *ret_error = strdup("PostgreSQL answered the WAL switch with something unexpected");
                return -EBADMSG;
        }
        w.timeline = (uint32_t) tli;
        *ret = w;
        return 0;
}

int pgw_backup_store(StasisEvent *e, const char *component, const PgwCluster *cluster, const PgwBackupWal *wal,
                     const PGresult *stop, char **ret_error) {
        *ret_error = strdup("this libstasis cannot store writer backup metadata");
        return -EOPNOTSUPP;
}
