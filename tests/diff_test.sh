#!/usr/bin/env bash
# The diff (issue 14, diff), against the real binary in tmux at 80x24 and
# 200x60: m marks the shown trace ("marked: trace N" in the status bar), d
# opens the diff of the marked trace (A) against the shown one (B): both
# durations and the difference on each row, spans only in A missing, only
# in B added, a loop of queries as one group row with its count; j/k
# scroll it, Esc goes back. The status bar says what the diff compares
# ("diff: trace 3 (naive, 12.3ms) vs trace 9 (optimized, 1.20ms)"); a
# message does not outlive the screen it was made on (diff, trace list,
# comparison). Diffed: a naive and an optimized request of the
# live lab; two requests of the foreign "shop" (tests/data/foreign_shop,
# written by tests/node/make_foreign.js: naive against optimized); and two
# requests of a small fixture with one step gone, one added, one slower.
# Usage: diff_test.sh PATH/TO/obslab SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-diff-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=${DIFF_TEST_WAIT:-30} # ASan is slow
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-$WAIT_SECONDS}"; then ok; else bad "screen never showed /$1/"; show; fi; }
absent() { if screen | grep -Eq -- "$1"; then bad "screen shows /$1/"; show; else ok; fi; }
status_bar() { screen | head -1; }
# every row the terminal's width: long text is cut, never spilled
fits() {
	local w
	w=$(screen | while IFS= read -r row; do n=$(printf %s "$row" | LC_ALL=C.UTF-8 wc -m); [ "$n" -gt "$1" ] && echo "$n"; done | head -3)
	[ -z "$w" ] && ok || bad "rows wider than $1: $w"
}
D='[0-9.]+(ns|µs|ms|s)' # a duration

cp "$src/tests/data/foreign_shop.otlp.json" shop.json
cp "$src/tests/data/diff_two_requests.otlp.json" two.json

for size in 80x24 200x60; do
	cols=${size%x*} lines=${size#*x}

	# --- the lab: a naive request against an optimized one ---------------------------
	explorer "$cols" "$lines" --strategy naive --users 20 --db "lab-$size.db"
	expect '×20 ⚠N\+1'
	keys d # nothing marked yet: says how
	expect 'nothing marked: m marks the shown trace'
	keys Space # pause, so the trace marked is the one on screen
	expect 'paused|‖'
	keys m
	expect 'marked: trace [0-9]+'
	marked=$(status_bar | grep -oE 'marked: trace [0-9]+' | grep -oE '[0-9]+$')
	keys d # the marked trace is the one shown
	expect "trace $marked is marked and shown"
	keys o Space # optimized from now on, and live again
	# d until the shown request is an optimized one
	found=0
	for _ in $(seq 60); do
		keys d
		if wait_for "B trace [0-9]+ · optimized" 1; then found=1; break; fi
		keys Escape
	done
	[ $found = 1 ] && ok || { bad "$size: no diff against an optimized request"; show; }
	# the status bar says what is compared, not what was said before d
	expect "^ diff: trace $marked \\(naive, $D\\) vs trace [0-9]+ \\(optimized, $D\\)"
	expect "Diff · trace $marked \(marked, A\) against trace [0-9]+ \(shown, B\)"
	expect "A trace $marked · naive · 20 users · $D"
	expect '21 spans missing \(only in A\), 1 added \(only in B\)'
	# the root in both, with both durations and the (negative) difference
	expect "^│   GET /users/analytics +$D +$D +-$D +│"
	# the N+1 loop: one group row, missing, with A's summed time
	expect "^│ -   SELECT orders ×20 .* missing +$D +— +-$D +│"
	# the JOIN only in B: added (its fingerprint says which SELECT users it is)
	expect "^│ \+   SELECT users  SELECT .*added +— +$D +\+$D +│"
	expect "^│     serialize response +$D +$D +[-+]?$D +│"
	[ "$cols" = 200 ] && expect 'SELECT users  SELECT users\.id, users\.username, users\.email, count\(orders\.id\)'
	fits "$cols"
	keys Escape # back to the waterfall; the mark stays
	expect '─ Waterfall'
	absent '─ Diff'
	expect "marked: trace $marked"
	absent '^ diff: trace' # the diff's message stays with the diff
	# nor does the waterfall's message go along to the comparison
	keys m
	expect "^ marked trace [0-9]+ instead of $marked: show another"
	keys c
	expect '─ Comparison'
	absent 'show another'
	keys Escape
	expect '─ Waterfall'
	keys q
	expect 'EXIT=0'

	# --- a foreign service: naive and optimized GET /api/orders/summary ---------------
	explorer "$cols" "$lines" open shop.json
	expect 'Waterfall · trace #1 '
	keys m
	expect 'marked: trace 1'
	keys ']'
	expect 'Waterfall · trace #2 '
	keys d
	expect 'Diff · trace 1 \(marked, A\) against trace 2 \(shown, B\)'
	# m's message ("show another, then d") is gone: the diff says its own
	expect '^ diff: trace 1 \(15 spans, 22\.0ms\) vs trace 2 \(2 spans, 3\.00ms\)'
	absent 'show another'
	expect 'A trace 1 · 15 spans · 22\.0ms'
	expect 'B trace 2 · 2 spans · 3\.00ms'
	expect '^│   GET /api/orders/summary +22\.0ms +3\.00ms +-19\.0ms +│'
	expect "^│ -   SELECT shop\.orders ×10 .*missing +15\.0ms +— +-15\.0ms +│"
	expect '^│ -     GET /stock .*missing +2\.60ms +— +-2\.60ms +│'
	expect '^│ \+   SELECT shop\.users .*added +— +2\.10ms +\+2\.10ms +│'
	[ "$cols" = 200 ] && expect 'SELECT shop\.users  SELECT u\.id, u\.name, count\(o\.id\) AS orders FROM shop\.users u LEFT JOIN'
	fits "$cols"
	keys q # q goes back too, as from a comparison
	expect '─ Waterfall'
	absent '^ diff: trace' # the diff's message stays with the diff
	# the trace list's message stays with the list, the waterfall's with the waterfall
	keys T
	expect '─ Traces 4'
	keys '>'
	expect '^ traces sorted by duration, longest first'
	keys Escape
	expect '─ Waterfall'
	absent 'traces sorted by' # the list's message stays with the list
	keys m
	expect '^ marked trace 2 instead of 1: show another'
	keys T
	expect '─ Traces 4'
	absent 'show another' # the waterfall's message stays with the waterfall
	keys Escape
	keys q
	expect 'EXIT=0'

	# --- two requests of one foreign service: a step gone, one added, one slower ------
	explorer "$cols" "$lines" open two.json
	expect 'Waterfall · trace #1 '
	keys m ']' d
	expect '2 spans missing \(only in A\), 1 added \(only in B\)'
	expect '^│   GET /report +60\.0ms +40\.0ms +-20\.0ms +│'
	expect "^│ \+   cache get .*added +— +500µs +\+500µs +│"
	expect '^│     step 06 +1\.50ms +1\.50ms +-?[0-9]+ns +│'
	# step 07 only in A: missing, with its query under it (the fingerprint beside the name)
	expect '^│ -   step 07 +missing +1\.50ms +— +-1\.50ms +│'
	if [ "$lines" = 24 ]; then
		expect '^│ ↓ 35 more rows \(j/k scroll\)'
		absent 'step 24'
		keys j
		expect '^│ -     SELECT shop\.report  SELECT.*missing +1\.00ms +— +-1\.00ms +│'
		expect '^│ ↓ 34 more rows'
		keys G
		expect '^│       SELECT shop\.report .*1\.00ms +1\.00ms +-?[0-9]+ns │$' # the last row
		expect '^│     step 24 '
		absent 'more rows'
		absent 'GET /report +60'
		keys k g
		expect '^│   GET /report +60'
	else
		expect '^│ -     SELECT shop\.report  SELECT total FROM shop\.report WHERE step = \? +missing +1\.00ms +— +-1\.00ms +│'
		expect '^│     step 12 +1\.50ms +6\.00ms +\+4\.50ms +│'
	fi
	fits "$cols"
	keys Escape
	expect '─ Waterfall'
	keys q
	expect 'EXIT=0'
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
