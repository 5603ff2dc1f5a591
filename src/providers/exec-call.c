/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec-call.c - run a provider executable: a verb, JSON in, JSON out, a time limit */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec-call.h"
#include "macro.h"
#include "path-trust.h"

/* The whole environment of a provider (docs/provider-spec.md): nothing of stasisd's own. */
static char *const provider_environment[] = {
        (char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        (char *) "LANG=C.UTF-8",
        (char *) "STASIS_PROVIDER_VERSION=1",
        NULL,
};

const char *json_get_string(json_object *o, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

static const char *basename_of(const char *path) {
        const char *s = strrchr(path, '/');
        return s ? s + 1 : path;
}

static void kill_group(pid_t pid) {
        (void) kill(-pid, SIGKILL);
        (void) kill(pid, SIGKILL);
}

/* Trims trailing white space and makes control characters printable. */
static void tidy(char *s) {
        size_t l = strlen(s);
        while (l > 0 && (s[l - 1] == '\n' || s[l - 1] == ' ' || s[l - 1] == '\r'))
                s[--l] = 0;
        for (char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20)
                        *c = ' ';
}

static void close_pipes(int in[2], int out[2], int errp[2]) {
        for (int i = 0; i < 2; i++) {
                safe_close(in[i]);
                safe_close(out[i]);
                safe_close(errp[i]);
        }
}

/* In the child: runs the checked executable fd (at 3), as verb. */
_noreturn_ static void exec_child(const char *path, const char *verb, pid_t parent, int fd,
                                  int in[2], int out[2], int errp[2]) {
        char *const argv[] = { (char *) path, (char *) verb, NULL };
        sigset_t none;

        /* It dies with its caller: a provider that outlived a killed worker
         * could finish a snapshot after stasisd has removed what the worker
         * made, leaving one that no set names. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                _exit(127);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);
        (void) setpgid(0, 0);
        /* Above the three standard descriptors first, so none overwrites it. */
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 10);
        if (fd < 0 || dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(errp[1], 2) < 0 ||
            dup3(fd, 3, O_CLOEXEC) < 0)
                _exit(127);
        (void) close_range(4, ~0U, 0);
        if (chdir("/") < 0)
                _exit(127);
        (void) fexecve(3, argv, provider_environment);
        /* A script: its interpreter reads it through /dev/fd/3, which must
         * then stay open (fexecve(3) fails with ENOENT while it would close). */
        if (errno == ENOENT) {
                (void) fcntl(3, F_SETFD, 0);
                (void) fexecve(3, argv, provider_environment);
        }
        fprintf(stderr, "cannot execute: %s", strerror(errno));
        _exit(127);
}

int exec_start(const char *path, const char *verb, ExecCall *c, char *err, size_t err_size) {
        const char *name = basename_of(path);
        int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
        _cleanup_close_ int fd = -1;
        char why[200];
        struct stat st;
        pid_t parent = getpid(), pid;
        int r;

        /* Checked at every call, and run from the descriptor checked: what runs
         * is what was checked, even if the file is replaced meanwhile. */
        r = path_open_trusted(path, false, &fd, &st, why, sizeof why);
        if (r >= 0 && !S_ISREG(st.st_mode)) {
                snprintf(why, sizeof why, "%s is not a regular file", path);
                r = -EPERM;
        }
        if (r < 0) {
                snprintf(err, err_size, "provider %s %s: refusing to run it: %s", name, verb, why);
                return r;
        }
        if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
                r = -errno;
                snprintf(err, err_size, "%s %s: cannot make pipes: %s", name, verb, strerror(-r));
                goto fail;
        }
        pid = fork();
        if (pid < 0) {
                r = -errno;
                snprintf(err, err_size, "%s %s: cannot fork: %s", name, verb, strerror(-r));
                goto fail;
        }
        if (pid == 0)
                exec_child(path, verb, parent, fd, in, out, errp);
        (void) setpgid(pid, pid);
        safe_close(in[0]);
        safe_close(out[1]);
        safe_close(errp[1]);
        (void) fcntl(in[1], F_SETFL, O_NONBLOCK);
        (void) signal(SIGPIPE, SIG_IGN);
        *c = (ExecCall) { .path = path, .verb = verb, .pid = pid, .in = in[1], .out = out[0], .err = errp[0],
                          .output_max = EXEC_OUTPUT_MAX };
        return 0;
fail:
        close_pipes(in, out, errp);
        return r;
}

int exec_call_sized(const char *path, const char *verb, json_object *request, usec_t timeout, int abort_fd,
                    size_t output_max, json_object **ret, char *err, size_t err_size) {
        ExecCall c;
        int r = exec_start(path, verb, &c, err, err_size);
        if (r < 0)
                return r;
        c.output_max = output_max;
        return exec_finish(&c, request, timeout, abort_fd, ret, err, err_size);
}

int exec_call(const char *path, const char *verb, json_object *request, usec_t timeout, int abort_fd,
              json_object **ret, char *err, size_t err_size) {
        return exec_call_sized(path, verb, request, timeout, abort_fd, EXEC_OUTPUT_MAX, ret, err, err_size);
}

int exec_finish(ExecCall *c, json_object *request, usec_t timeout, int abort_fd,
                json_object **ret, char *err, size_t err_size) {
        const char *name = basename_of(c->path), *verb = c->verb;
        const char *input = json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
        size_t in_len = strlen(input), in_off = 0;
        int in[2] = { -1, c->in }, out[2] = { c->out, -1 }, errp[2] = { c->err, -1 };
        char *obuf = NULL, ebuf[EXEC_STDERR_MAX + 1];
        size_t olen = 0, elen = 0;
        bool overflow = false;
        int status = 0, r;
        pid_t pid = c->pid;
        size_t output_max = c->output_max > 0 ? c->output_max : EXEC_OUTPUT_MAX;

        *c = (ExecCall) { .pid = -1, .in = -1, .out = -1, .err = -1 };
        ebuf[0] = 0;
        obuf = malloc(output_max + 1);
        if (!obuf) {
                kill_group(pid);
                (void) waitpid(pid, NULL, 0);
                r = -ENOMEM;
                goto finish;
        }

        usec_t deadline = now_usec(CLOCK_MONOTONIC) + timeout;
        r = 0;
        while (out[0] >= 0 || errp[0] >= 0) {
                struct pollfd p[4];
                int n = 0, io = -1, ie = -1, ii = -1, ia = -1;
                usec_t now = now_usec(CLOCK_MONOTONIC);

                if (now >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                if (out[0] >= 0) { io = n; p[n++] = (struct pollfd) { .fd = out[0], .events = POLLIN }; }
                if (errp[0] >= 0) { ie = n; p[n++] = (struct pollfd) { .fd = errp[0], .events = POLLIN }; }
                if (in[1] >= 0) { ii = n; p[n++] = (struct pollfd) { .fd = in[1], .events = POLLOUT }; }
                if (abort_fd >= 0) { ia = n; p[n++] = (struct pollfd) { .fd = abort_fd, .events = POLLIN }; }

                int ms = (int) MIN((deadline - now + 999) / 1000, (usec_t) 60000);
                if (poll(p, n, ms) < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (ia >= 0 && p[ia].revents) {
                        r = -ECANCELED;
                        break;
                }
                if (ii >= 0 && p[ii].revents) {
                        ssize_t l = write(in[1], input + in_off, in_len - in_off);
                        if (l > 0)
                                in_off += (size_t) l;
                        if (l < 0 && errno != EAGAIN)
                                in_off = in_len;          /* it closed stdin: fine */
                        if (in_off >= in_len)
                                in[1] = safe_close(in[1]);
                }
                if (io >= 0 && p[io].revents) {
                        char tmp[4096];
                        ssize_t l = read(out[0], tmp, sizeof tmp);
                        if (l <= 0)
                                out[0] = safe_close(out[0]);
                        else if (olen + (size_t) l > output_max)
                                overflow = true;
                        else {
                                memcpy(obuf + olen, tmp, (size_t) l);
                                olen += (size_t) l;
                        }
                }
                if (ie >= 0 && p[ie].revents) {
                        char tmp[1024];
                        ssize_t l = read(errp[0], tmp, sizeof tmp);
                        if (l <= 0)
                                errp[0] = safe_close(errp[0]);
                        else {
                                size_t k = MIN((size_t) l, EXEC_STDERR_MAX - elen);
                                memcpy(ebuf + elen, tmp, k);
                                elen += k;
                                ebuf[elen] = 0;
                        }
                }
        }

        if (r < 0)
                kill_group(pid);
        else
                (void) kill(-pid, SIGKILL);   /* nothing it started may outlive the call */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;

        tidy(ebuf);
        if (r == -ETIMEDOUT) {
                snprintf(err, err_size, "provider %s did not finish %s within %g s and was killed", name, verb,
                         (double) timeout / USEC_PER_SEC);
                goto finish;
        }
        if (r == -ECANCELED) {
                snprintf(err, err_size, "provider %s %s was stopped: the hold window ended", name, verb);
                goto finish;
        }
        if (r < 0) {
                snprintf(err, err_size, "provider %s %s: %s", name, verb, strerror(-r));
                goto finish;
        }
        if (overflow) {
                r = -EBADMSG;
                snprintf(err, err_size, "provider %s %s printed more than %zu bytes", name, verb, output_max);
                goto finish;
        }
        obuf[olen] = 0;

        enum json_tokener_error jerr;
        json_object *resp = olen > 0 ? json_tokener_parse_verbose(obuf, &jerr) : NULL;
        bool ok_status = WIFEXITED(status) && WEXITSTATUS(status) == 0;

        if (!ok_status) {
                const char *why = resp && json_object_is_type(resp, json_type_object) ? json_get_string(resp, "error") : NULL;
                if (WIFSIGNALED(status))
                        snprintf(err, err_size, "provider %s %s was killed by signal %d%s%s", name, verb,
                                 WTERMSIG(status), ebuf[0] ? ": " : "", ebuf);
                else
                        snprintf(err, err_size, "provider %s %s failed (exit status %d): %s", name, verb,
                                 WEXITSTATUS(status), why ? why : ebuf[0] ? ebuf : "no reason given");
                json_object_put(resp);
                r = -EIO;
                goto finish;
        }
        if (!resp || !json_object_is_type(resp, json_type_object)) {
                snprintf(err, err_size, "provider %s %s exited 0 but did not print a JSON object%s%.80s%s",
                         name, verb, olen ? " (it printed: \"" : "", olen ? obuf : "", olen ? "\")" : "");
                json_object_put(resp);
                r = -EBADMSG;
                goto finish;
        }
        json_object *v;
        if (!json_object_object_get_ex(resp, "version", &v) || !json_object_is_type(v, json_type_int)) {
                snprintf(err, err_size, "provider %s %s answered without a \"version\"", name, verb);
                json_object_put(resp);
                r = -EBADMSG;
                goto finish;
        }
        if (json_object_get_int64(v) != EXEC_PROTOCOL_VERSION) {
                snprintf(err, err_size, "provider %s %s speaks protocol version %" PRId64 "; stasisd speaks %d",
                         name, verb, (int64_t) json_object_get_int64(v), EXEC_PROTOCOL_VERSION);
                json_object_put(resp);
                r = -EBADMSG;
                goto finish;
        }
        *ret = resp;
        r = 0;

finish:
        close_pipes(in, out, errp);
        free(obuf);
        return r;
}
