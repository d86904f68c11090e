#!/usr/bin/env bash
# The waterfall's navigation (issue 14, waterfall), against the real binary
# in tmux at 80x24 and 200x60, on the lab (paused, naive, 20 users) and on
# an opened OpenTelemetry file (tests/data/foreign_small.otlp.json):
#  - z zooms into the selected span: the title says "zoom 1", the status
#    bar what it zoomed to ("zoomed to X (0.80ms of 12.0ms, level 1)"), the
#    time axis is labelled for the zoomed range (no "0" tick), . pans; Z
#    goes back to the whole trace (its axis starts at 0 again); z again on
#    the same span, Z and , when not zoomed, z on the root say plainly why
#    nothing happened;
#  - S selects the slowest span (the longest but the root) and says which;
#  - C marks the critical path (● before the bars of the spans on it): in
#    the lab the root, the users query and the N+1 group; in the file the
#    root and the payment call that ended last, not the orphan's placeholder;
#  - F folds every group of repeated queries (▸ ×20), A unfolds them (▾);
#  - l shows the legend of the bar colours (a foreign one's every item, at
#    80x24 too);
#  - a zoom does not carry over to another trace ([ shows it whole).
# Usage: waterfall_keys_test.sh PATH/TO/obslab SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-wfkeys-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=10
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; fi; }
D='[0-9.]+(ns|µs|ms|s)' # a duration
# The waterfall's time axis: the row with "span ... duration" under its title.
ruler() { screen | grep -m1 -E '^│span .*duration│' ; }
started() {
	wait_for '─ Waterfall · trace|EXIT=' 30
	if screen | grep -q 'EXIT=' || ! screen | grep -q '─ Waterfall · trace'; then
		bad "the explorer did not start at $1"; show; return 1
	fi
	return 0
}

# zoom_and_back WHERE: z on the selected row, pan, then Z.
zoom_and_back() {
	local where=$1
	if ruler | grep -q '┬0 '; then ok; else bad "$where: the whole trace's axis has no 0 tick"; show; fi
	keys z
	expect "zoomed to .+ \\($D of $D, level 1\\): Z zooms out" 10 "$where z says what it zoomed to"
	expect '─ Waterfall · zoom 1 · trace' 10 "$where z title"
	if ruler | grep -q '┬0 '; then bad "$where: the zoomed axis still starts at 0"; show; else ok; fi
	if ruler | grep -Eq '┬[0-9.]+(ns|µs|ms|s) '; then ok; else bad "$where: no zoomed axis label"; show; fi
	keys z # the same span again: says so, in plain words
	expect 'already zoomed to .+ \(Z zooms out\)' 10 "$where z again"
	keys .
	expect "panned right: \\+$D to \\+$D \\($D of $D\\)|not panned: already at the trace's end" 10 "$where pan"
	keys Z
	expect "zoomed out: the whole trace \\($D\\)" 10 "$where Z"
	if wait_for '^│span +┬0 ' 5; then ok; else bad "$where: Z did not bring the whole axis back"; show; fi
	keys Z
	expect 'not zoomed in: the whole trace is shown \(z zooms into the selected span\)' 10 "$where Z at the top"
	keys ,
	expect 'not zoomed in: , and \. pan only while zoomed' 10 "$where , not zoomed"
}

for size in "80 24" "200 60"; do
	set -- $size
	cols=$1 lines=$2
	at="lab ${cols}x${lines}"
	explorer "$cols" "$lines" --db "$work/lab.db" --strategy naive --users 20
	if started "$at"; then
		expect '▾ SELEC.* ×20' 30 "$at first naive trace"
		keys Space
		expect 'paused' 10 "$at pause"
		keys j j j # a member of the N+1 loop
		zoom_and_back "$at"
		keys g z # the lab's root: the whole trace already (a file's may not be: a skewed child)
		expect 'not zoomed: the root spans the whole trace; select a shorter span' 10 "$at z on the root"
		if screen | grep -q '─ Waterfall · zoom'; then bad "$at: z on the root zoomed"; show; else ok; fi
		keys S
		expect 'slowest span \(the longest but the root\): (SELECT (orders|users)|serialize response), [0-9]' 10 "$at S"
		keys C
		expect "critical path: 2[0-9] spans the request's end waited on" 10 "$at C"
		keys g
		expect '^│GET /users/analytics +●' 10 "$at root on the critical path"
		expect '^│├ SELECT users +●' 10 "$at users query on the critical path"
		keys F
		expect 'folded 1 group of repeated queries' 10 "$at F"
		expect '▸ SELEC.* ×20 ⚠N\+1 scan *●' 10 "$at folded group marked on the path"
		keys A
		expect 'unfolded 1 group of repeated queries' 10 "$at A"
		expect '▾ SELEC.* ×20' 10 "$at A group open"
		keys C
		expect 'critical path hidden' 10 "$at C off"
		if screen | grep -q '●█'; then bad "$at: critical marks after C off"; show; else ok; fi
		keys l
		expect '█ app  █ network .simulated.  █ database' 10 "$at legend"
		keys l
		# a zoom is into one trace: [ shows the one before whole, quietly
		# not the first trace, so that [ must move: a slow run may have paused
		# with one trace captured; let it capture another, then pause again
		if screen | grep -q 'trace #1 '; then
			keys Space
			wait_for '─ Waterfall · trace #([2-9]|[1-9][0-9]+) ' 20
			keys Space
			expect '‖ paused' 10 "$at paused again"
		fi
		expect '─ Waterfall · trace #([2-9]|[1-9][0-9]+) ' 10 "$at a trace after the first"
		keys g j j j z
		expect '─ Waterfall · zoom 1 · trace' 10 "$at z before ["
		keys '['
		if wait_for '─ Waterfall · trace #' 10 && ! screen | grep -q 'Waterfall · zoom'; then ok; else
			bad "$at: the zoom carried over to the trace before"; show
		fi
		keys q
	fi

	at="file ${cols}x${lines}"
	cp "$src/tests/data/foreign_small.otlp.json" f.json
	explorer "$cols" "$lines" open f.json
	if started "$at"; then
		keys S
		expect 'slowest span \(the longest but the root\): charge card, 10.0ms' 10 "$at S"
		if screen | grep -Eq '^│[├└] charge c'; then ok; else bad "$at: charge card row missing"; show; fi
		zoom_and_back "$at"
		keys C
		expect "critical path: 3 spans the request's end waited on" 10 "$at C"
		expect '^│POST /checkout \(error\) +●' 10 "$at root on the path"
		expect '^│├ charge c.*●' 10 "$at payment call on the path"
		if screen | grep -Eq 'missing parent.*●'; then bad "$at: the orphan's placeholder on the path"; show; else ok; fi
		keys F
		expect 'no repeated queries to fold in this trace' 10 "$at F"
		keys l # the foreign legend, whole: on as many rows as it needs
		expect 'span: own work, calls' 10 "$at foreign legend"
		expect 'group, placeholder' 10 "$at foreign legend: the group item"
		expect '● critical path \(C\)' 10 "$at foreign legend: the critical path item"
		keys q
	fi
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
