/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-error.c - the org.stasis1.Error.* names and their StasisError codes; StasisErrorInfo */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stasis-requestor-internal.h"

/* Indexed by code; a new name goes at the end with the next free code. */
static const char *const error_names[_STASIS_ERR_MAX] = {
        [STASIS_ERR_NO_SUCH_SET]       = STASIS_ERROR_NO_SUCH_SET,
        [STASIS_ERR_NO_SUCH_PATH]      = STASIS_ERROR_NO_SUCH_PATH,
        [STASIS_ERR_NOT_A_DIRECTORY]   = STASIS_ERROR_NOT_A_DIRECTORY,
        [STASIS_ERR_NO_PROVIDER]       = STASIS_ERROR_NO_PROVIDER,
        [STASIS_ERR_INVALID_ARGUMENT]  = STASIS_ERROR_INVALID_ARGUMENT,
        [STASIS_ERR_LIMIT_EXCEEDED]    = STASIS_ERROR_LIMIT_EXCEEDED,
        [STASIS_ERR_BUSY]              = STASIS_ERROR_BUSY,
        [STASIS_ERR_PROVIDER_FAILED]   = STASIS_ERROR_PROVIDER_FAILED,
        [STASIS_ERR_TIMEOUT]           = STASIS_ERROR_TIMEOUT,
        [STASIS_ERR_ACCESS_DENIED]     = STASIS_ERROR_ACCESS_DENIED,
        [STASIS_ERR_NO_SUCH_COMPONENT] = STASIS_ERROR_NO_SUCH_COMPONENT,
        [STASIS_ERR_NO_SUCH_WRITER]    = STASIS_ERROR_NO_SUCH_WRITER,
        [STASIS_ERR_WRITER_FAILED]     = STASIS_ERROR_WRITER_FAILED,
        [STASIS_ERR_WRITER_RETRYABLE]  = STASIS_ERROR_WRITER_RETRYABLE,
        [STASIS_ERR_VETO]              = STASIS_ERROR_VETO,
        [STASIS_ERR_VETO_RETRYABLE]    = STASIS_ERROR_VETO_RETRYABLE,
        [STASIS_ERR_NO_SPACE]          = STASIS_ERROR_NO_SPACE,
        [STASIS_ERR_NO_SUCH_ORPHAN]    = STASIS_ERROR_NO_SUCH_ORPHAN,
        [STASIS_ERR_SET_EXISTS]        = STASIS_ERROR_SET_EXISTS,
        [STASIS_ERR_DISCONNECTED]      = STASIS_ERROR_DISCONNECTED,
        [STASIS_ERR_NO_ANSWER]         = STASIS_ERROR_NO_ANSWER,
};

const char *stasis_error_to_name(StasisError code) {
        if ((int) code < 0 || code >= _STASIS_ERR_MAX)
                return NULL;
        return error_names[code];
}

StasisError stasis_error_from_name(const char *name) {
        if (!name)
                return STASIS_ERR_NONE;
        for (int i = 0; i < _STASIS_ERR_MAX; i++)
                if (error_names[i] && streq(error_names[i], name))
                        return (StasisError) i;
        return STASIS_ERR_OTHER;
}

StasisError stasis_error_info_code(const StasisErrorInfo *e) {
        return e ? e->code : STASIS_ERR_NONE;
}

const char *stasis_error_info_name(const StasisErrorInfo *e) {
        return e ? e->name : NULL;
}

const char *stasis_error_info_message(const StasisErrorInfo *e) {
        return e && e->message ? e->message : "";
}

int stasis_error_info_errno(const StasisErrorInfo *e) {
        return e ? e->error : 0;
}

void error_info_clear(StasisErrorInfo *e) {
        free(e->name);
        free(e->message);
        *e = (StasisErrorInfo) { .code = STASIS_ERR_NONE };
}

int error_info_set_bus(StasisErrorInfo *info, int r, const sd_bus_error *e) {
        error_info_clear(info);
        info->error = -r;
        if (e && sd_bus_error_is_set(e)) {
                info->name = strdup(e->name);
                info->message = strdup(e->message ?: e->name);
                info->code = stasis_error_from_name(e->name);
        } else {
                info->message = strdup(strerror(-r));
                info->code = STASIS_ERR_OTHER;
        }
        return r;
}

int error_info_set_code(StasisErrorInfo *info, int r, StasisError code, const char *message) {
        error_info_clear(info);
        info->error = -r;
        info->code = code;
        info->name = code > STASIS_ERR_OTHER ? strdup(stasis_error_to_name(code)) : NULL;
        info->message = strdup(message);
        return r;
}

int error_info_set(StasisErrorInfo *info, int r, const char *format, ...) {
        char *s = NULL;
        va_list ap;

        error_info_clear(info);
        va_start(ap, format);
        if (vasprintf(&s, format, ap) < 0)
                s = NULL;       /* "" if even the message ran out of memory */
        va_end(ap);
        info->error = -r;
        info->code = STASIS_ERR_OTHER;
        info->message = s;
        return r;
}
