/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* redis-link.h - one hiredis asynchronous connection to the Redis server, driven by an sd-event loop */
#pragma once

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <systemd/sd-event.h>

#include "redis-config.h"

typedef struct RedisLink RedisLink;

/* A command's answer: reply is NULL when the connection was lost (or could
 * not be made) before it came; error then says why. */
typedef void (*RedisReplyFn)(RedisLink *l, redisReply *reply, const char *error, void *userdata);

int redis_link_new(RedisLink **ret, sd_event *event, const RedisConfig *c);
RedisLink *redis_link_free(RedisLink *l);

/* Sends a command (argv as for redisAsyncCommandArgv), connecting first if
 * there is no connection (with AUTH first, when a password is configured).
 * fn is called exactly once, from the loop, never from within this call;
 * unless this fails (-ENOMEM, -ESHUTDOWN while the link is being freed). */
int redis_link_command(RedisLink *l, RedisReplyFn fn, void *userdata, int argc, const char *const *argv);

/* Drops the connection: pending commands get reply NULL and error. */
void redis_link_drop(RedisLink *l, const char *why);

/* snprintf() for messages, where cutting a long one short is fine. */
void redis_format(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "unix socket /run/redis/redis.sock" or "127.0.0.1:6379", for messages. */
const char *redis_link_where(const RedisLink *l);

/* What the server says of its files at start. */
typedef struct RedisServerInfo {
        char *dir;              /* CONFIG GET dir */
        char *dbfilename;       /* the RDB file in it */
        char *appenddirname;    /* the AOF directory in it (Redis 7) */
        int aof;                /* appendonly yes */
} RedisServerInfo;

/* Connects synchronously (for start-up), authenticates, and asks. Fails
 * with a message in why. */
int redis_probe(const RedisConfig *c, RedisServerInfo *ret, char *why, size_t why_size);
void redis_server_info_done(RedisServerInfo *i);
