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

#include "lvm-run.h"

#define OUTPUT_MAX (16 * 1024 * 1024)
#define ARGS_MAX 48

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

int lvm_lvs(const char *const *targets, const char *selection, LvmLv **ret, size_t *ret_n, char *err) {
        const char *args[ARGS_MAX] = { "lvs", "--reportformat", "json", "--units", "b", "--nosuffix",
                                       "-o", LVM_LVS_FIELDS };
        size_t n = 8;
        char *out = NULL;
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
        r = lvm_report_parse_lvs(out, ret, ret_n);
        free(out);
        if (r < 0)
                snprintf(err, LVM_ERR_MAX, "lvs printed a report that is not the JSON it should be");
        return r;
}

int lvm_vg_exists(const char *vg, char *err) {
        char *sel = NULL, *out = NULL;
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
        size_t n = 0;
        r = lvm_report_count_rows(out, "vg", &n);
        free(out);
        if (r < 0) {
                snprintf(err, LVM_ERR_MAX, "vgs printed a report that is not the JSON it should be");
                return r;
        }
        return n > 0;
}
