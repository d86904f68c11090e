#!/usr/bin/env bash
# The query list and copying (issue 14, the queries area), against the real
# binary in tmux at 80x24 and 200x60, on the lab and on an opened
# OpenTelemetry file (tests/data/foreign_small.otlp.json):
#  - with the query pane focused, < and > choose the sort column (calls,
#    total, mean, p95, rows), the header marks it ("calls▾"), and the list is
#    in that order; the sort column is never dropped for room (80 columns),
#    and > with another pane focused (no trace list shown) says why nothing
#    was sorted;
#  - Enter on a query marks its spans ◀ in the waterfall and shows its whole
#    SQL in the details pane;
#  - y then s / i / t copies the SQL, the span id, the trace id with OSC 52:
#    tmux, with set-clipboard on, takes the sequence into a paste buffer
#    (read back with show-buffer), and the status bar says "copied ... (OSC 52)";
#    a foreign span's SQL is its db.query.text as the file has it; y then
#    any other key says which keys it takes (and copies nothing), y Esc
#    says nothing was copied;
#  - the details pane, focused, holds the live trace: its text does not change
#    while it is read (it was rewritten with every new trace, 5 a second).
# Usage: queries_copy_test.sh PATH/TO/obslab SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-queries-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=10
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1"; then ok; else bad "$2: screen never showed /$1/"; show; fi; }
explorer() {
	start_explorer "$@"
	tm set-option -g set-clipboard on # tmux takes OSC 52 from the program into a paste buffer
}
started() {
	wait_for '─ Waterfall · trace #|EXIT=' 20
	if ! screen | grep -q '─ Waterfall · trace #'; then bad "$1: the explorer did not start"; show; return 1; fi
	return 0
}
# copied KEY WANT WHAT: y KEY puts exactly WANT (an ERE, whole) in tmux's newest paste buffer.
copied() {
	local key=$1 want=$2 what=$3 got=
	tm delete-buffer 2>/dev/null
	keys y
	keys "$key"
	local deadline=$((SECONDS + 10))
	while [ $SECONDS -lt $deadline ]; do
		got=$(tm show-buffer 2>/dev/null) && [ -n "$got" ] && break
		sleep 0.2
	done
	if printf '%s' "$got" | grep -Eqx -- "$want"; then ok; else bad "$what: y $key copied '$got', want /$want/"; show; fi
}
# The details pane's text (the left half, below its title).
details() { screen | sed -n '/─ Details /,$p' | cut -c1-"$1"; }
# The first figures row of the query list: its calls.
first_calls() { screen | grep -A1 'calls▾' | sed -n 2p | sed 's/│ *$//; s/.*│ *//' | awk '{print $1}'; }

lab() {
	local cols=$1 lines=$2 size="$1x$2"
	rm -f lab.db*
	explorer "$cols" "$lines" --db "$work/lab.db" --users 20 --strategy naive
	started "$size lab" || return
	keys Tab # the query list
	expect 'calls +total▾' "$size lab" # the sort column marked: total at start
	keys '<'
	expect 'calls▾ +total ' "$size lab sort <"
	expect 'query list sorted by calls' "$size lab sort <"
	c=$(first_calls)
	[ "$c" = 20 ] && ok || bad "$size lab: sorted by calls, the first query has $c calls, want 20 (the N+1's)"
	keys '>' '>'
	expect 'total +mean▾' "$size lab sort > >"
	keys '>' # the sort column is never the one dropped for room (80 columns)
	expect 'p95▾' "$size lab sort by p95: marked"
	keys '>'
	expect 'rows▾' "$size lab sort by rows: marked"
	keys '<' '<'
	expect 'total +mean▾' "$size lab sort < <"
	if [ "$lines" -lt 40 ]; then # no trace list on screen: > with the waterfall focused sorts nothing, and says so
		keys BTab '>'
		expect 'nothing sorted: > sorts the query list \(Tab to it\)' "$size lab > elsewhere"
		keys Tab
	fi
	keys '<' '<' # calls again: the N+1's query first, under the cursor
	expect 'calls▾' "$size lab"
	keys Enter
	expect 'query highlighted: 20 spans' "$size lab Enter"
	expect 'SELECT orders ◀' "$size lab Enter: spans marked"
	expect 'query  \(chosen in the query list\)' "$size lab Enter: details"
	expect '▶ SELECT count' "$size lab Enter: the list marks it"
	if [ "$cols" -ge 200 ]; then expect '│ SELECT count\(\*\) FROM orders WHERE user_id = \?  ' "$size whole SQL"; fi
	copied s 'SELECT count\(\*\) FROM orders WHERE user_id = \?' "$size lab"
	expect 'copied the SQL \(45 bytes\) \(OSC 52\)' "$size lab y s"
	copied i '[0-9a-f]{16}' "$size lab"
	expect 'copied span id [0-9a-f]{8}… \(OSC 52\)' "$size lab y i"
	copied t '[0-9a-f]{32}' "$size lab"
	expect 'copied trace id [0-9a-f]{8}… \(OSC 52\)' "$size lab y t"
	# the ids are those of the span the details show
	keys Tab # the details pane: reading it holds the trace
	expect 'history · held for the details' "$size lab details focused"
	keys BTab BTab Home # the waterfall, its root
	keys Tab Tab End # its last lines: the ids
	expect 'span [0-9a-f]{16} · parent \(root\)' "$size lab root details"
	copied i "$(screen | grep -oE 'span [0-9a-f]{16} · parent' | head -1 | cut -d' ' -f2)" "$size lab root span id"
	copied t "$(screen | grep -oE 'trace [0-9a-f]{32}' | head -1 | cut -d' ' -f2)" "$size lab root trace id"
	tm delete-buffer 2>/dev/null
	keys y s
	expect 'nothing copied: the selected span runs no SQL' "$size lab y s on the root"
	tm show-buffer >/dev/null 2>&1 && bad "$size lab: y s on the root copied '$(tm show-buffer)'" || ok
	# held: the text stays while it is read (the lab goes on at 5 requests a second)
	# (the left slot only, cols * 3 / 5: at 200x60 the trace list beside it moves)
	local half=$((cols * 3 / 5 - 4)) a b
	a=$(details "$half"); sleep 1.5; b=$(details "$half")
	[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "$size lab: the focused details pane changed while read: $(diff <(echo "$a") <(echo "$b") | head -4)"
	local held; held=$(screen | grep -oE 'Waterfall · trace #[0-9]+' | head -1)
	keys Tab # away: live again
	local deadline=$((SECONDS + 10)) now=$held
	while [ $SECONDS -lt $deadline ] && [ "$now" = "$held" ]; do sleep 0.2; now=$(screen | grep -oE 'Waterfall · trace #[0-9]+' | head -1); done
	[ "$now" != "$held" ] && ok || bad "$size lab: after Tab away the view still holds $held"
	keys q
	expect 'EXIT=0' "$size lab quit" # under ASan: no error, no leak
}

file() {
	local cols=$1 lines=$2 size="$1x$2"
	cp "$src/tests/data/foreign_small.otlp.json" f.json
	explorer "$cols" "$lines" open f.json
	started "$size file" || return
	keys Tab
	expect 'calls +total▾' "$size file"
	keys '<'
	expect 'calls▾' "$size file sort"
	keys Enter
	expect 'query highlighted: 1 span in this trace' "$size file Enter"
	expect 'SELECT shop.* ◀' "$size file Enter: the span marked"
	expect 'query  \(chosen in the query list\)' "$size file Enter: details"
	copied s 'SELECT \* FROM shop\.orders WHERE user_id = \?' "$size file query"
	keys BTab k j # the waterfall: the database span itself
	expect 'SELECT shop\.orders  \(client span\)' "$size file span details"
	copied s 'SELECT \* FROM shop\.orders WHERE user_id = \$1' "$size file span (db.query.text as the file has it)"
	copied i 1111111111111111 "$size file span id"
	copied t 4bf92f3577b34da6a3ce929d0e0e4736 "$size file trace id"
	expect 'copied trace id 4bf92f35… \(OSC 52\)' "$size file y t"
	# y then a key it does not take: says which it takes, and waits no more
	tm delete-buffer 2>/dev/null
	keys y
	expect 'copy to the clipboard \(OSC 52\)' "$size file y: the prompt"
	keys q # not quit: the prompt took it
	expect '^ y: press s \(SQL\), i \(span id\) or t \(trace id\)' "$size file y q says which keys"
	screen | grep -q 'copy to the clipboard' && { bad "$size file: the copy prompt still open after y q"; show; } || ok
	keys i # the lab's index key, refused by a file: no longer a copy of the span id
	expect 'read-only|does not offer|not offer' "$size file i after y q is not copied"
	tm show-buffer >/dev/null 2>&1 && bad "$size file: i after y q copied '$(tm show-buffer)'" || ok
	keys y Escape
	expect '^ nothing copied \(Esc\)' "$size file y Esc"
	keys q
	expect 'EXIT=0' "$size file quit"
}

# A SQL text that carries its own OSC 52 (ESC ] 52 ... BEL): copied as base64,
# it reaches the clipboard as the file has it, byte for byte, and sets nothing itself.
hostile() {
	cp "$src/tests/hostile/queries/sql_osc52.otlp.json" h.json
	explorer 100 30 open h.json
	started "hostile" || return
	keys j # the database span
	expect 'SELECT shop\.orders  \(client span\)' "hostile span"
	tm delete-buffer 2>/dev/null
	keys y s
	expect 'copied the SQL \(31 bytes\) \(OSC 52\)' "hostile y s"
	local got want
	got=$(tm show-buffer 2>/dev/null | od -An -c | tr -s ' \n' ' ')
	want=$(printf 'SELECT 1 /* \033]52;c;ZXZpbA==\007 */' | od -An -c | tr -s ' \n' ' ')
	[ "$got" = "$want" ] && ok || bad "hostile: the buffer holds '$got', want '$want'"
	[ "$(tm list-buffers 2>/dev/null | grep -c .)" = 1 ] && ok || bad "hostile: the text set a buffer of its own: $(tm list-buffers)"
	keys q
	expect 'EXIT=0' "hostile quit"
}
hostile

for size in "80 24" "200 60"; do
	# shellcheck disable=SC2086
	lab $size
	# shellcheck disable=SC2086
	file $size
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
