/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-protocol.c - an external provider's side of the protocol (docs/provider-spec.md) */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "provider-protocol.h"

const char *verb = "-";
static const char *provider_name = "stasis-provider";
static char message[8192];

int fail(const char *fmt, ...) {
        va_list ap;
        int l = snprintf(message, sizeof message, "%s: %s: ", provider_name, verb);
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

void fail_clear(void) {
        message[0] = 0;
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
                        if (cap > PROVIDER_INPUT_MAX) {
                                free(buf);
                                fail("request on standard input is larger than %d bytes", PROVIDER_INPUT_MAX);
                                return NULL;
                        }
                        char *n = realloc(buf, cap * 2 + 1);
                        if (!n) {
                                free(buf);
                                fail("out of memory");
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
                if (len > PROVIDER_INPUT_MAX) {
                        free(buf);
                        fail("request on standard input is larger than %d bytes", PROVIDER_INPUT_MAX);
                        return NULL;
                }
        }
        buf[len] = 0;
        *ret_len = len;
        return buf;
}

/* Standard input as one JSON object of our protocol version; NULL after fail(). */
static json_object *parse_request(void) {
        size_t len = 0;
        char *buf = read_input(&len);
        if (!buf)
                return NULL;

        if (memchr(buf, 0, len)) {
                free(buf);
                fail("malformed request: it contains a NUL byte");
                return NULL;
        }
        size_t first = 0;
        while (first < len && isspace((unsigned char) buf[first]))
                first++;
        if (first == len) {
                free(buf);
                fail("malformed request: standard input is empty (no JSON object)");
                return NULL;
        }
        json_tokener *tok = json_tokener_new();
        if (!tok) {
                free(buf);
                fail("out of memory");
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        json_object *req = json_tokener_parse_ex(tok, buf, (int) len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        size_t end = json_tokener_get_parse_end(tok);

        if (!req || jerr != json_tokener_success) {
                if (jerr == json_tokener_continue)
                        fail("malformed request: the JSON text is incomplete");
                else
                        fail("malformed request: %s at byte %zu", json_tokener_error_desc(jerr), end);
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

        json_object *v;
        if (!json_object_is_type(req, json_type_object))
                fail("malformed request: it is not a JSON object");
        else if (!json_object_object_get_ex(req, "version", &v))
                fail("request lacks \"version\"");
        else if (!json_object_is_type(v, json_type_int))
                fail("request field \"version\" is not a whole number");
        else if (json_object_get_int64(v) != PROVIDER_PROTOCOL_VERSION)
                fail("unsupported protocol version %lld (this provider speaks version %d)",
                     (long long) json_object_get_int64(v), PROVIDER_PROTOCOL_VERSION);
        else
                return req;
        json_object_put(req);
        return NULL;
}

int get_string(json_object *o, const char *what, const char *key, bool required, const char **ret) {
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

int emit(json_object *o) {
        const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (printf("%s\n", s) < 0 || fflush(stdout) != 0)
                return -1;
        return 0;
}

/* "probe, commit, ..." */
static void verb_names(const ProviderVerb *verbs, size_t n, char *buf, size_t size) {
        size_t l = 0;
        buf[0] = 0;
        for (size_t i = 0; i < n && l < size; i++)
                l += (size_t) snprintf(buf + l, size - l, "%s%s", i > 0 ? ", " : "", verbs[i].name);
}

int provider_main(int argc, char *argv[], const char *name, const ProviderVerb *verbs, size_t n_verbs,
                  void (*undo)(void)) {
        json_object *req = NULL, *resp = json_object_new_object();
        char known[256];
        int r = -1;

        provider_name = name;
        if (!resp) {
                fprintf(stderr, "%s: out of memory\n", name);
                return 1;
        }
        json_object_object_add(resp, "version", json_object_new_int(PROVIDER_PROTOCOL_VERSION));
        umask(077);

        verb_names(verbs, n_verbs, known, sizeof known);
        if (argc != 2)
                snprintf(message, sizeof message, "%s: usage: %s VERB < REQUEST (VERB: %s)", name, name, known);
        else {
                for (size_t i = 0; i < n_verbs; i++)
                        if (strcmp(argv[1], verbs[i].name) == 0) {
                                verb = verbs[i].name;
                                req = parse_request();
                                r = req ? verbs[i].run(req, resp) : -1;
                                break;
                        }
                if (verb[0] == '-')
                        snprintf(message, sizeof message, "%s: unknown verb '%.64s' (known: %s)", name, argv[1],
                                 known);
                else if (r != 0 && !message[0])
                        fail("internal error: failed without a reason");
        }

        if (r == 0) {
                if (emit(resp) == 0) {
                        json_object_put(resp);
                        json_object_put(req);
                        return 0;
                }
                fail("cannot write the response: %s", strerror(errno));
                /* stasisd will not learn of what was made: take it back. */
                if (undo)
                        undo();
        }
        json_object_put(resp);
        json_object_put(req);
        fprintf(stderr, "%s\n", message);
        resp = json_object_new_object();
        if (resp) {
                json_object_object_add(resp, "version", json_object_new_int(PROVIDER_PROTOCOL_VERSION));
                json_object_object_add(resp, "error", json_object_new_string(message));
                (void) emit(resp);
                json_object_put(resp);
        }
        return 1;
}
