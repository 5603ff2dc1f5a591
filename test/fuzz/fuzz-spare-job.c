/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-spare-job.c - libFuzzer target: any bytes, as the job of a commit worker started ahead, are taken
 * only if well formed, and a job taken encodes back to the same bytes */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasisd-spare-job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what) {
        fprintf(stderr, "fuzz-spare-job: %s\n", what);
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        SpareJob job = {};
        char *buf = NULL;
        size_t n = 0;

        int r = spare_job_decode((const char *) data, size, &job);
        if (r < 0) {
                if (r != -EBADMSG && r != -ENOMEM)
                        die("a job refused without -EBADMSG");
                if (job.volumes || job.n_volumes)
                        die("a refused job left volumes behind");
                return 0;
        }
        if (!spare_job_fits(job.volumes, job.n_volumes))
                die("a job taken that no spare may run");
        if (!memchr(job.description, 0, sizeof job.description))
                die("a description without its end");
        if (spare_job_encode(&job, &buf, &n) < 0)
                die("a job taken cannot be encoded");
        if (n != size || memcmp(buf, data, size) != 0)
                die("a job taken encodes to other bytes");
        free(buf);
        spare_job_done(&job);
        return 0;
}
