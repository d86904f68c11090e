# shellcheck shell=bash
# Shared by the shell tests that use PostgreSQL (sourced, not run): the test
# cluster of the ctest fixture "pg" (tests/pg_cluster.sh, tools/pgcluster).
#   pg_env_load         reads $OBSLAB_TEST_PG_ENV: sets OBSLAB_TEST_PG (Unix socket),
#                       OBSLAB_TEST_PG_TCP (127.0.0.1) and OBSLAB_TEST_PG_DIR; without
#                       it the test stops here, failed (never a silent pass)
#   pg_newdb NAME       creates a fresh, empty database of its own (a unique name made
#                       from NAME) and prints its conninfo over the Unix socket; on
#                       failure FAIL on stderr and status 1: db=$(pg_newdb x) || exit 1
#   pg_newdb_tcp NAME   the same, conninfo over TCP
#   pg_psql CONNINFO ARGS...  psql, quiet, unaligned, stopping at the first error
#   pg_cluster_dir      a fresh empty directory for a cluster of the test's own
#                       (tools/pgcluster start/restart/stop DIR: tests that stop the
#                       server); under /tmp, which the cluster's user nobody reaches
#                       when the tests run as root, unlike a 0700 mktemp -d directory
pg_lib_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	echo "0 passed, 1 failed"
	exit 1
}

pg_env_load() {
	[ -n "${OBSLAB_TEST_PG_ENV:-}" ] ||
		pg_lib_fail "OBSLAB_TEST_PG_ENV is not set: run this test through ctest (fixture pg), or start a cluster with tools/pgcluster start DIR and set OBSLAB_TEST_PG_ENV=DIR/env"
	[ -r "$OBSLAB_TEST_PG_ENV" ] ||
		pg_lib_fail "$OBSLAB_TEST_PG_ENV: no test cluster's env file (did pg_cluster_start run?)"
	OBSLAB_TEST_PG=$(sed -n "s/^OBSLAB_TEST_PG='\(.*\)'$/\1/p" "$OBSLAB_TEST_PG_ENV")
	OBSLAB_TEST_PG_TCP=$(sed -n "s/^OBSLAB_TEST_PG_TCP='\(.*\)'$/\1/p" "$OBSLAB_TEST_PG_ENV")
	OBSLAB_TEST_PG_DIR=$(sed -n 's/^OBSLAB_TEST_PG_DIR=//p' "$OBSLAB_TEST_PG_ENV")
	[ -n "$OBSLAB_TEST_PG" ] && [ -n "$OBSLAB_TEST_PG_TCP" ] && [ -n "$OBSLAB_TEST_PG_DIR" ] ||
		pg_lib_fail "$OBSLAB_TEST_PG_ENV: not a test cluster's env file"
	export OBSLAB_TEST_PG OBSLAB_TEST_PG_TCP OBSLAB_TEST_PG_DIR
	if [ -z "${PG_PSQL:-}" ]; then
		PG_PSQL=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)
		[ -n "$PG_PSQL" ] || pg_lib_fail "psql not found: install postgresql-client (tools/deps)"
	fi
	pg_psql "$OBSLAB_TEST_PG" -c 'SELECT 1' >/dev/null ||
		pg_lib_fail "the test cluster ($OBSLAB_TEST_PG) does not answer"
}

pg_psql() {
	local conninfo=$1; shift
	PGCONNECT_TIMEOUT=10 "$PG_PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$conninfo" "$@"
}

pg_newdb_serial=0
# pg_newdb_on CONNINFO NAME: creates the database, prints CONNINFO naming it.
# Inside $(...) a failure cannot stop the test: it prints FAIL and returns 1,
# so write  db=$(pg_newdb NAME) || exit 1.
pg_newdb_on() {
	local base db
	base=$(printf '%s' "$2" | tr 'A-Z' 'a-z' | tr -c 'a-z0-9_' '_' | cut -c1-30)
	for _ in 1 2 3 4 5; do
		pg_newdb_serial=$((pg_newdb_serial + 1))
		db="t_${base}_${BASHPID}_${pg_newdb_serial}_$RANDOM"
		if pg_psql "$OBSLAB_TEST_PG" -c "CREATE DATABASE \"$db\"" 2>/dev/null; then
			printf '%s\n' "${1% dbname=*} dbname=$db"
			return 0
		fi
	done
	printf 'FAIL: CREATE DATABASE for %s failed on the test cluster\n' "$2" >&2
	return 1
}

pg_newdb() { [ -n "${OBSLAB_TEST_PG:-}" ] || pg_env_load; pg_newdb_on "$OBSLAB_TEST_PG" "$1"; }
pg_newdb_tcp() { [ -n "${OBSLAB_TEST_PG:-}" ] || pg_env_load; pg_newdb_on "$OBSLAB_TEST_PG_TCP" "$1"; }

pg_cluster_dir() { mktemp -d /tmp/obslab-pg.XXXXXX; }
