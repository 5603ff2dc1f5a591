/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-run.h - running the lvm2 command-line tools and reading their JSON reports */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "lvm-report.h"

#define LVM_ERR_MAX 512

/* Runs `lvm ARGS...` (args[0] is the lvm command, such as "lvcreate"), with
 * the --config of STASIS_LVM_CONFIG (and extra_config) added, standard input
 * from /dev/null and no descriptor but 0-2 inherited. Returns its exit status
 * (>= 0) and, if asked, its standard output (ret_out, owned) and the last
 * line of its standard error that says something (err, LVM_ERR_MAX bytes,
 * "" if none); or a negative errno if it could not be run. */
int lvm_run(const char *const *args, const char *extra_config, char **ret_out, char *err);

/* `lvm lvs` of the LVs named by targets (a VG, VG/LV, @tag; NULL-terminated,
 * may be empty for all) that match selection (lvs -S; NULL for all). 0 with
 * the rows; -ENOENT if lvs said a VG or LV named is not there (err says
 * which); another negative errno (err says why) if it failed. */
int lvm_lvs(const char *const *targets, const char *selection, LvmLv **ret, size_t *ret_n, char *err);

/* 1 if the VG exists, 0 if not, negative errno (err says why) if vgs failed. */
int lvm_vg_exists(const char *vg, char *err);
