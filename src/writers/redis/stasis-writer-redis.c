/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasis-writer-redis.c - a stasis writer for a Redis server: its dataset saved, with writes paused, at each freeze */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "log.h"
#include "macro.h"
#include "redis-config.h"
#include "redis-link.h"
#include "redis-writer.h"
#include "stasis/stasis.h"
#include "writer-main.h"

static void help(void) {
        printf("Usage: stasis-writer-redis [OPTION...]\n\n"
               "A stasis writer for a Redis server (see stasis-writer-redis(8)).\n\n"
               "  --config PATH        the configuration (default " REDIS_CONFIG_FILE ")\n"
               "  --bus-address ADDR   the bus to register on (default: the system bus)\n"
               "  -h, --help           this help\n");
}

int main(int argc, char *argv[]) {
        WriterArgs args = { .help = help, .config = REDIS_CONFIG_FILE };
        RedisServerInfo info = {};
        RedisConfig *c = NULL;
        StasisWriter *w = NULL;
        RedisWriter *rw = NULL;
        sd_event *event = NULL;
        char why[600];
        int r;
        RedisMode mode;

        log_set_prefix("stasis-writer-redis");
        r = writer_parse_argv(argc, argv, &args);
        if (r <= 0)
                return r < 0 ? 2 : 0;

        r = redis_config_load(args.config, args.config != (const char *) REDIS_CONFIG_FILE, &c);
        if (r < 0)
                return 1;
        r = redis_probe(c, &info, why, sizeof why);
        if (r < 0) {
                log_error("%s.", why);
                goto finish;
        }
        mode = c->mode != REDIS_MODE_AUTO ? c->mode : info.aof ? REDIS_MODE_AOF : REDIS_MODE_RDB;
        if (mode == REDIS_MODE_AOF && !info.aof) {
                r = log_error_errno(EINVAL, "%s: Mode=aof, but the server does not write an AOF (appendonly no).", args.config);
                goto finish;
        }

        const char *paths[] = { info.dir, NULL };
        r = writer_server_new("redis", &c->server, args.bus, &event, &w);
        if (r < 0)
                goto finish;
        r = stasis_writer_add_component(w, REDIS_COMPONENT, paths, 1, mode == REDIS_MODE_AOF ?
                                        "Redis data directory: the AOF, current at each freeze" :
                                        "Redis data directory: the RDB dump, saved at each freeze");
        if (r >= 0)
                r = redis_writer_new(&rw, w, event, c, mode, mode == REDIS_MODE_AOF ? info.appenddirname : info.dbfilename);
        if (r < 0) {
                log_error_errno(r, "Cannot set up the writer: %m");
                goto finish;
        }
        r = writer_start(w, event);
        if (r < 0)
                goto finish;
        log_info("Writing for %s, data directory %s, mode %s.", c->server.socket ?: c->server.host, info.dir, redis_mode_to_string(mode));
        r = writer_loop(event);

finish:
        rw = redis_writer_free(rw);
        w = stasis_writer_unref(w);
        event = sd_event_unref(event);
        redis_server_info_done(&info);
        redis_config_free(c);
        return r < 0 ? 1 : 0;
}
