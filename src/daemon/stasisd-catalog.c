/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog.c - the SQLite record of snapshot sets and their volumes */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "macro.h"
#include "path-trust.h"
#include "stasisd-catalog-internal.h"
#include "stasisd-catalog.h"

#define CATALOG_STRINGIFY_(x) #x
#define CATALOG_STRINGIFY(x) CATALOG_STRINGIFY_(x)



/* Creates the directories above path (0755), like mkdir -p of its parent. */
static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = 0;
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        return 0;
}

static const char schema[] =
        "CREATE TABLE IF NOT EXISTS sets ("
        "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  created INTEGER NOT NULL,"
        "  label TEXT NOT NULL DEFAULT '',"
        "  persistent INTEGER NOT NULL,"
        "  owner_uid INTEGER NOT NULL,"
        "  state TEXT NOT NULL,"
        "  consistency TEXT NOT NULL DEFAULT '',"
        "  completed INTEGER NOT NULL DEFAULT 0,"
        "  hold_usec INTEGER NOT NULL DEFAULT 0,"
        "  request_id TEXT,"
        "  expires INTEGER NOT NULL DEFAULT 0,"
        "  policy TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE IF NOT EXISTS volumes ("
        "  set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL,"
        "  path TEXT NOT NULL,"
        "  mount_point TEXT NOT NULL,"
        "  device TEXT NOT NULL,"
        "  fstype TEXT NOT NULL,"
        "  provider TEXT NOT NULL,"
        "  source TEXT NOT NULL,"
        "  volume_key TEXT NOT NULL,"
        "  handle TEXT NOT NULL,"
        "  missing INTEGER NOT NULL DEFAULT 0,"
        "  PRIMARY KEY (set_id, idx));"
        "CREATE TABLE IF NOT EXISTS components ("
        "  set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL,"
        "  writer TEXT NOT NULL,"
        "  instance TEXT NOT NULL,"
        "  component TEXT NOT NULL,"
        "  consistency TEXT NOT NULL,"
        "  reason TEXT NOT NULL DEFAULT '',"
        "  PRIMARY KEY (set_id, idx));"
        "CREATE TABLE IF NOT EXISTS failed_requests ("
        "  owner_uid INTEGER NOT NULL,"
        "  request_id TEXT NOT NULL,"
        "  failed INTEGER NOT NULL,"
        "  error_name TEXT NOT NULL,"
        "  error_message TEXT NOT NULL,"
        "  PRIMARY KEY (owner_uid, request_id));"
        "CREATE INDEX IF NOT EXISTS failed_requests_by_time ON failed_requests (failed);"
        "CREATE TABLE IF NOT EXISTS writers ("
        "  name TEXT NOT NULL,"
        "  instance TEXT NOT NULL,"
        "  owner_uid INTEGER NOT NULL,"
        "  metadata TEXT NOT NULL,"
        "  registered INTEGER NOT NULL,"
        "  PRIMARY KEY (name, instance));"
        "CREATE TABLE IF NOT EXISTS set_events ("
        "  set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,"
        "  at INTEGER NOT NULL,"
        "  event TEXT NOT NULL);"
        "CREATE INDEX IF NOT EXISTS set_events_by_set ON set_events (set_id);"
        "CREATE TABLE IF NOT EXISTS metadata ("
        "  set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL,"
        "  writer TEXT NOT NULL,"
        "  instance TEXT NOT NULL,"
        "  component TEXT NOT NULL,"
        "  name TEXT,"
        "  path TEXT,"
        "  data BLOB NOT NULL,"
        "  mode INTEGER NOT NULL DEFAULT 0,"
        "  PRIMARY KEY (set_id, idx));"
        "CREATE TABLE IF NOT EXISTS excluded_writers ("
        "  set_id INTEGER NOT NULL REFERENCES sets(id) ON DELETE CASCADE,"
        "  idx INTEGER NOT NULL,"
        "  name TEXT NOT NULL,"
        "  PRIMARY KEY (set_id, idx));"
        "CREATE TABLE IF NOT EXISTS removals ("
        "  set_id INTEGER NOT NULL,"
        "  policy TEXT NOT NULL,"
        "  removed INTEGER NOT NULL,"
        "  reason TEXT NOT NULL,"
        "  created INTEGER NOT NULL DEFAULT 0,"
        "  label TEXT NOT NULL DEFAULT '');"
        "CREATE INDEX IF NOT EXISTS removals_by_time ON removals (removed);"
        "CREATE TABLE IF NOT EXISTS id_reserve (reserved INTEGER NOT NULL);"
        "INSERT INTO id_reserve (reserved) "
        "  SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sets'), 0) "
        "  WHERE NOT EXISTS (SELECT 1 FROM id_reserve);";

/* Schema version 1 to 2: writer components, completion and hold time. */
static const char upgrade_v2[] =
        "ALTER TABLE sets ADD COLUMN completed INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sets ADD COLUMN hold_usec INTEGER NOT NULL DEFAULT 0;";

/* Schema version 3 to 4: a set's request id. (The tables of failed
 * requests and of registered writers are new: the schema makes them.) */
static const char upgrade_v4[] =
        "ALTER TABLE sets ADD COLUMN request_id TEXT;";

/* Schema version 4 to 5: a set's expiry and the policy that made it. (The
 * history of removals is a new table: the schema makes it.) */
static const char upgrade_v5_retention[] =
        "ALTER TABLE sets ADD COLUMN expires INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sets ADD COLUMN policy TEXT NOT NULL DEFAULT '';";

int catalog_fail(Catalog *c, int r, const char *what) {
        int code = c->db ? sqlite3_errcode(c->db) & 0xff : SQLITE_OK;
        if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
                snprintf(c->error, sizeof c->error,
                         "Catalog %s is not a stasis catalog, or it is damaged (%s). stasisd will not use it: "
                         "restore it from a backup; or move it away to start a new, empty catalog (set ids then "
                         "start again from 1, and the snapshots it lists are no longer known to stasisd)",
                         c->path, sqlite3_errmsg(c->db));
        else
                snprintf(c->error, sizeof c->error, "%s: %s", what, c->db ? sqlite3_errmsg(c->db) : "no database");
        /* A full disk shows as SQLITE_FULL, or as an I/O error whose errno says so. */
        if (c->db && sqlite3_system_errno(c->db) == ENOSPC)
                return -ENOSPC;
        return r;
}

/* The catalog's files, where they are: regular files (a symbolic link is
 * not followed), owned by root and writable by nobody else; and the catalog
 * itself not empty (an empty one would start anew: set ids would be reused
 * and the snapshots it listed forgotten). */
static int check_files(Catalog *c) {
        static const char *const suffixes[] = { "", "-wal", "-shm" };
        char why[256];
        struct stat st;

        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s%s", c->path, suffixes[i]) < 0)
                        return -ENOMEM;
                if (lstat(p, &st) < 0) {
                        int r = -errno;
                        if (r == -ENOENT)
                                continue;
                        snprintf(c->error, sizeof c->error, "Cannot look at catalog %s: %s", p, strerror(-r));
                        return r;
                }
                if (S_ISLNK(st.st_mode) || !S_ISREG(st.st_mode)) {
                        snprintf(c->error, sizeof c->error, "Catalog %s is %s; stasisd uses only a regular file. "
                                 "Check it; put the catalog itself in its place, or restore it from a backup",
                                 p, S_ISLNK(st.st_mode) ? "a symbolic link" : "not a regular file");
                        return -EPERM;
                }
                if (stat_check_trusted(&st, p, false, why, sizeof why) < 0) {
                        snprintf(c->error, sizeof c->error, "Catalog %s; it must be owned by root and writable by "
                                 "nobody else. Check who changed it; if its content can be trusted, "
                                 "chown root:root %s; chmod 0600 %s", why, p, p);
                        return -EPERM;
                }
                if (i == 0 && st.st_size == 0) {
                        snprintf(c->error, sizeof c->error, "Catalog %s is empty (0 bytes): the record of the snapshot "
                                 "sets is lost, and starting on it would reuse set ids and forget the snapshots "
                                 "made so far; restore it from a backup, or remove it to start a new catalog "
                                 "knowingly", p);
                        return -EUCLEAN;
                }
        }
        return 0;
}

/* Maps SQLite result codes to errno. */
static int sqlite_errno(int rc) {
        switch (rc & 0xff) {
        case SQLITE_NOMEM:   return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:  return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH:    return -EACCES;
        case SQLITE_FULL:    return -ENOSPC;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:  return -EUCLEAN;
        case SQLITE_CANTOPEN: return -ENOENT;
        default:             return -EIO;
        }
}

static int exec(Catalog *c, const char *sql) {
        int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
        if (rc != SQLITE_OK)
                return catalog_fail(c, sqlite_errno(rc), sql);
        return 0;
}

const char *catalog_last_error(const Catalog *c) {
        return c->error;
}

Catalog *catalog_close(Catalog *c) {
        if (!c)
                return NULL;
        /* A clean stop gives the unused reserved ids back, so that ids run on
         * without gaps from one start to the next. Synced: the reservation
         * must not outlive the records it covers. */
        if (c->db && c->made_sets && !c->not_durable)
                (void) sqlite3_exec(c->db, "UPDATE id_reserve SET reserved = "
                                           "(SELECT seq FROM sqlite_sequence WHERE name = 'sets') "
                                           "WHERE reserved > (SELECT seq FROM sqlite_sequence WHERE name = 'sets')",
                                    NULL, NULL, NULL);
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(c->stmts[i]);
        sqlite3_close_v2(c->db);
        free(c->path);
        free(c->reserve_path);
        free(c->dir);
        free(c);
        return NULL;
}

static int open_into(Catalog *c, const char *dir);

/* From schema version *userdata (0: a new catalog) to this one. */
static int upgrade(Catalog *c, void *userdata) {
        int version = *(const int *) userdata, r;

        if (version == 1) {
                r = exec(c, upgrade_v2);
                if (r < 0)
                        return r;
        }
        if (version >= 1 && version < 4) {
                r = exec(c, upgrade_v4);
                if (r < 0)
                        return r;
        }
        if (version >= 1 && version < 5) {
                r = exec(c, upgrade_v5_retention);
                if (r < 0)
                        return r;
        }
        r = exec(c, schema);
        if (r < 0)
                return r;
        return exec(c, "PRAGMA user_version=" CATALOG_STRINGIFY(CATALOG_SCHEMA_VERSION));
}

/* Opens path and sets the connection up. exclusive: hold the catalog for
 * this connection alone, which keeps SQLite's WAL index in memory instead of
 * a -shm file (that needs room the disk may not have). */
static int open_db(Catalog *c, const char *path, bool exclusive) {
        int rc = sqlite3_open_v2(path, &c->db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                                 SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOFOLLOW, NULL);
        if (rc != SQLITE_OK)
                return catalog_fail(c, sqlite_errno(rc), path);
        sqlite3_busy_timeout(c->db, 5000);
        if (exclusive) {
                int r = exec(c, "PRAGMA locking_mode=EXCLUSIVE");
                if (r < 0)
                        return r;
        }

        /* WAL with synchronous=FULL: every commit syncs the write-ahead log
         * before it returns. A set is recorded (with its id, from
         * AUTOINCREMENT's sequence, which removals never lower) before any of
         * its snapshots is taken, and recorded created before the requestor
         * is told; after a power cut the catalog knows every set that was
         * acknowledged, and every id that was given. STASIS_BENCH_CATALOG_SYNC
         * =normal, for benchmarks only (docs/benchmarks.md), measures the
         * old setting against it. */
        const char *e = secure_getenv("STASIS_BENCH_CATALOG_SYNC");
        c->not_durable = e && streq(e, "normal");
        return exec(c, c->not_durable ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                                      : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
}

bool catalog_durable(const Catalog *c) {
        return !c->not_durable;
}

int catalog_open(const char *dir, Catalog **ret) {
        return catalog_open_why(dir, ret, NULL, 0);
}

int catalog_open_why(const char *dir, Catalog **ret, char *why, size_t why_size) {
        _cleanup_(catalog_closep) Catalog *c = calloc(1, sizeof(Catalog));
        int r;

        if (!c)
                return -ENOMEM;
        r = open_into(c, dir);
        if (r < 0) {
                if (why_size > 0)
                        snprintf(why, why_size, "%s", c->error[0] ? c->error : strerror(-r));
                return r;
        }
        *ret = TAKE_PTR(c);
        return 0;
}

static int open_into(Catalog *c, const char *dir) {
        const char *path;
        int rc, r;

        if (!c)
                return -ENOMEM;
        r = mkdir_parents(dir);
        if (r < 0)
                return r;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (asprintf(&c->path, "%s/catalog.db", dir) < 0) {
                c->path = NULL;
                return -ENOMEM;
        }
        path = c->path;
        r = check_files(c);
        if (r < 0)
                return r;

        c->dir = strdup(dir);
        if (!c->dir || asprintf(&c->reserve_path, "%s/catalog.reserve", dir) < 0) {
                c->reserve_path = NULL;
                return -ENOMEM;
        }
        r = open_db(c, path, false);
        if (r == -ENOSPC) {
                /* The disk is full: no room for the -shm file. */
                sqlite3_close_v2(c->db);
                c->db = NULL;
                r = open_db(c, path, true);
        }
        if (r < 0)
                return r;

        sqlite3_stmt *st;
        int version = 0;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return catalog_fail(c, sqlite_errno(rc), "reading the schema version");
        if (sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);

        if (version > CATALOG_SCHEMA_VERSION) {
                snprintf(c->error, sizeof c->error,
                         "%s has schema version %d, newer than this stasisd knows (%d)",
                         path, version, CATALOG_SCHEMA_VERSION);
                return -EPROTO;
        }
        if (version != CATALOG_SCHEMA_VERSION) {
                /* In one transaction with the new version number, so that an
                 * upgrade cut short is done again from the start. (Written
                 * only when it changes: a start on a full disk writes nothing.) */
                r = catalog_in_transaction(c, upgrade, &version);
                if (r < 0)
                        return r;
        }

        rc = sqlite3_prepare_v2(c->db, "SELECT reserved FROM id_reserve", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return catalog_fail(c, sqlite_errno(rc), "reading the reserved set ids");
        if (sqlite3_step(st) == SQLITE_ROW)
                c->reserved_id = (uint64_t) sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        /* After a stop that did not lower it (a crash, a power cut), ids
         * up to the mark may have been given: the first set recorded raises
         * the next id above it (in its own transaction, so that a start on
         * a full disk writes nothing). */
        c->raise_pending = c->reserved_id > 0;
        return 0;
}

void set_components_free(SetComponent *c, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(c[i].writer);
                free(c[i].instance);
                free(c[i].component);
                free(c[i].consistency);
                free(c[i].reason);
        }
        free(c);
}

void catalog_set_done(CatalogSet *s) {
        set_components_free(s->components, s->n_components);
        free(s->label);
        free(s->state);
        free(s->consistency);
        free(s->request_id);
        free(s->policy);
        for (size_t i = 0; i < s->n_volumes; i++)
                stasis_volume_done(&s->volumes[i]);
        free(s->volumes);
        *s = (CatalogSet) {};
}

void catalog_sets_free(CatalogSet *sets, size_t n) {
        for (size_t i = 0; i < n; i++)
                catalog_set_done(&sets[i]);
        free(sets);
}


/* The cached statement idx, reset and unbound; NULL with c->error set. */
static sqlite3_stmt *stmt(Catalog *c, int idx, const char *sql) {
        if (!c->stmts[idx] && sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                                 &c->stmts[idx], NULL) != SQLITE_OK) {
                catalog_fail(c, -EIO, sql);
                return NULL;
        }
        sqlite3_reset(c->stmts[idx]);
        sqlite3_clear_bindings(c->stmts[idx]);
        return c->stmts[idx];
}

int catalog_step_done(Catalog *c, sqlite3_stmt *st, const char *what) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return catalog_fail(c, sqlite_errno(rc), what);
        return 0;
}

/* Runs body in one transaction: all of it is recorded, or none. */
int catalog_in_transaction(Catalog *c, int (*body)(Catalog *c, void *userdata), void *userdata) {
        int r = exec(c, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = body(c, userdata);
        if (r >= 0)
                r = exec(c, "COMMIT");
        if (r < 0)
                (void) sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

/* ---- room on a full disk ---- */

/* Puts the whole reserve in place; what is there is kept if it cannot. */
static int make_reserve(Catalog *c) {
        _cleanup_close_ int fd = open(c->reserve_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        return -posix_fallocate(fd, 0, CATALOG_RESERVE_SIZE);
}

/* Gives up a step of the reserve; -ENOSPC if none is left. */
static int use_reserve(Catalog *c) {
        _cleanup_close_ int fd = open(c->reserve_path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;

        if (fd < 0 || fstat(fd, &st) < 0)
                return -ENOSPC;
        off_t held = MIN(st.st_size, (off_t) st.st_blocks * 512);
        if (held <= 0)
                return -ENOSPC;
        return ftruncate(fd, held > CATALOG_RESERVE_STEP ? held - CATALOG_RESERVE_STEP : 0) < 0 ? -errno : 0;
}

int catalog_check_room(Catalog *c) {
        struct stat st;
        int r;

        if (stat(c->reserve_path, &st) < 0 || st.st_size < CATALOG_RESERVE_SIZE ||
            (uint64_t) st.st_blocks * 512 < CATALOG_RESERVE_SIZE) {
                r = make_reserve(c);
                if (r < 0)
                        return r;
        }
        /* Room beyond it. Far from full, what statvfs() gives unprivileged
         * users is room enough, and costs no write (this is asked before
         * every create). Near full, its figure may include blocks no file
         * can have: then room is allocated in an unnamed file, given back
         * at close. */
        struct statvfs sv;
        if (statvfs(c->dir, &sv) >= 0 && (uint64_t) sv.f_bavail * sv.f_frsize >= CATALOG_ROOM_AMPLE)
                return 0;
        _cleanup_close_ int fd = open(c->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0)
                return errno == EOPNOTSUPP || errno == EISDIR ? 0 : -errno;     /* cannot tell */
        r = posix_fallocate(fd, 0, CATALOG_ROOM_MIN);
        return r == 0 || r == EOPNOTSUPP ? 0 : -r;
}

/* Runs a write that frees (a set removed or marked deleting): on a full disk,
 * gives up a step of the reserve at a time and tries again, so that sets can
 * be deleted to make room. */
static int with_reserve(Catalog *c, int (*body)(Catalog *c, void *userdata), void *userdata) {
        int r = body(c, userdata);
        while (r == -ENOSPC && use_reserve(c) >= 0)
                r = body(c, userdata);
        return r;
}

typedef struct AddSet {
        bool synced;            /* the commit is synced */
        uint64_t reserved;      /* the new mark, if this set's id passed the old one */
        CatalogSet *set;
        int (*prepare)(CatalogSet *s, void *userdata);
        void *userdata;
} AddSet;

/* Records the volumes of set s, which is recorded; what names the step in an error. */
static int insert_volumes(Catalog *c, const CatalogSet *s, const char *what) {
        sqlite3_stmt *vst;
        int r;

        vst = stmt(c, STMT_INSERT_VOLUME,
                   "INSERT INTO volumes (set_id, idx, path, mount_point, device, fstype, provider, "
                   "source, volume_key, handle, missing) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!vst)
                return -EIO;
        for (size_t i = 0; i < s->n_volumes; i++) {
                const StasisVolume *v = &s->volumes[i];
                sqlite3_reset(vst);
                sqlite3_bind_int64(vst, 1, (sqlite3_int64) s->id);
                sqlite3_bind_int64(vst, 2, (sqlite3_int64) i);
                sqlite3_bind_text(vst, 3, strempty(v->path), -1, SQLITE_STATIC);
                sqlite3_bind_text(vst, 4, strempty(v->mount_point), -1, SQLITE_STATIC);
                sqlite3_bind_text(vst, 5, strempty(v->device), -1, SQLITE_STATIC);
                sqlite3_bind_text(vst, 6, strempty(v->fstype), -1, SQLITE_STATIC);
                sqlite3_bind_text(vst, 7, v->provider ? v->provider->name : "", -1, SQLITE_STATIC);
                sqlite3_bind_text(vst, 8, strempty(v->source), -1, SQLITE_STATIC);
                sqlite3_bind_text(vst, 9, strempty(v->key), -1, SQLITE_STATIC);
                sqlite3_bind_text(vst, 10, strempty(v->handle), -1, SQLITE_STATIC);
                sqlite3_bind_int(vst, 11, v->missing);
                r = catalog_step_done(c, vst, what);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The id the next set would get; UINT64_MAX when unknown (the commit is then synced). */
static uint64_t next_id(Catalog *c) {
        sqlite3_stmt *st = stmt(c, STMT_NEXT_ID, "SELECT seq FROM sqlite_sequence WHERE name = 'sets'");
        uint64_t id = 1;
        if (!st)
                return UINT64_MAX;
        if (sqlite3_step(st) == SQLITE_ROW)
                id = (uint64_t) sqlite3_column_int64(st, 0) + 1;
        sqlite3_reset(st);
        return id;
}

/* Ids are reserved in blocks, durably: a new set's record need not be synced
 * before its snapshots are taken, as no id up to the mark is ever given
 * again (see catalog_open() and catalog_close()); only the set that passes
 * the mark syncs, with the new mark. A power cut may then lose the record of
 * a set that was never acknowledged; its snapshots, if any were taken, are
 * orphans under an id that is not given again. */
static int reserve_ids(Catalog *c, uint64_t id, bool synced, uint64_t *ret_reserved) {
        _cleanup_stmt_ sqlite3_stmt *up = NULL;

        *ret_reserved = 0;
        if (id <= c->reserved_id)
                return 0;
        if (!synced)
                return -EAGAIN;         /* guessed wrong: again, synced */
        if (id > INT64_MAX - CATALOG_ID_BLOCK)
                return catalog_fail(c, -ERANGE, "reserving set ids");
        if (sqlite3_prepare_v2(c->db, "UPDATE id_reserve SET reserved = ?", -1, &up, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the reservation of set ids");
        sqlite3_bind_int64(up, 1, (sqlite3_int64) (id + CATALOG_ID_BLOCK - 1));
        int r = catalog_step_done(c, up, "reserving set ids");
        if (r < 0)
                return r;
        *ret_reserved = id + CATALOG_ID_BLOCK - 1;
        return 0;
}

static int add_set(Catalog *c, void *userdata) {
        AddSet *a = userdata;
        CatalogSet *s = a->set;
        sqlite3_stmt *st;
        int r;

        st = stmt(c, STMT_INSERT_SET, "INSERT INTO sets (created, label, persistent, owner_uid, state, consistency, "
                                      "request_id, expires, policy) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) s->created);
        sqlite3_bind_text(st, 2, strempty(s->label), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, s->persistent);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) s->owner_uid);
        sqlite3_bind_text(st, 5, s->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, strempty(s->consistency), -1, SQLITE_STATIC);
        if (s->request_id)
                sqlite3_bind_text(st, 7, s->request_id, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 7);
        sqlite3_bind_int64(st, 8, (sqlite3_int64) s->expires);
        sqlite3_bind_text(st, 9, strempty(s->policy), -1, SQLITE_STATIC);
        if (c->raise_pending) {
                r = catalog_raise_next_id(c, c->reserved_id);
                if (r < 0)
                        return r;
        }
        r = catalog_step_done(c, st, "recording the set");
        if (r < 0)
                return r;
        s->id = (uint64_t) sqlite3_last_insert_rowid(c->db);
        r = reserve_ids(c, s->id, a->synced, &a->reserved);
        if (r < 0)
                return r;

        if (a->prepare) {
                r = a->prepare(s, a->userdata);
                if (r < 0) {
                        snprintf(c->error, sizeof c->error, "preparing set %" PRIu64 " failed", s->id);
                        return r;
                }
        }

        return insert_volumes(c, s, "recording a volume");
}

int catalog_add_set(Catalog *c, CatalogSet *s,
                    int (*prepare)(CatalogSet *s, void *userdata), void *userdata) {
        AddSet a = { .set = s, .prepare = prepare, .userdata = userdata };
        int r;

        /* The id AUTOINCREMENT will give is the sequence's next (the raise,
         * when pending, goes past the mark anyway). synchronous cannot
         * change inside a transaction, so it is chosen before. */
        a.synced = c->not_durable || c->raise_pending || next_id(c) > c->reserved_id;
        if (!a.synced) {
                r = exec(c, "PRAGMA synchronous=NORMAL");
                if (r < 0)
                        return r;
        }
        r = catalog_in_transaction(c, add_set, &a);
        if (!a.synced) {
                int q = exec(c, "PRAGMA synchronous=FULL");
                if (r == -EAGAIN) {
                        a.synced = true;
                        r = q < 0 ? q : catalog_in_transaction(c, add_set, &a);
                } else if (r >= 0)
                        r = q;
        }
        if (r < 0)
                return r;
        c->raise_pending = false;
        c->made_sets = true;
        if (a.reserved > 0)
                c->reserved_id = a.reserved;
        return r;
}

typedef struct UpdateState {
        uint64_t id;
        const char *state, *consistency;
} UpdateState;

static int update_state(Catalog *c, void *userdata) {
        const UpdateState *x = userdata;
        sqlite3_stmt *st = stmt(c, STMT_UPDATE_STATE,
                                "UPDATE sets SET state = ?, consistency = COALESCE(?, consistency) WHERE id = ?");
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, x->state, -1, SQLITE_STATIC);
        if (x->consistency)
                sqlite3_bind_text(st, 2, x->consistency, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) x->id);
        return catalog_step_done(c, st, "updating the set state");
}

int catalog_update_state(Catalog *c, uint64_t id, const char *state, const char *consistency) {
        UpdateState x = { id, state, consistency };
        return with_reserve(c, update_state, &x);
}

typedef struct RecordCreated {
        uint64_t id;
        const char *state, *consistency;
        usec_t hold_usec;
        const SetComponent *components;
        size_t n_components;
} RecordCreated;

static int record_created(Catalog *c, void *userdata) {
        const RecordCreated *x = userdata;
        sqlite3_stmt *st, *cst;
        int r;

        st = stmt(c, STMT_RECORD_CREATED, "UPDATE sets SET state = ?, consistency = ?, hold_usec = ? WHERE id = ?");
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, x->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, strempty(x->consistency), -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) x->hold_usec);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) x->id);
        r = catalog_step_done(c, st, "recording the created set");
        if (r < 0)
                return r;
        cst = stmt(c, STMT_INSERT_COMPONENT, "INSERT OR REPLACE INTO components (set_id, idx, writer, instance, "
                                             "component, consistency, reason) VALUES (?, ?, ?, ?, ?, ?, ?)");
        if (!cst)
                return -EIO;
        for (size_t i = 0; i < x->n_components; i++) {
                const SetComponent *k = &x->components[i];
                sqlite3_reset(cst);
                sqlite3_bind_int64(cst, 1, (sqlite3_int64) x->id);
                sqlite3_bind_int64(cst, 2, (sqlite3_int64) i);
                sqlite3_bind_text(cst, 3, k->writer, -1, SQLITE_STATIC);
                sqlite3_bind_text(cst, 4, strempty(k->instance), -1, SQLITE_STATIC);
                sqlite3_bind_text(cst, 5, k->component, -1, SQLITE_STATIC);
                sqlite3_bind_text(cst, 6, k->consistency, -1, SQLITE_STATIC);
                sqlite3_bind_text(cst, 7, strempty(k->reason), -1, SQLITE_STATIC);
                r = catalog_step_done(c, cst, "recording a component");
                if (r < 0)
                        return r;
        }
        return 0;
}

int catalog_record_created(Catalog *c, uint64_t id, const char *state, const char *consistency,
                           usec_t hold_usec, const SetComponent *components, size_t n_components) {
        RecordCreated x = { id, state, consistency, hold_usec, components, n_components };
        return catalog_in_transaction(c, record_created, &x);
}

int catalog_update_completed(Catalog *c, uint64_t id, usec_t completed) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(c->db, "UPDATE sets SET completed = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the completion update");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) completed);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) id);
        return catalog_step_done(c, st, "recording the completion");
}

int catalog_update_volume_missing(Catalog *c, uint64_t id, size_t index, bool missing) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(c->db, "UPDATE volumes SET missing = ? WHERE set_id = ? AND idx = ?",
                               -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the volume update");
        sqlite3_bind_int(st, 1, missing);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) id);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) index);
        return catalog_step_done(c, st, "updating a volume");
}

static int remove_set(Catalog *c, void *userdata) {
        sqlite3_stmt *st = stmt(c, STMT_REMOVE_SET, "DELETE FROM sets WHERE id = ?");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) *(const uint64_t *) userdata);
        return catalog_step_done(c, st, "removing the set");
}

int catalog_remove_set(Catalog *c, uint64_t id) {
        return with_reserve(c, remove_set, &id);
}

int catalog_column_strdup(sqlite3_stmt *st, int col, char **ret) {
        const unsigned char *t = sqlite3_column_text(st, col);
        *ret = strdup(t ? (const char *) t : "");
        return *ret ? 0 : -ENOMEM;
}

/* Room for element n of *array (elements of size bytes, *alloc of them
 * allocated), doubling as needed; NULL when out of memory. */
static void *grow(void *array, size_t *alloc, size_t n, size_t size, size_t first) {
        void **a = array;
        if (n == *alloc) {
                size_t na = *alloc ? *alloc * 2 : first;
                void *p = realloc(*a, na * size);
                if (!p)
                        return NULL;
                *a = p;
                *alloc = na;
        }
        return (char *) *a + n * size;
}

static int load_volumes(Catalog *c, const StasisProviders *providers, sqlite3_stmt *vst, CatalogSet *s) {
        size_t alloc = 0;
        int rc;

        sqlite3_reset(vst);
        sqlite3_bind_int64(vst, 1, (sqlite3_int64) s->id);
        while ((rc = sqlite3_step(vst)) == SQLITE_ROW) {
                StasisVolume *v = grow(&s->volumes, &alloc, s->n_volumes, sizeof(StasisVolume), 4);
                if (!v)
                        return -ENOMEM;
                _cleanup_free_ char *provider = NULL;
                *v = (StasisVolume) {};
                s->n_volumes++;
                if (catalog_column_strdup(vst, 0, &v->path) < 0 ||
                    catalog_column_strdup(vst, 1, &v->mount_point) < 0 ||
                    catalog_column_strdup(vst, 2, &v->device) < 0 ||
                    catalog_column_strdup(vst, 3, &v->fstype) < 0 ||
                    catalog_column_strdup(vst, 4, &provider) < 0 ||
                    catalog_column_strdup(vst, 5, &v->source) < 0 ||
                    catalog_column_strdup(vst, 6, &v->key) < 0 ||
                    catalog_column_strdup(vst, 7, &v->handle) < 0)
                        return -ENOMEM;
                v->missing = sqlite3_column_int(vst, 8) != 0;
                v->provider = stasis_provider_find(providers, provider);   /* NULL: a provider this build lacks */
        }
        if (rc != SQLITE_DONE)
                return catalog_fail(c, sqlite_errno(rc), "reading volumes");
        return 0;
}

static int load_components(Catalog *c, sqlite3_stmt *cst, CatalogSet *s) {
        size_t alloc = 0;
        int rc;

        sqlite3_reset(cst);
        sqlite3_bind_int64(cst, 1, (sqlite3_int64) s->id);
        while ((rc = sqlite3_step(cst)) == SQLITE_ROW) {
                SetComponent *k = grow(&s->components, &alloc, s->n_components, sizeof(SetComponent), 4);
                if (!k)
                        return -ENOMEM;
                *k = (SetComponent) {};
                s->n_components++;
                if (catalog_column_strdup(cst, 0, &k->writer) < 0 ||
                    catalog_column_strdup(cst, 1, &k->instance) < 0 ||
                    catalog_column_strdup(cst, 2, &k->component) < 0 ||
                    catalog_column_strdup(cst, 3, &k->consistency) < 0 ||
                    catalog_column_strdup(cst, 4, &k->reason) < 0)
                        return -ENOMEM;
        }
        if (rc != SQLITE_DONE)
                return catalog_fail(c, sqlite_errno(rc), "reading components");
        return 0;
}

int catalog_load(Catalog *c, const StasisProviders *providers, CatalogSet **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *vst = NULL, *cst = NULL;
        CatalogSet *sets = NULL;
        size_t n = 0, alloc = 0;
        int rc, r = 0;

        if (sqlite3_prepare_v2(c->db, "SELECT id, created, label, persistent, owner_uid, state, consistency, "
                                      "completed, hold_usec, request_id, expires, policy FROM sets ORDER BY id", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "SELECT writer, instance, component, consistency, reason FROM components "
                                      "WHERE set_id = ? ORDER BY idx", -1, &cst, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "SELECT path, mount_point, device, fstype, provider, source, "
                                      "volume_key, handle, missing FROM volumes WHERE set_id = ? ORDER BY idx",
                               -1, &vst, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the catalog load");

        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                CatalogSet *s = grow(&sets, &alloc, n, sizeof(CatalogSet), 16);
                if (!s) {
                        r = -ENOMEM;
                        goto fail;
                }
                n++;
                *s = (CatalogSet) {
                        .id = (uint64_t) sqlite3_column_int64(st, 0),
                        .created = (usec_t) sqlite3_column_int64(st, 1),
                        .persistent = sqlite3_column_int(st, 3) != 0,
                        .owner_uid = (uid_t) sqlite3_column_int64(st, 4),
                        .completed = (usec_t) sqlite3_column_int64(st, 7),
                        .hold_usec = (usec_t) sqlite3_column_int64(st, 8),
                        .expires = (usec_t) sqlite3_column_int64(st, 10),
                };
                if (catalog_column_strdup(st, 2, &s->label) < 0 ||
                    catalog_column_strdup(st, 5, &s->state) < 0 ||
                    catalog_column_strdup(st, 6, &s->consistency) < 0 ||
                    (sqlite3_column_type(st, 9) != SQLITE_NULL && catalog_column_strdup(st, 9, &s->request_id) < 0) ||
                    catalog_column_strdup(st, 11, &s->policy) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = load_volumes(c, providers, vst, s);
                if (r >= 0)
                        r = load_components(c, cst, s);
                if (r < 0)
                        goto fail;
        }
        if (rc != SQLITE_DONE) {
                r = catalog_fail(c, sqlite_errno(rc), "reading sets");
                goto fail;
        }

        *ret = sets;
        *ret_n = n;
        return 0;

fail:
        catalog_sets_free(sets, n);
        return r;
}

int catalog_raise_next_id(Catalog *c, uint64_t above) {
        _cleanup_stmt_ sqlite3_stmt *up = NULL, *ins = NULL;
        int r;

        if (above > INT64_MAX)
                return -ERANGE;
        /* AUTOINCREMENT hands out max(seq, largest id) + 1. */
        if (sqlite3_prepare_v2(c->db, "UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'sets' AND seq < ?1",
                               -1, &up, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "INSERT INTO sqlite_sequence (name, seq) SELECT 'sets', ?1 "
                                      "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'sets')",
                               -1, &ins, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the set id update");
        sqlite3_bind_int64(up, 1, (sqlite3_int64) above);
        sqlite3_bind_int64(ins, 1, (sqlite3_int64) above);
        r = catalog_step_done(c, up, "raising the next set id");
        if (r >= 0)
                r = catalog_step_done(c, ins, "raising the next set id");
        return r;
}

static int adopt_set(Catalog *c, void *userdata) {
        const CatalogSet *s = userdata;
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int r;

        if (sqlite3_prepare_v2(c->db, "INSERT INTO sets (id, created, label, persistent, owner_uid, state, "
                                      "consistency) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
                return catalog_fail(c, -EIO, "preparing the adoption");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) s->id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) s->created);
        sqlite3_bind_text(st, 3, strempty(s->label), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, s->persistent);
        sqlite3_bind_int64(st, 5, (sqlite3_int64) s->owner_uid);
        sqlite3_bind_text(st, 6, s->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, strempty(s->consistency), -1, SQLITE_STATIC);
        r = catalog_step_done(c, st, "recording the adopted set");
        if (r < 0)
                return r;
        /* Their snapshots were just found: none is marked missing. */
        return insert_volumes(c, s, "recording a volume of the adopted set");
}

int catalog_adopt_set(Catalog *c, const CatalogSet *s) {
        return catalog_in_transaction(c, adopt_set, (void *) s);
}
