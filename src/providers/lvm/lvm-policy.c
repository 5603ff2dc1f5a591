/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lvm-policy.c - the LVM provider's pure parts: snapshot size policy, handles, tags, device-mapper UUIDs */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lvm-policy.h"

static int parse_u64(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        if (len == 0 || len > 19)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char) s[i]))
                        return -EINVAL;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        *ret = v;
        return 0;
}

int lvm_size_policy_parse(const char *s, LvmSizePolicy *ret) {
        const char *pct;
        uint64_t v;

        if (!s || !*s)
                return -EINVAL;
        pct = strchr(s, '%');
        if (pct) {
                LvmSizeKind kind;
                if (strcmp(pct + 1, "ORIGIN") == 0)
                        kind = LVM_SIZE_ORIGIN;
                else if (strcmp(pct + 1, "USED") == 0)
                        kind = LVM_SIZE_USED;
                else
                        return -EINVAL;
                if (parse_u64(s, (size_t) (pct - s), &v) < 0 || v == 0 ||
                    v > (kind == LVM_SIZE_ORIGIN ? 100 : 1000))
                        return -EINVAL;
                *ret = (LvmSizePolicy) { kind, v };
                return 0;
        }

        size_t len = strlen(s);
        unsigned shift = 0;
        switch (s[len - 1]) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        default: break;
        }
        if (shift)
                len--;
        if (parse_u64(s, len, &v) < 0 || v == 0 || v > (UINT64_MAX >> 1 >> shift))
                return -EINVAL;
        *ret = (LvmSizePolicy) { LVM_SIZE_FIXED, v << shift };
        return 0;
}

static uint64_t round_up(uint64_t v, uint64_t to) {
        if (to == 0 || v % to == 0)
                return v;
        return v + (to - v % to);
}

uint64_t lvm_size_policy_bytes(const LvmSizePolicy *p, uint64_t origin_bytes, uint64_t used_bytes,
                               uint64_t extent_bytes) {
        uint64_t b;

        switch (p->kind) {
        case LVM_SIZE_ORIGIN:
                b = origin_bytes / 100 * p->value + origin_bytes % 100 * p->value / 100;
                break;
        case LVM_SIZE_USED:
                b = used_bytes / 100 * p->value + used_bytes % 100 * p->value / 100;
                break;
        default:
                b = p->value;
                break;
        }
        if (b < LVM_SNAPSHOT_MIN_BYTES)
                b = LVM_SNAPSHOT_MIN_BYTES;
        if (origin_bytes > 0 && b > origin_bytes)
                b = origin_bytes;
        return round_up(b, extent_bytes);
}

int lvm_handle_parse(const char *handle, char set_id[static 20], unsigned *ret_index) {
        const char *id, *dash;
        uint64_t v, index;

        if (!handle || strncmp(handle, "stasis-", 7) != 0)
                return -EINVAL;
        id = handle + 7;
        dash = strchr(id, '-');
        if (!dash || dash == id || id[0] == '0' || (size_t) (dash - id) > 19)
                return -EINVAL;
        if (parse_u64(id, (size_t) (dash - id), &v) < 0 || v > INT64_MAX)
                return -EINVAL;
        if ((dash[1] == '0' && dash[2]) || parse_u64(dash + 1, strlen(dash + 1), &index) < 0 || index > 63)
                return -EINVAL;
        memcpy(set_id, id, (size_t) (dash - id));
        set_id[dash - id] = 0;
        *ret_index = (unsigned) index;
        return 0;
}

const char *lvm_format_bytes(uint64_t bytes, char buf[static 32]) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
        double v = (double) bytes;
        size_t u = 0;
        while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
                v /= 1024;
                u++;
        }
        if (u == 0)
                snprintf(buf, 32, "%llu B", (unsigned long long) bytes);
        else
                snprintf(buf, 32, "%.2f %s", v, units[u]);
        return buf;
}

static bool is_uuid_chars(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]))
                        return false;
        return true;
}

bool lvm_dm_uuid_is_lv(const char *dm_uuid) {
        return dm_uuid && strncmp(dm_uuid, "LVM-", 4) == 0 && strlen(dm_uuid) == 4 + 64 &&
               is_uuid_chars(dm_uuid + 4, 64);
}

bool lvm_dm_uuid_matches(const char *dm_uuid, const char *lv_uuid) {
        char plain[33];
        size_t n = 0;

        if (!lvm_dm_uuid_is_lv(dm_uuid) || !lv_uuid)
                return false;
        for (const char *c = lv_uuid; *c; c++) {
                if (*c == '-')
                        continue;
                if (n == 32)
                        return false;
                plain[n++] = *c;
        }
        plain[n] = 0;
        return n == 32 && strcmp(dm_uuid + 4 + 32, plain) == 0;
}

bool lvm_tags_contain(const char *tags, const char *tag) {
        size_t l = strlen(tag);
        for (const char *p = tags; p && *p;) {
                const char *e = strchr(p, ',');
                size_t n = e ? (size_t) (e - p) : strlen(p);
                if (n == l && strncmp(p, tag, l) == 0)
                        return true;
                p = e ? e + 1 : NULL;
        }
        return false;
}

bool lvm_name_valid(const char *name) {
        size_t l = name ? strlen(name) : 0;
        if (l == 0 || l > 127 || name[0] == '-' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (const char *c = name; *c; c++)
                if (!isalnum((unsigned char) *c) && !strchr("+_.-", *c))
                        return false;
        return true;
}

bool lvm_attr_invalid(const char *attr) {
        if (!attr || !*attr)
                return false;
        return attr[0] == 'S' || (strlen(attr) >= 5 && (attr[0] == 's' || attr[0] == 'S') && attr[4] == 'I');
}
