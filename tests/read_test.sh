#!/usr/bin/env bash
# Reading safely, and reading back what obslab wrote (issue 10, items 8-9):
# a snapshot truncated while report reads it is refused in one line, never
# a signal; a FIFO given to report, open or --log-file is refused at once,
# never waited on; files with long multi-byte names are reported, exported
# by x and reported again, valid UTF-8 all the way; run --json returns long
# multi-byte usernames and emails whole.
# Usage: read_test.sh PATH/TO/obslab HOSTILE_DIR (tests/hostile/read)
set -u
WAIT_SECONDS=20
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
hostile=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-read-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

utf8() { iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; }
# one_line FILE: exactly one line, starting "obslab: "
one_line() { [ "$(wc -l <"$1")" -eq 1 ] && grep -q '^obslab: ' "$1"; }

# --- a file truncated while report reads it -------------------------------------
# 300 traces of 1000 spans, about 70 MB: reading and parsing it takes long
# enough for a truncation to land in the middle, whatever the delay below.
awk -v T=300 -v S=1000 'BEGIN {
	printf "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[\n"
	for (t = 1; t <= T; t++) {
		base = t * 10000000
		printf "%s{\"trace_id\":\"%032x\",\"spans\":[\n", (t > 1 ? "," : ""), t
		printf "{\"span_id\":\"%016x\",\"parent_span_id\":null,\"name\":\"GET /users/analytics\",\"kind\":\"server\",\"start_unix_ns\":\"%.0f\",\"end_unix_ns\":\"%.0f\",\"status\":\"ok\"}", 1, base, base + S * 1000 + 1000
		for (i = 2; i <= S; i++)
			printf ",\n{\"span_id\":\"%016x\",\"parent_span_id\":\"%016x\",\"name\":\"SELECT count(*) FROM orders WHERE user_id = ?\",\"kind\":\"client\",\"db\":{\"rows\":1,\"net_wait_ns\":100},\"start_unix_ns\":\"%.0f\",\"end_unix_ns\":\"%.0f\",\"status\":\"ok\"}", i, 1, base + i * 1000, base + i * 1000 + 900
		printf "]}\n"
	}
	printf "]}\n"
}' >big.orig
"$bin" report big.orig >/dev/null 2>&1 && ok || bad "the big file is not a valid snapshot"
signals=0 refusals=0
for delay in 0 0.02 0.05 0.1 0.2 0.3 0.5 0.8; do
	cp big.orig big.json
	"$bin" report big.json >out.txt 2>err.txt &
	pid=$!
	sleep "$delay"
	truncate -s 4096 big.json
	wait "$pid"
	rc=$?
	if [ $rc -gt 1 ]; then
		signals=$((signals + 1))
		bad "report of a file truncated after ${delay}s ended with status $rc ($(kill -l $((rc - 128)) 2>/dev/null || echo '?'))"
	elif [ $rc -eq 1 ]; then
		refusals=$((refusals + 1))
		one_line err.txt && ok || bad "a truncated file refused in other than one line: $(head -3 err.txt)"
	else
		ok # read whole before the truncation
	fi
done
[ $signals -eq 0 ] && [ $refusals -gt 0 ] && ok || bad "truncations: $signals killed by a signal, $refusals refused"
# a file that grows while it is read: refused or read whole, never a signal
for delay in 0.05 0.2; do
	cp big.orig big.json
	"$bin" report big.json >out.txt 2>err.txt &
	pid=$!
	sleep "$delay"
	head -c 4096 big.orig >>big.json
	wait "$pid"
	rc=$?
	[ $rc -le 1 ] && ok || bad "report of a growing file ended with status $rc"
done
rm -f big.json big.orig

# --- FIFOs: refused at once, never waited on ------------------------------------
mkfifo fifo
for cmd in report open; do
	timeout 5 "$bin" $cmd fifo </dev/null >out.txt 2>err.txt
	rc=$?
	if [ $rc -eq 1 ] && one_line err.txt && grep -q 'not a regular file' err.txt; then ok
	else bad "$cmd FIFO: status $rc (124: it hung), $(head -c 200 err.txt)"; fi
done
timeout 5 "$bin" run --log-file fifo --db lab.db --users 5 --requests 1 </dev/null >out.txt 2>err.txt
rc=$?
if [ $rc -eq 1 ] && one_line err.txt && grep -q 'no process is reading' err.txt; then ok
else bad "--log-file FIFO with no reader: status $rc (124: it hung), $(head -c 200 err.txt)"; fi
[ ! -e lab.db ] && ok || bad "--log-file refused, yet the database was created"
timeout 5 "$bin" run --log-file . --db lab.db --users 5 --requests 1 >out.txt 2>err.txt
[ $? -eq 1 ] && one_line err.txt && ok || bad "--log-file DIRECTORY: $(head -c 200 err.txt)"
# what --log-file takes: a regular file, a character device, a pipe being read
timeout 20 "$bin" run --log-file log.jsonl --db lab.db --users 5 --requests 2 >/dev/null 2>err.txt &&
	[ "$(jq -s length log.jsonl)" = 2 ] && ok || bad "--log-file FILE: $(cat err.txt)"
timeout 20 "$bin" run --log-file /dev/null --db lab.db --users 5 --requests 1 >/dev/null 2>err.txt && ok ||
	bad "--log-file /dev/null: $(cat err.txt)"
timeout 10 cat fifo >fifo.out &
reader=$!
sleep 0.3
timeout 20 "$bin" run --log-file fifo --db lab.db --users 5 --requests 2 >/dev/null 2>err.txt || bad "--log-file FIFO being read: $(cat err.txt)"
wait "$reader"
[ "$(jq -s length fifo.out 2>/dev/null)" = 2 ] && ok || bad "the FIFO's reader did not get the 2 log lines"
n=$(timeout 20 "$bin" run --log-file /dev/stdout --db lab.db --users 5 --requests 3 2>err.txt | grep -c '^{"time"')
[ "$n" = 3 ] && ok || bad "--log-file /dev/stdout in a pipeline wrote $n lines: $(cat err.txt)"

# --- long multi-byte names: reported as valid UTF-8 ---------------------------------
for f in "$hostile"/*.json; do
	name=$(basename "$f")
	timeout 30 "$bin" report "$f" >out.txt 2>err.txt
	rc=$?
	if [ $rc -ne 0 ]; then bad "report $name: status $rc, $(head -c 200 err.txt)"
	elif ! utf8 out.txt; then bad "report $name printed invalid UTF-8"
	else ok; fi
	timeout 30 "$bin" report "$f" --json >out.json 2>err.txt && utf8 out.json && jq -e . out.json >/dev/null && ok ||
		bad "report $name --json: not valid UTF-8 JSON"
done

# --- ... and exported with x (native and OTLP), then reported again --------------
for f in "$hostile"/*.json; do
	name=$(basename "$f" .json)
	mkdir -p "x-$name"
	tm kill-server 2>/dev/null
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 120 -y 40 -s t \
		"env LC_ALL=C.UTF-8 TERM=xterm-256color $bin open $f --export-dir $work/x-$name; sleep 30"
	tm set-option -t t -g status off
	if ! wait_for 'x export' 20; then bad "open $name: the explorer did not start"; continue; fi
	tm send-keys -t t x
	wait_for 'export a snapshot as:' && tm send-keys -t t n
	wait_for 'wrote .*\(native' || bad "x (native) on $name wrote nothing"
	tm send-keys -t t x
	wait_for 'export a snapshot as:' && tm send-keys -t t o
	wait_for 'wrote .*-otlp\.json' || bad "x o (OTLP) on $name wrote nothing"
	tm send-keys -t t q
	tm kill-server 2>/dev/null
	written=0
	for out in "x-$name"/*.json; do
		[ -e "$out" ] || continue
		written=$((written + 1))
		if ! utf8 "$out"; then bad "x on $name wrote invalid UTF-8 ($(basename "$out"))"; continue; fi
		timeout 30 "$bin" report "$out" >out.txt 2>err.txt && utf8 out.txt && ok ||
			bad "report refused what x wrote from $name: $(head -c 200 err.txt)"
	done
	[ $written = 2 ] && ok || bad "x on $name: $written files written, expected 2"
done

# --- run --json: usernames and emails whole ----------------------------------------
timeout 60 "$bin" run --db users.db --users 3 --requests 1 >/dev/null 2>err.txt || bad "run: $(cat err.txt)"
user=$(printf 'ü%.0s' $(seq 40))                 # 80 bytes: once cut at 31
email="$(printf '日%.0s' $(seq 30))@example.com" # 102 bytes: once cut at 47
sqlite3 users.db "UPDATE users SET username = '$user', email = '$email' WHERE id = 2;
                  UPDATE users SET username = CAST(X'61FF62' AS TEXT) WHERE id = 3;"
for strategy in naive optimized eager; do
	timeout 60 "$bin" run --json --db users.db --users 3 --requests 1 --strategy $strategy >out.json 2>err.txt
	rc=$?
	if [ $rc -ne 0 ]; then bad "run --json ($strategy): status $rc, $(cat err.txt)"; continue; fi
	utf8 out.json && ok || bad "run --json ($strategy) printed invalid UTF-8"
	jq -e --arg u "$user" --arg e "$email" '.users[1].username == $u and .users[1].email == $e' out.json >/dev/null &&
		ok || bad "run --json ($strategy) cut the long username or email: $(jq -c '.users[1]' out.json 2>/dev/null)"
	jq -e '.users[2].username == "a\ufffdb" and .users[0].username == "user_01"' out.json >/dev/null && ok ||
		bad "run --json ($strategy): a username that is not UTF-8 is not a\\ufffdb: $(jq -c '.users[2]' out.json 2>/dev/null)"
done

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
