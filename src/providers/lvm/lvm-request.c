/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-request.c - the LVM provider's side of the provider protocol: the request, the volume objects, the answer */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lvm-policy.h"
#include "lvm-request.h"

#define INPUT_MAX (1024 * 1024)

const char *verb = "-";
static char message[8192];

int fail(const char *fmt, ...) {
        va_list ap;
        int l = snprintf(message, sizeof message, "%s: %s: ", PROVIDER_NAME, verb);
        if (l < 0 || (size_t) l >= sizeof message)
                return -1;
        va_start(ap, fmt);
        vsnprintf(message + l, sizeof message - (size_t) l, fmt, ap);
        va_end(ap);
        return -1;
}

int fail_more(const char *fmt, ...) {
        va_list ap;
        size_t l = strlen(message);
        if (l + 3 >= sizeof message)
                return -1;
        memcpy(message + l, "; ", 3);
        l += 2;
        va_start(ap, fmt);
        vsnprintf(message + l, sizeof message - l, fmt, ap);
        va_end(ap);
        return -1;
}

const char *fail_message(void) {
        return message;
}

static char *read_input(size_t *ret_len) {
        size_t len = 0, cap = 64 * 1024;
        char *buf = malloc(cap + 1);
        if (!buf) {
                fail("out of memory");
                return NULL;
        }
        for (;;) {
                if (len == cap) {
                        char *n = cap > INPUT_MAX ? NULL : realloc(buf, cap * 2 + 1);
                        if (!n) {
                                free(buf);
                                fail(cap > INPUT_MAX ? "request on standard input is larger than %d bytes" :
                                                       "out of memory (%d)", INPUT_MAX);
                                return NULL;
                        }
                        buf = n;
                        cap *= 2;
                }
                ssize_t l = read(STDIN_FILENO, buf + len, cap - len);
                if (l < 0) {
                        if (errno == EINTR)
                                continue;
                        fail("cannot read the request from standard input: %s", strerror(errno));
                        free(buf);
                        return NULL;
                }
                if (l == 0)
                        break;
                len += (size_t) l;
        }
        buf[len] = 0;
        *ret_len = len;
        return buf;
}

json_object *parse_request(void) {
        size_t len = 0;
        char *buf = read_input(&len);
        json_object *req = NULL, *v;

        if (!buf)
                return NULL;
        if (memchr(buf, 0, len)) {
                free(buf);
                fail("malformed request: it contains a NUL byte");
                return NULL;
        }
        json_tokener *tok = json_tokener_new();
        if (!tok) {
                free(buf);
                fail("out of memory");
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        req = json_tokener_parse_ex(tok, buf, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);
        if (!req || jerr != json_tokener_success) {
                fail("malformed request: %s", jerr == json_tokener_continue ? "the JSON text is incomplete" :
                                                                              json_tokener_error_desc(jerr));
                json_object_put(req);
                req = NULL;
        } else {
                for (size_t i = end; i < len; i++)
                        if (!isspace((unsigned char) buf[i])) {
                                fail("malformed request: text after the JSON object at byte %zu", i);
                                json_object_put(req);
                                req = NULL;
                                break;
                        }
        }
        json_tokener_free(tok);
        free(buf);
        if (!req)
                return NULL;
        if (!json_object_is_type(req, json_type_object)) {
                fail("malformed request: it is not a JSON object");
                goto bad;
        }
        if (!json_object_object_get_ex(req, "version", &v)) {
                fail("request lacks \"version\"");
                goto bad;
        }
        if (!json_object_is_type(v, json_type_int)) {
                fail("request field \"version\" is not a whole number");
                goto bad;
        }
        if (json_object_get_int64(v) != PROTOCOL_VERSION) {
                fail("unsupported protocol version %lld (this provider speaks version %d)",
                     (long long) json_object_get_int64(v), PROTOCOL_VERSION);
                goto bad;
        }
        return req;
bad:
        json_object_put(req);
        return NULL;
}

static int get_string(json_object *o, const char *what, const char *key, bool required, const char **ret) {
        json_object *v;
        *ret = NULL;
        if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
                if (required)
                        return fail("%s lacks \"%s\"", what, key);
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return fail("%s field \"%s\" is not a string", what, key);
        const char *s = json_object_get_string(v);
        if ((size_t) json_object_get_string_len(v) != strlen(s))
                return fail("%s field \"%s\" contains a NUL character", what, key);
        if (strlen(s) >= PATH_MAX)
                return fail("%s field \"%s\" is too long", what, key);
        *ret = s;
        return 1;
}

int parse_volume(json_object *o, const char *what, bool with_handle, Volume *v) {
        char set_id[20];
        unsigned index;

        *v = (Volume) {};
        if (!o)
                return fail("request lacks \"volume\"");
        if (!json_object_is_type(o, json_type_object))
                return fail("%s is not a JSON object", what);
        if (get_string(o, what, "path", true, &v->path) < 0 ||
            get_string(o, what, "mount_point", true, &v->mount_point) < 0 ||
            get_string(o, what, "device", true, &v->device) < 0 ||
            get_string(o, what, "fstype", true, &v->fstype) < 0 ||
            get_string(o, what, "source", with_handle, &v->source) < 0 ||
            get_string(o, what, "key", with_handle, &v->key) < 0 ||
            get_string(o, what, "handle", with_handle, &v->handle) < 0)
                return -1;
        if (!with_handle)
                return 0;

        if (lvm_handle_parse(v->handle, set_id, &index) < 0)
                return fail("%s field \"handle\" is not a handle stasisd makes: '%s'", what, v->handle);
        if (strncmp(v->key, "lvm:", 4) != 0 || strlen(v->key + 4) != 38)
                return fail("%s field \"key\" is not this provider's key (lvm:LV-UUID): '%s'", what, v->key);
        v->uuid = v->key + 4;
        for (const char *c = v->uuid; *c; c++)
                if (!isalnum((unsigned char) *c) && *c != '-')
                        return fail("%s field \"key\" is not this provider's key (lvm:LV-UUID): '%s'", what, v->key);
        /* The source is "VG/LV"; the LV part is empty for a snapshot whose
         * origin was removed (list), and only the VG is used then. */
        const char *slash = strchr(v->source, '/');
        if (!slash || (size_t) (slash - v->source) >= sizeof v->vg || strlen(slash + 1) >= sizeof v->lv)
                return fail("%s field \"source\" is not VG/LV: '%s'", what, v->source);
        memcpy(v->vg, v->source, (size_t) (slash - v->source));
        v->vg[slash - v->source] = 0;
        strcpy(v->lv, slash + 1);
        if (!lvm_name_valid(v->vg) || (v->lv[0] && !lvm_name_valid(v->lv)))
                return fail("%s field \"source\" is not VG/LV: '%s'", what, v->source);
        return 0;
}

int parse_single_volume(json_object *req, Volume *v) {
        json_object *o = NULL;
        (void) json_object_object_get_ex(req, "volume", &o);
        if (o && json_object_is_type(o, json_type_null))
                o = NULL;
        return parse_volume(o, "volume", true, v);
}

int emit(json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (printf("%s\n", s) < 0 || fflush(stdout) != 0)
                return -1;
        return 0;
}
