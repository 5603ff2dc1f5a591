/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-metadata.c - parse, check and serialize the JSON metadata a writer describes itself with */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macro.h"
#include "strv.h"
#include "utf8.h"
#include "string-table.h"
#include "writer-metadata.h"

/* The schema nests containers 4 deep: object > "components" array >
 * component object > "paths" array. Anything deeper cannot be valid metadata.
 * json-c counts one more level for a scalar in the innermost container, and
 * lets an empty container one level deeper through; the scan refuses that. */
#define CONTAINER_DEPTH_MAX 4
#define JSON_DEPTH_MAX (CONTAINER_DEPTH_MAX + 1)

/* The duplicate key scan remembers this many keys of each object. An object
 * of the schema has at most 7 distinct keys, so an object with more keys than
 * this is refused for an unknown key even where a duplicate goes unseen. */
#define KEYS_TRACKED_MAX 64

/* Room for a field name such as "components[63].paths[63]", or a longer one
 * made of unknown keys (cut short then). */
#define LOC_MAX 256

/* Strings quoted in messages are cut after this many characters. */
#define SHOW_CHARS_MAX 64
#define SHOW_SIZE (SHOW_CHARS_MAX * 6 + 8)

/* "field: " before a message, or nothing for the document itself. */
#define LOC(l) (l), (*(l) ? ": " : "")

static const char *const writer_level_table[_WRITER_LEVEL_MAX] = {
        [WRITER_LEVEL_FRONT_END] = "front-end",
        [WRITER_LEVEL_BACK_END] = "back-end",
        [WRITER_LEVEL_SYSTEM] = "system",
};

static const char *const writer_restore_method_table[_WRITER_RESTORE_METHOD_MAX] = {
        [WRITER_RESTORE_NONE] = "none",
        [WRITER_RESTORE_IF_NOT_THERE] = "restore-if-not-there",
        [WRITER_RESTORE_IF_CAN_REPLACE] = "restore-if-can-replace",
        [WRITER_RESTORE_STOP_RESTORE_START] = "stop-restore-start",
        [WRITER_RESTORE_CUSTOM] = "custom",
};

static const char *const root_keys[] = {
        "version", "writer", "instance", "level", "freeze_timeout_ms", "restore_method", "components", NULL,
};

static const char *const component_keys[] = {
        "name", "paths", "selectable", "description", NULL,
};

DEFINE_STRING_TABLE_LOOKUP(writer_level, WriterLevel, _WRITER_LEVEL_INVALID)
DEFINE_STRING_TABLE_LOOKUP(writer_restore_method, WriterRestoreMethod, _WRITER_RESTORE_METHOD_INVALID)

WriterMetadata *writer_metadata_free(WriterMetadata *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; m->components && i < m->n_components; i++) {
                free(m->components[i].name);
                strv_free(m->components[i].paths);
                free(m->components[i].description);
        }
        free(m->components);
        free(m->writer);
        free(m->instance);
        free(m);
        return NULL;
}

_printf_(4, 5)
static int fail(char *err, size_t err_size, int r, const char *fmt, ...) {
        if (err && err_size > 0) {
                va_list ap;
                va_start(ap, fmt);
                int n = vsnprintf(err, err_size, fmt, ap);
                va_end(ap);
                if (n < 0)
                        err[0] = 0;
                else if ((size_t) n >= err_size)
                        utf8_trim_incomplete(err);
        }
        return r;
}

/* Writes s into buf for a message: quoted (when quote is set), with quotes,
 * backslashes, control characters and bytes that are not UTF-8 escaped, and
 * cut after SHOW_CHARS_MAX characters. Returns buf. */
static const char *show_ex(char buf[static SHOW_SIZE], const char *s, bool quote) {
        size_t n = strlen(s), o = 0, chars = 0;

        if (quote)
                buf[o++] = '"';
        for (size_t i = 0; i < n; chars++) {
                uint32_t cp;
                size_t l;

                if (chars >= SHOW_CHARS_MAX) {
                        memcpy(buf + o, "...", 3);
                        o += 3;
                        break;
                }
                l = utf8_decode(s + i, n - i, &cp);
                if (l == 0) {
                        o += (size_t) snprintf(buf + o, SHOW_SIZE - o, "\\x%02x", (unsigned char) s[i]);
                        i++;
                        continue;
                }
                if (cp == '"' || cp == '\\') {
                        buf[o++] = '\\';
                        buf[o++] = (char) cp;
                } else if (cp == '\n') {
                        buf[o++] = '\\';
                        buf[o++] = 'n';
                } else if (cp == '\t') {
                        buf[o++] = '\\';
                        buf[o++] = 't';
                } else if (unichar_is_unsafe(cp))
                        o += (size_t) snprintf(buf + o, SHOW_SIZE - o, "\\u%04x", (unsigned) cp);
                else {
                        memcpy(buf + o, s + i, l);
                        o += l;
                }
                i += l;
        }
        if (quote)
                buf[o++] = '"';
        buf[o] = 0;
        return buf;
}

static const char *show(char buf[static SHOW_SIZE], const char *s) {
        return show_ex(buf, s, true);
}

/* ---- Checks of single values, shared by the parser and writer_metadata_validate() ---- */

/* writer and instance: 1-64 characters of [a-z0-9._-], the first a letter or
 * a digit; the instance may also be empty. */
static int check_writer_name(const char *loc, const char *s, bool allow_empty, char *err, size_t err_size) {
        char b[SHOW_SIZE];
        size_t n = strlen(s);

        if (n == 0) {
                if (allow_empty)
                        return 0;
                return fail(err, err_size, -EINVAL, "%s: must not be empty", loc);
        }
        for (size_t i = 0; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
                      s[i] == '.' || s[i] == '_' || s[i] == '-'))
                        return fail(err, err_size, -EINVAL,
                                    "%s: %s may contain only a-z, 0-9, '.', '_' and '-'", loc, show(b, s));
        if (n > WRITER_NAME_MAX)
                return fail(err, err_size, -EINVAL, "%s: %s is longer than %d characters",
                            loc, show(b, s), WRITER_NAME_MAX);
        if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
                return fail(err, err_size, -EINVAL, "%s: %s must start with a letter or a digit", loc, show(b, s));
        return 0;
}

/* A component name: 1-128 characters, none of them '/', a control character
 * or a bidi control (utf8.h). */
static int check_component_name(const char *loc, const char *s, char *err, size_t err_size) {
        char b[SHOW_SIZE];
        size_t n = utf8_length(s);

        if (n == SIZE_MAX)
                return fail(err, err_size, -EINVAL, "%s: %s is not valid UTF-8", loc, show(b, s));
        if (n == 0)
                return fail(err, err_size, -EINVAL, "%s: must not be empty", loc);
        if (n > WRITER_COMPONENT_NAME_MAX)
                return fail(err, err_size, -EINVAL, "%s: %s is longer than %d characters",
                            loc, show(b, s), WRITER_COMPONENT_NAME_MAX);
        if (strchr(s, '/'))
                return fail(err, err_size, -EINVAL, "%s: %s contains '/'", loc, show(b, s));
        for (size_t i = 0, len = strlen(s); i < len; ) {
                uint32_t cp;
                i += utf8_decode(s + i, len - i, &cp);
                if (unichar_is_unsafe(cp))
                        return fail(err, err_size, -EINVAL, "%s: %s contains a control character or a bidi control",
                                    loc, show(b, s));
        }
        return 0;
}

static int check_description(const char *loc, const char *s, char *err, size_t err_size) {
        char b[SHOW_SIZE];
        size_t n = utf8_length(s);

        if (n == SIZE_MAX)
                return fail(err, err_size, -EINVAL, "%s: %s is not valid UTF-8", loc, show(b, s));
        if (n > WRITER_COMPONENT_DESCRIPTION_MAX)
                return fail(err, err_size, -EINVAL, "%s: %s is longer than %d characters",
                            loc, show(b, s), WRITER_COMPONENT_DESCRIPTION_MAX);
        /* Several lines are fine; other control characters and bidi controls are not. */
        for (size_t i = 0, len = strlen(s); i < len; ) {
                uint32_t cp;
                i += utf8_decode(s + i, len - i, &cp);
                if (unichar_is_unsafe(cp) && cp != '\n' && cp != '\t')
                        return fail(err, err_size, -EINVAL, "%s: %s contains a control character or a bidi control",
                                    loc, show(b, s));
        }
        return 0;
}

/* An absolute path of at most WRITER_PATH_MAX bytes without "." or ".." or
 * empty components. A trailing slash is allowed (the parser then removes
 * it) only when allow_trailing_slash is set. */
static int check_path(const char *loc, const char *s, bool allow_trailing_slash, char *err, size_t err_size) {
        char b[SHOW_SIZE];
        size_t n = strlen(s);

        if (s[0] != '/')
                return fail(err, err_size, -EINVAL, "%s: %s is not an absolute path", loc, show(b, s));
        if (n > WRITER_PATH_MAX)
                return fail(err, err_size, -EINVAL, "%s: %s is %zu bytes long, longer than %d",
                            loc, show(b, s), n, WRITER_PATH_MAX);
        if (utf8_invalid_offset(s, n) != n)
                return fail(err, err_size, -EINVAL, "%s: %s is not valid UTF-8", loc, show(b, s));
        if (n == 1)
                return 0;       /* "/" */

        for (const char *p = s + 1;;) {
                const char *q = strchrnul(p, '/');
                size_t l = (size_t) (q - p);

                if (l == 0) {
                        if (*q == 0) {
                                if (allow_trailing_slash)
                                        break;
                                return fail(err, err_size, -EINVAL, "%s: %s ends with '/'", loc, show(b, s));
                        }
                        return fail(err, err_size, -EINVAL, "%s: %s contains an empty component (\"//\")",
                                    loc, show(b, s));
                }
                if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
                        return fail(err, err_size, -EINVAL, "%s: %s contains a \".\" or \"..\" component",
                                    loc, show(b, s));
                if (*q == 0)
                        break;
                p = q + 1;
        }
        return 0;
}

static int check_freeze_timeout_usec(usec_t t, char *err, size_t err_size) {
        if (t % USEC_PER_MSEC != 0 ||
            t < WRITER_FREEZE_TIMEOUT_MS_MIN * USEC_PER_MSEC ||
            t > WRITER_FREEZE_TIMEOUT_MS_MAX * USEC_PER_MSEC)
                return fail(err, err_size, -EINVAL,
                            "freeze_timeout_ms: %" PRIu64 " us is not a whole number of milliseconds in %d..%d",
                            t, WRITER_FREEZE_TIMEOUT_MS_MIN, WRITER_FREEZE_TIMEOUT_MS_MAX);
        return 0;
}

int writer_metadata_validate(const WriterMetadata *m, char *err, size_t err_size) {
        char loc[LOC_MAX], b[SHOW_SIZE];
        int r;

        if (err && err_size > 0)
                err[0] = 0;
        if (!m)
                return fail(err, err_size, -EINVAL, "no metadata");

        if (!m->writer)
                return fail(err, err_size, -EINVAL, "writer: required field is missing");
        r = check_writer_name("writer", m->writer, false, err, err_size);
        if (r < 0)
                return r;
        if (!m->instance)
                return fail(err, err_size, -EINVAL, "instance: not set (use \"\" for none)");
        r = check_writer_name("instance", m->instance, true, err, err_size);
        if (r < 0)
                return r;
        if (!writer_level_to_string(m->level))
                return fail(err, err_size, -EINVAL, "level: %d is not a writer level", (int) m->level);
        r = check_freeze_timeout_usec(m->freeze_timeout_usec, err, err_size);
        if (r < 0)
                return r;
        if (!writer_restore_method_to_string(m->restore_method))
                return fail(err, err_size, -EINVAL, "restore_method: %d is not a restore method",
                            (int) m->restore_method);

        if (m->n_components < 1 || m->n_components > WRITER_COMPONENTS_MAX || !m->components)
                return fail(err, err_size, -EINVAL, "components: must have 1 to %d entries, has %zu",
                            WRITER_COMPONENTS_MAX, m->components ? m->n_components : 0);
        for (size_t i = 0; i < m->n_components; i++) {
                const WriterComponent *c = &m->components[i];
                size_t n_paths;

                snprintf(loc, sizeof loc, "components[%zu].name", i);
                if (!c->name)
                        return fail(err, err_size, -EINVAL, "%s: required field is missing", loc);
                r = check_component_name(loc, c->name, err, err_size);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < i; j++)
                        if (streq(m->components[j].name, c->name))
                                return fail(err, err_size, -EINVAL, "%s: %s is already the name of components[%zu]",
                                            loc, show(b, c->name), j);

                n_paths = strv_length(c->paths);
                if (n_paths < 1 || n_paths > WRITER_COMPONENT_PATHS_MAX)
                        return fail(err, err_size, -EINVAL, "components[%zu].paths: must have 1 to %d entries, has %zu",
                                    i, WRITER_COMPONENT_PATHS_MAX, n_paths);
                for (size_t j = 0; j < n_paths; j++) {
                        snprintf(loc, sizeof loc, "components[%zu].paths[%zu]", i, j);
                        r = check_path(loc, c->paths[j], false, err, err_size);
                        if (r < 0)
                                return r;
                        for (size_t k = 0; k < j; k++)
                                if (streq(c->paths[k], c->paths[j]))
                                        return fail(err, err_size, -EINVAL, "%s: %s is the same path as paths[%zu]",
                                                    loc, show(b, c->paths[j]), k);
                }

                if (c->description) {
                        snprintf(loc, sizeof loc, "components[%zu].description", i);
                        r = check_description(loc, c->description, err, err_size);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- The lexical scan: duplicate keys, \u0000, unpaired surrogates, raw control characters ---- */

/* json-c lets the last of two equal keys win, cuts keys at "\u0000" and turns
 * unpaired surrogates into U+FFFD, silently. This pass over text json-c has
 * already accepted finds all of those and says where they are. */

typedef struct Scan {
        const char *s;
        size_t i, n;
        char *err;
        size_t err_size;
} Scan;

static bool is_json_space(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void scan_space(Scan *sc) {
        while (sc->i < sc->n && is_json_space(sc->s[sc->i]))
                sc->i++;
}

static int scan_syntax_error(Scan *sc) {
        return fail(sc->err, sc->err_size, -EBADMSG, "metadata is not valid JSON at byte offset %zu", sc->i);
}

static bool hex4(const char *s, size_t avail, uint32_t *ret) {
        uint32_t v = 0;
        if (avail < 4)
                return false;
        for (size_t i = 0; i < 4; i++) {
                char c = s[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t) (c - 'A' + 10);
                else
                        return false;
        }
        *ret = v;
        return true;
}

/* Scans the string whose opening quote is at sc->i, and decodes it into
 * *ret (if ret is not NULL). loc names the value, or, for a key, the object. */
static int scan_string(Scan *sc, const char *loc, bool is_key, char **ret) {
        const char *what = is_key ? "a key" : "a string";
        size_t start = sc->i + 1, end = start;
        _cleanup_free_ char *buf = NULL;
        size_t o = 0;

        while (end < sc->n && sc->s[end] != '"')
                end += sc->s[end] == '\\' ? 2 : 1;
        if (end >= sc->n) {
                sc->i = sc->n;
                return scan_syntax_error(sc);
        }

        if (ret) {
                buf = malloc(end - start + 1);
                if (!buf)
                        return -ENOMEM;
        }
        for (size_t k = start; k < end; ) {
                unsigned char c = (unsigned char) sc->s[k];
                char out[4];
                size_t l = 1;
                uint32_t cp, lo;

                if (c < 0x20)
                        return fail(sc->err, sc->err_size, -EBADMSG,
                                    "%s%s%s contains a control character that is not escaped (byte offset %zu)",
                                    LOC(loc), what, k);
                if (c != '\\') {
                        out[0] = (char) c;
                        k++;
                } else {
                        switch (sc->s[k + 1]) {
                        case '"': case '\\': case '/':
                                out[0] = sc->s[k + 1];
                                break;
                        case 'b': out[0] = '\b'; break;
                        case 'f': out[0] = '\f'; break;
                        case 'n': out[0] = '\n'; break;
                        case 'r': out[0] = '\r'; break;
                        case 't': out[0] = '\t'; break;
                        case 'u':
                                if (!hex4(sc->s + k + 2, end - k - 2, &cp)) {
                                        sc->i = k;
                                        return scan_syntax_error(sc);
                                }
                                if (cp == 0)
                                        return fail(sc->err, sc->err_size, -EINVAL,
                                                    "%s%s%s contains \\u0000, which is not allowed", LOC(loc), what);
                                if (cp >= 0xDC00 && cp <= 0xDFFF)
                                        return fail(sc->err, sc->err_size, -EINVAL,
                                                    "%s%s%s contains an unpaired surrogate \\u%04x", LOC(loc), what,
                                                    (unsigned) cp);
                                if (cp >= 0xD800 && cp <= 0xDBFF) {
                                        if (end - k < 12 || sc->s[k + 6] != '\\' || sc->s[k + 7] != 'u' ||
                                            !hex4(sc->s + k + 8, end - k - 8, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                                                return fail(sc->err, sc->err_size, -EINVAL,
                                                            "%s%s%s contains an unpaired surrogate \\u%04x",
                                                            LOC(loc), what, (unsigned) cp);
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                        k += 6;
                                }
                                l = utf8_encode(cp, out);
                                k += 4;
                                break;
                        default:
                                sc->i = k;
                                return scan_syntax_error(sc);
                        }
                        k += 2;
                }
                if (buf) {
                        memcpy(buf + o, out, l);
                        o += l;
                }
        }

        sc->i = end + 1;
        if (ret) {
                buf[o] = 0;
                *ret = TAKE_PTR(buf);
        }
        return 0;
}

typedef struct KeySet {
        char *keys[KEYS_TRACKED_MAX];
        size_t n;
} KeySet;

static void key_set_done(KeySet *ks) {
        for (size_t i = 0; i < ks->n; i++)
                free(ks->keys[i]);
}

static int scan_value(Scan *sc, const char *loc, unsigned depth);

/* Skips close if it comes next (an empty container, or the end): 1 if it did. */
static int scan_close(Scan *sc, char close) {
        scan_space(sc);
        if (sc->i < sc->n && sc->s[sc->i] == close) {
                sc->i++;
                return 1;
        }
        return 0;
}

/* After a member: 1 for a ',' (another follows), 0 for close (the end). */
static int scan_next(Scan *sc, char close) {
        if (scan_close(sc, ','))
                return 1;
        if (scan_close(sc, close))
                return 0;
        return scan_syntax_error(sc);
}

static int scan_object(Scan *sc, const char *loc, unsigned depth) {
        _cleanup_(key_set_done) KeySet ks = {};
        char child[LOC_MAX], b[SHOW_SIZE];
        int r;

        sc->i++;        /* '{' */
        if (scan_close(sc, '}'))
                return 0;
        for (;;) {
                _cleanup_free_ char *key = NULL;

                scan_space(sc);
                if (sc->i >= sc->n || sc->s[sc->i] != '"')
                        return scan_syntax_error(sc);
                r = scan_string(sc, loc, true, &key);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < ks.n; j++)
                        if (streq(ks.keys[j], key))
                                return fail(sc->err, sc->err_size, -EINVAL, "%s%sduplicate key %s",
                                            LOC(loc), show(b, key));

                if (*loc)
                        snprintf(child, sizeof child, "%s.%s", loc, show_ex(b, key, false));
                else
                        snprintf(child, sizeof child, "%s", show_ex(b, key, false));
                if (ks.n < KEYS_TRACKED_MAX)
                        ks.keys[ks.n++] = TAKE_PTR(key);

                scan_space(sc);
                if (sc->i >= sc->n || sc->s[sc->i] != ':')
                        return scan_syntax_error(sc);
                sc->i++;
                r = scan_value(sc, child, depth + 1);
                if (r >= 0)
                        r = scan_next(sc, '}');
                if (r <= 0)
                        return r;
        }
}

static int scan_array(Scan *sc, const char *loc, unsigned depth) {
        char child[LOC_MAX];
        int r;

        sc->i++;        /* '[' */
        if (scan_close(sc, ']'))
                return 0;
        for (size_t idx = 0;; idx++) {
                snprintf(child, sizeof child, "%s[%zu]", loc, idx);
                r = scan_value(sc, child, depth + 1);
                if (r >= 0)
                        r = scan_next(sc, ']');
                if (r <= 0)
                        return r;
        }
}

/* depth: the number of containers this value is in. */
static int scan_value(Scan *sc, const char *loc, unsigned depth) {
        size_t start;

        scan_space(sc);
        if (sc->i >= sc->n)
                return scan_syntax_error(sc);
        switch (sc->s[sc->i]) {
        case '{':
        case '[':
                if (depth >= CONTAINER_DEPTH_MAX)
                        return fail(sc->err, sc->err_size, -EBADMSG, "metadata is nested deeper than the schema allows");
                if (sc->s[sc->i] == '{')
                        return scan_object(sc, loc, depth);
                return scan_array(sc, loc, depth);
        case '"':
                return scan_string(sc, loc, false, NULL);
        default:
                /* A number, true, false or null (json-c also takes NaN and Infinity). */
                start = sc->i;
                while (sc->i < sc->n && !is_json_space(sc->s[sc->i]) &&
                       sc->s[sc->i] != ',' && sc->s[sc->i] != ']' && sc->s[sc->i] != '}')
                        sc->i++;
                if (sc->i == start)
                        return scan_syntax_error(sc);
                return 0;
        }
}

/* ---- From the json-c tree to a WriterMetadata ---- */

static const char *json_type_desc(json_object *v) {
        switch (json_object_get_type(v)) {
        case json_type_null:    return "null";
        case json_type_boolean: return "a boolean";
        case json_type_double:  return "a number with a fraction or an exponent";
        case json_type_int:     return "an integer";
        case json_type_object:  return "an object";
        case json_type_array:   return "an array";
        case json_type_string:  return "a string";
        }
        return "something else";
}

static int expect_type(json_object *v, json_type t, const char *loc, char *err, size_t err_size) {
        static const char *const names[] = {
                [json_type_boolean] = "a boolean",
                [json_type_int] = "an integer",
                [json_type_object] = "an object",
                [json_type_array] = "an array",
                [json_type_string] = "a string",
        };
        if (json_object_is_type(v, t))
                return 0;
        return fail(err, err_size, -EINVAL, "%s: expected %s, got %s", loc, names[t], json_type_desc(v));
}

static int check_keys(json_object *o, const char *loc, const char *const *known, char *err, size_t err_size) {
        char b[SHOW_SIZE];

        json_object_object_foreach(o, key, val) {
                bool found = false;
                (void) val;
                for (const char *const *k = known; *k; k++)
                        if (streq(*k, key)) {
                                found = true;
                                break;
                        }
                if (!found)
                        return fail(err, err_size, -EINVAL, "%s%sunknown key %s", LOC(loc), show(b, key));
        }
        return 0;
}

/* The string value of key in o, NULL if o has no such key. */
static int get_string(json_object *o, const char *key, const char *loc, bool required,
                      const char **ret, char *err, size_t err_size) {
        json_object *v;
        int r;

        if (!json_object_object_get_ex(o, key, &v)) {
                if (required)
                        return fail(err, err_size, -EINVAL, "%s: required field is missing", loc);
                *ret = NULL;
                return 0;
        }
        r = expect_type(v, json_type_string, loc, err, err_size);
        if (r < 0)
                return r;
        /* The scan refuses "\u0000", so json-c's length is strlen(). */
        if (strlen(json_object_get_string(v)) != (size_t) json_object_get_string_len(v))
                return fail(err, err_size, -EINVAL, "%s: contains \\u0000, which is not allowed", loc);
        *ret = json_object_get_string(v);
        return 0;
}

static int parse_path(json_object *v, const char *loc, char **ret, char *err, size_t err_size) {
        const char *s;
        size_t n;
        int r;

        r = expect_type(v, json_type_string, loc, err, err_size);
        if (r < 0)
                return r;
        s = json_object_get_string(v);
        n = strlen(s);
        if (n != (size_t) json_object_get_string_len(v))
                return fail(err, err_size, -EINVAL, "%s: contains \\u0000, which is not allowed", loc);
        r = check_path(loc, s, true, err, err_size);
        if (r < 0)
                return r;
        if (n > 1 && s[n - 1] == '/')
                n--;
        *ret = strndup(s, n);
        return *ret ? 0 : -ENOMEM;
}

static int parse_component(json_object *o, size_t i, WriterMetadata *m, char *err, size_t err_size) {
        WriterComponent *c = &m->components[i];
        char loc[LOC_MAX], b[SHOW_SIZE];
        json_object *v, *paths;
        const char *s;
        size_t n;
        int r;

        snprintf(loc, sizeof loc, "components[%zu]", i);
        r = expect_type(o, json_type_object, loc, err, err_size);
        if (r < 0)
                return r;
        r = check_keys(o, loc, component_keys, err, err_size);
        if (r < 0)
                return r;

        snprintf(loc, sizeof loc, "components[%zu].name", i);
        r = get_string(o, "name", loc, true, &s, err, err_size);
        if (r < 0)
                return r;
        r = check_component_name(loc, s, err, err_size);
        if (r < 0)
                return r;
        for (size_t j = 0; j < i; j++)
                if (streq(m->components[j].name, s))
                        return fail(err, err_size, -EINVAL, "%s: %s is already the name of components[%zu]",
                                    loc, show(b, s), j);
        c->name = strdup(s);
        if (!c->name)
                return -ENOMEM;

        snprintf(loc, sizeof loc, "components[%zu].paths", i);
        if (!json_object_object_get_ex(o, "paths", &paths))
                return fail(err, err_size, -EINVAL, "%s: required field is missing", loc);
        r = expect_type(paths, json_type_array, loc, err, err_size);
        if (r < 0)
                return r;
        n = json_object_array_length(paths);
        if (n < 1 || n > WRITER_COMPONENT_PATHS_MAX)
                return fail(err, err_size, -EINVAL, "%s: must have 1 to %d entries, has %zu",
                            loc, WRITER_COMPONENT_PATHS_MAX, n);
        c->paths = calloc(n + 1, sizeof(char *));
        if (!c->paths)
                return -ENOMEM;
        for (size_t j = 0; j < n; j++) {
                snprintf(loc, sizeof loc, "components[%zu].paths[%zu]", i, j);
                r = parse_path(json_object_array_get_idx(paths, j), loc, &c->paths[j], err, err_size);
                if (r < 0)
                        return r;
                for (size_t k = 0; k < j; k++)
                        if (streq(c->paths[k], c->paths[j]))
                                return fail(err, err_size, -EINVAL, "%s: %s is the same path as paths[%zu]",
                                            loc, show(b, json_object_get_string(json_object_array_get_idx(paths, j))), k);
        }

        c->selectable = true;
        if (json_object_object_get_ex(o, "selectable", &v)) {
                snprintf(loc, sizeof loc, "components[%zu].selectable", i);
                r = expect_type(v, json_type_boolean, loc, err, err_size);
                if (r < 0)
                        return r;
                c->selectable = json_object_get_boolean(v);
        }

        snprintf(loc, sizeof loc, "components[%zu].description", i);
        r = get_string(o, "description", loc, false, &s, err, err_size);
        if (r < 0)
                return r;
        if (s) {
                r = check_description(loc, s, err, err_size);
                if (r < 0)
                        return r;
                c->description = strdup(s);
                if (!c->description)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_root(json_object *root, WriterMetadata *m, char *err, size_t err_size) {
        char b[SHOW_SIZE];
        json_object *v;
        const char *s;
        size_t n;
        int r;

        /* The version first: a newer schema may well have other keys. */
        if (!json_object_object_get_ex(root, "version", &v))
                return fail(err, err_size, -EINVAL, "version: required field is missing");
        r = expect_type(v, json_type_int, "version", err, err_size);
        if (r < 0)
                return r;
        if (json_object_get_int64(v) != WRITER_METADATA_VERSION)
                return fail(err, err_size, -EPROTONOSUPPORT, "unsupported metadata version %s",
                            json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));

        r = check_keys(root, "", root_keys, err, err_size);
        if (r < 0)
                return r;

        r = get_string(root, "writer", "writer", true, &s, err, err_size);
        if (r < 0)
                return r;
        r = check_writer_name("writer", s, false, err, err_size);
        if (r < 0)
                return r;
        m->writer = strdup(s);
        if (!m->writer)
                return -ENOMEM;

        r = get_string(root, "instance", "instance", false, &s, err, err_size);
        if (r < 0)
                return r;
        if (s) {
                r = check_writer_name("instance", s, true, err, err_size);
                if (r < 0)
                        return r;
        }
        m->instance = strdup(strempty(s));
        if (!m->instance)
                return -ENOMEM;

        m->level = WRITER_LEVEL_BACK_END;
        r = get_string(root, "level", "level", false, &s, err, err_size);
        if (r < 0)
                return r;
        if (s) {
                m->level = writer_level_from_string(s);
                if (m->level < 0)
                        return fail(err, err_size, -EINVAL,
                                    "level: %s is not one of \"front-end\", \"back-end\", \"system\"", show(b, s));
        }

        m->freeze_timeout_usec = WRITER_FREEZE_TIMEOUT_MS_DEFAULT * USEC_PER_MSEC;
        if (json_object_object_get_ex(root, "freeze_timeout_ms", &v)) {
                int64_t ms;

                r = expect_type(v, json_type_int, "freeze_timeout_ms", err, err_size);
                if (r < 0)
                        return r;
                ms = json_object_get_int64(v);
                if (ms < WRITER_FREEZE_TIMEOUT_MS_MIN || ms > WRITER_FREEZE_TIMEOUT_MS_MAX)
                        return fail(err, err_size, -EINVAL, "freeze_timeout_ms: %s is out of range %d..%d",
                                    json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
                                    WRITER_FREEZE_TIMEOUT_MS_MIN, WRITER_FREEZE_TIMEOUT_MS_MAX);
                m->freeze_timeout_usec = (usec_t) ms * USEC_PER_MSEC;
        }

        m->restore_method = WRITER_RESTORE_NONE;
        r = get_string(root, "restore_method", "restore_method", false, &s, err, err_size);
        if (r < 0)
                return r;
        if (s) {
                m->restore_method = writer_restore_method_from_string(s);
                if (m->restore_method < 0)
                        return fail(err, err_size, -EINVAL,
                                    "restore_method: %s is not one of \"none\", \"restore-if-not-there\", "
                                    "\"restore-if-can-replace\", \"stop-restore-start\", \"custom\"", show(b, s));
        }

        if (!json_object_object_get_ex(root, "components", &v))
                return fail(err, err_size, -EINVAL, "components: required field is missing");
        r = expect_type(v, json_type_array, "components", err, err_size);
        if (r < 0)
                return r;
        n = json_object_array_length(v);
        if (n < 1 || n > WRITER_COMPONENTS_MAX)
                return fail(err, err_size, -EINVAL, "components: must have 1 to %d entries, has %zu",
                            WRITER_COMPONENTS_MAX, n);
        m->components = calloc(n, sizeof(WriterComponent));
        if (!m->components)
                return -ENOMEM;
        m->n_components = n;
        for (size_t i = 0; i < n; i++) {
                r = parse_component(json_object_array_get_idx(v, i), i, m, err, err_size);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void json_object_putp(json_object **o) {
        if (*o)
                json_object_put(*o);
}

static void json_tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}

int writer_metadata_parse(const char *json, size_t size, WriterMetadata **ret, char *err, size_t err_size) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_(json_object_putp) json_object *root = NULL;
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;
        size_t start = 0, end, bad;
        int r;

        if (err && err_size > 0)
                err[0] = 0;
        if (!json && size > 0)
                return fail(err, err_size, -EINVAL, "no metadata");

        if (size > WRITER_METADATA_SIZE_MAX)
                return fail(err, err_size, -E2BIG, "metadata is %zu bytes, more than the limit of %u",
                            size, WRITER_METADATA_SIZE_MAX);
        if (size > 0 && memchr(json, 0, size))
                return fail(err, err_size, -EBADMSG, "metadata contains a NUL byte at byte offset %zu",
                            (size_t) ((const char *) memchr(json, 0, size) - json));
        bad = utf8_invalid_offset(json, size);
        if (bad < size)
                return fail(err, err_size, -EBADMSG, "metadata is not valid UTF-8 at byte offset %zu", bad);
        while (start < size && is_json_space(json[start]))
                start++;
        if (start == size)
                return fail(err, err_size, -EBADMSG, "metadata is empty");
        if (json[start] != '{')
                return fail(err, err_size, -EBADMSG, "metadata is not a JSON object");

        tok = json_tokener_new_ex(JSON_DEPTH_MAX);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
        root = json_tokener_parse_ex(tok, json, (int) size);
        if (!root) {
                enum json_tokener_error e = json_tokener_get_error(tok);
                if (e == json_tokener_continue)
                        return fail(err, err_size, -EBADMSG, "metadata is not valid JSON: it ends early");
                if (e == json_tokener_error_depth)
                        return fail(err, err_size, -EBADMSG, "metadata is nested deeper than the schema allows");
                return fail(err, err_size, -EBADMSG, "metadata is not valid JSON at byte offset %zu: %s",
                            json_tokener_get_parse_end(tok), json_tokener_error_desc(e));
        }
        if (!json_object_is_type(root, json_type_object))
                return fail(err, err_size, -EBADMSG, "metadata is not a JSON object");
        end = json_tokener_get_parse_end(tok);
        for (size_t i = end; i < size; i++)
                if (!is_json_space(json[i]))
                        return fail(err, err_size, -EBADMSG, "unexpected data after the JSON object at byte offset %zu", i);

        Scan sc = { .s = json, .i = start, .n = end, .err = err, .err_size = err_size };
        r = scan_value(&sc, "", 0);
        if (r < 0)
                return r;

        m = calloc(1, sizeof(WriterMetadata));
        if (!m)
                return -ENOMEM;
        r = parse_root(root, m, err, err_size);
        if (r < 0)
                return r;

        if (ret)
                *ret = TAKE_PTR(m);
        return 0;
}

/* ---- Serialization ---- */

static int add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int append(json_object *a, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_array_add(a, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int component_to_json(const WriterComponent *c, json_object **ret) {
        _cleanup_(json_object_putp) json_object *o = json_object_new_object();
        json_object *paths;

        if (!o)
                return -ENOMEM;
        if (add(o, "name", json_object_new_string(c->name)) < 0)
                return -ENOMEM;
        paths = json_object_new_array();
        if (add(o, "paths", paths) < 0)
                return -ENOMEM;
        STRV_FOREACH(p, c->paths)
                if (append(paths, json_object_new_string(*p)) < 0)
                        return -ENOMEM;
        if (add(o, "selectable", json_object_new_boolean(c->selectable)) < 0)
                return -ENOMEM;
        if (c->description && add(o, "description", json_object_new_string(c->description)) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(o);
        return 0;
}

int writer_metadata_to_json(const WriterMetadata *m, char **ret) {
        _cleanup_(json_object_putp) json_object *o = NULL;
        json_object *components;
        const char *s;
        char *copy;
        int r;

        r = writer_metadata_validate(m, NULL, 0);
        if (r < 0)
                return r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        if (add(o, "version", json_object_new_int(WRITER_METADATA_VERSION)) < 0 ||
            add(o, "writer", json_object_new_string(m->writer)) < 0 ||
            add(o, "instance", json_object_new_string(m->instance)) < 0 ||
            add(o, "level", json_object_new_string(writer_level_to_string(m->level))) < 0 ||
            add(o, "freeze_timeout_ms", json_object_new_int64((int64_t) (m->freeze_timeout_usec / USEC_PER_MSEC))) < 0 ||
            add(o, "restore_method", json_object_new_string(writer_restore_method_to_string(m->restore_method))) < 0)
                return -ENOMEM;
        components = json_object_new_array();
        if (add(o, "components", components) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_components; i++) {
                json_object *c = NULL;
                r = component_to_json(&m->components[i], &c);
                if (r < 0)
                        return r;
                if (append(components, c) < 0)
                        return -ENOMEM;
        }

        s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!s)
                return -ENOMEM;
        copy = strdup(s);
        if (!copy)
                return -ENOMEM;
        *ret = copy;
        return 0;
}

static bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

bool writer_metadata_equal(const WriterMetadata *a, const WriterMetadata *b) {
        if (a == b)
                return true;
        if (!a || !b)
                return false;
        if (!streq_ptr(a->writer, b->writer) || !streq_ptr(a->instance, b->instance) ||
            a->level != b->level || a->freeze_timeout_usec != b->freeze_timeout_usec ||
            a->restore_method != b->restore_method || a->n_components != b->n_components)
                return false;
        for (size_t i = 0; i < a->n_components; i++) {
                const WriterComponent *x = &a->components[i], *y = &b->components[i];
                size_t n = strv_length(x->paths);

                if (!streq_ptr(x->name, y->name) || x->selectable != y->selectable ||
                    !streq_ptr(x->description, y->description) || n != strv_length(y->paths))
                        return false;
                for (size_t j = 0; j < n; j++)
                        if (!streq(x->paths[j], y->paths[j]))
                                return false;
        }
        return true;
}
