/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-metadata.h - parse, check and serialize the JSON metadata a writer describes itself with */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include "time-util.h"

#define WRITER_METADATA_VERSION            1
#define WRITER_METADATA_SIZE_MAX           (64U * 1024U)   /* bytes of JSON */
#define WRITER_NAME_MAX                    64              /* writer and instance, characters */
#define WRITER_COMPONENTS_MAX              64
#define WRITER_COMPONENT_NAME_MAX          128             /* characters (code points) */
#define WRITER_COMPONENT_DESCRIPTION_MAX   256             /* characters (code points) */
#define WRITER_COMPONENT_PATHS_MAX         64
#define WRITER_PATH_MAX                    4095            /* bytes */
#define WRITER_FREEZE_TIMEOUT_MS_MIN       100
#define WRITER_FREEZE_TIMEOUT_MS_MAX       600000
#define WRITER_FREEZE_TIMEOUT_MS_DEFAULT   60000

typedef enum WriterLevel {
        WRITER_LEVEL_FRONT_END,
        WRITER_LEVEL_BACK_END,
        WRITER_LEVEL_SYSTEM,
        _WRITER_LEVEL_MAX,
        _WRITER_LEVEL_INVALID = -EINVAL,
} WriterLevel;

typedef enum WriterRestoreMethod {
        WRITER_RESTORE_NONE,
        WRITER_RESTORE_IF_NOT_THERE,
        WRITER_RESTORE_IF_CAN_REPLACE,
        WRITER_RESTORE_STOP_RESTORE_START,
        WRITER_RESTORE_CUSTOM,
        _WRITER_RESTORE_METHOD_MAX,
        _WRITER_RESTORE_METHOD_INVALID = -EINVAL,
} WriterRestoreMethod;

typedef struct WriterComponent {
        char *name;
        char **paths;           /* NULL-terminated; absolute, without a trailing slash (except "/") */
        bool selectable;
        char *description;      /* NULL when the metadata has none */
} WriterComponent;

typedef struct WriterMetadata {
        char *writer;
        char *instance;         /* "" when the metadata has none */
        WriterLevel level;
        usec_t freeze_timeout_usec;     /* a whole number of milliseconds */
        WriterRestoreMethod restore_method;
        WriterComponent *components;
        size_t n_components;
} WriterMetadata;

/* "front-end", "back-end", "system"; NULL for a value out of range. */
const char *writer_level_to_string(WriterLevel l);
/* _WRITER_LEVEL_INVALID (-EINVAL) for an unknown or NULL string. */
WriterLevel writer_level_from_string(const char *s);
/* "none", "restore-if-not-there", "restore-if-can-replace", "stop-restore-start", "custom". */
const char *writer_restore_method_to_string(WriterRestoreMethod m);
WriterRestoreMethod writer_restore_method_from_string(const char *s);

/* Frees m and everything it holds, also when it is only partly filled in.
 * Accepts NULL; returns NULL. */
WriterMetadata *writer_metadata_free(WriterMetadata *m);
static inline void writer_metadata_freep(WriterMetadata **m) {
        writer_metadata_free(*m);
}
#define _cleanup_writer_metadata_ __attribute__((cleanup(writer_metadata_freep)))

/* Parses and checks size bytes of JSON (no terminating NUL is needed or
 * allowed). Whether the paths exist is not checked here. On failure, if err
 * is not NULL and err_size > 0, err gets a message that names the field at
 * fault, e.g. 'components[2].paths[0]: "var/lib" is not an absolute path'.
 * Returns 0, or:
 *   -E2BIG            the document is larger than WRITER_METADATA_SIZE_MAX
 *   -EBADMSG          not UTF-8, not JSON, not an object, nested deeper than
 *                     the schema, or followed by more than white space
 *   -EPROTONOSUPPORT  "version" is not 1
 *   -EINVAL           JSON that breaks a rule of the schema
 *   -ENOMEM */
int writer_metadata_parse(const char *json, size_t size, WriterMetadata **ret, char *err, size_t err_size);

/* Checks a WriterMetadata by the rules the parser applies (paths must already
 * be normalized). 0 or -EINVAL with a message in err as above. */
int writer_metadata_validate(const WriterMetadata *m, char *err, size_t err_size);

/* Canonical, compact JSON of m: every field, in schema order (description
 * only when set). writer_metadata_parse() gives back an equal struct.
 * -EINVAL if m does not validate; -ENOMEM. */
int writer_metadata_to_json(const WriterMetadata *m, char **ret);

bool writer_metadata_equal(const WriterMetadata *a, const WriterMetadata *b);
