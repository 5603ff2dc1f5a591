/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pgw-backup.c - PostgreSQL's backup mode kept with the set: backup_label, tablespace_map, the WAL to its end */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

uint64_t pgw_wal_next_segment_start(const PgwBackupWal *w, uint64_t lsn) {
        return (lsn + w->segment_size - 1) / w->segment_size * w->segment_size;
}

int pgw_backup_stop_parse(const PGresult *res, PgwBackupStop *ret, char **ret_error) {
        PgwBackupStop s = {};
        uint64_t lsn;

        if (PQntuples(res) != 1 || PQnfields(res) != 3 || pgw_lsn_parse(PQgetvalue(res, 0, 0), &lsn) < 0) {
                *ret_error = strdup("pg_backup_stop() answered something unexpected");
                return -EBADMSG;
        }
        s.lsn = strdup(PQgetvalue(res, 0, 0));
        s.labelfile = strdup(PQgetvalue(res, 0, 1));
        s.spcmapfile = strdup(PQgetvalue(res, 0, 2));
        if (!s.lsn || !s.labelfile || !s.spcmapfile) {
                pgw_backup_stop_done(&s);
                return -ENOMEM;
        }
        *ret = s;
        return 0;
}

void pgw_backup_stop_done(PgwBackupStop *s) {
        s->lsn = mfree(s->lsn);
        s->labelfile = mfree(s->labelfile);
        s->spcmapfile = mfree(s->spcmapfile);
}

void pgw_wal_segment_name(const PgwBackupWal *w, uint64_t segno, char buf[static 25]) {
        uint64_t per_id = UINT64_C(0x100000000) / w->segment_size;
        (void) snprintf(buf, 25, "%08" PRIX32 "%08" PRIX32 "%08" PRIX32, w->timeline,
                        (uint32_t) (segno / per_id), (uint32_t) (segno % per_id));
}

/* Reads the first size bytes of path. */
static int read_prefix(const char *path, size_t size, char **ret, char **ret_error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL;
        size_t done = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                int e = errno;
                (void) asprintf(ret_error, "cannot open %s: %s", path, strerror(e));
                return -e;
        }
        buf = malloc(size ?: 1);
        if (!buf)
                return -ENOMEM;
        while (done < size) {
                ssize_t n = pread(fd, buf + done, size - done, (off_t) done);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        int e = n < 0 ? errno : EIO;
                        (void) asprintf(ret_error, "cannot read %zu bytes of %s: %s", size, path,
                                        n < 0 ? strerror(e) : "the file is shorter");
                        return -e;
                }
                done += (size_t) n;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

static int add_file(StasisEvent *e, const char *component, const char *path, const void *data, size_t size,
                    char **ret_error) {
        int r = stasis_event_add_metadata_file(e, component, path, data, size, 0600);
        if (r == -E2BIG)
                (void) asprintf(ret_error, "%s is %zu bytes, over the limit of %d bytes for a file, "
                                "or all of the set's backup metadata over %d bytes", path, size,
                                STASIS_METADATA_FILE_MAX, STASIS_METADATA_TOTAL_MAX);
        else if (r < 0)
                (void) asprintf(ret_error, "cannot attach %s to the set: %s", path, strerror(-r));
        return r;
}

uint64_t pgw_wal_segment_bytes(const PgwBackupWal *w, uint64_t seg, uint64_t stop_lsn) {
        uint64_t start = seg * w->segment_size, end = 0;

        for (unsigned i = 0; i < w->n_ends; i++)
                if ((w->ends[i] - 1) / w->segment_size == seg)
                        end = w->ends[i];
        if (end == 0 && (stop_lsn - 1) / w->segment_size == seg)
                end = stop_lsn;
        if (end == 0)
                return w->segment_size;
        return (end - start + w->block_size - 1) / w->block_size * w->block_size;
}

int pgw_backup_store(StasisEvent *e, const char *component, const PgwCluster *cluster, const PgwBackupWal *wal,
                     const PgwBackupStop *stop, char **ret_error) {
        _cleanup_free_ char *label_path = NULL, *map_path = NULL;
        uint64_t stop_lsn, first, last;
        int r, n = 0;

        if (pgw_lsn_parse(stop->lsn, &stop_lsn) < 0 || stop_lsn < wal->switch_lsn) {
                (void) asprintf(ret_error, "pg_backup_stop() answered the LSN '%s', not one after the switch at Freeze",
                                stop->lsn);
                return -EBADMSG;
        }

        r = stasis_event_add_metadata(e, component, "stop_lsn", stop->lsn);
        if (r < 0) {
                (void) asprintf(ret_error, "cannot attach stop_lsn to the set: %s", strerror(-r));
                return r;
        }
        if (asprintf(&label_path, "%s/backup_label", cluster->data_directory) < 0 ||
            asprintf(&map_path, "%s/tablespace_map", cluster->data_directory) < 0)
                return -ENOMEM;
        r = add_file(e, component, label_path, stop->labelfile, strlen(stop->labelfile), ret_error);
        if (r < 0)
                return r;
        if (*stop->spcmapfile) {
                r = add_file(e, component, map_path, stop->spcmapfile, strlen(stop->spcmapfile), ret_error);
                if (r < 0)
                        return r;
        }

        /* The snapshots hold the WAL up to the switch at Freeze: the switch
         * wrote it out before the first snapshot. What comes after, to the
         * end of the backup, is taken from the live WAL directory, each
         * segment up to the WAL page where it was switched or the backup
         * ended: a server reads a segment that ends there as WAL that ends
         * there (after a switch record it goes on with the next segment). */
        first = pgw_wal_next_segment_start(wal, wal->switch_lsn) / wal->segment_size;
        last = (stop_lsn - 1) / wal->segment_size;
        for (uint64_t seg = first; seg <= last; seg++) {
                _cleanup_free_ char *path = NULL, *data = NULL;
                uint64_t size = pgw_wal_segment_bytes(wal, seg, stop_lsn);
                char name[25];

                pgw_wal_segment_name(wal, seg, name);
                if (size > STASIS_METADATA_FILE_MAX) {
                        (void) asprintf(ret_error, "segment %s of the WAL written between the snapshots and the end "
                                        "of the backup holds %" PRIu64 " bytes, over the limit of %d bytes for a "
                                        "file of the set's backup metadata", name, size, STASIS_METADATA_FILE_MAX);
                        return -E2BIG;
                }
                if (asprintf(&path, "%s/%s", cluster->wal_directory, name) < 0)
                        return -ENOMEM;
                r = read_prefix(path, (size_t) size, &data, ret_error);
                if (r < 0)
                        return r;
                r = add_file(e, component, path, data, (size_t) size, ret_error);
                if (r < 0)
                        return r;
                n++;
        }
        return n;
}
