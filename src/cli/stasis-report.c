/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-report.c - the CLI's error messages, and the exit status each error of libstasis gives */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"
#include "macro.h"
#include "stasis.h"

static bool name_is(const char *name, const char *other) {
        return name && streq(name, other);
}

/* The exit status of an error, from its code, or for the standard D-Bus
 * errors (STASIS_ERR_OTHER) from its name. The table is in stasis(1). */
static int exit_status_of(StasisError code, const char *name) {
        switch (code) {
        case STASIS_ERR_NONE:
                return EXIT_OK;
        case STASIS_ERR_NOT_A_DIRECTORY:
        case STASIS_ERR_INVALID_ARGUMENT:
        case STASIS_ERR_LIMIT_EXCEEDED:
                return EXIT_USAGE;
        case STASIS_ERR_NO_SUCH_SET:
        case STASIS_ERR_NO_SUCH_PATH:
        case STASIS_ERR_NO_SUCH_COMPONENT:
        case STASIS_ERR_NO_SUCH_WRITER:
        case STASIS_ERR_NO_SUCH_ORPHAN:
                return EXIT_NOT_FOUND;
        case STASIS_ERR_ACCESS_DENIED:
                return EXIT_DENIED;
        case STASIS_ERR_NO_PROVIDER:
                return EXIT_UNSUPPORTED;
        case STASIS_ERR_BUSY:
                return EXIT_BUSY;
        case STASIS_ERR_TIMEOUT:
        case STASIS_ERR_NO_ANSWER:
                return EXIT_TIMEOUT;
        case STASIS_ERR_WRITER_FAILED:
        case STASIS_ERR_VETO:
                return EXIT_WRITER_FAILED;
        case STASIS_ERR_WRITER_RETRYABLE:
        case STASIS_ERR_VETO_RETRYABLE:
                return EXIT_WRITER_RETRYABLE;
        case STASIS_ERR_DISCONNECTED:
                return EXIT_DISCONNECTED;
        case STASIS_ERR_PROVIDER_FAILED:
        case STASIS_ERR_NO_SPACE:
        case STASIS_ERR_SET_EXISTS:
                return EXIT_FAILED;
        case STASIS_ERR_OTHER:
        default:
                break;
        }
        if (name_is(name, "org.freedesktop.DBus.Error.ServiceUnknown") ||
            name_is(name, "org.freedesktop.DBus.Error.NameHasNoOwner"))
                return EXIT_NO_DAEMON;
        if (name_is(name, "org.freedesktop.DBus.Error.AccessDenied"))
                return EXIT_DENIED;             /* the bus' policy */
        if (name_is(name, "org.freedesktop.DBus.Error.InvalidArgs"))
                return EXIT_USAGE;
        if (name_is(name, "org.freedesktop.DBus.Error.UnknownObject"))
                return EXIT_NOT_FOUND;          /* the set vanished between two calls */
        return EXIT_FAILED;
}

bool stasisd_absent(StasisRequestor *r) {
        const StasisErrorInfo *e = stasis_requestor_last_error(r);

        return stasis_error_info_code(e) == STASIS_ERR_OTHER &&
               exit_status_of(STASIS_ERR_OTHER, stasis_error_info_name(e)) == EXIT_NO_DAEMON;
}

int report_error_context(StasisRequestor *r, const char *context, const char *what) {
        const StasisErrorInfo *e = stasis_requestor_last_error(r);
        StasisError code = stasis_error_info_code(e);
        const char *name = stasis_error_info_name(e), *msg = stasis_error_info_message(e);
        const char *sep = context ? ": " : "";
        int status = exit_status_of(code, name);

        context = strempty(context);
        if (!e) {
                fprintf(stderr, "stasis: %s%s%s: failed, and libstasis did not say why\n", context, sep, what);
                return EXIT_FAILED;
        }
        if (!name && stasis_error_info_errno(e) == ENOTCONN) {
                /* The bus closed the connection before it answered Hello
                 * (libstasis sends the first call right behind it). */
                fprintf(stderr, "stasis: cannot connect to the bus %s: %s\n", stasis_bus_address() ?: "(system bus)",
                        msg);
                return EXIT_NO_DAEMON;
        }
        if (status == EXIT_NO_DAEMON) {
                fprintf(stderr, "stasis: %s%s%s: stasisd is not running on this bus (%s)\n", context, sep, what,
                        stasis_bus_address() ?: "system bus");
                return status;
        }
        if (code == STASIS_ERR_NO_ANSWER || code == STASIS_ERR_DISCONNECTED) {
                /* Whether the call took effect is not known: say how to find out. */
                fprintf(stderr, "stasis: %s%s%s: %s%s%s\n", context, sep, what,
                        code == STASIS_ERR_NO_ANSWER ? "stasisd did not answer in time" :
                        "stasisd went away before it answered (it stopped, or the bus connection closed)",
                        outcome_hint ? "; " : "", strempty(outcome_hint));
                return status;
        }
        if (name_is(name, "org.freedesktop.DBus.Error.UnknownMethod")) {
                /* A stasisd older than this command. */
                fprintf(stderr, "stasis: %s%s%s: %s (is stasisd older than this stasis command?)\n",
                        context, sep, what, msg);
                return EXIT_FAILED;
        }
        if (name) {
                /* It may quote paths anyone named: escaped for the terminal
                 * (stasisd's own escapes, with '\', are kept as they are). */
                _cleanup_free_ char *esc = cescape_full(msg, SIZE_MAX, ESCAPE_KEEP_BACKSLASH);
                fprintf(stderr, "stasis: %s%s%s\n", context, sep, esc ?: msg);
        } else
                fprintf(stderr, "stasis: %s%s%s: %s\n", context, sep, what, msg);
        return status;
}

int report_error(StasisRequestor *r, const char *what) {
        return report_error_context(r, NULL, what);
}

int report_local(const char *what, int error) {
        fprintf(stderr, "stasis: %s: %s\n", what, strerror(error < 0 ? -error : error));
        return EXIT_FAILED;
}
