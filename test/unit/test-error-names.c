/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-error-names.c - unit tests of the public error names and codes of libstasis and of local requestor failures */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bus-errors.h"
#include "stasis/stasis.h"
#include "tests.h"

/* The codes as released: a code is never renumbered nor given to another
 * name. A new name is added here with the next value. */
static const struct {
        const char *name;
        int code;
} released[] = {
        { "org.stasis1.Error.NoSuchSet", 2 },
        { "org.stasis1.Error.NoSuchPath", 3 },
        { "org.stasis1.Error.NotADirectory", 4 },
        { "org.stasis1.Error.NoProvider", 5 },
        { "org.stasis1.Error.InvalidArgument", 6 },
        { "org.stasis1.Error.LimitExceeded", 7 },
        { "org.stasis1.Error.Busy", 8 },
        { "org.stasis1.Error.ProviderFailed", 9 },
        { "org.stasis1.Error.Timeout", 10 },
        { "org.stasis1.Error.AccessDenied", 11 },
        { "org.stasis1.Error.NoSuchComponent", 12 },
        { "org.stasis1.Error.NoSuchWriter", 13 },
        { "org.stasis1.Error.WriterFailed", 14 },
        { "org.stasis1.Error.WriterRetryable", 15 },
        { "org.stasis1.Error.Veto", 16 },
        { "org.stasis1.Error.VetoRetryable", 17 },
        { "org.stasis1.Error.NoSpace", 18 },
        { "org.stasis1.Error.NoSuchOrphan", 19 },
        { "org.stasis1.Error.SetExists", 20 },
        { "org.stasis1.Error.Disconnected", 21 },
        { "org.stasis1.Error.NoAnswer", 22 },
};

TEST(error_codes_fixed) {
        CHECK_INTEQ(STASIS_ERR_NONE, 0);
        CHECK_INTEQ(STASIS_ERR_OTHER, 1);
        CHECK_INTEQ(_STASIS_ERR_MAX, 23);
        for (size_t i = 0; i < sizeof released / sizeof released[0]; i++) {
                CHECK_INTEQ(stasis_error_from_name(released[i].name), released[i].code);
                CHECK_STREQ(stasis_error_to_name((StasisError) released[i].code), released[i].name);
        }
        CHECK_INTEQ(STASIS_ERR_NO_SUCH_SET, 2);
        CHECK_INTEQ(STASIS_ERR_BUSY, 8);
        CHECK_INTEQ(STASIS_ERR_WRITER_FAILED, 14);
        CHECK_INTEQ(STASIS_ERR_WRITER_RETRYABLE, 15);
        CHECK_INTEQ(STASIS_ERR_VETO_RETRYABLE, 17);
        CHECK_STREQ(stasis_error_to_name(STASIS_ERR_NO_PROVIDER), STASIS_ERROR_NO_PROVIDER);
}

/* Each name its own code, each code (but NONE and OTHER) its own name. */
TEST(error_names_one_to_one) {
        for (int a = 0; a < _STASIS_ERR_MAX; a++) {
                const char *na = stasis_error_to_name((StasisError) a);

                if (a <= STASIS_ERR_OTHER) {
                        CHECK(na == NULL);
                        continue;
                }
                CHECK(na != NULL);
                CHECK(strncmp(na, "org.stasis1.Error.", 18) == 0);
                CHECK_INTEQ(stasis_error_from_name(na), a);
                for (int b = a + 1; b < _STASIS_ERR_MAX; b++) {
                        const char *nb = stasis_error_to_name((StasisError) b);
                        CHECK(!nb || strcmp(na, nb) != 0);
                }
        }
}

TEST(error_names_other) {
        CHECK_INTEQ(stasis_error_from_name(NULL), STASIS_ERR_NONE);
        CHECK_INTEQ(stasis_error_from_name(""), STASIS_ERR_OTHER);
        CHECK_INTEQ(stasis_error_from_name("org.stasis1.Error."), STASIS_ERR_OTHER);
        CHECK_INTEQ(stasis_error_from_name("org.stasis1.Error.nosuchset"), STASIS_ERR_OTHER);
        CHECK_INTEQ(stasis_error_from_name("org.stasis1.Error.NoSuchSetX"), STASIS_ERR_OTHER);
        CHECK_INTEQ(stasis_error_from_name("org.stasis2.Error.NoSuchSet"), STASIS_ERR_OTHER);
        CHECK_INTEQ(stasis_error_from_name("org.freedesktop.DBus.Error.AccessDenied"), STASIS_ERR_OTHER);
        CHECK_INTEQ(stasis_error_from_name("org.freedesktop.DBus.Error.ServiceUnknown"), STASIS_ERR_OTHER);
        CHECK(stasis_error_to_name(STASIS_ERR_NONE) == NULL);
        CHECK(stasis_error_to_name(STASIS_ERR_OTHER) == NULL);
        CHECK(stasis_error_to_name(_STASIS_ERR_MAX) == NULL);
        CHECK(stasis_error_to_name((StasisError) -1) == NULL);
        CHECK(stasis_error_to_name((StasisError) 1000) == NULL);
}

/* Every name stasisd answers with (its private map) is a public name with
 * a code of its own. */
TEST(error_names_cover_stasisd) {
        size_t n = 0;

        for (const sd_bus_error_map *m = stasis_bus_error_map; m->name; m++, n++) {
                StasisError c = stasis_error_from_name(m->name);

                CHECK(c > STASIS_ERR_OTHER);
                CHECK_STREQ(stasis_error_to_name(c), m->name);
        }
        CHECK_INTEQ(n, 17);
}

TEST(error_info_null) {
        CHECK_INTEQ(stasis_error_info_code(NULL), STASIS_ERR_NONE);
        CHECK(stasis_error_info_name(NULL) == NULL);
        CHECK_STREQ(stasis_error_info_message(NULL), "");
        CHECK_INTEQ(stasis_error_info_errno(NULL), 0);
}

/* Failures before stasisd is asked anything are local: code OTHER, no name. */
TEST(requestor_local_failures) {
        StasisRequestor *r;
        const StasisErrorInfo *e;
        char *id = (char *) "untouched";
        int q;

        CHECK_INTEQ(stasis_requestor_new(NULL), -EINVAL);
        CHECK(stasis_requestor_unref(NULL) == NULL);
        CHECK_INTEQ(stasis_requestor_create_set(NULL, NULL, NULL), -EINVAL);
        CHECK_INTEQ(stasis_requestor_new(&r), 0);
        CHECK(stasis_requestor_last_error(r) == NULL);
        CHECK_INTEQ(stasis_requestor_set_bus_address(r, "unix:path=/nonexistent/stasis-test-bus"), 0);
        q = stasis_requestor_connect(r);
        CHECK(q < 0);
        e = stasis_requestor_last_error(r);
        CHECK(e != NULL);
        CHECK_INTEQ(stasis_error_info_code(e), STASIS_ERR_OTHER);
        CHECK(stasis_error_info_name(e) == NULL);
        CHECK_INTEQ(stasis_error_info_errno(e), -q);
        CHECK(strstr(stasis_error_info_message(e), "/nonexistent/stasis-test-bus") != NULL);
        /* ret_* untouched on failure */
        StasisSetRequest *sr;
        CHECK_INTEQ(stasis_set_request_new(&sr), 0);
        CHECK(stasis_requestor_create_set(r, sr, &id) < 0);
        CHECK_STREQ(id, "untouched");
        CHECK_INTEQ(stasis_set_request_add_path(sr, ""), -EINVAL);
        CHECK_INTEQ(stasis_set_request_set_persistent(sr, 2), -EINVAL);
        CHECK_INTEQ(stasis_set_request_set_require_writers(sr, -1), -EINVAL);
        stasis_set_request_unref(sr);
        CHECK(stasis_requestor_unref(r) == NULL);
}

TEST(set_null_accessors) {
        CHECK(stasis_set_id(NULL) == NULL);
        CHECK_INTEQ(stasis_set_volume_count(NULL), 0);
        CHECK(stasis_set_volume_snapshot(NULL, 0) == NULL);
        CHECK(stasis_set_component_name(NULL, 0) == NULL);
        CHECK(stasis_set_list_free(NULL) == NULL);
        CHECK(stasis_set_unref(NULL) == NULL);
}
