#!/usr/bin/env bash
# Builds hostile databases in DIR for tests/hostile_test.sh and prints, a
# line each, the exit status obslab must end with and the --db value to give
# it: 1 for what is not obslab's (refused, DIR left as it was), 0 for what
# is. Needs the sqlite3 shell.
# Usage: databases.sh DIR
set -eu
dir=$1
cd "$dir"
q() { sqlite3 "$@" >/dev/null; }

q foreign.db "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('alice');"
echo "1 $dir/foreign.db"
echo "1 file:$dir/foreign.db"                          # a URI names the same file
echo "1 file:$dir/foreign.db?mode=rwc&cache=shared"
echo "1 file://localhost$dir/foreign.db"
echo "1 file:$dir/foreign.db?vfs=unix-none"
ln -s foreign.db link.db
echo "1 $dir/link.db"                                  # a symlink to it
echo "1 file:$dir/link.db"
q view.db "CREATE VIEW v AS SELECT 1 AS one;"
echo "1 $dir/view.db"                                  # only a view of its own
q appid.db "PRAGMA application_id = 1234567;"
echo "1 $dir/appid.db"                                 # empty, but someone's application id
q userversion.db "PRAGMA user_version = 42;"
echo "1 $dir/userversion.db"                           # empty, but someone's version
q wal.db "PRAGMA journal_mode = WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);"
echo "1 $dir/wal.db"                                   # refused without a -wal or -shm made
echo "1 file:$dir/wal.db?mode=ro"
head -c 8192 /dev/urandom >garbage.db
echo "1 $dir/garbage.db"
printf 'SQLite format 3\000' >header-only.db
head -c 4000 /dev/zero >>header-only.db
echo "1 $dir/header-only.db"                           # a header and nothing behind it
mkfifo fifo.db
echo "1 $dir/fifo.db"                                  # must not wait for a writer
mkdir dir.db
echo "1 $dir/dir.db"
ln -s /dev/null null.db
echo "1 $dir/null.db"
ln -s /dev/zero zero.db
echo "1 $dir/zero.db"
echo "1 /dev/null"
echo "1 file:/dev/zero"
: >empty.db
echo "0 $dir/empty.db"                                 # a 0-byte file: obslab's to fill
echo "0 $dir/new.db"                                   # a new name: obslab creates it
