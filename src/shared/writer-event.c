/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-event.c - the names of the org.stasis1.Writer events, for stasisd and libstasis */
#include <stddef.h>

#include "writer-event.h"

static const char *const names[_STASIS_EVENT_MAX] = {
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
};

const char *writer_event_name(StasisWriterEvent e) {
        return (int) e >= 0 && e < _STASIS_EVENT_MAX ? names[e] : NULL;
}
