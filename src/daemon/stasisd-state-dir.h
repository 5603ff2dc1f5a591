/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-state-dir.h - the state directory: made root-only, refused if anyone else could change it */
#pragma once

/* Makes dir (0700; missing directories above it 0755) if it is not there,
 * then checks that it, and every directory above it, is owned by root and
 * not writable by group or others (a sticky directory above is accepted,
 * such as /tmp: see path_open_trusted()). Nothing is made below a directory
 * that fails the check. Logs what is wrong, and what to do, and returns a
 * negative errno if it fails. */
int state_dir_setup(const char *dir);
