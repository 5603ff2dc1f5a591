/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-errors.c - the org.stasis1.Error.* names and the errno each maps to */
#include <errno.h>

#include "bus-errors.h"

const sd_bus_error_map stasis_bus_error_map[] = {
        SD_BUS_ERROR_MAP(STASIS_ERROR_NO_SUCH_SET,      ENXIO),
        SD_BUS_ERROR_MAP(STASIS_ERROR_NO_SUCH_PATH,     ENOENT),
        SD_BUS_ERROR_MAP(STASIS_ERROR_NOT_A_DIRECTORY,  ENOTDIR),
        SD_BUS_ERROR_MAP(STASIS_ERROR_NO_PROVIDER,      EOPNOTSUPP),
        SD_BUS_ERROR_MAP(STASIS_ERROR_INVALID_ARGUMENT, EINVAL),
        SD_BUS_ERROR_MAP(STASIS_ERROR_LIMIT_EXCEEDED,   E2BIG),
        SD_BUS_ERROR_MAP(STASIS_ERROR_BUSY,             EBUSY),
        SD_BUS_ERROR_MAP(STASIS_ERROR_PROVIDER_FAILED,  EIO),
        SD_BUS_ERROR_MAP(STASIS_ERROR_TIMEOUT,          ETIMEDOUT),
        SD_BUS_ERROR_MAP(STASIS_ERROR_ACCESS_DENIED,    EACCES),
        SD_BUS_ERROR_MAP(STASIS_ERROR_NO_SUCH_COMPONENT, ENXIO),
        SD_BUS_ERROR_MAP(STASIS_ERROR_NO_SUCH_WRITER,   ENXIO),
        SD_BUS_ERROR_MAP(STASIS_ERROR_WRITER_FAILED,    ECANCELED),
        SD_BUS_ERROR_MAP(STASIS_ERROR_WRITER_RETRYABLE, EAGAIN),
        SD_BUS_ERROR_MAP(STASIS_ERROR_NO_SPACE,         ENOSPC),
        SD_BUS_ERROR_MAP(STASIS_ERROR_NO_SUCH_ORPHAN,   ENXIO),
        SD_BUS_ERROR_MAP(STASIS_ERROR_SET_EXISTS,       EEXIST),
        SD_BUS_ERROR_MAP_END
};

int stasis_bus_error_map_register(void) {
        return sd_bus_error_add_map(stasis_bus_error_map);
}
