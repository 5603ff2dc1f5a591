/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* path-util.c - checks on path strings that come from storage stasisd does not fully control */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "path-util.h"

static int refuse(char *why, size_t why_size, const char *reason) {
        snprintf(why, why_size, "%s", reason);
        return -EINVAL;
}

int handle_check(const char *h, char *why, size_t why_size) {
        if (isempty(h))
                return refuse(why, why_size, "it is empty");
        if (strlen(h) >= PATH_MAX)
                return refuse(why, why_size, "it is longer than PATH_MAX");
        for (const char *c = h; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        return refuse(why, why_size, "it has control characters");
        const char *slash = strchr(h, '/');
        if (!slash)
                return streq(h, ".") || streq(h, "..") ? refuse(why, why_size, "it is '.' or '..'") : 0;
        /* "QUALIFIER:/path": what comes before the path names where it is (a
         * file system's UUID), and must end in ':'. */
        if (slash > h && slash[-1] != ':')
                return refuse(why, why_size, "it has a '/' but is not an absolute path");
        h = slash;
        if (streq(h, "/"))
                return refuse(why, why_size, "it is '/'");
        for (const char *p = h; *p == '/';) {
                const char *name = p + 1;
                size_t len = strcspn(name, "/");
                if (len == 0)
                        return refuse(why, why_size, name[0] ? "it has '//'" : "it ends in '/'");
                if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
                        return refuse(why, why_size, len == 1 ? "it has a '.' component" : "it has a '..' component");
                p = name + len;
        }
        return 0;
}

char *string_escape_short(const char *s, char *buf, size_t size) {
        size_t o = 0;

        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;
                size_t need = c < 0x20 || c == 0x7f || c == '\\' ? 4 : 1;
                if (o + need + 4 > size) {
                        memcpy(buf + o, "...", 4);
                        return buf;
                }
                if (need == 4)
                        o += (size_t) snprintf(buf + o, size - o, "\\x%02x", c);
                else
                        buf[o++] = (char) c;
        }
        buf[o] = 0;
        return buf;
}
