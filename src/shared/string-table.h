/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* string-table.h - an enum's names: one table, the _to_string() and _from_string() made from it */
#pragma once

#include <stddef.h>
#include <string.h>

/* With "static const char *const name##_table[_MAX] = { [X] = "x", ... };"
 * in scope, defines name##_to_string() (NULL out of range or for a hole)
 * and name##_from_string() (invalid for NULL or an unknown string). The
 * PRIVATE forms make them static, for a file's own table. */
#define _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, scope)                        \
        scope const char *name##_to_string(type i) {                                    \
                /* A negative value turns into a huge one. */                           \
                if ((size_t) i >= sizeof(name##_table) / sizeof(name##_table[0]))       \
                        return NULL;                                                    \
                return name##_table[i];                                                 \
        }

#define _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, invalid, scope)             \
        scope type name##_from_string(const char *s) {                                  \
                if (!s)                                                                 \
                        return (invalid);                                               \
                for (size_t i = 0; i < sizeof(name##_table) / sizeof(name##_table[0]); i++) \
                        if (name##_table[i] && strcmp(name##_table[i], s) == 0)         \
                                return (type) i;                                        \
                return (invalid);                                                       \
        }

#define DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, )
#define DEFINE_STRING_TABLE_LOOKUP(name, type, invalid)                 \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, )             \
        _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, invalid, )

#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(name, type) \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, static)
#define DEFINE_PRIVATE_STRING_TABLE_LOOKUP(name, type, invalid)                 \
        _DEFINE_STRING_TABLE_LOOKUP_TO_STRING(name, type, static)               \
        _DEFINE_STRING_TABLE_LOOKUP_FROM_STRING(name, type, invalid, static)
