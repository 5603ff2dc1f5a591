#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# sqlite-app.py - an application writing an SQLite database in WAL mode, for the tests of
# stasis-writer-sqlite: each transaction inserts the next id, and after its COMMIT the id is
# appended to LOG (so a snapshot that holds LOG's last id must hold that row). Runs until STOP exists.
#
# usage: sqlite-app.py DB LOG STOP
import os
import sqlite3
import sys

db_path, log_path, stop_path = sys.argv[1:4]
db = sqlite3.connect(db_path, timeout=120, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
i = (db.execute("SELECT max(id) FROM t").fetchall()[0][0] or 0)       # all: no read left open
while not os.path.exists(stop_path):
    i += 1
    db.execute("BEGIN")
    db.execute("INSERT INTO t (id, v) VALUES (?, ?)", (i, "row %d " % i + "x" * 200))
    db.execute("COMMIT")
    os.write(log, b"%d\n" % i)
