/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-strings.c - strings from callers checked on the way in, recorded strings made safe on the way out */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "escape.h"
#include "macro.h"
#include "stasisd-strings.h"
#include "utf8.h"

/* How much of a bad value an error message quotes. */
#define QUOTE_MAX 64

int check_text_argument(const char *field, const char *value, sd_bus_error *error) {
        _cleanup_free_ char *quoted = NULL;
        uint32_t c;
        size_t off;
        int r = utf8_check_text(value, &c, &off);

        if (r == 0)
                return 0;
        quoted = cescape_full(value, QUOTE_MAX, ESCAPE_QUOTE);
        if (!quoted)
                return -ENOMEM;
        if (r == -EILSEQ)
                return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                         "%s %s is not UTF-8 (byte 0x%02x at offset %zu)", field, quoted,
                                         (unsigned) c, off);
        return sd_bus_error_setf(error, STASIS_ERROR_INVALID_ARGUMENT,
                                 "%s %s contains the control character U+%04X at byte %zu; control characters "
                                 "(U+0000-U+001F, U+007F-U+009F) and bidi controls (U+061C, U+200E, U+200F, "
                                 "U+202A-U+202E, U+2066-U+2069) are not allowed", field, quoted, (unsigned) c, off);
}

const char *bus_string(const char *s, char **tmp) {
        if (!s)
                return "";
        if (utf8_is_valid(s))
                return s;
        *tmp = utf8_escape_invalid(s);
        return *tmp;
}

size_t bus_string_size(const char *s) {
        size_t n = strlen(strempty(s)), z = 0;

        for (size_t i = 0; i < n; ) {
                uint32_t cp;
                size_t l = utf8_decode(s + i, n - i, &cp);
                z += l ? l : 3;         /* U+FFFD for a byte that is not UTF-8 */
                i += l ? l : 1;
        }
        return z;
}

int bus_append_string(sd_bus_message *m, const char *s) {
        _cleanup_free_ char *tmp = NULL;
        const char *v = bus_string(s, &tmp);
        if (!v)
                return -ENOMEM;
        return sd_bus_message_append_basic(m, 's', v);
}

int bus_append_string_struct(sd_bus_message *m, const char *contents, const char *const *fields, size_t n) {
        int r = sd_bus_message_open_container(m, 'r', contents);
        for (size_t j = 0; r >= 0 && j < n; j++)
                r = bus_append_string(m, fields[j]);
        return r < 0 ? r : sd_bus_message_close_container(m);
}
