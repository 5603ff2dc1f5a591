/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-exec-list.c - libFuzzer target for an external provider's list answer: only handles stasisd makes get through */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "exec-list.h"
#include "macro.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const StasisProvider provider = { .version = STASIS_PROVIDER_OPS_VERSION,
                                                 .size = sizeof(StasisProvider), .name = "fuzz", .external = true };
        StasisProviderResult res = {};
        StasisStoredSnapshot *found = NULL;
        size_t n = 0;
        char *s = malloc(size + 1);

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        json_object *o = json_tokener_parse(s);
        free(s);
        int r = exec_list_parse(&provider, o, &found, &n, &res);
        json_object_put(o);
        if (r < 0) {
                if (!res.message[0] && r != -ENOMEM)
                        abort();        /* every refusal says why */
                return 0;
        }
        for (size_t i = 0; i < n; i++) {
                char *id = NULL;
                uint64_t index;
                const StasisVolume *v = &found[i].volume;
                if (exec_handle_parse(v->handle, &id, &index) != 0 || !streq(id, found[i].set_id) ||
                    index != found[i].index || !v->key || !v->key[0] || !v->source || !utf8_is_valid(v->key) ||
                    !utf8_is_valid(v->source) || v->provider != &provider)
                        abort();
                free(id);
                if (i > 0 && streq(found[i - 1].volume.handle, v->handle))
                        abort();
        }
        stasis_stored_snapshots_free(found, n);
        return 0;
}
