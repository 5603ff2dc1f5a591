/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-version.c - run-time version and bus address of libstasis */
#include "bus-util.h"
#include "stasis/stasis.h"

int stasis_version_number(void) {
        return STASIS_VERSION_NUMBER;
}

const char *stasis_version(void) {
        return STASIS_VERSION;
}

const char *stasis_bus_address(void) {
        return bus_stasis_address();
}
