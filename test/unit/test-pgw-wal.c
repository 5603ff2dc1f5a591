/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-pgw-wal.c - unit tests of stasis-writer-postgresql's WAL arithmetic: LSNs, segment names, what a set stores */
#include <stdint.h>

#include "pgw-backup.h"
#include "tests.h"

#define MiB (UINT64_C(1024) * 1024)

static const PgwBackupWal wal16 = { .timeline = 1, .segment_size = 16 * MiB, .block_size = 8192 };

TEST(lsn_parse) {
        uint64_t l = 0;
        CHECK(pgw_lsn_parse("0/3000060", &l) == 0);
        CHECK(l == 0x3000060);
        CHECK(pgw_lsn_parse("1A/FF", &l) == 0);
        CHECK(l == ((UINT64_C(0x1A) << 32) | 0xFF));
        CHECK(pgw_lsn_parse("", &l) < 0);
        CHECK(pgw_lsn_parse("0/", &l) < 0);
        CHECK(pgw_lsn_parse("0/3000060 ", &l) < 0);
        CHECK(pgw_lsn_parse("3000060", &l) < 0);
        CHECK(pgw_lsn_parse(NULL, &l) < 0);
}

TEST(segment_names) {
        char name[25];
        PgwBackupWal w = wal16;
        /* As pg_walfile_name(): 256 segments of 16 MiB per "log id". */
        pgw_wal_segment_name(&w, 5, name);
        CHECK_STREQ(name, "000000010000000000000005");
        pgw_wal_segment_name(&w, 0x100 + 0x2A, name);
        CHECK_STREQ(name, "00000001000000010000002A");
        w.timeline = 0x1F;
        w.segment_size = 64 * MiB;      /* 64 per log id */
        pgw_wal_segment_name(&w, 65, name);
        CHECK_STREQ(name, "0000001F0000000100000001");
}

TEST(next_segment_start) {
        /* pg_switch_wal() answers the end of the switched segment's WAL, or,
         * with nothing to switch, the start of the current segment. */
        CHECK(pgw_wal_next_segment_start(&wal16, 0x4000000) == 0x4000000);
        CHECK(pgw_wal_next_segment_start(&wal16, 0x4000001) == 0x5000000);
        CHECK(pgw_wal_next_segment_start(&wal16, 0x4FFFFFF) == 0x5000000);
}

TEST(segment_bytes) {
        PgwBackupWal w = wal16;
        /* Only the last segment: up to the stop LSN's page. */
        CHECK(pgw_wal_segment_bytes(&w, 5, 0x5017D08) == 0x18000);
        CHECK(pgw_wal_segment_bytes(&w, 5, 0x5018000) == 0x18000);
        CHECK(pgw_wal_segment_bytes(&w, 5, 0x5018001) == 0x1A000);
        /* Switched while frozen: up to the switch; the next to the stop. */
        w.ends[w.n_ends++] = 0x5080010;
        CHECK(pgw_wal_segment_bytes(&w, 5, 0x6000100) == 0x82000);
        CHECK(pgw_wal_segment_bytes(&w, 6, 0x6000100) == 0x2000);
        /* A segment neither switched nor the last: all of it, over the limit. */
        CHECK(pgw_wal_segment_bytes(&w, 6, 0x7000100) == 16 * MiB);
}
