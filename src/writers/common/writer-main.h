/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* writer-main.h - what the shipped writers' main() share: options, start-up, the loop */
#pragma once

#include <systemd/sd-event.h>

#include "stasis/stasis.h"

/* --config PATH into *config, --bus-address ADDR into *bus, -h/--help
 * (help() called). Returns 1 to go on, 0 after --help, -EINVAL (logged)
 * on a bad option or an argument. */
int writer_parse_argv(int argc, char *argv[], void (*help)(void), const char **config, const char **bus);

/* w's state changes logged, w attached to event, SIGTERM and SIGINT ending
 * the loop, w started. Logs why not. */
int writer_start(StasisWriter *w, sd_event *event);

/* The loop, until SIGTERM or SIGINT; logs a failure. */
int writer_loop(sd_event *event);
