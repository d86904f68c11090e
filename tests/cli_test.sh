#!/usr/bin/env bash
# The command line against the real binary: what `obslab run` prints, its
# exit statuses and messages, and files it must leave untouched.
# Usage: cli_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

# run EXPECTED_STATUS ARGS...: runs obslab, keeps stdout, stderr and status.
run() {
	local want=$1; shift
	"$bin" "$@" >out.txt 2>err.txt
	status=$?
	if [ "$status" -eq "$want" ]; then ok; else bad "obslab $* exited $status, expected $want: $(cat err.txt)"; fi
}
has() { if grep -Eq -- "$2" "$1"; then ok; else bad "$1 lacks /$2/: $(head -c 400 "$1")"; fi; }
lacks() { if grep -Eq -- "$2" "$1"; then bad "$1 has /$2/"; else ok; fi; }
jqok() { if jq -e "$2" "$1" >/dev/null 2>&1; then ok; else bad "$1 fails jq '$2': $(head -c 600 "$1")"; fi; }
lines() { local n; n=$(wc -l <"$1"); if [ "$n" -eq "$2" ]; then ok; else bad "$1 has $n lines, expected $2: $(cat "$1")"; fi; }

# --- the lab's request, headless --------------------------------------------
run 0 run --strategy naive --users 20 --json --rtt-us 0
has out.txt '^\{"implementation":"naive","warning":"[^"]+","total_users":20,"users":\[\{"id":1,"username":"user_01","email":"user01@example.com","order_count":[2-5]\}'
[ -f observability_lab.db ] && ok || bad "the default database was not created in the current directory"
sed 's/.*"total_users"/"total_users"/' out.txt >naive.users
for s in optimized eager; do
	run 0 run --strategy $s --users 20 --json --rtt-us 0
	has out.txt "^\\{\"implementation\":\"$s\",\"info\":"
	sed 's/.*"total_users"/"total_users"/' out.txt >$s.users
	cmp -s naive.users $s.users && ok || bad "$s returned other users or counts than naive"
done

for pair in naive:21 optimized:1 eager:2; do
	run 0 run --strategy "${pair%%:*}" --users 20 --requests 3 --report json
	has out.txt "\"queries_per_request\":[[:space:]]*${pair##*:},"
	has out.txt '"median_total_ms":[[:space:]]*[0-9.]+'
	has out.txt '"median_db_ms":[[:space:]]*[0-9.]+'
	has out.txt '"median_network_ms":[[:space:]]*[0-9.]+'
	has out.txt '"median_app_ms":[[:space:]]*[0-9.]+'
	has out.txt '"dropped_spans":[[:space:]]*0'
	has out.txt '"requests":[[:space:]]*3,'
done
run 0 run --strategy eager --users 1000 --requests 2 --report=json --db :memory:
has out.txt '"queries_per_request":[[:space:]]*3,'

# tracing off: the same work, counted by the workload, no attribution
run 0 run --users 20 --requests 2 --trace off --report json --db :memory:
has out.txt '"queries_per_request":[[:space:]]*21,'
has out.txt '"median_db_ms":[[:space:]]*null'
has out.txt '"trace":[[:space:]]*"off"'

# findings of the last request: N+1 (Sentry's rule) and the missing index
run 0 run --users 20 --requests 2 --report json --db :memory:
jqok out.txt '[.findings[].kind] == ["n_plus_one", "full_scan_loop"]'
jqok out.txt '.findings[0].count == 20 and .findings[0].query == "SELECT count(*) FROM orders WHERE user_id = ?"'
jqok out.txt '.findings[1].index == "orders(user_id)" and .findings[1].scanned_rows > 0'
run 0 run --users 20 --requests 2 --report json --db :memory: --index on --strategy naive
jqok out.txt '[.findings[].kind] == ["n_plus_one"]'
run 0 run --users 4 --requests 2 --report json --db :memory: --index on
jqok out.txt '.findings == []'
run 0 run --users 20 --requests 2 --report json --db :memory: --index on --n1-min-ms 50
jqok out.txt '.findings == []'
run 0 run --users 20 --requests 2 --report json --db :memory: --index on --n1-min-count 21
jqok out.txt '.findings == []'
run 0 run --strategy optimized --users 20 --requests 2 --report json --db :memory:
jqok out.txt '.findings == []'

# the summary says the network is simulated
run 0 run --users 20 --requests 2 --db :memory:
has out.txt 'network \(simulated\)'
has out.txt 'queries per request +21'

# the structured log, as JSON lines, with no user data
run 0 run --users 20 --requests 4 --db :memory: --log-file log.jsonl
lines log.jsonl 4
has log.jsonl '^\{"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z","level":"WARN","message":"N\+1 query pattern detected","fingerprint":"SELECT count\(\*\) FROM orders WHERE user_id = \?","repeated":20,"queries":21,"trace_id":"[0-9a-f]{32}"\}$'
lacks log.jsonl '@example.com|user_[0-9]'
run 0 run --strategy optimized --users 20 --requests 1 --db :memory: --log-file log.jsonl
has log.jsonl '"level":"INFO","message":"Optimized query executed"'

# --- compare and sweep: the original lab's table, measured ---------------------
run 0 compare --users 1000 --rtt-us 200 --requests 3 --json --db cmp.db
jqok out.txt '.users == 1000 and .rtt_us == 200 and .network == "simulated" and .index == "off"'
jqok out.txt '[.strategies[].strategy] == ["naive", "optimized", "eager"]'
jqok out.txt '[.strategies[].queries_per_request] == [1001, 1, 3]'
jqok out.txt 'all(.strategies[]; .requests == 3)'
jqok out.txt '.strategies[0].median_total_ms > .strategies[1].median_total_ms'
# speedup_vs_naive is the ratio of the medians shown (to their rounding)
jqok out.txt '.strategies[0].median_total_ms as $n | all(.strategies[]; (($n / .median_total_ms) - .speedup_vs_naive | fabs) < 0.002 * .speedup_vs_naive + 0.002)'
jqok out.txt 'all(.strategies[]; (.median_db_ms + .median_network_ms + .median_app_ms) > 0 and .db_share > 0 and .db_share <= 1)'
jqok out.txt '.strategies[0].median_network_ms >= 1001 * 0.2'
run 0 compare --users 100 --requests 2 --db :memory:
has out.txt '^ +100  naive +101 '
has out.txt '^ +100  optimized +1 '
has out.txt 'simulated'

# Requests over a second: stderr says what runs and why it is slow, then one
# line per such request; stdout keeps the figures alone. Fast ones: silent.
run 0 compare --users 200 --rtt-us 6000 --requests 1 --db slow.db
has err.txt '^obslab: compare at 200 users, index off, RTT 6000 us: 3 strategies x 1 request \(3 in all\); requests are taking over a second: naive runs 201 queries, .*--index on'
has err.txt '^obslab: request 1 of 3, naive at 200 users: [0-9]+\.[0-9] s$'
lines err.txt 2
has out.txt '^GET /users/analytics: RTT 6000 us per query'
lacks out.txt 'obslab:'
run 0 sweep --users-list 20,200 --rtt-us 6000 --requests 1 --index on --db slow.db
has err.txt '^obslab: sweep over 2 sizes up to 200 users, index on, RTT 6000 us: 3 strategies x 1 request \(6 in all\)'
has err.txt '^obslab: request 4 of 6, naive at 200 users: [0-9]+\.[0-9] s$'
lines err.txt 2
run 0 compare --users 200 --rtt-us 0 --requests 2 --db slow.db
lines err.txt 0

run 0 sweep --users-list 20,100,300 --requests 2 --rtt-us 0 --json --db sweep.db
jqok out.txt '.users_list == [20, 100, 300] and (.rows | length) == 9'
jqok out.txt '[.rows[] | [.users, .strategy]] == [[20,"naive"],[20,"optimized"],[20,"eager"],[100,"naive"],[100,"optimized"],[100,"eager"],[300,"naive"],[300,"optimized"],[300,"eager"]]'
jqok out.txt 'all(.rows[] | select(.strategy == "naive"); .queries_per_request == .users + 1)'
jqok out.txt 'all(.rows[] | select(.strategy == "optimized"); .queries_per_request == 1)'
jqok out.txt 'all(.rows[] | select(.strategy == "eager"); .queries_per_request == 2)'
jqok out.txt 'all(.rows[]; .median_network_ms == 0)'

# --- export, report, open: files ------------------------------------------------
run 0 export --format native -o snap.json --db :memory: --users 20 --requests 3
has out.txt '^wrote snap.json: native, 3 traces, 69 spans$'
jqok snap.json '.format == "obslab.snapshot" and .version == 2 and (.traces | length) == 3'
jqok snap.json 'all(.traces[]; .attribution.app_ns + .attribution.db_ns + .attribution.network_ns == .attribution.total_ns)'
jqok snap.json '[.traces[].findings[].kind] | unique == ["full_scan_loop", "n_plus_one"]'
# a 64-bit seed is written with every digit, not rounded through a double
run 0 export --format native -o seed.json --db :memory: --users 5 --requests 1 --seed 18446744073709551615
has seed.json '"seed":[[:space:]]*18446744073709551615[,}]'
lacks snap.json '@example\.com|"user_[0-9]'
run 0 report snap.json
has out.txt 'obslab snapshot, 3 traces, 69 spans'
has out.txt 'N\+1 in 3 of 3 traces'
has out.txt 'full scan in a loop in 3 of 3 traces.*orders\(user_id\)'
run 0 report snap.json --json
jqok out.txt '.traces == 3 and .spans == 69 and (.queries | length) == 2'
run 0 export --format otlp -o snap.otlp.json --db :memory: --users 20 --requests 2 --strategy optimized
jqok snap.otlp.json '.resourceSpans[0].resource.attributes[0] == {"key": "service.name", "value": {"stringValue": "obslab"}}'
jqok snap.otlp.json '[.resourceSpans[0].scopeSpans[0].spans[] | .kind] == [2, 3, 1, 2, 3, 1]'
jqok snap.otlp.json 'all(.resourceSpans[0].scopeSpans[0].spans[]; (.traceId | test("^[0-9a-f]{32}$")) and (.spanId | test("^[0-9a-f]{16}$")) and (.startTimeUnixNano | test("^[0-9]+$")))'
jqok snap.otlp.json '[.resourceSpans[0].scopeSpans[0].spans[] | select(.kind == 3) | .attributes | map(.key)][0] | index("db.system.name") != null and index("db.query.text") != null and index("db.operation.name") != null and index("db.collection.name") != null and index("db.response.returned_rows") != null'
run 0 report snap.otlp.json
has out.txt 'OTLP/JSON, 2 traces, 6 spans'
run 0 export --format chrome -o trace.json --db :memory: --users 5 --requests 1
jqok trace.json '[.traceEvents[] | .ph] | unique == ["M", "X"]'
run 1 report trace.json
has err.txt 'trace.json: a Chrome trace'
printf '{"format": "obslab.snapshot", "version": 1, "traces": [' >cut.json
run 1 report cut.json
has err.txt '^obslab: cut.json: not valid JSON .*the file ends early'
lines err.txt 1
run 1 report /nonexistent.json
has err.txt 'cannot open /nonexistent.json: No such file or directory'
run 1 open cut.json
has err.txt 'not valid JSON'

# --- usage errors: exit 2, a message that says what to do ------------------
usage() {
	local pattern=$1; shift
	run 2 "$@"
	has err.txt "$pattern"
	lines err.txt 2
	[ -s out.txt ] && bad "obslab $* printed to stdout on a usage error" || ok
}
usage "unknown strategy 'fast': use naive, optimized, eager or pipelined .PostgreSQL." run --strategy fast
# pipelined needs a server's round trips: refused on SQLite before anything opens, the database untouched
usage "the pipelined strategy needs PostgreSQL .libpq's pipeline mode.; --db postgresql://" run --strategy pipelined --db pipe.db
usage "the pipelined strategy needs PostgreSQL" run --db :memory: --strategy=pipelined --requests 1
usage "the pipelined strategy needs PostgreSQL" --strategy pipelined --db pipe.db
usage "the pipelined strategy needs PostgreSQL" export --strategy pipelined -o pipe.json --db pipe.db
[ -e pipe.db ] && bad "a refused pipelined run created its database" || ok
usage "--users takes a whole number from 1 to 100000, not '0'" run --users 0
usage "--users takes a whole number" run --users -5
usage "--users takes a whole number" run --users 1000001
usage "--users takes a whole number" run --users 12abc
usage "--requests takes a whole number" run --requests 99999999999999999999
usage "--rtt-us takes microseconds from 0 to 100000" run --rtt-us 1e9
usage "--index takes on or off" run --index yes
usage "--trace takes on or off" run --trace maybe
usage "unknown option '--colour'" run --colour
usage "--db needs a value" run --db
usage "--json and --report are alternatives" run --json --report json
usage "unknown command 'walk'" walk
usage "export needs -o FILE" export --format otlp
usage "--format takes native, otlp, chrome or sqlite, not 'xml'" export --format xml -o x.xml
usage "report needs a FILE" report
usage "open needs a FILE" open --frames 3
usage "--users-list must ascend" sweep --users-list 100,20
usage "--users-list takes user counts" sweep --users-list 20,abc
usage "--users is not an option of 'obslab sweep'" sweep --users 5
usage "--users-list is not an option of 'obslab compare'" compare --users-list 20
usage "--requests is not an option of the trace explorer" --requests 5
usage "--frames is not an option of 'obslab run'" run --frames 3
usage "--frames takes a whole number from 1 to 1000000" --frames 0
usage "unknown option '--frobnicate'" --frobnicate
# help for what has none, and words after --version: usage errors, not exit 0
usage "no help for 'bogus': the commands are run, compare, sweep, export, report, open, convert, serve and receive" help bogus
usage "no help for 'bogus'" --help bogus
usage "unexpected argument 'open': help takes one command at most" help run open
usage "unexpected argument 'extra': --version takes none" --version extra
usage "unexpected argument 'extra': --keys takes none" --keys extra

# --- runtime errors: exit 1, one line, files left as they were -------------
run 1 run --db /nonexistent-dir/sub/lab.db
has err.txt '^obslab: cannot open /nonexistent-dir/sub/lab.db'
lines err.txt 1

# another app's database (tools/deps installs the sqlite3 shell)
sqlite3 foreign.db "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users(name) VALUES ('alice');"
before=$(sha256sum foreign.db)
run 1 run --db foreign.db
has err.txt 'foreign.db is a SQLite database that obslab did not create; it was left untouched'
lines err.txt 1
[ "$(sha256sum foreign.db)" = "$before" ] && ok || bad "the foreign database changed"

head -c 20000 /dev/urandom >garbage.db
before=$(sha256sum garbage.db)
run 1 run --db garbage.db
has err.txt 'garbage.db is not a SQLite database'
[ "$(sha256sum garbage.db)" = "$before" ] && ok || bad "the corrupt file changed"

run 1 run --db :memory: --log-file /nonexistent-dir/log.jsonl
has err.txt 'cannot write the log file /nonexistent-dir/log.jsonl'

mkdir adir
run 1 run --db adir
has err.txt 'adir is a directory'

# --- help and version -------------------------------------------------------
run 0 --help
has out.txt '^Usage: obslab \[OPTION\]\.\.\. +the trace explorer'
run 0 --keys
has out.txt '^\| `t` \| toggle naive \(N\+1\) and optimized \|$'
run 0 run --help
has out.txt -- '--rtt-us R'
run 0 --version
has out.txt '^obslab [0-9]+\.[0-9]+\.[0-9]+$'
for cmd in run compare sweep export report open; do
	run 0 help $cmd
	has out.txt "^Usage: obslab $cmd"
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
