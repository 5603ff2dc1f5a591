/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-spare-job.c - unit tests of a commit job as bytes: what goes in comes out, and nothing else is read */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasisd-spare-job.h"
#include "strv.h"
#include "tests.h"

static StasisVolume volume(const char *path, const char *handle, char **details) {
        return (StasisVolume) {
                .path = strdup(path),
                .mount_point = strdup("/srv"),
                .device = strdup("/dev/loop7"),
                .fstype = strdup("btrfs"),
                .source = strdup(path),
                .key = strdup("btrfs:1234:257"),
                .handle = handle ? strdup(handle) : NULL,
                .details = details,
                .provider = &provider_btrfs,
                .hold = STASIS_HOLD_NONE,
                .mount_identity = { .mnt_id = 41, .dev = 42, .ino = 256 },
                .source_identity = { .mnt_id = 41, .dev = 42, .ino = 257 },
        };
}

static SpareJob two_volumes(void) {
        SpareJob job = { .description = "commit-set-12", .commit_timeout = 90 * USEC_PER_SEC, .n_volumes = 2 };
        job.volumes = calloc(2, sizeof(StasisVolume));
        job.volumes[0] = volume("/srv/data", "/.stasis/12-0", NULL);
        char **d = calloc(3, sizeof(char *));
        d[0] = strdup("subvolume=data");
        d[1] = strdup("");
        job.volumes[1] = volume("/srv/ümlaut dir", NULL, d);
        return job;
}

static bool identity_eq(const FileIdentity *a, const FileIdentity *b) {
        return a->mnt_id == b->mnt_id && a->dev == b->dev && a->ino == b->ino;
}

TEST(round_trip) {
        SpareJob in = two_volumes(), out = {};
        char *buf = NULL;
        size_t size = 0;

        CHECK(spare_job_fits(in.volumes, in.n_volumes));
        CHECK_INTEQ(spare_job_encode(&in, &buf, &size), 0);
        CHECK_INTEQ(spare_job_decode(buf, size, &out), 0);
        CHECK_STREQ(out.description, "commit-set-12");
        CHECK_INTEQ(out.commit_timeout, 90 * USEC_PER_SEC);
        CHECK_INTEQ(out.n_volumes, 2);
        for (size_t i = 0; i < 2; i++) {
                const StasisVolume *a = &in.volumes[i], *b = &out.volumes[i];
                CHECK(b->provider == &provider_btrfs);
                CHECK_STREQ(b->path, a->path);
                CHECK_STREQ(b->mount_point, a->mount_point);
                CHECK_STREQ(b->device, a->device);
                CHECK_STREQ(b->fstype, a->fstype);
                CHECK_STREQ(b->source, a->source);
                CHECK_STREQ(b->key, a->key);
                CHECK(identity_eq(&b->mount_identity, &a->mount_identity));
                CHECK(identity_eq(&b->source_identity, &a->source_identity));
                CHECK_INTEQ(b->hold, STASIS_HOLD_NONE);
                CHECK(!b->missing);
        }
        CHECK_STREQ(out.volumes[0].handle, "/.stasis/12-0");
        CHECK(!out.volumes[1].handle);          /* NULL stays NULL, not "" */
        CHECK(!out.volumes[0].details);
        CHECK_INTEQ(strv_length(out.volumes[1].details), 2);
        CHECK_STREQ(out.volumes[1].details[0], "subvolume=data");
        CHECK_STREQ(out.volumes[1].details[1], "");
        spare_job_done(&out);
        spare_job_done(&in);
        free(buf);
}

/* Every prefix of a good job, and a good job with a byte more, is refused. */
TEST(truncated_or_longer) {
        SpareJob in = two_volumes(), out = {};
        char *buf = NULL, *longer;
        size_t size = 0;

        CHECK_INTEQ(spare_job_encode(&in, &buf, &size), 0);
        for (size_t n = 0; n < size; n++) {
                char *copy = malloc(n ? n : 1);
                memcpy(copy, buf, n);
                int r = spare_job_decode(copy, n, &out);
                free(copy);
                if (r != -EBADMSG) {
                        fprintf(stderr, "prefix of %zu bytes: %d\n", n, r);
                        CHECK(r == -EBADMSG);
                }
                CHECK(!out.volumes);
        }
        longer = malloc(size + 1);
        memcpy(longer, buf, size);
        longer[size] = 0;
        CHECK_INTEQ(spare_job_decode(longer, size + 1, &out), -EBADMSG);
        free(longer);
        spare_job_done(&in);
        free(buf);
}

/* Any one byte changed gives the same job back, another valid job, or
 * -EBADMSG; never a crash (run under the sanitizers in CI). */
TEST(flipped_bytes) {
        SpareJob in = two_volumes();
        char *buf = NULL;
        size_t size = 0;

        CHECK_INTEQ(spare_job_encode(&in, &buf, &size), 0);
        for (size_t i = 0; i < size; i++)
                for (unsigned v = 0; v < 256; v += 51) {
                        SpareJob out = {};
                        char *copy = malloc(size);
                        memcpy(copy, buf, size);
                        copy[i] = (char) v;
                        int r = spare_job_decode(copy, size, &out);
                        free(copy);
                        CHECK(r == 0 || r == -EBADMSG);
                        if (r == 0) {
                                CHECK(out.n_volumes == 2);
                                CHECK(out.volumes[0].provider == &provider_btrfs);
                                CHECK(out.volumes[1].hold == STASIS_HOLD_NONE);
                        }
                        spare_job_done(&out);
                }
        spare_job_done(&in);
        free(buf);
}

/* The layout's fields at their places: a wrong provider name, a held
 * volume and a string with a NUL inside are refused. */
TEST(refused_contents) {
        SpareJob in = two_volumes(), out = {};
        char *buf = NULL;
        size_t size = 0;
        char *p;

        CHECK_INTEQ(spare_job_encode(&in, &buf, &size), 0);
        /* "btrfs" is the first string of volume 0: make it "btrfz". */
        p = memmem(buf, size, "btrfs", 5);
        CHECK(p);
        p[4] = 'z';
        CHECK_INTEQ(spare_job_decode(buf, size, &out), -EBADMSG);
        p[4] = 's';
        CHECK_INTEQ(spare_job_decode(buf, size, &out), 0);
        spare_job_done(&out);
        /* A NUL in the middle of the path. */
        p = memmem(buf, size, "/srv/data", 9);
        CHECK(p);
        p[4] = '\0';
        CHECK_INTEQ(spare_job_decode(buf, size, &out), -EBADMSG);
        p[4] = '/';
        /* The hold of volume 0 (right after the magic, description, time-out and count). */
        size_t hold_at = 13 + 16 + sizeof(usec_t) + sizeof(uint32_t);
        uint32_t held = STASIS_HOLD_FREEZE;
        memcpy(buf + hold_at, &held, sizeof held);
        CHECK_INTEQ(spare_job_decode(buf, size, &out), -EBADMSG);
        spare_job_done(&in);
        free(buf);
}

TEST(what_does_not_fit) {
        SpareJob job = two_volumes();
        char *buf = NULL;
        size_t size = 0;

        job.volumes[1].hold = STASIS_HOLD_FREEZE;
        CHECK(!spare_job_fits(job.volumes, job.n_volumes));
        CHECK_INTEQ(spare_job_encode(&job, &buf, &size), -EINVAL);
        job.volumes[1].hold = STASIS_HOLD_NONE;
        job.volumes[0].provider = &provider_external;
        CHECK(!spare_job_fits(job.volumes, job.n_volumes));
        job.volumes[0].provider = NULL;
        CHECK(!spare_job_fits(job.volumes, job.n_volumes));
        job.volumes[0].provider = &provider_btrfs;
        CHECK(spare_job_fits(job.volumes, job.n_volumes));
        CHECK(!spare_job_fits(job.volumes, 0));
        spare_job_done(&job);
}
