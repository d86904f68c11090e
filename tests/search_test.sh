#!/usr/bin/env bash
# `/` in the explorer, against the real binary in tmux at 80x24 and 200x60:
# the prompt's line editing (Backspace, Ctrl-U, Esc cancels, Enter
# searches), the count in the status bar ("1 of N"), n and N moving to the
# next and previous match and wrapping both ways, the current match
# selected in the waterfall (the details pane follows), the matches
# highlighted, and Esc clearing the search so that n is the lab's key
# (naive) again; an opened OTLP file's spans (db.query.text, attributes)
# searched the same way.
# Usage: search_test.sh PATH/TO/obslab
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
work=$(mktemp -d)
sock="obslab-search-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=30 # robust under sanitizers
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
passed=0 failed=0

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-30}"; then ok; else bad "$3: screen never showed /$1/"; show; fi; }
absent() { if screen | grep -Eq -- "$1"; then bad "$2: screen shows /$1/"; show; else ok; fi; }
status() { screen | head -1; }
# wait_gone REGEX [SECONDS]: true once the screen no longer matches.
wait_gone() {
	local deadline=$((SECONDS + ${2:-30}))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.2
	done
	return 1
}
gone() { if wait_gone "$1"; then ok; else bad "$2: screen still shows /$1/"; show; fi; }
# The status bar (its first segments give way on a narrow terminal).
expect_status() {
	local deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ]; do
		status | grep -Eq -- "$1" && { ok; return; }
		sleep 0.2
	done
	bad "$2: the status bar never showed /$1/: '$(status)'"
}
absent_status() { if status | grep -Eq -- "$1"; then bad "$2: the status bar shows /$1/: '$(status)'"; else ok; fi; }
# The screen with its attributes: a match's text right after an escape sequence.
lit() { tm capture-pane -e -p -t t | grep -c $'\e\[[0-9;]*morders'; }


for size in "80 24" "200 60"; do
	set -- $size
	at="${1}x$2"
	explorer "$1" "$2" --db "$work/lab-$at.db" --strategy naive --users 20
	expect_status '(^| )N\+1 │' "$at: the lab starts naive"
	expect 'SELECT orders' 30 "$at: a naive trace is shown"
	keys ' '
	expect 'paused' 30 "$at: paused, the trace holds still"
	before=$(lit)

	# the prompt: Esc cancels, Backspace and Ctrl-U edit, Enter searches
	keys / a b c
	expect '/abc_ +Enter search' 30 "$at: the prompt shows what is typed"
	keys Escape
	gone '/abc' "$at: Esc cancels the prompt"
	absent_status '/abc [0-9]+ of [0-9]+' "$at: a cancelled prompt searched"
	keys / z z z C-u o r d x
	keys BSpace
	keys e r s
	expect ' /orders_ ' 30 "$at: Ctrl-U cleared and Backspace took one character"
	keys Enter
	expect '/orders 1 of [0-9]+( |$)' 30 "$at: the count in the status bar"
	total=$(status | sed -nE 's#.*/orders 1 of ([0-9]+)( .*)?$#\1#p')
	if [ -n "$total" ] && [ "$total" -ge 20 ]; then ok; else bad "$at: /orders found '$total', want >= 20 (20 queries on orders)"; fi
	total=${total:-20}
	# the first match selected: an N+1 query (its own row, not its group's); the details follow
	[ "$2" -lt 60 ] || expect 'SELECT orders  \(client span\)' 30 "$at: the first match is selected, the details follow"
	after=$(lit)
	if [ "$after" -gt "$before" ]; then ok; else bad "$at: no match highlighted ($before lines before, $after after)"; fi

	# n and N, wrapping both ways; n is not the lab's key while a search is active
	keys n
	expect "/orders 2 of $total( |\$)" 30 "$at: n goes to the next match"
	absent_status '(^| )optimized │' "$at: n changed the lab"
	keys N
	expect "/orders 1 of $total( |\$)" 30 "$at: N goes to the previous match"
	keys N
	expect "/orders $total of $total( |\$)" 30 "$at: N wraps from the first to the last"
	keys n
	expect "/orders 1 of $total( |\$)" 30 "$at: n wraps from the last to the first"
	keys o
	expect_status '(^| )optimized │' "$at: o still sets the lab"
	keys n
	expect "/orders 2 of $total( |\$)" 30 "$at: n, while a search is active"
	absent_status '(^| )N\+1 │' "$at: n made the lab naive while a search is active"

	# Esc clears it: no count, no highlight, and n is naive again
	keys Escape
	gone '/orders [0-9]+ of [0-9]+( |$)' "$at: Esc clears the search"
	cleared=$(lit)
	if [ "$cleared" -le "$before" ]; then ok; else bad "$at: highlights left after Esc ($cleared lines)"; fi
	keys n
	expect_status '(^| )N\+1 │' "$at: after Esc, n is naive again"

	# nothing found: said, and no search is active
	keys / q w x q w x Enter
	expect 'not found: qwxqwx' 30 "$at: a search that finds nothing says so"
	keys q
	expect 'EXIT=0' 30 "$at: quits cleanly"
done

# a foreign file: its spans' db.query.text (as the file has it: $1, not ?)
# and typed attributes are searched; after Esc, n is the lab's key, which a
# file refuses
cp "$here/data/foreign_shop.otlp.json" shop.json
for size in "80 24" "200 60"; do
	set -- $size
	at="${1}x$2 file"
	explorer "$1" "$2" open shop.json
	expect 'Waterfall' 30 "$at: the file is shown"
	keys / 'user_id = $1' Enter
	expect_status '/user_id = \$1 1 of [0-9]+( |$)' "$at: db.query.text as the file has it"
	keys n
	expect_status '/user_id = \$1 2 of [0-9]+( |$)' "$at: n, the next match"
	keys N N
	expect_status '/user_id = \$1 ([0-9]+) of \1( |$)' "$at: N wraps to the last"
	keys Escape
	gone '/user_id = \$1 [0-9]+ of' "$at: Esc clears the search"
	keys n
	expect 'read-only' 30 "$at: after Esc, n is the lab's key (a file refuses it)"
	keys q
	expect 'EXIT=0' 30 "$at: quits cleanly"
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
