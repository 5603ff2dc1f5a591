/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo-handwritten.c - the hand-written parser of /proc/self/mountinfo that
 * stasis used before libmount, verbatim but for its names: the baseline of
 * bench-mountinfo */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "mountinfo-handwritten.h"

#define HW_MOUNT_TABLE_MAX 65536

static void hw_mount_entry_done(HwMountEntry *e) {
        free(e->root);
        free(e->mount_point);
        free(e->options);
        free(e->fstype);
        free(e->source);
        free(e->super_options);
}

HwMountTable *hw_mount_table_free(HwMountTable *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                hw_mount_entry_done(&t->entries[i]);
        free(t->entries);
        free(t);
        return NULL;
}

static void hw_mount_table_freep(HwMountTable **t) {
        hw_mount_table_free(*t);
}

static void hw_mountinfo_unescape(char *s) {
        char *w = s;
        for (char *r = s; *r; ) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' &&
                    r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
                        *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = 0;
}

static int dup_field(const char *f, char **ret) {
        char *c = strdup(f);
        if (!c)
                return -ENOMEM;
        hw_mountinfo_unescape(c);
        *ret = c;
        return 0;
}

/* One line: ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
static int parse_line(char *line, HwMountEntry *e) {
        char *fields[64];
        size_t n = 0;
        char *save = NULL;

        for (char *tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
                if (n >= ELEMENTSOF(fields))
                        return -EBADMSG;
                fields[n++] = tok;
        }
        if (n < 9)
                return -EBADMSG;

        size_t sep = 6;
        while (sep < n && !streq(fields[sep], "-"))
                sep++;
        if (sep + 2 >= n)       /* no "-", or no fstype and source after it */
                return -EBADMSG;

        char *end;
        errno = 0;
        long id = strtol(fields[0], &end, 10);
        if (*end || errno || id < 0 || id > INT32_MAX)
                return -EBADMSG;
        long parent = strtol(fields[1], &end, 10);
        if (*end || errno || parent < 0 || parent > INT32_MAX)
                return -EBADMSG;
        unsigned maj, min;
        char extra;
        if (sscanf(fields[2], "%u:%u%c", &maj, &min, &extra) != 2)
                return -EBADMSG;
        if (fields[3][0] != '/' || fields[4][0] != '/')
                return -EBADMSG;

        *e = (HwMountEntry) { .mount_id = (int) id, .parent_id = (int) parent, .major = maj, .minor = min };
        if (dup_field(fields[3], &e->root) < 0 ||
            dup_field(fields[4], &e->mount_point) < 0 ||
            dup_field(fields[5], &e->options) < 0 ||
            dup_field(fields[sep + 1], &e->fstype) < 0 ||
            dup_field(fields[sep + 2], &e->source) < 0 ||
            dup_field(sep + 3 < n ? fields[sep + 3] : "", &e->super_options) < 0) {
                hw_mount_entry_done(e);
                return -ENOMEM;
        }
        return 0;
}

int hw_mount_table_parse(FILE *f, HwMountTable **ret, unsigned *ret_bad_line) {
        _cleanup_(hw_mount_table_freep) HwMountTable *t = calloc(1, sizeof(HwMountTable));
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, alloc = 0;
        unsigned lineno = 0;

        if (!t)
                return -ENOMEM;

        while (getline(&line, &cap, f) >= 0) {
                lineno++;
                if (line[0] == '\n' || line[0] == 0)
                        continue;
                if (t->n >= HW_MOUNT_TABLE_MAX)
                        return -E2BIG;
                if (t->n == alloc) {
                        size_t na = alloc ? alloc * 2 : 64;
                        HwMountEntry *ne = realloc(t->entries, na * sizeof(HwMountEntry));
                        if (!ne)
                                return -ENOMEM;
                        t->entries = ne;
                        alloc = na;
                }
                int r = parse_line(line, &t->entries[t->n]);
                if (r < 0) {
                        if (ret_bad_line)
                                *ret_bad_line = lineno;
                        return r;
                }
                t->n++;
        }
        if (ferror(f))
                return -EIO;

        *ret = TAKE_PTR(t);
        return 0;
}

int hw_mount_table_load(HwMountTable **ret) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return negative_errno();
        return hw_mount_table_parse(f, ret, NULL);
}

const HwMountEntry *hw_mount_table_find_id(const HwMountTable *t, int mount_id) {
        for (size_t i = 0; i < t->n; i++)
                if (t->entries[i].mount_id == mount_id)
                        return &t->entries[i];
        return NULL;
}

static int hw_path_has_prefix(const char *path, const char *prefix) {
        size_t l = strlen(prefix);
        if (l == 1 && prefix[0] == '/')
                return path[0] == '/';
        if (strncmp(path, prefix, l) != 0)
                return 0;
        return path[l] == 0 || path[l] == '/';
}

const HwMountEntry *hw_mount_table_find_prefix(const HwMountTable *t, const char *path) {
        const HwMountEntry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < t->n; i++) {
                const HwMountEntry *e = &t->entries[i];
                size_t l = strlen(e->mount_point);
                if (!hw_path_has_prefix(path, e->mount_point))
                        continue;
                if (!best || l >= best_len) {
                        best = e;
                        best_len = l;
                }
        }
        return best;
}

