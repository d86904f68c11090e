#!/usr/bin/env bash
# The explorer with the server as a source (issue 15, `obslab --serve`),
# against the real binary in tmux at 80x24 and 200x60:
#  - --serve 127.0.0.1:0 binds a free port and says which in the status bar
#    and the log; Space pauses the lab, the server keeps serving;
#  - curl GET /users/analytics, /users/analytics/optimized and /health: the
#    status bar counts 3 requests, the trace list (T) has exactly three more
#    traces, with their root names, and the lab added none while paused;
#  - a served root's details show its HTTP exchange: url.path,
#    http.response.status_code and user_agent.original (curl's);
#  - i (the index) while serving: no error, the next served trace records
#    the new index (obslab.index);
#  - q, and SIGTERM, stop it cleanly: exit 0, the database back in rollback
#    mode (no -wal, no -shm left);
#  - bad --serve command lines are usage errors (2); a port in use is 1.
#  - --serve 0.0.0.0:0 warns in the log that it listens on all interfaces.
# The running lab logs as it goes, so an INFO line soon leaves the log
# pane's few rows: the log is read through the search (/), which finds a
# line wherever it is and brings it into sight; everything else is asserted
# on state that stays (the status bar, the trace list's count, the
# database), polled, never read after a fixed sleep.
# Usage: serve_ui_test.sh PATH/TO/obslab
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
work=$(mktemp -d)
sock="obslab-serveui-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=30 # slow under sanitizers on a busy machine; a wait, never an assertion
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; return 1; fi; }
# gone REGEX WHAT: the screen stops matching REGEX.
gone() {
	local deadline=$((SECONDS + WAIT_SECONDS))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -Eq -- "$1" || { ok; return 0; }
		sleep 0.2
	done
	bad "$2: screen still shows /$1/"; show; return 1
}
# eventually SECONDS COMMAND...: true once COMMAND is.
eventually() {
	local deadline=$((SECONDS + $1)); shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.2
	done
	"$@"
}
# logged TEXT SHOWN WHAT: the log has a line with TEXT (at most 24
# characters, as the status bar shows a search), found by the search (/)
# however far the lab's lines have scrolled it, only in the log, and brought
# into the log pane, which shows the regex SHOWN (its start: the pane cuts
# it at 80 columns); Esc clears the search, L follows the newest trace again.
logged() {
	keys / "$1" Enter
	local q
	q=$(printf '%s' "$1" | sed 's/[.[\*^$()+?{|]/\\&/g')
	expect "/$q [0-9]+ of [0-9]+ log lines?( |$)" "" "$3: the search finds it in the log" &&
		expect "$2" "" "$3: the log pane shows it"
	keys Escape
	gone "/$q [0-9]+ of" "$3: Esc clears the search"
	keys L
}
# bound_port: the port the status bar says, read from the same capture that
# shows it (empty if none within the wait).
bound_port() {
	local deadline=$((SECONDS + WAIT_SECONDS)) p
	while [ $SECONDS -lt $deadline ]; do
		p=$(screen | grep -oE 'serving http://127\.0\.0\.1:[0-9]+/' | head -1 | grep -oE '[0-9]+/$' | tr -d /)
		[ -n "$p" ] && [ "$p" != 0 ] && { echo "$p"; return 0; }
		sleep 0.2
	done
	return 1
}
explorer() {
	local cols=$1 lines=$2; shift 2
	tm kill-server 2>/dev/null
	for _ in $(seq 50); do tm has-session 2>/dev/null || break; sleep 0.1; done
	sleep 0.3
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x "$cols" -y "$lines" -s t \
		"env TZ=UTC LC_ALL=C.UTF-8 $bin $*; echo EXIT=\$?; sleep 600"
	tm set-option -t t -g status off
}
get() { curl -s -o /dev/null -w '%{http_code}' --max-time 20 "http://127.0.0.1:$port$1"; }
# T and Esc: the trace list, full screen (no waterfall: at 200x60 the main
# screen has a trace list pane too), and back.
list_open() { keys T; gone '─ Waterfall' "$1: T opens the trace list" && expect 'Traces [0-9]+' "" "$1: the trace list's count"; }
list_close() { keys Escape; expect '─ Waterfall' "" "$1: Esc: back from the trace list"; }
# The trace list's count, from its title ("Traces 26").
traces_count() { screen | grep -oE 'Traces [0-9]+' | head -1 | grep -oE '[0-9]+'; }
# The trace list's data rows, as text.
rows() { screen | sed -n '4,$p' | grep -v '^└' | grep -E '[0-9](ns|µs|us|ms|s) '; }
# details_seen FILE: the details pane's lines, every one, appended to FILE
# as screens. Cut, it is focused (Tab until it says "j/k scroll") and
# scrolled to its end one j at a time, each step waited for, then left
# (Shift-Tab: a focused details pane holds the trace it shows).
details_seen() {
	: >"$1"
	local s below focused=
	s=$(screen)
	printf '%s\n' "$s" >>"$1"
	grep -q '(Tab here, then j/k)' <<<"$s" || return 0 # whole already
	for _ in 1 2 3 4 5 6 7 8; do
		keys Tab
		if wait_for '\(j/k scroll\)' 3; then focused=1; break; fi
	done
	[ -n "$focused" ] || return 0 # the caller's grep says what is missing
	for _ in $(seq 60); do
		s=$(screen)
		printf '%s\n' "$s" >>"$1"
		below=$(grep -oE '[0-9]+ more lines? \(j/k scroll\)' <<<"$s" | grep -oE '^[0-9]+')
		[ -n "$below" ] || break
		keys j
		eventually 10 eval '! screen | grep -Eq "(^|[^0-9])$below more lines? \(j/k scroll\)"'
	done
	screen >>"$1"
	keys BTab
}
# The trace list's count once the lab, paused, has finished the request it
# had in flight: the same for two seconds.
settled_count() {
	local a b
	a=$(traces_count)
	for _ in $(seq 30); do
		sleep 2
		b=$(traces_count)
		[ -n "$b" ] && [ "$a" = "$b" ] && break
		a=$b
	done
	echo "$b"
}
# index_built DB: the lab's index exists in the database (read-only look).
index_built() {
	[ "$(sqlite3 -readonly "$1" "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'idx_orders_user_id'" 2>/dev/null)" = 1 ]
}
no_journal() { # what q or SIGTERM left beside the database
	if ls "$1"-wal "$1"-shm >/dev/null 2>&1; then bad "$2: -wal or -shm left: $(ls "$1"*)"; else ok; fi
}

for size in ${SIZES:-80x24 200x60}; do
	cols=${size%x*} lines=${size#*x}
	db="$work/lab-$size.db"
	explorer "$cols" "$lines" --serve 127.0.0.1:0 --db "$db"
	port=$(bound_port)
	if [ -z "$port" ]; then bad "$size: no port in the status bar"; show; continue; fi
	ok
	expect 'GET /users/analytics' "" "$size the lab's own traces"
	logged 'serving http' 'INFO +serving http' "$size the log notes the server's start"

	# Space pauses the lab; the server keeps serving.
	keys Space
	expect '‖ lab paused' "" "$size Space pauses the lab (the status bar's mark)"
	list_open "$size"
	before=$(settled_count) # a request of the lab's in flight at the pause completes
	list_close "$size"
	code=$(get /users/analytics)$(get /users/analytics/optimized)$(get /health)
	[ "$code" = 200200200 ] && ok || bad "$size: curl answered $code, not 200 three times"
	expect '· 3 requests' "" "$size the status bar counts the requests"
	list_open "$size"
	expect "Traces $((before + 3))( |$)" "" "$size three more traces while the lab is paused (before: $before)"
	rows >rows.txt
	tail -n 3 rows.txt >last3.txt
	if sed -n 1p last3.txt | grep -q 'GET /users/analytics  ' &&
		sed -n 2p last3.txt | grep -q 'GET /users/analytics/o' &&
		sed -n 3p last3.txt | grep -q 'GET /health'; then ok; else
		bad "$size: the last three traces are not naive, optimized, /health:"; sed 's/^/    | /' last3.txt
	fi
	sleep 1.5 # the lab paused adds nothing (a wait for nothing to happen)
	[ "$(traces_count)" = $((before + 3)) ] && ok || bad "$size: the paused lab added traces ($(traces_count))"

	# The served naive request, opened from the list: its HTTP exchange.
	keys G k k Enter
	expect '─ Waterfall' "" "$size Enter opens the served trace"
	details_seen details.txt
	for want in 'url\.path = /users/analytics( |│|$)' 'http\.response\.status_code = 200' 'user_agent\.original = curl/'; do
		grep -Eq "$want" details.txt && ok || { bad "$size: the served root's details lack /$want/"; sed 's/^/    | /' details.txt | tail -n "$lines"; }
	done
	grep -q 'obslab.index = false' details.txt && ok || bad "$size: the served root does not say obslab.index = false"

	# i while serving: the next served trace has the new index, no error.
	# The request waits for the lab to have built the index (the database
	# is what a served request reads; the key only asks for it).
	keys L
	keys i
	logged 'orders.user_id: on' 'INFO +(index on order|…orders\.user_i)' "$size i: the index note" # a narrow log pane scrolls sideways to the match
	eventually "$WAIT_SECONDS" index_built "$db" && ok || bad "$size: i built no index in the database"
	[ "$(get /users/analytics)" = 200 ] && ok || bad "$size: a request after i failed"
	expect '· 4 requests' "" "$size the fourth request"
	list_open "$size"
	expect "Traces $((before + 4))( |$)" "" "$size the fourth served trace in the list"
	list_close "$size"
	keys L # the newest trace: the fourth request (the lab is paused)
	expect '─ Waterfall · trace #[0-9]+ · 2[0-9] spans' "" "$size the fourth request's waterfall"
	details_seen details2.txt
	grep -q 'obslab.index = true' details2.txt && ok || { bad "$size: the request after i does not record index = true"; sed 's/^/    | /' details2.txt | tail -n "$lines"; }
	if screen | grep -Eq 'ERROR|SQLITE_BUSY|database is locked'; then bad "$size: an error while the index changed"; show; else ok; fi

	# Space again: the lab runs again; its traces arrive again.
	keys Space
	gone '‖ lab paused' "$size Space: the status bar's pause mark goes"
	logged 'the lab resumed' 'INFO +the lab resum' "$size Space resumes the lab"
	list_open "$size"
	if eventually "$WAIT_SECONDS" eval '[ "$(traces_count)" -gt $((before + 4)) ]'; then ok; else
		bad "$size: the resumed lab added no trace ($(traces_count), paused: $((before + 4)))"; show; fi
	list_close "$size"
	keys q
	expect 'EXIT=0' "" "$size q exits 0"
	no_journal "$db" "$size q"
done

# All interfaces: a WARN line in the log, as `obslab serve` says it.
explorer 100 30 --serve 0.0.0.0:0 --db "$work/lab-all.db"
expect 'serving http://0\.0\.0\.0:[1-9]' "" "0.0.0.0: the status bar says the port"
logged 'all interfaces' 'WARN +(listening on all|…n all interfaces \(0\.0)' "0.0.0.0 warns"
keys q
expect 'EXIT=0' "" "0.0.0.0: q exits 0"

# SIGTERM: the same clean stop.
db="$work/lab-term.db"
explorer 80 24 --serve 127.0.0.1:0 --db "$db"
port=$(bound_port) && ok || { bad "SIGTERM run: no port in the status bar"; show; }
[ "$(get /health)" = 200 ] && ok || bad "SIGTERM run: /health"
pid=$(pgrep -n -f -- "--db $db") || pid=
if [ -n "$pid" ]; then kill -TERM "$pid"; ok; else bad "no pid for the SIGTERM run"; fi
expect 'EXIT=0' "" "SIGTERM exits 0"
no_journal "$db" "SIGTERM"
if [ -n "$port" ] && curl -s --max-time 2 "http://127.0.0.1:$port/health" >/dev/null; then
	bad "the server still answers after SIGTERM"; else ok; fi

# A port in use: the second explorer says so and exits 1. The first is
# asked first (it answers: it listens), then the second is waited for.
explorer 80 24 --serve "127.0.0.1:0" --db "$work/lab-a.db"
port=$(bound_port)
if [ -z "$port" ]; then bad "the first server: no port in the status bar"; show
elif [ "$(get /health)" != 200 ]; then bad "the first server does not answer on $port"; show
else
	# its own window, named by its pane's id (-P), not made current (-d)
	pane=$(tm new-window -d -P -F '#{pane_id}' -t t: -n second \
		"env LC_ALL=C.UTF-8 $bin --serve $port --db $work/lab-b.db; echo EXIT=\$?; sleep 600" 2>&1)
	second() { tm capture-pane -p -t "$pane" 2>&1; }
	[[ "$pane" == %* ]] && eventually 60 eval 'second | grep -q "EXIT="'
	out=$(second)
	if [[ "$pane" != %* ]]; then bad "a port in use: tmux opened no window for the second explorer: $pane"
	elif grep -Eq 'EXIT=1( |$)' <<<"$out" && grep -q "cannot listen on 127.0.0.1:$port: " <<<"$out"; then ok; else
		bad "a port in use: not exit 1 with the reason"
		printf '%s\n' "$out" | sed '/^$/d; s/^/    | second: /'
		printf 'the first: /health %s\n' "$(get /health)"; show
	fi
	no_journal "$work/lab-b.db" "a port in use"
	# bound before the database: the second left no database behind
	if [ -e "$work/lab-b.db" ]; then bad "a port in use: the second explorer made lab-b.db"; else ok; fi
	# a host that does not resolve: the same, status 1 and nothing made
	pane=$(tm new-window -d -P -F '#{pane_id}' -t t: -n third \
		"env LC_ALL=C.UTF-8 $bin --serve nosuch.invalid:0 --db $work/lab-c.db; echo EXIT=\$?; sleep 600" 2>&1)
	[[ "$pane" == %* ]] && eventually 60 eval 'second | grep -q "EXIT="'
	if [[ "$pane" == %* ]] && second | grep -Eq 'EXIT=1( |$)'; then ok; else
		bad "a host that does not resolve: not exit 1: $(second | sed '/^$/d' | tail -3)"; fi
	if [ -e "$work/lab-c.db" ]; then bad "a host that does not resolve: lab-c.db was made"; else ok; fi
	# the first still serves
	if [ "$(get /health)" = 200 ]; then ok; else bad "the first server stopped answering after the second failed"; show; fi
fi
tm kill-server 2>/dev/null

# Usage errors: status 2, one line.
for args in "--serve nonsense" "--serve 127.0.0.1:99999" "--serve 8000 --watch --db x.db" "--serve 8000 --db :memory:" "--serve"; do
	# shellcheck disable=SC2086
	"$bin" $args >out.txt 2>err.txt </dev/null
	rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <err.txt)" -ge 1 ] && grep -q -- 'serve' err.txt; then ok; else
		bad "obslab $args: status $rc, not 2 with a word on --serve: $(cat err.txt)"; fi
done
[ ! -e x.db ] && ok || bad "a refused --serve created its database"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
