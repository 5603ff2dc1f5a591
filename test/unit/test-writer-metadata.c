/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-writer-metadata.c - unit tests of the writer metadata parser, checks and serializer */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "strv.h"
#include "tests.h"
#include "writer-metadata.h"

#define ERR_SIZE 512

/* Test documents are written with ' for " to keep them readable. */
static char *dq(const char *s) {
        char *c = strdup(s);
        for (char *p = c; p && *p; p++)
                if (*p == '\'')
                        *p = '"';
        return c;
}

_printf_(1, 2)
static char *fmt(const char *f, ...) {
        char *s = NULL;
        va_list ap;
        va_start(ap, f);
        if (vasprintf(&s, f, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

static char *repeat(const char *s, size_t n) {
        size_t l = strlen(s);
        char *r = malloc(l * n + 1);
        for (size_t i = 0; i < n; i++)
                memcpy(r + i * l, s, l);
        r[l * n] = 0;
        return r;
}

/* A document with the root keys extra (each starting with ",") and the
 * components comps (the inside of the array), in ' notation. */
static char *doc(const char *extra, const char *comps) {
        _cleanup_free_ char *f = fmt("{'version':1,'writer':'pg'%s,'components':[%s]}", extra, comps);
        return dq(f);
}

static int parse_raw(const char *json, size_t size, WriterMetadata **ret, char *err) {
        return writer_metadata_parse(json, size, ret, err, ERR_SIZE);
}

/* Parses json (in ' notation unless raw) and checks that it fails with r and
 * exactly the message msg; the output must not be written. */
static bool fails_ex(const char *json, bool raw, int r, const char *msg) {
        _cleanup_free_ char *j = raw ? strdup(json) : dq(json);
        WriterMetadata *m = (WriterMetadata *) 0x1;
        char err[ERR_SIZE];
        int k = parse_raw(j, strlen(j), &m, err);

        if (k != r || strcmp(err, msg) != 0 || m != (WriterMetadata *) 0x1) {
                fprintf(stderr, "document: %s\n  got %d \"%s\"\n  expected %d \"%s\"\n", j, k, err, r, msg);
                return false;
        }
        return true;
}

static bool fails(const char *json, int r, const char *msg) {
        return fails_ex(json, false, r, msg);
}

/* Ownership of a document built with doc()/fmt() passes to these. */
static bool doc_fails(char *json, int r, const char *msg) {
        bool ok = fails_ex(json, true, r, msg);
        free(json);
        return ok;
}

static WriterMetadata *parse_ok_raw(const char *json) {
        WriterMetadata *m = NULL;
        char err[ERR_SIZE];
        int r = parse_raw(json, strlen(json), &m, err);
        if (r < 0) {
                fprintf(stderr, "document: %s\n  failed: %d \"%s\"\n", json, r, err);
                return NULL;
        }
        return m;
}

static WriterMetadata *doc_ok(char *json) {
        WriterMetadata *m = parse_ok_raw(json);
        free(json);
        return m;
}

static bool round_trips(const WriterMetadata *m) {
        _cleanup_free_ char *j = NULL, *j2 = NULL;
        _cleanup_writer_metadata_ WriterMetadata *m2 = NULL;

        if (writer_metadata_to_json(m, &j) < 0)
                return false;
        m2 = parse_ok_raw(j);
        if (!m2 || !writer_metadata_equal(m, m2))
                return false;
        if (writer_metadata_to_json(m2, &j2) < 0)
                return false;
        return streq(j, j2);
}

#define COMP "{'name':'data','paths':['/var/lib/pg']}"

TEST(defaults) {
        _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(doc("", COMP));
        CHECK(m);
        CHECK_STREQ(m->writer, "pg");
        CHECK_STREQ(m->instance, "");
        CHECK_INTEQ(m->level, WRITER_LEVEL_BACK_END);
        CHECK_INTEQ(m->freeze_timeout_usec, 60000 * USEC_PER_MSEC);
        CHECK_INTEQ(m->restore_method, WRITER_RESTORE_NONE);
        CHECK_INTEQ(m->n_components, 1);
        CHECK_STREQ(m->components[0].name, "data");
        CHECK_INTEQ(strv_length(m->components[0].paths), 1);
        CHECK_STREQ(m->components[0].paths[0], "/var/lib/pg");
        CHECK(m->components[0].selectable);
        CHECK(m->components[0].description == NULL);
}

TEST(all_fields) {
        _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(dq(
                " { 'components' : [ {'description':'Tables','selectable':false,'paths':['/srv/db/','/','/srv/wal'],'name':'Data set 1'},"
                "                    {'name':'conf','paths':['/etc/mysql'],'selectable':true,'description':''} ],"
                "   'restore_method':'stop-restore-start','freeze_timeout_ms':30000,'level':'front-end',"
                "   'instance':'main-10.11','writer':'mariadb','version':1 }\n\t\r "));
        CHECK(m);
        CHECK_STREQ(m->writer, "mariadb");
        CHECK_STREQ(m->instance, "main-10.11");
        CHECK_INTEQ(m->level, WRITER_LEVEL_FRONT_END);
        CHECK_INTEQ(m->freeze_timeout_usec, 30 * USEC_PER_SEC);
        CHECK_INTEQ(m->restore_method, WRITER_RESTORE_STOP_RESTORE_START);
        CHECK_INTEQ(m->n_components, 2);
        CHECK_STREQ(m->components[0].name, "Data set 1");
        CHECK_INTEQ(strv_length(m->components[0].paths), 3);
        CHECK_STREQ(m->components[0].paths[0], "/srv/db");     /* trailing slash removed */
        CHECK_STREQ(m->components[0].paths[1], "/");
        CHECK_STREQ(m->components[0].paths[2], "/srv/wal");
        CHECK(!m->components[0].selectable);
        CHECK_STREQ(m->components[0].description, "Tables");
        CHECK_STREQ(m->components[1].name, "conf");
        CHECK(m->components[1].selectable);
        CHECK_STREQ(m->components[1].description, "");
}

TEST(enum_strings) {
        static const char *const levels[] = { "front-end", "back-end", "system" };
        static const char *const methods[] = { "none", "restore-if-not-there", "restore-if-can-replace",
                                               "stop-restore-start", "custom" };
        for (int i = 0; i < (int) ELEMENTSOF(levels); i++) {
                CHECK_STREQ(writer_level_to_string((WriterLevel) i), levels[i]);
                CHECK_INTEQ(writer_level_from_string(levels[i]), i);
        }
        CHECK_INTEQ(_WRITER_LEVEL_MAX, ELEMENTSOF(levels));
        for (int i = 0; i < (int) ELEMENTSOF(methods); i++) {
                CHECK_STREQ(writer_restore_method_to_string((WriterRestoreMethod) i), methods[i]);
                CHECK_INTEQ(writer_restore_method_from_string(methods[i]), i);
        }
        CHECK_INTEQ(_WRITER_RESTORE_METHOD_MAX, ELEMENTSOF(methods));
        CHECK_INTEQ(writer_level_from_string("backend"), -EINVAL);
        CHECK_INTEQ(writer_level_from_string(""), -EINVAL);
        CHECK_INTEQ(writer_level_from_string(NULL), -EINVAL);
        CHECK_INTEQ(writer_restore_method_from_string("None"), -EINVAL);
        CHECK_INTEQ(writer_restore_method_from_string(NULL), -EINVAL);
        CHECK(writer_level_to_string(_WRITER_LEVEL_MAX) == NULL);
        CHECK(writer_level_to_string(_WRITER_LEVEL_INVALID) == NULL);
        CHECK(writer_restore_method_to_string(_WRITER_RESTORE_METHOD_MAX) == NULL);
        CHECK(writer_restore_method_to_string(_WRITER_RESTORE_METHOD_INVALID) == NULL);
}

TEST(version) {
        CHECK(fails("{'writer':'pg','components':[" COMP "]}", -EINVAL, "version: required field is missing"));
        CHECK(fails("{'version':'1','writer':'pg','components':[" COMP "]}", -EINVAL,
                    "version: expected an integer, got a string"));
        CHECK(fails("{'version':1.0,'writer':'pg','components':[" COMP "]}", -EINVAL,
                    "version: expected an integer, got a number with a fraction or an exponent"));
        CHECK(fails("{'version':null,'writer':'pg','components':[" COMP "]}", -EINVAL,
                    "version: expected an integer, got null"));
        CHECK(fails("{'version':2,'writer':'pg','components':[" COMP "]}", -EPROTONOSUPPORT,
                    "unsupported metadata version 2"));
        CHECK(fails("{'version':0,'writer':'pg','components':[" COMP "]}", -EPROTONOSUPPORT,
                    "unsupported metadata version 0"));
        CHECK(fails("{'version':-1,'writer':'pg','components':[" COMP "]}", -EPROTONOSUPPORT,
                    "unsupported metadata version -1"));
        CHECK(fails("{'version':4294967297,'writer':'pg','components':[" COMP "]}", -EPROTONOSUPPORT,
                    "unsupported metadata version 4294967297"));
        /* The version is looked at first: a newer document may have other keys and miss ours. */
        CHECK(fails("{'snapshot_hooks':[],'version':2}", -EPROTONOSUPPORT, "unsupported metadata version 2"));
}

TEST(writer_name) {
        _cleanup_free_ char *n64 = repeat("a", 64), *n65 = repeat("a", 65);
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;

        CHECK(fails("{'version':1,'components':[" COMP "]}", -EINVAL, "writer: required field is missing"));
        CHECK(fails("{'version':1,'writer':7,'components':[" COMP "]}", -EINVAL, "writer: expected a string, got an integer"));
        CHECK(doc_fails(dq("{'version':1,'writer':'','components':[" COMP "]}"), -EINVAL, "writer: must not be empty"));
        CHECK(fails("{'version':1,'writer':'PostgreSQL','components':[" COMP "]}", -EINVAL,
                    "writer: \"PostgreSQL\" may contain only a-z, 0-9, '.', '_' and '-'"));
        CHECK(fails("{'version':1,'writer':'pg sql','components':[" COMP "]}", -EINVAL,
                    "writer: \"pg sql\" may contain only a-z, 0-9, '.', '_' and '-'"));
        CHECK(fails("{'version':1,'writer':'pg/x','components':[" COMP "]}", -EINVAL,
                    "writer: \"pg/x\" may contain only a-z, 0-9, '.', '_' and '-'"));
        CHECK(fails("{'version':1,'writer':'caf\\u00e9','components':[" COMP "]}", -EINVAL,
                    "writer: \"caf\u00e9\" may contain only a-z, 0-9, '.', '_' and '-'"));
        CHECK(fails("{'version':1,'writer':'-pg','components':[" COMP "]}", -EINVAL,
                    "writer: \"-pg\" must start with a letter or a digit"));
        CHECK(fails("{'version':1,'writer':'.pg','components':[" COMP "]}", -EINVAL,
                    "writer: \".pg\" must start with a letter or a digit"));
        CHECK(fails("{'version':1,'writer':'_pg','components':[" COMP "]}", -EINVAL,
                    "writer: \"_pg\" must start with a letter or a digit"));
        CHECK(doc_fails(fmt("{\"version\":1,\"writer\":\"%s\",\"components\":[{\"name\":\"a\",\"paths\":[\"/\"]}]}", n65),
                        -EINVAL, "writer: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is longer than 64 characters"));

        m = doc_ok(fmt("{\"version\":1,\"writer\":\"%s\",\"components\":[{\"name\":\"a\",\"paths\":[\"/\"]}]}", n64));
        CHECK(m);
        CHECK_STREQ(m->writer, n64);
        m = writer_metadata_free(m);
        m = doc_ok(dq("{'version':1,'writer':'9to5.writer_x-y','components':[" COMP "]}"));
        CHECK(m);
        CHECK_STREQ(m->writer, "9to5.writer_x-y");
}

TEST(instance) {
        _cleanup_free_ char *n64 = repeat("7", 64), *n65 = repeat("7", 65), *e = NULL;
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;

        m = doc_ok(doc(",'instance':''", COMP));
        CHECK(m);
        CHECK_STREQ(m->instance, "");
        m = writer_metadata_free(m);
        m = doc_ok(doc(",'instance':'15-main'", COMP));
        CHECK(m);
        CHECK_STREQ(m->instance, "15-main");
        m = writer_metadata_free(m);
        _cleanup_free_ char *x = fmt(",'instance':'%s'", n64);
        m = doc_ok(doc(x, COMP));
        CHECK(m);
        CHECK_STREQ(m->instance, n64);

        CHECK(doc_fails(doc(",'instance':null", COMP), -EINVAL, "instance: expected a string, got null"));
        CHECK(doc_fails(doc(",'instance':'Main'", COMP), -EINVAL,
                        "instance: \"Main\" may contain only a-z, 0-9, '.', '_' and '-'"));
        CHECK(doc_fails(doc(",'instance':'-main'", COMP), -EINVAL, "instance: \"-main\" must start with a letter or a digit"));
        free(x);
        x = fmt(",'instance':'%s'", n65);
        e = fmt("instance: \"%.64s...\" is longer than 64 characters", n65);
        CHECK(doc_fails(doc(x, COMP), -EINVAL, e));
}

TEST(level) {
        static const struct { const char *s; WriterLevel l; } ok[] = {
                { "front-end", WRITER_LEVEL_FRONT_END },
                { "back-end", WRITER_LEVEL_BACK_END },
                { "system", WRITER_LEVEL_SYSTEM },
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *x = fmt(",'level':'%s'", ok[i].s);
                _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(doc(x, COMP));
                CHECK(m);
                CHECK_INTEQ(m->level, ok[i].l);
        }
        CHECK(doc_fails(doc(",'level':'backend'", COMP), -EINVAL,
                        "level: \"backend\" is not one of \"front-end\", \"back-end\", \"system\""));
        CHECK(doc_fails(doc(",'level':1", COMP), -EINVAL, "level: expected a string, got an integer"));
}

TEST(freeze_timeout) {
        static const struct { const char *v; usec_t usec; } ok[] = {
                { "100", 100 * USEC_PER_MSEC },
                { "600000", 600 * USEC_PER_SEC },
                { "60000", 60 * USEC_PER_SEC },
        };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *x = fmt(",'freeze_timeout_ms':%s", ok[i].v);
                _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(doc(x, COMP));
                CHECK(m);
                CHECK_INTEQ(m->freeze_timeout_usec, ok[i].usec);
        }
        CHECK(doc_fails(doc(",'freeze_timeout_ms':99", COMP), -EINVAL, "freeze_timeout_ms: 99 is out of range 100..600000"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':600001", COMP), -EINVAL,
                        "freeze_timeout_ms: 600001 is out of range 100..600000"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':-0", COMP), -EINVAL, "freeze_timeout_ms: 0 is out of range 100..600000"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':-5000", COMP), -EINVAL,
                        "freeze_timeout_ms: -5000 is out of range 100..600000"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':9223372036854775808", COMP), -EINVAL,
                        "freeze_timeout_ms: 9223372036854775808 is out of range 100..600000"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':1000.5", COMP), -EINVAL,
                        "freeze_timeout_ms: expected an integer, got a number with a fraction or an exponent"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':1e3", COMP), -EINVAL,
                        "freeze_timeout_ms: expected an integer, got a number with a fraction or an exponent"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':'1000'", COMP), -EINVAL,
                        "freeze_timeout_ms: expected an integer, got a string"));
        CHECK(doc_fails(doc(",'freeze_timeout_ms':true", COMP), -EINVAL,
                        "freeze_timeout_ms: expected an integer, got a boolean"));
}

TEST(restore_method) {
        static const char *const ok[] = { "none", "restore-if-not-there", "restore-if-can-replace",
                                          "stop-restore-start", "custom" };
        for (size_t i = 0; i < ELEMENTSOF(ok); i++) {
                _cleanup_free_ char *x = fmt(",'restore_method':'%s'", ok[i]);
                _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(doc(x, COMP));
                CHECK(m);
                CHECK_INTEQ(m->restore_method, i);
        }
        CHECK(doc_fails(doc(",'restore_method':'restore'", COMP), -EINVAL,
                        "restore_method: \"restore\" is not one of \"none\", \"restore-if-not-there\", "
                        "\"restore-if-can-replace\", \"stop-restore-start\", \"custom\""));
        CHECK(doc_fails(doc(",'restore_method':[]", COMP), -EINVAL, "restore_method: expected a string, got an array"));
}

static char *components(size_t n) {
        char *s = strdup("");
        for (size_t i = 0; i < n; i++) {
                char *t = fmt("%s%s{'name':'c%zu','paths':['/c/%zu']}", s, i ? "," : "", i, i);
                free(s);
                s = t;
        }
        return s;
}

TEST(components_array) {
        _cleanup_free_ char *c64 = components(64), *c65 = components(65);
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;

        CHECK(fails("{'version':1,'writer':'pg'}", -EINVAL, "components: required field is missing"));
        CHECK(fails("{'version':1,'writer':'pg','components':{}}", -EINVAL, "components: expected an array, got an object"));
        CHECK(doc_fails(doc("", ""), -EINVAL, "components: must have 1 to 64 entries, has 0"));
        CHECK(doc_fails(doc("", c65), -EINVAL, "components: must have 1 to 64 entries, has 65"));
        CHECK(doc_fails(doc("", COMP ",'data'"), -EINVAL, "components[1]: expected an object, got a string"));
        CHECK(doc_fails(doc("", COMP ",null"), -EINVAL, "components[1]: expected an object, got null"));
        m = doc_ok(doc("", c64));
        CHECK(m);
        CHECK_INTEQ(m->n_components, 64);
        CHECK_STREQ(m->components[63].name, "c63");
        CHECK_STREQ(m->components[63].paths[0], "/c/63");
}

TEST(component_name) {
        _cleanup_free_ char *n128 = repeat("\\u00e9", 128), *n129 = repeat("x", 129), *a = NULL, *e = NULL;
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;

        CHECK(doc_fails(doc("", "{'paths':['/a']}"), -EINVAL, "components[0].name: required field is missing"));
        CHECK(doc_fails(doc("", COMP ",{'name':['x'],'paths':['/a']}"), -EINVAL,
                        "components[1].name: expected a string, got an array"));
        CHECK(doc_fails(doc("", "{'name':'','paths':['/a']}"), -EINVAL, "components[0].name: must not be empty"));
        CHECK(doc_fails(doc("", "{'name':'a/b','paths':['/a']}"), -EINVAL, "components[0].name: \"a/b\" contains '/'"));
        CHECK(doc_fails(doc("", "{'name':'a\\nb','paths':['/a']}"), -EINVAL,
                        "components[0].name: \"a\\nb\" contains a control character or a bidi control"));
        CHECK(doc_fails(doc("", "{'name':'a\\u0001b','paths':['/a']}"), -EINVAL,
                        "components[0].name: \"a\\u0001b\" contains a control character or a bidi control"));
        CHECK(doc_fails(doc("", "{'name':'a\\u007f','paths':['/a']}"), -EINVAL,
                        "components[0].name: \"a\\u007f\" contains a control character or a bidi control"));
        CHECK(doc_fails(doc("", "{'name':'a\\u0085','paths':['/a']}"), -EINVAL,
                        "components[0].name: \"a\\u0085\" contains a control character or a bidi control"));
        CHECK(doc_fails(doc("", "{'name':'a\\u202eb','paths':['/a']}"), -EINVAL,
                        "components[0].name: \"a\\u202eb\" contains a control character or a bidi control"));
        CHECK(doc_fails(doc("", "{'name':'a\\u2066','paths':['/a']}"), -EINVAL,
                        "components[0].name: \"a\\u2066\" contains a control character or a bidi control"));

        /* 128 characters, 256 bytes: fine; 129 characters: too many */
        a = fmt("{'name':'%s','paths':['/a']}", n128);
        m = doc_ok(doc("", a));
        CHECK(m);
        CHECK_INTEQ(strlen(m->components[0].name), 256);
        m = writer_metadata_free(m);
        free(a);
        a = fmt("{'name':'%s','paths':['/a']}", n129);
        e = fmt("components[0].name: \"%.64s...\" is longer than 128 characters", n129);
        CHECK(doc_fails(doc("", a), -EINVAL, e));

        /* printable beyond ASCII, spaces and punctuation are fine */
        m = doc_ok(doc("", "{'name':' Daten \\u00fcber \\ud83d\\ude00 [x] (y) \\u0027q\\u0027 \\\\ ','paths':['/a']}"));
        CHECK(m);
        CHECK_STREQ(m->components[0].name, " Daten \u00fcber \U0001F600 [x] (y) 'q' \\ ");
}

TEST(component_name_unique) {
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a']},{'name':'b','paths':['/b']},{'name':'a','paths':['/c']}"),
                        -EINVAL, "components[2].name: \"a\" is already the name of components[0]"));
        /* names are compared exactly */
        _cleanup_writer_metadata_ WriterMetadata *m =
                doc_ok(doc("", "{'name':'a','paths':['/a']},{'name':'A','paths':['/b']},{'name':'a ','paths':['/c']}"));
        CHECK(m);
        CHECK_INTEQ(m->n_components, 3);
}

TEST(paths) {
        _cleanup_free_ char *long_ok = NULL, *long_bad = NULL, *p64 = strdup(""), *a = NULL, *e = NULL;
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;

        CHECK(doc_fails(doc("", "{'name':'a'}"), -EINVAL, "components[0].paths: required field is missing"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':'/a'}"), -EINVAL, "components[0].paths: expected an array, got a string"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':[]}"), -EINVAL, "components[0].paths: must have 1 to 64 entries, has 0"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a',1]}"), -EINVAL,
                        "components[0].paths[1]: expected a string, got an integer"));
        CHECK(doc_fails(doc("", COMP "," COMP ",{'name':'x','paths':['var/lib']}"), -EINVAL,
                        "components[1].name: \"data\" is already the name of components[0]"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a']},{'name':'b','paths':['/b']},{'name':'c','paths':['var/lib']}"),
                        -EINVAL, "components[2].paths[0]: \"var/lib\" is not an absolute path"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['']}"), -EINVAL, "components[0].paths[0]: \"\" is not an absolute path"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['.']}"), -EINVAL, "components[0].paths[0]: \".\" is not an absolute path"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['~/x']}"), -EINVAL, "components[0].paths[0]: \"~/x\" is not an absolute path"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a','/a/./b']}"), -EINVAL,
                        "components[0].paths[1]: \"/a/./b\" contains a \".\" or \"..\" component"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a/..']}"), -EINVAL,
                        "components[0].paths[0]: \"/a/..\" contains a \".\" or \"..\" component"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/..']}"), -EINVAL,
                        "components[0].paths[0]: \"/..\" contains a \".\" or \"..\" component"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/./']}"), -EINVAL,
                        "components[0].paths[0]: \"/./\" contains a \".\" or \"..\" component"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['//']}"), -EINVAL,
                        "components[0].paths[0]: \"//\" contains an empty component (\"//\")"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a//b']}"), -EINVAL,
                        "components[0].paths[0]: \"/a//b\" contains an empty component (\"//\")"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a//']}"), -EINVAL,
                        "components[0].paths[0]: \"/a//\" contains an empty component (\"//\")"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['//a']}"), -EINVAL,
                        "components[0].paths[0]: \"//a\" contains an empty component (\"//\")"));

        /* names that only look like . and .. are fine; so are odd characters */
        m = doc_ok(doc("", "{'name':'a','paths':['/.a/..b/.../a.','/','/x y/\\u00e9\\n\\t/']}"));
        CHECK(m);
        CHECK_STREQ(m->components[0].paths[0], "/.a/..b/.../a.");
        CHECK_STREQ(m->components[0].paths[1], "/");
        CHECK_STREQ(m->components[0].paths[2], "/x y/\u00e9\n\t");
        m = writer_metadata_free(m);

        /* 4095 bytes is the limit, as written (with the trailing slash) */
        _cleanup_free_ char *seg = repeat("x", 4094);
        long_ok = fmt("{'name':'a','paths':['/%s']}", seg);
        m = doc_ok(doc("", long_ok));
        CHECK(m);
        CHECK_INTEQ(strlen(m->components[0].paths[0]), 4095);
        m = writer_metadata_free(m);
        long_bad = fmt("{'name':'a','paths':['/%s/']}", seg);
        e = fmt("components[0].paths[0]: \"/%.63s...\" is 4096 bytes long, longer than 4095", seg);
        CHECK(doc_fails(doc("", long_bad), -EINVAL, e));

        /* 64 paths, not 65 */
        for (size_t i = 0; i < 64; i++) {
                char *t = fmt("%s%s'/p%zu'", p64, i ? "," : "", i);
                free(p64);
                p64 = t;
        }
        a = fmt("{'name':'a','paths':[%s]}", p64);
        m = doc_ok(doc("", a));
        CHECK(m);
        CHECK_INTEQ(strv_length(m->components[0].paths), 64);
        m = writer_metadata_free(m);
        free(a);
        a = fmt("{'name':'a','paths':[%s,'/p64']}", p64);
        CHECK(doc_fails(doc("", a), -EINVAL, "components[0].paths: must have 1 to 64 entries, has 65"));
}

TEST(paths_duplicates) {
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a','/b','/a']}"), -EINVAL,
                        "components[0].paths[2]: \"/a\" is the same path as paths[0]"));
        /* the same after the trailing slash is removed */
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a','/b','/b/']}"), -EINVAL,
                        "components[0].paths[2]: \"/b/\" is the same path as paths[1]"));
        /* one path in two components is allowed */
        _cleanup_writer_metadata_ WriterMetadata *m =
                doc_ok(doc("", "{'name':'a','paths':['/a','/b']},{'name':'b','paths':['/b/','/a']}"));
        CHECK(m);
        CHECK_STREQ(m->components[1].paths[0], "/b");
}

TEST(selectable_description) {
        _cleanup_free_ char *d256 = repeat("\\u00e9", 256), *d257 = repeat("d", 257), *a = NULL, *e = NULL;
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;

        m = doc_ok(doc("", "{'name':'a','paths':['/a'],'selectable':false}"));
        CHECK(m);
        CHECK(!m->components[0].selectable);
        m = writer_metadata_free(m);
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a'],'selectable':'no'}"), -EINVAL,
                        "components[0].selectable: expected a boolean, got a string"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a'],'selectable':0}"), -EINVAL,
                        "components[0].selectable: expected a boolean, got an integer"));

        a = fmt("{'name':'a','paths':['/a'],'description':'%s'}", d256);
        m = doc_ok(doc("", a));
        CHECK(m);
        CHECK_INTEQ(strlen(m->components[0].description), 512);
        m = writer_metadata_free(m);
        m = doc_ok(doc("", "{'name':'a','paths':['/a'],'description':'two\\nlines'}"));
        CHECK(m);
        CHECK_STREQ(m->components[0].description, "two\nlines");
        m = writer_metadata_free(m);
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a'],'description':'red\\u001b[31m'}"), -EINVAL,
                        "components[0].description: \"red\\u001b[31m\" contains a control character or a bidi control"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a'],'description':'rlo\\u202etxt'}"), -EINVAL,
                        "components[0].description: \"rlo\\u202etxt\" contains a control character or a bidi control"));
        free(a);
        a = fmt("{'name':'a','paths':['/a'],'description':'%s'}", d257);
        e = fmt("components[0].description: \"%.64s...\" is longer than 256 characters", d257);
        CHECK(doc_fails(doc("", a), -EINVAL, e));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a'],'description':null}"), -EINVAL,
                        "components[0].description: expected a string, got null"));
}

TEST(unknown_keys) {
        CHECK(doc_fails(doc(",'Writer':'x'", COMP), -EINVAL, "unknown key \"Writer\""));
        CHECK(doc_fails(doc(",'freeze_timeout':100", COMP), -EINVAL, "unknown key \"freeze_timeout\""));
        CHECK(doc_fails(doc("", COMP ",{'name':'b','paths':['/b'],'path':'/c'}"), -EINVAL,
                        "components[1]: unknown key \"path\""));
        CHECK(doc_fails(doc("", "{'name':'b','paths':['/b'],'x\\ny':1}"), -EINVAL,
                        "components[0]: unknown key \"x\\ny\""));
        CHECK(doc_fails(doc(",'':1", COMP), -EINVAL, "unknown key \"\""));
}

TEST(duplicate_keys) {
        CHECK(fails("{'version':1,'writer':'pg','writer':'pg2','components':[" COMP "]}", -EINVAL,
                    "duplicate key \"writer\""));
        /* found also when written differently */
        CHECK(fails("{'version':1,'writer':'pg','\\u0077riter':'pg2','components':[" COMP "]}", -EINVAL,
                    "duplicate key \"writer\""));
        CHECK(fails("{'version':1,'version':2,'writer':'pg','components':[" COMP "]}", -EINVAL,
                    "duplicate key \"version\""));
        CHECK(doc_fails(doc("", COMP ",{'name':'b','paths':['/b'],'name':'c'}"), -EINVAL,
                        "components[1]: duplicate key \"name\""));
        CHECK(doc_fails(doc(",'x':{'y':[{'a':1,'a':1}]}", COMP), -EINVAL, "x.y[0]: duplicate key \"a\""));
        /* the same key in different objects is no duplicate */
        _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(doc("", COMP ",{'name':'b','paths':['/b']}"));
        CHECK(m);
}

TEST(json_level) {
        CHECK(fails_ex("", true, -EBADMSG, "metadata is empty"));
        CHECK(fails_ex(" \n\t\r", true, -EBADMSG, "metadata is empty"));
        CHECK(fails("[]", -EBADMSG, "metadata is not a JSON object"));
        CHECK(fails("1", -EBADMSG, "metadata is not a JSON object"));
        CHECK(fails("'x'", -EBADMSG, "metadata is not a JSON object"));
        CHECK(fails("null", -EBADMSG, "metadata is not a JSON object"));
        CHECK(fails_ex("\xef\xbb\xbf{}", true, -EBADMSG, "metadata is not a JSON object"));
        CHECK(fails("{'version':1", -EBADMSG, "metadata is not valid JSON: it ends early"));
        /* json-c takes a key in single quotes; the scan does not */
        CHECK(fails_ex("{'version':1}", true, -EBADMSG, "metadata is not valid JSON at byte offset 1"));
        CHECK(fails("{'version':1,}", -EBADMSG,
                    "metadata is not valid JSON at byte offset 13: unexpected character"));
        CHECK(fails("{version:1}", -EBADMSG,
                    "metadata is not valid JSON at byte offset 1: quoted object property name expected"));
        CHECK(fails("{'a':'\\x'}", -EBADMSG, "metadata is not valid JSON at byte offset 7: invalid string sequence"));

        CHECK(fails("{'a':1}{'b':2}", -EBADMSG, "unexpected data after the JSON object at byte offset 7"));
        CHECK(fails("{'a':1} // comment", -EBADMSG, "unexpected data after the JSON object at byte offset 8"));
        CHECK(fails("/* c */ {'a':1}", -EBADMSG, "metadata is not a JSON object"));
        CHECK(fails("{'a':'b'\f}", -EBADMSG,
                    "metadata is not valid JSON at byte offset 8: object value separator ',' expected"));
}

TEST(trailing_data) {
        _cleanup_free_ char *d = doc("", COMP), *e = NULL, *bad = NULL, *ok = NULL;
        _cleanup_writer_metadata_ WriterMetadata *m = NULL;

        ok = fmt(" \n%s \t\r\n", d);
        m = doc_ok(TAKE_PTR(ok));
        CHECK(m);
        bad = fmt("%s x", d);
        e = fmt("unexpected data after the JSON object at byte offset %zu", strlen(d) + 1);
        CHECK(doc_fails(TAKE_PTR(bad), -EBADMSG, e));
        free(e);
        bad = fmt("%s\f", d);
        e = fmt("unexpected data after the JSON object at byte offset %zu", strlen(d));
        CHECK(doc_fails(TAKE_PTR(bad), -EBADMSG, e));
}

TEST(bytes) {
        static const char nul[] = "{\"version\":1,\"writer\":\"p\0g\"}";
        char err[ERR_SIZE];
        WriterMetadata *m = NULL;

        CHECK_INTEQ(parse_raw(nul, sizeof nul - 1, &m, err), -EBADMSG);
        CHECK_STREQ(err, "metadata contains a NUL byte at byte offset 24");
        /* the terminator does not belong to the document */
        _cleanup_free_ char *d = doc("", COMP);
        CHECK_INTEQ(parse_raw(d, strlen(d) + 1, &m, err), -EBADMSG);
        CHECK(m == NULL);
        CHECK(fails_ex("{\"a\":\"\xff\"}", true, -EBADMSG, "metadata is not valid UTF-8 at byte offset 6"));
        CHECK(fails_ex("{\"a\":\"\xc0\x80\"}", true, -EBADMSG, "metadata is not valid UTF-8 at byte offset 6"));    /* overlong */
        CHECK(fails_ex("{\"a\":\"\xed\xa0\x80\"}", true, -EBADMSG, "metadata is not valid UTF-8 at byte offset 6"));/* surrogate */
        CHECK(fails_ex("{\"a\":\"\xf4\x90\x80\x80\"}", true, -EBADMSG, "metadata is not valid UTF-8 at byte offset 6"));
        CHECK(fails_ex("{\"a\":\"\xe2\x82\"}", true, -EBADMSG, "metadata is not valid UTF-8 at byte offset 6"));
        /* a raw control character in a string */
        CHECK(fails_ex("{\"version\":1,\"writer\":\"p\tg\"}", true, -EBADMSG,
                       "writer: a string contains a control character that is not escaped (byte offset 24)"));
        CHECK(fails_ex("{\"a\nb\":1}", true, -EBADMSG,
                       "a key contains a control character that is not escaped (byte offset 3)"));
}

TEST(escapes) {
        CHECK(doc_fails(doc("", "{'name':'a\\u0000b','paths':['/a']}"), -EINVAL,
                        "components[0].name: a string contains \\u0000, which is not allowed"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a\\u0000']}"), -EINVAL,
                        "components[0].paths[0]: a string contains \\u0000, which is not allowed"));
        /* json-c would cut the key at the NUL and take it for "writer" */
        CHECK(fails("{'version':1,'writer\\u0000x':'pg','components':[" COMP "]}", -EINVAL,
                    "a key contains \\u0000, which is not allowed"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a\\ud800']}"), -EINVAL,
                        "components[0].paths[0]: a string contains an unpaired surrogate \\ud800"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a\\ud800\\u0041']}"), -EINVAL,
                        "components[0].paths[0]: a string contains an unpaired surrogate \\ud800"));
        CHECK(doc_fails(doc("", "{'name':'a\\udc00','paths':['/a']}"), -EINVAL,
                        "components[0].name: a string contains an unpaired surrogate \\udc00"));
        CHECK(doc_fails(doc("", "{'name':'a','paths':['/a'],'\\ud83d':1}"), -EINVAL,
                        "components[0]: a key contains an unpaired surrogate \\ud83d"));
        /* every JSON escape decodes */
        _cleanup_writer_metadata_ WriterMetadata *m =
                doc_ok(doc("", "{'name':'a','paths':['\\/\\\"\\\\\\b\\f\\n\\r\\t\\u0041\\u00E9\\u20ac\\uD83D\\uDE00']}"));
        CHECK(m);
        CHECK_STREQ(m->components[0].paths[0], "/\"\\\b\f\n\r\tA\u00e9\u20ac\U0001F600");
}

TEST(nesting) {
        CHECK(doc_fails(doc("", "{'name':'a','paths':[['/a']]}"), -EBADMSG, "metadata is nested deeper than the schema allows"));
        CHECK(doc_fails(doc(",'x':[[[[[]]]]]", COMP), -EBADMSG, "metadata is nested deeper than the schema allows"));
        /* json-c alone would let an empty fifth container through */
        CHECK(doc_fails(doc("", "{'name':'a','paths':[[]]}"), -EBADMSG, "metadata is nested deeper than the schema allows"));
        CHECK(doc_fails(doc(",'x':[{'y':[{}]}]", COMP), -EBADMSG, "metadata is nested deeper than the schema allows"));
        /* as deep as the schema goes, in an unknown key: refused for the key */
        CHECK(doc_fails(doc(",'x':[{'y':[1]}]", COMP), -EINVAL, "unknown key \"x\""));
        /* very deep: refused without recursing */
        _cleanup_free_ char *open = repeat("[", 20000), *close = repeat("]", 20000);
        CHECK(doc_fails(fmt("{\"version\":1,\"x\":%s%s}", open, close), -EBADMSG,
                        "metadata is nested deeper than the schema allows"));
}

TEST(size_limit) {
        _cleanup_free_ char *d = doc("", COMP), *pad = NULL, *big = NULL;
        char err[ERR_SIZE];
        WriterMetadata *m = NULL;
        size_t n = strlen(d);

        /* exactly 64 KiB (white space after the object): fine */
        pad = repeat(" ", WRITER_METADATA_SIZE_MAX - n);
        big = fmt("%s%s", d, pad);
        CHECK_INTEQ(strlen(big), 65536);
        CHECK_INTEQ(parse_raw(big, strlen(big), &m, err), 0);
        m = writer_metadata_free(m);
        /* one byte more: refused before it is parsed, even when it is not JSON */
        free(big);
        big = fmt("%s%s ", d, pad);
        CHECK_INTEQ(parse_raw(big, strlen(big), &m, err), -E2BIG);
        CHECK_STREQ(err, "metadata is 65537 bytes, more than the limit of 65536");
        CHECK(m == NULL);
        memset(big, 0, strlen(big));
        CHECK_INTEQ(parse_raw(big, 65537, &m, err), -E2BIG);
        CHECK_INTEQ(parse_raw(big, 1 << 20, &m, err), -E2BIG);
        CHECK_STREQ(err, "metadata is 1048576 bytes, more than the limit of 65536");
}

TEST(round_trip) {
        static const char *const docs[] = {
                "{'version':1,'writer':'pg','components':[{'name':'data','paths':['/var/lib/pg']}]}",
                "{'version':1,'writer':'mariadb','instance':'main','level':'system','freeze_timeout_ms':100,"
                "'restore_method':'custom','components':[{'name':'Data \\u00e9\\ud83d\\ude00 \\'x\\'','paths':['/a/','/','/b\\nc/\\u0001'],"
                "'selectable':false,'description':''},{'name':'x','paths':['/a'],'description':'two\\nlines \\\"q\\\" \\\\ \\/'}]}",
                "{'version':1,'writer':'r','level':'front-end','restore_method':'restore-if-not-there','components':[{'name':'c','paths':['/c']}]}",
                "{'version':1,'writer':'r','restore_method':'restore-if-can-replace','freeze_timeout_ms':600000,'components':[{'name':'c','paths':['/c']}]}",
                "{'version':1,'writer':'r','restore_method':'stop-restore-start','components':[{'name':'c','paths':['/c']}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
                _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(dq(docs[i]));
                CHECK(m);
                CHECK(round_trips(m));
        }
        /* a struct that was never parsed */
        char *paths[] = { (char *) "/srv", (char *) "/", NULL };
        WriterComponent c = { .name = (char *) "n", .paths = paths, .selectable = true };
        WriterMetadata m = { .writer = (char *) "w", .instance = (char *) "", .level = WRITER_LEVEL_SYSTEM,
                             .freeze_timeout_usec = 1234 * USEC_PER_MSEC, .restore_method = WRITER_RESTORE_CUSTOM,
                             .components = &c, .n_components = 1 };
        CHECK(round_trips(&m));
}

TEST(canonical_json) {
        _cleanup_writer_metadata_ WriterMetadata *m = doc_ok(dq(
                "{'components':[{'description':'d/e','paths':['/a/','/b'],'name':'n'},{'selectable':false,'name':'m','paths':['/']}],"
                "'writer':'w','version':1}"));
        _cleanup_free_ char *j = NULL;
        _cleanup_free_ char *expected = dq(
                "{'version':1,'writer':'w','instance':'','level':'back-end','freeze_timeout_ms':60000,'restore_method':'none',"
                "'components':[{'name':'n','paths':['/a','/b'],'selectable':true,'description':'d/e'},"
                "{'name':'m','paths':['/'],'selectable':false}]}");
        CHECK(m);
        CHECK_INTEQ(writer_metadata_to_json(m, &j), 0);
        CHECK_STREQ(j, expected);
}

TEST(equal) {
        _cleanup_writer_metadata_ WriterMetadata *a = doc_ok(doc("", COMP)), *b = doc_ok(doc("", COMP));
        _cleanup_writer_metadata_ WriterMetadata *c = doc_ok(doc("", "{'name':'data','paths':['/var/lib/pg'],'description':''}"));
        _cleanup_writer_metadata_ WriterMetadata *d = doc_ok(doc("", "{'name':'data','paths':['/var/lib/pg'],'selectable':false}"));
        _cleanup_writer_metadata_ WriterMetadata *e = doc_ok(doc(",'freeze_timeout_ms':60001", COMP));
        CHECK(a && b && c && d && e);
        CHECK(writer_metadata_equal(a, b));
        CHECK(writer_metadata_equal(a, a));
        CHECK(writer_metadata_equal(NULL, NULL));
        CHECK(!writer_metadata_equal(a, NULL));
        CHECK(!writer_metadata_equal(a, c));    /* no description is not an empty one */
        CHECK(!writer_metadata_equal(a, d));
        CHECK(!writer_metadata_equal(a, e));
}

TEST(validate) {
        char *paths[] = { (char *) "/srv/", NULL };
        char *two[] = { (char *) "/a", (char *) "/a", NULL };
        WriterComponent c[2] = {
                { .name = (char *) "n", .paths = paths, .selectable = true },
                { .name = (char *) "n", .paths = two },
        };
        WriterMetadata m = { .writer = (char *) "w", .instance = (char *) "", .level = WRITER_LEVEL_SYSTEM,
                             .freeze_timeout_usec = 1500, .restore_method = WRITER_RESTORE_CUSTOM,
                             .components = c, .n_components = 1 };
        char err[ERR_SIZE];
        char *j = (char *) "untouched";

        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "freeze_timeout_ms: 1500 us is not a whole number of milliseconds in 100..600000");
        CHECK_INTEQ(writer_metadata_to_json(&m, &j), -EINVAL);
        CHECK_STREQ(j, "untouched");
        m.freeze_timeout_usec = 100 * USEC_PER_MSEC;
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "components[0].paths[0]: \"/srv/\" ends with '/'");
        paths[0] = (char *) "/srv";
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), 0);
        CHECK_STREQ(err, "");
        m.n_components = 2;
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "components[1].name: \"n\" is already the name of components[0]");
        c[1].name = (char *) "o";
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "components[1].paths[1]: \"/a\" is the same path as paths[0]");
        two[1] = (char *) "/b\xff";
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "components[1].paths[1]: \"/b\\xff\" is not valid UTF-8");
        two[1] = NULL;
        m.level = _WRITER_LEVEL_MAX;
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "level: 3 is not a writer level");
        m.level = WRITER_LEVEL_BACK_END;
        m.restore_method = (WriterRestoreMethod) -1;
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "restore_method: -1 is not a restore method");
        m.restore_method = WRITER_RESTORE_NONE;
        m.instance = NULL;
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "instance: not set (use \"\" for none)");
        m.instance = (char *) "";
        m.n_components = 0;
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "components: must have 1 to 64 entries, has 0");
        m.n_components = 2;
        c[1].description = (char *) "\xc3";
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), -EINVAL);
        CHECK_STREQ(err, "components[1].description: \"\\xc3\" is not valid UTF-8");
        c[1].description = NULL;
        CHECK_INTEQ(writer_metadata_validate(&m, err, sizeof err), 0);
        CHECK_INTEQ(writer_metadata_validate(NULL, err, sizeof err), -EINVAL);
}

TEST(error_buffer) {
        _cleanup_free_ char *d = dq("{'version':1,'writer':'pg','components':[{'name':'\\u00e9\\u00e9\\u00e9','paths':['x']},"
                                    "{'name':'\\u00e9\\u00e9\\u00e9','paths':['/x']}]}");
        WriterMetadata *m = NULL;
        char small[24];

        /* no buffer at all */
        CHECK_INTEQ(writer_metadata_parse(d, strlen(d), &m, NULL, 0), -EINVAL);
        CHECK_INTEQ(writer_metadata_parse(d, strlen(d), &m, small, 0), -EINVAL);
        CHECK(m == NULL);
        /* cut short, and back to whole characters: "components[0].paths[0]: \"x\"..." */
        CHECK_INTEQ(writer_metadata_parse(d, strlen(d), &m, small, sizeof small), -EINVAL);
        CHECK_STREQ(small, "components[0].paths[0]:");
        free(d);
        d = dq("{'version':1,'writer':'pg','components':[{'name':'\\u00e9\\u00e9\\u00e9/','paths':['/x']}]}");
        /* "components[0].name: \"é" is 23 bytes with the first byte of é only: trimmed */
        CHECK_INTEQ(writer_metadata_parse(d, strlen(d), &m, small, 23), -EINVAL);
        CHECK_STREQ(small, "components[0].name: \"");
        CHECK_INTEQ(writer_metadata_parse(d, strlen(d), &m, small, 24), -EINVAL);
        CHECK_STREQ(small, "components[0].name: \"\u00e9");
        /* success empties the message; ret may be NULL to check only */
        free(d);
        d = doc("", COMP);
        CHECK_INTEQ(writer_metadata_parse(d, strlen(d), NULL, small, sizeof small), 0);
        CHECK_STREQ(small, "");
        CHECK_INTEQ(writer_metadata_parse(NULL, 0, &m, small, sizeof small), -EBADMSG);
        CHECK_STREQ(small, "metadata is empty");
        CHECK_INTEQ(writer_metadata_parse(NULL, 5, &m, small, sizeof small), -EINVAL);
        CHECK(m == NULL);
}

TEST(show_escapes) {
        /* values in messages are escaped and cut short */
        CHECK(doc_fails(doc(",'level':'a\\\"b\\\\c\\td\\u001b[31m'", COMP), -EINVAL,
                        "level: \"a\\\"b\\\\c\\td\\u001b[31m\" is not one of \"front-end\", \"back-end\", \"system\""));
}

TEST(free_partial) {
        CHECK(writer_metadata_free(NULL) == NULL);
        /* as the parser leaves it when it fails half-way */
        WriterMetadata *m = calloc(1, sizeof(WriterMetadata));
        CHECK(m);
        m->writer = strdup("w");
        m->components = calloc(3, sizeof(WriterComponent));
        m->n_components = 3;
        m->components[0].name = strdup("a");
        m->components[0].paths = calloc(3, sizeof(char *));
        m->components[0].paths[0] = strdup("/a");
        CHECK(writer_metadata_free(m) == NULL);
        /* components not yet allocated */
        m = calloc(1, sizeof(WriterMetadata));
        m->n_components = 5;
        CHECK(writer_metadata_free(m) == NULL);
}
