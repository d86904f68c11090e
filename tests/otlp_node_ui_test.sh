#!/usr/bin/env bash
# The explorer with an OTLP receiver as its source (issue 16, `obslab --otlp
# HOST:PORT`), against the real binary in tmux at 80x24 and 200x60, fed by
# the OpenTelemetry JavaScript SDK (tests/node/otlp_send.js over OTLP/HTTP
# protobuf: three services, three traces, one with an N+1 of PostgreSQL
# spans):
#  - it says where it receives (the port, found free by probing);
#  - the trace list (T) fills with the three traces, each with its service
#    and root span: shop-api's GET /api/orders/summary and POST
#    /api/checkout, mailer's order.placed process; once they are complete
#    (no span for the quiet period) still three rows, none open, and the
#    status bar counts 22 spans, 3 traces, 0 open;
#  - the N+1 is found: its trace counts a finding, and opened, the waterfall
#    folds its ten SELECT orders into one "×10 ⚠N+1" row;
#  - q quits with status 0;
#  - MODULE2's live commands (the ```bash blocks of its chapter "Your own
#    traces") run as the text says, in order, each port (4318, 4319) a free
#    one: an explorer (--otlp) in tmux, a receive in the background, each
#    stopping what held its port before (as a reader quits the explorer
#    first); a command that reads a running receive's record stops the
#    explorer (q) and that receive (SIGTERM) first, as the text says; every
#    other command exits 0, a report names the N+1, and the stand-in
#    Collector's file holds every span the SDK sent it through the explorer
#    once, and the lab's three requests under OTEL_SERVICE_NAME.
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

show() { screen | grep -v '^ *$' | sed 's/^/    | /'; }
check() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', expected '$2'"; fi; }
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

# all_closed: true once the trace list shows rows and none of them open.
all_closed() {
	local deadline=$((SECONDS + WAIT_SECONDS)) s
	while [ $SECONDS -lt $deadline ]; do
		s=$(screen)
		grep -q 'GET /api/orders/summary' <<<"$s" && ! grep -Eq '^│ +\+[0-9.]+[nµum]?s +open ' <<<"$s" && return 0
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
	# once each is complete (no span for the quiet period): still the three, none open
	if all_closed; then ok; else bad "$size: the traces are still open"; show; fi
	if [ "$cols" -ge 120 ]; then
		expect "receiving on http://127\.0\.0\.1:$port .*3 traces \(0 open\)" "" "$size: the status bar counts the traces"
		expect "receiving on http://127\.0\.0\.1:$port .*22 spans" "" "$size: the status bar counts the spans"
	fi
	expect '─ Traces 3 ' "" "$size: the trace list counts 3 traces once they are complete"
	check "$(screen | grep -cE '^│ +\+[0-9.]+[nµum]?s ')" 3 "$size: rows in the trace list once complete"
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

# --- MODULE2's live commands ---------------------------------------------------------------
guide_commands() {
	awk '/^## Your own traces/ { c = 1; next } /^## / { c = 0 }
	     c && /^```bash$/ { on = 1; next } on && /^```/ { on = 0 } c && on && NF { print }' "$src/docs/MODULE2.md.in"
}
declare -A portmap holder record
for p in $(guide_commands | grep -oE '127\.0\.0\.1:[0-9]+' | cut -d: -f2 | sort -u); do portmap[$p]=$(free_port); done
subst() {
	local c=$1 p
	c=${c//build\/obslab/$bin}
	c=${c//tests\/node\//$node_dir/}
	for p in "${!portmap[@]}"; do c=${c//127.0.0.1:$p/127.0.0.1:${portmap[$p]}}; done
	printf '%s' "$c"
}
explorer_on=
# quit_explorer: q, and its exit status 0.
quit_explorer() {
	[ -n "$explorer_on" ] || return 0
	keys q
	expect 'EXIT=0' "" "guide: the explorer ($explorer_on) quits with status 0"
	explorer_on=
	local p
	for p in "${!holder[@]}"; do [ "${holder[$p]}" = explorer ] && unset "holder[$p]"; done
}
# stop_holder PORT: what the guide started on PORT, stopped.
stop_holder() {
	local h=${holder[$1]:-}
	[ -n "$h" ] || return 0
	if [ "$h" = explorer ]; then quit_explorer; return 0; fi
	stop_pid "$h"
	check_status "guide: receive on ${portmap[$1]} at SIGTERM"
	unset "holder[$1]"
	for f in "${!record[@]}"; do [ "${record[$f]}" = "$h" ] && unset "record[$f]"; done
}
check_status() { [ "$status" = 0 ] && ok || bad "$1: exit status $status"; }
guide_port() { grep -oE '127\.0\.0\.1:[0-9]+' <<<"$1" | head -1 | cut -d: -f2; }
n=0 manifest=
while IFS= read -r line; do
	n=$((n + 1))
	cmd=$(subst "$line")
	port=$(guide_port "$line")
	if [[ "$line" == *" --otlp "* ]]; then
		quit_explorer
		stop_holder "$port"
		start_explorer 200 60 "${cmd#"$bin" }"
		if accepting "${portmap[$port]}"; then ok; explorer_on=$line holder[$port]=explorer
		else bad "guide: '$line' does not receive"; show; fi
	elif [[ "$line" == *"build/obslab receive "* ]]; then
		stop_holder "$port"
		bash -c "exec $cmd" 2>"guide-rx-$n.err" &
		rpid=$!
		pids+=("$rpid")
		if wait_file_port "guide-rx-$n.err" "$rpid" 's|^obslab: receiving OTLP on http://127\.0\.0\.1:\([0-9]*\)/v1/traces.*|\1|p'; then
			ok
			holder[$port]=$rpid
			f=$(grep -oE -- '--record [^ ]+' <<<"$line" | cut -d' ' -f2)
			[ -n "$f" ] && record[$f]=$rpid
		else
			bad "guide: '$line' did not start: $(head -3 "guide-rx-$n.err")"
		fi
	else
		# reading a running receive's record: the explorer quit and the receive stopped first
		for f in "${!record[@]}"; do
			if [[ " $line " == *" $f "* ]]; then
				quit_explorer
				for p in "${!holder[@]}"; do [ "${holder[$p]}" = "${record[$f]}" ] && stop_holder "$p"; done
			fi
		done
		if bash -c "$cmd" >"guide-$n.out" 2>"guide-$n.err" </dev/null; then ok
		else bad "guide: '$line' failed: $(tail -3 "guide-$n.err")"; fi
		[[ "$line" == *otlp_send.js* ]] && manifest="guide-$n.out"
		if [[ "$line" == *" report "* ]]; then
			grep -q 'N+1' "guide-$n.out" && ok || bad "guide: '$line' names no N+1: $(grep -A2 findings "guide-$n.out" | head -3)"
		fi
	fi
done < <(guide_commands)
[ $n -ge 6 ] && ok || bad "MODULE2.md.in has $n live commands in 'Your own traces' (\`\`\`bash blocks)"
# the stand-in Collector: the SDK's spans (its last run) once each, the lab's three requests
if [ -s collector.otlp.json ] && [ -n "$manifest" ]; then
	want=$(jq -r '.sent.spans[] | .traceId + " " + .spanId' "$manifest" | sort)
	got=$(jq -r '.resourceSpans[].scopeSpans[].spans[] | .traceId + " " + .spanId' collector.otlp.json | sort)
	[ -n "$want" ] && [ "$(comm -23 <(echo "$want") <(echo "$got") | wc -l)" = 0 ] && ok ||
		bad "guide: the stand-in Collector lacks spans the SDK sent through the explorer"
	[ "$(sort <<<"$got" | uniq -d | wc -l)" = 0 ] && ok || bad "guide: the stand-in Collector received spans twice"
	check "$(jq -r '[.resourceSpans[] | select(any(.resource.attributes[]; .key == "service.name" and .value.stringValue == "my-lab"))
		| .scopeSpans[].spans[] | select((.parentSpanId // "") == "") | .traceId] | unique | length' collector.otlp.json)" 3 \
		"guide: the lab's requests at the stand-in Collector under OTEL_SERVICE_NAME"
else
	bad "guide: no collector.otlp.json from the stand-in Collector, or no SDK run"
fi
quit_explorer
for p in "${!holder[@]}"; do stop_holder "$p"; done

echo "$passed passed, $failed failed"
[ $failed = 0 ]
