#!/usr/bin/env bash
# The real binary on PostgreSQL (the tests' cluster, fixture "pg"): run on
# each strategy, bodies identical to SQLite's, socket, TCP, a URI and the PG*
# environment alone, the database named in the reports, hostile --db values,
# a foreign schema and table untouched, a second driver refused, another
# program's changes followed within a second, a damaged schema's one line,
# a restart mid-run counted as failed requests, and a run
# that loses its server gives up after --lock-wait with one line.
# Usage: pg_cli_test.sh OBSLAB
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/pg_lib.sh"
pg_env_load
dir=$(mktemp -d)
own=""
trap 'jobs -p | xargs -r kill 2>/dev/null; [ -n "$own" ] && "$here/../tools/pgcluster" stop "$own" >/dev/null 2>&1; rm -rf "$dir"' EXIT
cd "$dir" || exit 1
check() { if eval "$2"; then ok; else bad "$1"; fi; }
jfield() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

db=$(pg_newdb cli) || exit 1
tcp=$(pg_newdb_tcp cli_tcp) || exit 1

# Each strategy at 20 users: queries per request from the report.
for s in naive:21 optimized:1 eager:2 pipelined:21; do
	name=${s%:*} want=${s#*:}
	"$bin" run --db "$db" --strategy "$name" --users 20 --requests 3 --report json >"r_$name.json" 2>"r_$name.err"
	rc=$?
	check "run $name exits 0 ($(head -c 300 "r_$name.err"))" '[ $rc -eq 0 ]'
	got=$(jfield "r_$name.json" 'd["queries_per_request"]' 2>/dev/null)
	check "$name: $want queries per request, got '$got'" '[ "$got" = "$want" ]'
done
check "report names postgresql" '[ "$(jfield r_naive.json "d[\"database\"][\"system\"]")" = postgresql ]'
check "report has a server port" '[ "$(jfield r_naive.json "d[\"database\"][\"server_port\"]")" -gt 0 ]'
check "report says the network was measured" '[ "$(jfield r_naive.json "d[\"network\"]")" = measured ]'
check "report's rtt_us is 0 on PostgreSQL" '[ "$(jfield r_naive.json "d[\"rtt_us\"]")" = 0 ]'
"$bin" run --db "$db" --users 20 --requests 1 >summary.txt 2>&1
check "text summary names the database" 'grep -q "database: PostgreSQL .* at .*, database t_cli" summary.txt'

# Bodies identical to SQLite's, at 20 and 1000 users, socket and TCP.
for users in 20 1000; do
	"$bin" run --db "lite$users.db" --users "$users" --requests 1 --json >"s$users.json"
	"$bin" run --db "$db" --users "$users" --requests 1 --json >"p$users.json"
	"$bin" run --db "$tcp" --users "$users" --requests 1 --json >"t$users.json"
	check "body at $users users, socket = SQLite" 'cmp -s "s$users.json" "p$users.json" && [ -s "s$users.json" ]'
	check "body at $users users, TCP = SQLite" 'cmp -s "s$users.json" "t$users.json"'
done
check "TCP report names 127.0.0.1" '"$bin" run --db "$tcp" --requests 1 --report json | grep -q "\"server_address\":.*\"127.0.0.1\""'

# A URI, and the PG* environment alone.
port=$(printf '%s' "$tcp" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
name=$(printf '%s' "$tcp" | sed -n 's/.*dbname=\([^ ]*\).*/\1/p')
"$bin" run --db "postgresql://obslab@127.0.0.1:$port/$name" --users 20 --requests 1 --json >uri.json 2>uri.err
check "URI: body = SQLite's ($(head -c 200 uri.err))" 'cmp -s s20.json uri.json'
PGHOST=127.0.0.1 PGPORT=$port PGUSER=obslab PGDATABASE=$name \
	"$bin" run --db postgresql:// --users 20 --requests 1 --json >env.json 2>env.err
check "postgresql:// with PG*: body = SQLite's ($(head -c 200 env.err))" 'cmp -s s20.json env.json'

# Hostile --db values: one line, documented status, no password shown.
hostile() { # STATUS DESCRIPTION ARGS...
	local want=$1 what=$2; shift 2
	timeout 60 "$bin" run --requests 1 "$@" >h.out 2>h.err
	local rc=$?
	check "$what: exit $want, got $rc" '[ $rc -eq $want ]'
	check "$what: one line on stderr ($(cat h.err))" '[ "$(grep -vc "^Try .obslab --help" h.err)" -eq 1 ]'
}
hostile 1 "port 99999" --db 'postgresql://127.0.0.1:99999/x'
hostile 1 "socket directory missing" --db 'host=/nonexistent port=5'
hostile 1 "URI with a password" --db 'postgresql://someone:s3cretpw@127.0.0.1:1/x'
check "password never printed" '! grep -q s3cretpw h.err h.out'
PGCONNECT_TIMEOUT=abc timeout 60 "$bin" run --db "$db" --requests 1 >h.out 2>h.err
rc=$?
check "PGCONNECT_TIMEOUT=abc: runs or refuses with one line, no crash (rc $rc)" '[ $rc -eq 0 ] || { [ $rc -eq 1 ] && [ "$(wc -l <h.err)" -eq 1 ]; }'
hostile 2 "--rtt-us on PostgreSQL" --db "$db" --rtt-us 50
check "--rtt-us refusal says why" 'grep -q "round trips are real" h.err'
touch 'host=nowhere port=1'
"$bin" run --db 'host=nowhere port=1' --requests 1 --report json >file.json 2>file.err
check "a file named like a conninfo is SQLite" '[ "$(jfield file.json "d[\"database\"][\"system\"]")" = sqlite ]'
# Connection strings libpq cannot read: refused with libpq's reason (exit 1),
# never a SQLite file named after them, the password nowhere.
mkdir garb
for ci in "host=127.0.0.1 port=$port user=pw password='S3cretPw!xyz' dbname=pwdb garbage" \
	"host=127.0.0.1 port=$port user=pw password='S3cretPw!xyz dbname=pwdb" \
	"host=127.0.0.1 port=$port dbname=postgres password=S3cretPw!xyz bogusopt=1"; do
	(cd garb && timeout 60 "$bin" run --db "$ci" --requests 1 >../u.out 2>../u.err)
	rc=$?
	check "unreadable conninfo: exit 1 (got $rc: $(cat u.err))" '[ $rc -eq 1 ]'
	check "unreadable conninfo: libpq's reason in one line" '[ "$(wc -l <u.err)" -eq 1 ] && grep -q "cannot read the PostgreSQL connection string: " u.err'
	check "unreadable conninfo: no file created ($(ls garb))" '[ -z "$(ls -A garb)" ]'
	check "unreadable conninfo: password nowhere" '! grep -q S3cretPw u.out u.err'
done

# A foreign schema obslab_lab, and a foreign table in public: untouched.
foreign=$(pg_newdb foreign) || exit 1
pg_psql "$foreign" -c "CREATE SCHEMA obslab_lab; CREATE TABLE obslab_lab.users(x int); INSERT INTO obslab_lab.users VALUES (7);
	CREATE TABLE public.mine(a text); INSERT INTO public.mine VALUES ('keep')"
dump() { pg_psql "$foreign" -c "SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	WHERE n.nspname NOT IN ('pg_catalog','information_schema','pg_toast') ORDER BY 1, 2" -c "TABLE obslab_lab.users" -c "TABLE public.mine"; }
dump >before.txt
"$bin" run --db "$foreign" --requests 1 >f.out 2>f.err
rc=$?
check "foreign schema refused (exit 1, got $rc)" '[ $rc -eq 1 ]'
dump >after.txt
check "foreign schema and table untouched" 'cmp -s before.txt after.txt && [ -s before.txt ]'
other=$(pg_newdb other) || exit 1
pg_psql "$other" -c "CREATE TABLE public.mine(a text); INSERT INTO public.mine VALUES ('keep')"
"$bin" run --db "$other" --requests 1 >/dev/null 2>&1
check "a foreign table in public is untouched by a lab beside it" '[ "$(pg_psql "$other" -c "TABLE public.mine")" = keep ]'

# A second driver refused; --watch beside it works.
"$bin" run --db "$db" --requests 100000 >/dev/null 2>&1 &
driver=$!
for _ in $(seq 100); do
	pg_psql "$db" -c "SELECT 1 FROM pg_locks WHERE locktype = 'advisory'" | grep -q 1 && break
	sleep 0.1
done
"$bin" run --db "$db" --requests 1 >d.out 2>d.err
rc=$?
check "second driver refused (exit 1, got $rc: $(cat d.err))" '[ $rc -eq 1 ] && grep -q "another obslab" d.err'
"$bin" run --db "$db" --watch --requests 1 --report json >w.json 2>w.err
check "--watch beside the driver ($(head -c 200 w.err))" '[ "$(jfield w.json "d[\"queries_per_request\"]")" -ge 21 ]'
kill "$driver" 2>/dev/null
wait "$driver" 2>/dev/null

# Another session holds the orders table: run gives up after --lock-wait
# (here 2 s; asserted under 10 s, not the 30 s statement time-out) saying so.
pg_psql "$db" -c "BEGIN" -c "LOCK TABLE obslab_lab.orders IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(30)" >/dev/null 2>&1 &
locker=$!
for _ in $(seq 100); do
	[ "$(pg_psql "$db" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
		WHERE c.relname = 'orders' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ] && break
	sleep 0.1
done
t0=$(date +%s%N)
timeout 60 "$bin" run --db "$db" --requests 2 --lock-wait 2 >l.out 2>l.err
rc=$?
took=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null
pg_psql "$db" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
check "locked table: exit 1 (got $rc)" '[ $rc -eq 1 ]'
check "locked table: gave up in ${took} ms (< 10 s)" '[ "$took" -lt 10000 ]'
check "locked table: says who holds what ($(cat l.err))" 'grep -q "another session holds a lock on obslab_lab.orders (waited 2 s" l.err'

# Another program changes the lab under a run: within about a second the
# run follows (the log says so; the report's index is the database's).
changes=$(pg_newdb changes) || exit 1
"$bin" run --db "$changes" --users 200 --index on --requests 4000 --report json --log-file ch.log >ch.json 2>ch.err &
runner=$!
for _ in $(seq 300); do grep -q 'N+1 query pattern' ch.log 2>/dev/null && break; sleep 0.1; done
pg_psql "$changes" -c "DROP INDEX obslab_lab.idx_orders_user_id" || bad "could not drop the index"
seen=
for _ in $(seq 100); do
	grep -q '"message":"database changed by another connection","users":200,"index":"off"' ch.log && { seen=1; break; }
	sleep 0.1
done
check "the dropped index seen ($(grep -c 'changed by another' ch.log) change lines)" '[ -n "$seen" ]'
pg_psql "$changes" -c "DELETE FROM obslab_lab.orders WHERE user_id > 100; DELETE FROM obslab_lab.users WHERE id > 100" ||
	bad "could not delete users"
seen=
for _ in $(seq 100); do
	grep -q '"message":"database changed by another connection","users":100,"index":"off"' ch.log && { seen=1; break; }
	sleep 0.1
done
check "the deleted users seen" '[ -n "$seen" ]'
wait "$runner"
rc=$?
check "run beside the changes exits 0 ($(tail -1 ch.err))" '[ $rc -eq 0 ]'
check "its report says index off" '[ "$(jfield ch.json "d[\"index\"]")" = off ]'
# A column dropped under a run, and then before one: one line that says what to do.
damaged='obslab_lab was changed by another program \(.*\): drop it \(DROP SCHEMA obslab_lab CASCADE\) and obslab creates it again'
"$bin" run --db "$changes" --requests 100000 >dm.out 2>dm.err &
runner=$!
sleep 1
pg_psql "$changes" -c "ALTER TABLE obslab_lab.users DROP COLUMN email" || bad "could not drop the column"
for _ in $(seq 100); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
kill -0 "$runner" 2>/dev/null && { bad "run still running with a damaged schema"; kill "$runner"; }
wait "$runner"
rc=$?
check "damaged under a run: exit 1 (got $rc)" '[ $rc -eq 1 ]'
check "damaged under a run: one line ($(cat dm.err))" '[ "$(wc -l <dm.err)" -eq 1 ] && grep -Eq "^obslab: $damaged$" dm.err'
"$bin" run --db "$changes" --users 200 --requests 1 >dm2.out 2>dm2.err
rc=$?
check "damaged before a run: exit 1 (got $rc)" '[ $rc -eq 1 ]'
check "damaged before a run: the line ($(cat dm2.err))" 'grep -Eq "^obslab: $damaged$" dm2.err'
pg_psql "$changes" -c "SET client_min_messages = warning; DROP SCHEMA obslab_lab CASCADE" || bad "could not drop the schema"
"$bin" run --db "$changes" --users 20 --requests 1 >dm3.out 2>dm3.err
rc=$?
check "after DROP SCHEMA obslab runs again ($(cat dm3.err))" '[ $rc -eq 0 ]'

# A server restarted during a run: run reconnects, still measures every
# request asked for, reports the ones the restart failed, and exits 0.
own=$(pg_cluster_dir)
"$here/../tools/pgcluster" start "$own" >own.env 2>&1 || { bad "pgcluster start: $(cat own.env)"; own=""; }
if [ -n "$own" ]; then
	mine=$(sed -n "s/^OBSLAB_TEST_PG='\(.*\)'$/\1/p" own.env)
	for form in text json; do
		"$bin" run --db "$mine" --users 200 --requests 1500 --report "$form" --log-file "rs_$form.log" \
			>"rs.$form" 2>"rs_$form.err" &
		runner=$!
		for _ in $(seq 300); do grep -q 'N+1 query pattern' "rs_$form.log" 2>/dev/null && break; sleep 0.1; done
		"$here/../tools/pgcluster" restart "$own" >restart.out 2>&1 || bad "pgcluster restart: $(cat restart.out)"
		wait "$runner"
		rc=$?
		check "restarted mid-run ($form): exit 0 (got $rc: $(tail -2 "rs_$form.err"))" '[ $rc -eq 0 ]'
		check "restarted mid-run ($form): it reconnected" 'grep -q "reconnected to" "rs_$form.err"'
	done
	check "text report: 1500 requests ($(head -1 rs.text))" 'head -1 rs.text | grep -q ", 1500 requests,"'
	check "text report: the failed requests ($(cat rs.text | head -4))" \
		'grep -Eq "^  requests failed [1-9][0-9]* \(connection lost\)$" rs.text'
	check "the failed request's log line names its cause and trace ($(grep -m1 '"request failed"' rs_text.log))" \
		'grep -Eq "\"level\":\"ERROR\",\"message\":\"request failed\",\"error\":\"[^\"]+\",\"strategy\":\"naive\",\"trace_id\":\"[0-9a-f]{32}\"" rs_text.log'
	check "JSON report: 1500 requests" '[ "$(jfield rs.json "d[\"requests\"]")" = 1500 ]'
	check "JSON report: failed_requests ($(jfield rs.json "d.get(\"failed_requests\")"))" \
		'[ "$(jfield rs.json "d[\"failed_requests\"]")" -ge 1 ]'
	check "JSON report: what failed_requests are" 'jfield rs.json "d[\"failed_requests_are\"]" | grep -q "connection to the database was lost"'
	"$bin" run --db "$mine" --users 200 --requests 2 --report json >calm.json 2>calm.err
	check "a calm run: failed_requests 0" '[ "$(jfield calm.json "d[\"failed_requests\"]")" = 0 ]'
	"$bin" run --db "$mine" --users 200 --requests 2 >calm.txt 2>&1
	check "a calm run's text says nothing of failures" '! grep -q "requests failed" calm.txt'
	"$here/../tools/pgcluster" stop "$own" >/dev/null 2>&1
	own=""
fi

# A server that goes away: run gives up after --lock-wait with one line, exit 1.
own=$(pg_cluster_dir)
"$here/../tools/pgcluster" start "$own" >own.env 2>&1 || { bad "pgcluster start: $(cat own.env)"; own=""; }
if [ -n "$own" ]; then
	mine=$(sed -n "s/^OBSLAB_TEST_PG='\(.*\)'$/\1/p" own.env)
	"$bin" run --db "$mine" --requests 100000 --lock-wait 3 >g.out 2>g.err &
	runner=$!
	sleep 2
	"$here/../tools/pgcluster" stop "$own" >/dev/null 2>&1
	own=""
	for _ in $(seq 300); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$runner" 2>/dev/null; then
		bad "run still running 30 s after its server stopped"
		kill "$runner"
	fi
	wait "$runner"
	rc=$?
	check "gave up: exit 1 (got $rc)" '[ $rc -eq 1 ]'
	check "gave up: says so ($(tail -1 g.err))" 'grep -q "gave up after [0-9]* s reconnecting to PostgreSQL" g.err'
	check "gave up: said it was reconnecting" 'grep -q "reconnecting" g.err'
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
