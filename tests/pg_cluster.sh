#!/usr/bin/env bash
# The ctest fixture "pg": one throwaway PostgreSQL cluster per build directory.
#   pg_cluster.sh start PGCLUSTER ENVDIR   stop whatever cluster ENVDIR/env names (a run
#       interrupted before its cleanup), start a new one in a fresh /tmp/obslab-pg.XXXXXX
#       (tools/pgcluster), copy its env lines to ENVDIR/env
#   pg_cluster.sh stop PGCLUSTER ENVDIR    stop the cluster ENVDIR/env names, remove its
#       directory and ENVDIR/env
# /tmp, not the build directory: the cluster runs as nobody when the tests run as
# root, and a Unix socket's path must be short.
set -uo pipefail

[ $# -eq 3 ] || { echo "usage: pg_cluster.sh start|stop PGCLUSTER ENVDIR" >&2; exit 2; }
action=$1 pgcluster=$2 envdir=$3
envfile=$envdir/env

# The cluster directory a (possibly stale) env file names.
named_dir() { sed -n 's/^OBSLAB_TEST_PG_DIR=//p' "$envfile" 2>/dev/null | head -1; }

stop_named() {
	local dir
	dir=$(named_dir)
	if [ -n "$dir" ]; then
		bash "$pgcluster" stop "$dir" || return 1
		echo "pg: stopped the cluster in $dir"
	fi
	rm -f "$envfile"
}

case $action in
start)
	stop_named || echo "pg: could not stop the old cluster $(named_dir); starting a new one anyway" >&2
	rm -f "$envfile"
	mkdir -p "$envdir" || exit 1
	dir=$(mktemp -d /tmp/obslab-pg.XXXXXX) || exit 1
	if ! bash "$pgcluster" start "$dir"; then
		bash "$pgcluster" stop "$dir" 2>/dev/null || rm -rf "$dir"
		echo "pg: the test cluster did not start" >&2
		exit 1
	fi
	cp "$dir/env" "$envfile.tmp" && mv -f "$envfile.tmp" "$envfile" || exit 1
	echo "pg: test cluster in $dir, env in $envfile"
	;;
stop)
	stop_named || exit 1
	;;
*)
	echo "usage: pg_cluster.sh start|stop PGCLUSTER ENVDIR" >&2
	exit 2
	;;
esac
