/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-views.c - the mount, umount, exec and backup commands: reading a set's snapshots */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "stasis.h"
#include "strv.h"

#define EXIT_CANNOT_EXECUTE 126         /* as sh(1), env(1), sudo(8) */
#define EXIT_COMMAND_NOT_FOUND 127

const char *arg_user = NULL;
bool arg_keep = false;
bool arg_force = false;
char **arg_command = NULL;

static void set_unrefp(StasisSet **s) {
        stasis_set_unref(*s);
}

static void view_freep(StasisView **v) {
        stasis_view_free(*v);
}

static void set_request_unrefp(StasisSetRequest **q) {
        stasis_set_request_unref(*q);
}

int verb_mount(StasisRequestor *r, char **args) {
        _cleanup_free_ char *root = NULL, *context = NULL;

        if (asprintf(&context, "mount %s", args[0]) < 0)
                return report_local("mount", -ENOMEM);
        if (stasis_requestor_mount_set(r, args[0], args[1], &root) < 0)
                return report_error_context(r, context, "mounting the set");
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "mounted_at", json_object_new_string(root));
                print_json(stdout, o);
                json_object_put(o);
        } else
                printf("Mounted snapshot set %s at %s.\n", args[0], root);
        return EXIT_OK;
}

int verb_umount(StasisRequestor *r, char **args) {
        _cleanup_free_ char *context = NULL;

        if (asprintf(&context, "umount %s", args[0]) < 0)
                return report_local("umount", -ENOMEM);
        if (stasis_requestor_unmount_set(r, args[0]) < 0)
                return report_error_context(r, context, "unmounting the set");
        if (!arg_json)
                printf("Unmounted snapshot set %s.\n", args[0]);
        return EXIT_OK;
}

int delete_set_force(StasisRequestor *r, const char *id) {
        _cleanup_(set_unrefp) StasisSet *set = NULL;

        /* Unmounted first if it is mounted, its open views forgotten; then
         * deleted. */
        if (stasis_requestor_get_set(r, id, &set) < 0)
                return -1;
        if (!isempty(stasis_set_mounted_at(set)) && stasis_requestor_unmount_set(r, id) < 0)
                return -1;
        if (stasis_set_open_view_count(set) > 0 && stasis_requestor_forget_views(r, id) < 0)
                return -1;
        return stasis_requestor_delete_set(r, id);
}

/* The user CMD runs as, looked up before anything is made. */
typedef struct RunAs {
        bool set;
        uid_t uid;
        gid_t gid;
        char *name;
} RunAs;

static int lookup_user(const char *user, RunAs *ret) {
        struct passwd *pw;

        errno = 0;
        pw = getpwnam(user);
        if (!pw) {
                char *end;
                errno = 0;
                unsigned long uid = strtoul(user, &end, 10);
                if (*user && !*end && !errno)
                        pw = getpwuid((uid_t) uid);
        }
        if (!pw) {
                fprintf(stderr, "stasis: --user %s: no such user\n", user);
                return -ENOENT;
        }
        ret->set = true;
        ret->uid = pw->pw_uid;
        ret->gid = pw->pw_gid;
        ret->name = strdup(pw->pw_name);
        return ret->name ? 0 : -ENOMEM;
}

static int drop_privileges(const RunAs *u) {
        if (!u->set)
                return 0;
        if (initgroups(u->name, u->gid) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
            setresuid(u->uid, u->uid, u->uid) < 0)
                return -errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return 0;
}

/* In the child: the view, the user, then CMD. A failure goes to the parent
 * through err_fd as "<step>\0<errno>". */
_noreturn_ static void child_run(StasisView *v, const RunAs *u, char **cmd, int err_fd, const sigset_t *old_mask,
                                 pid_t parent) {
        const char *step = "enter the view";
        int e;

        /* CMD goes when stasis goes (killed, say): the set is released then,
         * and its namespace, with the view, goes with the last process in it. */
        (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
                _exit(EXIT_CANNOT_EXECUTE);
        e = stasis_view_enter(v);
        if (e >= 0) {
                step = "switch to the user";
                e = drop_privileges(u);
                /* A change of user clears the parent-death signal: again. */
                if (e >= 0 && u->set && (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
                        e = -ESRCH;
        }
        if (e >= 0) {
                step = "run";
                signal(SIGINT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                sigprocmask(SIG_SETMASK, old_mask, NULL);
                execvp(cmd[0], cmd);
                e = -errno;
        }
        /* step, its errno, and what the view says of it (if anything). */
        char buf[64 + sizeof(int) + 1024];
        int n = snprintf(buf, 64, "%s", step);
        memcpy(buf + n + 1, &e, sizeof e);
        int m = snprintf(buf + n + 1 + sizeof e, 1024, "%s", streq(step, "enter the view") ?
                         strempty(stasis_view_error(v)) : "");
        (void) !write(err_fd, buf, n + 1 + sizeof e + MIN(m, 1023) + 1);
        _exit(e == -ENOENT && streq(step, "run") ? EXIT_COMMAND_NOT_FOUND : EXIT_CANNOT_EXECUTE);
}

/* Runs CMD in a view of set id (stasis_view_enter()) and waits for it.
 * *ret_status: CMD's exit status, 128 + the signal that killed it, or
 * 126/127 if it could not be run. Ctrl-C, SIGTERM or SIGHUP to stasis are
 * passed on to CMD (*ret_interrupted is then set). Returns EXIT_OK when
 * CMD ran (whatever its status), or the exit status of the failure. */
static int run_in_view(StasisRequestor *r, const char *id, char **cmd, int *ret_status, bool *ret_interrupted) {
        _cleanup_(view_freep) StasisView *v = NULL;
        _cleanup_free_ char *context = NULL;
        RunAs user = {};
        sigset_t mask, old_mask;
        int pipefd[2], status = 0;
        bool interrupted = false;
        pid_t pid;

        if (asprintf(&context, "exec %s", id) < 0)
                return report_local("exec", -ENOMEM);
        if (arg_user && lookup_user(arg_user, &user) < 0)
                return EXIT_NOT_FOUND;
        if (stasis_requestor_open_view(r, id, &v) < 0) {
                free(user.name);
                return report_error_context(r, context, "opening the view");
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0) {
                free(user.name);
                return report_local("exec", -errno);
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, &old_mask);
        pid_t parent = getpid();
        pid = fork();
        if (pid < 0) {
                int e = -errno;
                sigprocmask(SIG_SETMASK, &old_mask, NULL);
                free(user.name);
                return report_local("exec: cannot fork", e);
        }
        if (pid == 0) {
                close(pipefd[0]);
                child_run(v, &user, cmd, pipefd[1], &old_mask, parent);
        }
        close(pipefd[1]);
        free(user.name);
        v = stasis_view_free(v);        /* the child has them */

        for (;;) {
                siginfo_t si;
                int sig = sigwaitinfo(&mask, &si);
                if (sig < 0)
                        continue;
                if (sig != SIGCHLD) {
                        interrupted = true;
                        (void) kill(pid, sig == SIGINT ? SIGINT : SIGTERM);
                        continue;
                }
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
        }
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        /* Done with the view: stasisd may let the set go. (Best effort: the
         * end of this connection tells it too.) */
        (void) stasis_requestor_close_view(r, id);

        char buf[64 + sizeof(int) + 1024];
        ssize_t n = read(pipefd[0], buf, sizeof buf - 1);
        close(pipefd[0]);
        if (n > (ssize_t) sizeof(int)) {
                int e;
                const char *step = buf, *detail = "";
                buf[n] = 0;
                memcpy(&e, buf + strlen(step) + 1, sizeof e);
                if ((size_t) n > strlen(step) + 1 + sizeof e)
                        detail = buf + strlen(step) + 1 + sizeof e;
                if (streq(step, "run"))
                        fprintf(stderr, "stasis: %s: cannot run %s: %s\n", context, cmd[0], strerror(-e));
                else if (streq(step, "switch to the user"))
                        fprintf(stderr, "stasis: %s: cannot switch to user %s: %s\n", context, arg_user, strerror(-e));
                else
                        fprintf(stderr, "stasis: %s: cannot enter the view: %s\n", context,
                                *detail ? detail : strerror(-e));
        }
        *ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
        *ret_interrupted = interrupted;
        return EXIT_OK;
}

int verb_exec(StasisRequestor *r, char **args) {
        int status;
        bool interrupted;

        if (strv_isempty(arg_command)) {
                fprintf(stderr, "stasis exec: no command given (stasis exec SET -- CMD...)\n");
                return EXIT_USAGE;
        }
        int q = run_in_view(r, args[0], arg_command, &status, &interrupted);
        return q != EXIT_OK ? q : status;
}

/* The names of the set's components, WRITER[@INSTANCE]:COMPONENT, for a
 * Complete that says none was backed up. */
static int all_components(StasisRequestor *r, const char *id, char ***ret) {
        _cleanup_(set_unrefp) StasisSet *set = NULL;
        _cleanup_strv_free_ char **l = NULL;

        if (stasis_requestor_get_set(r, id, &set) < 0)
                return -1;
        for (unsigned i = 0; i < stasis_set_component_count(set); i++) {
                _cleanup_free_ char *name = NULL;
                const char *inst = stasis_set_component_instance(set, i);
                if (asprintf(&name, "%s%s%s:%s", stasis_set_component_writer(set, i), isempty(inst) ? "" : "@",
                             strempty(inst), stasis_set_component_name(set, i)) < 0 || strv_extend(&l, name) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

/* How many views of the set are open (once this command closed its own:
 * those of others); 0 if that cannot be told. */
static unsigned open_views(StasisRequestor *r, const char *id) {
        _cleanup_(set_unrefp) StasisSet *set = NULL;

        if (stasis_requestor_get_set(r, id, &set) < 0)
                return 0;
        return stasis_set_open_view_count(set);
}

int verb_backup(StasisRequestor *r, char **args) {
        _cleanup_(set_request_unrefp) StasisSetRequest *q = NULL;
        _cleanup_strv_free_ char **failed = NULL;
        _cleanup_free_ char *id = NULL, *context = NULL;
        int k, status = 0, ret;
        bool interrupted = false;

        if (strv_isempty(arg_command)) {
                fprintf(stderr, "stasis backup: no command given (stasis backup [PATH...] -- CMD...)\n");
                return EXIT_USAGE;
        }
        /* Without --keep the set lives as long as this command: if stasis
         * dies, stasisd releases it (auto-release). */
        k = make_set_request(args, arg_keep, &q);
        if (k < 0)
                return report_local("building the request", k);
        if (stasis_requestor_create_set(r, q, &id) < 0)
                return report_error(r, "creating the set");
        if (!arg_json)
                fprintf(stderr, "stasis: backup: made snapshot set %s.\n", id);
        if (asprintf(&context, "backup %s", id) < 0)
                return report_local("backup", -ENOMEM);

        ret = run_in_view(r, id, arg_command, &status, &interrupted);
        bool ok = ret == EXIT_OK && status == 0 && !interrupted;
        if (ret == EXIT_OK)
                ret = status;

        /* The writers hear how it went: a failed command fails every component. */
        if (!ok && all_components(r, id, &failed) < 0 && !failed)
                failed = NULL;
        if (stasis_requestor_complete_set(r, id, (const char *const *) failed) < 0) {
                int e = report_error_context(r, context, "reporting the backup");
                if (ret == EXIT_OK)
                        ret = e;
        } else if (!arg_json)
                fprintf(stderr, "stasis: backup: reported snapshot set %s as %s.\n", id,
                        ok ? "backed up" : "not backed up");
        if (!arg_keep) {
                unsigned others = open_views(r, id);
                if (others > 0) {
                        /* Not pulled from under them: stasisd releases it
                         * (auto-release) once they are closed and this
                         * command has left. */
                        if (!arg_json)
                                fprintf(stderr, "stasis: backup: snapshot set %s is read through %u open view(s) of "
                                        "others; stasisd releases it once they are closed.\n", id, others);
                } else if (stasis_requestor_delete_set(r, id) < 0) {
                        int e = report_error_context(r, context, "deleting the set");
                        if (ret == EXIT_OK)
                                ret = e;
                } else if (!arg_json)
                        fprintf(stderr, "stasis: backup: deleted snapshot set %s.\n", id);
        }
        if (arg_json) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "set", json_object_new_string(id));
                json_object_object_add(o, "status", json_object_new_int(status));
                json_object_object_add(o, "kept", json_object_new_boolean(arg_keep));
                print_json(stdout, o);
                json_object_put(o);
        }
        return ret;
}
