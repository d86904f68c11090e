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
# Usage: serve_ui_test.sh PATH/TO/obslab
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
work=$(mktemp -d)
sock="obslab-serveui-$$"
export TMUX_TMPDIR="$work"
WAIT_SECONDS=15
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; fi; }
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
# The trace list's count, from its title ("Traces 26").
traces_count() { screen | grep -oE 'Traces [0-9]+' | head -1 | grep -oE '[0-9]+'; }
# The trace list's data rows, as text.
rows() { screen | sed -n '4,$p' | grep -v '^└' | grep -E '[0-9](ns|µs|us|ms|s) '; }
# details_seen FILE: focuses the details pane and scrolls it to its end,
# every screen on the way appended to FILE.
details_seen() {
	: >"$1"
	for _ in 1 2 3 4 5 6 7; do
		screen | grep -q '(j/k scroll)' && break
		keys Tab
		sleep 0.3
	done
	for _ in $(seq 24); do
		screen >>"$1"
		keys j
		sleep 0.1
	done
	screen >>"$1"
}
no_journal() { # what q or SIGTERM left beside the database
	if ls "$1"-wal "$1"-shm >/dev/null 2>&1; then bad "$2: -wal or -shm left: $(ls "$1"*)"; else ok; fi
}

for size in ${SIZES:-80x24 200x60}; do
	cols=${size%x*} lines=${size#*x}
	db="$work/lab-$size.db"
	explorer "$cols" "$lines" --serve 127.0.0.1:0 --db "$db"
	expect 'serving http://127\.0\.0\.1:[0-9]+/' 30 "$size the bound port in the status bar"
	port=$(screen | grep -oE 'serving http://127\.0\.0\.1:[0-9]+/' | head -1 | grep -oE '[0-9]+/$' | tr -d /)
	if [ -z "$port" ] || [ "$port" = 0 ]; then bad "$size: no port on screen"; show; continue; fi
	expect 'INFO +serving http' 5 "$size the log notes the server's start"
	expect 'GET /users/analytics' 15 "$size the lab's own traces"

	# Space pauses the lab; the server keeps serving.
	keys Space
	expect 'lab paused' 5 "$size Space pauses the lab"
	sleep 1 # a request of the lab's in flight at the pause completes
	keys T
	expect 'Traces [0-9]+' 5 "$size T: the trace list"
	before=$(traces_count)
	keys Escape
	code=$(get /users/analytics)$(get /users/analytics/optimized)$(get /health)
	[ "$code" = 200200200 ] && ok || bad "$size: curl answered $code, not 200 three times"
	expect '· 3 requests' 5 "$size the status bar counts the requests"
	keys T
	expect "Traces $((before + 3))" 5 "$size three more traces while the lab is paused (before: $before)"
	rows >rows.txt
	tail -n 3 rows.txt >last3.txt
	if sed -n 1p last3.txt | grep -q 'GET /users/analytics  ' &&
		sed -n 2p last3.txt | grep -q 'GET /users/analytics/o' &&
		sed -n 3p last3.txt | grep -q 'GET /health'; then ok; else
		bad "$size: the last three traces are not naive, optimized, /health:"; sed 's/^/    | /' last3.txt
	fi
	sleep 1.5 # the lab paused adds nothing
	[ "$(traces_count)" = $((before + 3)) ] && ok || bad "$size: the paused lab added traces ($(traces_count))"

	# The served naive request, opened from the list: its HTTP exchange.
	keys G k k Enter
	expect '─ Waterfall' 5 "$size Enter opens the served trace"
	details_seen details.txt
	for want in 'url\.path = /users/analytics' 'http\.response\.status_code = 200' 'user_agent\.original = curl/'; do
		grep -Eq "$want" details.txt && ok || { bad "$size: the served root's details lack /$want/"; sed 's/^/    | /' details.txt | tail -n "$lines"; }
	done

	# i while serving: the next served trace has the new index, no error.
	keys BTab # off the details (which hold the trace they show), not onto the log (which holds its place)
	keys L
	grep -q 'obslab.index = false' details.txt && ok || bad "$size: the served root does not say obslab.index = false"
	keys i
	expect "INFO +index|index on orders" 10 "$size i: the index note" || { sleep 1; show; }
	sleep 0.5
	[ "$(get /users/analytics)" = 200 ] && ok || bad "$size: a request after i failed"
	expect '· 4 requests' 5 "$size the fourth request"
	sleep 0.5
	details_seen details2.txt
	grep -q 'obslab.index = true' details2.txt && ok || { bad "$size: the request after i does not record index = true"; sed 's/^/    | /' details2.txt | tail -n "$lines"; }
	if screen | grep -Eq 'ERROR|SQLITE_BUSY|database is locked'; then bad "$size: an error while the index changed"; show; else ok; fi

	# Space again: the lab runs again.
	keys Space
	expect 'INFO +the lab resumed' 5 "$size Space resumes the lab"
	keys q
	expect 'EXIT=0' 10 "$size q exits 0"
	no_journal "$db" "$size q"
done

# SIGTERM: the same clean stop.
db="$work/lab-term.db"
explorer 80 24 --serve 127.0.0.1:0 --db "$db"
expect 'serving http://127\.0\.0\.1:[0-9]+/' 30 "SIGTERM run starts"
port=$(screen | grep -oE 'serving http://127\.0\.0\.1:[0-9]+/' | head -1 | grep -oE '[0-9]+/$' | tr -d /)
[ "$(get /health)" = 200 ] && ok || bad "SIGTERM run: /health"
pid=$(pgrep -n -f -- "--db $db") || pid=
if [ -n "$pid" ]; then kill -TERM "$pid"; ok; else bad "no pid for the SIGTERM run"; fi
expect 'EXIT=0' 10 "SIGTERM exits 0"
no_journal "$db" "SIGTERM"
if [ -n "$port" ] && curl -s --max-time 2 "http://127.0.0.1:$port/health" >/dev/null; then
	bad "the server still answers after SIGTERM"; else ok; fi

# A port in use: the second explorer says so and exits 1.
explorer 80 24 --serve "127.0.0.1:0" --db "$work/lab-a.db"
expect 'serving http://127\.0\.0\.1:[0-9]+/' 30 "the first server"
port=$(screen | grep -oE 'serving http://127\.0\.0\.1:[0-9]+/' | head -1 | grep -oE '[0-9]+/$' | tr -d /)
tm new-window -t t -n second "env LC_ALL=C.UTF-8 $bin --serve $port --db $work/lab-b.db; echo EXIT=\$?; sleep 600"
sleep 0.2
for _ in $(seq 100); do tm capture-pane -p -t t:second | grep -q 'EXIT=' && break; sleep 0.2; done
second=$(tm capture-pane -p -t t:second)
if printf '%s' "$second" | grep -q 'EXIT=1' && printf '%s' "$second" | grep -q "cannot listen on 127.0.0.1:$port"; then ok; else
	bad "a port in use: not exit 1 with the reason"; printf '%s\n' "$second" | sed 's/^/    | /'; fi
no_journal "$work/lab-b.db" "a port in use"
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
