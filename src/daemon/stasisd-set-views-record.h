/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-set-views-record.h - the record of a mounted view that lets a restarted stasisd take it
 * down, in whichever mount namespace it is, and the entering of those namespaces */
#pragma once

#include <sys/stat.h>

#include "stasisd-set-views.h"

/* Under systemd stasisd has a mount namespace of its own (ProtectSystem=,
 * PrivateMounts=), where nobody else would see a view: a view is attached
 * in the caller's namespace, which the caller hands over, and that
 * namespace is entered for the attach and the detach only.
 * Enters the mount namespace ns_fd (-1: none) for an attach or a detach;
 * *ret_own is stasisd's own, to go back to with set_views_ns_leave() (-1
 * when ns_fd is stasisd's own or -1). */
int set_views_ns_enter(int ns_fd, int *ret_own);
void set_views_ns_leave(int own);

/* Removes the empty directory path, reached without following a symlink
 * (a DIR is its owner's, who may have replaced what stasisd made in it). */
void set_views_rmdir_strict(const char *path);

/* Writes <runtime dir>/views/<id> (in stasisd's namespace): the view's
 * root, the directories made for it, and each snapshot attached with the
 * identity of its root directory (mounts[i] for view->targets[i]); ns: the
 * identity of the mount namespace it is in, NULL if stasisd's. */
int set_view_record(const char *runtime_dir, const char *id, const SetView *view, const struct stat *ns,
                    const struct stat *mounts);
void set_view_unrecord(const char *runtime_dir, const char *id);

/* At start-up: takes down the views a previous run left (those in other
 * mount namespaces too, found through a process in them; only what is
 * still the snapshot that run mounted), and forgets them. */
void set_views_clean_stale(const char *runtime_dir);
