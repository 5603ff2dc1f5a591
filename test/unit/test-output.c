/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-output.c - unit tests of the CLI's JSON and table output */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "stasis-output.h"
#include "tests.h"

static char *render(json_object *o) {
        char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        return s;
}

TEST(set_json) {
        VolumeInfo v = { .path = (char *) "/srv/a b", .mount_point = (char *) "/srv", .device = (char *) "/dev/loop0",
                         .fstype = (char *) "btrfs", .provider = (char *) "btrfs", .source = (char *) "/srv",
                         .snapshot = (char *) "/srv/.stasis/7", .state = (char *) "ok" };
        SetInfo s = { .id = (char *) "7", .object_path = (char *) "/org/stasis1/set/7", .created = 0,
                      .state = (char *) "created", .consistency = (char *) "crash-atomic",
                      .label = (char *) "say \"hi\"", .persistent = true, .owner_uid = 0,
                      .open_views = 2, .n_volumes = 1, .volumes = &v };
        char *j = render(set_info_to_json(&s));
        CHECK_STREQ(j, "{\"id\":\"7\",\"created\":\"n/a\",\"created_usec\":0,\"state\":\"created\","
                       "\"consistency\":\"crash-atomic\",\"label\":\"say \\\"hi\\\"\",\"persistent\":true,"
                       "\"owner_uid\":0,\"error\":null,\"hold_usec\":0,\"mounted_at\":null,\"open_views\":2,\"events\":[],\"volumes\":[{\"path\":\"/srv/a b\",\"mount_point\":\"/srv\","
                       "\"device\":\"/dev/loop0\",\"fstype\":\"btrfs\",\"provider\":\"btrfs\",\"source\":\"/srv\","
                       "\"snapshot\":\"/srv/.stasis/7\",\"state\":\"ok\"}]}");
        free(j);
}

TEST(list_entry_json) {
        /* ListSets rows have a count, not the volumes */
        SetInfo s = { .id = (char *) "1", .created = 0, .state = (char *) "missing", .consistency = (char *) "",
                      .label = (char *) "", .n_volumes = 3 };
        char *j = render(set_info_to_json(&s));
        CHECK_STREQ(j, "{\"id\":\"1\",\"created\":\"n/a\",\"created_usec\":0,\"state\":\"missing\","
                       "\"consistency\":null,\"label\":\"\",\"persistent\":false,\"volumes\":3}");
        free(j);
}

TEST(table) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        Table *t = table_new(3, "ID", "STATE", "LABEL");
        CHECK(t);
        CHECK_INTEQ(table_rows(t), 0);
        CHECK_INTEQ(table_add_row(t, "1", "created", "a long label"), 0);
        CHECK_INTEQ(table_add_row(t, "12", "missing", NULL), 0);
        CHECK_INTEQ(table_rows(t), 2);
        table_print(t, f);
        table_free(t);
        fclose(f);
        CHECK_STREQ(buf, "ID  STATE    LABEL\n1   created  a long label\n12  missing  -\n");
        free(buf);
}

TEST(table_escapes) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        Table *t = table_new(2, "PATH", "LABEL");
        CHECK(t);
        CHECK_INTEQ(table_add_row(t, "/srv/\033[31mred", "bad\xff rlo\xe2\x80\xae c1\xc2\x9b"), 0);
        table_print(t, f);
        table_free(t);
        fclose(f);
        CHECK_STREQ(buf, "PATH            LABEL\n/srv/\\e[31mred  bad\\xff rlo\\u202e c1\\u009b\n");
        free(buf);
}

TEST(details_escape) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        VolumeInfo v = { .path = (char *) "/srv/\033]0;title\a", .state = (char *) "ok" };
        SetInfo s = { .id = (char *) "7", .state = (char *) "created", .label = (char *) "l\033[2J",
                      .error = (char *) "failed: /srv/\033[31m", .n_volumes = 1, .volumes = &v };
        print_set_details(f, &s);
        fclose(f);
        CHECK(!strchr(buf, '\033') && !strchr(buf, '\a'));
        CHECK(strstr(buf, "       Label: l\\e[2J\n"));
        CHECK(strstr(buf, "  Last error: failed: /srv/\\e[31m\n"));
        CHECK(strstr(buf, "/srv/\\e]0;title\\a"));
        free(buf);
}
