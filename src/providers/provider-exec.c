/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-exec.c - external providers: executables in the providers directory (docs/provider-spec.md) */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec-call.h"
#include "exec-list.h"
#include "macro.h"
#include "path-trust.h"
#include "provider-exec.h"
#include "utf8.h"
#include "strv.h"

#define EXEC_PROBE_TIMEOUT  (5 * USEC_PER_SEC)
#define EXEC_REMOVE_TIMEOUT (60 * USEC_PER_SEC)

/* Answers to probe, kept a while: running a provider for every path of every
 * set costs a process start, and a process that exits right before a hold
 * makes the kernel's FIFREEZE slower (its RCU grace periods take longer). An
 * answer is for one provider, mount (the kernel's mount id is new for every
 * mount) and path, and is kept for PROBE_CACHE_USEC at most. */
#define PROBE_CACHE_MAX  256
#define PROBE_CACHE_USEC (60 * USEC_PER_SEC)

typedef struct ProbeAnswer {
        const StasisProvider *provider;
        int mount_id;
        char *path;
        usec_t when;
        int priority;           /* 0: not its kind */
        StasisHold hold;
        char *key, *source;
        char **details;
} ProbeAnswer;

/* What an external provider keeps: StasisProvider.data. */
typedef struct ExecProvider {
        char *path;                             /* the executable */
        ProbeAnswer probe_cache[PROBE_CACHE_MAX];
        bool prestarted;                        /* a commit started ahead (in the worker process) */
        ExecCall prestart;
} ExecProvider;

static ExecProvider *exec_of(const StasisProvider *self) {
        return self->data;
}

static void probe_answer_done(ProbeAnswer *a) {
        free(a->path);
        free(a->key);
        free(a->source);
        strv_free(a->details);
        *a = (ProbeAnswer) {};
}

static void probe_cache_clear(ProbeAnswer *probe_cache) {
        for (size_t i = 0; i < PROBE_CACHE_MAX; i++)
                probe_answer_done(&probe_cache[i]);
}

static const ProbeAnswer *probe_cache_find(const StasisProvider *self, const MountEntry *m, const char *path) {
        const ProbeAnswer *probe_cache = exec_of(self)->probe_cache;
        usec_t now = now_usec(CLOCK_MONOTONIC);
        for (size_t i = 0; i < PROBE_CACHE_MAX; i++) {
                const ProbeAnswer *a = &probe_cache[i];
                if (a->provider == self && a->mount_id == m->mount_id && a->path && streq(a->path, path) &&
                    now - a->when < PROBE_CACHE_USEC)
                        return a;
        }
        return NULL;
}

static void probe_cache_add(const StasisProvider *self, const MountEntry *m, const char *path, int priority,
                            const StasisVolume *v) {
        ProbeAnswer *probe_cache = exec_of(self)->probe_cache;
        ProbeAnswer *slot = &probe_cache[0];
        for (size_t i = 0; i < PROBE_CACHE_MAX; i++) {
                if (!probe_cache[i].provider) {
                        slot = &probe_cache[i];
                        break;
                }
                if (probe_cache[i].when < slot->when)
                        slot = &probe_cache[i];
        }
        probe_answer_done(slot);
        *slot = (ProbeAnswer) {
                .provider = self, .mount_id = m->mount_id, .path = strdup(path),
                .when = now_usec(CLOCK_MONOTONIC), .priority = priority, .hold = v->hold,
                .key = v->key ? strdup(v->key) : NULL, .source = v->source ? strdup(v->source) : NULL,
                .details = v->details ? strv_copy(v->details) : NULL,
        };
        if (!slot->path || (v->key && !slot->key) || (v->source && !slot->source) || (v->details && !slot->details))
                probe_answer_done(slot);
}

const char *exec_provider_path(const StasisProvider *self) {
        return exec_of(self)->path;
}

json_object *exec_volume_to_json(const StasisVolume *v) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", json_object_new_string(strempty(v->path)));
        json_object_object_add(o, "mount_point", json_object_new_string(strempty(v->mount_point)));
        json_object_object_add(o, "device", json_object_new_string(strempty(v->device)));
        json_object_object_add(o, "fstype", json_object_new_string(strempty(v->fstype)));
        if (v->source)
                json_object_object_add(o, "source", json_object_new_string(v->source));
        if (v->key)
                json_object_object_add(o, "key", json_object_new_string(v->key));
        if (v->handle)
                json_object_object_add(o, "handle", json_object_new_string(v->handle));
        return o;
}

json_object *exec_new_request(void) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "version", json_object_new_int(EXEC_PROTOCOL_VERSION));
        return o;
}

int exec_provider_call(const StasisProvider *self, const char *verb, json_object *req, usec_t timeout, int abort_fd,
                json_object **ret, StasisProviderResult *res) {
        char err[STASIS_PROVIDER_MESSAGE_MAX];
        int r = exec_call(exec_provider_path(self), verb, req, timeout, abort_fd, ret, err, sizeof err);
        json_object_put(req);
        if (r < 0)
                return stasis_provider_result_set(res, r, "%s", err);
        return 0;
}

/* A probe answer's optional "details": an object of at most
 * STASIS_DETAILS_MAX members named [a-z0-9_]{1,32}, each a string (UTF-8
 * text, at most STASIS_DETAIL_VALUE_MAX bytes) or a whole number; as
 * "key=value" strings in *ret (NULL when there are none). */
static int parse_details(const StasisProvider *self, json_object *resp, char ***ret, StasisProviderResult *res) {
        _cleanup_strv_free_ char **l = NULL;
        json_object *d;
        size_t n = 0;

        *ret = NULL;
        if (!json_object_object_get_ex(resp, "details", &d))
                return 0;
        if (!json_object_is_type(d, json_type_object))
                return stasis_provider_result_set(res, -EBADMSG, "provider %s probe: \"details\" must be an object",
                                                  self->name);
        json_object_object_foreach(d, key, val) {
                char num[32], *kv;
                const char *s;
                size_t kl = strlen(key);

                if (++n > STASIS_DETAILS_MAX || kl == 0 || kl > 32 || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") != kl)
                        return stasis_provider_result_set(res, -EBADMSG, "provider %s probe: \"details\" has more "
                                                          "than %d members, or a name that is not [a-z0-9_]{1,32}",
                                                          self->name, STASIS_DETAILS_MAX);
                if (json_object_is_type(val, json_type_int)) {
                        snprintf(num, sizeof num, "%" PRId64, json_object_get_int64(val));
                        s = num;
                } else if (json_object_is_type(val, json_type_string)) {
                        s = json_object_get_string(val);
                        if (strlen(s) > STASIS_DETAIL_VALUE_MAX || utf8_check_text(s, NULL, NULL) < 0)
                                return stasis_provider_result_set(res, -EBADMSG, "provider %s probe: detail \"%s\" "
                                                                  "is not text of at most %d bytes", self->name, key,
                                                                  STASIS_DETAIL_VALUE_MAX);
                } else
                        return stasis_provider_result_set(res, -EBADMSG, "provider %s probe: detail \"%s\" is not a "
                                                          "string or a whole number", self->name, key);
                if (asprintf(&kv, "%s=%s", key, s) < 0)
                        return -ENOMEM;
                if (strv_extend(&l, kv) < 0) {
                        free(kv);
                        return -ENOMEM;
                }
                free(kv);
        }
        *ret = TAKE_PTR(l);
        return 0;
}

static int exec_probe(const StasisProvider *self, const MountEntry *m, const char *path, StasisVolume *v,
                      StasisProviderResult *res) {
        StasisVolume q = { .path = (char *) path, .mount_point = (char *) m->mount_point,
                           .device = (char *) m->source, .fstype = (char *) m->fstype };
        json_object *req, *resp = NULL, *j;
        int r;

        const ProbeAnswer *a = probe_cache_find(self, m, path);
        if (a) {
                if (a->priority == 0)
                        return 0;
                v->hold = a->hold;
                v->key = strdup(a->key);
                v->source = strdup(a->source);
                v->details = a->details ? strv_copy(a->details) : NULL;
                return v->key && v->source && (!a->details || v->details) ? a->priority : -ENOMEM;
        }

        req = exec_new_request();
        json_object_object_add(req, "volume", exec_volume_to_json(&q));
        r = exec_provider_call(self, "probe", req, EXEC_PROBE_TIMEOUT, -1, &resp, res);
        if (r < 0)
                return r;

        if (!json_object_object_get_ex(resp, "supported", &j) || !json_object_is_type(j, json_type_boolean)) {
                r = stasis_provider_result_set(res, -EBADMSG, "provider %s probe: answer lacks a boolean \"supported\"",
                                               self->name);
                goto finish;
        }
        if (!json_object_get_boolean(j)) {
                probe_cache_add(self, m, path, 0, v);
                r = 0;
                goto finish;
        }

        const char *hold = json_get_string(resp, "hold"), *key = json_get_string(resp, "key"),
                   *source = json_get_string(resp, "source");
        int64_t prio = 0;
        if (json_object_object_get_ex(resp, "priority", &j) && json_object_is_type(j, json_type_int))
                prio = json_object_get_int64(j);
        if (prio < 1 || prio > 1000) {
                r = stasis_provider_result_set(res, -EBADMSG,
                                "provider %s probe: \"priority\" must be a whole number from 1 to 1000", self->name);
                goto finish;
        }
        if (!hold || (!streq(hold, "freeze") && !streq(hold, "none"))) {
                r = stasis_provider_result_set(res, -EBADMSG,
                                "provider %s probe: \"hold\" must be \"freeze\" or \"none\"", self->name);
                goto finish;
        }
        if (isempty(key) || !source) {
                r = stasis_provider_result_set(res, -EBADMSG,
                                "provider %s probe: answer lacks \"key\" or \"source\"", self->name);
                goto finish;
        }
        r = parse_details(self, resp, &v->details, res);
        if (r < 0)
                goto finish;
        v->hold = streq(hold, "freeze") ? STASIS_HOLD_FREEZE : STASIS_HOLD_NONE;
        v->key = strdup(key);
        v->source = strdup(source);
        r = v->key && v->source ? (int) prio : -ENOMEM;
        if (r > 0)
                probe_cache_add(self, m, path, r, v);
finish:
        json_object_put(resp);
        return r;
}

static int exec_prepare(const StasisProvider *self, StasisVolume *v, const char *set_id, size_t index,
                        StasisProviderResult *res) {
        if (asprintf(&v->handle, "stasis-%s-%zu", set_id, index) < 0) {
                v->handle = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* A commit started ahead of a hold (in the worker process, whose copy of
 * the provider it is). */
static int exec_prestart(const StasisProvider *self) {
        char err[STASIS_PROVIDER_MESSAGE_MAX];
        ExecProvider *x = exec_of(self);
        if (x->prestarted)
                return 0;       /* one is enough: the commit takes all its volumes */
        int r = exec_start(x->path, "commit", &x->prestart, err, sizeof err);
        if (r < 0)
                return r;
        x->prestarted = true;
        return 0;
}

static int exec_commit(const StasisProvider *self, StasisVolume * const *volumes, size_t n,
                       usec_t timeout, int abort_fd, StasisProviderResult *results) {
        json_object *req = exec_new_request(), *arr = json_object_new_array(), *resp = NULL;
        const char *set_id = NULL;
        int r;

        for (size_t i = 0; i < n; i++)
                json_object_array_add(arr, exec_volume_to_json(volumes[i]));
        /* The set id is the middle of the handle stasisd chose: stasis-<id>-<index>. */
        char id[32] = "";
        if (n > 0 && sscanf(volumes[0]->handle, "stasis-%31[0-9]-", id) == 1)
                set_id = id;
        json_object_object_add(req, "set_id", json_object_new_string(strempty(set_id)));
        json_object_object_add(req, "volumes", arr);

        /* The provider started ahead of the hold, if it was. */
        ExecCall *early = NULL;
        if (exec_of(self)->prestarted) {
                early = &exec_of(self)->prestart;
                exec_of(self)->prestarted = false;
        }
        if (early) {
                char err[STASIS_PROVIDER_MESSAGE_MAX];
                r = exec_finish(early, req, timeout, abort_fd, &resp, err, sizeof err);
                json_object_put(req);
                if (r < 0)
                        stasis_provider_result_set(&results[0], r, "%s", err);
        } else
                r = exec_provider_call(self, "commit", req, timeout, abort_fd, &resp, &results[0]);
        json_object_put(resp);
        for (size_t i = 1; i < n; i++)
                results[i] = results[0];
        return r;
}

static int exec_remove(const StasisProvider *self, const StasisVolume *v, StasisProviderResult *res) {
        json_object *req = exec_new_request(), *resp = NULL;
        json_object_object_add(req, "volume", exec_volume_to_json(v));
        int r = exec_provider_call(self, "delete", req, EXEC_REMOVE_TIMEOUT, -1, &resp, res);
        json_object_put(resp);
        return r;
}

static int exec_exists(const StasisProvider *self, const StasisVolume *v) {
        StasisProviderResult res = {};
        json_object *req = exec_new_request(), *resp = NULL, *j;
        json_object_object_add(req, "volume", exec_volume_to_json(v));
        int r = exec_provider_call(self, "exists", req, EXEC_REMOVE_TIMEOUT, -1, &resp, &res);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(resp, "exists", &j) || !json_object_is_type(j, json_type_boolean))
                r = -EBADMSG;
        else
                r = json_object_get_boolean(j) ? 1 : 0;
        json_object_put(resp);
        return r;
}

/* The provider mounts the snapshot at scratch (its mount verb); stasisd
 * takes a detached copy of that mount, read-only, nosuid, nodev, and
 * unmounts scratch: the copy keeps the file system (and an autoclear loop
 * device under it) until the last view of it goes. */
static int exec_mount(const StasisProvider *self, const StasisVolume *v, const char *scratch, int *ret_mount_fd,
                      StasisProviderResult *res) {
        json_object *req = exec_new_request(), *resp = NULL;
        json_object_object_add(req, "volume", exec_volume_to_json(v));
        json_object_object_add(req, "target", json_object_new_string(scratch));
        int r = exec_provider_call(self, "mount", req, STASIS_PROVIDER_MOUNT_TIMEOUT, -1, &resp, res);
        json_object_put(resp);
        if (r < 0)
                return r;
        int fd = open_tree(AT_FDCWD, scratch, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
        if (fd < 0)
                r = stasis_provider_result_set(res, -errno, "%s mounted the snapshot %s, but it cannot be taken "
                                               "from %s: %m", self->name, strempty(v->handle), scratch);
        if (fd >= 0) {
                struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV };
                if (mount_setattr(fd, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0) {
                        r = stasis_provider_result_set(res, -errno, "cannot make the mount of the snapshot %s "
                                                       "read-only: %m", strempty(v->handle));
                        fd = safe_close(fd);
                }
        }
        (void) umount2(scratch, MNT_DETACH | UMOUNT_NOFOLLOW);
        if (r < 0)
                return r;
        *ret_mount_fd = fd;
        return 0;
}

void stasis_providers_free_external(StasisProviders *providers) {
        assert(providers);
        for (size_t i = 0; i < providers->n_external; i++) {
                StasisProvider *p = providers->external[i];
                ExecProvider *x = exec_of(p);
                probe_cache_clear(x->probe_cache);
                free(x->path);
                free(x);
                free((char *) p->name);
                free(p);
                providers->external[i] = NULL;
        }
        providers->n_external = 0;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char * const *) a, *(char * const *) b);
}

/* An entry of the providers directory that is a provider: a regular file,
 * or a symbolic link to one, with an execute bit. Others are not providers
 * and are passed over without a word (a README, a directory). */
static bool looks_like_provider(const char *path) {
        struct stat st;
        return stat(path, &st) >= 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int stasis_providers_load_external(StasisProviders *providers, const char *dir, StasisProviderRefused refused,
                                   void *userdata, char *why, size_t why_size) {
        char *names[STASIS_PROVIDERS_EXTERNAL_MAX];
        size_t n = 0;
        _cleanup_close_ int dfd = -1;
        struct stat st;
        DIR *d;
        struct dirent *de;
        int r;

        assert(providers);
        assert(dir);
        stasis_providers_free_external(providers);
        r = path_open_trusted(dir, false, &dfd, &st, why, why_size);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (!S_ISDIR(st.st_mode)) {
                snprintf(why, why_size, "%s is not a directory", dir);
                return -ENOTDIR;
        }
        /* List the directory that was checked. */
        int lfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lfd < 0 || !(d = fdopendir(lfd))) {
                r = -errno;
                safe_close(lfd);
                snprintf(why, why_size, "cannot read %s: %s", dir, strerror(-r));
                return r;
        }
        while ((de = readdir(d))) {
                char *p, reason[STASIS_PROVIDER_MESSAGE_MAX];
                int fd;
                if (de->d_name[0] == '.' || strchr(de->d_name, '~'))
                        continue;
                if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
                        break;
                if (!looks_like_provider(p) || stasis_provider_find(NULL, de->d_name) || n >= STASIS_PROVIDERS_EXTERNAL_MAX) {
                        free(p);
                        continue;
                }
                r = path_open_trusted(p, false, &fd, NULL, reason, sizeof reason);
                if (r < 0) {
                        if (refused)
                                refused(p, reason, userdata);
                        free(p);
                        continue;
                }
                safe_close(fd);
                names[n++] = p;
        }
        closedir(d);

        /* In name order, so the choice between equal priorities is stable. */
        qsort(names, n, sizeof(char *), name_cmp);
        for (size_t i = 0; i < n; i++) {
                StasisProvider *p = calloc(1, sizeof(StasisProvider));
                ExecProvider *x = calloc(1, sizeof(ExecProvider));
                char *name = strdup(strrchr(names[i], '/') + 1);
                if (!p || !x || !name) {
                        free(p);
                        free(x);
                        free(name);
                        free(names[i]);
                        continue;
                }
                x->path = names[i];
                *p = (StasisProvider) {
                        .version = STASIS_PROVIDER_OPS_VERSION,
                        .size = sizeof(StasisProvider),
                        .name = name,
                        .external = true,
                        .data = x,
                        .probe = exec_probe,
                        .prepare = exec_prepare,
                        .commit = exec_commit,
                        .prestart = exec_prestart,
                        .remove = exec_remove,
                        .exists = exec_exists,
                        .mount = exec_mount,
                        .list = exec_list,
                        .space = exec_space,
                        .extend = exec_extend,
                };
                providers->external[providers->n_external++] = p;
        }
        return (int) providers->n_external;
}
