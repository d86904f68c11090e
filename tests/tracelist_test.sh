#!/usr/bin/env bash
# The trace list (issue 14, tracelist area), against the real binary in tmux
# at 80x24 and 200x60:
#  - an opened OpenTelemetry file (tests/data/foreign_shop.otlp.json: 4
#    traces of shop-api and inventory, one with 3 failed spans, one with an
#    N+1): T shows a row per trace; > sorts by duration (marked ▼ in the
#    header), longest first; every column is shown at 80 columns too (the
#    counts under short headers, the root name in what is left);
#  - \ filters (service = inventory; duration > 5ms and not error; free
#    text), a filter that does not parse says where (column), Up in the
#    prompt brings back an earlier filter;
#  - Enter opens the selected trace in the waterfall, Esc goes back;
#  - tests/data/foreign_small.otlp.json lists its checkout trace;
#  - the live lab appends rows as its requests complete;
#  - at 200x60 the list is also a pane beside the waterfall (not at 80x24);
#  - hostile names (ESC, CJK, bidi) escaped and cut between characters with
#    …, whole where they fit; the same in the diff view;
#  - the sort column stays shown (and marked) where columns are left out.
# Usage: tracelist_test.sh PATH/TO/obslab SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-tracelist-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=10
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; fi; }
# The list's data rows (between the header and the bottom border), as text.
rows() { screen | sed -n '4,$p' | grep -v '^└' | grep -E '[0-9](ns|µs|us|ms|s) '; }
# filter TEXT: opens the prompt, clears it, types TEXT and presses Enter.
filter() { keys -l '\'; keys C-u; keys -l "$1"; keys Enter; }

cp "$src/tests/data/foreign_shop.otlp.json" shop.json
cp "$src/tests/data/foreign_small.otlp.json" small.json

for size in 80x24 200x60; do
	cols=${size%x*} lines=${size#*x}
	explorer "$cols" "$lines" open shop.json
	expect '─ Waterfall' 15 "$size open"
	if [ "$lines" -ge 42 ]; then # tall: the list beside the waterfall, sorted by < > there too
		expect 'Traces 4 ' 5 "$size the list beside the waterfall"
		keys '>'
		expect 'duration▼' 5 "$size > sorts the list beside the waterfall"
		keys '<'
		expect 'start▲' 5 "$size < back"
	elif screen | grep -q 'Traces 4'; then
		bad "$size: a trace list pane on a short screen"
	else
		ok
	fi
	keys T
	expect 'Traces 4 ' 10 "$size T shows the list"
	expect 'start▲ +duration' 5 "$size sorted by start at first"
	# every column, at 80 columns too: the counts under short headers, the root name in 23 cells
	if [ "$cols" -lt 100 ]; then
		expect '^│ +start▲ +duration +service +root +spans +err +find +│' 5 "$size every column's header"
		expect '^│ +\+2\.00s +9\.00ms +shop-api +POST /api/checkout +7 +3 +0 +│' 5 "$size every column's figures"
		expect '^│ +\+0ns +22\.0ms +shop-api +GET /api/orders/summary +15 +0 +1 +│' 5 "$size the root name whole"
	else
		expect '^│ +start▲ +duration +service +root +spans +errors +findings +│' 5 "$size every column's header"
		expect '^│ +\+0ns +22\.0ms +shop-api +GET /api/orders/summary +15 +0 +1 +│' 5 "$size every column's figures"
	fi
	expect 'inventory +checkout\.failed' 5 "$size the inventory trace listed"

	# > : sorted by duration, longest first, the column marked
	keys '>'
	expect 'duration▼' 5 "$size > marks duration"
	first=$(rows | head -1) second=$(rows | sed -n 2p) last=$(rows | tail -1)
	if [[ $first == *'22.0ms'*'GET /api/orders/summary'* && $second == *'9.00ms'*'POST /api/checkout'* &&
		$last == *'800µs'*'checkout.failed'* ]]; then ok; else bad "$size: not sorted by duration:"; show; fi
	keys '<'
	expect 'start▲' 5 "$size < back to start"
	keys '>' '>' # duration, then service (a to z)
	expect 'service▲' 5 "$size >> marks service"
	expect '^ traces sorted by service, a to z' 5 "$size the sort says its order"
	[[ $(rows | head -1) == *inventory* ]] && ok || { bad "$size: inventory not first by service"; show; }

	# \ : filters
	filter 'service = inventory'
	expect 'Traces 1 of 4 · filter: service = inventory' 5 "$size filter by service"
	[ "$(rows | wc -l)" -eq 1 ] && [[ $(rows) == *checkout.failed* ]] && ok || { bad "$size: service filter rows"; show; }
	filter 'duration > 5ms and not error'
	expect 'Traces 1 of 4' 5 "$size duration and not error"
	[[ $(rows) == *'22.0ms'*'GET /api/orders/summary'* ]] && ok || { bad "$size: duration filter rows"; show; }
	filter 'error or finding = n_plus_one'
	expect 'Traces 2 of 4' 5 "$size error or finding"
	filter 'summary'
	expect 'Traces 2 of 4 · filter: summary' 5 "$size free text"
	# an error names the column, and the prompt stays open with the text
	filter 'duration > 5'
	expect 'at column 13: a duration needs a unit' 5 "$size parse error"
	keys Escape
	expect 'Traces 2 of 4 · filter: summary' 5 "$size Esc keeps the filter"
	# Up brings back the filters applied before
	keys -l '\'
	keys C-u Up
	expect 'filter: summary_' 5 "$size history: last filter"
	keys Up
	expect 'filter: error or finding = n_plus_one_' 5 "$size history: one before"
	keys Down Down
	expect 'filter: _' 5 "$size history: back to an empty text"
	keys Escape

	# Enter opens the selected trace
	filter 'service = inventory'
	expect 'Traces 1 of 4' 5 "$size filtered to one"
	keys Enter
	expect '─ Waterfall · trace #4' 5 "$size Enter opens trace 4"
	expect 'checkout\.failed process' 5 "$size its root in the waterfall"
	keys T
	expect 'Traces 1 of 4' 5 "$size T again: the filter kept"
	keys Escape
	expect '─ Waterfall' 5 "$size Esc back"
	keys q
	expect 'EXIT=0' 5 "$size quit"

	# another OpenTelemetry file
	explorer "$cols" "$lines" open small.json
	expect '─ Waterfall' 15 "$size open small"
	keys T
	expect 'checkout +POST /checkout' 5 "$size small: its trace listed"
	keys q q

	# the live lab appends rows
	explorer "$cols" "$lines" --db "lab-$size.db" --users 20 --rtt-us 0 --strategy naive
	expect '─ Waterfall' 20 "$size lab"
	keys T
	expect 'Traces [0-9]' 10 "$size lab list"
	n1=$(screen | grep -oE 'Traces [0-9,]+' | head -1 | tr -dc 0-9)
	sleep 2 # let requests complete; the count is what is checked
	wait_for "Traces ([0-9,]+)" 5
	n2=$(screen | grep -oE 'Traces [0-9,]+' | head -1 | tr -dc 0-9)
	[ "${n2:-0}" -gt "${n1:-0}" ] && ok || { bad "$size: the lab's list did not grow ($n1 then $n2)"; show; }
	expect 'obslab +GET /users/analytics' 5 "$size lab rows"
	filter 'finding = n_plus_one and spans > 10'
	expect 'Traces [0-9,]+ of [0-9,]+ · filter: finding = n_plus_one' 5 "$size lab filter"
	keys Enter
	expect '─ Waterfall · trace #' 5 "$size lab Enter opens"
	keys q
	expect 'EXIT=0' 5 "$size lab quit"
done

# Hostile names (tests/hostile/foreign/accept-hostile-names-list.json: a
# root "root ESC[7m" + 50 x 中, a service "svc ESC[31m U+202E evil 中文"): the
# list shows ESC escaped (\x1b) as the waterfall and the status bar do, never
# half a character (\xe4), a cut name ends in …, and at 200 columns the root
# name, which fits, is shown whole. The diff view (m [ d) likewise (its
# labels were cut at 96 bytes, inside a character).
cp "$src/tests/hostile/foreign/accept-hostile-names-list.json" hostile.json
full_root='root \\x1b\[7m(中){50} '
for size in 80x24 200x60; do
	cols=${size%x*} lines=${size#*x}
	explorer "$cols" "$lines" open hostile.json
	expect '─ Waterfall' 15 "$size hostile: open"
	keys T
	expect 'Traces 2' 5 "$size hostile: the list"
	expect '(\+0ns|\+100ms) +[0-9.]+ms +svc\\x1b\[3' 5 "$size hostile: the service's ESC shown as \\x1b"
	expect '[0-9]ms +svc.* root \\x1b\[7m中' 5 "$size hostile: the root's ESC shown as \\x1b"
	if screen | grep -q '\\xe4'; then bad "$size hostile: half a character (\\xe4) in the list"; show; else ok; fi
	if [ "$cols" -ge 200 ]; then
		expect "$full_root" 5 "$size hostile: the whole root name where it fits"
	else
		expect 'root \\x1b\[7m(中)+…' 5 "$size hostile: the root name cut with …"
	fi
	keys Escape
	expect '─ Waterfall' 5 "$size hostile: Esc back"
	keys m '['
	expect 'marked: trace 2' 5 "$size hostile: marked"
	keys d
	expect '─ Diff' 5 "$size hostile: the diff"
	if screen | grep -q '\\xe4'; then bad "$size hostile: half a character (\\xe4) in the diff"; show; else ok; fi
	if [ "$cols" -ge 200 ]; then # the diff's name column is narrower: cut late, with …
		expect 'root \\x1b\[7m(中){40,}…' 5 "$size hostile: the diff's root name kept past 96 bytes, cut with …"
	else
		expect 'root \\x1b\[7m(中)+… ' 5 "$size hostile: the diff's root name cut with …"
	fi
	keys Escape q
	expect 'EXIT=0' 5 "$size hostile: quit"
done

# The sort column is never a hidden one: at 150x50 the pane beside the
# waterfall is too narrow for every column, and < > still show the mark
# (its column kept, another left out); at 120 columns the errors header
# holds its mark ("errors▼", not "error…").
explorer 150 50 open shop.json
expect 'Traces 4' 15 "150x50 the list beside the waterfall"
keys '>' '>' '>' '>'
expect 'traces sorted by spans' 5 "150x50 sorted by spans"
expect 'spans▼' 5 "150x50 the spans column shown, marked"
keys '>'
expect 'traces sorted by errors' 5 "150x50 sorted by errors"
expect 'err▼' 5 "150x50 the errors column shown, marked"
keys q
expect 'EXIT=0' 5 "150x50 quit"
explorer 120 30 open shop.json
expect '─ Waterfall' 15 "120x30 open"
keys T '>' '>' '>' '>' '>'
expect 'traces sorted by errors' 5 "120x30 sorted by errors"
expect 'errors▼' 5 "120x30 the errors header whole, marked"
if screen | grep -q 'error…'; then bad "120x30: the errors header cut"; show; else ok; fi
keys Escape q
expect 'EXIT=0' 5 "120x30 quit"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
