/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-provider-external.c - unit tests of provider external: taken only when asked alone, found by name, takes and removes nothing */
#include <errno.h>
#include <string.h>

#include "macro.h"
#include "provider.h"
#include "tests.h"

/* An ext4 volume: no built-in provider takes it. */
static const MountEntry EXT4 = {
        .mount_id = 40, .parent_id = 1, .major = 7, .minor = 3, .root = "/",
        .mount_point = "/srv/data", .options = "rw", .fstype = "ext4", .source = "/dev/loop3", .super_options = "rw",
};

TEST(only_when_asked_alone) {
        StasisProviderResult res = {};
        StasisVolume v = {};

        /* With the others: never chosen (ext4 has no built-in provider). */
        CHECK_INTEQ(stasis_provider_probe(NULL, &EXT4, "/srv/data/db", &v, &res), -EOPNOTSUPP);
        CHECK(strstr(res.message, "no provider can snapshot"));
        stasis_volume_done(&v);

        CHECK_INTEQ(stasis_provider_probe(&stasis_providers_external_only, &EXT4, "/srv/data/db", &v, &res), 0);
        CHECK(v.provider == &provider_external);
        CHECK_STREQ(v.key, "external:7:3");
        CHECK_STREQ(v.source, "/srv/data");
        CHECK_INTEQ(v.hold, STASIS_HOLD_NONE);
        stasis_volume_done(&v);
}

TEST(found_by_name_not_listed) {
        const StasisProvider *all[16];
        size_t n = stasis_providers_list(NULL, all, ELEMENTSOF(all));

        CHECK(stasis_provider_find(NULL, "external") == &provider_external);
        for (size_t i = 0; i < n; i++)
                CHECK(all[i] != &provider_external);
}

TEST(takes_and_removes_nothing) {
        StasisProviderResult res[1] = {};
        StasisVolume v = { .mount_point = (char *) "/srv/data" };
        StasisVolume *vs[] = { &v };

        CHECK_INTEQ(provider_external.prepare(&provider_external, &v, "12", 0, &res[0]), 0);
        CHECK(!v.handle);
        CHECK_INTEQ(provider_external.commit(&provider_external, vs, 1, 0, -1, res), -EOPNOTSUPP);
        CHECK(strstr(res[0].message, "taken by someone else"));
        CHECK_INTEQ(provider_external.remove(&provider_external, &v, &res[0]), 0);
        CHECK_INTEQ(provider_external.exists(&provider_external, &v), 1);
}
