/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* provider-exec.h - what the parts of the external providers share */
#pragma once

#include "provider.h"

/* The executable of an external provider (one that stasis_providers_load_external() made). */
const char *exec_provider_path(const StasisProvider *self);
