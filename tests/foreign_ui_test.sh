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
#    GET /users/analytics.
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
explorer() {
	local cols=$1 lines=$2; shift 2
	tm kill-server 2>/dev/null
	for _ in $(seq 50); do tm has-session 2>/dev/null || break; sleep 0.1; done
	sleep 0.3
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x "$cols" -y "$lines" -s t \
		"env TZ=UTC LC_ALL=C.UTF-8 $bin $*; echo EXIT=\$?; sleep 600"
	tm set-option -t t -g status off
}
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
expect 'snapshot f\.json │ services checkout, payments │ ⚠ 1 orphan · 1 skewed'
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

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
