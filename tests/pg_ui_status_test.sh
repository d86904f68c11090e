#!/usr/bin/env bash
# The explorer on PostgreSQL at 80x24 and 200x50 (the real binary in tmux,
# on a cluster of the test's own: it stops the server):
#  - connecting to a server that accepts and never answers prints
#    "obslab: connecting to …" (no password) before the terminal is taken;
#  - 80 columns: the location in its short form "pg HOST:PORT/DB"; the footer
#    offers "p pipelined", not "r RTT"; pipelined's count group and its query
#    total are wall-clock time (never longer than the request; the list tags
#    it "overlap"); the server stopped: "reconnecting · attempt N · Ns" whole
#    and no "● live";
#  - 200 columns: the long location; reconnecting names the server with the
#    attempt and the time, and no "● live".
# Usage: pg_ui_status_test.sh PATH/TO/obslab
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # ok, bad, tm, screen, keys, wait_for
. "$here/pg_lib.sh"
bin=$(realpath "$1")
pg_env_load # the tests' cluster must be there; this test runs its own beside it
work=$(mktemp -d)
sock="obslab-pgstatus-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=30
own=$(pg_cluster_dir)
hole=""
cleanup() {
	tm kill-server 2>/dev/null
	[ -n "$hole" ] && kill "$hole" 2>/dev/null
	"$here/../tools/pgcluster" stop "$own" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; return 1; fi; }
bar() { screen | head -1; }
footer() { screen | tail -1; }
# ns DURATION: "183ms", "1.26ms", "338µs", "1.2s" in nanoseconds.
ns() { printf '%s\n' "$1" | awk '{ v = $0; u = v; sub(/[0-9.]+/, "", u); sub(/[^0-9.].*/, "", v);
	m = u == "ns" ? 1 : u == "µs" ? 1e3 : u == "ms" ? 1e6 : u == "s" ? 1e9 : -1; printf "%.0f\n", v * m }'; }

# A server that accepts and never answers: the connecting line, then the time-out.
cat >hole.py <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write("%d\n" % s.getsockname()[1])
held = []
while True:
    c, _ = s.accept()
    held.append(c)
EOF
python3 hole.py port.txt & hole=$!
for _ in $(seq 50); do [ -s port.txt ] && break; sleep 0.1; done
port=$(cat port.txt)
explorer 80 24 --db "'host=127.0.0.1 port=$port user=x password=Secr3tPw dbname=y'"
expect "obslab: connecting to host=127\.0\.0\.1 port=$port" 4 "a server that never answers: the connecting line"
if screen | grep -q 'Secr3tPw'; then bad "the connecting line shows the password"; show; else ok; fi
expect 'no answer within' 15 "then the time-out's line"
expect 'EXIT=1' 5 "and exit 1"
kill "$hole" 2>/dev/null; hole=""

"$here/../tools/pgcluster" start "$own" >own.env 2>&1 || { bad "pgcluster start: $(cat own.env)"; echo "$passed passed, $failed failed"; exit 1; }
conn=$(sed -n "s/^OBSLAB_TEST_PG='\(.*\)'$/\1/p" own.env)
pgport=$(printf '%s\n' "$conn" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
stop_server() {
	local pgctl
	pgctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)
	if [ "$(id -u)" = 0 ]; then
		runuser -u nobody -- "$pgctl" -D "$own/data" -m fast -w stop >/dev/null
	else
		"$pgctl" -D "$own/data" -m fast -w stop >/dev/null
	fi
}
restart_server() { "$here/../tools/pgcluster" restart "$own" >restart.out 2>&1 || bad "pgcluster restart: $(cat restart.out)"; }

# ---- 80x24 ----
explorer 80 24 --db "'$conn'" --users 300
expect "pg .*:$pgport/postgres" 30 "80 columns: the location's short form (host:port/db)"
if bar | grep -q 'PostgreSQL …\|…ase postgres'; then bad "80 columns: the long form cut"; show; else ok; fi
expect 'p pipelined' 10 "80 columns: the footer offers p pipelined"
if footer | grep -q 'r RTT'; then bad "the footer offers r RTT on PostgreSQL"; show; else ok; fi
keys p
expect 'overlap' 30 "pipelined: the query list tags the overlapping count query"
# The request's duration and its count group's, from one frame: the group
# is never longer, and neither is the query list's total.
screen >frame.txt
waterfall() { grep -m1 -- "$1" frame.txt | awk -F'││' '{ print $1 }' | awk '{ print $NF }'; }
root=$(waterfall 'GET /users/analytics ')
group=$(waterfall '×300')
qtotal=$(grep -m1 ' overlap' frame.txt | awk -F'││' '{ print $2 }' | awk '{ print $2 }')
if [ -n "$root" ] && [ -n "$group" ] && [ "$(ns "$group")" -gt 0 ] && [ "$(ns "$group")" -le "$(ns "$root")" ]; then
	ok
else
	bad "pipelined's group ($group) longer than its request ($root)"; sed 's/^/    | /' frame.txt
fi
if [ -n "$qtotal" ] && [ "$(ns "$qtotal")" -gt 0 ] && [ "$(ns "$qtotal")" -le "$(ns "$root")" ]; then
	ok
else
	bad "the query list's total ($qtotal) longer than the request ($root)"; sed 's/^/    | /' frame.txt
fi

stop_server || bad "could not stop the test's server"
expect 'reconnecting · attempt [0-9]+ · [0-9]+s' 30 "80 columns: reconnecting with its attempt and time"
if bar | grep -q 'live'; then bad "80 columns: reconnecting still says live"; show; else ok; fi
restart_server
for _ in $(seq 150); do bar | grep -q 'reconnecting' || break; sleep 0.2; done
expect "● live" 30 "80 columns: live again once the server is back"

# ---- 200x50 ----
explorer 200 50 --db "'$conn'" --users 300
expect "PostgreSQL [0-9.]+ at .*:$pgport, database postgres" 30 "200 columns: the long location"
stop_server || bad "could not stop the test's server"
expect 'reconnecting to PostgreSQL .*:[0-9]+, database postgres \(attempt [0-9]+, since [0-9]+s\)' 30 \
	"200 columns: reconnecting names the server, the attempt and the time"
if bar | grep -q 'live'; then bad "200 columns: reconnecting still says live"; show; else ok; fi
restart_server
keys q
expect 'EXIT=0' 15 "q exits 0"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
