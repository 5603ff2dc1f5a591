/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis.h - the public libstasis API: talk to stasisd as a requestor or a writer */
#pragma once

#include <stasis/stasis-version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The D-Bus names stasisd uses (see docs/dbus-api.md). */
#define STASIS_BUS_NAME          "org.stasis1"
#define STASIS_MANAGER_PATH      "/org/stasis1"
#define STASIS_MANAGER_INTERFACE "org.stasis1.Manager"
#define STASIS_SET_PATH_PREFIX   "/org/stasis1/set"
#define STASIS_SET_INTERFACE     "org.stasis1.Set"

/* The version of the library loaded at run time, as STASIS_VERSION_NUMBER
 * and STASIS_VERSION. Never fail. */
int stasis_version_number(void);
const char *stasis_version(void);

/* The address of the bus stasisd is on: $STASIS_BUS_ADDRESS, else
 * $DBUS_SYSTEM_BUS_ADDRESS, else NULL (the default system bus). The string
 * belongs to the environment; do not free it. */
const char *stasis_bus_address(void);

#ifdef __cplusplus
}
#endif
