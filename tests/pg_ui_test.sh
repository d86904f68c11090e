#!/usr/bin/env bash
# The explorer on PostgreSQL, the real binary in tmux at 120x30, on a cluster
# of the test's own (tools/pgcluster: the test stops its server):
#  - the status bar names the database ("PostgreSQL 15.x at DIR:PORT,
#    database ...", or "pg DIR:PORT/DB" where that does not fit) and says the network is real; the N+1's statements are
#    in the traces (the query list's count statement, the N+1 finding);
#  - r (the simulated RTT) says why it does nothing here;
#  - the server stopped mid-run: the status bar says "reconnecting to
#    PostgreSQL ... (attempt N, since Ns)" or its short form; a failed request's trace is marked
#    error, and its root's details say "error: <cause>"; started again, requests resume by themselves (the log says
#    "reconnected") with no key pressed.
# Usage: pg_ui_test.sh PATH/TO/obslab
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # ok, bad, tm, screen, keys, wait_for
. "$here/pg_lib.sh"
bin=$(realpath "$1")
pg_env_load # the tests' cluster must be there (psql found); this test runs its own beside it
work=$(mktemp -d)
sock="obslab-pgui-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=30
own=$(pg_cluster_dir)
cleanup() { tm kill-server 2>/dev/null; "$here/../tools/pgcluster" stop "$own" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; return 1; fi; }

"$here/../tools/pgcluster" start "$own" >own.env 2>&1 || { bad "pgcluster start: $(cat own.env)"; echo "$passed passed, $failed failed"; exit 1; }
conn=$(sed -n "s/^OBSLAB_TEST_PG='\(.*\)'$/\1/p" own.env)
stop_server() {
	local pgctl
	pgctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$pgctl" -D "$own/data" -m fast -w stop >/dev/null
	else
		"$pgctl" -D "$own/data" -m fast -w stop >/dev/null
	fi
}

explorer 120 30 --db "'$conn'" --users 20
# 120 columns: the location in its short form where the long one does not fit
expect 'PostgreSQL .*:[0-9]+, database postgres|pg .*:[0-9]+/postgres' 30 "status bar names the database"
expect 'network real' 30 "status bar says the network is real"
expect 'N\+1' 30 "the N+1 finding on PostgreSQL's traces"
expect 'count\(\*\) FROM obslab_lab\.orders' 30 "the N+1's count statement on screen"
keys r
expect "r does nothing here" 15 "r says why it does nothing"

# The server goes away: reconnecting, a failed trace, and back by itself.
stop_server || bad "could not stop the test's server"
expect 'reconnecting to .*\(attempt [0-9]+, since [0-9]+s\)|reconnecting · attempt [0-9]+ · [0-9]+s' 30 "status bar says reconnecting"
sleep 2 # a few attempts
"$here/../tools/pgcluster" restart "$own" >restart.out 2>&1 || bad "pgcluster restart: $(cat restart.out)"
if screen | head -1 | grep -q 'reconnecting'; then
	for _ in $(seq 150); do screen | head -1 | grep -q 'reconnecting' || break; sleep 0.2; done
fi
if screen | head -1 | grep -q 'reconnecting'; then bad "still reconnecting after the server came back"; show; else ok; fi
keys '/'
keys 'reconnected to the database' Enter
expect 'reconnected to the database' 15 "the log says reconnected"
keys Escape
# The failed request's trace: the trace list (T) filtered to error traces.
keys Space # paused: the list holds still
keys T
keys '\'
keys 'error' Enter
expect 'GET /users/analytics' 15 "a failed request's trace is marked error (the filter 'error' finds it)"
screen >errors.txt
# Opened, its root's details say why it failed (the workload's log line by trace id).
keys Enter
expect 'error: [A-Za-z]' 15 "the failed root's details give its error"
screen >error-details.txt
keys Escape Escape
keys Space
# Requests resume: the trace count goes on growing with no key pressed.
a=$(screen | grep -o 'trace #[0-9]*' | head -1 | tr -dc 0-9)
sleep 3
b=$(screen | grep -o 'trace #[0-9]*' | head -1 | tr -dc 0-9)
if [ -n "$a" ] && [ -n "$b" ] && [ "$b" -gt "$a" ]; then ok; else bad "requests did not resume (trace #$a then #$b)"; show; fi
keys q
expect 'EXIT=0' 15 "q exits 0"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
