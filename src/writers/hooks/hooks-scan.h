/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hooks-scan.h - the hook scripts of a directory: which run, in which order, and whether they may be trusted */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define HOOKS_MAX 256

/* The executables of dir in name order (bytewise), skipping names that are
 * not hooks (*.sample, *.dpkg-*, *.rpmnew, *.rpmsave, *.rpmorig, editor
 * backups "*~", "#*#", ".*" and other hidden files), non-regular files and
 * files without an execute bit. Each one, and dir and every directory above
 * it, must be root's and writable by nobody else (as providers): else
 * -EPERM with the reason in err. *ret is NULL-terminated (the paths). */
int hooks_scan(const char *dir, char ***ret, char *err, size_t err_size);
/* Whether a file named name is one hooks_scan() leaves out by its name. */
bool hooks_name_skipped(const char *name);
