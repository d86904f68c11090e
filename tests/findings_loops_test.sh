#!/usr/bin/env bash
# Findings told truthfully, against the real binary (issue 14 review):
#  - an N+1 whose loop has no other query before it (a foreign trace's group
#    may have none) is explained without one, and selecting its spans (j,
#    /search with n/N, G) never crashes the explorer;
#  - a trace of 40 handlers x 30 identical queries: report text and JSON
#    count 1 trace (40 loops), a request's cost adds up all 40 loops, and the
#    trace list says 40 findings;
#  - obslab's OTLP export keeps the full scan in a loop: report of the file
#    (and of its native convert) finds both findings;
#  - the legend (l) says what the bars mean for the shown trace's kind and is
#    never cut at 120 columns.
# Usage: findings_loops_test.sh PATH/TO/obslab SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-findings-loops-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=20
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "screen never showed /$1/"; show; fi; }
absent() { if screen | grep -Eq -- "$1"; then bad "screen shows /$1/"; show; else ok; fi; }
explorer() {
	start_explorer "$@"
	wait_for '─ Waterfall |EXIT=' 20
}
alive() { if screen | grep -q 'EXIT='; then bad "the explorer exited ($1): $(screen | grep -o 'EXIT=[0-9]*')"; show; return 1; fi; ok; }

# --- an N+1 with no query before its loop -------------------------------------------------
cp "$src/tests/hostile/foreign/accept-n1-without-source.json" v0.otlp.json
for size in "120 40" "80 24"; do
	explorer $size open v0.otlp.json
	keys j
	expect '(5 sibling spans|evil)'
	sleep 0.5
	alive "j at $size" || continue
	expect 'N\+1: 5 sequential evil under root'
	absent 'sequential evil after'
	keys / e v i l Enter
	sleep 0.5; alive "/evil at $size"
	keys n; sleep 0.3; keys N; sleep 0.3; keys G; sleep 0.5
	alive "n N G at $size" || continue
	keys q
	expect 'EXIT=0'
done

# --- 40 handlers x 30 identical queries: one trace, 40 loops -----------------------------------
python3 - <<'PY'
import json
S=lambda k,v:{"key":k,"value":{"stringValue":v}}
t=1700000000000000000; tid="0123456789abcdef0123456789abcdef"; G=40; Q=30
sp=[{"traceId":tid,"spanId":"%016x"%1,"name":"root","kind":2,"startTimeUnixNano":str(t),"endTimeUnixNano":str(t+G*Q*1000000+1000)}]
n=2
for g in range(G):
  hs=t+g*Q*1000000; hid="%016x"%n; n+=1
  sp.append({"traceId":tid,"spanId":hid,"parentSpanId":"%016x"%1,"name":"handler","kind":1,"startTimeUnixNano":str(hs),"endTimeUnixNano":str(hs+Q*1000000)})
  for q in range(Q):
    s=hs+q*1000000
    sp.append({"traceId":tid,"spanId":"%016x"%n,"parentSpanId":hid,"name":"q","kind":3,"startTimeUnixNano":str(s),"endTimeUnixNano":str(s+900000),
      "attributes":[S("db.system","postgresql"),S("db.statement","SELECT a FROM b WHERE id = 5")]}); n+=1
json.dump({"resourceSpans":[{"resource":{"attributes":[S("service.name","svc")]},"scopeSpans":[{"scope":{"name":"s"},"spans":sp}]}]},open("g40.otlp.json","w"))
PY
"$bin" report g40.otlp.json >rep.txt 2>err.txt && ok || bad "report g40: $(cat err.txt)"
grep -q 'N+1 in 1 of 1 traces (40 loops): "SELECT a FROM b WHERE id = ?"; 1080.000 ms a request' rep.txt && ok ||
	bad "report text: $(grep 'N+1' rep.txt)"
grep -Eq '^ +1200\.001 ms +1241 +0 +40 ' rep.txt && ok || bad "trace list row: $(grep -A1 'duration' rep.txt | tail -1)"
"$bin" report g40.otlp.json --json >rep.json 2>err.txt && ok || bad "report --json g40: $(cat err.txt)"
[ "$(jq -c '[.findings[] | [.traces, .loops, .cost_ms]]' rep.json)" = '[[1,40,1080]]' ] && ok ||
	bad "report json findings: $(jq -c .findings rep.json)"
[ "$(jq '.trace_list[0].findings' rep.json)" = 40 ] && ok || bad "json trace list findings: $(jq '.trace_list[0].findings' rep.json)"
explorer 200 60 open g40.otlp.json
keys T
expect 'findings'
row=$(screen | grep -E '^│ +\+0ns' | head -1)
grep -Eq ' 40 +│$' <<<"$row" && ok || bad "trace list findings: $row"
keys Escape
keys q
expect 'EXIT=0'

# --- the legend, for a foreign trace and a lab one, at 120 columns -------------------------
explorer 120 40 open v0.otlp.json
keys l
expect 'span: own work, calls +█ database incl\. network'
expect '● critical path \(C\)'
absent 'network \(simulated\)'
keys q
expect 'EXIT=0'

# --- obslab's OTLP export keeps the full scan in a loop -------------------------------------
"$bin" export --format otlp -o lab.otlp.json --db lab.db --users 200 --requests 2 >/dev/null 2>err.txt && ok ||
	bad "export otlp: $(cat err.txt)"
"$bin" report lab.otlp.json --json >lab.json 2>err.txt && ok || bad "report lab.otlp.json: $(cat err.txt)"
[ "$(jq -c '[.findings[] | .kind] | sort' lab.json)" = '["full_scan_loop","n_plus_one"]' ] && ok ||
	bad "OTLP export lost a finding: $(jq -c '[.findings[] | .kind]' lab.json)"
[ "$(jq -c '[.findings[] | select(.kind == "full_scan_loop") | .traces]' lab.json)" = '[2]' ] && ok ||
	bad "full scan not in both traces: $(jq -c .findings lab.json)"
[ "$(jq '[.trace_list[].findings] | min' lab.json)" = 2 ] && ok || bad "trace list: $(jq -c '[.trace_list[].findings]' lab.json)"
"$bin" convert lab.otlp.json -o native.json >/dev/null 2>err.txt && ok || bad "convert: $(cat err.txt)"
"$bin" report native.json --json >native.rep 2>err.txt && ok || bad "report native.json: $(cat err.txt)"
[ "$(jq -c '[.findings[] | .kind] | sort' native.rep)" = '["full_scan_loop","n_plus_one"]' ] && ok ||
	bad "native convert lost a finding: $(jq -c '[.findings[] | .kind]' native.rep)"
"$bin" report lab.otlp.json | grep -q 'full scan in a loop in 2 of 2 traces: .*orders(user_id)' && ok ||
	bad "report text: $("$bin" report lab.otlp.json | grep -A3 '^findings')"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
