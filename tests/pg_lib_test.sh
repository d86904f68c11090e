#!/usr/bin/env bash
# tests/pg_lib.sh as the shell tests use it: pg_env_load fails loudly without
# the env file, pg_newdb / pg_newdb_tcp give fresh databases of their own over
# the socket and over TCP, tools/pgcluster refuses what is not its own.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pgcluster=$here/../tools/pgcluster
. "$here/lib.sh"
. "$here/pg_lib.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Without the env file: a failure saying so, never a pass.
out=$(OBSLAB_TEST_PG_ENV='' bash -c '. "$1"; pg_env_load; echo LOADED' sh "$here/pg_lib.sh" 2>&1)
status=$?
if [ $status -ne 0 ] && grep -q 'FAIL: OBSLAB_TEST_PG_ENV is not set' <<<"$out" && ! grep -q LOADED <<<"$out"; then ok
else bad "pg_env_load without OBSLAB_TEST_PG_ENV: status $status, $out"; fi
out=$(OBSLAB_TEST_PG_ENV=$work/none bash -c '. "$1"; pg_env_load; echo LOADED' sh "$here/pg_lib.sh" 2>&1)
status=$?
if [ $status -ne 0 ] && grep -q "FAIL: $work/none: no test cluster's env file" <<<"$out"; then ok
else bad "pg_env_load with a missing file: status $status, $out"; fi

pg_env_load
a=$(pg_newdb smoke) || exit 1
b=$(pg_newdb smoke) || exit 1
c=$(pg_newdb_tcp "odd name; DROP") || exit 1
[ "$a" != "$b" ] && ok || bad "two pg_newdb gave one conninfo: $a"
na=$(pg_psql "$a" -c 'SELECT current_database()')
nb=$(pg_psql "$b" -c 'SELECT current_database()')
nc=$(pg_psql "$c" -c 'SELECT current_database()')
[ -n "$na" ] && [ "$na" != "$nb" ] && [ "$na" != postgres ] && ok || bad "databases: '$na' '$nb'"
[[ $nc == t_odd_name__drop_* ]] && ok || bad "the TCP database's name: $nc"
[ "$(pg_psql "$a" -c 'SELECT inet_server_addr() IS NULL')" = t ] && ok || bad "pg_newdb is not over the socket: $a"
[ "$(pg_psql "$c" -c 'SELECT host(inet_server_addr())')" = 127.0.0.1 ] && ok || bad "pg_newdb_tcp is not over TCP: $c"
[[ $(pg_psql "$a" -c 'SHOW shared_preload_libraries') == *pg_stat_statements* ]] && ok ||
	bad "pg_stat_statements is not preloaded"
pg_psql "$a" -c 'CREATE TABLE only_in_a(x int)' && ok || bad "CREATE TABLE in $a"
[ "$(pg_psql "$b" -c "SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'")" = 0 ] && ok ||
	bad "a table of one database is seen in another"

# tools/pgcluster: status of the running cluster; refuses a directory not its own.
bash "$pgcluster" status "$OBSLAB_TEST_PG_DIR" | grep -q "running (pid" && ok || bad "pgcluster status"
mkdir "$work/mine" && echo keep >"$work/mine/file"
out=$(bash "$pgcluster" start "$work/mine" 2>&1); status=$?
[ $status -eq 1 ] && grep -q 'not empty and not a cluster' <<<"$out" && [ -f "$work/mine/file" ] && ok ||
	bad "pgcluster start on a directory with files: $status $out"
out=$(bash "$pgcluster" stop "$work/mine" 2>&1); status=$?
[ $status -eq 1 ] && grep -q 'not a cluster made by' <<<"$out" && [ -f "$work/mine/file" ] && ok ||
	bad "pgcluster stop on a directory not its own: $status $out"
bash "$pgcluster" stop "$work/never-made" && ok || bad "pgcluster stop of nothing is not a success"
out=$(bash "$pgcluster" start "$work/it's" 2>&1); status=$?
[ $status -eq 1 ] && [ ! -e "$work/it's" ] && ok || bad "pgcluster start on a quoted path: $status $out"
out=$(bash "$pgcluster" frob "$work/x" 2>&1); status=$?
[ $status -eq 2 ] && grep -q usage <<<"$out" && ok || bad "pgcluster frob: $status $out"

# A cluster of the test's own: start, restart on the same port, stop removes it.
own=$(pg_cluster_dir)
trap 'bash "$pgcluster" stop "$own"; rm -rf "$work"' EXIT
if bash "$pgcluster" start "$own" >"$work/own.env"; then
	ok
	port=$(sed -n 's/^OBSLAB_TEST_PG_TCP=.* port=\([0-9]*\) .*/\1/p' "$work/own.env")
	cmp -s "$work/own.env" "$own/env" && ok || bad "pgcluster start printed other lines than $own/env"
	pid=$(head -1 "$own/data/postmaster.pid")
	bash "$pgcluster" restart "$own" >"$work/own2.env" && cmp -s "$work/own.env" "$work/own2.env" && ok ||
		bad "pgcluster restart: not the same env"
	[ "$(head -1 "$own/data/postmaster.pid")" != "$pid" ] && ok || bad "pgcluster restart did not restart"
	[ "$(pg_psql "host=127.0.0.1 port=$port user=obslab dbname=postgres" -c 'SELECT 1')" = 1 ] && ok ||
		bad "the restarted cluster does not answer on port $port"
	out=$(bash "$pgcluster" start "$own" 2>&1); status=$?
	[ $status -eq 1 ] && grep -q 'already running' <<<"$out" && ok || bad "second start: $status $out"
	bash "$pgcluster" stop "$own" && [ ! -e "$own" ] && ok || bad "pgcluster stop left $own"
	bash "$pgcluster" status "$own" >/dev/null && bad "status of a stopped cluster is 0" || ok
	pgrep -f "postgres -D $own/data" >/dev/null && bad "a postgres of $own still runs" || ok
else
	bad "pgcluster start $own"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
