/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-spare-job.h - a commit job as bytes, for a worker started ahead (stasisd-commit-spare.c) */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "provider.h"
#include "time-util.h"

/* The largest job accepted (64 volumes with long paths and details fit). */
#define SPARE_JOB_SIZE_MAX (1024 * 1024)

/* A commit of volumes that are not held, all with built-in providers:
 * what a spare worker is given. Everything it needs is in here; nothing
 * is taken from the memory of the daemon that started it. */
typedef struct SpareJob {
        char description[16];           /* the worker's name for ps (commit-set-ID, cut to 15 bytes) */
        usec_t commit_timeout;
        StasisVolume *volumes;
        size_t n_volumes;
} SpareJob;

/* Whether a spare can take the commit of these volumes: none is held and
 * each has a built-in provider. */
bool spare_job_fits(const StasisVolume *volumes, size_t n);

/* Encodes the job into a new buffer. -EINVAL for a volume no spare takes
 * (see spare_job_fits()), -E2BIG when it would pass SPARE_JOB_SIZE_MAX. */
int spare_job_encode(const SpareJob *job, char **ret, size_t *ret_size);

/* Decodes what spare_job_encode() made; anything else (truncated,
 * trailing bytes, a string without its end, an unknown provider, a count
 * past the limits) is -EBADMSG and ret holds nothing. */
int spare_job_decode(const char *buf, size_t size, SpareJob *ret);
void spare_job_done(SpareJob *job);
