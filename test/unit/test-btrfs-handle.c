/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-btrfs-handle.c - unit tests of btrfs snapshot handles and volume keys: only what stasis makes parses */
#include <stdint.h>
#include <string.h>

#include "btrfs/btrfs-store.h"
#include "macro.h"
#include "tests.h"

static const uint8_t FSID[16] = { 0x6c, 0x1f, 0x0b, 0x2e, 0x9d, 0x8a, 0x4c, 0x3f,
                                  0x8e, 0x7d, 0x6c, 0x5b, 0x4a, 0x39, 0x28, 0x17 };
#define UUID "6c1f0b2e-9d8a-4c3f-8e7d-6c5b4a392817"

TEST(handle_round_trip) {
        _cleanup_free_ char *h = NULL;
        uint8_t fsid[16];
        const char *name = NULL;

        CHECK_INTEQ(btrfs_handle_format(FSID, "12", 3, &h), 0);
        CHECK_STREQ(h, UUID ":/.stasis/12-3");
        CHECK_INTEQ(btrfs_handle_parse(h, fsid, &name), 1);
        CHECK(memcmp(fsid, FSID, 16) == 0);
        CHECK_STREQ(name, "12-3");
}

TEST(handle_format_refuses_odd_set_ids) {
        char *h = NULL;
        CHECK_INTEQ(btrfs_handle_format(FSID, "../1", 0, &h), -EINVAL);
        CHECK_INTEQ(btrfs_handle_format(FSID, "", 0, &h), -EINVAL);
        CHECK(!h);
}

TEST(handle_parse_refuses_everything_else) {
        static const char *const bad[] = {
                UUID ":/.stasis/../secret/v3",
                UUID ":/.stasis/12-0/..",
                UUID ":/.stasis/12-0/x",
                UUID ":/.stasis/12",
                UUID ":/.stasis/-0",
                UUID ":/.stasis/12-",
                UUID ":/.stasis/12-0-1",
                UUID ":/.stasis//12-0",
                UUID ":/.stasis/ 12-0",
                UUID ":/.stasis/123456789012345678901-0",
                UUID ":/other/12-0",
                UUID ":.stasis/12-0",
                "6C1F0B2E-9D8A-4C3F-8E7D-6C5B4A392817:/.stasis/12-0",
                "6c1f0b2e9d8a4c3f8e7d6c5b4a392817:/.stasis/12-0",
                "6c1f0b2e-9d8a-4c3f-8e7d-6c5b4a39281:/.stasis/12-0",
                "/mnt/pool/vol/.stasis/../../victim/v3",
                "/mnt/pool/vol/.stasis/12",
                "",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint8_t fsid[16];
                const char *name = NULL;
                if (btrfs_handle_parse(bad[i], fsid, &name) != 0) {
                        fprintf(stderr, "accepted: %s\n", bad[i]);
                        CHECK(false);
                }
        }
}

TEST(key_parse) {
        uint8_t fsid[16];
        uint64_t id = 0;

        CHECK_INTEQ(btrfs_key_parse("btrfs:6c1f0b2e9d8a4c3f8e7d6c5b4a392817:256", fsid, &id), 0);
        CHECK(memcmp(fsid, FSID, 16) == 0);
        CHECK_INTEQ(id, 256);
        CHECK_INTEQ(btrfs_key_parse("btrfs:6c1f0b2e9d8a4c3f8e7d6c5b4a392817:", fsid, &id), -EINVAL);
        CHECK_INTEQ(btrfs_key_parse("btrfs:6c1f0b2e9d8a4c3f8e7d6c5b4a39281:5", fsid, &id), -EINVAL);
        CHECK_INTEQ(btrfs_key_parse("test:/dev/loop0", fsid, &id), -EINVAL);
        CHECK_INTEQ(btrfs_key_parse(NULL, fsid, &id), -EINVAL);
}

TEST(fsid_format) {
        char s[BTRFS_FSID_STRING_MAX];
        btrfs_fsid_format(FSID, s);
        CHECK_STREQ(s, UUID);
}
