/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-policy-generator.c - a systemd generator: each policy's OnCalendar= as a drop-in of stasis-run@NAME.timer */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "config.h"
#include "macro.h"
#include "stasisd-policy.h"

/* systemd-generator(7): problems go to the kernel log or stderr; a
 * generator must not fail the boot for a bad file. */
static void report(void *userdata, int level, const char *file, unsigned line, const char *message) {
        if (line > 0)
                fprintf(stderr, "stasis-policy-generator: %s:%u: %s.\n", file, line, message);
        else
                fprintf(stderr, "stasis-policy-generator: %s: %s.\n", file, message);
}

/* dir/stasis-run@NAME.timer.d/50-policy.conf with the policy's schedule. */
static int write_dropin(const char *dir, const Policy *p) {
        _cleanup_free_ char *d = NULL, *f = NULL;
        FILE *out;

        if (asprintf(&d, "%s/stasis-run@%s.timer.d", dir, p->name) < 0 || asprintf(&f, "%s/50-policy.conf", d) < 0)
                return -ENOMEM;
        if (mkdir(d, 0755) < 0 && errno != EEXIST)
                return -errno;
        int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return -errno;
        out = fdopen(fd, "we");
        if (!out) {
                close(fd);
                return -ENOMEM;
        }
        fprintf(out, "# Made by stasis-policy-generator from %s\n"
                     "[Timer]\n"
                     "OnCalendar=\n"
                     "OnCalendar=%s\n", p->file, p->on_calendar);
        return fclose(out) == 0 ? 0 : -errno;
}

int main(int argc, char *argv[]) {
        _cleanup_(policies_freep) Policies *ps = NULL;
        const char *dir, *e;
        int r;

        /* Called with the normal, early and late directories; it writes to the normal one. */
        if (argc != 2 && argc != 4) {
                fprintf(stderr, "Usage: %s NORMAL-DIR [EARLY-DIR LATE-DIR]\n", argv[0]);
                return EXIT_FAILURE;
        }
        dir = argv[1];
        e = getenv("STASIS_POLICIES_DIR");      /* for tests */
        r = policies_load(isempty(e) ? STASIS_POLICIES_DIR : e, report, NULL, &ps);
        if (r == -ENOMEM)
                return EXIT_FAILURE;
        for (size_t i = 0; ps && i < ps->n; i++) {
                if (!ps->list[i]->on_calendar)
                        continue;       /* the timer's own schedule (daily) */
                r = write_dropin(dir, ps->list[i]);
                if (r < 0)
                        fprintf(stderr, "stasis-policy-generator: cannot write the schedule of policy %s: %s\n",
                                ps->list[i]->name, strerror(-r));
        }
        return EXIT_SUCCESS;
}
