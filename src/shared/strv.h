/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* strv.h - NULL-terminated string arrays */
#pragma once

#include <stdbool.h>
#include <stddef.h>

char **strv_free(char **l);
size_t strv_length(char * const *l);
/* Appends a copy of s; returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* A deep copy; NULL for NULL (and on -ENOMEM, so check l first). */
char **strv_copy(char * const *l);
static inline bool strv_isempty(char * const *l) {
        return !l || !*l;
}

static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))
#define STRV_FOREACH(s, l) for (char * const *s = (l); s && *s; s++)
