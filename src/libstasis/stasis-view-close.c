/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-view-close.c - telling stasisd that the views it handed out are closed (CloseView, ForgetViews) */
#include "stasis-lists-internal.h"

static int set_call(StasisRequestor *r, const char *id, const char *member) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int k;

        k = requestor_begin(r);
        if (k < 0)
                return k;
        k = requestor_new_set_call(r, id, member, &m);
        if (k < 0)
                return k;
        return requestor_call(r, m, NULL);
}

int stasis_requestor_close_view(StasisRequestor *r, const char *id) {
        return set_call(r, id, "CloseView");
}

int stasis_requestor_forget_views(StasisRequestor *r, const char *id) {
        return set_call(r, id, "ForgetViews");
}
