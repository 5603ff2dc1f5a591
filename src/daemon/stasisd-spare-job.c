/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-spare-job.c - a commit job as bytes, for a worker started ahead (stasisd-commit-spare.c)
 *
 * The layout, in the host's byte order (both ends are the same binary):
 * a magic, the description, the time-out and the number of volumes, then
 * per volume its hold, its two identities and its strings, each a u32
 * length (NO_STRING for NULL) and the bytes, and its details as a u32
 * count (NO_STRING for NULL) of such strings. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasisd-spare-job.h"
#include "strv.h"

#define SPARE_JOB_MAGIC "stasis-job-1"
#define NO_STRING UINT32_MAX
#define VOLUMES_MAX 64
#define DETAILS_MAX 256

bool spare_job_fits(const StasisVolume *volumes, size_t n) {
        if (n == 0 || n > VOLUMES_MAX)
                return false;
        for (size_t i = 0; i < n; i++) {
                const StasisProvider *p = volumes[i].provider;
                if (!p || p->external || p == &provider_external || volumes[i].hold != STASIS_HOLD_NONE ||
                    stasis_provider_find(NULL, p->name) != p)
                        return false;
                if (strv_length(volumes[i].details) > DETAILS_MAX)
                        return false;
        }
        return true;
}

typedef struct Out {
        char *buf;
        size_t size, allocated;
        int error;
} Out;

static void put(Out *o, const void *p, size_t n) {
        if (o->error)
                return;
        if (o->size + n > SPARE_JOB_SIZE_MAX) {
                o->error = -E2BIG;
                return;
        }
        if (o->size + n > o->allocated) {
                size_t a = MAX(o->allocated * 2, o->size + n + 1024);
                char *b = realloc(o->buf, a);
                if (!b) {
                        o->error = -ENOMEM;
                        return;
                }
                o->buf = b;
                o->allocated = a;
        }
        memcpy(o->buf + o->size, p, n);
        o->size += n;
}

static void put_u32(Out *o, uint32_t v) {
        put(o, &v, sizeof v);
}

static void put_string(Out *o, const char *s) {
        if (!s) {
                put_u32(o, NO_STRING);
                return;
        }
        size_t l = strlen(s);
        if (l >= SPARE_JOB_SIZE_MAX) {
                o->error = o->error ?: -E2BIG;
                return;
        }
        put_u32(o, (uint32_t) l);
        put(o, s, l);
}

static void put_identity(Out *o, const FileIdentity *id) {
        uint64_t v[3] = { id->mnt_id, (uint64_t) id->dev, (uint64_t) id->ino };
        put(o, v, sizeof v);
}

int spare_job_encode(const SpareJob *job, char **ret, size_t *ret_size) {
        Out o = {};

        assert(job);
        assert(ret);
        assert(ret_size);

        if (!spare_job_fits(job->volumes, job->n_volumes))
                return -EINVAL;
        put(&o, SPARE_JOB_MAGIC, sizeof SPARE_JOB_MAGIC);
        put(&o, job->description, sizeof job->description);
        put(&o, &job->commit_timeout, sizeof job->commit_timeout);
        put_u32(&o, (uint32_t) job->n_volumes);
        for (size_t i = 0; i < job->n_volumes; i++) {
                const StasisVolume *v = &job->volumes[i];
                put_u32(&o, (uint32_t) v->hold);
                put_u32(&o, v->missing);
                put_identity(&o, &v->mount_identity);
                put_identity(&o, &v->source_identity);
                put_string(&o, v->provider->name);
                put_string(&o, v->path);
                put_string(&o, v->mount_point);
                put_string(&o, v->device);
                put_string(&o, v->fstype);
                put_string(&o, v->source);
                put_string(&o, v->key);
                put_string(&o, v->handle);
                if (!v->details)
                        put_u32(&o, NO_STRING);
                else {
                        put_u32(&o, (uint32_t) strv_length(v->details));
                        STRV_FOREACH(d, v->details)
                                put_string(&o, *d);
                }
        }
        if (o.error) {
                free(o.buf);
                return o.error;
        }
        *ret = o.buf;
        *ret_size = o.size;
        return 0;
}

typedef struct In {
        const char *p;
        size_t left;
        bool bad;
} In;

static bool take(In *in, void *dst, size_t n) {
        if (in->bad || in->left < n) {
                in->bad = true;
                return false;
        }
        memcpy(dst, in->p, n);
        in->p += n;
        in->left -= n;
        return true;
}

static uint32_t take_u32(In *in) {
        uint32_t v = 0;
        (void) take(in, &v, sizeof v);
        return v;
}

/* A string, or NULL for none; *ok false when the bytes are bad or out of memory. */
static char *take_string(In *in, bool *ok) {
        uint32_t l = take_u32(in);
        if (in->bad || l == NO_STRING)
                return NULL;
        if (l > in->left || memchr(in->p, 0, l)) {
                in->bad = true;
                return NULL;
        }
        char *s = strndup(in->p, l);
        if (!s) {
                *ok = false;
                return NULL;
        }
        in->p += l;
        in->left -= l;
        return s;
}

static void take_identity(In *in, FileIdentity *id) {
        uint64_t v[3] = {};
        if (!take(in, v, sizeof v))
                return;
        *id = (FileIdentity) { .mnt_id = v[0], .dev = (dev_t) v[1], .ino = (ino_t) v[2] };
}

static int take_volume(In *in, StasisVolume *v) {
        bool ok = true;
        char *provider;
        uint32_t hold = take_u32(in), missing = take_u32(in);

        take_identity(in, &v->mount_identity);
        take_identity(in, &v->source_identity);
        provider = take_string(in, &ok);
        v->path = take_string(in, &ok);
        v->mount_point = take_string(in, &ok);
        v->device = take_string(in, &ok);
        v->fstype = take_string(in, &ok);
        v->source = take_string(in, &ok);
        v->key = take_string(in, &ok);
        v->handle = take_string(in, &ok);
        uint32_t n = take_u32(in);
        if (!in->bad && ok && n != NO_STRING) {
                if (n > DETAILS_MAX)
                        in->bad = true;
                else if (!(v->details = calloc(n + 1, sizeof(char *))))
                        ok = false;
                for (uint32_t i = 0; !in->bad && ok && i < n; i++) {
                        v->details[i] = take_string(in, &ok);
                        if (!v->details[i] && ok)
                                in->bad = true;         /* no NULL in the middle of a list */
                }
        }
        if (!in->bad && ok) {
                v->provider = provider ? stasis_provider_find(NULL, provider) : NULL;
                v->hold = (StasisHold) hold;
                v->missing = missing != 0;
                if (hold != STASIS_HOLD_NONE || missing > 1 || !spare_job_fits(v, 1))
                        in->bad = true;
        }
        free(provider);
        return !ok ? -ENOMEM : in->bad ? -EBADMSG : 0;
}

int spare_job_decode(const char *buf, size_t size, SpareJob *ret) {
        In in = { .p = buf, .left = size };
        SpareJob job = {};
        char magic[sizeof SPARE_JOB_MAGIC];
        int r = 0;

        assert(buf || size == 0);
        assert(ret);

        if (size > SPARE_JOB_SIZE_MAX || !take(&in, magic, sizeof magic) ||
            memcmp(magic, SPARE_JOB_MAGIC, sizeof magic) != 0)
                return -EBADMSG;
        if (!take(&in, job.description, sizeof job.description) ||
            !memchr(job.description, 0, sizeof job.description) ||
            !take(&in, &job.commit_timeout, sizeof job.commit_timeout))
                return -EBADMSG;
        uint32_t n = take_u32(&in);
        if (in.bad || n == 0 || n > VOLUMES_MAX)
                return -EBADMSG;
        job.volumes = calloc(n, sizeof(StasisVolume));
        if (!job.volumes)
                return -ENOMEM;
        for (; job.n_volumes < n && r >= 0; job.n_volumes++)
                r = take_volume(&in, &job.volumes[job.n_volumes]);
        if (r >= 0 && in.left > 0)
                r = -EBADMSG;
        if (r < 0) {
                spare_job_done(&job);
                return r;
        }
        *ret = job;
        return 0;
}

void spare_job_done(SpareJob *job) {
        if (!job)
                return;
        for (size_t i = 0; i < job->n_volumes; i++)
                stasis_volume_done(&job->volumes[i]);
        free(job->volumes);
        *job = (SpareJob) {};
}
