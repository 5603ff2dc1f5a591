/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-path-trust.c - unit tests of path_open_trusted() and handle_check() */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "path-trust.h"
#include "path-util.h"
#include "tests.h"

static char dir[64];

static void cleanup_dir(void) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        (void) system(cmd);
}

/* A root-owned 0755 directory below /tmp (sticky, root's), made once. */
static const char *base(void) {
        if (!dir[0]) {
                snprintf(dir, sizeof dir, "/tmp/stasis-path-trust.XXXXXX");
                if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
                        abort();
                atexit(cleanup_dir);
        }
        return dir;
}

static char *at(const char *name) {
        static char p[8][256];
        static int i;
        i = (i + 1) % 8;
        snprintf(p[i], sizeof p[i], "%s/%s", base(), name);
        return p[i];
}

static int open_trusted(const char *path, bool sticky_ok, char *why, size_t n) {
        int fd = -1;
        int r = path_open_trusted(path, sticky_ok, &fd, NULL, why, n);
        safe_close(fd);
        return r;
}

TEST(trusted_tree) {
        char why[256] = "";
        if (geteuid() != 0)
                return;
        CHECK_INTEQ(mkdir(at("a"), 0755), 0);
        CHECK_INTEQ(close(open(at("a/f"), O_CREAT | O_WRONLY | O_CLOEXEC, 0755)), 0);
        CHECK_INTEQ(open_trusted(at("a/f"), false, why, sizeof why), 0);
        CHECK_INTEQ(open_trusted(at("a/./f"), false, why, sizeof why), 0);
        CHECK_INTEQ(open_trusted(at("a/../a/f"), false, why, sizeof why), 0);
        /* /tmp is sticky: fine above, not as the object itself. */
        CHECK_INTEQ(open_trusted("/tmp", true, why, sizeof why), 0);
        CHECK_INTEQ(open_trusted("/tmp", false, why, sizeof why), -EPERM);
        CHECK_STREQ(why, "/tmp is writable by others");
        CHECK_INTEQ(open_trusted(at("a/missing"), false, why, sizeof why), -ENOENT);
        CHECK_INTEQ(open_trusted("relative/path", false, why, sizeof why), -EINVAL);
}

TEST(untrusted_modes_and_owners) {
        char why[256] = "", want[300];
        if (geteuid() != 0)
                return;
        CHECK_INTEQ(mkdir(at("w"), 0755), 0);
        CHECK_INTEQ(chmod(at("w"), 0775), 0);
        CHECK_INTEQ(close(open(at("w/f"), O_CREAT | O_WRONLY | O_CLOEXEC, 0755)), 0);
        CHECK_INTEQ(open_trusted(at("w/f"), false, why, sizeof why), -EPERM);
        snprintf(want, sizeof want, "%s is writable by its group", at("w"));
        CHECK_STREQ(why, want);
        CHECK_INTEQ(chmod(at("w"), 0755), 0);
        CHECK_INTEQ(chown(at("w/f"), 65534, 65534), 0);
        CHECK_INTEQ(open_trusted(at("w/f"), false, why, sizeof why), -EPERM);
        snprintf(want, sizeof want, "%s is owned by uid 65534, not root", at("w/f"));
        CHECK_STREQ(why, want);
}

TEST(symlinks) {
        char why[256] = "", want[300];
        if (geteuid() != 0)
                return;
        CHECK_INTEQ(mkdir(at("s"), 0755), 0);
        CHECK_INTEQ(mkdir(at("s/open"), 0777), 0);
        CHECK_INTEQ(chmod(at("s/open"), 0777), 0);
        CHECK_INTEQ(close(open(at("s/open/f"), O_CREAT | O_WRONLY | O_CLOEXEC, 0755)), 0);
        CHECK_INTEQ(symlink("open/f", at("s/rel")), 0);
        CHECK_INTEQ(open_trusted(at("s/rel"), false, why, sizeof why), -EPERM);
        snprintf(want, sizeof want, "%s is writable by others", at("s/open"));
        CHECK_STREQ(why, want);
        /* Through a link to ".", then back out: only checked directories. */
        CHECK_INTEQ(close(open(at("s/g"), O_CREAT | O_WRONLY | O_CLOEXEC, 0755)), 0);
        CHECK_INTEQ(symlink(".", at("s/dot")), 0);
        CHECK_INTEQ(open_trusted(at("s/dot/dot/g"), false, why, sizeof why), 0);
        /* A link not root's is refused even in a trusted directory. */
        CHECK_INTEQ(symlink(at("s/g"), at("s/theirs")), 0);
        CHECK_INTEQ(lchown(at("s/theirs"), 65534, 65534), 0);
        CHECK_INTEQ(open_trusted(at("s/theirs"), false, why, sizeof why), -EPERM);
        CHECK_INTEQ(symlink("loop", at("s/loop")), 0);
        CHECK_INTEQ(open_trusted(at("s/loop"), false, why, sizeof why), -ELOOP);
}

TEST(handles) {
        char why[128];
        CHECK_INTEQ(handle_check("/mnt/.stasis/12", why, sizeof why), 0);
        CHECK_INTEQ(handle_check("stasis-12-0", why, sizeof why), 0);
        CHECK_INTEQ(handle_check("0f5c7a1e-5b0e-4c1e-9d43-2a1b3c4d5e6f:/.stasis/12-0", why, sizeof why), 0);
        CHECK_INTEQ(handle_check("uuid:/.stasis/../x", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("uuid:/", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("uu/id:/x", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("/mnt/.stasis/../../victim/v3", why, sizeof why), -EINVAL);
        CHECK_STREQ(why, "it has a '..' component");
        CHECK_INTEQ(handle_check("/mnt/./x", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("/mnt//x", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("/mnt/x/", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("/", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check(NULL, why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("..", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("a/b", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("/mnt/x\n", why, sizeof why), -EINVAL);
        CHECK_INTEQ(handle_check("/mnt/\x7f", why, sizeof why), -EINVAL);
}

TEST(escape) {
        char buf[16];
        CHECK_STREQ(string_escape_short("a\nb", buf, sizeof buf), "a\\x0ab");
        CHECK_STREQ(string_escape_short("0123456789abcdefgh", buf, sizeof buf), "0123456789ab...");
}
