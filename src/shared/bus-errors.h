/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-errors.h - the org.stasis1.Error.* names and the errno each maps to */
#pragma once

#include <systemd/sd-bus.h>

#define STASIS_ERROR_NO_SUCH_SET       "org.stasis1.Error.NoSuchSet"
#define STASIS_ERROR_NO_SUCH_PATH      "org.stasis1.Error.NoSuchPath"
#define STASIS_ERROR_NOT_A_DIRECTORY   "org.stasis1.Error.NotADirectory"
#define STASIS_ERROR_NO_PROVIDER       "org.stasis1.Error.NoProvider"
#define STASIS_ERROR_INVALID_ARGUMENT  "org.stasis1.Error.InvalidArgument"
#define STASIS_ERROR_LIMIT_EXCEEDED    "org.stasis1.Error.LimitExceeded"
#define STASIS_ERROR_BUSY              "org.stasis1.Error.Busy"
#define STASIS_ERROR_PROVIDER_FAILED   "org.stasis1.Error.ProviderFailed"
#define STASIS_ERROR_TIMEOUT           "org.stasis1.Error.Timeout"
#define STASIS_ERROR_ACCESS_DENIED     "org.stasis1.Error.AccessDenied"
#define STASIS_ERROR_NO_SUCH_COMPONENT "org.stasis1.Error.NoSuchComponent"
#define STASIS_ERROR_NO_SUCH_WRITER    "org.stasis1.Error.NoSuchWriter"
#define STASIS_ERROR_WRITER_FAILED     "org.stasis1.Error.WriterFailed"
#define STASIS_ERROR_WRITER_RETRYABLE  "org.stasis1.Error.WriterRetryable"
#define STASIS_ERROR_NO_SUCH_ORPHAN    "org.stasis1.Error.NoSuchOrphan"
#define STASIS_ERROR_SET_EXISTS        "org.stasis1.Error.SetExists"
/* What a writer answers an event with to veto it (also in stasis/stasis.h). */
#define STASIS_ERROR_VETO              "org.stasis1.Error.Veto"
#define STASIS_ERROR_VETO_RETRYABLE    "org.stasis1.Error.VetoRetryable"

extern const sd_bus_error_map stasis_bus_error_map[];

/* Registers the map with sd-bus so errno and names convert both ways. */
int stasis_bus_error_map_register(void);
