/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* exec-list.h - the list verb of external providers: the snapshots in their stores, checked */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#include "provider.h"

#define EXEC_LIST_MAX          16384             /* snapshots in one answer */
#define EXEC_LIST_OUTPUT_MAX   (4 * 1024 * 1024) /* bytes of one answer */
#define EXEC_LIST_TEXT_MAX     4096              /* bytes of a key or source */
#define EXEC_LIST_INDEX_MAX    64                /* the most volumes a set has (MANAGER_VOLUMES_PER_SET_MAX) */

/* Reads a handle stasisd gives an external provider's snapshot, stasis-SETID-INDEX (set id 1 to
 * INT64_MAX, index below EXEC_LIST_INDEX_MAX, decimal without leading zeros): -EINVAL for any
 * other string. */
int exec_handle_parse(const char *handle, char **ret_set_id, uint64_t *ret_index);

/* Reads a provider's answer to list (a JSON object with "version"): the number of snapshots with
 * them in *ret, or -EBADMSG with res->message naming the provider and what is wrong. */
int exec_list_parse(const StasisProvider *self, json_object *resp, StasisStoredSnapshot **ret, size_t *ret_n,
                    StasisProviderResult *res);

/* The list op of an external provider: runs "PROVIDER list" (STASIS_PROVIDER_LIST_TIMEOUT,
 * EXEC_LIST_OUTPUT_MAX) and checks every snapshot it names; an answer with one that stasisd
 * could not have made, or a handle twice, is refused whole (-EBADMSG, res->message says why). */
int exec_list(const StasisProvider *self, StasisStoredSnapshot **ret, size_t *ret_n, StasisProviderResult *res);
