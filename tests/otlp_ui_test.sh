#!/usr/bin/env bash
# The explorer with an OTLP receiver as its source (issue 16, `obslab
# --otlp`), against the real binary in tmux at 200x60 and 80x24, fed with
# hand-written OTLP/JSON bodies by curl (tests/data/otlp_live/):
#  - --otlp 127.0.0.1:0 binds a free port; the status bar says which, and
#    the empty waterfall says where to point OTEL_EXPORTER_OTLP_ENDPOINT;
#  - a trace of service checkout shows in the trace list with its service,
#    "open" while spans may join it, then closed (its duration) after the
#    quiet period; the status bar counts spans, traces and open ones;
#  - a late span joins the closed trace: reopened, 3 spans, closed again;
#  - an N+1 of PostgreSQL-style database spans (db.system.name=postgresql,
#    db.query.text) from service orders-api: the trace list counts its
#    finding, the waterfall marks it, the log says it;
#  - --lab beside it: the lab's traces and the received one in one list;
#  - q stops it: exit 0.
# Everything is polled, never read after a fixed sleep.
#  - 80x24: the waiting text wraps, never cutting a URL; the status bar keeps
#    "obslab" and the receive counts;
#  - --forward to a dead port, and the lab's --forward: at 80x24 the title,
#    the receive counts and the forwarder's short state ("→ retrying 4s")
#    all show; at 200x60 its long state with the cause;
# Usage: otlp_ui_test.sh PATH/TO/obslab DATA_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for, start_explorer
bin=$(realpath "$1")
data=$(realpath "${2:-$(dirname "$0")/data}")/otlp_live
work=$(mktemp -d)
sock="obslab-otlpui-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=30 # slow under sanitizers on a busy machine; a wait, never an assertion
QUIET_MS=4000   # the quiet period: long enough to see "open" on a slow machine
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

if ! command -v curl >/dev/null; then
	echo "SKIP: curl is not installed"
	echo "0 passed, 0 failed"
	exit 0
fi

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; return 1; fi; }
# bound_port: the port the status bar says (empty if none within the wait).
bound_port() {
	local deadline=$((SECONDS + WAIT_SECONDS)) p
	while [ $SECONDS -lt $deadline ]; do
		p=$(screen | head -1 | grep -oE 'http://127\.0\.0\.1:[0-9]+' | head -1 | grep -oE '[0-9]+$')
		[ -n "$p" ] && [ "$p" != 0 ] && { echo "$p"; return 0; }
		sleep 0.2
	done
	return 1
}
# post FILE: the body as OTLP/JSON (FILE in DATA_DIR, or a path from /); the receiver must answer 200.
post() {
	local code
	code=$(curl -s -o "$work/answer" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "@$(case $1 in /*) echo "$1" ;; *) echo "$data/$1" ;; esac)" "http://127.0.0.1:$port/v1/traces")
	if [ "$code" = 200 ]; then ok; else bad "POST $1: status $code ($(head -c 200 "$work/answer"))"; fi
}

# run_size COLS LINES: the whole story at one terminal size.
run_size() {
	local cols=$1 lines=$2 at="$1x$2"
	start_explorer "$cols" "$lines" --otlp 127.0.0.1:0 --quiet-ms "$QUIET_MS"
	port=$(bound_port) || { bad "$at: no port in the status bar"; show; return; }
	ok
	expect "waiting for OTLP on" "" "$at: the empty waterfall says where to send"
	# whole URLs, wrapped where narrow, never cut
	expect "http://127\.0\.0\.1:$port/v1/traces" "" "$at: the whole traces URL"
	expect "point OTEL_EXPORTER_OTLP_ENDPOINT at" "" "$at: and where to point the application"
	expect "http://127\.0\.0\.1:$port +│" "" "$at: the whole endpoint URL"
	if [ "$cols" -ge 200 ]; then
		expect "point OTEL_EXPORTER_OTLP_ENDPOINT at http://127\.0\.0\.1:$port" "" "$at: on one line when wide"
	fi
	if screen | grep -q 'http:/*…'; then bad "$at: a URL is cut"; show; else ok; fi
	expect "0 traces \(0 open\) . 0 spans" "" "$at: the status bar counts nothing yet"
	expect "^ obslab │" "" "$at: the status bar keeps the program's name"

	post checkout.json
	expect "1 trace \(1 open\) . 2 spans" "" "$at: the status bar counts the open trace"
	expect "last min: no trace closed" "" "$at: the attribution's window says no trace has closed (not the lab's words)"
	if screen | grep -q "since the last change"; then bad "$at: the lab's wording on received traces"; show; else ok; fi
	keys T
	expect "open +checkout +POST /checkout" "" "$at: the trace list shows it open, with its service"
	expect "[0-9.]+ms +checkout +POST /checkout +2 " "" "$at: closed after the quiet period, its duration shown"
	expect "1 trace \(0 open\) . 2 spans" "" "$at: the status bar says none is open"

	post checkout_late.json
	expect "open +checkout +POST /checkout +3 " "" "$at: a late span reopens it: 3 spans, open"
	expect "50\.0ms +checkout +POST /checkout +3 " "" "$at: closed again with the late span"
	rows=$(screen | grep -Ec "checkout +POST /checkout")
	if [ "$rows" = 1 ]; then ok; else bad "$at: the trace shows in $rows rows"; show; fi

	post orders_n1.json
	expect "orders-api +GET /users +8 +0 +1 " "" "$at: the N+1 trace: its service, 8 spans, 1 finding"
	keys Escape
	expect "SELECT orde.* ×6 .*N\+1" "" "$at: the waterfall marks the N+1 group"
	expect "2 traces \(0 open\) . 11 spans" "" "$at: every span counted, every trace closed"
	if [ "$cols" -ge 200 ]; then
		expect "finding: N\+1, 6 x SELECT orders" "" "$at: the log says the finding"
		# two more traces like it (other trace ids): each one's finding logged, the same line counted up
		for k in 1 2; do
			sed "s/b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2/b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2c$k/g" "$data/orders_n1.json" >"$work/n1_$k.json"
			post "$work/n1_$k.json"
		done
		expect "4 traces \(0 open\) . 27 spans" "" "$at: the two more traces counted"
		expect "finding: N\+1, 6 x SELECT orders.*×3" "" "$at: each received trace's finding logged (×3)"
		expect "last min, 4 traces: own" "" "$at: the attribution's window over the closed traces"
	fi
	keys q
	expect "EXIT=0" "" "$at: q stops it cleanly"
}

run_size 200 60
run_size 80 24

# --forward at 80x24 to a port nothing listens on: the title, the receive counts and the forwarder's short state
# ("→ retrying 4s") all show, the receiver's address giving way first; wide, the long state (with its cause)
# shows before "live".
start_explorer 80 24 --otlp 127.0.0.1:0 --forward http://127.0.0.1:1/v1/traces --quiet-ms 200
if port=$(bound_port); then
	ok
	expect "^ obslab │ http://127\.0\.0\.1:$port . 0 traces \(0 open\) . 0 spans │ → idle │ ● live" "" \
		"80x24 --forward: the address too while it fits"
	post orders_n1.json
	for k in 1 2; do
		sed "s/b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2/b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2d$k/g" "$data/orders_n1.json" >"$work/fw_$k.json"
		post "$work/fw_$k.json"
	done
	expect "^ obslab │ 3 traces \(0 open\) . 24 spans │ → (retrying [0-9]+s|failing)( . dropped [0-9.]+k?)? │ ● live *$" "" \
		"80x24 --forward: the title, the receive counts and the forwarder's short state"
	if screen | head -1 | grep -q "collector"; then bad "80x24 --forward: the long form does not fit"; show; else ok; fi
	tm resize-window -t t -x 200 -y 60
	expect "^ obslab │ receiving on http://127\.0\.0\.1:$port . 3 traces \(0 open\) . 24 spans │ → collector: (retrying in [0-9]+s \\(|failing: ).*Couldn't connect.* │ ● live" "" \
		"200x60 --forward: the forwarder's state with its cause, before live"
	tm resize-window -t t -x 80 -y 24
	expect "^ obslab │ 3 traces \(0 open\) . 24 spans │ → (retrying [0-9]+s|failing)" "" "80x24 again: the short form"
	keys q
	expect "EXIT=0" "" "--forward: q stops it"
else
	bad "--forward: no port in the status bar"
	show
fi

# The lab forwarding (no --otlp) at 80x24: its short state beside the lab's segments; wide, the long one.
start_explorer 80 24 --users 20 --db "$work/fwd.db" --forward http://127.0.0.1:1/v1/traces
expect "^ obslab │ .* │ 20 users │ .* │ → (retrying [0-9]+s|failing)( . dropped [0-9.]+k?)? │ ● live *$" "" \
	"lab 80x24 --forward: the forwarder's short state"
tm resize-window -t t -x 200 -y 60
expect "^ obslab │ .* │ spans [0-9,]+ . dropped [0-9,]+ │ → collector: (retrying in [0-9]+s \\(|failing: ).* │ ● live" "" \
	"lab 200x60 --forward: the long state"
keys q
expect "EXIT=0" "" "lab --forward: q stops it (what is queued is dropped at its flush's end)"

# --lab: the lab's traces and the received one in one store.
start_explorer 200 60 --otlp 127.0.0.1:0 --lab --users 20 --quiet-ms "$QUIET_MS"
if port=$(bound_port); then
	ok
	keys T
	expect "obslab +GET /users/analytics" "" "--lab: the trace list has the lab's traces"
	post orders_n1.json
	expect "orders-api +GET /users +8 " "" "--lab: the received trace beside them"
	keys Escape q
	expect "EXIT=0" "" "--lab: q stops it cleanly"
else
	bad "--lab: no port in the status bar"
	show
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
