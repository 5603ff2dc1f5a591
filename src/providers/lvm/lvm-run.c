/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-run.c - running the lvm2 command-line tools and reading their JSON reports */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "lvm-run.h"

#define OUTPUT_MAX (16 * 1024 * 1024)
#define ARGS_MAX 48
#define LVS_FIELDS "lv_name,vg_name,lv_uuid,lv_attr,segtype,pool_lv,origin,lv_size,lv_kernel_major," \
                   "lv_kernel_minor,lv_tags,lv_time,vg_free,vg_extent_size,lv_path"

void lvm_lvs_free(LvmLv *lvs, size_t n) {
        for (size_t i = 0; lvs && i < n; i++) {
                LvmLv *l = &lvs[i];
                free(l->name); free(l->vg); free(l->uuid); free(l->attr); free(l->segtype);
                free(l->pool); free(l->origin); free(l->tags); free(l->path);
        }
        free(lvs);
}

typedef struct Buf {
        char *data;
        size_t len, cap;
} Buf;

static int buf_read(Buf *b, int fd) {
        if (b->cap - b->len < 4096) {
                size_t cap = b->cap ? b->cap * 2 : 16384;
                if (cap > OUTPUT_MAX + 1)
                        return -EFBIG;
                char *d = realloc(b->data, cap);
                if (!d)
                        return -ENOMEM;
                b->data = d;
                b->cap = cap;
        }
        ssize_t l = read(fd, b->data + b->len, b->cap - b->len - 1);
        if (l < 0)
                return errno == EINTR || errno == EAGAIN ? 1 : -errno;
        b->len += (size_t) l;
        b->data[b->len] = 0;
        return l > 0;
}

/* The last line of text that says something, without LVM's indentation and
 * the warnings that say nothing about the failure. */
static void last_error_line(const char *text, char *err) {
        const char *best = NULL;
        size_t best_len = 0;

        err[0] = 0;
        for (const char *p = text; p && *p;) {
                const char *e = strchr(p, '\n');
                size_t n = e ? (size_t) (e - p) : strlen(p);
                const char *s = p;
                while (n > 0 && (*s == ' ' || *s == '\t')) {
                        s++;
                        n--;
                }
                if (n > 0 && strncmp(s, "WARNING: This metadata update is NOT backed up", 46) != 0 &&
                    strncmp(s, "File descriptor ", 16) != 0 && strncmp(s, "Aborting.", 9) != 0) {
                        best = s;
                        best_len = n;
                }
                p = e ? e + 1 : NULL;
        }
        /* A failed suspend (of a frozen file system's device, say) is the
         * cause of whatever lvm says after it. */
        const char *susp = text ? strstr(text, "Failed to suspend") : NULL;
        if (susp) {
                best = susp;
                best_len = strcspn(susp, "\n");
        }
        if (best)
                snprintf(err, LVM_ERR_MAX, "%.*s", (int) best_len, best);
}

int lvm_run(const char *const *args, const char *extra_config, char **ret_out, char *err) {
        const char *argv[ARGS_MAX + 4];
        char *config = NULL;
        const char *user = getenv("STASIS_LVM_CONFIG");
        size_t n = 0;
        int out[2] = { -1, -1 }, er[2] = { -1, -1 }, r;
        Buf ob = {}, eb = {};
        pid_t pid;

        err[0] = 0;
        argv[n++] = "lvm";
        for (size_t i = 0; args[i]; i++) {
                if (n >= ARGS_MAX)
                        return -E2BIG;
                argv[n++] = args[i];
                /* --config right after the command name. */
                if (i == 0 && ((user && *user) || extra_config)) {
                        if (asprintf(&config, "%s %s", extra_config ? extra_config : "", user ? user : "") < 0)
                                return -ENOMEM;
                        argv[n++] = "--config";
                        argv[n++] = config;
                }
        }
        argv[n] = NULL;

        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(er, O_CLOEXEC) < 0) {
                r = -errno;
                goto finish;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                goto finish;
        }
        if (pid == 0) {
                int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (null < 0 || dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(er[1], 2) < 0)
                        _exit(127);
                /* lvm warns about every other open descriptor (stasisd hands a
                 * script provider its own file as descriptor 3). */
                for (int fd = 3; fd < 1024; fd++)
                        (void) close(fd);
                (void) setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 1);
                execvp(argv[0], (char *const *) argv);
                dprintf(2, "cannot run lvm: %s\n", strerror(errno));
                _exit(127);
        }
        close(out[1]);
        close(er[1]);
        out[1] = er[1] = -1;

        struct pollfd p[2] = { { .fd = out[0], .events = POLLIN }, { .fd = er[0], .events = POLLIN } };
        r = 0;
        while (p[0].fd >= 0 || p[1].fd >= 0) {
                if (poll(p, 2, -1) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                for (int i = 0; i < 2; i++) {
                        if (p[i].fd < 0 || !p[i].revents)
                                continue;
                        int k = buf_read(i == 0 ? &ob : &eb, p[i].fd);
                        if (k < 0 && r == 0)
                                r = k;
                        if (k <= 0)
                                p[i].fd = -1;
                }
                if (r < 0) {
                        kill(pid, SIGKILL);
                        break;
                }
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        r = r < 0 ? r : -errno;
                        goto finish;
                }
        if (r < 0)
                goto finish;
        last_error_line(eb.data, err);
        if (WIFEXITED(status))
                r = WEXITSTATUS(status);
        else {
                snprintf(err, LVM_ERR_MAX, "lvm %s was killed by signal %d", args[0], WTERMSIG(status));
                r = 128 + WTERMSIG(status);
        }
        if (ret_out) {
                *ret_out = ob.data ? ob.data : strdup("");
                ob.data = NULL;
                if (!*ret_out)
                        r = -ENOMEM;
        }
finish:
        if (r < 0 && !err[0])
                snprintf(err, LVM_ERR_MAX, "cannot run lvm %s: %s", args[0], strerror(-r));
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0)
                        close(out[i]);
                if (er[i] >= 0)
                        close(er[i]);
        }
        free(ob.data);
        free(eb.data);
        free(config);
        return r;
}

static char *field_dup(json_object *row, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(row, key, &v) || !json_object_is_type(v, json_type_string))
                return strdup("");
        return strdup(json_object_get_string(v));
}

static int field_num(json_object *row, const char *key, int64_t *ret) {
        json_object *v;
        char *end;
        if (!json_object_object_get_ex(row, key, &v) || !json_object_is_type(v, json_type_string))
                return -EBADMSG;
        const char *s = json_object_get_string(v);
        if (!*s) {
                *ret = -1;
                return 0;
        }
        errno = 0;
        long long x = strtoll(s, &end, 10);
        if (errno || *end)
                return -EBADMSG;
        *ret = x;
        return 0;
}

/* The rows of report[0].<what> of lvm's JSON output. */
static int report_rows(const char *out, const char *what, json_object **ret_root, json_object **ret_rows) {
        json_object *root = json_tokener_parse(out), *rep, *first, *rows;
        if (!root)
                return -EBADMSG;
        if (!json_object_object_get_ex(root, "report", &rep) || !json_object_is_type(rep, json_type_array) ||
            json_object_array_length(rep) < 1 || !(first = json_object_array_get_idx(rep, 0)) ||
            !json_object_object_get_ex(first, what, &rows) || !json_object_is_type(rows, json_type_array)) {
                json_object_put(root);
                return -EBADMSG;
        }
        *ret_root = root;
        *ret_rows = rows;
        return 0;
}

static int parse_lv(json_object *row, LvmLv *l) {
        int64_t size, major, minor, t, vg_free, extent;
        *l = (LvmLv) {};
        l->name = field_dup(row, "lv_name");
        l->vg = field_dup(row, "vg_name");
        l->uuid = field_dup(row, "lv_uuid");
        l->attr = field_dup(row, "lv_attr");
        l->segtype = field_dup(row, "segtype");
        l->pool = field_dup(row, "pool_lv");
        l->origin = field_dup(row, "origin");
        l->tags = field_dup(row, "lv_tags");
        l->path = field_dup(row, "lv_path");
        if (!l->name || !l->vg || !l->uuid || !l->attr || !l->segtype || !l->pool || !l->origin || !l->tags ||
            !l->path)
                return -ENOMEM;
        if (field_num(row, "lv_size", &size) < 0 || field_num(row, "lv_kernel_major", &major) < 0 ||
            field_num(row, "lv_kernel_minor", &minor) < 0 || field_num(row, "lv_time", &t) < 0 ||
            field_num(row, "vg_free", &vg_free) < 0 || field_num(row, "vg_extent_size", &extent) < 0)
                return -EBADMSG;
        l->size = size < 0 ? 0 : (uint64_t) size;
        l->vg_free = vg_free < 0 ? 0 : (uint64_t) vg_free;
        l->extent_size = extent < 0 ? 0 : (uint64_t) extent;
        l->major = (int) major;
        l->minor = (int) minor;
        l->time = t;
        return 0;
}

int lvm_lvs(const char *const *targets, const char *selection, LvmLv **ret, size_t *ret_n, char *err) {
        const char *args[ARGS_MAX] = { "lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                                       "-o", LVS_FIELDS };
        size_t n = 8;
        char *out = NULL;
        json_object *root = NULL, *rows;
        LvmLv *lvs = NULL;
        size_t k = 0;
        int r;

        if (selection) {
                args[n++] = "-S";
                args[n++] = selection;
        }
        for (size_t i = 0; targets && targets[i]; i++) {
                if (n + 1 >= ARGS_MAX)
                        return -E2BIG;
                args[n++] = targets[i];
        }
        args[n] = NULL;

        r = lvm_run(args, "report{time_format=\"%s\"}", &out, err);
        if (r < 0)
                return r;
        if (r != 0) {
                /* lvs ends with "Cannot process volume group X" (after
                 * "Volume group "X" not found") or "Failed to find logical
                 * volume "X/Y"" for a target that is not there. */
                bool gone = strstr(err, "not found") || strstr(err, "Failed to find") ||
                            strstr(err, "Cannot process volume group");
                if (!err[0])
                        snprintf(err, LVM_ERR_MAX, "lvs failed with exit status %d", r);
                free(out);
                return gone ? -ENOENT : -EIO;
        }
        r = report_rows(out, "lv", &root, &rows);
        free(out);
        if (r < 0) {
                snprintf(err, LVM_ERR_MAX, "lvs printed a report that is not the JSON it should be");
                return r;
        }
        size_t len = json_object_array_length(rows);
        lvs = calloc(len ? len : 1, sizeof *lvs);
        if (!lvs) {
                json_object_put(root);
                return -ENOMEM;
        }
        for (; k < len; k++) {
                r = parse_lv(json_object_array_get_idx(rows, k), &lvs[k]);
                if (r < 0) {
                        snprintf(err, LVM_ERR_MAX, "lvs printed a report row that is not as it should be");
                        lvm_lvs_free(lvs, k + 1);
                        json_object_put(root);
                        return r;
                }
        }
        json_object_put(root);
        *ret = lvs;
        *ret_n = len;
        return 0;
}

int lvm_vg_exists(const char *vg, char *err) {
        char *sel = NULL, *out = NULL;
        json_object *root = NULL, *rows;
        int r;

        if (asprintf(&sel, "vg_name=%s", vg) < 0)
                return -ENOMEM;
        const char *args[] = { "vgs", "--reportformat", "json", "-o", "vg_name", "-S", sel, NULL };
        r = lvm_run(args, NULL, &out, err);
        free(sel);
        if (r < 0)
                return r;
        if (r != 0) {
                if (!err[0])
                        snprintf(err, LVM_ERR_MAX, "vgs failed with exit status %d", r);
                free(out);
                return -EIO;
        }
        r = report_rows(out, "vg", &root, &rows);
        free(out);
        if (r < 0) {
                snprintf(err, LVM_ERR_MAX, "vgs printed a report that is not the JSON it should be");
                return r;
        }
        r = json_object_array_length(rows) > 0;
        json_object_put(root);
        return r;
}
