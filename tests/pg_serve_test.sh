#!/usr/bin/env bash
# obslab serve on PostgreSQL, against the real binary and a cluster of the
# test's own (tools/pgcluster: the test stops its server): each endpoint's
# body (pipelined too) equals `obslab run --json` on the same database;
# Server-Timing has total, app, db, net (desc "measured round trip") and
# the trace, and its parts add up (total >= db + net, app + db + net =
# total within rounding); on SQLite the pipelined route is 404 with a body
# that says why; the server stopped under load: 503 with a body that says
# reconnecting, then 200 again once it is back.
# Usage: pg_serve_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
. "$here/serve_lib.sh" # work, ok/bad/check/has, start, stop, url
. "$here/pg_lib.sh"
needs curl jq
own=$(pg_cluster_dir)
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	"$here/../tools/pgcluster" stop "$own" >/dev/null 2>&1
	rm -rf "$work" "$own"
}
trap cleanup EXIT
finish() { printf '%d passed, %d failed\n' "$passed" "$failed"; [ "$failed" = 0 ]; exit; }
# same A B: the same JSON, byte for byte but for run's final newline
same() { [ "$(cat "$1")" = "$(cat "$2")" ] && jq -e . "$1" >/dev/null 2>&1; }
# stop_server: the test's own cluster stopped, kept for pgcluster restart
stop_server() {
	local pgctl
	pgctl=$(ls -d /usr/lib/postgresql/*/bin/pg_ctl | sort -V | tail -1)
	if [ "$(id -u)" = 0 ]; then
		(cd / && runuser -u nobody -- "$pgctl" -D "$own/data" -m fast -w stop >/dev/null)
	else
		"$pgctl" -D "$own/data" -m fast -w stop >/dev/null
	fi
}
code() { local p=$1; shift; curl -s -o body.txt -D head.txt -w '%{http_code}' "$@" "$(url "$p")"; }

"$here/../tools/pgcluster" start "$own" >own.env 2>&1 || { bad "pgcluster start: $(cat own.env)"; finish; }
conn=$(sed -n "s/^OBSLAB_TEST_PG='\(.*\)'$/\1/p" own.env)
[ -n "$conn" ] && ok || { bad "no conninfo in $(cat own.env)"; finish; }

# --- the bodies, as obslab run prints them -------------------------------------
for s in naive optimized eager pipelined; do
	"$bin" run --db "$conn" --users 20 --strategy "$s" --requests 1 --json >"run-$s.json" 2>"run-$s.err" &&
		ok || bad "run --strategy $s: $(cat "run-$s.err")"
done
start pg --db "$conn" --listen 127.0.0.1:0 --users 20 || { bad "serve did not start: $(cat pg.err)"; finish; }
ok
for s in naive optimized eager pipelined; do
	path=/users/analytics
	[ "$s" = naive ] || path="$path/$s"
	check "$(code "$path")" 200 "GET $path"
	same body.txt "run-$s.json" && ok || bad "GET $path's body differs from run --json: $(head -c 200 body.txt)"
	tr -d '\r' <head.txt | sed -n 's/^[Ss]erver-[Tt]iming: //p' >"$s.timing"
	has "$s.timing" '^total;dur=[0-9]+\.[0-9]{3}, app;dur=[0-9]+\.[0-9]{3}, db;dur=[0-9]+\.[0-9]{3}, net;dur=[0-9]+\.[0-9]{3};desc="measured round trip", trace;desc="[0-9a-f]{32}"$'
	verdict=$(sed 's/[a-z]*;dur=\([0-9.]*\)[^,]*,\{0,1\} */\1 /g' "$s.timing" | awk '{
		total = $1; app = $2; db = $3; net = $4
		if (total + 0.0005 < db + net) { print "total " total " < db " db " + net " net; exit }
		d = app + db + net - total; if (d < 0) d = -d
		if (d > 0.002) { print "app " app " + db " db " + net " net " != total " total; exit }
		if (net <= 0) { print "no measured network part"; exit }
		print "ok" }')
	check "$verdict" ok "$s's Server-Timing adds up ($(cat "$s.timing"))"
done
# pipelined waits one round trip's worth, naive one per query: its net part is smaller
check "$(awk -v a="$(sed 's/.*net;dur=\([0-9.]*\).*/\1/' pipelined.timing)" \
	-v b="$(sed 's/.*net;dur=\([0-9.]*\).*/\1/' naive.timing)" 'BEGIN { print (a < b) }')" 1 \
	"pipelined's network part below naive's ($(cat pipelined.timing) / $(cat naive.timing))"

# --- the server stopped under load, then back ---------------------------------
load() { while :; do curl -s -o /dev/null -w '%{http_code}\n' "$(url /users/analytics)" >>load.codes; done; }
load &
loader=$!
pids+=("$loader")
sleep 0.5
stop_server || bad "could not stop the test's server"
seen=
for _ in $(seq 100); do
	c=$(code /users/analytics/optimized)
	if [ "$c" = 503 ]; then seen=1; break; fi
	sleep 0.1
done
check "$seen" 1 "503 while the server is down"
has body.txt '^\{"detail":"Service Unavailable: the connection to the database was lost; reconnecting"\}$'
"$here/../tools/pgcluster" restart "$own" >restart.out 2>&1 || bad "pgcluster restart: $(cat restart.out)"
back=
for _ in $(seq 200); do
	c=$(code /users/analytics/pipelined)
	if [ "$c" = 200 ]; then back=1; break; fi
	sleep 0.1
done
check "$back" 1 "200 again once the server is back (last: $c $(head -c 200 body.txt))"
same body.txt run-pipelined.json && ok || bad "the body after reconnecting differs"
kill "$loader" 2>/dev/null
wait "$loader" 2>/dev/null
grep -qx 503 load.codes && ok || bad "the load saw no 503: $(sort load.codes | uniq -c | tr '\n' ' ')"
grep -vqx '200\|503' load.codes && bad "the load saw other codes: $(sort load.codes | uniq -c | tr '\n' ' ')" || ok
stop
check "$status" 0 "serve on PostgreSQL stops with status 0 ($(tail -2 pg.err))"

# --- every worker comes back after a restart -----------------------------------
# steady N: N requests in a row answered 200, over new connections and over
# keep-alive ones (one curl, several requests), polled for up to 30 s; the
# codes seen in steady.codes.
steady() {
	local need=$1 run=0 t0=$SECONDS c
	: >steady.codes
	while [ $((SECONDS - t0)) -lt 30 ]; do
		for c in $(code /users/analytics/optimized) \
			$(curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} ' \
				"$(url /users/analytics)" "$(url /users/analytics/eager)" "$(url /users/analytics/pipelined)" \
				"$(url /users/analytics/optimized)" "$(url /users/analytics)"); do
			echo "$c" >>steady.codes
			if [ "$c" = 200 ]; then run=$((run + 1)); else run=0; fi
			[ "$run" -ge "$need" ] && return 0
		done
	done
	return 1
}
start pg2 --db "$conn" --listen 127.0.0.1:0 --users 20 --log-file pg2.log ||
	{ bad "serve did not start again: $(cat pg2.err)"; finish; }
check "$(code /users/analytics)" 200 "the first request"
stop_server || bad "could not stop the test's server"
# Requests while the server is down reach pool threads that have no worker
# yet (made on a thread's first request) and workers whose connection is gone.
for _ in $(seq 24); do code /users/analytics >>down.codes; echo >>down.codes; done
grep -vqx '503' down.codes && bad "while down, not only 503: $(sort down.codes | uniq -c | tr '\n' ' ')" || ok
"$here/../tools/pgcluster" restart "$own" >restart2.out 2>&1 || bad "pgcluster restart: $(cat restart2.out)"
steady 50 && ok || bad "no 50 requests in a row answered 200 within 30 s after the restart: $(sort steady.codes | uniq -c | tr '\n' ' ')"
# The worker that lost its connection says it is back at its next request;
# which pool thread takes a request is the server's choice, so keep asking
# (up to 30 s) until that worker has had one.
t0=$SECONDS
until grep -q '"message":"reconnected to the database"' pg2.log || [ $((SECONDS - t0)) -ge 30 ]; do
	for _ in 1 2 3 4; do curl -s -o /dev/null "$(url /users/analytics/optimized)" & done
	wait
done
stop
check "$status" 0 "serve stops with status 0 ($(tail -2 pg2.err))"
has pg2.log '"message":"connection to the database lost; reconnecting"'
has pg2.log '"message":"reconnected to the database"'
lost=$(grep -c '"message":"connection to the database lost; reconnecting"' pg2.log)
again=$(grep -c '"message":"reconnected to the database"' pg2.log)
[ "$lost" -le 16 ] && [ "$again" -le "$lost" ] && ok ||
	bad "said once per worker: $lost times lost, $again times reconnected"

# --- SQLite: the pipelined route refused -----------------------------------------
start lite --db lab.db --listen 127.0.0.1:0 --users 20 --rtt-us 0 || { bad "serve on SQLite: $(cat lite.err)"; finish; }
check "$(code /users/analytics/pipelined)" 404 "pipelined on SQLite"
has body.txt '^\{"detail":"Not Found: the pipelined implementation needs PostgreSQL; this server.s lab runs on SQLite"\}$'
check "$(code /users/analytics)" 200 "naive on SQLite still served"
has head.txt 'net;dur=[0-9.]+;desc="simulated"'
stop
check "$status" 0 "serve on SQLite stops with status 0"
finish
