/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmount-dl.c - libmount loaded when first needed (libmount-dl.h) */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>

#include "libmount-dl.h"

#define LIBMOUNT_DEFINE(f) __typeof__(f) *sym_##f;
LIBMOUNT_FUNCTIONS(LIBMOUNT_DEFINE)
#undef LIBMOUNT_DEFINE

int libmount_dlopen(void) {
        static bool loaded;
        void *dl;

        if (__atomic_load_n(&loaded, __ATOMIC_ACQUIRE))
                return 0;
        /* Kept for the life of the process: the pointers stay good. */
        dl = dlopen("libmount.so.1", RTLD_NOW | RTLD_NODELETE);
        if (!dl)
                return -EOPNOTSUPP;
#define LIBMOUNT_LOOKUP(f)                                                              \
        if (!(sym_##f = (__typeof__(f) *) dlsym(dl, #f)))                               \
                return -EOPNOTSUPP;
        LIBMOUNT_FUNCTIONS(LIBMOUNT_LOOKUP)
#undef LIBMOUNT_LOOKUP
        __atomic_store_n(&loaded, true, __ATOMIC_RELEASE);
        return 0;
}
