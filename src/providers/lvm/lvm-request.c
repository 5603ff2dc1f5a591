/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-request.c - the volume objects of the LVM provider's requests */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lvm-policy.h"
#include "lvm-request.h"

int parse_volume(json_object *o, const char *what, bool with_handle, Volume *v) {
        char set_id[20];
        unsigned index;

        *v = (Volume) {};
        if (!o)
                return fail("request lacks \"volume\"");
        if (!json_object_is_type(o, json_type_object))
                return fail("%s is not a JSON object", what);
        if (get_string(o, what, "path", true, &v->path) < 0 ||
            get_string(o, what, "mount_point", true, &v->mount_point) < 0 ||
            get_string(o, what, "device", true, &v->device) < 0 ||
            get_string(o, what, "fstype", true, &v->fstype) < 0 ||
            get_string(o, what, "source", with_handle, &v->source) < 0 ||
            get_string(o, what, "key", with_handle, &v->key) < 0 ||
            get_string(o, what, "handle", with_handle, &v->handle) < 0)
                return -1;
        if (!with_handle)
                return 0;

        if (lvm_handle_parse(v->handle, set_id, &index) < 0)
                return fail("%s field \"handle\" is not a handle stasisd makes: '%s'", what, v->handle);
        if (strncmp(v->key, "lvm:", 4) != 0 || strlen(v->key + 4) != 38)
                return fail("%s field \"key\" is not this provider's key (lvm:LV-UUID): '%s'", what, v->key);
        v->uuid = v->key + 4;
        for (const char *c = v->uuid; *c; c++)
                if (!isalnum((unsigned char) *c) && *c != '-')
                        return fail("%s field \"key\" is not this provider's key (lvm:LV-UUID): '%s'", what, v->key);
        /* The source is "VG/LV"; the LV part is empty for a snapshot whose
         * origin was removed (list), and only the VG is used then. */
        const char *slash = strchr(v->source, '/');
        if (!slash || (size_t) (slash - v->source) >= sizeof v->vg || strlen(slash + 1) >= sizeof v->lv)
                return fail("%s field \"source\" is not VG/LV: '%s'", what, v->source);
        memcpy(v->vg, v->source, (size_t) (slash - v->source));
        v->vg[slash - v->source] = 0;
        strcpy(v->lv, slash + 1);
        if (!lvm_name_valid(v->vg) || (v->lv[0] && !lvm_name_valid(v->lv)))
                return fail("%s field \"source\" is not VG/LV: '%s'", what, v->source);
        return 0;
}

int parse_single_volume(json_object *req, Volume *v) {
        json_object *o = NULL;
        (void) json_object_object_get_ex(req, "volume", &o);
        if (o && json_object_is_type(o, json_type_null))
                o = NULL;
        return parse_volume(o, "volume", true, v);
}
