/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-component-select.c - unit tests of component selection: selectors, and which components and volumes join */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "macro.h"
#include "stasisd-manager.h"
#include "stasisd-select.h"
#include "strv.h"
#include "tests.h"

/* Two writers: pg (data on /a and /b, selectable; wal on /c, not
 * selectable) and redis (dump on /d, which is on the volume of /a). */
typedef struct Fixture {
        WriterComponent pg_comps[2], redis_comps[1];
        WriterMetadata pg_meta, redis_meta;
        Writer pg, redis;
        WriterReply replies[2];
        WriterBatch batch;
        Resolution x;
} Fixture;

static char *a_path[] = { (char *) "/a", (char *) "/b", NULL };
static char *c_path[] = { (char *) "/c", NULL };
static char *d_path[] = { (char *) "/d", NULL };

static void add_path(Resolution *x, const char *path, const char *key, uid_t owner, const char *error) {
        PathVolume *pv = &x->pv[x->n_pv++];
        pv->path = path;
        pv->owner = owner;
        if (error) {
                pv->error_name = STASIS_ERROR_NO_SUCH_PATH;
                pv->error = strdup(error);
        } else {
                pv->key = strdup(key);
                pv->volume.key = strdup(key);
        }
}

static void fixture_init(Fixture *f, uid_t pg_uid, const char *c_error) {
        *f = (Fixture) {};
        f->pg_comps[0] = (WriterComponent) { .name = (char *) "data", .paths = a_path, .selectable = true };
        f->pg_comps[1] = (WriterComponent) { .name = (char *) "wal", .paths = c_path, .selectable = false };
        f->redis_comps[0] = (WriterComponent) { .name = (char *) "dump", .paths = d_path, .selectable = true };
        f->pg_meta = (WriterMetadata) { .writer = (char *) "pg", .instance = (char *) "main",
                                        .components = f->pg_comps, .n_components = 2 };
        f->redis_meta = (WriterMetadata) { .writer = (char *) "redis", .instance = (char *) "",
                                           .components = f->redis_comps, .n_components = 1 };
        f->pg = (Writer) { .meta = &f->pg_meta, .display = (char *) "pg@main", .uid = pg_uid };
        f->redis = (Writer) { .meta = &f->redis_meta, .display = (char *) "redis" };
        f->replies[0] = (WriterReply) { .batch = &f->batch, .writer = &f->pg };
        f->replies[1] = (WriterReply) { .batch = &f->batch, .writer = &f->redis };
        f->batch = (WriterBatch) { .replies = f->replies, .n = 2 };

        Resolution *x = &f->x;
        x->b = &f->batch;
        x->cands = calloc(3, sizeof(Candidate));
        x->pv = calloc(4, sizeof(PathVolume));
        x->vols = calloc(MANAGER_VOLUMES_PER_SET_MAX, sizeof(StasisVolume));
        add_path(x, "/a", "A", pg_uid, NULL);
        add_path(x, "/b", "B", pg_uid, NULL);
        add_path(x, "/c", "C", pg_uid, c_error);
        add_path(x, "/d", "A", 0, NULL);
        x->cands[0] = (Candidate) { .writer = 0, .component = &f->pg_comps[0], .first_path = 0, .n_paths = 2 };
        x->cands[1] = (Candidate) { .writer = 0, .component = &f->pg_comps[1], .first_path = 2, .n_paths = 1 };
        x->cands[2] = (Candidate) { .writer = 1, .component = &f->redis_comps[0], .first_path = 3, .n_paths = 1 };
        x->n_cands = 3;
}

static char **strv_new_test(const char *one) {
        char **l = NULL;
        if (strv_extend(&l, one) < 0)
                abort();
        return l;
}

static int run(Fixture *f, char **selectors, sd_bus_error *e) {
        int r = resolution_select(&f->x, selectors, e);
        return r < 0 ? r : resolution_close_over(&f->x, e);
}

TEST(selector_parse) {
        Selector s;

        CHECK_INTEQ(selector_parse("pg", &s), 0);
        CHECK(s.writer_len == 2 && !s.instance && !s.component);
        CHECK_INTEQ(selector_parse("pg@main:data", &s), 0);
        CHECK(s.writer_len == 2 && s.instance_len == 4 && strcmp(s.component, "data") == 0);
        CHECK_INTEQ(selector_parse("pg:wal", &s), 0);
        CHECK(!s.instance && strcmp(s.component, "wal") == 0);
        CHECK_INTEQ(selector_parse("", &s), -EINVAL);
        CHECK_INTEQ(selector_parse("PG", &s), -EINVAL);
        CHECK_INTEQ(selector_parse("pg:", &s), -EINVAL);
        CHECK_INTEQ(selector_parse("pg@", &s), -EINVAL);
        CHECK_INTEQ(selector_parse("@main", &s), -EINVAL);
        CHECK_INTEQ(selector_parse("p g", &s), -EINVAL);
}

TEST(selector_matches) {
        WriterMetadata pg = { .writer = (char *) "pg", .instance = (char *) "main" };
        Selector s;

        CHECK(selector_parse("pg", &s) == 0 && selector_matches(&s, &pg));
        CHECK(selector_parse("pg@main", &s) == 0 && selector_matches(&s, &pg));
        CHECK(selector_parse("pg@other", &s) == 0 && !selector_matches(&s, &pg));
        CHECK(selector_parse("p", &s) == 0 && !selector_matches(&s, &pg));
        CHECK(selector_parse("pgx", &s) == 0 && !selector_matches(&s, &pg));
}

/* pg:data brings its volumes A and B; redis:dump lies on A and joins; wal,
 * not selectable, comes along with its writer, and brings C. */
TEST(closure) {
        Fixture f;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **sel = strv_new_test("pg:data");

        fixture_init(&f, 0, NULL);
        CHECK_INTEQ(run(&f, sel, &e), 0);
        CHECK(f.x.cands[0].included && f.x.cands[1].included && f.x.cands[2].included);
        CHECK_INTEQ(f.x.n_vols, 3);
        CHECK_INTEQ(resolution_volume_index(&f.x, "A"), 0);
        CHECK(resolution_volume_index(&f.x, "C") >= 0);
        CHECK_INTEQ(resolution_volume_index(&f.x, "Z"), -1);
        CHECK(resolution_writer_included(&f.x, 0) && resolution_writer_included(&f.x, 1));
        resolution_done(&f.x);
        strv_free(sel);
}

/* Only redis: its volume A brings pg:data (a path on A), which brings B, and wal with C. */
TEST(closure_through_a_shared_volume) {
        Fixture f;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **sel = strv_new_test("redis");

        fixture_init(&f, 0, NULL);
        CHECK_INTEQ(run(&f, sel, &e), 0);
        CHECK(f.x.cands[0].included && f.x.cands[1].included && f.x.cands[2].included);
        CHECK_INTEQ(f.x.n_vols, 3);
        resolution_done(&f.x);
        strv_free(sel);
}

/* A path set on volume Z, where no writer has data: nobody joins. */
TEST(paths_only) {
        Fixture f;
        sd_bus_error e = SD_BUS_ERROR_NULL;

        fixture_init(&f, 0, NULL);
        f.x.vols[0].key = strdup("Z");
        f.x.n_vols = 1;
        CHECK_INTEQ(run(&f, NULL, &e), 0);
        CHECK(!f.x.cands[0].included && !f.x.cands[1].included && !f.x.cands[2].included);
        CHECK_INTEQ(f.x.n_vols, 1);
        CHECK(!resolution_writer_included(&f.x, 0));
        resolution_done(&f.x);
}

static void check_refused(const char *selector, const char *name, const char *words) {
        Fixture f;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **sel = strv_new_test(selector);

        fixture_init(&f, 0, NULL);
        CHECK(run(&f, sel, &e) < 0);
        CHECK(sd_bus_error_has_name(&e, name));
        if (!strstr(e.message, words))
                fprintf(stderr, "%s: \"%s\" lacks \"%s\"\n", selector, e.message, words);
        CHECK(strstr(e.message, words));
        sd_bus_error_free(&e);
        resolution_done(&f.x);
        strv_free(sel);
}

TEST(refused_selectors) {
        check_refused("pg:wal", STASIS_ERROR_NO_SUCH_COMPONENT, "is not selectable");
        check_refused("mysql", STASIS_ERROR_NO_SUCH_COMPONENT, "no writer mysql is registered");
        check_refused("pg@other", STASIS_ERROR_NO_SUCH_COMPONENT, "no writer pg@other is registered");
        check_refused("pg:logs", STASIS_ERROR_NO_SUCH_COMPONENT, "has no component \"logs\"");
}

/* A path of a joining component that did not resolve fails the set, with the path's error. */
TEST(unresolved_path_of_a_joining_component) {
        Fixture f;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **sel = strv_new_test("pg:data");

        fixture_init(&f, 0, "No such file or directory: /c");
        CHECK(run(&f, sel, &e) < 0);
        CHECK(sd_bus_error_has_name(&e, STASIS_ERROR_NO_SUCH_PATH));
        CHECK(strstr(e.message, "pg@main:wal"));
        sd_bus_error_free(&e);
        resolution_done(&f.x);
        strv_free(sel);
}

/* A writer other than root may only name directories its user owns: /d is root's. */
TEST(owner_check) {
        Fixture f;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char **sel = strv_new_test("pg:data");

        fixture_init(&f, 1000, NULL);
        f.redis.uid = 1000;     /* redis too runs as 1000, but /d (uid 0) is its path */
        CHECK(run(&f, sel, &e) < 0);
        CHECK(sd_bus_error_has_name(&e, STASIS_ERROR_INVALID_ARGUMENT));
        CHECK(strstr(e.message, "owned by uid 0"));
        sd_bus_error_free(&e);
        resolution_done(&f.x);
        strv_free(sel);
}
