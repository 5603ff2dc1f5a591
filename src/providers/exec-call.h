/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec-call.h - run a provider executable: a verb, JSON in, JSON out, a time limit */
#pragma once

#include <json-c/json.h>
#include <sys/types.h>

#include "time-util.h"

#define EXEC_OUTPUT_MAX  (64 * 1024)
#define EXEC_STDERR_MAX  1024
#define EXEC_PROTOCOL_VERSION 1

/* Runs "path verb" with request (a JSON object) on stdin, in a process group
 * of its own, and parses what it prints. Kills the group at the time limit or
 * when abort_fd (if >= 0) becomes readable. Returns 0 with the response in
 * *ret (a JSON object with "version": 1), or a negative errno with a message
 * naming the provider in err: -ETIMEDOUT, -ECANCELED, -EBADMSG (not JSON,
 * wrong version, too long), -EIO (exit status not 0; the provider's "error"
 * or stderr in err). */
int exec_call(const char *path, const char *verb, json_object *request, usec_t timeout, int abort_fd,
              json_object **ret, char *err, size_t err_size);
/* The same with another limit on what the provider may print (EXEC_OUTPUT_MAX for exec_call()). */
int exec_call_sized(const char *path, const char *verb, json_object *request, usec_t timeout, int abort_fd,
                    size_t output_max, json_object **ret, char *err, size_t err_size);

/* The same in two steps: exec_start() starts the provider, which waits for
 * its request; exec_finish() sends the request and reads the answer (it
 * always ends the call, even when it fails). So a provider's start-up can
 * happen before a hold, and only its work inside it. */
typedef struct ExecCall {
        const char *path, *verb;        /* borrowed */
        pid_t pid;
        int in, out, err;
        size_t output_max;              /* what it may print; 0: EXEC_OUTPUT_MAX */
} ExecCall;

int exec_start(const char *path, const char *verb, ExecCall *ret, char *err, size_t err_size);
int exec_finish(ExecCall *c, json_object *request, usec_t timeout, int abort_fd,
                json_object **ret, char *err, size_t err_size);

/* Reads a member of a given type; NULL if it is missing or of another type. */
const char *json_get_string(json_object *o, const char *key);
