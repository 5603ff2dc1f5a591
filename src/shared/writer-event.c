/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-event.c - the names of the org.stasis1.Writer events, for stasisd and libstasis */
#include <stddef.h>

#include "string-table.h"
#include "writer-event.h"

static const char *const writer_event_table[_STASIS_EVENT_MAX] = {
        [STASIS_EVENT_IDENTIFY]         = "Identify",
        [STASIS_EVENT_PREPARE_BACKUP]   = "PrepareBackup",
        [STASIS_EVENT_PREPARE_SNAPSHOT] = "PrepareSnapshot",
        [STASIS_EVENT_FREEZE]           = "Freeze",
        [STASIS_EVENT_THAW]             = "Thaw",
        [STASIS_EVENT_POST_SNAPSHOT]    = "PostSnapshot",
        [STASIS_EVENT_BACKUP_COMPLETE]  = "BackupComplete",
        [STASIS_EVENT_ABORT]            = "Abort",
        [STASIS_EVENT_PRE_RESTORE]      = "PreRestore",
        [STASIS_EVENT_POST_RESTORE]     = "PostRestore",
        [STASIS_EVENT_SET_DELETED]      = "SetDeleted",
};

DEFINE_PRIVATE_STRING_TABLE_LOOKUP_TO_STRING(writer_event, StasisWriterEvent)

const char *writer_event_name(StasisWriterEvent e) {
        return writer_event_to_string(e);
}
