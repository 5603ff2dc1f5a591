/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-commit-result.c - what a commit or removal worker reported, parsed once into a typed result */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "stasisd-commit.h"
#include "stasisd-commit-result.h"
#include "string-table.h"

static const char *const commit_outcome_table[_COMMIT_OUTCOME_MAX] = {
        [COMMIT_NONE]          = "none",
        [COMMIT_SUCCEEDED]     = "succeeded",
        [COMMIT_VOLUME_FAILED] = "volume-failed",
        [COMMIT_TIMED_OUT]     = "timed-out",
        [COMMIT_HOLD_OVERRUN]  = "hold-overrun",
        [COMMIT_WORKER_FAILED] = "worker-failed",
        [COMMIT_NOT_STARTED]   = "not-started",
        [COMMIT_SKIPPED]       = "skipped",
};

DEFINE_STRING_TABLE_LOOKUP_TO_STRING(commit_outcome, CommitOutcome)

/* The largest errno the kernel hands out. */
#define ERRNO_MAX 4095

static bool error_valid(int32_t e) {
        return e <= 0 && e >= -ERRNO_MAX;
}

static void malformed(int status, size_t size, CommitResult *ret) {
        *ret = (CommitResult) {
                .outcome = COMMIT_WORKER_FAILED,
                .error = status < 0 ? status : -EBADMSG,
                .size = size,
        };
}

void commit_result_parse(int status, const void *data, size_t size, size_t n_volumes, bool with_header,
                         CommitResult *ret) {
        size_t header = with_header ? sizeof(CommitHeader) : 0;
        const StasisProviderResult *res;
        ssize_t bad = -1;

        assert(ret);
        assert(data || size == 0);

        if (status == -ETIMEDOUT) {
                *ret = (CommitResult) { .outcome = COMMIT_TIMED_OUT, .error = status };
                return;
        }
        if (status < 0 || n_volumes > (SIZE_MAX - header) / sizeof(StasisProviderResult) ||
            size != header + sizeof(StasisProviderResult) * n_volumes) {
                malformed(status, size, ret);
                return;
        }

        *ret = (CommitResult) { .outcome = COMMIT_SUCCEEDED };
        if (with_header)
                ret->hold_usec = ((const CommitHeader *) data)->hold_usec;
        res = (const StasisProviderResult *) ((const char *) data + header);
        for (size_t i = 0; i < n_volumes; i++) {
                int32_t e = res[i].error;
                if (!error_valid(e)) {
                        malformed(-EBADMSG, size, ret);
                        return;
                }
                if (e < 0 && (bad < 0 || (e != -ECANCELED && res[bad].error == -ECANCELED)))
                        bad = (ssize_t) i;
        }
        if (bad < 0)
                return;
        ret->outcome = COMMIT_VOLUME_FAILED;
        ret->volume = (size_t) bad;
        ret->error = res[bad].error;
        /* Its words, cut at the first NUL or at the end of the field. */
        snprintf(ret->message, sizeof ret->message, "%.*s", (int) strnlen(res[bad].message, sizeof res[bad].message),
                 res[bad].message);
}

void commit_result_describe(const CommitResult *r, const char *what, usec_t deadline_usec, usec_t hold_usec,
                            char *buf, size_t size) {
        assert(r);
        assert(what);
        assert(buf);

        switch (r->outcome) {
        case COMMIT_SUCCEEDED:
        case COMMIT_NONE:
                snprintf(buf, size, "%s", "");
                break;
        case COMMIT_VOLUME_FAILED:
                snprintf(buf, size, "%s", r->message);
                break;
        case COMMIT_TIMED_OUT:
                snprintf(buf, size, "%s did not finish within %g s; the worker was killed", what,
                         (double) deadline_usec / USEC_PER_SEC);
                break;
        case COMMIT_HOLD_OVERRUN:
                snprintf(buf, size, "the hold did not end within %g s; stasisd killed the worker and thawed",
                         (double) hold_usec / USEC_PER_SEC);
                break;
        case COMMIT_WORKER_FAILED:
                snprintf(buf, size, "the worker %s crashed or sent a malformed result (%zu bytes)", what, r->size);
                break;
        case COMMIT_NOT_STARTED:
                snprintf(buf, size, "cannot start taking the snapshots: %s", strerror(-r->error));
                break;
        case COMMIT_SKIPPED:
        default:
                snprintf(buf, size, "%s", "taking the snapshots failed");
                break;
        }
}
