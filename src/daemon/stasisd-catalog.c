/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* stasisd-catalog.c - the SQLite record of snapshot sets and their volumes */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "macro.h"
#include "stasisd-catalog.h"

enum {
        STMT_INSERT_SET,
        STMT_INSERT_COMPONENT,
        STMT_RECORD_CREATED,
        STMT_INSERT_VOLUME,
        STMT_UPDATE_STATE,
        STMT_REMOVE_SET,
        _STMT_MAX,
};

struct Catalog {
        sqlite3 *db;
        sqlite3_stmt *stmts[_STMT_MAX];     /* prepared once, reused */
        char error[512];
};

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
        "  hold_usec INTEGER NOT NULL DEFAULT 0);"
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
        "  PRIMARY KEY (set_id, idx));";

/* Schema version 1 to 2: writer components, completion and hold time. */
static const char upgrade_v2[] =
        "ALTER TABLE sets ADD COLUMN completed INTEGER NOT NULL DEFAULT 0;"
        "ALTER TABLE sets ADD COLUMN hold_usec INTEGER NOT NULL DEFAULT 0;";

static int fail(Catalog *c, int r, const char *what) {
        snprintf(c->error, sizeof c->error, "%s: %s", what, c->db ? sqlite3_errmsg(c->db) : "no database");
        return r;
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
                return fail(c, sqlite_errno(rc), sql);
        return 0;
}

const char *catalog_last_error(const Catalog *c) {
        return c->error;
}

Catalog *catalog_close(Catalog *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < _STMT_MAX; i++)
                sqlite3_finalize(c->stmts[i]);
        sqlite3_close_v2(c->db);
        free(c);
        return NULL;
}

int catalog_open(const char *dir, Catalog **ret) {
        _cleanup_(catalog_closep) Catalog *c = calloc(1, sizeof(Catalog));
        _cleanup_free_ char *path = NULL;
        int rc, r;

        if (!c)
                return -ENOMEM;
        r = mkdir_parents(dir);
        if (r < 0)
                return r;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        if (asprintf(&path, "%s/catalog.db", dir) < 0)
                return -ENOMEM;

        rc = sqlite3_open_v2(path, &c->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
                             SQLITE_OPEN_EXRESCODE, NULL);
        if (rc != SQLITE_OK)
                return fail(c, sqlite_errno(rc), path);
        sqlite3_busy_timeout(c->db, 5000);

        /* WAL with synchronous=NORMAL: a commit costs no fsync; a power cut
         * may lose the last commits, which the start-up reconcile reports. */
        r = exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        if (r < 0)
                return r;

        sqlite3_stmt *st;
        int version = 0;
        rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return fail(c, sqlite_errno(rc), "reading the schema version");
        if (sqlite3_step(st) == SQLITE_ROW)
                version = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);

        if (version > CATALOG_SCHEMA_VERSION) {
                snprintf(c->error, sizeof c->error,
                         "%s has schema version %d, newer than this stasisd knows (%d)",
                         path, version, CATALOG_SCHEMA_VERSION);
                return -EPROTO;
        }
        if (version == 1) {
                r = exec(c, upgrade_v2);
                if (r < 0)
                        return r;
        }
        r = exec(c, schema);
        if (r < 0)
                return r;
        r = exec(c, "PRAGMA user_version=2");
        if (r < 0)
                return r;

        *ret = TAKE_PTR(c);
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

static void finalizep(sqlite3_stmt **st) {
        sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

/* The cached statement idx, reset and unbound; NULL with c->error set. */
static sqlite3_stmt *stmt(Catalog *c, int idx, const char *sql) {
        if (!c->stmts[idx] && sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                                                 &c->stmts[idx], NULL) != SQLITE_OK) {
                fail(c, -EIO, sql);
                return NULL;
        }
        sqlite3_reset(c->stmts[idx]);
        sqlite3_clear_bindings(c->stmts[idx]);
        return c->stmts[idx];
}

static int step_done(Catalog *c, sqlite3_stmt *st, const char *what) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
                return fail(c, sqlite_errno(rc), what);
        return 0;
}

/* Runs body in one transaction: all of it is recorded, or none. */
static int in_transaction(Catalog *c, int (*body)(Catalog *c, void *userdata), void *userdata) {
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

typedef struct AddSet {
        CatalogSet *set;
        int (*prepare)(CatalogSet *s, void *userdata);
        void *userdata;
} AddSet;

static int add_set(Catalog *c, void *userdata) {
        AddSet *a = userdata;
        CatalogSet *s = a->set;
        sqlite3_stmt *st, *vst;
        int r;

        st = stmt(c, STMT_INSERT_SET, "INSERT INTO sets (created, label, persistent, owner_uid, state, consistency) "
                                      "VALUES (?, ?, ?, ?, ?, ?)");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) s->created);
        sqlite3_bind_text(st, 2, strempty(s->label), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 3, s->persistent);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) s->owner_uid);
        sqlite3_bind_text(st, 5, s->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, strempty(s->consistency), -1, SQLITE_STATIC);
        r = step_done(c, st, "recording the set");
        if (r < 0)
                return r;
        s->id = (uint64_t) sqlite3_last_insert_rowid(c->db);

        if (a->prepare) {
                r = a->prepare(s, a->userdata);
                if (r < 0) {
                        snprintf(c->error, sizeof c->error, "preparing set %" PRIu64 " failed", s->id);
                        return r;
                }
        }

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
                r = step_done(c, vst, "recording a volume");
                if (r < 0)
                        return r;
        }
        return 0;
}

int catalog_add_set(Catalog *c, CatalogSet *s,
                    int (*prepare)(CatalogSet *s, void *userdata), void *userdata) {
        AddSet a = { .set = s, .prepare = prepare, .userdata = userdata };
        return in_transaction(c, add_set, &a);
}

int catalog_update_state(Catalog *c, uint64_t id, const char *state, const char *consistency) {
        sqlite3_stmt *st = stmt(c, STMT_UPDATE_STATE,
                                "UPDATE sets SET state = ?, consistency = COALESCE(?, consistency) WHERE id = ?");
        if (!st)
                return -EIO;
        sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
        if (consistency)
                sqlite3_bind_text(st, 2, consistency, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) id);
        return step_done(c, st, "updating the set state");
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
        r = step_done(c, st, "recording the created set");
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
                r = step_done(c, cst, "recording a component");
                if (r < 0)
                        return r;
        }
        return 0;
}

int catalog_record_created(Catalog *c, uint64_t id, const char *state, const char *consistency,
                           usec_t hold_usec, const SetComponent *components, size_t n_components) {
        RecordCreated x = { id, state, consistency, hold_usec, components, n_components };
        return in_transaction(c, record_created, &x);
}

int catalog_update_completed(Catalog *c, uint64_t id, usec_t completed) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(c->db, "UPDATE sets SET completed = ? WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
                return fail(c, -EIO, "preparing the completion update");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) completed);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) id);
        return step_done(c, st, "recording the completion");
}

int catalog_update_volume_missing(Catalog *c, uint64_t id, size_t index, bool missing) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;

        if (sqlite3_prepare_v2(c->db, "UPDATE volumes SET missing = ? WHERE set_id = ? AND idx = ?",
                               -1, &st, NULL) != SQLITE_OK)
                return fail(c, -EIO, "preparing the volume update");
        sqlite3_bind_int(st, 1, missing);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) id);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) index);
        return step_done(c, st, "updating a volume");
}

int catalog_remove_set(Catalog *c, uint64_t id) {
        sqlite3_stmt *st = stmt(c, STMT_REMOVE_SET, "DELETE FROM sets WHERE id = ?");
        if (!st)
                return -EIO;
        sqlite3_bind_int64(st, 1, (sqlite3_int64) id);
        return step_done(c, st, "removing the set");
}

static int column_strdup(sqlite3_stmt *st, int col, char **ret) {
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

static int load_volumes(Catalog *c, sqlite3_stmt *vst, CatalogSet *s) {
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
                if (column_strdup(vst, 0, &v->path) < 0 ||
                    column_strdup(vst, 1, &v->mount_point) < 0 ||
                    column_strdup(vst, 2, &v->device) < 0 ||
                    column_strdup(vst, 3, &v->fstype) < 0 ||
                    column_strdup(vst, 4, &provider) < 0 ||
                    column_strdup(vst, 5, &v->source) < 0 ||
                    column_strdup(vst, 6, &v->key) < 0 ||
                    column_strdup(vst, 7, &v->handle) < 0)
                        return -ENOMEM;
                v->missing = sqlite3_column_int(vst, 8) != 0;
                v->provider = stasis_provider_find(provider);   /* NULL: a provider this build lacks */
        }
        if (rc != SQLITE_DONE)
                return fail(c, sqlite_errno(rc), "reading volumes");
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
                if (column_strdup(cst, 0, &k->writer) < 0 ||
                    column_strdup(cst, 1, &k->instance) < 0 ||
                    column_strdup(cst, 2, &k->component) < 0 ||
                    column_strdup(cst, 3, &k->consistency) < 0 ||
                    column_strdup(cst, 4, &k->reason) < 0)
                        return -ENOMEM;
        }
        if (rc != SQLITE_DONE)
                return fail(c, sqlite_errno(rc), "reading components");
        return 0;
}

int catalog_load(Catalog *c, CatalogSet **ret, size_t *ret_n) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *vst = NULL, *cst = NULL;
        CatalogSet *sets = NULL;
        size_t n = 0, alloc = 0;
        int rc, r = 0;

        if (sqlite3_prepare_v2(c->db, "SELECT id, created, label, persistent, owner_uid, state, consistency, "
                                      "completed, hold_usec FROM sets ORDER BY id", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "SELECT writer, instance, component, consistency, reason FROM components "
                                      "WHERE set_id = ? ORDER BY idx", -1, &cst, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "SELECT path, mount_point, device, fstype, provider, source, "
                                      "volume_key, handle, missing FROM volumes WHERE set_id = ? ORDER BY idx",
                               -1, &vst, NULL) != SQLITE_OK)
                return fail(c, -EIO, "preparing the catalog load");

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
                };
                if (column_strdup(st, 2, &s->label) < 0 ||
                    column_strdup(st, 5, &s->state) < 0 ||
                    column_strdup(st, 6, &s->consistency) < 0) {
                        r = -ENOMEM;
                        goto fail;
                }
                r = load_volumes(c, vst, s);
                if (r >= 0)
                        r = load_components(c, cst, s);
                if (r < 0)
                        goto fail;
        }
        if (rc != SQLITE_DONE) {
                r = fail(c, sqlite_errno(rc), "reading sets");
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
                return fail(c, -EIO, "preparing the set id update");
        sqlite3_bind_int64(up, 1, (sqlite3_int64) above);
        sqlite3_bind_int64(ins, 1, (sqlite3_int64) above);
        r = step_done(c, up, "raising the next set id");
        if (r >= 0)
                r = step_done(c, ins, "raising the next set id");
        return r;
}

static int adopt_set(Catalog *c, void *userdata) {
        const CatalogSet *s = userdata;
        _cleanup_stmt_ sqlite3_stmt *st = NULL, *vst = NULL;
        int r;

        if (sqlite3_prepare_v2(c->db, "INSERT INTO sets (id, created, label, persistent, owner_uid, state, "
                                      "consistency) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_prepare_v2(c->db, "INSERT INTO volumes (set_id, idx, path, mount_point, device, fstype, "
                                      "provider, source, volume_key, handle, missing) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)", -1, &vst, NULL) != SQLITE_OK)
                return fail(c, -EIO, "preparing the adoption");
        sqlite3_bind_int64(st, 1, (sqlite3_int64) s->id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) s->created);
        sqlite3_bind_text(st, 3, strempty(s->label), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, s->persistent);
        sqlite3_bind_int64(st, 5, (sqlite3_int64) s->owner_uid);
        sqlite3_bind_text(st, 6, s->state, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, strempty(s->consistency), -1, SQLITE_STATIC);
        r = step_done(c, st, "recording the adopted set");
        if (r < 0)
                return r;
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
                r = step_done(c, vst, "recording a volume of the adopted set");
                if (r < 0)
                        return r;
        }
        return 0;
}

int catalog_adopt_set(Catalog *c, const CatalogSet *s) {
        return in_transaction(c, adopt_set, (void *) s);
}
