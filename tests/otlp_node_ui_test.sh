#!/usr/bin/env bash
# The explorer with an OTLP receiver as its source (issue 16, `obslab --otlp
# HOST:PORT`), against the real binary in tmux at 80x24 and 200x60, fed by
# the OpenTelemetry JavaScript SDK (tests/node/otlp_send.js over OTLP/HTTP
# protobuf: three services, three traces, one with an N+1 of PostgreSQL
# spans):
#  - it says where it receives (the port, found free by probing);
#  - the trace list (T) fills with the three traces, each with its service
#    and root span: shop-api's GET /api/orders/summary and POST
#    /api/checkout, mailer's order.placed process;
#  - the N+1 is found: its trace counts a finding, and opened, the waterfall
#    folds its ten SELECT orders into one "×10 ⚠N+1" row;
#  - q quits with status 0.
# Installs the SDK from the npm registry into the build directory once (the
# directory files_test.sh and foreign_test.sh use).
# Usage: otlp_node_ui_test.sh PATH/TO/obslab SOURCE_DIR WORK_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
node_dir="$(realpath "$3")/node-checks"
. "$src/tests/lib.sh" # ok, bad, tm, screen, keys, wait_for, start_explorer
work=$(mktemp -d)
sock="obslab-otlp-ui-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=30 # slow under sanitizers on a busy machine; a wait, never an assertion
pids=()
cleanup() {
	tm kill-server 2>/dev/null
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1
. "$src/tests/otlp_lib.sh" # node_install, free_port
for tool in node npm curl tmux; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; echo "0 passed, 0 failed"; exit 0; }
done
node_install || { bad "npm install"; echo "$passed passed, $failed failed"; exit 1; }

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; return 1; fi; }
# accepting PORT: true once a POST of an empty request is answered 200 (the
# receiver is up), false if the explorer ended or it never was.
accepting() {
	local deadline=$((SECONDS + WAIT_SECONDS))
	: >empty.bin
	while [ $SECONDS -lt $deadline ]; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-protobuf' --data-binary @empty.bin \
			"http://127.0.0.1:$1/v1/traces")" = 200 ] && return 0
		screen | grep -q 'EXIT=' && return 1
		sleep 0.2
	done
	return 1
}

for size in 200x60 80x24; do
	cols=${size%x*} lines=${size#*x}
	port=$(free_port)
	start_explorer "$cols" "$lines" --otlp "127.0.0.1:$port"
	if ! accepting "$port"; then
		bad "$size: obslab --otlp 127.0.0.1:$port does not receive"
		show
		continue
	fi
	ok
	expect "$port" "" "$size: where it receives"
	if node "$node_dir/otlp_send.js" proto "http://127.0.0.1:$port/v1/traces" --quiet >send.out 2>&1; then ok
	else bad "$size: the SDK's export failed: $(cat send.out)"; fi
	# the trace list: three rows, each with its service and root
	keys T
	expect '─ Traces 3 ' "" "$size: the trace list counts 3 traces"
	expect 'shop-api +GET /api/orders/summary' "" "$size: the N+1's trace, with its service"
	expect 'shop-api +POST /api/checkout' "" "$size: the failed checkout, with its service"
	expect 'mailer +order\.placed process' "" "$size: the worker's trace, with its service"
	screen | grep -E 'GET /api/orders/summary' | grep -Eq ' 1 +│$' && ok || { bad "$size: the N+1's trace counts no finding"; show; }
	# open it: the ten queries folded into one row marked N+1
	keys '\'; keys C-u; keys -l 'summary'; keys Enter
	expect '─ Traces 1 |Traces 1 of 3' "" "$size: the filter keeps the one trace"
	keys Enter
	expect 'SELECT ord.*×10 ⚠N\+1' "" "$size: the waterfall shows the N+1"
	expect '⚠N\+1' "" "$size: the query list marks it"
	keys q
	expect 'EXIT=0' "" "$size: q quits with status 0"
done

echo "$passed passed, $failed failed"
[ $failed = 0 ]
