/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-config.c - unit tests of the stasisd.conf parser, its file checks and its name lookups */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "macro.h"
#include "stasisd-config.h"
#include "tests.h"

/* Every report, as "E:LINE: message\n" or "W:LINE: message\n". */
static char reports[4096];

static void collect(void *userdata, int level, const char *file, unsigned line, const char *message) {
        size_t l = strlen(reports);
        snprintf(reports + l, sizeof reports - l, "%c:%u: %s\n", level == LOG_ERR ? 'E' : 'W', line, message);
}

static int parse(const char *text, StasisdConfig **ret) {
        reports[0] = 0;
        *ret = NULL;
        return config_parse(text, strlen(text), "test.conf", collect, NULL, ret);
}

TEST(empty_and_comments) {
        StasisdConfig *c;
        CHECK_INTEQ(parse("", &c), 0);
        CHECK(c && c->n_writer_users == 0 && c->n_writer_groups == 0);
        config_free(c);
        CHECK_INTEQ(parse("# comment\n; another\n\n   \n[Authorization]\n# RegisterWriterUsers=x\n", &c), 0);
        CHECK_STREQ(reports, "");
        CHECK(c->n_writer_users == 0);
        config_free(c);
}

TEST(lists) {
        StasisdConfig *c;
        CHECK_INTEQ(parse("[Authorization]\n"
                          "RegisterWriterUsers = postgres  mysql\t redis \n"
                          "RegisterWriterUsers=1001\n"
                          "RegisterWriterGroups=db\r\n"
                          "RegisterWriterGroups=\n"
                          "RegisterWriterGroups=backup machine$\n", &c), 0);
        CHECK_STREQ(reports, "");
        CHECK_INTEQ(c->n_writer_users, 4);
        CHECK_STREQ(c->writer_users[0].name, "postgres");
        CHECK_STREQ(c->writer_users[2].name, "redis");
        CHECK_STREQ(c->writer_users[3].name, "1001");
        CHECK_INTEQ(c->writer_users[3].line, 3);
        /* An empty value empties the list. */
        CHECK_INTEQ(c->n_writer_groups, 2);
        CHECK_STREQ(c->writer_groups[0].name, "backup");
        CHECK_STREQ(c->writer_groups[1].name, "machine$");
        CHECK_INTEQ(c->writer_groups[1].line, 6);
        config_free(c);
}

TEST(errors_have_lines) {
        StasisdConfig *c;
        CHECK_INTEQ(parse("RegisterWriterUsers=x\n"
                          "[Authorization]\n"
                          "Foo=bar\n"
                          "RegisterWriterUsers=-x a:b ok\n"
                          "[Other]\n"
                          "Foo=bar\n"
                          "words\n"
                          "[Authorization\n"
                          "=x\n"
                          "[]\n", &c), -EINVAL);
        CHECK(!c);
        CHECK_STREQ(reports,
                    "E:1: 'RegisterWriterUsers' is not in a section; put it under [Authorization], [Writers] or [Space]\n"
                    "E:3: unknown key 'Foo' in section [Authorization]\n"
                    "E:4: RegisterWriterUsers=: '-x' is not a valid user name\n"
                    "E:4: RegisterWriterUsers=: 'a:b' is not a valid user name\n"
                    "E:5: unknown section [Other]\n"
                    "E:7: 'words' is not KEY=VALUE, a [SECTION] or a comment\n"
                    "E:8: bad section header '[Authorization'; expected [NAME]\n"
                    "E:9: '=x' is not KEY=VALUE, a [SECTION] or a comment\n"
                    "E:10: bad section header '[]'; expected [NAME]\n");
}

/* [Writers] WriterGraceSec=: whole seconds up to a day; 30 when not set. */
TEST(writer_grace) {
        StasisdConfig *c;
        CHECK_INTEQ(parse("", &c), 0);
        CHECK_INTEQ(config_writer_grace_usec(c), 30 * 1000000ULL);
        CHECK_INTEQ(config_writer_grace_usec(NULL), 30 * 1000000ULL);
        config_free(c);
        CHECK_INTEQ(parse("[Writers]\nWriterGraceSec = 2\n", &c), 0);
        CHECK_STREQ(reports, "");
        CHECK_INTEQ(config_writer_grace_usec(c), 2 * 1000000ULL);
        config_free(c);
        CHECK_INTEQ(parse("[Writers]\nWriterGraceSec=0\n", &c), 0);
        CHECK_INTEQ(config_writer_grace_usec(c), 0);
        config_free(c);
        CHECK_INTEQ(parse("[Writers]\nWriterGraceSec=-1\nWriterGraceSec=1.5\nWriterGraceSec=86401\n"
                          "WriterGraceSec=\nGrace=3\n", &c), -EINVAL);
        CHECK_STREQ(reports,
                    "E:2: WriterGraceSec=: '-1' is not a whole number of seconds from 0 to 86400\n"
                    "E:3: WriterGraceSec=: '1.5' is not a whole number of seconds from 0 to 86400\n"
                    "E:4: WriterGraceSec=: '86401' is not a whole number of seconds from 0 to 86400\n"
                    "E:5: WriterGraceSec=: '' is not a whole number of seconds from 0 to 86400\n"
                    "E:6: unknown key 'Grace' in section [Writers]\n");
}

/* [Space]: the watch's interval (0 turns it off) and its percentages. */
TEST(space) {
        StasisdConfig *c;
        CHECK_INTEQ(parse("", &c), 0);
        CHECK_INTEQ(config_space_watch_usec(c), 10 * 1000000ULL);
        CHECK_INTEQ(config_extend_at_percent(c), 80);
        CHECK_INTEQ(config_extend_by_percent(NULL), 20);
        config_free(c);
        CHECK_INTEQ(parse("[Space]\nWatchIntervalSec=0\nExtendAtPercent=70\nExtendByPercent=50\n", &c), 0);
        CHECK_STREQ(reports, "");
        CHECK_INTEQ(config_space_watch_usec(c), 0);
        CHECK_INTEQ(config_extend_at_percent(c), 70);
        CHECK_INTEQ(config_extend_by_percent(c), 50);
        config_free(c);
        CHECK_INTEQ(parse("[Space]\nWatchIntervalSec=3601\nExtendAtPercent=100\nExtendByPercent=0\nWatch=1\n", &c),
                    -EINVAL);
        CHECK_STREQ(reports,
                    "E:2: WatchIntervalSec=: '3601' is not a whole number of seconds from 0 to 3600\n"
                    "E:3: ExtendAtPercent=: '100' is not a whole number of percent from 1 to 99\n"
                    "E:4: ExtendByPercent=: '0' is not a whole number of percent from 1 to 1000\n"
                    "E:5: unknown key 'Watch' in section [Space]\n");
}

TEST(bad_bytes) {
        StasisdConfig *c;
        char text[64] = "[Authorization]\nRegisterWriterUsers=a\0b\n";
        reports[0] = 0;
        CHECK_INTEQ(config_parse(text, 40, "t", collect, NULL, &c), -EINVAL);
        CHECK_STREQ(reports, "E:2: the line holds a NUL byte\n");
        CHECK_INTEQ(parse("[Authorization]\nRegisterWriterGroups=\x1b[31m\n", &c), -EINVAL);
        CHECK_STREQ(reports, "E:2: RegisterWriterGroups=: '\\x1b[31m' is not a valid group name\n");
        CHECK_INTEQ(parse("[Authorization]\nRegisterWriterGroups=caf\xc3\xa9\n", &c), -EINVAL);
        CHECK_STREQ(reports, "E:2: RegisterWriterGroups=: 'caf\\xc3\\xa9' is not a valid group name\n");
        /* A long name is cut short in the message. */
        char long_line[400];
        snprintf(long_line, sizeof long_line, "[Authorization]\nRegisterWriterUsers=%0300d\n", 0);
        long_line[40] = ':';
        CHECK_INTEQ(parse(long_line, &c), -EINVAL);
        CHECK(strstr(reports, "...' is not a valid user name"));
        CHECK(strlen(reports) < 160);
}

TEST(limits) {
        StasisdConfig *c;
        size_t size = INI_LINE_MAX + 100;
        char *t = malloc(size + 1);
        CHECK(t);
        memset(t, 'a', size);
        t[size] = 0;
        CHECK_INTEQ(parse(t, &c), -EINVAL);
        CHECK_STREQ(reports, "E:1: the line is 4196 bytes long; at most 4096\n");
        free(t);

        t = malloc(INI_FILE_MAX + 2);
        CHECK(t);
        memset(t, '\n', INI_FILE_MAX + 1);
        t[INI_FILE_MAX + 1] = 0;
        CHECK_INTEQ(parse(t, &c), -EINVAL);
        CHECK_STREQ(reports, "E:0: the file is 65537 bytes long; at most 65536\n");
        free(t);

        /* At most CONFIG_NAMES_MAX names in a list. */
        size_t l = 0;
        t = malloc(16 * (CONFIG_NAMES_MAX + 2) + 64);
        l += (size_t) sprintf(t, "[Authorization]\nRegisterWriterUsers=");
        for (int i = 0; i < CONFIG_NAMES_MAX + 1; i++)
                l += (size_t) sprintf(t + l, "u%d ", i);
        CHECK_INTEQ(parse(t, &c), -EINVAL);
        CHECK_STREQ(reports, "E:2: RegisterWriterUsers=: more than 256 names\n");
        free(t);
}

TEST(resolve_and_match) {
        StasisdConfig *c;
        CHECK_INTEQ(parse("[Authorization]\nRegisterWriterUsers=root no-such-user-xyz 4242\n"
                          "RegisterWriterGroups=root no-such-group-xyz 77\n", &c), 0);
        CHECK_INTEQ(config_resolve(c, collect, NULL), 0);
        CHECK_STREQ(reports, "W:2: RegisterWriterUsers=: no user 'no-such-user-xyz'; ignoring it\n"
                             "W:3: RegisterWriterGroups=: no group 'no-such-group-xyz'; ignoring it\n");
        CHECK_INTEQ(c->n_writer_uids, 2);
        CHECK_INTEQ(c->writer_uids[0], 0);
        CHECK_INTEQ(c->writer_uids[1], 4242);
        CHECK_INTEQ(c->n_writer_gids, 2);
        gid_t g1[] = { 5, 77 }, g2[] = { 5, 6 };
        CHECK(config_may_register_writer(c, 4242, NULL, 0));
        CHECK(!config_may_register_writer(c, 4243, NULL, 0));
        CHECK(config_may_register_writer(c, 4243, g1, 2));
        CHECK(!config_may_register_writer(c, 4243, g2, 2));
        CHECK(!config_may_register_writer(NULL, 4242, g1, 2));
        config_free(c);
        /* (uid_t) -1 is no uid. */
        CHECK_INTEQ(parse("[Authorization]\nRegisterWriterUsers=4294967295\n", &c), 0);
        CHECK_INTEQ(config_resolve(c, collect, NULL), 0);
        CHECK_INTEQ(c->n_writer_uids, 0);
        config_free(c);
}

TEST(load_checks_the_file) {
        char dir[] = "/tmp/test-config.XXXXXX", path[64];
        StasisdConfig *c;
        int fd;

        CHECK(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/stasisd.conf", dir);
        reports[0] = 0;
        /* Missing: defaults, unless it must exist. */
        CHECK_INTEQ(config_load(path, false, collect, NULL, &c), 0);
        CHECK(c && !c->path && c->n_writer_users == 0);
        config_free(c);
        CHECK_INTEQ(config_load(path, true, collect, NULL, &c), -ENOENT);
        CHECK(strstr(reports, "E:0: cannot open it: No such file or directory"));

        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        CHECK(fd >= 0);
        CHECK(write(fd, "[Authorization]\nRegisterWriterUsers=postgres\n", 45) == 45);
        close(fd);
        if (geteuid() == 0) {
                reports[0] = 0;
                CHECK_INTEQ(config_load(path, true, collect, NULL, &c), 0);
                CHECK_STREQ(c->path, path);
                CHECK_INTEQ(c->n_writer_users, 1);
                config_free(c);
                CHECK(chmod(path, 0646) == 0);
                CHECK_INTEQ(config_load(path, true, collect, NULL, &c), -EPERM);
                CHECK(strstr(reports, "stasisd.conf is writable by others; refusing to use it"));
                CHECK(chmod(path, 0644) == 0);
                CHECK(chown(path, 65534, 0) == 0);
                CHECK_INTEQ(config_load(path, true, collect, NULL, &c), -EPERM);
                CHECK(strstr(reports, "owned by uid 65534, not root; refusing to use it"));
        } else {
                /* A file of the user running it is trusted (a development
                 * build run by its user), as in path-trust.c. */
                CHECK_INTEQ(config_load(path, true, collect, NULL, &c), 0);
                config_free(c);
        }
        reports[0] = 0;
        CHECK_INTEQ(config_load(dir, true, collect, NULL, &c), -EINVAL);
        CHECK(strstr(reports, "not a regular file"));
        unlink(path);
        rmdir(dir);
}
