/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* mountinfo.c - parse /proc/self/mountinfo and find the mount that holds a path */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "mountinfo.h"

#define MOUNT_TABLE_MAX 65536

static void mount_entry_done(MountEntry *e) {
        free(e->root);
        free(e->mount_point);
        free(e->options);
        free(e->fstype);
        free(e->source);
        free(e->super_options);
}

MountTable *mount_table_free(MountTable *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++)
                mount_entry_done(&t->entries[i]);
        free(t->entries);
        free(t);
        return NULL;
}

void mountinfo_unescape(char *s) {
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
        mountinfo_unescape(c);
        *ret = c;
        return 0;
}

/* One line: ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
static int parse_line(char *line, MountEntry *e) {
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

        *e = (MountEntry) { .mount_id = (int) id, .parent_id = (int) parent, .major = maj, .minor = min };
        if (dup_field(fields[3], &e->root) < 0 ||
            dup_field(fields[4], &e->mount_point) < 0 ||
            dup_field(fields[5], &e->options) < 0 ||
            dup_field(fields[sep + 1], &e->fstype) < 0 ||
            dup_field(fields[sep + 2], &e->source) < 0 ||
            dup_field(sep + 3 < n ? fields[sep + 3] : "", &e->super_options) < 0) {
                mount_entry_done(e);
                return -ENOMEM;
        }
        return 0;
}

int mount_table_parse(FILE *f, MountTable **ret, unsigned *ret_bad_line) {
        _cleanup_(mount_table_freep) MountTable *t = calloc(1, sizeof(MountTable));
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, alloc = 0;
        unsigned lineno = 0;

        if (!t)
                return -ENOMEM;

        while (getline(&line, &cap, f) >= 0) {
                lineno++;
                if (line[0] == '\n' || line[0] == 0)
                        continue;
                if (t->n >= MOUNT_TABLE_MAX)
                        return -E2BIG;
                if (t->n == alloc) {
                        size_t na = alloc ? alloc * 2 : 64;
                        MountEntry *ne = realloc(t->entries, na * sizeof(MountEntry));
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

int mount_table_load(MountTable **ret) {
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return negative_errno();
        return mount_table_parse(f, ret, NULL);
}

int mount_cache_get(MountCache *c, const MountTable **ret) {
        int r;

        if (c->fd < 0) {
                c->fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
                if (c->fd < 0)
                        return -errno;
                c->table = mount_table_free(c->table);
        } else if (c->table) {
                struct pollfd p = { .fd = c->fd, .events = POLLPRI };
                if (poll(&p, 1, 0) < 0)
                        return -errno;
                if (p.revents & (POLLPRI | POLLERR))
                        c->table = mount_table_free(c->table);
        }
        if (!c->table) {
                int fd = dup(c->fd);
                if (fd < 0)
                        return -errno;
                if (lseek(fd, 0, SEEK_SET) < 0) {
                        close(fd);
                        return -errno;
                }
                FILE *f = fdopen(fd, "re");
                if (!f) {
                        close(fd);
                        return -errno;
                }
                r = mount_table_parse(f, &c->table, NULL);
                fclose(f);
                if (r < 0)
                        return r;
        }
        *ret = c->table;
        return 0;
}

void mount_cache_done(MountCache *c) {
        c->fd = safe_close(c->fd);
        c->table = mount_table_free(c->table);
}

const MountEntry *mount_table_find_id(const MountTable *t, int mount_id) {
        for (size_t i = 0; i < t->n; i++)
                if (t->entries[i].mount_id == mount_id)
                        return &t->entries[i];
        return NULL;
}

int path_has_prefix(const char *path, const char *prefix) {
        size_t l = strlen(prefix);
        if (l == 1 && prefix[0] == '/')
                return path[0] == '/';
        if (strncmp(path, prefix, l) != 0)
                return 0;
        return path[l] == 0 || path[l] == '/';
}

const MountEntry *mount_table_find_prefix(const MountTable *t, const char *path) {
        const MountEntry *best = NULL;
        size_t best_len = 0;

        for (size_t i = 0; i < t->n; i++) {
                const MountEntry *e = &t->entries[i];
                size_t l = strlen(e->mount_point);
                if (!path_has_prefix(path, e->mount_point))
                        continue;
                if (!best || l >= best_len) {
                        best = e;
                        best_len = l;
                }
        }
        return best;
}

int mount_table_find_path(const MountTable *t, const char *path,
                          char **ret_canonical, const MountEntry **ret_mount, uid_t *ret_owner) {
        /* One lookup: the canonical path and the mount are those of the
         * same file, even if the path changes meanwhile. */
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        struct statx sx;
        if (statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_UID | STATX_MNT_ID, &sx) < 0)
                return negative_errno();
        if (!S_ISDIR(sx.stx_mode))
                return -ENOTDIR;

        char self[64];
        snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
        _cleanup_free_ char *canonical = realpath(self, NULL);
        if (!canonical)
                return negative_errno();

        const MountEntry *m = NULL;
        if (sx.stx_mask & STATX_MNT_ID)
                m = mount_table_find_id(t, (int) sx.stx_mnt_id);
        if (!m)
                m = mount_table_find_prefix(t, canonical);
        if (!m)
                return -ENOENT;

        if (ret_canonical)
                *ret_canonical = TAKE_PTR(canonical);
        if (ret_mount)
                *ret_mount = m;
        if (ret_owner)
                *ret_owner = (uid_t) sx.stx_uid;
        return 0;
}
