#!/usr/bin/env bash
# The explorer shows someone else's file as it is (issue 13, the ui area),
# against the real binary in tmux at 80x24 and 200x60, on
# tests/data/foreign_small.otlp.json: two services (checkout, payments), a
# PostgreSQL span that failed with a message and has an event, attributes of
# every type (string, int, double, bool, bytes, array, kvlist), an orphan
# whose parent is not in the file and a child that ends 5 ns after its parent.
#  - the spans' own names ("SELECT shop.orders", never "SELECT orders");
#  - the services in the waterfall's title and the status bar, with what was
#    marked (1 orphan, 1 skewed);
#  - the orphan under a dimmed "⚠ missing parent aaaaaaaa…" row, the skewed
#    child marked, the failed span marked;
#  - the details of a span: status and message, service and scope, every
#    attribute with its type, the event at its offset, the fingerprint beside
#    the name of the database span, the orphan and skew marks;
#  - nothing of the lab's: no obslab.* attribute, no VM steps, no sqlite, no
#    GET /users/analytics;
#  - a folded run of spans never hides their children (an RPC loop's queries,
#    orphans under grouped missing parents), a folded group counts them; cut
#    parent loops grouped under their own name; a child past its root's end
#    on the ruler;
#  - a served request's entry span whose parent is remote (flags 0x301, the
#    caller's span in another process): the root, no orphan, its parent
#    named as remote in its details.
# Usage: foreign_ui_test.sh PATH/TO/obslab SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-foreign-ui-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=8
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "screen never showed /$1/"; show; fi; }
absent() { if screen | grep -Eq -- "$1"; then bad "screen shows /$1/"; show; else ok; fi; }
# Nothing a lab span has, anywhere on the screen.
no_lab() {
	for lab in 'obslab\.' 'VM steps' 'full-scan steps' 'auto-index' 'sqlite' 'SELECT orders' \
		'GET /users' 'strategy' 'ran under'; do
		absent "$lab"
	done
}

# opened: true once the explorer shows the file; a refusal (the program
# exited) is one failure, and the checks of that size are not run.
opened() {
	wait_for '─ Waterfall |EXIT=' 15
	if screen | grep -q 'EXIT='; then bad "the file was not opened at $1"; show; return 1; fi
	return 0
}

cp "$src/tests/data/foreign_small.otlp.json" f.json

# --- 200x60 --------------------------------------------------------------------------------
explorer 200 60 open f.json
if opened 200x60; then
expect '─ Waterfall · trace #1 · checkout, payments · 4 spans'
expect 'file f\.json │ services checkout, payments │ ⚠ 1 orphan · 1 skewed'
expect 'POST /checkout \(error\)'
expect '├ SELECT shop\.orders \(error\)'
expect '├ charge card \(clock skew\)'
expect '└ ⚠ missing parent aaaaaaaa…'
expect '  └ refund'
no_lab
# the root, selected first
expect 'POST /checkout  \(server span\)'
expect 'status error: payment failed'
expect 'service checkout · scope @opentelemetry/instrumentation-http 0\.52\.0'
expect 'http\.response\.status_code = 500 \(int\)'
expect 'service\.name = "checkout" \(string\)'
# service.name first among the resource's attributes, though the file lists host.name first
r=$(screen | grep -oE '(service\.name|host\.name) = "[^"]*"' | head -2 | tr '\n' ' ')
[ "$r" = 'service.name = "checkout" host.name = "web-1" ' ] && ok || bad "resource attributes in order: $r"
# the database span
keys j
expect 'SELECT shop\.orders  \(client span\)'
expect 'fingerprint SELECT \* FROM shop\.orders WHERE user_id = \?'
expect 'status error: connection reset by peer'
expect 'db\.system\.name = "postgresql" \(string\)'
expect 'db\.response\.returned_rows = 3 \(int\)'
expect 'pool\.utilization = 0\.75 \(double\)'
expect 'cache\.hit = false \(bool\)'
expect 'request\.digest = 0xdeadbeef \(bytes, 4\)'
expect 'query\.tags = \["orders", 7\] \(array of 2\)'
expect 'query\.ctx = \{tenant: "acme"\} \(kvlist of 1\)'
expect '\+1\.50ms retry'
expect 'retry\.attempt = 2 \(int\)'
absent 'network [^│]*\(simulated\) ·'
no_lab
# the skewed child, the placeholder, the orphan
keys j
expect 'charge card  \(server span\)'
expect '⚠ clock skew: ends 5ns after its parent'
expect 'service payments · scope payments-lib 1\.0\.0'
keys j
expect '⚠ missing parent aaaaaaaaaaaaaaaa'
expect 'not a span: the file has no span aaaaaaaaaaaaaaaa'
keys j
expect 'refund  \(internal span\)'
expect '⚠ orphan: parent aaaaaaaaaaaaaaaa not in the file'
keys q
expect 'EXIT=0'
fi

# --- 80x24 ---------------------------------------------------------------------------------
explorer 80 24 open f.json
if opened 80x24; then
expect '─ Waterfall · trace #1 · checkout, payments'
expect 'services checkout, payments'
expect 'POST /checkout'
expect 'SELECT shop\.o'
expect '⚠ missing parent'
expect 'refund'
no_lab
keys j
expect 'SELECT shop\.orders  \(client span\)'
expect 'fingerprint SELECT'
# every row the terminal's width: long text is cut, never spilled
w=$(screen | while IFS= read -r row; do n=$(printf %s "$row" | LC_ALL=C.UTF-8 wc -m); [ "$n" -gt 80 ] && echo "$n"; done | head -3)
[ -z "$w" ] && ok || bad "rows wider than 80: $w"
keys q
expect 'EXIT=0'
fi

# --- review findings: counts, cycles, the first trace, doubles, help, cut details ----------
cp "$src/tests/data/foreign_cycle.otlp.json" cycle.json
explorer 120 40 open cycle.json
if opened cycle; then
# 4 spans in the file (not the 3 placeholders), in a cycle and not called orphans
expect 'file cycle\.json │ service svc │ ⚠ 4 in a parent cycle │ 1 trace · 4 spans'
absent 'orphan'
expect '├ ⚠ parent cycle cut'
absent 'missing parent 0000'
keys j
expect 'parent cycle cut here'
expect '"a" \(span'
expect 'names 0000000000000003 as'
absent 'the file has no span'
keys q
expect 'EXIT=0'
fi

cp "$src/tests/data/foreign_shop.otlp.json" shop.json
explorer 120 40 open shop.json
if opened shop; then
# the heaviest trace first (the 22 ms N+1), said in the log; [ ] offered
expect 'read-only │ trace 1 of 4'
expect 'GET /api/orders/summary  \(server span\)'
expect '\[ \] trace'
absent 'snapshot'
# the details pane is cut at this size, and says so
expect '(↓|v) [0-9]+ more lines'
keys '?'
expect 'next trace of the file'
absent 'live again'
absent 'the comparison or the sweep'
keys q
keys q
expect 'EXIT=0'
fi

cp "$src/tests/data/foreign_fields.otlp.json" fields.json
explorer 200 60 open fields.json
if opened fields; then
expect 'opened fields\.json: 2 traces, read-only; showing the heaviest'
for _ in 1 2 3 4 5 6; do screen | grep -q 'root op  (' && break; keys j; sleep 0.3; done
expect 'd\.tenth = 0\.1 \(double\)'
expect 'd\.tiny = 5e-324 \(double\)'
expect 'd\.nan = NaN \(double\)'
expect 'd\.inf = -Infinity \(double\)'
absent '0\.10000000000000001'
keys q
expect 'EXIT=0'
fi

# --- review 2: folded runs never hide spans, cut loops named as such, skew past the root ----
# otlp FILE SPAN...: an OTLP/JSON file of one trace; a span is "id parent name start_us end_us"
# (parent 0: none).
otlp() {
	local out=$1 sep='' id parent name a b; shift
	{
		printf '{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},'
		printf '"scopeSpans":[{"scope":{"name":"s"},"spans":['
		for s in "$@"; do
			read -r id parent name a b <<<"$s"
			name=${name//_/ }
			printf '%s{"traceId":"%032x","spanId":"%016x",' "$sep" 2748 "$id"
			[ "$parent" = 0 ] || printf '"parentSpanId":"%016x",' "$parent"
			printf '"name":"%s","kind":3,"startTimeUnixNano":"%d","endTimeUnixNano":"%d"}' "$name" \
				$((1772445600000000000 + a * 1000)) $((1772445600000000000 + b * 1000))
			sep=,
		done
		printf ']}]}]}'
	} >"$out"
}
# 10 calls each running one query (an RPC loop), 5 orphans each with its own missing parent.
spans=("1 0 GET_/rpc 0 40000")
for i in $(seq 0 9); do
	spans+=("$((100 + i)) 1 GET_/user $((i * 3000 + 100)) $((i * 3000 + 2600))")
	spans+=("$((200 + i)) $((100 + i)) SELECT_users $((i * 3000 + 300)) $((i * 3000 + 1800))")
done
otlp rpc.json "${spans[@]}"
explorer 200 60 open rpc.json
if opened rpcloop; then
expect '└ ▾ GET /user ×10 '
# every call's query is shown under it
n=$(screen | grep -c '    └ SELECT users ')
[ "$n" = 10 ] && ok || bad "rpc loop: $n of 10 queries shown under their calls"; [ "$n" = 10 ] || show
keys j Enter
expect '└ ▸ GET /user ×10 \(\+10 below\)'
absent 'SELECT users '
keys q
expect 'EXIT=0'
fi

spans=()
for i in $(seq 0 4); do spans+=("$((10 + i)) $((900 + i)) consume_msg $((i * 1000)) $((i * 1000 + 500))"); done
otlp orphans.json "${spans[@]}"
explorer 200 60 open orphans.json
if opened orphans5; then
expect '└ ▾ ⚠ missing parent ×5'
n=$(screen | grep -c '    └ consume msg ')
[ "$n" = 5 ] && ok || bad "orphans: $n of 5 shown"; [ "$n" = 5 ] || show
keys q
expect 'EXIT=0'
fi

# five 2-span parent loops
spans=()
for i in $(seq 0 4); do
	spans+=("$((10 + 2 * i)) $((11 + 2 * i)) job0 $((i * 1000)) $((i * 1000 + 500))")
	spans+=("$((11 + 2 * i)) $((10 + 2 * i)) job1 $((i * 1000 + 1)) $((i * 1000 + 499))")
done
otlp loops.json "${spans[@]}"
explorer 200 60 open loops.json
if opened cycles5; then
expect '└ ▾ ⚠ parent cycle cut ×5'
absent 'missing parent ×'
absent '⚠ missing parent [0-9a-f]'
n=$(screen | grep -cE '      └ job1 \(cycle\)')
[ "$n" = 5 ] && ok || bad "loops: $n of 5 second spans shown"; [ "$n" = 5 ] || show
keys j j
expect 'the loop is cut here and its 2 spans are shown under this node'
keys q
expect 'EXIT=0'
fi

# a child running 22 ms past its 10 ms root
otlp skew.json "1 0 GET_/skew 0 10000" "2 1 SELECT_x 5000 25000" "3 1 GET_other 2000 32000"
explorer 200 60 open skew.json
if opened skew; then
expect 'Waterfall · trace #1 · svc · 3 spans · 0 queries · 10\.0ms ─'
expect '┬5ms +│root end ┬15ms +┬20ms +┬25ms'
expect 'GET other \(clock skew\) .* 30\.0ms'
keys j z # zoomed into the skewed child: the range from its start, the root's end marked in it
expect 'Waterfall · zoom 1 · trace #1'
expect '┬2ms +.*│root end'
keys q
expect 'EXIT=0'
fi

# --- a served request's record: its parent is the caller's span (flags 0x301) --------------
# (tests/data/served_remote_parent.otlp.json: obslab serve's own OTLP record of a
# request that came with a W3C traceparent) the entry span is the trace's root:
# no orphan counted, no placeholder, the remote parent named in its details.
cp "$src/tests/data/served_remote_parent.otlp.json" served.json
for size in "200 60" "80 24"; do
	explorer $size open served.json
	opened "served $size" || continue
	expect 'file served\.json │ service obslab'
	expect 'GET /users/analytics  \(server span\)'
	keys Tab Tab End # the details pane, its last lines: the ids
	expect 'b7ad6b7169203331 \(remote: in the( caller.s process\))?'
	absent '⚠'
	absent 'orphan|missing (root|parent)'
	keys q
	expect 'EXIT=0'
done

# 200 000 services, one resource each: opens without a quadratic pause
awk 'BEGIN { n = 200000; printf "{\"resourceSpans\":["
	for (i = 0; i < n; i++) printf "%s{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"svc%d\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},\"spans\":[{\"traceId\":\"%032x\",\"spanId\":\"%016x\",\"name\":\"op\",\"kind\":2,\"startTimeUnixNano\":\"1772445600%09d\",\"endTimeUnixNano\":\"1772445600%09d\"}]}]}", i ? "," : "", i, i + 1, i + 1, i * 1000, i * 1000 + 500
	printf "]}" }' >many.json
explorer 200 60 open many.json
if wait_for 'services svc0, svc1, svc2, svc3 \+199996 more' 30; then ok; else bad "200 000 services: not open within 30 s"; show; fi
keys q

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
