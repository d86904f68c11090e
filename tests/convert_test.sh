#!/usr/bin/env bash
# obslab convert: usage and runtime errors (exit 2 / 1, one line, OUT never
# over IN, nothing left behind), every format from a lab snapshot, the
# README's three SQLite queries run on the export, and foreign OTLP written
# back losslessly: OTLP -> OTLP and OTLP -> native -> OTLP compared field by
# field after decoding both with OpenTelemetry's protobuf definitions.
# Usage: convert_test.sh PATH/TO/obslab SOURCE_DIR WORK_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
node_dir="$3/node-checks"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

mkdir -p "$node_dir"
cp "$src/tests/node/package.json" "$src/tests/node/check_files.js" "$node_dir/"
if [ ! -d "$node_dir/node_modules/@opentelemetry/otlp-transformer" ] || [ ! -d "$node_dir/node_modules/ajv-formats" ]; then
	(cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || { echo "FAIL: npm install"; echo "0 passed, 1 failed"; exit 1; }
fi
check() { node "$node_dir/check_files.js" "$@" >"$work/check.out" 2>&1; }

# expect STATUS PATTERN ARGS...: the exit status, and one stderr line matching PATTERN
expect() {
	local want=$1 pattern=$2
	shift 2
	"$bin" "$@" >"$work/out.txt" 2>"$work/err.txt"
	local rc=$?
	if [ "$rc" != "$want" ]; then bad "convert $*: exit $rc, wanted $want: $(head -2 "$work/err.txt")"; return; fi
	if [ "$want" != 0 ] && ! head -1 "$work/err.txt" | grep -qE "$pattern"; then
		bad "convert $*: stderr $(head -1 "$work/err.txt") lacks /$pattern/"; return
	fi
	if [ "$want" = 1 ] && [ "$(wc -l <"$work/err.txt")" != 1 ]; then bad "convert $*: more than one line"; return; fi
	ok
}

"$bin" export --format native -o lab.json --db lab.db --users 20 --requests 3 >/dev/null || bad "export native"
cp lab.json lab.orig.json

# --- the command line --------------------------------------------------------
expect 2 'convert needs IN' convert
expect 2 'convert needs -o OUT' convert lab.json
expect 2 "format takes native, otlp, chrome or sqlite, not 'xml'" convert lab.json -o x.json --format xml
expect 2 "cannot tell a format from the name 'out.txt'" convert lab.json -o out.txt
expect 2 'is lab.json: convert never writes over' convert lab.json -o lab.json
ln lab.json hard.json
expect 2 'convert never writes over' convert lab.json -o hard.json --format otlp
expect 2 'convert never writes over' convert lab.json -o ./lab.json --format sqlite
cmp -s lab.json lab.orig.json && ok || bad "the input changed"
expect 0 '' help convert
grep -q '^Usage: obslab convert IN -o OUT' out.txt && ok || bad "help convert: $(head -1 out.txt)"
expect 0 '' --help
grep -qE '^  convert +write a snapshot' out.txt && ok || bad "--help lists no convert"
expect 1 'cannot open nope.json' convert nope.json -o a.json
printf 'not json' >bad.json
expect 1 'bad.json' convert bad.json -o out.db
[ ! -e out.db ] && ok || bad "a failed convert left out.db"
mkdir adir
expect 1 'adir' convert lab.json -o adir --format otlp
printf 'keep' >kept.otlp.json
expect 1 'bad.json' convert bad.json -o kept.otlp.json
[ "$(cat kept.otlp.json)" = keep ] && ok || bad "a failed convert touched the file already there"
leftovers=$(ls -A | grep -cE '\.[A-Za-z0-9]{6}$')
[ "$leftovers" = 0 ] && ok || bad "temporaries left behind: $(ls -A)"

# --- a lab snapshot to every format -------------------------------------------
expect 0 '' convert lab.json -o lab.otlp.json
grep -q '^wrote lab.otlp.json: otlp, 3 traces, 69 spans$' out.txt && ok || bad "convert says: $(cat out.txt)"
check otlp lab.otlp.json && ok || bad "lab OTLP does not decode: $(cat check.out)"
expect 0 '' convert lab.json -o lab.trace.json
[ "$(jq '[.traceEvents[] | select(.ph == "X")] | length' lab.trace.json)" = 69 ] && ok || bad "chrome: not 69 events"
expect 0 '' convert lab.json -o again.json
check schema "$src/assets/snapshot.schema.json" again.json && ok || bad "native v2 against the schema: $(cat check.out)"
[ "$(jq .version again.json)" = 2 ] && ok || bad "native version is not 2"
[ "$(jq '[.traces[].spans[]] | length' again.json)" = 69 ] && ok || bad "native: not 69 spans"
expect 0 '' convert lab.json -o spans.db
[ "$(sqlite3 spans.db 'SELECT count(*) FROM spans')" = 69 ] && ok || bad "sqlite: not 69 spans"
[ "$(sqlite3 spans.db "SELECT count(*) FROM span_attributes WHERE key = 'db.system.name' AND string_value = 'sqlite'")" = 63 ] \
	&& ok || bad "sqlite: the lab's database spans lack their attributes"
[ "$(sqlite3 spans.db "SELECT count(DISTINCT service_name) || ' ' || min(service_name) FROM spans")" = "1 obslab" ] && ok || bad "sqlite: service_name"
expect 0 '' convert lab.json -o spans.db
grep -q '^replaced spans.db' out.txt && ok || bad "a second convert did not say replaced"

# The README's three queries, as written there, on the lab export.
mapfile -t queries < <(sed -n 's/^sqlite3 spans\.db "\(.*\)"$/\1/p' "$src/README.md")
[ "${#queries[@]}" = 3 ] && ok || bad "the README has ${#queries[@]} sqlite3 queries, not 3"
for q in "${queries[@]}"; do
	sqlite3 -separator ' ' spans.db "$q" >q.out 2>&1 && [ -s q.out ] && ok || bad "README query failed: $q: $(head -2 q.out)"
done
# slowest by average: the request itself; the N+1: SELECT orders 20 times in a trace; errors: obslab 0
sqlite3 -separator ' ' spans.db "${queries[0]}" | head -1 | grep -q '^GET /users/analytics 3 ' && ok || bad "query 1: $(sqlite3 spans.db "${queries[0]}" | head -1)"
sqlite3 -separator ' ' spans.db "${queries[1]}" | head -1 | grep -qE '^[0-9a-f]{32} SELECT .*orders.* 20 ' && ok || bad "query 2: $(sqlite3 spans.db "${queries[1]}" | head -1)"
[ "$(sqlite3 -separator ' ' spans.db "${queries[2]}")" = "obslab 0 69" ] && ok || bad "query 3: $(sqlite3 spans.db "${queries[2]}")"

# --- foreign OTLP, written back as it came -------------------------------------
cat >foreign.otlp.json <<'EOF'
{"resourceSpans":[
{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},{"key":"host.cores","value":{"intValue":"8"}}],"droppedAttributesCount":2},
 "scopeSpans":[
  {"scope":{"name":"@opentelemetry/instrumentation-http","version":"0.52.1","attributes":[{"key":"lib","value":{"stringValue":"http"}}],"droppedAttributesCount":1},
   "spans":[
    {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","traceState":"vendor=a,other=b","flags":257,"name":"POST /checkout","kind":2,
     "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000090000000",
     "attributes":[{"key":"http.request.method","value":{"stringValue":"POST"}},{"key":"http.route","value":{"stringValue":"/checkout"}},
       {"key":"retry.ratio","value":{"doubleValue":0.25}},{"key":"weird","value":{"doubleValue":"NaN"}},{"key":"big","value":{"doubleValue":"-Infinity"}},
       {"key":"ok","value":{"boolValue":true}},{"key":"blob","value":{"bytesValue":"AP8QIA=="}},
       {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"-3"},{"arrayValue":{"values":[]}}]}}},
       {"key":"ctx","value":{"kvlistValue":{"values":[{"key":"user","value":{"stringValue":"u1"}},{"key":"depth","value":{"kvlistValue":{"values":[{"key":"n","value":{"intValue":"9007199254740993"}}]}}}]}}},
       {"key":"nothing","value":{}}],
     "droppedAttributesCount":4,
     "events":[{"timeUnixNano":"1700000000080000000","name":"exception","attributes":[{"key":"exception.message","value":{"stringValue":"card declined"}}],"droppedAttributesCount":1}],
     "droppedEventsCount":2,
     "links":[{"traceId":"11111111111111111111111111111111","spanId":"2222222222222222","traceState":"x=y","attributes":[{"key":"link.kind","value":{"stringValue":"follows"}}],"flags":1}],
     "droppedLinksCount":3,
     "status":{"code":2,"message":"card declined"}},
    {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1000000000000004","parentSpanId":"00f067aa0ba902b7","name":"render","kind":1,
     "startTimeUnixNano":"1700000000070000000","endTimeUnixNano":"1700000000075000000","attributes":[],"status":{"code":1}}]}],
 "schemaUrl":"https://opentelemetry.io/schemas/1.24.0"},
{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
 "scopeSpans":[
  {"scope":{"name":"@opentelemetry/instrumentation-pg","version":"0.43.0"},
   "spans":[
    {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1000000000000001","parentSpanId":"00f067aa0ba902b7","name":"SELECT shop.orders","kind":3,
     "startTimeUnixNano":"1700000000010000000","endTimeUnixNano":"1700000000012000000",
     "attributes":[{"key":"db.system.name","value":{"stringValue":"postgresql"}},{"key":"db.query.text","value":{"stringValue":"SELECT * FROM shop.orders WHERE user_id = $1"}},
       {"key":"db.operation.name","value":{"stringValue":"SELECT"}},{"key":"server.address","value":{"stringValue":"db.internal"}}],"status":{}},
    {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1000000000000002","parentSpanId":"00f067aa0ba902b7","name":"SELECT shop.orders","kind":3,
     "startTimeUnixNano":"1700000000013000000","endTimeUnixNano":"1700000000015000000",
     "attributes":[{"key":"db.system.name","value":{"stringValue":"postgresql"}},{"key":"db.query.text","value":{"stringValue":"SELECT * FROM shop.orders WHERE user_id = $1"}}],"status":{}}],
   "schemaUrl":"https://opentelemetry.io/schemas/1.26.0"},
  {"scope":{"name":"queue"},
   "spans":[
    {"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"1000000000000003","parentSpanId":"00f067aa0ba902b7","name":"publish order","kind":4,
     "startTimeUnixNano":"1700000000020000000","endTimeUnixNano":"1700000000021000000","attributes":[{"key":"messaging.system","value":{"stringValue":"kafka"}}],"status":{}}]}]}
]}
EOF
check same foreign.otlp.json foreign.otlp.json && ok || bad "the fixture does not decode: $(cat check.out)"

expect 0 '' convert foreign.otlp.json -o back.otlp.json
check same foreign.otlp.json back.otlp.json && ok || bad "OTLP -> OTLP lost something: $(tail -2 check.out)"
expect 0 '' convert foreign.otlp.json -o foreign.json
check schema "$src/assets/snapshot.schema.json" foreign.json && ok || bad "foreign native v2 against the schema: $(cat check.out)"
expect 0 '' convert foreign.json -o twice.otlp.json
check same foreign.otlp.json twice.otlp.json && ok || bad "OTLP -> native -> OTLP lost something: $(tail -2 check.out)"
grep -q '"key":"obslab\.' back.otlp.json foreign.json && bad "a lab attribute (obslab.*) on a foreign span" || ok
expect 0 '' convert foreign.otlp.json -o foreign.trace.json
[ "$(jq -r '[.traceEvents[] | select(.ph == "X") | .name] | sort | join(",")' foreign.trace.json)" \
	= "POST /checkout,SELECT shop.orders,SELECT shop.orders,publish order,render" ] && ok || bad "chrome: names not kept: $(jq -c '[.traceEvents[].name]' foreign.trace.json)"
[ "$(jq -c '.traceEvents[] | select(.name == "POST /checkout") | .args | [.weird, .blob, .tags, .ctx.user]' foreign.trace.json)" \
	= '["NaN","AP8QIA==",["a",-3,[]],"u1"]' ] && ok || bad "chrome: args are not the span's attributes"
expect 0 '' convert foreign.otlp.json -o foreign.db
[ "$(sqlite3 -separator ' ' foreign.db "SELECT service_name, count(*) FROM spans GROUP BY 1 ORDER BY 1" | tr '\n' ';')" = "checkout 2;orders 3;" ] \
	&& ok || bad "sqlite: spans per service"
[ "$(sqlite3 -separator ' ' foreign.db "SELECT type, int_value FROM span_attributes WHERE key = 'blob' OR key = 'tags' ORDER BY key" | tr '\n' ';')" = "bytes ;array ;" ] \
	&& ok || bad "sqlite: typed attributes"
[ "$(sqlite3 foreign.db "SELECT count(*) FROM spans WHERE name = 'SELECT shop.orders' AND fingerprint IS NOT NULL")" = 2 ] \
	&& ok || bad "sqlite: database spans keep their name with a fingerprint beside it"
sqlite3 -separator ' ' foreign.db "${queries[2]}" | head -1 | grep -q '^checkout 1 2$' && ok || bad "README query 3 on foreign spans: $(sqlite3 foreign.db "${queries[2]}")"

# --- Chrome: a process per service, a thread per lane ---------------------------
[ "$(jq -c '[.traceEvents[] | select(.name == "process_name") | [.pid, .args.name]]' lab.trace.json)" = '[[1,"obslab"]]' ] \
	&& ok || bad "chrome: the lab's spans are not process 1 \"obslab\""
# api's GET calls reports' server span, under which 10 queries run at once.
python3 - <<'PY'
import json
T = "abcdef0123456789abcdef0123456789"
def span(sid, parent, name, kind, s, e, attrs=()):
    d = {"traceId": T, "spanId": sid, "name": name, "kind": kind, "startTimeUnixNano": str(1700000000000000000 + s * 1000),
         "endTimeUnixNano": str(1700000000000000000 + e * 1000), "attributes": list(attrs)}
    if parent:
        d["parentSpanId"] = parent
    return d
db = [{"key": "db.system.name", "value": {"stringValue": "postgresql"}},
      {"key": "db.query.text", "value": {"stringValue": "SELECT * FROM t WHERE id = $1"}}]
reports = [span("b000000000000001", "a000000000000001", "report", 2, 500, 90000)]
reports += [span("c0000000000000%02d" % i, "b000000000000001", "SELECT rows", 3, 1000 + 10 * i, 50000 + 10 * i, db) for i in range(10)]
reports.append(span("d000000000000001", "b000000000000001", "render", 1, 60000, 70000))
doc = {"resourceSpans": [
    {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
     "scopeSpans": [{"scope": {"name": "http"}, "spans": [span("a000000000000001", None, "GET /report", 2, 0, 100000)]}]},
    {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "reports"}}]},
     "scopeSpans": [{"scope": {"name": "pg"}, "spans": reports}]}]}
json.dump(doc, open("lanes.otlp.json", "w"))
PY
expect 0 '' convert lanes.otlp.json -o lanes.trace.json
[ "$(jq -c '[.traceEvents[] | select(.ph == "M" and .name == "process_name") | .args.name] | sort' lanes.trace.json)" = '["api","reports"]' ] \
	&& ok || bad "chrome: not one process per service: $(jq -c '[.traceEvents[] | select(.name == "process_name")]' lanes.trace.json)"
[ "$(jq '[.traceEvents[] | select(.ph == "M" and .name == "process_name") | .pid] | unique | length' lanes.trace.json)" = 2 ] \
	&& ok || bad "chrome: the two services share a pid"
[ "$(jq '[.traceEvents[] | select(.ph == "X" and .name == "SELECT rows") | [.pid, .tid]] | unique | length' lanes.trace.json)" = 10 ] \
	&& ok || bad "chrome: 10 concurrent queries are not on 10 threads: $(jq -c '[.traceEvents[] | select(.ph == "X") | [.name, .pid, .tid]]' lanes.trace.json)"
[ "$(jq '[.traceEvents[] | select(.ph == "X")] | group_by([.pid, .tid]) | map(. as $g | [range(0; length) as $i | range($i + 1; length) as $j
	| $g[$i] as $a | $g[$j] as $b | ($a.ts + $a.dur <= $b.ts) or ($b.ts + $b.dur <= $a.ts)
	  or ($a.ts <= $b.ts and $b.ts + $b.dur <= $a.ts + $a.dur) or ($b.ts <= $a.ts and $a.ts + $a.dur <= $b.ts + $b.dur)] | all) | all' lanes.trace.json)" = true ] \
	&& ok || bad "chrome: two spans on one thread overlap without nesting"
[ "$(jq -c '[.traceEvents[] | select(.name == "thread_name") | .args.name] | sort | [first, last, length]' lanes.trace.json)" \
	= '["trace abcdef01","trace abcdef01 lane 9",11]' ] && ok || bad "chrome: thread names: $(jq -c '[.traceEvents[] | select(.name == "thread_name") | .args.name]' lanes.trace.json)"
jq -e '[.traceEvents[] | select(.ph == "X" and .name == "report") | .tid] == [.traceEvents[] | select(.ph == "X" and .name == "render") | .tid]' lanes.trace.json >/dev/null \
	&& ok || bad "chrome: a span that fits its parent's lane is not put there"

# --- what the file wrote beside the values --------------------------------------
# An all-zero parentSpanId (8 zero bytes, not an empty field) and a KeyValue
# without "value" are written back as they were.
cat >leftovers.otlp.json <<'EOF'
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"scope":{"name":"s"},"spans":[
 {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1111111111111111","parentSpanId":"0000000000000000","name":"root","kind":2,
  "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000",
  "attributes":[{"key":"no value"},{"key":"empty value","value":{}},{"key":"list","value":{"kvlistValue":{"values":[{"key":"inner"}]}}}],"status":{}},
 {"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"2222222222222222","parentSpanId":"","name":"other root","kind":1,
  "startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000100000000","status":{}}]}]}]}
EOF
expect 0 '' convert leftovers.otlp.json -o leftovers.back.otlp.json
expect 0 '' convert leftovers.otlp.json -o leftovers.json
check schema "$src/assets/snapshot.schema.json" leftovers.json && ok || bad "native v2 with a KeyValue without value: $(cat check.out)"
expect 0 '' convert leftovers.json -o leftovers.twice.otlp.json
check same leftovers.otlp.json leftovers.twice.otlp.json && ok || bad "OTLP -> native -> OTLP lost something: $(tail -2 check.out)"
for out in leftovers.back.otlp.json leftovers.twice.otlp.json; do
	[ "$(jq -c '[.resourceSpans[0].scopeSpans[0].spans[] | .parentSpanId]' $out)" = '["0000000000000000",null]' ] \
		&& ok || bad "$out: parentSpanId 16 zeros not written back (or empty not left out): $(jq -c '[.resourceSpans[0].scopeSpans[0].spans[] | .parentSpanId]' $out)"
	[ "$(jq -c '.resourceSpans[0].scopeSpans[0].spans[0].attributes' $out)" \
		= '[{"key":"no value"},{"key":"empty value","value":{}},{"key":"list","value":{"kvlistValue":{"values":[{"key":"inner"}]}}}]' ] \
		&& ok || bad "$out: a KeyValue without \"value\" not written back so: $(jq -c '.resourceSpans[0].scopeSpans[0].spans[0].attributes' $out)"
done

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
