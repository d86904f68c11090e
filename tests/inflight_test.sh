#!/usr/bin/env bash
# A long request is shown while it runs, and long work is estimated before
# it starts (issue 12, item 11). Naive at 100,000 users without the index
# takes most of an hour: the waterfall and the status bar show it in flight
# with its elapsed time and queries so far, both growing; c says what the
# comparison would take, from that request, and waits: Esc does not start
# it, Enter does, and Esc then cancels it as before. On the too-small screen
# only q acts (Enter does not start it). i in the comparison view, while its
# long first request is in flight, measures again and shows it.
# Usage: inflight_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sock="obslab-inflight-$$"
export TMUX_TMPDIR="$work"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
. "$here/lib.sh"
expect() { if wait_for "$1" "${2:-15}"; then ok; else bad "screen never showed /$1/"; screen | sed 's/^/    | /'; fi; }
expect_not() { if screen | grep -Eq -- "$1"; then bad "screen shows /$1/"; screen | sed 's/^/    | /'; else ok; fi; }

LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 120 -y 40 -s t \
	"env LC_ALL=C.UTF-8 HOME=$work $bin --db $work/big.db --users 100000 --index off --rtt-us 0; sleep 600"
tm set-option -t t -g status off

# --- in flight: the waterfall and the status bar, elapsed and queries growing ---
flight='request in flight ([0-9.]+) s · ([0-9,]+) quer'
expect "$flight" 60
expect '│ in flight [0-9.]+ s · [0-9,]+ queries │ ● live'
first=$(screen | grep -Eo "$flight" | head -1)
sleep 2.5
second=$(screen | grep -Eo "$flight" | head -1)
t1=$(sed -E "s/$flight.*/\1/" <<<"$first"); q1=$(sed -E "s/$flight.*/\2/" <<<"$first" | tr -d ,)
t2=$(sed -E "s/$flight.*/\1/" <<<"$second"); q2=$(sed -E "s/$flight.*/\2/" <<<"$second" | tr -d ,)
if [ -n "$t1" ] && [ -n "$t2" ] && awk -v a="$t1" -v b="$t2" 'BEGIN { exit !(b >= a + 2) }' && [ "$q2" -gt "$q1" ]; then
	ok
else
	bad "in flight did not grow: '$first' then '$second'"
fi

# --- c at this size: an estimate first; Esc does not start it ---------------------
keys c
expect 'compare at 100,000 users: about [0-9]+ (h|min)'
expect 'Enter to start, Esc to cancel'
expect 'WARN  compare at 100,000'
expect_not '─ Comparison'
keys Escape
expect 'comparison not started'
expect_not '─ Comparison'
expect "$flight" # the request goes on

# --- Enter starts it; Esc cancels it, as before -----------------------------------
keys c
expect 'Enter to start, Esc to cancel'
keys Enter
expect '─ Comparison · 100,?000 users'
expect 'measuring .* requests'
keys Escape
expect '─ Waterfall'
expect 'comparison cancelled'

# --- the terminal too small: only q acts; Enter does not answer the prompt ----------------
keys c
expect 'Enter to start, Esc to cancel'
tm resize-window -t t -x 40 -y 10
expect 'terminal too small: 40x10'
keys Enter
keys x
sleep 1
tm resize-window -t t -x 120 -y 40
expect 'Enter to start, Esc to cancel' # the question is still open
expect_not '─ Comparison'
expect_not 'measuring'
keys Escape
expect 'comparison not started'
expect_not '─ Comparison'

# --- i in the comparison view while a long request is cancelled: measured and shown -------
# The comparison's first request (naive, no index) runs for minutes; i cancels it and
# measures again with the index: the view says measuring, its table fills, and the log
# gets one summary line, not the measured requests' own lines.
keys c
expect 'Enter to start, Esc to cancel'
keys Enter
expect 'measuring .* 0/30 requests'
sleep 2
keys i
expect '─ Comparison · 100,?000 users · RTT 0µs \(simulated\) · index on'
expect 'measuring .* [1-9][0-9]*/30 requests' 120
expect_not 'measured: each row'
expect '^│ optimized +1 ' 120
expect 'measured: each row' 300
expect '^│ naive \(N\+1\) +100001 '
expect '^│ eager +201 '
keys Escape
expect '─ Waterfall'
keys Space # paused: the live requests push nothing out
expect 'INFO  comparison measured, 30'
expect_not 'Optimized query executed'
expect_not 'Eager loading query executed'
n=$(screen | grep -c 'comparison measured')
[ "$n" -eq 1 ] && ok || bad "the log shows $n summary lines for one measurement"
keys q

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
