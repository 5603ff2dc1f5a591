/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-protocol.h - an external provider's side of the protocol (docs/provider-spec.md):
 * the verb dispatch, the request read from standard input, the reason of a failure, the answer */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define PROVIDER_PROTOCOL_VERSION 1
#define PROVIDER_INPUT_MAX        (1024 * 1024)

/* The verb being run ("-" before one is known). */
extern const char *verb;

/* Records "<provider>: VERB: <text>" as the reason; returns -1. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Appends "; <text>" to the reason; returns -1. */
int fail_more(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *fail_message(void);
/* Forgets the reason (a failure that was dealt with). */
void fail_clear(void);

/* A string member of o: 1 and *ret if present, 0 if absent (and not
 * required), -1 after fail(). what names o in the reason. */
int get_string(json_object *o, const char *what, const char *key, bool required, const char **ret);

/* Writes o as one line to standard output; -1 if it cannot. */
int emit(json_object *o);

typedef struct ProviderVerb {
        const char *name;
        int (*run)(json_object *req, json_object *resp);   /* 0, or -1 after fail() */
} ProviderVerb;

/* The provider's main(): runs the verb argv[1] names on the request read
 * from standard input (one JSON object of our protocol version) and writes
 * its answer, or the reason it failed, on standard output. undo, if set, is
 * called when the answer cannot be written after the verb made something,
 * so that nothing is left that stasisd will not learn of. Returns the exit
 * status. */
int provider_main(int argc, char *argv[], const char *name, const ProviderVerb *verbs, size_t n_verbs,
                  void (*undo)(void));
