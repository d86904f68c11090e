#!/usr/bin/env bash
# obslab serve's files and start-up against the real binary: --record and
# --log-file never written over the served database or each other (any
# spelling: ./, a symbolic link, a hard link, a file: URI), refused before
# the database is made; the same for run's --log-file and export's -o; a
# --record in a missing directory refused at start; the log written a whole
# line at a time while serving, after a half line a killed writer left, and
# a failing log (/dev/full) said once while serving goes on, status 1; a port
# in use or a host that does not resolve leaves no database; all interfaces
# said on stderr; a served record's settings name no strategy.
# Usage: serve_files_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
. "$(dirname "$0")/serve_lib.sh" # work, ok/bad/check/has/absent, start, stop, url
needs curl jq python3

# --- never over the database, nor one over the other: refused, status 2 ----------
# refused CASE ARGS...: status 2, one line naming the clash, no database made
refused() {
	local what=$1; shift
	rm -f "$work"/*.db "$work"/*.sqlite
	timeout -s INT 4 "$bin" "$@" >r.out 2>r.err # a server that started is stopped
	check "$?" 2 "$what: status"
	check "$(wc -l <r.err)" 1 "$what: one line"
	has r.err '^obslab: .* is (the lab.s database|--record) '
}
refused "serve --record ./lab.db" serve --db lab.db --record ./lab.db --format native --listen 127.0.0.1:0
absent lab.db "--record over the database"
refused "serve --record s.sqlite" serve --db s.sqlite --record s.sqlite --listen 127.0.0.1:0
absent s.sqlite "--record over the database"
refused "serve --log-file s2.db" serve --db s2.db --log-file s2.db --listen 127.0.0.1:0
absent s2.db "--log-file over the database"
refused "serve --log-file = --record" serve --db s3.db --log-file same.json --record ./same.json --listen 127.0.0.1:0
absent same.json "--log-file over --record"
refused "run --log-file over the database" run --db r.db --log-file ./r.db --requests 1
refused "export -o over the database" export --db e.db -o e.db --requests 1
# an existing database, by another name: a hard link, a symbolic link, a URI
"$bin" run --db real.db --requests 1 --users 3 >/dev/null 2>&1 || bad "cannot make real.db"
ln real.db hard.db && ln -s real.db link.db && mkdir sub && ln -s .. sub/up
sum=$(cksum <real.db)
for args in "--db real.db --record hard.db" "--db link.db --record real.db" "--db real.db --record sub/up/real.db" \
	"--db file:real.db?mode=rw --record real.db" "--db real.db --log-file link.db"; do
	# shellcheck disable=SC2086
	timeout -s INT 4 "$bin" serve $args --listen 127.0.0.1:0 >r.out 2>r.err
	check "$?" 2 "serve $args: status"
done
check "$(cksum <real.db)" "$sum" "the database untouched"
# a dangling link to the database or the record (nothing there yet), a chain
# of them, one in another directory; the database's own side files
mkdir -p dl
ln -s nl.db dl2 && ln -s dl2 dl3 && ln -s ../nl.db dl/up && ln -s rec9.json dl4
for args in "--db nl.db --log-file dl2" "--db nl.db --log-file dl3" "--db nl.db --log-file dl/up" \
	"--db nl.db --record dl2 --format native" "--db nl.db --log-file nl.db-wal" "--db nl.db --log-file ./nl.db-shm" \
	"--db nl.db --record nl.db-journal --format native" "--db nl.db --record rec9.json --log-file dl4"; do
	# shellcheck disable=SC2086
	timeout -s INT 4 "$bin" serve $args --listen 127.0.0.1:0 >r.out 2>r.err
	check "$?" 2 "serve $args: status"
	check "$(wc -l <r.err)" 1 "serve $args: one line"
	absent nl.db "serve $args: the database"
	absent rec9.json "serve $args: the record"
	rm -f nl.db* rec9.json
done
timeout -s INT 4 "$bin" run --db nl.db --log-file dl3 --requests 1 >r.out 2>r.err
check "$?" 2 "run --log-file through a dangling link: status"
absent nl.db "run --log-file through a dangling link: the database"

# --- a --record in a missing directory: refused at start, status 1 ---------------
timeout -s INT 4 "$bin" serve --db nd.db --record nodir/x.json --listen 127.0.0.1:0 >r.out 2>r.err
check "$?" 1 "--record nodir/x.json: status"
has r.err '^obslab: cannot write nodir/x\.json: No such file or directory$'
absent nd.db "--record in a missing directory"
absent nodir "--record in a missing directory"

# --- a failed start leaves no database ------------------------------------------
python3 -c 'import socket,time,sys
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(); print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(30)' >taken.port &
holder=$!
for _ in $(seq 1 50); do [ -s taken.port ] && break; sleep 0.1; done
timeout -s INT 4 "$bin" serve --db taken.db --listen "127.0.0.1:$(cat taken.port)" >r.out 2>r.err
check "$?" 1 "a port in use: status"
has r.err 'Address already in use'
absent taken.db "a port in use"
timeout -s INT 4 "$bin" serve --db host.db --listen nosuch.invalid:0 >r.out 2>r.err
check "$?" 1 "a host that does not resolve: status"
absent host.db "a host that does not resolve"
kill "$holder" && wait "$holder" 2>/dev/null

# --- the log: each line whole as it happens ---------------------------------------
printf '{"half":' >log.jsonl # a writer killed mid-line
if start log --db log.db --users 3 --listen 127.0.0.1:0 --log-file log.jsonl --record rec.json; then
	curl -s -o /dev/null "$(url /users/analytics)"
	for _ in $(seq 1 50); do [ "$(wc -l <log.jsonl)" -ge 2 ] && break; sleep 0.1; done
	check "$(wc -l <log.jsonl)" 2 "the N+1 warning in the log while serving"
	check "$(tail -c 1 log.jsonl | od -An -c | tr -d ' ')" '\n' "the log ends with a whole line while serving"
	check "$(head -1 log.jsonl)" '{"half":' "the half line ended before the first record"
	check "$(tail -1 log.jsonl | jq -r .level)" WARN "the record on a line of its own"
	curl -s -o /dev/null "$(url /nope)"
	stop
	check "$status" 0 "the log server's exit status"
	check "$(jq -r '.settings | has("strategy")' rec.json)" false "a served record's settings name no strategy"
	check "$(jq -r '.settings.users' rec.json)" 3 "a served record's users"
	"$bin" report rec.json >rep.txt 2>rep.err
	check "$?" 0 "report on a served record: status"
	has rep.txt '^settings: served \(naive, optimized, eager on request\), 3 users, '
else
	bad "serve with a log did not start: $(cat log.err)"
fi
# the summary line: "request" for one
if start one --db one.db --users 3 --listen 127.0.0.1:0; then
	curl -s -o /dev/null "$(url /health)"
	stop
	has one.err '^obslab: served 1 request; [0-9]+ traces; dropped 0 spans; 0 unmatched$'
else
	bad "serve for one request did not start: $(cat one.err)"
fi
if [ -w /dev/full ] && start full --db full.db --users 3 --listen 127.0.0.1:0 --log-file /dev/full; then
	curl -s -o /dev/null "$(url /users/analytics)"
	for _ in $(seq 1 50); do grep -q 'log file' full.err && break; sleep 0.1; done
	has full.err '^obslab: writing the log file /dev/full failed: No space left on device; logging stopped$'
	check "$(curl -s -o /dev/null -w '%{http_code}' "$(url /users/analytics)")" 200 "still serving after the log failed"
	stop
	check "$status" 1 "a failed log: status 1"
	check "$(grep -c 'log file' full.err)" 1 "the failure said once"
else
	echo "SKIP: no /dev/full"
fi
"$bin" run --db full.db --requests 3 --log-file /dev/full >r.out 2>r.err
check "$?" 1 "run with a failed log: status 1"
check "$(grep -c 'writing the log file /dev/full failed' r.err)" 1 "run says it once"

# --- every interface: said -------------------------------------------------------------
if start all --db all.db --listen 0.0.0.0:0; then
	has all.err '^obslab: listening on all interfaces \(0\.0\.0\.0\): anyone who can reach this machine can call it$'
	stop
else
	bad "serve on 0.0.0.0 did not start: $(cat all.err)"
fi
if start lo --db lo.db --listen 127.0.0.1:0; then
	check "$(grep -c 'all interfaces' lo.err)" 0 "loopback is not every interface"
	stop
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
