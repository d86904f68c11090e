#!/usr/bin/env bash
# The trace explorer in a real terminal: tmux runs the binary in a shell,
# the test types keys and reads the screen back (capture-pane).
# Usage: tui_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
work=$(mktemp -d)
sock="obslab-tui-$$"
db="$work/tui.db"
export TMUX_TMPDIR="$work" # tmux's socket too
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1 # every file the test writes (keys.txt, out.txt, err.txt) goes here

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; screen | sed 's/^/    | /'; }

tm() { tmux -L "$sock" "$@"; }
screen() { tm capture-pane -p -t t 2>/dev/null; }
keys() { tm send-keys -t t "$@"; }
# wait_for PATTERN [SECONDS]: true once the screen matches the extended regex.
wait_for() {
	local deadline=$((SECONDS + ${2:-15}))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.2
	done
	return 1
}
# wait_gone PATTERN [SECONDS]: true once the screen no longer matches.
wait_gone() {
	local deadline=$((SECONDS + ${2:-15}))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.2
	done
	return 1
}
expect() { if wait_for "$1" "${2:-15}"; then ok; else bad "screen never showed /$1/"; fi; }
waterfall() { screen | cut -c1-72; } # the left column: waterfall and details
# The queries the waterfall title counts: "· 21 queries ·"
queries_shown() { screen | sed -n 's/.*Waterfall · trace #[0-9]* · [0-9]* spans · \([0-9]*\) quer.*/\1/p' | head -1; }
expect_queries() {
	local deadline=$((SECONDS + ${2:-15}))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(queries_shown)" = "$1" ] && { ok; return; }
		sleep 0.2
	done
	bad "the waterfall never showed $1 queries (last: $(queries_shown))"
}

# A shell in a 120x40 UTF-8 terminal, with a prompt to look for.
start_shell() {
	tm kill-server 2>/dev/null
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 120 -y 40 -s t \
		"env LC_ALL=C.UTF-8 PS1='obslab-test\$ ' HOME=$work HISTFILE= bash --norc --noprofile"
	tm set-option -t t -g status off
	wait_for 'obslab-test\$' 10 || bad "no shell prompt"
	keys "cd $work" Enter
}

# Each command run in the shell ends with its own marker, "EXIT=<status> #<n>",
# so a wait for one run's end never matches an earlier run's.
runs=0
type_run() {
	runs=$((runs + 1))
	keys "clear; $*; echo EXIT=\$? \#$runs" Enter
}
expect_exit() { expect "^EXIT=$1 #$runs\$" "${2:-15}"; }
launch() {
	type_run "$bin --db $db $*"
	expect 'GET /users/analytics'
}

# --- the live waterfall ------------------------------------------------------
start_shell
launch
expect '│ N\+1 │'
expect 'SELECT orders ×20'
n=$(waterfall | grep -c '├ SELECT orders')
[ "$n" -ge 15 ] && ok || bad "the staircase shows $n order rows, expected them one per row"
expect_queries 21
expect 'network .* ms'

keys t
expect '│ optimized │'
expect_queries 1
[ "$(waterfall | grep -c 'SELECT orders')" -eq 0 ] && ok || bad "optimized still shows order queries"
keys e
expect '│ eager │'
expect_queries 2

keys +
expect '│ 100 users │'
expect_queries 2
keys n
expect_queries 101
expect 'SELECT orde.*×100'

keys r
expect 'RTT 500µs \(simulated\)'
expect 'INFO  RTT 500 us per query'
# 101 round trips of 500 µs: the attribution's network share is at least 50.5 ms
net_ok=0
for _ in $(seq 50); do
	ms=$(screen | sed -n 's/.*│ network *[^0-9]*\([0-9]*\)\.[0-9]* ms.*/\1/p' | head -1)
	[ -n "$ms" ] && [ "$ms" -ge 50 ] && { net_ok=1; break; }
	sleep 0.2
done
[ $net_ok = 1 ] && ok || bad "network time did not follow the RTT"
keys i
expect 'index on'
expect 'obslab.index = true'

# --- pause freezes the trace -----------------------------------------------
keys Space
expect '‖ paused'
sleep 0.5
a=$(screen | grep -o 'trace #[0-9]*' | head -1)
sleep 1.5
b=$(screen | grep -o 'trace #[0-9]*' | head -1)
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "paused, the trace still changed ($a -> $b)"
keys Space
expect '● live'

# --- history -------------------------------------------------------------------
keys '['
expect 'history'
keys ']' ']' ']' ']' ']' ']' ']' ']' ']' ']'
expect '● live'
# an escape sequence the terminal description lacks (Home as tmux sends it
# under TERM=xterm-256color, a bare CSI) is swallowed, not read as Esc and [
tm send-keys -t t -l $'\e[1~'
tm send-keys -t t -l $'\e['
sleep 1
screen | grep -q 'history' && bad "an unknown escape sequence was read as [" || ok
screen | grep -q '● live' && ok || bad "the explorer left live view on an escape sequence"

# --- help lists every key of the table -------------------------------------------
keys '?'
expect '─ Keys '
shot=$(screen)
# a help longer than the window scrolls: read it page by page
for _ in 1 2 3 4 5; do
	grep -q 'Keys (Up/Down scroll)' <<<"$shot" || break
	before=$(screen)
	keys NPage
	for _ in $(seq 25); do [ "$(screen)" != "$before" ] && break; sleep 0.2; done
	[ "$(screen)" = "$before" ] && break
	shot+=$'\n'$(screen)
done
"$bin" --keys | sed -n 's/^| `\(.*\)` | \(.*\) |$/\2/p' >keys.txt
missing=0
while IFS= read -r help; do
	grep -qF -- "$help" <<<"$shot" || { missing=1; printf 'help lacks: %s\n' "$help"; }
done <keys.txt
[ -s keys.txt ] && [ $missing = 0 ] && ok || bad "the help overlay does not list every key"
keys Escape
wait_gone '─ Keys ' && ok || bad "Escape did not close the help"

# --- focus and selection ---------------------------------------------------------
keys g j
expect 'db.system.name = sqlite'
expect 'db.query.text = SELECT id, username, email FROM users ORDER BY id'
keys Tab
expect '─ Queries '

# --- findings: the N+1 and the missing index are marked where they occur ---------
expect '×100 ⚠N\+1'
expect 'WARN  finding: N\+1'
keys i
expect 'index off'
expect '×100 ⚠N\+1 scan'
expect 'WARN  finding: full scan in a loop'
keys i
expect 'index on'

# --- the comparison: three strategies, measured; Esc and q lead back --------------
keys c
expect '─ Comparison · 100 users'
expect 'measured: each row' 60
expect '^│ naive \(N\+1\) +101 '
expect '^│ optimized +1 '
expect '^│ eager +2 '
# the footer offers what works here, and nothing that waits for the screen to close
expect '^r RTT  i index  c compare  s sweep  \? help  q back *$'
keys Escape
expect '─ Waterfall '
keys c
expect '─ Comparison '
keys q
expect '─ Waterfall '
[ "$(screen | grep -c 'EXIT=')" = 0 ] && ok || bad "q in the comparison quit the program"

# --- the sweep: progress, then the chart; Esc cancels ----------------------------
keys r r
expect 'RTT 0µs'
keys s
expect 'measuring .* requests'
keys Escape
expect '─ Waterfall '
keys s
expect 'measured: each row' 120
expect 'N naive \(N\+1\) +O optimized +E eager'
expect '^│ +10000 +10001 q(ueries)? '  # "q" where the times leave no room for "queries"
expect '^│ +20 +21 q(ueries)? +[0-9.]+[µm]?s +1 q(uery)? '
keys q
expect '─ Waterfall '

# --- x writes a snapshot; obslab open shows the same waterfall -------------------
# a request of the lab's own settings again (the sweep's last ones may still
# be on screen when the machine is slow), then paused
expect 'SELECT orde.*×100' 60
keys Space
expect '‖ paused'
keys x
expect 'export a snapshot as:'
keys n
expect 'wrote \./obslab-snapshot-[0-9]{8}T[0-9]{6}Z\.json \(native, [0-9]+ traces\)'
snap=$(ls "$work"/obslab-snapshot-*Z.json | head -1)
[ -n "$snap" ] && jq -e '.format == "obslab.snapshot"' "$snap" >/dev/null && ok || bad "no snapshot file in $work"
shown=$(screen | grep -o 'Waterfall · trace #[0-9]* · [0-9,]* spans · [0-9,]* quer[a-z]* · [0-9.]*[µm]*s')
keys x o
expect 'wrote \./obslab-snapshot-.*-otlp\.json'
keys Space
expect '● live'

# --- the help scrolls when the terminal is small -------------------------------------
tm resize-window -t t -x 80 -y 24
expect '─ Waterfall '
keys '?'
expect 'Keys \(Up/Down scroll\)'
expect 'toggle naive \(N\+1\) and optimized'
keys PageDown PageDown PageDown PageDown
expect 'quit \(from a comparison, sweep, diff or trace list: back\)'
wait_gone 'toggle naive \(N\+1\) and optimized' && ok || bad "the help did not scroll"
keys Escape
wait_gone 'Keys \(Up' && ok || bad "Escape did not close the scrolled help"
tm resize-window -t t -x 120 -y 40

# --- resize ------------------------------------------------------------------------
tm resize-window -t t -x 40 -y 10
expect 'terminal too small: 40x10'
tm resize-window -t t -x 120 -y 40
expect '─ Waterfall '
expect '─ Attribution '

# --- q leaves a clean shell -------------------------------------------------------
keys q
expect_exit 0
expect 'obslab-test\$ *$'
keys "stty -a | tr ' ' '\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ' '; echo" Enter
expect '^icanon echo *$'

# --- SIGTERM too ------------------------------------------------------------------
launch
pid=$(pgrep -n -f -- "--db $db") || pid=
[ -n "$pid" ] && kill -TERM "$pid"
expect_exit 0
keys "stty -a | grep -c ' -icanon'" Enter
expect '^0$'

# --- open: the snapshot, read-only -------------------------------------------------
type_run "$bin open $snap"
expect 'snapshot .*read-only'
# the log's times are the clock's now, not the file's times nor the uptime
now=$(date +%s)
expect "($(date -d @$((now - 60)) +%H:%M)|$(date -d @$now +%H:%M)|$(date -d @$((now + 60)) +%H:%M)):[0-9]{2} INFO  opened "
# the last trace of the file is the one that was on screen when x was pressed
# (its number may differ: a file numbers the traces it holds from 1, and the
# live store has evicted its oldest when the lab ran long)
[ -n "$shown" ] && wait_for "$(printf '%s' "$shown" | sed -e 's/[.[*^$()+?{|]/\\&/g' -e 's/#[0-9]*/#[0-9]+/')" 10 && ok || bad "open shows another trace than was exported: $shown"
expect 'SELECT orde.*×100'
# a file is read once: the explorer idles, waking about once a second, not 30 times
pid=$(pgrep -n -f -- "open $snap") || pid=
switches() { awk '/^voluntary_ctxt_switches/ {print $2}' /proc/"$pid"/status 2>/dev/null; }
s0=$(switches); sleep 3; s1=$(switches)
[ -n "$s0" ] && [ -n "$s1" ] && [ $((s1 - s0)) -lt 20 ] && ok || bad "open woke $((s1 - s0)) times in 3 s (pid '$pid')"
keys t
expect 'this is a snapshot .*read-only'
keys c
expect 'this is a snapshot'
keys q
expect_exit 0
type_run "$bin open $work/obslab-snapshot-*-otlp.json --frames 30"
expect_exit 0 20

# --- a crash (abort) still gives the terminal back ----------------------------
launch
pid=$(pgrep -n -f -- "--db $db") || pid=
[ -n "$pid" ] && kill -ABRT "$pid"
expect_exit 134
keys "clear; stty -a | grep -c ' -icanon'" Enter
expect '^0$'

# --- no colour, no UTF-8: still readable, nothing but ASCII -----------------------
type_run "NO_COLOR=1 LC_ALL=C $bin --db $db --frames 40"
expect_exit 0 30
launch_ascii() { type_run "NO_COLOR=1 LC_ALL=C $bin --db $db --strategy naive --users 20"; }
launch_ascii
expect 'SELECT orders x20'
expect '\+ SELECT users'
non_ascii=$(screen | LC_ALL=C grep -c '[^ -~]')
[ "$non_ascii" = 0 ] && ok || bad "ASCII mode drew $non_ascii lines with other bytes"
keys q
expect_exit 0

# --- not a terminal ---------------------------------------------------------------
"$bin" --db "$db" </dev/null >out.txt 2>err.txt
status=$?
[ $status = 2 ] && ok || bad "without a terminal obslab exited $status, expected 2"
grep -q "needs a terminal.*obslab run" err.txt && ok || bad "no message pointing at obslab run: $(cat err.txt)"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
