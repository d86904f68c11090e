#!/usr/bin/env bash
# What the explorer's views say is what they do (issue 12, items 8, 9, 12,
# 13, 14), against the real binary in tmux:
#  - an opened file: its log at the file's own times, panes that say they
#    cover all its traces, a footer and a help with only the keys that work;
#  - r and i on the comparison screen change the setting and measure again;
#  - a measurement writes one summary line in the log; a selected log line
#    is shown whole;
#  - one key (L) goes back to live from history, and the status bar says so;
#  - the rate after a pace change, plurals, the help's closing text;
#  - a workload that stopped on an error: the status bar, the lab's keys
#    and the exit status say so.

#  - the details pane wraps a long CJK name between characters.
# Usage: views_test.sh PATH/TO/obslab SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-views-$$"
export TMUX_TMPDIR="$work"
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-15}"; then ok; else bad "screen never showed /$1/"; show; fi; }
absent() { if screen | grep -Eq -- "$1"; then bad "screen shows /$1/"; show; else ok; fi; }
# explorer COLS LINES ARGS...: the binary alone in a terminal of that size
# (TZ=UTC, so the file's times are known), the window kept when it exits.
explorer() {
	local cols=$1 lines=$2; shift 2
	tm kill-server 2>/dev/null
	for _ in $(seq 50); do tm has-session 2>/dev/null || break; sleep 0.1; done
	sleep 0.3 # a server still going away takes the next one with it
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x "$cols" -y "$lines" -s t \
		"env TZ=UTC LC_ALL=C.UTF-8 $bin $*; echo EXIT=\$?; sleep 600"
	tm set-option -t t -g status off
}
footer() { screen | tail -1; }

# --- item 8: an opened file ----------------------------------------------------------
# The example snapshot was recorded on 2026-11-27 at 11:06:10 UTC: its log lines say so.
cp "$src/assets/example-snapshot.json" example.json
explorer 120 40 open example.json
expect 'snapshot example\.json .* 2 traces'
expect '│11:06:10 INFO  trace #1 ran under'
expect '│11:06:10 WARN  finding: N\+1'
expect 'INFO  opened example\.json: 2 traces'
# the panes say what they cover: the file, not the last minute
expect 'all 2 traces: app [0-9.]+% db'
absent 'last min'
keys w
expect 'Queries · all traces in the file'
absent 'last minute'
# the footer and the help offer only what works on a file
[[ "$(footer)" =~ ^x\ export\ \ \[\ \]\ trace\ \ Tab\ pane\ \ Enter\ fold\ \ T\ traces\ \ /\ search\ \ \?\ help\ \ q\ quit\ *$ ]] && ok ||
	bad "an opened file's footer: '$(footer)'"
keys '?'
expect '─ Keys '
for lab in 'toggle naive' 'more users' 'simulated network RTT' 'toggle the index' 'request pace' \
	'pause or resume' 'compare the strategies' 'pipelined: naive' 'sweep 20'; do
	absent "$lab"
done
expect "the file's last trace"
absent 'back to live'
keys Escape
wait_for '─ Waterfall ' 5 && ok || bad "Escape did not close the help"
keys q
wait_for 'EXIT=0' 10 && ok || bad "q did not quit after closing the help"

# a file of one trace: "1 trace", not "1 traces"
"$bin" export --format native -o one.json --users 20 --requests 1 --rtt-us 0 --db one.db >out.txt 2>&1
grep -Eq '^wrote one\.json: native, 1 trace, [0-9]+ spans$' out.txt && ok || bad "export of one trace said: $(cat out.txt)"
explorer 120 40 open one.json
expect 'snapshot one\.json │ 1 trace · '
expect 'opened one\.json: 1 trace,'
expect 'all 1 trace: app'
keys q

# --- item 14: plurals in the commands ---------------------------------------------------
"$bin" run --users 20 --requests 1 --rtt-us 0 --db one.db >out.txt 2>&1
grep -q 'naive strategy: 20 users, 1 request, RTT' out.txt && ok || bad "run --requests 1 said: $(head -1 out.txt)"
"$bin" compare --users 20 --requests 1 --rtt-us 0 --db one.db >out.txt 2>&1
grep -q 'the median of 1 request each' out.txt && ok || bad "compare --requests 1 said: $(head -1 out.txt)"

# --- the live lab ---------------------------------------------------------------------------
explorer 160 45 --db lab.db --users 20 --rtt-us 0 --strategy naive
expect 'GET /users/analytics'
expect '│ 5\.0 of 5 req/s │' 20

# --- item 14: the rate right after a pace change ---------------------------------------------
# f: 50/s, f: as fast as possible, then f: 5/s again. Right after, the rate is
# unknown (—) or within the pace, never the last window's hundreds.
keys f
expect 'of 50 req/s'
keys f
expect '[0-9.]+ req/s \(max\)'
sleep 2
keys f
over=""
for _ in $(seq 25); do
	r=$(screen | head -1 | grep -o '[0-9.—]* of 5 req/s' | head -1)
	case "$r" in
	'— of 5 req/s' | '') ;;
	*) awk -v r="${r%% *}" 'BEGIN { exit !(r > 5.0) }' && over="$over $r" ;;
	esac
	sleep 0.1
done
[ -z "$over" ] && ok || bad "after the pace change the status bar said:$over"
expect '│ [0-9]\.[0-9] of 5 req/s │' 5

# --- item 14: the help's closing text is what it does ----------------------------------------
keys '?'
expect 'j/k Up/Down PgUp/PgDn scroll · any other key closes'
absent 'Press any key to close'
keys j
sleep 0.5
screen | grep -q '─ Keys ' && ok || bad "j closed the help"
keys a
closed=no # the help's box gone (the waterfall's title shows beside it all along)
for _ in $(seq 50); do screen | grep -q '─ Keys ' || { closed=yes; break; }; sleep 0.1; done
if [ $closed = yes ] && screen | grep -q '─ Waterfall '; then ok; else bad "another key did not close the help"; show; fi

# --- item 13: one key back to live --------------------------------------------------------------
keys '[' '[' '['
expect '│ history · L for live'
keys L
expect '│ ● live'
absent 'history'

# --- item 9: r and i on the comparison screen measure again -----------------------------------
keys c
expect '─ Comparison · 20 users · RTT 0µs'
expect 'measured: each row' 60
expect '^r RTT  i index  c compare  s sweep  \? help  q back *$'
keys r
expect '─ Comparison · 20 users · RTT 50µs \(simulated\) · index off'
expect 'measured: each row' 60
# measured under the new RTT: 21 round trips of 50 µs, about 1 ms of network for naive
net=$(screen | sed -n 's/^│ naive (N+1) *21 *[^ ]* *\([^ ]*\) .*/\1/p' | head -1)
[[ "$net" =~ ^1\.[0-9]+ms$ ]] && ok || bad "naive's network after r is '$net', not ~1.05ms"
keys i
expect '─ Comparison · 20 users · RTT 50µs \(simulated\) · index on'
expect 'measured: each row' 60
absent 'stale:'
keys Escape
expect '─ Waterfall '

# --- item 12: one line a measurement, and a log line read whole ----------------------------------
keys Space # paused: nothing new pushes the lines out
expect '‖ paused'
expect 'INFO  comparison measured, 30 requests'
# the measured requests' own lines stay out (the live strategy is naive: these are theirs)
absent 'Optimized query executed'
absent 'Eager loading query executed'
n=$(screen | grep -c 'comparison measured, 30 requests')
[ "$n" -le 3 ] && ok || bad "the log shows $n summary lines for three runs"
# Tab to the log; the selection moves up until the summary is shown whole, wrapped
keys Tab Tab Tab
whole=0
for _ in $(seq 20); do
	screen | grep -q 'request log lines left out' && { whole=1; break; }
	keys k
	sleep 0.2
done
[ $whole = 1 ] && ok || { bad "no log line was shown whole"; show; }
# the wrapped line's continuation rows are in the log pane, indented
screen | grep -Eq '[│┐┘┤]│  [^│]*left out *│$' && ok || { bad "the selected line is not wrapped in place"; show; }
keys q
wait_for 'EXIT=0' 10 && ok || bad "q did not quit"

# --- a workload that stopped on an error says so, and so does the exit ------------------------
# Another process drops a table under the explorer: the status bar says stopped (not live);
# + and i say in one line that the workload has stopped and why, and change nothing; q exits 1
# with the reason on stderr, after the terminal is restored.
explorer 160 45 --db fail.db --users 100 --rtt-us 0 --strategy naive '2>fail.err' # stderr kept apart
expect 'GET /users/analytics' 20
expect '│ ● live'
sqlite3 -cmd '.timeout 10000' fail.db 'DROP TABLE orders' # waits out the lab's reads (busy time-out)
expect 'stopped: error \(see log\)' 20
expect '│ stopped *$'
absent '● live'
keys +
expect 'the workload has stopped: .*no such table: orders; q quits'
absent 'reseeding'
absent 'users: 1000'
keys i
expect 'the workload has stopped: .*no such table: orders'
absent 'index on orders.user_id: o'
keys q
expect 'EXIT=1' 10
err=$(cat fail.err 2>/dev/null)
[[ "$err" == "obslab: the workload stopped: "*"no such table: orders" ]] && ok ||
	bad "after a failed workload stderr said '$err'"

# --- the details pane wraps a long name between characters, by cells ------------------------
# A root span named "GET /" and 40 CJK characters (2 cells each) at 80x24: the name wraps
# over two lines of the details pane, every character whole (no \xNN halves).
explorer 80 24 open "$src/tests/hostile/wrap/cjk-long-name-otlp.json"
expect '─ Details '
cjk=$(printf '中文%.0s' $(seq 20))
details=$(screen | sed -n '/─ Details /,/^└/p' | sed 's/^│ *//; s/ *│[┌│└].*$//; s/ *│ *$//' | tr -d '\n')
case $details in *"GET /$cjk  (server span)"*) ok ;; *) bad "the details do not hold the name whole: $details"; show ;; esac
absent '\\x[0-9a-f]{2}'
keys q

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
