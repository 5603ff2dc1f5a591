/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-catalog.c - unit tests of the SQLite catalog: add, update, reload, remove */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macro.h"
#include "stasisd-catalog-requests.h"
#include "stasisd-catalog-writers.h"
#include "stasisd-catalog.h"
#include "stasisd-catalog-history.h"
#include "tests.h"

#define STASIS_TEST_ERROR "org.stasis1.Error.ProviderFailed"

static char dir[64];

/* A fresh directory per test (tests may run in any order); removed at exit. */
static void new_dir(void) {
        static bool armed = false;
        void cleanup_dir(void);
        if (dir[0])
                cleanup_dir();
        snprintf(dir, sizeof dir, "/tmp/stasis-catalog-test.XXXXXX");
        if (!mkdtemp(dir))
                abort();
        if (!armed)
                atexit(cleanup_dir);
        armed = true;
}

static void fill_volume(StasisVolume *v, const char *path, const char *handle) {
        *v = (StasisVolume) {
                .path = strdup(path), .mount_point = strdup("/mnt"), .device = strdup("/dev/loop7"),
                .fstype = strdup("btrfs"), .source = strdup(path), .key = strdup("btrfs:abc"),
                .handle = strdup(handle), .provider = stasis_provider_find(NULL, "btrfs"),
        };
}

static int prepare_cb(CatalogSet *s, void *userdata) {
        int *calls = userdata;
        (*calls)++;
        free(s->volumes[0].handle);
        return asprintf(&s->volumes[0].handle, "/mnt/.stasis/%llu", (unsigned long long) s->id) < 0 ? -ENOMEM : 0;
}

static int failing_prepare(CatalogSet *s, void *userdata) {
        return -EIO;
}

void cleanup_dir(void);
void cleanup_dir(void) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        (void) system(cmd);
}

/* Runs the shell command made of format, where "@DB" stands for the
 * catalog file; it must succeed. */
static void sh(int line, const char *format, ...) _printf_(2, 3);
static void sh(int line, const char *format, ...) {
        char *text = NULL, *at;
        va_list ap;

        va_start(ap, format);
        if (vasprintf(&text, format, ap) < 0)
                abort();
        va_end(ap);
        while ((at = strstr(text, "@DB"))) {
                char *t = NULL;
                if (asprintf(&t, "%.*s%s/catalog.db%s", (int) (at - text), text, dir, at + 3) < 0)
                        abort();
                free(text);
                text = t;
        }
        if (system(text) != 0) {
                fprintf(stderr, "%s:%d: command failed: %s\n", __FILE__, line, text);
                tests_failed++;
        }
        free(text);
}
#define SH(...) sh(__LINE__, __VA_ARGS__)

/* The catalog's schema version is v. */
#define CHECK_SCHEMA_VERSION(v) SH("test \"$(sqlite3 @DB 'PRAGMA user_version')\" = %d", (v))

/* The tables of older schemas, as the upgrade tests make them. */
#define OLD_SETS_COLUMNS                                                                                \
        "id INTEGER PRIMARY KEY AUTOINCREMENT, created INTEGER NOT NULL, "                              \
        "label TEXT NOT NULL DEFAULT '', persistent INTEGER NOT NULL, owner_uid INTEGER NOT NULL, "     \
        "state TEXT NOT NULL, consistency TEXT NOT NULL DEFAULT ''"
#define OLD_VOLUMES_TABLE                                                                               \
        "CREATE TABLE volumes (set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE, "         \
        "idx INTEGER NOT NULL, path TEXT NOT NULL, mount_point TEXT NOT NULL, device TEXT NOT NULL, "   \
        "fstype TEXT NOT NULL, provider TEXT NOT NULL, source TEXT NOT NULL, volume_key TEXT NOT NULL, " \
        "handle TEXT NOT NULL, missing INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (set_id, idx)); "

TEST(roundtrip) {
        Catalog *c = NULL;
        StasisVolume vols[2];
        CatalogSet *sets = NULL;
        size_t n = 0;
        int calls = 0;

        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);

        fill_volume(&vols[0], "/mnt", "placeholder");
        fill_volume(&vols[1], "/mnt/sub", "/mnt/sub/.stasis/x");
        CatalogSet s = { .created = 1234567, .label = (char *) "nightly", .persistent = true, .owner_uid = 0,
                         .state = (char *) "creating", .volumes = vols, .n_volumes = 2 };
        CHECK_INTEQ(catalog_add_set(c, &s, prepare_cb, &calls), 0);
        CHECK_INTEQ(calls, 1);
        CHECK_INTEQ(s.id, 1);

        /* ids are never reused, even after a removal */
        CatalogSet s2 = { .created = 1, .persistent = false, .owner_uid = 1000, .state = (char *) "creating" };
        CHECK_INTEQ(catalog_add_set(c, &s2, NULL, NULL), 0);
        CHECK_INTEQ(s2.id, 2);
        CHECK_INTEQ(catalog_remove_set(c, 2), 0);
        CHECK_INTEQ(catalog_add_set(c, &s2, NULL, NULL), 0);
        CHECK_INTEQ(s2.id, 3);

        /* a failing prepare records nothing */
        CatalogSet s3 = { .created = 1, .state = (char *) "creating" };
        CHECK_INTEQ(catalog_add_set(c, &s3, failing_prepare, NULL), -EIO);

        CHECK_INTEQ(catalog_update_state(c, 1, "created", "per-volume"), 0);
        CHECK_INTEQ(catalog_update_volume_missing(c, 1, 1, true), 0);
        catalog_close(c);
        for (size_t i = 0; i < 2; i++)
                stasis_volume_done(&vols[i]);

        /* reopen: everything is still there */
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK_INTEQ(sets[0].id, 1);
        CHECK_INTEQ(sets[0].created, 1234567);
        CHECK_STREQ(sets[0].label, "nightly");
        CHECK_STREQ(sets[0].state, "created");
        CHECK_STREQ(sets[0].consistency, "per-volume");
        CHECK(sets[0].persistent);
        CHECK_INTEQ(sets[0].n_volumes, 2);
        CHECK_STREQ(sets[0].volumes[0].handle, "/mnt/.stasis/1");
        CHECK_STREQ(sets[0].volumes[1].path, "/mnt/sub");
        CHECK(sets[0].volumes[0].provider == stasis_provider_find(NULL, "btrfs"));
        CHECK(!sets[0].volumes[0].missing);
        CHECK(sets[0].volumes[1].missing);
        CHECK_INTEQ(sets[1].id, 3);
        CHECK(!sets[1].persistent);
        CHECK_INTEQ(sets[1].owner_uid, 1000);
        CHECK_INTEQ(sets[1].n_volumes, 0);
        catalog_sets_free(sets, n);

        /* removing a set removes its volumes */
        CHECK_INTEQ(catalog_remove_set(c, 1), 0);
        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 1);
        catalog_sets_free(sets, n);
        catalog_close(c);
}

TEST(components_and_completion) {
        Catalog *c = NULL;
        CatalogSet *sets = NULL;
        size_t n = 0;
        SetComponent comps[2] = {
                { (char *) "postgresql", (char *) "15-main", (char *) "cluster", (char *) "application", (char *) "" },
                { (char *) "redis", (char *) "", (char *) "dump", (char *) "crash-consistent",
                  (char *) "writer redis vetoed Freeze: busy" },
        };

        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CatalogSet s = { .created = 1, .persistent = true, .state = (char *) "creating" };
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(catalog_record_created(c, s.id, "created", "crash-atomic", 12345, comps, 2), 0);
        CHECK_INTEQ(catalog_update_completed(c, s.id, 777), 0);
        catalog_close(c);

        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_STREQ(sets[0].state, "created");
        CHECK_STREQ(sets[0].consistency, "crash-atomic");
        CHECK_INTEQ(sets[0].hold_usec, 12345);
        CHECK_INTEQ(sets[0].completed, 777);
        CHECK_INTEQ(sets[0].n_components, 2);
        CHECK_STREQ(sets[0].components[0].instance, "15-main");
        CHECK_STREQ(sets[0].components[1].consistency, "crash-consistent");
        CHECK_STREQ(sets[0].components[1].reason, "writer redis vetoed Freeze: busy");
        catalog_sets_free(sets, n);
        catalog_close(c);
}

/* An id is above every id ever given, after the newest set was removed and
 * the catalog reopened, and above every id in the catalog, even one the
 * sequence does not know (a record put there by hand). */
TEST(ids_never_reused) {
        Catalog *c = NULL;

        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        for (uint64_t i = 1; i <= 3; i++) {
                CatalogSet s = { .created = 1, .state = (char *) "created" };
                CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
                CHECK_INTEQ(s.id, i);
        }
        CHECK_INTEQ(catalog_remove_set(c, 3), 0);
        CHECK_INTEQ(catalog_remove_set(c, 2), 0);
        catalog_close(c);
        c = NULL;

        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CatalogSet s = { .created = 1, .state = (char *) "created" };
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 4);
        catalog_close(c);
        c = NULL;

        SH("sqlite3 @DB \"INSERT INTO sets (id, created, persistent, owner_uid, "
           "state) VALUES (40, 1, 1, 0, 'created'); UPDATE sqlite_sequence SET seq = 2;\"");
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 41);
        catalog_close(c);
}

/* Ids are reserved durably in blocks, so that a new set's record need not be
 * synced: after a stop that did not give the block back (the process ended
 * without catalog_close()) and lost the last records (as a power cut may:
 * here removed by hand), no id of the block is given again; after a clean
 * stop, ids run on without a gap. */
TEST(ids_reserved_in_blocks) {
        Catalog *c = NULL;

        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CatalogSet s = { .created = 1, .state = (char *) "created" };
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 1);
        catalog_close(c);
        c = NULL;
        SH("test \"$(sqlite3 @DB 'SELECT reserved FROM id_reserve')\" = 1");

        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
                Catalog *d = NULL;
                if (catalog_open(dir, &d) < 0)
                        _exit(1);
                for (uint64_t i = 2; i <= 5; i++) {
                        CatalogSet t = { .created = 1, .state = (char *) "creating" };
                        if (catalog_add_set(d, &t, NULL, NULL) < 0 || t.id != i)
                                _exit(2);
                }
                _exit(0);       /* no catalog_close(): as if the machine stopped */
        }
        int status;
        CHECK_INTEQ(waitpid(pid, &status, 0), pid);
        CHECK_INTEQ(status, 0);
        SH("test \"$(sqlite3 @DB 'SELECT reserved FROM id_reserve')\" = %d",
           1 + CATALOG_ID_BLOCK);
        /* The records of sets 2 to 5 lost, with the sequence that gave them. */
        SH("sqlite3 @DB \"DELETE FROM sets WHERE id > 1; "
           "UPDATE sqlite_sequence SET seq = 1;\"");
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 2 + CATALOG_ID_BLOCK);
        catalog_close(c);
        c = NULL;
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 3 + CATALOG_ID_BLOCK);
        catalog_close(c);
}

/* A catalog of schema 1 (stasisd 0.1) is upgraded in place: its sets stay. */
TEST(upgrades_schema_1) {
        Catalog *c = NULL;
        CatalogSet *sets = NULL;
        size_t n = 0;

        new_dir();
        SH("sqlite3 @DB \""
           "CREATE TABLE sets (" OLD_SETS_COLUMNS "); "
           OLD_VOLUMES_TABLE
           "INSERT INTO sets VALUES (7, 99, 'old', 1, 0, 'created', 'per-volume'); "
           "INSERT INTO volumes VALUES (7, 0, '/a', '/', '/dev/x', 'btrfs', 'btrfs', '/a', 'k', '/a/.stasis/7', 0); "
           "PRAGMA user_version=1;\"");
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_INTEQ(sets[0].id, 7);
        CHECK_STREQ(sets[0].label, "old");
        CHECK_INTEQ(sets[0].completed, 0);
        CHECK_INTEQ(sets[0].n_components, 0);
        CHECK_INTEQ(sets[0].n_volumes, 1);
        catalog_sets_free(sets, n);
        CHECK_INTEQ(catalog_record_created(c, 7, "created", "application", 0, NULL, 0), 0);
        catalog_close(c);
        CHECK_SCHEMA_VERSION(5);
}

/* A catalog of schema 3 gets request ids, the failed requests and the
 * writers: its sets stay, with no request id. */
TEST(upgrades_schema_3) {
        Catalog *c = NULL;
        CatalogSet *sets = NULL;
        size_t n = 0;

        new_dir();
        SH("sqlite3 @DB \""
           "CREATE TABLE sets (" OLD_SETS_COLUMNS ", "
           "completed INTEGER NOT NULL DEFAULT 0, hold_usec INTEGER NOT NULL DEFAULT 0); "
           OLD_VOLUMES_TABLE
           "CREATE TABLE components (set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE, "
           "idx INTEGER NOT NULL, writer TEXT NOT NULL, instance TEXT NOT NULL, component TEXT NOT NULL, "
           "consistency TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', PRIMARY KEY (set_id, idx)); "
           "CREATE TABLE id_reserve (reserved INTEGER NOT NULL); "
           "INSERT INTO sets VALUES (9, 99, 'three', 1, 0, 'created', 'per-volume', 0, 5); "
           "INSERT INTO volumes VALUES (9, 0, '/a', '/', '/dev/x', 'btrfs', 'btrfs', '/a', 'k', '/a/.stasis/9', 0); "
           "INSERT INTO id_reserve VALUES (9); "
           "PRAGMA user_version=3;\"");
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_INTEQ(sets[0].id, 9);
        CHECK_STREQ(sets[0].label, "three");
        CHECK_INTEQ(sets[0].hold_usec, 5);
        CHECK(sets[0].request_id == NULL);
        catalog_sets_free(sets, n);

        CatalogSet s = { .created = 1, .persistent = true, .owner_uid = 1000, .state = (char *) "creating",
                         .request_id = (char *) "nightly-2026-12-05" };
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 10);
        CHECK_INTEQ(catalog_add_failed_request(c, 1000, "other", 7, STASIS_TEST_ERROR, "it failed"), 0);
        catalog_close(c);
        c = NULL;

        CHECK_SCHEMA_VERSION(5);
        /* Version 5 keeps the writers' backup metadata. */
        SH("test \"$(sqlite3 @DB \"SELECT count(*) FROM sqlite_master WHERE "
           "name = 'metadata'\")\" = 1");
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK(sets[0].request_id == NULL);
        CHECK_STREQ(sets[1].request_id, "nightly-2026-12-05");
        CHECK_INTEQ(sets[1].owner_uid, 1000);
        catalog_sets_free(sets, n);
        catalog_close(c);
}

/* Failed requests are found by uid and id, for their age, and no more
 * than the bound are kept. */
TEST(failed_requests) {
        Catalog *c = NULL;
        char *name = NULL, *message = NULL;

        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_find_failed_request(c, 0, "a", 100, &name, &message), 0);
        CHECK_INTEQ(catalog_add_failed_request(c, 0, "a", 100, STASIS_TEST_ERROR, "first"), 0);
        CHECK_INTEQ(catalog_find_failed_request(c, 0, "a", 100, &name, &message), 1);
        CHECK_STREQ(name, STASIS_TEST_ERROR);
        CHECK_STREQ(message, "first");
        free(name);
        free(message);
        /* another user's id of the same name is another request */
        CHECK_INTEQ(catalog_find_failed_request(c, 1000, "a", 100, &name, &message), 0);
        /* too old: not found */
        CHECK_INTEQ(catalog_find_failed_request(c, 0, "a", 100 + CATALOG_FAILED_REQUESTS_AGE_USEC + 1,
                                                &name, &message), 0);
        /* the bound: the oldest go */
        for (unsigned i = 0; i < CATALOG_FAILED_REQUESTS_MAX; i++) {
                char id[32];
                snprintf(id, sizeof id, "id-%u", i);
                CHECK_INTEQ(catalog_add_failed_request(c, 0, id, 200 + i, STASIS_TEST_ERROR, "later"), 0);
        }
        CHECK_INTEQ(catalog_find_failed_request(c, 0, "a", 300, &name, &message), 0);
        CHECK_INTEQ(catalog_find_failed_request(c, 0, "id-0", 300, &name, &message), 1);
        free(name);
        free(message);
        catalog_close(c);
}

/* The registered writers: recorded, replaced, forgotten, and read again
 * after the catalog is opened again. */
TEST(writers) {
        Catalog *c = NULL;
        CatalogWriter *l = NULL;
        size_t n = 0;

        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CatalogWriter a = { .name = (char *) "pg", .instance = (char *) "main", .uid = 70,
                            .metadata = (char *) "{\"v\":1}", .registered = 1 };
        CatalogWriter b = { .name = (char *) "redis", .instance = (char *) "", .uid = 0,
                            .metadata = (char *) "{}", .registered = 2 };
        CHECK_INTEQ(catalog_writer_record(c, &a), 0);
        CHECK_INTEQ(catalog_writer_record(c, &b), 0);
        a.metadata = (char *) "{\"v\":2}";
        CHECK_INTEQ(catalog_writer_record(c, &a), 0);          /* replaces */
        CHECK_INTEQ(catalog_writer_forget(c, "nosuch", ""), 0);
        catalog_close(c);
        c = NULL;

        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CHECK_INTEQ(catalog_writers_load(c, &l, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK_STREQ(l[0].name, "pg");
        CHECK_STREQ(l[0].instance, "main");
        CHECK_INTEQ(l[0].uid, 70);
        CHECK_STREQ(l[0].metadata, "{\"v\":2}");
        CHECK_STREQ(l[1].name, "redis");
        catalog_writers_free(l, n);
        CHECK_INTEQ(catalog_writer_forget(c, "pg", "main"), 1);
        CHECK_INTEQ(catalog_writers_load(c, &l, &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_STREQ(l[0].name, "redis");
        catalog_writers_free(l, n);
        CHECK_INTEQ(catalog_writers_replace(c, &a, 1), 0);
        CHECK_INTEQ(catalog_writers_load(c, &l, &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_STREQ(l[0].name, "pg");
        catalog_writers_free(l, n);
        catalog_close(c);
}

TEST(refuses_newer_schema) {
        Catalog *c = NULL;
        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        catalog_close(c);
        c = NULL;
        SH("sqlite3 @DB 'PRAGMA user_version=99'");
        CHECK_INTEQ(catalog_open(dir, &c), -EPROTO);
        CHECK(c == NULL);
}

TEST(unwritable_dir) {
        Catalog *c = NULL;
        CHECK(catalog_open("/proc/stasis-no-such-dir", &c) < 0);
}

TEST(raise_next_id_and_adopt) {
        Catalog *c = NULL;
        CatalogSet *sets = NULL;
        StasisVolume vol;
        size_t n = 0;

        new_dir();
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        /* On a new catalog (no sequence row yet), then never lowered. */
        CHECK_INTEQ(catalog_raise_next_id(c, 41), 0);
        CHECK_INTEQ(catalog_raise_next_id(c, 5), 0);
        CatalogSet s = { .created = 1, .persistent = true, .state = (char *) "created" };
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 42);

        /* A set under its own id, with its volume; an id in use is refused. */
        fill_volume(&vol, "", "uuid:/.stasis/7-0");
        CatalogSet a = { .id = 7, .created = 2, .persistent = true, .state = (char *) "created",
                         .consistency = (char *) "per-volume", .volumes = &vol, .n_volumes = 1 };
        CHECK_INTEQ(catalog_adopt_set(c, &a), 0);
        CHECK(catalog_adopt_set(c, &a) < 0);
        a.id = 42;
        CHECK(catalog_adopt_set(c, &a) < 0);
        stasis_volume_done(&vol);

        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK_INTEQ(sets[0].id, 7);
        CHECK_STREQ(sets[0].consistency, "per-volume");
        CHECK_INTEQ(sets[0].n_volumes, 1);
        CHECK_STREQ(sets[0].volumes[0].handle, "uuid:/.stasis/7-0");
        catalog_sets_free(sets, n);

        /* Adopting below the counter does not lower it. */
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(s.id, 43);
        catalog_close(c);
}

/* A set's expiry and policy are kept; a catalog of schema 4 gets them
 * (none for its sets), and the history of removals keeps the newest first. */
TEST(retention_columns_and_history) {
        Catalog *c = NULL;
        CatalogSet *sets = NULL;
        CatalogRemoval *h = NULL;
        size_t n = 0;

        new_dir();
        SH("sqlite3 @DB \""
           "CREATE TABLE sets (" OLD_SETS_COLUMNS ", "
           "completed INTEGER NOT NULL DEFAULT 0, hold_usec INTEGER NOT NULL DEFAULT 0, request_id TEXT); "
           OLD_VOLUMES_TABLE
           "CREATE TABLE id_reserve (reserved INTEGER NOT NULL); "
           "INSERT INTO sets VALUES (4, 99, 'four', 1, 0, 'created', 'per-volume', 0, 5, NULL); "
           "INSERT INTO id_reserve VALUES (4); "
           "PRAGMA user_version=4;\"");
        CHECK_INTEQ(catalog_open(dir, &c), 0);
        CatalogSet s = { .created = 100, .persistent = true, .state = (char *) "created",
                         .expires = 7200, .policy = (char *) "nightly" };
        CHECK_INTEQ(catalog_add_set(c, &s, NULL, NULL), 0);
        CHECK_INTEQ(catalog_load(c, NULL, &sets, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK_INTEQ(sets[0].expires, 0);
        CHECK_STREQ(sets[0].policy, "");
        CHECK_INTEQ(sets[1].expires, 7200);
        CHECK_STREQ(sets[1].policy, "nightly");
        catalog_sets_free(sets, n);

        CHECK_INTEQ(catalog_add_removal(c, 4, "", 500, "expired", 99, "four"), 0);
        CHECK_INTEQ(catalog_add_removal(c, 5, "nightly", 600, "no rule keeps it", 100, ""), 0);
        CHECK_INTEQ(catalog_list_removals(c, NULL, 10, &h, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK_INTEQ(h[0].set_id, 5);
        CHECK_STREQ(h[0].reason, "no rule keeps it");
        CHECK_INTEQ(h[1].removed, 500);
        CHECK_STREQ(h[1].label, "four");
        catalog_removals_free(h, n);
        CHECK_INTEQ(catalog_list_removals(c, "nightly", 10, &h, &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_STREQ(h[0].policy, "nightly");
        catalog_removals_free(h, n);
        catalog_close(c);
        CHECK_SCHEMA_VERSION(5);
}
