/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-lvm-report.c - unit tests of the LVM provider's reading of lvs and vgs JSON reports, on lvm2 2.03's own output */
#include <errno.h>
#include <stdint.h>

#include "lvm-report.h"
#include "macro.h"
#include "tests.h"

/* What `lvs --reportformat json --units b --nosuffix -o LVM_LVS_FIELDS`
 * printed (lvm2 2.03.16), with report/time_format="%s": an active classic
 * LV and an inactive thin snapshot with tags. */
static const char report[] =
        "  {\n"
        "      \"report\": [\n"
        "          {\n"
        "              \"lv\": [\n"
        "                  {\"lv_name\":\"classic\", \"vg_name\":\"vg0\", \"lv_uuid\":\"6ulcSy-tX4f-ERXd-kwmb-JnBt-1UwR-8PodpZ\", \"lv_attr\":\"owi-a-s---\", \"segtype\":\"linear\", \"pool_lv\":\"\", \"origin\":\"\", \"lv_size\":\"104857600\", \"lv_kernel_major\":\"254\", \"lv_kernel_minor\":\"5\", \"lv_tags\":\"\", \"lv_time\":\"1796430652\", \"vg_free\":\"738197504\", \"vg_extent_size\":\"4194304\", \"lv_path\":\"/dev/vg0/classic\", \"data_percent\":\"37.51\", \"metadata_percent\":\"\"},\n"
        "                  {\"lv_name\":\"thinsnap\", \"vg_name\":\"vg0\", \"lv_uuid\":\"zelsYu-LqLr-RQ7R-rFkP-1256-XFdr-00Vrpx\", \"lv_attr\":\"Vwi---tz-k\", \"segtype\":\"thin\", \"pool_lv\":\"pool\", \"origin\":\"thinlv\", \"lv_size\":\"104857600\", \"lv_kernel_major\":\"-1\", \"lv_kernel_minor\":\"-1\", \"lv_tags\":\"stasis,stasis_set_1,stasis_vol_0\", \"lv_time\":\"1796430652\", \"vg_free\":\"738197504\", \"vg_extent_size\":\"4194304\", \"lv_path\":\"/dev/vg0/thinsnap\"}\n"
        "              ]\n"
        "          }\n"
        "      ]\n"
        "  }\n";

TEST(lvs_report_rows) {
        LvmLv *lvs = NULL;
        size_t n = 0;

        CHECK_INTEQ(lvm_report_parse_lvs(report, &lvs, &n), 0);
        CHECK_INTEQ(n, 2);
        CHECK_STREQ(lvs[0].name, "classic");
        CHECK_STREQ(lvs[0].vg, "vg0");
        CHECK_STREQ(lvs[0].uuid, "6ulcSy-tX4f-ERXd-kwmb-JnBt-1UwR-8PodpZ");
        CHECK_STREQ(lvs[0].segtype, "linear");
        CHECK_STREQ(lvs[0].origin, "");
        CHECK(lvs[0].size == 104857600);
        CHECK(lvs[0].vg_free == 738197504);
        CHECK(lvs[0].extent_size == 4194304);
        CHECK_INTEQ(lvs[0].major, 254);
        CHECK_INTEQ(lvs[0].minor, 5);
        CHECK(lvs[0].time == 1796430652);
        CHECK_STREQ(lvs[1].tags, "stasis,stasis_set_1,stasis_vol_0");
        CHECK_STREQ(lvs[1].origin, "thinlv");
        CHECK_INTEQ(lvs[1].major, -1);
        /* How full, in hundredths of a percent; -1 when not told (an older lvm). */
        CHECK_INTEQ(lvs[0].data_percent, 3751);
        CHECK_INTEQ(lvs[0].metadata_percent, -1);
        CHECK_INTEQ(lvs[1].data_percent, -1);
        lvm_lvs_free(lvs, n);
}

TEST(lvs_report_empty) {
        LvmLv *lvs = NULL;
        size_t n = 9;
        CHECK_INTEQ(lvm_report_parse_lvs("{\"report\":[{\"lv\":[]}]}", &lvs, &n), 0);
        CHECK_INTEQ(n, 0);
        lvm_lvs_free(lvs, n);
}

TEST(lvs_report_refused) {
        static const char *const bad[] = {
                "", "{", "[]", "{\"report\":[]}", "{\"report\":{}}", "{\"report\":[{\"vg\":[]}]}",
                "{\"report\":[{\"lv\":{}}]}",
                /* A number that is not one, a field that is missing. */
                "{\"report\":[{\"lv\":[{\"lv_size\":\"12x\",\"lv_kernel_major\":\"1\",\"lv_kernel_minor\":\"1\","
                "\"lv_time\":\"1\",\"vg_free\":\"1\",\"vg_extent_size\":\"1\"}]}]}",
                "{\"report\":[{\"lv\":[{\"lv_name\":\"x\"}]}]}",
                "{\"report\":[{\"lv\":[7]}]}",
                /* A percentage that is not one. */
                "{\"report\":[{\"lv\":[{\"lv_size\":\"12\",\"lv_kernel_major\":\"1\",\"lv_kernel_minor\":\"1\","
                "\"lv_time\":\"1\",\"vg_free\":\"1\",\"vg_extent_size\":\"1\",\"data_percent\":\"101\"}]}]}",
                "{\"report\":[{\"lv\":[{\"lv_size\":\"12\",\"lv_kernel_major\":\"1\",\"lv_kernel_minor\":\"1\","
                "\"lv_time\":\"1\",\"vg_free\":\"1\",\"vg_extent_size\":\"1\",\"metadata_percent\":\"5%\"}]}]}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                LvmLv *lvs = NULL;
                size_t n = 0;
                if (lvm_report_parse_lvs(bad[i], &lvs, &n) != -EBADMSG) {
                        fprintf(stderr, "lvm_report_parse_lvs took \"%s\"\n", bad[i]);
                        tests_failed++;
                        return;
                }
        }
}

TEST(vgs_report_rows) {
        size_t n = 9;
        CHECK_INTEQ(lvm_report_count_rows("{\"report\":[{\"vg\":[{\"vg_name\":\"vg0\"}]}]}", "vg", &n), 0);
        CHECK_INTEQ(n, 1);
        CHECK_INTEQ(lvm_report_count_rows("{\"report\":[{\"vg\":[]}]}", "vg", &n), 0);
        CHECK_INTEQ(n, 0);
        CHECK_INTEQ(lvm_report_count_rows("{\"report\":[{\"lv\":[]}]}", "vg", &n), -EBADMSG);
}
