/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libmount-dl.h - libmount loaded when first needed, for code built into libstasis
 *
 * Linked in, libmount (with libblkid, libselinux and libpcre2 behind it) is
 * loaded and initialized by every program that uses libstasis, writers
 * included, although only a requestor entering a view reads the mount table.
 * mountinfo.c built with MOUNTINFO_DLOPEN calls libmount through the
 * pointers below, which libmount_dlopen() fills on first use. */
#pragma once

#include <libmount.h>

#define LIBMOUNT_FUNCTIONS(X)                   \
        X(mnt_free_iter)                        \
        X(mnt_fs_get_devno)                     \
        X(mnt_fs_get_fs_options)                \
        X(mnt_fs_get_fstype)                    \
        X(mnt_fs_get_id)                        \
        X(mnt_fs_get_parent_id)                 \
        X(mnt_fs_get_root)                      \
        X(mnt_fs_get_source)                    \
        X(mnt_fs_get_target)                    \
        X(mnt_fs_get_vfs_options)               \
        X(mnt_fs_is_kernel)                     \
        X(mnt_monitor_enable_kernel)            \
        X(mnt_monitor_event_cleanup)            \
        X(mnt_monitor_get_fd)                   \
        X(mnt_monitor_next_change)              \
        X(mnt_new_iter)                         \
        X(mnt_new_monitor)                      \
        X(mnt_new_table)                        \
        X(mnt_table_get_nents)                  \
        X(mnt_table_get_userdata)               \
        X(mnt_table_next_fs)                    \
        X(mnt_table_parse_stream)               \
        X(mnt_table_set_parser_errcb)           \
        X(mnt_table_set_userdata)               \
        X(mnt_unref_monitor)                    \
        X(mnt_unref_table)

#define LIBMOUNT_DECLARE(f) extern __typeof__(f) *sym_##f;
LIBMOUNT_FUNCTIONS(LIBMOUNT_DECLARE)
#undef LIBMOUNT_DECLARE

/* 0 once every function is there, -EOPNOTSUPP (libmount cannot be loaded). */
int libmount_dlopen(void);

#define mnt_free_iter(...) sym_mnt_free_iter(__VA_ARGS__)
#define mnt_fs_get_devno(...) sym_mnt_fs_get_devno(__VA_ARGS__)
#define mnt_fs_get_fs_options(...) sym_mnt_fs_get_fs_options(__VA_ARGS__)
#define mnt_fs_get_fstype(...) sym_mnt_fs_get_fstype(__VA_ARGS__)
#define mnt_fs_get_id(...) sym_mnt_fs_get_id(__VA_ARGS__)
#define mnt_fs_get_parent_id(...) sym_mnt_fs_get_parent_id(__VA_ARGS__)
#define mnt_fs_get_root(...) sym_mnt_fs_get_root(__VA_ARGS__)
#define mnt_fs_get_source(...) sym_mnt_fs_get_source(__VA_ARGS__)
#define mnt_fs_get_target(...) sym_mnt_fs_get_target(__VA_ARGS__)
#define mnt_fs_get_vfs_options(...) sym_mnt_fs_get_vfs_options(__VA_ARGS__)
#define mnt_fs_is_kernel(...) sym_mnt_fs_is_kernel(__VA_ARGS__)
#define mnt_monitor_enable_kernel(...) sym_mnt_monitor_enable_kernel(__VA_ARGS__)
#define mnt_monitor_event_cleanup(...) sym_mnt_monitor_event_cleanup(__VA_ARGS__)
#define mnt_monitor_get_fd(...) sym_mnt_monitor_get_fd(__VA_ARGS__)
#define mnt_monitor_next_change(...) sym_mnt_monitor_next_change(__VA_ARGS__)
#define mnt_new_iter(...) sym_mnt_new_iter(__VA_ARGS__)
#define mnt_new_monitor(...) sym_mnt_new_monitor(__VA_ARGS__)
#define mnt_new_table(...) sym_mnt_new_table(__VA_ARGS__)
#define mnt_table_get_nents(...) sym_mnt_table_get_nents(__VA_ARGS__)
#define mnt_table_get_userdata(...) sym_mnt_table_get_userdata(__VA_ARGS__)
#define mnt_table_next_fs(...) sym_mnt_table_next_fs(__VA_ARGS__)
#define mnt_table_parse_stream(...) sym_mnt_table_parse_stream(__VA_ARGS__)
#define mnt_table_set_parser_errcb(...) sym_mnt_table_set_parser_errcb(__VA_ARGS__)
#define mnt_table_set_userdata(...) sym_mnt_table_set_userdata(__VA_ARGS__)
#define mnt_unref_monitor(...) sym_mnt_unref_monitor(__VA_ARGS__)
#define mnt_unref_table(...) sym_mnt_unref_table(__VA_ARGS__)
