/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-lvm-policy.c - unit tests of the LVM provider's pure parts: size policy, handles, tags, dm UUIDs */
#include <errno.h>
#include <stdint.h>

#include "lvm-policy.h"
#include "macro.h"
#include "tests.h"

#define MiB (1024ULL * 1024)

TEST(size_policy_parses_the_documented_forms) {
        LvmSizePolicy p;
        CHECK_INTEQ(lvm_size_policy_parse("20%ORIGIN", &p), 0);
        CHECK(p.kind == LVM_SIZE_ORIGIN && p.value == 20);
        CHECK_INTEQ(lvm_size_policy_parse("150%USED", &p), 0);
        CHECK(p.kind == LVM_SIZE_USED && p.value == 150);
        CHECK_INTEQ(lvm_size_policy_parse("512M", &p), 0);
        CHECK(p.kind == LVM_SIZE_FIXED && p.value == 512 * MiB);
        CHECK_INTEQ(lvm_size_policy_parse("2G", &p), 0);
        CHECK(p.value == 2048 * MiB);
        CHECK_INTEQ(lvm_size_policy_parse("4096", &p), 0);
        CHECK(p.kind == LVM_SIZE_FIXED && p.value == 4096);
        CHECK_INTEQ(lvm_size_policy_parse(LVM_SIZE_POLICY_DEFAULT, &p), 0);
}

TEST(size_policy_refuses_the_rest) {
        static const char *const bad[] = {
                "", "0", "0M", "-1G", "1.5G", "20%", "%ORIGIN", "0%ORIGIN", "101%ORIGIN", "1001%USED", "20%origin",
                "20%FREE", "20%VG", "M", "12Q", " 1G", "1G ", "99999999999999999999", "9999999999999T", "1g",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                LvmSizePolicy p = { LVM_SIZE_FIXED, 7 };
                if (lvm_size_policy_parse(bad[i], &p) != -EINVAL || p.value != 7) {
                        fprintf(stderr, "lvm_size_policy_parse took \"%s\"\n", bad[i]);
                        tests_failed++;
                        return;
                }
        }
}

TEST(size_policy_computes_whole_extents_within_bounds) {
        LvmSizePolicy p;
        uint64_t ext = 4 * MiB;

        CHECK_INTEQ(lvm_size_policy_parse("20%ORIGIN", &p), 0);
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 1000 * MiB, 0, ext), 200 * MiB);
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 100 * MiB, 0, ext), 20 * MiB);
        /* 20% of 30 MiB is 6 MiB: at least 8 MiB. */
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 30 * MiB, 0, ext), 8 * MiB);
        /* Rounded up to an extent. */
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 110 * MiB, 0, ext), 24 * MiB);

        CHECK_INTEQ(lvm_size_policy_parse("50%USED", &p), 0);
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 1000 * MiB, 400 * MiB, ext), 200 * MiB);
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 1000 * MiB, 0, ext), 8 * MiB);
        CHECK_INTEQ(lvm_size_policy_parse("1000%USED", &p), 0);
        /* Never more than the origin. */
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 100 * MiB, 90 * MiB, ext), 100 * MiB);

        CHECK_INTEQ(lvm_size_policy_parse("64M", &p), 0);
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 1000 * MiB, 0, ext), 64 * MiB);
        CHECK_INTEQ(lvm_size_policy_bytes(&p, 10 * MiB, 0, ext), 12 * MiB);
        /* No overflow for a huge origin. */
        CHECK_INTEQ(lvm_size_policy_parse("100%ORIGIN", &p), 0);
        CHECK(lvm_size_policy_bytes(&p, UINT64_MAX / 2, 0, 0) == UINT64_MAX / 2);
}

TEST(handles_are_what_stasisd_makes) {
        char id[20];
        unsigned index = 99;
        CHECK_INTEQ(lvm_handle_parse("stasis-12-3", id, &index), 0);
        CHECK_STREQ(id, "12");
        CHECK_INTEQ(index, 3);
        CHECK_INTEQ(lvm_handle_parse("stasis-9223372036854775807-63", id, &index), 0);
        static const char *const bad[] = {
                "", "stasis-", "stasis-1", "stasis-0-0", "stasis-01-0", "stasis-1-00", "stasis-1-64",
                "stasis-9223372036854775808-0", "stasis-1-0/x", "../stasis-1-0", "stasis-1-x", "lvol0",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                if (lvm_handle_parse(bad[i], id, &index) != -EINVAL) {
                        fprintf(stderr, "lvm_handle_parse took \"%s\"\n", bad[i]);
                        tests_failed++;
                        return;
                }
}

TEST(tags_match_whole_names) {
        CHECK(lvm_tags_contain("stasis,stasis_set_12,stasis_vol_0", "stasis_set_12"));
        CHECK(lvm_tags_contain("stasis,stasis_set_12,stasis_vol_0", "stasis"));
        CHECK(lvm_tags_contain("stasis_vol_0", "stasis_vol_0"));
        CHECK(!lvm_tags_contain("stasis,stasis_set_12,stasis_vol_0", "stasis_set_1"));
        CHECK(!lvm_tags_contain("stasis_set_123", "stasis_set_12"));
        CHECK(!lvm_tags_contain("", "stasis"));
        CHECK(!lvm_tags_contain("xstasis", "stasis"));
}

TEST(dm_uuids_name_lvs) {
        const char *dm = "LVM-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA6ulcSytX4fERXdkwmbJnBt1UwR8PodpZ";
        CHECK(lvm_dm_uuid_is_lv(dm));
        CHECK(lvm_dm_uuid_matches(dm, "6ulcSy-tX4f-ERXd-kwmb-JnBt-1UwR-8PodpZ"));
        CHECK(!lvm_dm_uuid_matches(dm, "6ulcSy-tX4f-ERXd-kwmb-JnBt-1UwR-8PodpY"));
        CHECK(!lvm_dm_uuid_matches(dm, "6ulcSy"));
        /* LVM's hidden sub-devices and other device-mapper users. */
        CHECK(!lvm_dm_uuid_is_lv("LVM-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA6ulcSytX4fERXdkwmbJnBt1UwR8PodpZ-cow"));
        CHECK(!lvm_dm_uuid_is_lv("CRYPT-LUKS2-0123456789abcdef0123456789abcdef-root"));
        CHECK(!lvm_dm_uuid_is_lv(""));
}

TEST(names_are_lvm_names) {
        CHECK(lvm_name_valid("vg0"));
        CHECK(lvm_name_valid("stasis-12-0"));
        CHECK(lvm_name_valid("a+b_c.d"));
        CHECK(!lvm_name_valid(""));
        CHECK(!lvm_name_valid("-x"));
        CHECK(!lvm_name_valid(".."));
        CHECK(!lvm_name_valid("a/b"));
        CHECK(!lvm_name_valid("a b"));
}

TEST(invalid_snapshots_are_told_by_their_attributes) {
        CHECK(lvm_attr_invalid("swi-I-s---"));
        CHECK(lvm_attr_invalid("Swi-I-s---"));
        CHECK(lvm_attr_invalid("Swi-a-s---"));
        CHECK(!lvm_attr_invalid("swi-a-s---"));
        CHECK(!lvm_attr_invalid("owi-aos---"));
        CHECK(!lvm_attr_invalid("Vwi---tz-k"));
        CHECK(!lvm_attr_invalid("-wi-I-----"));
        CHECK(!lvm_attr_invalid(""));
}
