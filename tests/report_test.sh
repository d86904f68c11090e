#!/usr/bin/env bash
# `obslab report` lists the traces (issue 13, analysis item 3) and tells the
# truth about someone else's: the lab's traces heaviest first with service,
# root name, start, duration, spans, errors and findings, the first 10 in
# text and a count of the rest, all of them (up to 1000) in --json; a
# foreign OTLP file (two services, an N+1 on PostgreSQL spans, an HTTP call)
# reported with "own", "database incl. network" and "calls" (no simulated
# network), per service, its N+1 found with its cost and an estimated saving
# labelled as one, and row counts the file never gave shown as unknown.
# (The fingerprint puts ? for PostgreSQL's $1, beside the span's own name.)
# The foreign cases need the OTLP reader that reads every span as foreign
# (issue 13, reader item): before it, they fail.
# Usage: report_test.sh PATH/TO/obslab
set -u
. "$(dirname "$0")/lib.sh" # ok, bad
bin=$(realpath "$1")
hdir=$(realpath "$(dirname "$0")/hostile/report")
fdir=$(realpath "$(dirname "$0")/hostile/foreign")
served=$(realpath "$(dirname "$0")/data/served_remote_parent.otlp.json")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

run() {
	local want=$1; shift
	"$bin" "$@" >out.txt 2>err.txt
	local status=$?
	if [ "$status" -eq "$want" ]; then ok; else bad "obslab $* exited $status, expected $want: $(head -c 400 err.txt)"; fi
}
jqok() { if jq -e "$2" "$1" >/dev/null 2>&1; then ok; else bad "$1 fails jq '$2': $(head -c 600 "$1")"; fi; }
has() { if grep -Eq -- "$2" "$1"; then ok; else bad "$1 lacks /$2/: $(head -c 1200 "$1")"; fi; }
lacks() { if grep -Eq -- "$2" "$1"; then bad "$1 has /$2/: $(grep -E -- "$2" "$1" | head -3)"; else ok; fi; }

# --- the lab's traces ------------------------------------------------------------
run 0 export --format native -o lab.json --db :memory: --users 20 --requests 12 --rtt-us 0
run 0 report lab.json
has out.txt '^traces, heaviest first:$'
has out.txt '^ +duration +spans +errors +findings +start \(UTC\) +service +root$'
# ten rows, then the count of the rest
rows=$(sed -n '/^traces, heaviest first:/,/^$/p' out.txt | grep -Ec ' ms +23 +0 +[0-9]+ +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+Z +obslab +GET /users/analytics$')
[ "$rows" -eq 10 ] && ok || bad "the trace list shows $rows lab rows, expected 10: $(head -c 1500 out.txt)"
has out.txt '^  \.\.\. and 2 more traces \(report --json lists up to 1000\)$'
# heaviest first
sed -n '/^traces, heaviest first:/,/^$/p' out.txt | awk '$2 == "ms" {print $1}' >durations.txt
sort -gr durations.txt | cmp -s - durations.txt && ok || bad "the trace list is not heaviest first: $(tr '\n' ' ' <durations.txt)"
run 0 report lab.json --json
jqok out.txt '(.trace_list | length) == 12 and .traces_not_listed == 0'
jqok out.txt '[.trace_list[].duration_ms] as $d | $d == ($d | sort | reverse)'
jqok out.txt 'all(.trace_list[]; .service == "obslab" and .root == "GET /users/analytics" and .spans == 23 and .errors == 0 and .findings >= 1 and .foreign == false and (.trace_id | test("^[0-9a-f]{32}$")) and (.start | test("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+Z$")))'
jqok out.txt '.median.network_ms >= 0 and (has("median_foreign") | not)'
jqok out.txt '.findings[] | select(.kind == "n_plus_one") | .saving_basis == "estimated: N-1 times the median query" and .cost_ms > 0'
jqok out.txt 'all(.queries[]; .rows != null)'

# --- someone else's trace: two services, an N+1 on PostgreSQL -------------------
# times in ns from 1700000000 s: root [0, 10 ms); users query [1, 1.5); six
# orders queries of 0.4 ms from 2 ms every 0.5 ms; GET /stock [5, 9) calling
# inventory [5.2, 8.8) (an error), whose stock query is [6, 7).
t() { echo "\"$((1700000000000000000 + $1))\""; }
kv() { printf '{"key":"%s","value":{"stringValue":"%s"}}' "$1" "$2"; }
span() { # id parent name kind start end attributes [status]
	printf '{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"%s","parentSpanId":"%s","name":"%s","kind":%s,"startTimeUnixNano":%s,"endTimeUnixNano":%s,"attributes":[%s]%s}' \
		"$1" "$2" "$3" "$4" "$(t "$5")" "$(t "$6")" "$7" "${8:-}"
}
pg() { echo "$(kv db.system.name postgresql),$(kv db.query.text "$1"),$(kv db.operation.name SELECT),$(kv server.address db.internal)"; }
{
	printf '{"resourceSpans":[{"resource":{"attributes":[%s]},"scopeSpans":[{"scope":{"name":"@opentelemetry/instrumentation-pg"},"spans":[' "$(kv service.name checkout)"
	span 00000000000000a1 "" "POST /checkout" 2 0 10000000 "$(kv http.request.method POST)"
	printf ','
	span 00000000000000a2 00000000000000a1 "SELECT shop.users" 3 1000000 1500000 "$(pg 'SELECT id FROM users WHERE active = $1')"
	for k in 0 1 2 3 4 5; do
		s=$((2000000 + k * 500000))
		printf ','
		span "00000000000000b$k" 00000000000000a1 "SELECT shop.orders" 3 "$s" $((s + 400000)) "$(pg 'SELECT * FROM orders WHERE user_id = $1')"
	done
	printf ','
	span 00000000000000a3 00000000000000a1 "GET /stock" 3 5000000 9000000 "$(kv http.request.method GET)"
	printf ']}]},{"resource":{"attributes":[%s]},"scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.flask"},"spans":[' "$(kv service.name inventory)"
	span 00000000000000c1 00000000000000a3 "GET /stock" 2 5200000 8800000 "$(kv http.route /stock)" ',"status":{"code":2,"message":"out of stock"}'
	printf ','
	span 00000000000000c2 00000000000000c1 "SELECT shop.stock" 3 6000000 7000000 "$(pg 'SELECT n FROM stock WHERE sku = $1')"
	printf ']}]}]}\n'
} >foreign.otlp.json
jq -e . foreign.otlp.json >/dev/null && ok || bad "the test's OTLP file is not JSON"

run 0 report foreign.otlp.json
has out.txt '^foreign\.otlp\.json: OTLP/JSON, 1 trace, 11 spans$'
has out.txt ' 10\.000 ms +11 +1 +1 +2023-11-14 22:13:20\.000Z +checkout \+1 +POST /checkout$'
has out.txt '^  own +3\.100 ms$'
has out.txt '^  database incl\. network +3\.900 ms$'
has out.txt '^  calls +3\.000 ms$'
lacks out.txt 'simulated'
has out.txt '^  checkout +1 +10\.000 ms +3\.100 ms +2\.900 ms +4\.000 ms$'
has out.txt '^  inventory +1 +3\.600 ms +2\.600 ms +1\.000 ms +0\.000 ms$'
has out.txt 'N\+1 in 1 of 1 traces: "SELECT \* FROM orders WHERE user_id = \?"; 2\.400 ms a request, one call instead saves ~2\.000 ms \(estimated: N-1 round trips of the median call, from the file.s times\)'
lacks out.txt 'full scan'
has out.txt '^ +6 +2\.400 ms +0\.400 ms +0\.400 ms +0\.400 ms +-  SELECT \* FROM orders WHERE user_id = \?$'
run 0 report foreign.otlp.json --json
jqok out.txt '(has("median") | not) and .median_foreign == {"traces": 1, "total_ms": 10, "own_ms": 3.1, "db_incl_network_ms": 3.9, "calls_ms": 3}'
jqok out.txt '.trace_list == [{"trace_id": "0af7651916cd43dd8448eb211c80319c", "service": "checkout", "services": 2, "root": "POST /checkout", "start": "2023-11-14 22:13:20.000Z", "duration_ms": 10, "spans": 11, "errors": 1, "findings": 1, "foreign": true, "service_names": ["checkout", "inventory"]}]'
jqok out.txt '[.services[] | .service] == ["checkout", "inventory"]'
jqok out.txt '.findings == [{"kind": "n_plus_one", "query": "SELECT * FROM orders WHERE user_id = ?", "traces": 1, "loops": 1, "cost_ms": 2.4, "saving_ms": 2, "saving_basis": "estimated: N-1 round trips of the median call, from the file'"'"'s times", "foreign": true}]'
jqok out.txt 'all(.queries[]; .rows == null)'

# review #3, #6, #15: counts exclude placeholders; an interleaved N+1; the services table capped

"$bin" report "$hdir/cycle.otlp.json" >out.txt 2>&1; has out.txt ', 4 spans$'
"$bin" report "$hdir/cycle.otlp.json" --json >out.txt 2>&1; jqok out.txt '.spans == 4'
"$bin" report "$hdir/interleaved.otlp.json" >out.txt 2>&1; has out.txt 'N\+1 in 1 of 1 traces: "SELECT \* FROM addresses'
"$bin" report "$hdir/services12.otlp.json" >out.txt 2>&1; has out.txt '\.\.\. and 2 more services'
"$bin" report "$hdir/services12.otlp.json" --json >out.txt 2>&1; jqok out.txt '.services_not_listed == 0 and (.services|length) == 12'

# review 2 #2: spans in a parent cycle are not orphans (the explorer's count);
# #10: a trace with several roots is counted
"$bin" report "$hdir/cycle.otlp.json" >out.txt 2>&1
has out.txt '^read with warnings: 4 spans in a parent cycle \(shown under "parent cycle cut"\)$'
lacks out.txt 'orphan'
"$bin" report "$hdir/cycle.otlp.json" --json >out.txt 2>&1
jqok out.txt '.marked.orphan_spans == 0 and .marked.cycle_spans == 4 and .marked.multiroot_traces == 0'
"$bin" report "$fdir/accept-self-parent.json" --json >out.txt 2>&1
jqok out.txt '.marked.orphan_spans == 0 and .marked.cycle_spans == 1'
"$bin" report "$fdir/accept-two-roots.json" >out.txt 2>&1
has out.txt '^read with warnings: 1 trace with several roots \(shown under "missing root"\)$'
"$bin" report "$fdir/accept-two-roots.json" --json >out.txt 2>&1
jqok out.txt '.marked.multiroot_traces == 1'
# #4: an ORM span with db.* around the driver's span with the same: each
# statement counted once (the outermost span), the N+1 found on those;
# #12: the queries in --json carry mean and p50 as the text does
run 0 report "$hdir/nested-db.otlp.json" --json
jqok out.txt '.queries == [{"query": "SELECT * FROM orders WHERE user_id = ?", "calls": 6, "total_ms": 15, "mean_ms": 2.5, "p50_ms": 2.5, "p95_ms": 2.5, "rows": null}]'
jqok out.txt '[.findings[] | {kind, query, traces, cost_ms}] == [{"kind": "n_plus_one", "query": "SELECT * FROM orders WHERE user_id = ?", "traces": 1, "cost_ms": 15}]'
jqok out.txt '.trace_list[0].findings == 1'
run 0 report "$hdir/nested-db.otlp.json"
has out.txt '^ +6 +15\.000 ms +2\.500 ms +2\.500 ms +2\.500 ms +- +SELECT \* FROM orders WHERE user_id = \?$'
has out.txt 'N\+1 in 1 of 1 traces: "SELECT \* FROM orders WHERE user_id = \?"; 15\.000 ms a request'
# #6, #7: JSON Lines: `{}` is an empty request, errors name the file's real
# line (blank lines counted), a line cut short says so
line='{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"0000000000000000000000000000000a","spanId":"0000000000000001","name":"GET /","kind":2,"startTimeUnixNano":"1772445600000000000","endTimeUnixNano":"1772445600010000000"}]}]}]}'
printf '{}\n\n%s\n{}\n' "$line" >empty.jsonl
run 0 report empty.jsonl
has out.txt ', 1 trace, 1 span$'
printf '%s\n\n%s\nhello\n' "$line" "$line" >garbage.jsonl
run 1 report garbage.jsonl
has err.txt ': line 4: not valid JSON: more data after the document'
printf '%s\n\n%s\n{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"cut\n%s\n' "$line" "$line" "$line" >cut.jsonl
run 1 report cut.jsonl
has err.txt ': line 4: the line ends early'
run 1 report "$hdir/jl-cut-last-line.json"
has err.txt ': line 3: the line ends early'
printf '%s\n\n{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}\n' "$line" >badid.jsonl
run 1 report badid.jsonl
has err.txt ': line 3: .*traceId must be 32 hex digits'

# a served request's record (obslab serve with a W3C traceparent, converted
# to OTLP): its entry span's parent is the caller's span, in another process
# (flags 0x301: has-is-remote and is-remote), so absent from the file by
# nature: the span is its trace's root, no orphan, no placeholder, in OTLP
# and in native (converted); the parent id written back as read. The same
# absent parent not marked remote (0x101) stays an orphan; a remote-parent
# root beside a parentless root is a trace with several roots, no orphan.
for f in served.otlp.json served.native.json; do
	if [ $f = served.otlp.json ]; then cp "$served" $f; else run 0 convert "$served" -o $f --format native; fi
	run 0 report $f
	has out.txt ', 1 trace, 6 spans$'
	lacks out.txt 'orphan|read with warnings|missing (root|parent)'
	has out.txt ' obslab +GET /users/analytics$'
	run 0 report $f --json
	jqok out.txt '.marked.orphan_spans == 0 and .marked.multiroot_traces == 0 and .trace_list[0].root == "GET /users/analytics" and .trace_list[0].spans == 6'
	run 0 convert $f -o back.otlp.json --format otlp
	jqok back.otlp.json '[.resourceSpans[].scopeSpans[].spans[] | select(.kind == 2) | {parentSpanId, flags}] == [{"parentSpanId": "b7ad6b7169203331", "flags": 769}]'
done
jq -c '(.resourceSpans[].scopeSpans[].spans[] | select(.kind == 2) | .flags) = 257' "$served" >local.otlp.json
run 0 report local.otlp.json --json
jqok out.txt '.marked.orphan_spans == 1 and .trace_list[0].root == "missing root"'
jq -c '.resourceSpans[0].scopeSpans[0].spans += [{"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": "00000000000000f2", "name": "GET /health", "kind": 2, "startTimeUnixNano": "1795922947891000000", "endTimeUnixNano": "1795922947892000000"}]' "$served" >tworoots.otlp.json
run 0 report tworoots.otlp.json
has out.txt '^read with warnings: 1 trace with several roots \(shown under "missing root"\)$'
lacks out.txt 'orphan'
run 0 report tworoots.otlp.json --json
jqok out.txt '.marked.orphan_spans == 0 and .marked.multiroot_traces == 1 and .trace_list[0].spans == 7'
# hostile flags (tests/hostile/foreign/accept-remote-parent.json): every bit
# set reads as remote; is-remote alone or has-is-remote alone do not (2
# orphans); a remote-flagged span that is its own parent is a cycle; two
# remote-parent roots of one trace, or a duplicated one, are several roots.
run 0 report "$fdir/accept-remote-parent.json" --json
jqok out.txt '.marked == {"orphan_spans": 2, "skewed_spans": 0, "duplicate_span_ids": 1, "cycle_spans": 1, "ending_before_start": 0, "placeholders": 8, "multiroot_traces": 2}'

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
