#!/usr/bin/env bash
# The explorer's prompts, against the real binary in tmux at 80x24 and
# 200x60: a bracketed paste (tmux paste-buffer -p) into the `/` and `\`
# prompts is text (its newline, Esc and 'q' end nothing and run nothing),
# and with no prompt open it is ignored, never run as keys; `/` and `\`
# hold the active query or filter, Ctrl-W takes a word and Ctrl-U the line,
# and the prompt says so; the search's count is of spans (20 SELECT orders
# in a folded N+1 group, not its one row) and log lines, and n unfolds the
# group that holds the match; with the log pane focused, n scrolls the log
# to the matching line and shows it whole. Then the terminal's paste mode:
# off while the explorer is suspended (Ctrl-Z), on again after fg, off
# after it quits.
# Usage: prompts_test.sh PATH/TO/obslab
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
work=$(mktemp -d)
sock="obslab-prompts-$$"
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
expect_status() {
	local deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ]; do
		status | grep -Eq -- "$1" && { ok; return; }
		sleep 0.2
	done
	bad "$2: the status bar never showed /$1/: '$(status)'"
}
# paste TEXT: TEXT (printf escapes) pasted as a terminal pastes, bracketed
# when the program asked for it.
paste() {
	printf "$1" >"$work/paste.txt"
	tm load-buffer -b p "$work/paste.txt"
	tm paste-buffer -p -d -b p -t t
}
running() { if screen | grep -q 'EXIT='; then bad "$1: the explorer quit"; show; return 1; fi; ok; }
# start: the lab, naive at 20 users, paused on a trace. After a failed
# check that quit it, the next checks run on a new one.
start() {
	explorer "$1" "$2" --db "$work/lab-$1x$2-$3.db" --strategy naive --users 20
	expect 'SELECT orders' 30 "$1x$2: a naive trace is shown"
	keys ' '
	expect 'paused' 30 "$1x$2: paused, the trace holds still"
}
# The log pane's column of the screen (it is on the right, under the queries).
log_pane() { screen | sed -n '/─ Log ─/,$p' | sed 's/.*││//; s/.*│┌/┌/'; }


fp='SELECT count(*) FROM orders WHERE user_id = ?'
for size in "80 24" "200 60"; do
	set -- $size
	at="${1}x$2"
	start "$1" "$2" 1

	# 1. a paste into the search prompt is text: its newline, Esc and q end nothing
	keys /
	expect ' /_ ' 30 "$at: the search prompt opens"
	tm send-keys -t t -l 'ord'
	paste 'ers\nq\033xyz'
	expect ' /orders qxyz_ ' 30 "$at: the pasted text is in the prompt (newline a space, Esc dropped)"
	running "$at: a pasted newline and q" || start "$1" "$2" 2
	keys Escape / o r d e r s ' ' q x y z # as the paste should have left it
	# 2. Ctrl-W a word, Ctrl-U the line
	keys C-w
	expect ' /orders _ ' 30 "$at: Ctrl-W took the last word"
	keys C-u
	expect ' /_ +Enter search .* Ctrl-U clear' 30 "$at: Ctrl-U cleared the line, the prompt says how"
	# 3. the count query's fingerprint, pasted: 20 spans, not the one folded row
	paste "$fp"
	keys Enter
	expect_status '1 of [0-9]+ .*20 spans' "$at: the count is of spans: 20 SELECT count(*) FROM orders"
	keys /
	expect " /SELECT count\(\*\) FROM orders WHERE user_id = \?_ " 30 "$at: / holds the active search, to edit"
	keys Escape
	keys F
	expect '▸ SELEC.* ×20' 30 "$at: F folds the N+1 group"
	keys n
	expect_status '2 of [0-9]+ .*20 spans' "$at: n, the second match"
	expect '▾ SELEC.* ×20' 30 "$at: n unfolds the group that holds the match"
	[ "$2" -lt 60 ] || expect 'SELECT orders  \(client span\)' 30 "$at: the match's own span is selected, the details follow"
	keys Escape

	# 4. the filter prompt: the current filter, Ctrl-W, Ctrl-U, a paste
	keys '\'
	expect 'filter: _' 30 "$at: \\ opens the filter prompt"
	paste 'duration > 1ms'
	keys Enter
	expect 'duration > 1ms' 30 "$at: a pasted filter applies"
	keys '\'
	expect 'filter: duration > 1ms_ +Ctrl-U clears' 30 "$at: \\ holds the current filter, and says Ctrl-U clears it"
	keys C-w
	expect 'filter: duration > _' 30 "$at: Ctrl-W in the filter prompt"
	keys C-u
	expect 'filter: _' 30 "$at: Ctrl-U in the filter prompt"
	paste 'not\nerror\033'
	expect 'filter: not error_' 30 "$at: a paste into the filter prompt is text"
	if running "$at: a paste into the filter prompt"; then
		keys Escape
		[ "$2" -ge 40 ] || keys Escape # the full-screen trace list, back to the waterfall
	else
		start "$1" "$2" 3
	fi

	# 5. a paste with no prompt open: ignored whole, never keys (q would quit)
	keys Escape
	paste 'q\n'
	expect 'paste ignored' 30 "$at: a paste with no prompt open is ignored, and said"
	running "$at: a pasted q" || start "$1" "$2" 4

	# 6. the focused log follows n to a matching line: more lines than it shows first
	for _ in $(seq 24); do keys ' '; sleep 0.1; done
	expect_status 'paused' "$at: paused again"
	keys Tab Tab Tab # the waterfall, the queries, the details, the log
	keys / n a i v e Enter
	expect_status '1 of [0-9]+ \(1 span, [0-9]+ log lines?\)' "$at: /naive, the root span and the log"
	keys n
	expect_status '2 of [0-9]+ \(1 span' "$at: n, the first log line"
	# the first line of the log, its end wrapped into sight (at 80x24 "naive," wraps too)
	if wait_for 'INFO  started:' 10 && log_pane | grep -q 'started:' && log_pane | grep -q 'index off'; then ok; else
		bad "$at: the focused log did not scroll to the matching line, shown whole"; show
	fi
	keys q
	expect 'EXIT=0' 30 "$at: quits cleanly"
done

# 8. An opened file (foreign_shop: 4 traces, a finding in the log).
# a. Opening a prompt takes the status bar from a message: the message
# lasts 6 s, so the prompt must show well before it would have gone.
# b. A search's count replaces an older message at once.
# c. Long texts: typed whole up to 1024 bytes and refused beyond, with the
# limit said, never cut into another text; the prompt line shows the end
# of the text, where keys go. A filter value too long for the filter is
# refused, not cut.
# e. [ on the first trace and ] on the last say so; with a trace marked,
# x still shows its choices (n native, o OTLP) at 80 columns.
# d. The unfocused log pane scrolls its line of the current match so the
# matched word is in sight ("saves" is past the width of the pane).
shop="$here/data/foreign_shop.otlp.json"
soon() { # soon REGEX SECONDS WHAT: the status bar shows REGEX within SECONDS
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		status | grep -Eq -- "$1" && { ok; return; }
		sleep 0.1
	done
	bad "$3: the status bar did not show /$1/ in $2 s: '$(status)'"
}
gone() { # gone REGEX WHAT: the status bar stops showing REGEX within 3 s (a message lasts 6 s of its own)
	local deadline=$((SECONDS + 3))
	while [ $SECONDS -lt $deadline ]; do
		status | grep -Eq -- "$1" || { ok; return; }
		sleep 0.1
	done
	bad "$2: the status bar still shows /$1/ after 3 s: '$(status)'"
}
# first_after PROMPT_REGEX REGEX WHAT: once the prompt has left the status
# bar, the first line it shows matches REGEX
first_after() {
	local deadline=$((SECONDS + 30)) line
	while [ $SECONDS -lt $deadline ]; do
		line=$(status)
		printf '%s' "$line" | grep -Eq -- "$1" || break
		sleep 0.1
	done
	if printf '%s' "$line" | grep -Eq -- "$2"; then ok; else bad "$3: the status bar showed '$line'"; fi
}
long_a=$(printf 'a%.0s' $(seq 112))
long_x=$(printf 'x%.0s' $(seq 1100))
nope='service = nope or service = nope or service = nope or service = nope or service = nope or service = nope or service = nope or error'
for size in "80 24" "200 60"; do
	set -- $size
	at="${1}x$2 file"
	explorer "$1" "$2" open "$shop"
	expect 'Waterfall' 30 "$at: the file is shown"
	# a. / over a message
	keys / z z z Enter
	expect_status 'not found: zzz' "$at: /zzz is not found, and said"
	keys / a b c
	soon '^ /abc_ ' 4 "$at: / replaces the message with the prompt"
	# b. the count over a message
	keys C-u s t o c k Enter
	first_after '^ /' '/stock [0-9]+ of [0-9]+' "$at: the search's count replaces the older message"
	keys Escape
	# c. the search prompt: the end of a long text in sight; more than 1024 bytes refused
	keys /
	soon '^ /' 4 "$at: the search prompt opens"
	keys C-u
	tm send-keys -t t -l "$(printf 'x%.0s' $(seq 250))END"
	expect_status '^ /…x+END_' "$at: a long search shows its end after an ellipsis"
	keys C-u
	tm send-keys -t t -l "$long_x"
	expect_status 'search too long: at most 1024 bytes' "$at: typing past 1024 bytes is refused, and said"
	keys BSpace # below the limit again: the message goes
	gone 'search too long' "$at: Backspace below the limit takes the message away"
	keys x x
	expect_status 'search too long: at most 1024 bytes' "$at: typing past 1024 bytes again"
	keys Escape # the prompt closed: the message goes too
	gone 'search too long' "$at: Esc takes the message away"
	# a single paste of more than 1024 bytes is refused whole, and said, never cut
	keys /
	soon '^ /' 4 "$at: the search prompt opens again"
	keys C-u
	paste "$(printf 'a%.0s' $(seq 1023))\xc3\xa9"
	expect_status '^ /_ +paste refused: the search would be longer than 1024 bytes' "$at: a 1025-byte paste is refused whole, and said"
	keys C-u
	paste "$(printf 'b%.0s' $(seq 5000))"
	expect_status '^ /_ +paste refused: the search would be longer than 1024 bytes' "$at: a 5000-byte paste is refused whole, and said"
	keys Escape
	# c. the filter: run whole, never cut; a value too long refused
	keys '\'
	expect 'filter: _' 30 "$at: the filter prompt opens"
	absent '^ filter: [0-9]+ of' "$at: the filter prompt takes the status bar's message away"
	tm send-keys -t t -l "$nope"
	expect 'filter: …[a-z =]* or error_' 30 "$at: a long filter shows its end after an ellipsis"
	keys Enter
	expect_status 'filter: 1 of 4 traces' "$at: a 130-byte filter runs whole (its last term: error)"
	keys '\' C-u
	tm send-keys -t t -l "service = $long_a or error"
	keys Enter
	expect 'at column 11: a value longer than 63 bytes' 30 "$at: a value too long for the filter is refused, not cut"
	keys C-u
	tm send-keys -t t -l "$long_x"
	expect 'filter too long: at most 1024 bytes' 30 "$at: typing a filter past 1024 bytes is refused, and said"
	keys C-u Enter
	keys Escape
	[ "$2" -ge 40 ] || keys Escape # the full-screen trace list, back to the waterfall
	# d. the log's line of the current match, scrolled to the match
	keys / s a v e s Enter
	expect_status '/saves 1 of 1' "$at: /saves, the finding's log line"
	if wait_for 'WARN .*saves' 10; then ok; else bad "$at: the log's matching line is cut before the match"; show; fi
	keys Escape # the search cleared
	# e. [ on the file's first trace and ] on its last say so; the x prompt
	# keeps its choices in sight with a trace marked (the mark gives way)
	keys '[' '[' '[' '['
	expect_status 'this is the first trace' "$at: [ on the first trace says so"
	keys m
	expect_status 'marked: trace' "$at: m marks the shown trace"
	keys x
	expect_status 'export a snapshot as: +n native .* o OTLP/JSON' "$at: x with a trace marked shows its choices"
	keys Escape
	keys ']' ']' ']' ']'
	expect_status 'this is the last trace' "$at: ] on the last trace says so"
	keys q
	expect 'EXIT=0' 30 "$at: quits cleanly"
done

# 7. the paste mode: off while suspended, on after fg, off after the end.
# An interactive shell that leaves paste mode alone; cat -v shows the
# brackets a paste gets when the mode is left on.
tm kill-server 2>/dev/null
for _ in $(seq 50); do tm has-session 2>/dev/null || break; sleep 0.1; done
sleep 0.3
cp "$here/data/foreign_shop.otlp.json" shop.json
LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 80 -y 24 -s t "env PS1='$ ' LC_ALL=C.UTF-8 bash --norc --noprofile -i"
tm set-option -t t -g status off
keys "bind 'set enable-bracketed-paste off'; clear" Enter
keys "env LC_ALL=C.UTF-8 $bin open shop.json" Enter
expect 'Waterfall' 30 "suspend: the file is shown"
keys C-z
expect 'Stopped' 30 "suspend: Ctrl-Z stops the explorer"
keys 'clear; cat -v' Enter
sleep 0.5
paste 'abc'
keys Enter
expect '^abc$' 30 "suspend: a paste reaches the shell"
absent '200~' "suspend: paste mode left on while the explorer is stopped"
keys C-c
keys 'fg' Enter
expect 'Waterfall' 30 "suspend: fg shows the explorer again"
paste 'q'
expect 'paste ignored' 30 "suspend: after fg, paste mode is on again"
keys q
expect '^\$ ?$' 30 "suspend: the explorer quit"
keys 'clear; cat -v' Enter
sleep 0.5
paste 'xyz'
keys Enter
expect '^xyz$' 30 "exit: a paste reaches the shell"
absent '200~' "exit: paste mode left on after the explorer quit"
keys C-c

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
