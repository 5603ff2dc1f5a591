/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-commit-result.c - unit tests of parsing a worker's report, well formed or not */
#include <errno.h>
#include <stdint.h>

#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-commit-result.h"
#include "tests.h"

#define NV 3

/* As the worker writes it: the header, then the results, no padding. */
typedef struct Report {
        CommitHeader h;
        StasisProviderResult res[NV];
} Report;
#define SIZE (sizeof(CommitHeader) + NV * sizeof(StasisProviderResult))

static Report ok_report(void) {
        Report r = { .h.hold_usec = 1234 };
        return r;
}

TEST(success) {
        Report r = ok_report();
        CommitResult c;

        commit_result_parse(0, &r, SIZE, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_SUCCEEDED);
        CHECK_INTEQ(c.hold_usec, 1234);
        CHECK(!commit_result_lost(&c));
        CHECK(!commit_result_timed_out(&c));
}

TEST(removal_without_header) {
        StasisProviderResult res[NV] = {};
        CommitResult c;

        commit_result_parse(0, res, sizeof res, NV, false, &c);
        CHECK_INTEQ(c.outcome, COMMIT_SUCCEEDED);
        /* A removal's report read as a commit's is the wrong size. */
        commit_result_parse(0, res, sizeof res, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
}

TEST(volume_failed_first_real_failure) {
        Report r = ok_report();
        CommitResult c;
        char msg[512];

        stasis_provider_result_set(&r.res[0], -ECANCELED, "given up");
        stasis_provider_result_set(&r.res[2], -ENOSPC, "the pool is full");
        commit_result_parse(0, &r, SIZE, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_VOLUME_FAILED);
        CHECK_INTEQ(c.volume, 2);
        CHECK_INTEQ(c.error, -ENOSPC);
        CHECK_STREQ(c.message, "the pool is full");
        CHECK(!commit_result_lost(&c));
        commit_result_describe(&c, "taking the snapshots", 70 * USEC_PER_SEC, 10 * USEC_PER_SEC, msg, sizeof msg);
        CHECK_STREQ(msg, "the pool is full");
}

TEST(volume_failed_only_cancelled) {
        Report r = ok_report();
        CommitResult c;

        stasis_provider_result_set(&r.res[1], -ECANCELED, "cancelled");
        stasis_provider_result_set(&r.res[2], -ECANCELED, "cancelled too");
        commit_result_parse(0, &r, SIZE, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_VOLUME_FAILED);
        CHECK_INTEQ(c.volume, 1);
        CHECK_STREQ(c.message, "cancelled");
}

TEST(volume_timed_out) {
        Report r = ok_report();
        CommitResult c;

        stasis_provider_result_set(&r.res[0], -ETIMEDOUT, "slow");
        commit_result_parse(0, &r, SIZE, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_VOLUME_FAILED);
        CHECK(commit_result_timed_out(&c));
}

TEST(message_not_terminated) {
        Report r = ok_report();
        CommitResult c;

        r.res[1].error = -EIO;
        memset(r.res[1].message, 'x', sizeof r.res[1].message);
        commit_result_parse(0, &r, SIZE, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_VOLUME_FAILED);
        CHECK_INTEQ(strlen(c.message), sizeof c.message - 1);
}

TEST(worker_timed_out) {
        CommitResult c;
        char msg[512];

        commit_result_parse(-ETIMEDOUT, NULL, 0, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_TIMED_OUT);
        CHECK(commit_result_lost(&c));
        CHECK(commit_result_timed_out(&c));
        commit_result_describe(&c, "taking the snapshots", 70 * USEC_PER_SEC, 10 * USEC_PER_SEC, msg, sizeof msg);
        CHECK_STREQ(msg, "taking the snapshots did not finish within 70 s; the worker was killed");
}

TEST(worker_crashed) {
        Report r = ok_report();
        CommitResult c;
        char msg[512];

        /* What it sent does not count once it died. */
        commit_result_parse(-ECHILD, &r, SIZE, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
        CHECK_INTEQ(c.error, -ECHILD);
        CHECK(commit_result_lost(&c));
        CHECK(!commit_result_timed_out(&c));
        commit_result_describe(&c, "removing the snapshots", 0, 0, msg, sizeof msg);
        CHECK_STREQ(msg, "the worker removing the snapshots crashed or sent a malformed result (788 bytes)");
}

TEST(oversized) {
        CommitResult c;

        /* stasisd-worker.c stops keeping what passes WORKER_RESULT_MAX and says -EMSGSIZE. */
        commit_result_parse(-EMSGSIZE, NULL, 0, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
        CHECK_INTEQ(c.error, -EMSGSIZE);
        /* One byte more than the volumes need. */
        char big[SIZE + 1] = {};
        commit_result_parse(0, big, sizeof big, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
        CHECK_INTEQ(c.size, sizeof big);
}

TEST(truncated) {
        Report r = ok_report();
        CommitResult c;

        for (size_t size = 0; size < SIZE; size += 7) {
                commit_result_parse(0, &r, size, NV, true, &c);
                CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
                CHECK_INTEQ(c.error, -EBADMSG);
                CHECK_INTEQ(c.size, size);
        }
        commit_result_parse(0, &r, SIZE - 1, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
        commit_result_parse(0, NULL, 0, NV, false, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
}

TEST(wrong_count) {
        Report r = ok_report();
        CommitResult c;

        /* A report for three volumes of a set of two, or of four. */
        commit_result_parse(0, &r, SIZE, NV - 1, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
        commit_result_parse(0, &r, SIZE, NV + 1, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
        commit_result_parse(0, &r, SIZE, SIZE_MAX / sizeof(StasisProviderResult) + 1, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
}

TEST(bad_numbers) {
        static const int32_t bad[] = { 1, EIO, -4096, INT32_MIN, INT32_MAX };
        CommitResult c;

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                Report r = ok_report();
                r.res[1].error = bad[i];
                commit_result_parse(0, &r, SIZE, NV, true, &c);
                CHECK_INTEQ(c.outcome, COMMIT_WORKER_FAILED);
                CHECK_INTEQ(c.error, -EBADMSG);
        }
        /* An errno the kernel could give is a failure of that volume. */
        Report r = ok_report();
        r.res[1].error = -4095;
        commit_result_parse(0, &r, SIZE, NV, true, &c);
        CHECK_INTEQ(c.outcome, COMMIT_VOLUME_FAILED);
}

TEST(describe) {
        CommitResult c = { .outcome = COMMIT_HOLD_OVERRUN };
        char msg[512];

        commit_result_describe(&c, "taking the snapshots", 70 * USEC_PER_SEC, 2500 * USEC_PER_MSEC, msg, sizeof msg);
        CHECK_STREQ(msg, "the hold did not end within 2.5 s; stasisd killed the worker and thawed");
        CHECK(commit_result_lost(&c));
        CHECK(commit_result_timed_out(&c));

        c = (CommitResult) { .outcome = COMMIT_NOT_STARTED, .error = -EAGAIN };
        commit_result_describe(&c, "taking the snapshots", 0, 0, msg, sizeof msg);
        CHECK_STREQ(msg, "cannot start taking the snapshots: Resource temporarily unavailable");
        CHECK(!commit_result_lost(&c));

        c = (CommitResult) { .outcome = COMMIT_SKIPPED };
        commit_result_describe(&c, "taking the snapshots", 0, 0, msg, sizeof msg);
        CHECK_STREQ(msg, "taking the snapshots failed");

        for (int o = 0; o < _COMMIT_OUTCOME_MAX; o++)
                CHECK(commit_outcome_to_string((CommitOutcome) o));
        CHECK(!commit_outcome_to_string(_COMMIT_OUTCOME_MAX));
}
