#!/usr/bin/env bash
# Databases against the real binary: what is not obslab's is refused and left
# exactly as it was (bytes, and the directory around it), in every form --db
# can take; another program's lock is waited out, headless and in the
# explorer (tmux); and no launch that does not run touches the disk. One
# obslab drives a database at a time (a second is refused with the pid of
# the first), --watch watches it read-only alongside, and what another
# process changes shows in the status bar and the traces.
# The hostile databases are made here with the sqlite3 shell.
# Usage: db_test.sh PATH/TO/obslab
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
work=$(mktemp -d)
sock="obslab-db-$$"
holders=()
cleanup() {
	for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null; done
	tmux -L "$sock" kill-server 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1


# What a directory holds: every entry's name, type, size, mode, mtime, and
# the checksum of every regular file.
state() {
	(cd "$1" && find . -mindepth 1 -maxdepth 1 -printf '%f %y %s %m %T@\n' | sort &&
		find . -mindepth 1 -maxdepth 1 -type f -exec sha256sum {} + | sort)
}

# refused DIR WANT_REGEX ARGS...: obslab ARGS exits 1 within 20 s with one
# line matching WANT_REGEX, and DIR is as it was.
refused() {
	local dir=$1 want=$2; shift 2
	local before after
	before=$(state "$dir")
	timeout 20 "$bin" "$@" >"$work/out.txt" 2>"$work/err.txt" </dev/null
	local status=$?
	after=$(state "$dir")
	[ $status = 1 ] && ok || bad "obslab $* exited $status, expected 1: $(head -c 300 "$work/err.txt")"
	grep -Eq -- "$want" "$work/err.txt" && ok || bad "obslab $* said '$(head -c 300 "$work/err.txt")', not /$want/"
	[ "$(wc -l <"$work/err.txt")" = 1 ] && ok || bad "obslab $* printed $(wc -l <"$work/err.txt") lines on stderr"
	[ "$before" = "$after" ] && ok || bad "obslab $* changed $dir: $(diff <(echo "$before") <(echo "$after") | head -5)"
}

# --- another program's database, in every form of its path ------------------
mkdir shop && cd shop || exit 1
sqlite3 shop.db "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);
                 INSERT INTO customers(name) VALUES ('alice'), ('bob');"
cp shop.db "$work/shop.orig"
ln -s shop.db link.db
shop=$PWD/shop.db
# Each form on a fresh copy, so one that went through cannot hide the next.
fresh() { cp "$work/shop.orig" shop.db; }
for arg in file:shop.db "file:shop.db?mode=rwc" "file:./shop.db?cache=shared&psow=1" "file:$shop" \
	"file://localhost$shop?mode=rw" "file:shop.db#top" file:link.db link.db ./shop.db "$shop"; do
	fresh
	refused . 'did not create; it was left untouched' run --db "$arg" --requests 1
done
fresh
refused . 'did not create' export --db file:shop.db --format native -o out.snap --requests 1
fresh
refused . 'did not create' compare --db file:shop.db --requests 1
fresh
refused . 'VFS' run --db "file:shop.db?vfs=unix-none" --requests 1
fresh
refused . 'VFS' run --db "file:shop.db?v%66s=unix-dotfile" --requests 1
[ "$(sqlite3 shop.db 'SELECT group_concat(name) FROM customers')" = alice,bob ] && ok ||
	bad "the customers are gone"
cd "$work" || exit 1

# --- databases with nothing of obslab's, or stamped by someone else ---------
mkdir others && cd others || exit 1
sqlite3 view.db "CREATE VIEW answer AS SELECT 42 AS value;"
sqlite3 trigger.db "CREATE VIEW v AS SELECT 1 AS a; CREATE TRIGGER t INSTEAD OF INSERT ON v BEGIN SELECT 1; END;"
sqlite3 index.db "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX by_name ON users(name);"
sqlite3 app.db "PRAGMA application_id = 42;"
sqlite3 version.db "PRAGMA user_version = 7;"
sqlite3 wal.db "PRAGMA journal_mode = WAL; CREATE TABLE t(a); INSERT INTO t VALUES (1);" >/dev/null
for db in view trigger index; do refused . 'did not create' run --db $db.db --requests 1; done
refused . 'another program stamped \(application_id 42' run --db app.db --requests 1
refused . 'another program stamped .*user_version 7' run --db file:version.db --requests 1
refused . 'WAL mode' run --db wal.db --requests 1
[ ! -e wal.db-wal ] && [ ! -e wal.db-shm ] && ok || bad "the WAL database got a -wal or -shm file"
cd "$work" || exit 1

# --- what is not a regular file ---------------------------------------------
mkdir special && cd special || exit 1
mkfifo pipe.db
mkdir dir.db
refused . 'is a FIFO' run --db pipe.db --requests 1
refused . 'is a FIFO' run --db file:pipe.db --requests 1
refused . 'is a directory' run --db dir.db --requests 1
debris=()
for dev in /dev/null /dev/zero; do
	for side in -journal -wal -shm; do [ -e "$dev$side" ] || debris+=("$dev$side"); done
done
refused . 'is a character device' run --db /dev/null --requests 1
refused . 'is a character device' run --db file:/dev/zero --requests 1
for f in "${debris[@]}"; do
	if [ -e "$f" ]; then bad "obslab left $f"; [ -f "$f" ] && rm -f "$f"; else ok; fi
done
[ -c /dev/null ] && ok || bad "/dev/null is no longer a character device"
cd "$work" || exit 1

# --- what is obslab's --------------------------------------------------------
mkdir own && cd own || exit 1
: >empty.db
"$bin" run --db empty.db --requests 1 >/dev/null 2>"$work/err.txt" && ok || bad "a 0-byte file was refused: $(cat "$work/err.txt")"
"$bin" run --db file:new.db?cache=private --requests 1 >/dev/null 2>"$work/err.txt" && ok ||
	bad "a new path given as a URI was refused: $(cat "$work/err.txt")"
[ "$(sqlite3 new.db 'PRAGMA application_id')" = 1868723052 ] && ok || bad "a new database lacks obslab's application_id"
before=$(sha256sum new.db)
"$bin" run --db new.db --requests 1 >/dev/null 2>"$work/err.txt" && ok || bad "obslab refused its own database: $(cat "$work/err.txt")"
[ "$(sha256sum new.db)" = "$before" ] && ok || bad "running again on the same settings changed the database"
# obslab's own database, left with a hot journal by a writer that died.
mkfifo feed
sqlite3 new.db <feed >/dev/null 2>&1 &
writer=$!
exec 3>feed
echo "PRAGMA cache_size = 1; BEGIN; DELETE FROM orders; UPDATE users SET email = 'x' || email;" >&3
for _ in $(seq 50); do [ -s new.db-journal ] && break; sleep 0.1; done
sleep 0.3
kill -9 $writer 2>/dev/null
wait $writer 2>/dev/null
exec 3>&-
[ -e new.db-journal ] && ok || bad "no hot journal was left to test with"
"$bin" run --db new.db --requests 1 >/dev/null 2>"$work/err.txt" && ok ||
	bad "obslab refused its own database after a crash: $(cat "$work/err.txt")"
[ "$(sqlite3 new.db "SELECT count(*) FROM users WHERE email LIKE 'user%'")" = 20 ] && ok ||
	bad "the crashed transaction was not rolled back"
cd "$work" || exit 1

# --- another program's lock, headless -----------------------------------------
mkdir locks && cd locks || exit 1
"$bin" run --db lab.db --requests 1 >/dev/null 2>&1
# hold DB SECONDS DELAY: the sqlite3 shell holds an exclusive lock on DB for
# SECONDS, DELAY seconds from now; with no delay, returns once it holds it.
hold() {
	rm -f "$work/hold.out"
	( sleep "$3"; printf '.timeout 10000\nBEGIN EXCLUSIVE;\nSELECT 1;\n'; sleep "$2"; echo 'COMMIT;' ) |
		sqlite3 "$1" >"$work/hold.out" 2>&1 &
	holders+=($!)
	if [ "$3" = 0 ]; then
		for _ in $(seq 100); do [ -s "$work/hold.out" ] && break; sleep 0.05; done
		grep -qx 1 "$work/hold.out" || bad "the sqlite3 shell did not take the lock: $(cat "$work/hold.out")"
	fi
}
hold lab.db 3 0
start=$SECONDS
"$bin" run --db lab.db --requests 3 >"$work/out.txt" 2>"$work/err.txt"
status=$?
[ $status = 0 ] && ok || bad "run on a locked database exited $status: $(cat "$work/err.txt")"
grep -q 'locked by another connection; waiting up to 30 s' "$work/err.txt" && ok || bad "run did not say it was waiting: $(cat "$work/err.txt")"
[ $((SECONDS - start)) -ge 2 ] && ok || bad "run did not wait for the lock"
grep -q 'median request' "$work/out.txt" && ok || bad "run printed no report after the wait"
wait
# The lock taken while it runs: it waits, says so, and finishes.
hold lab.db 3 1
"$bin" run --db lab.db --requests 1500 --log-file log.jsonl >"$work/out.txt" 2>"$work/err.txt"
status=$?
[ $status = 0 ] && ok || bad "a lock in the middle of a run made it exit $status: $(cat "$work/err.txt")"
grep -q 'waiting' "$work/err.txt" && grep -q 'resuming' "$work/err.txt" && ok || bad "run did not say it waited and resumed: $(cat "$work/err.txt")"
grep -q '"message":"database locked by another connection; waiting"' log.jsonl && ok || bad "the log has no wait"
grep -q '"message":"database lock released; resumed","waited_ms":[0-9]' log.jsonl && ok || bad "the log has no resume"
grep -q '1500 requests' "$work/out.txt" && ok || bad "run did not finish its requests: $(head -2 "$work/out.txt")"
wait
# A lock held longer than --lock-wait: one clear line, exit 1.
hold lab.db 4 0
before=$(sha256sum lab.db)
start=$SECONDS
"$bin" run --db lab.db --requests 3 --lock-wait 1 >"$work/out.txt" 2>"$work/err.txt"
status=$?
[ $status = 1 ] && ok || bad "run exited $status after giving up, expected 1"
grep -q '^obslab: gave up after 1 s waiting for another connection.s lock on lab.db$' "$work/err.txt" && ok ||
	bad "no clear line after giving up: $(cat "$work/err.txt")"
[ $((SECONDS - start)) -le 3 ] && ok || bad "run took $((SECONDS - start)) s to give up after 1 s"
[ "$(sha256sum lab.db)" = "$before" ] && ok || bad "giving up changed the database"
wait
"$bin" run --db lab.db --lock-wait 0 >"$work/out.txt" 2>"$work/err.txt"
[ $? = 2 ] && ok || bad "--lock-wait 0 was accepted"
cd "$work" || exit 1

# --- no launch that does not run touches the disk -----------------------------
mkdir launch && cd launch || exit 1
sqlite3 kept.db "CREATE TABLE t(a);"
before=$(state .)
"$bin" --db fresh.db </dev/null >"$work/out.txt" 2>"$work/err.txt"
[ $? = 2 ] && ok || bad "the explorer without a terminal did not exit 2"
grep -q 'needs a terminal' "$work/err.txt" && ok || bad "no 'needs a terminal': $(cat "$work/err.txt")"
"$bin" --db kept.db </dev/null >/dev/null 2>&1
"$bin" </dev/null >/dev/null 2>&1 # the default database
for args in "--help" "help run" "--version" "run --bogus" "run --users 0 --db fresh.db" "compare --requests 0" \
	"export --format bogus -o x" "--frames 0 --db fresh.db" "run --json --report json"; do
	# shellcheck disable=SC2086
	"$bin" $args </dev/null >/dev/null 2>&1
done
[ "$(state .)" = "$before" ] && ok || bad "a launch that did not run changed the directory: $(ls)"
cd "$work" || exit 1

# --- the explorer: its terminal first, then the lock waited out, in tmux ----------
expect() { if wait_for "$1" "${2:-15}"; then ok; else bad "screen never showed /$1/"; screen | sed 's/^/    | /'; fi; }
LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 120 -y 40 -s t \
	"env LC_ALL=C.UTF-8 PS1='obslab-test\$ ' HOME=$work HISTFILE= bash --norc --noprofile"
tm set-option -t t -g status off
wait_for 'obslab-test\$' 10 || bad "no shell prompt"
mkdir tui && keys "cd $work/tui" Enter

# A terminal too limited to draw, or unknown: one line, exit 2, nothing created.
keys "clear; TERM=dumb $bin --db dumb.db --frames 3; echo EXIT=\$? \\#1" Enter
expect '^EXIT=2 #1$'
expect "terminal type 'dumb' cannot place the cursor"
keys "clear; TERM=no-such-terminal $bin --db dumb.db --frames 3; echo EXIT=\$? \\#2" Enter
expect '^EXIT=2 #2$'
expect "cannot use the terminal type 'no-such-terminal'"
[ -z "$(ls tui)" ] && ok || bad "a refused terminal left: $(ls tui)"

# Locked for 3 s while it runs: it shows the wait, logs it, and resumes by itself.
keys "clear; $bin --db $work/tui/ui.db; echo EXIT=\$? \\#3" Enter
expect 'GET /users/analytics'
expect 'req/s'
hold tui/ui.db 3 0
expect 'waiting: database locked \([0-9]+ s\)' 5
expect 'database locked by another con' 5
keys o # a key during the wait applies once the lock goes
expect 'database lock released; resume' 10
expect 'Waterfall · trace #[0-9]+ · [0-9]+ spans · 1 query' 10
wait_for 'waiting: database locked' 1 && bad "the status bar still shows the wait" || ok
screen | grep -q 'stopped: error' && bad "the explorer stopped on the lock" || ok
# Locked again, and quit during the wait: it ends at once.
hold tui/ui.db 5 0
expect 'waiting: database locked' 5
keys q
expect '^EXIT=0 #3$' 3
wait

# --- one driver at a time; watching alongside; the database as it is ----------
# The issue's scenario: an explorer drives t.db at 1000 users with the index;
# another process's `run --users 100` used to reseed it under the explorer's
# feet. Now it is refused, naming the explorer's pid, and t.db is untouched.
mkdir "$work/drive"
keys "clear; cd $work/drive; $bin --users 1000 --index on --rtt-us 0 --db t.db; echo EXIT=\$? \\#4" Enter
expect '1,000 users .* index on' 30
expect 'trace #[0-9]+ .* 1001 queries' 15
cd "$work/drive" || exit 1
before=$(sha256sum t.db)
timeout 20 "$bin" run --users 100 --requests 1 --db t.db >"$work/out.txt" 2>"$work/err.txt"
status=$?
[ $status = 1 ] && ok || bad "a second driver exited $status, expected 1: $(cat "$work/err.txt")"
grep -Eq '^obslab: t\.db is driven by obslab \(pid [0-9]+\); use --watch to watch it read-only$' "$work/err.txt" && ok ||
	bad "a second driver said '$(cat "$work/err.txt")'"
[ "$(wc -l <"$work/err.txt")" = 1 ] && ok || bad "a second driver printed $(wc -l <"$work/err.txt") lines"
holder=$(sed -nE 's/.*\(pid ([0-9]+)\).*/\1/p' "$work/err.txt")
[ -n "$holder" ] && tr '\0' ' ' <"/proc/$holder/cmdline" | grep -q -- '--db t.db' && ok ||
	bad "pid '$holder' is not the explorer driving t.db"
[ "$(sha256sum t.db)" = "$before" ] && ok || bad "a refused second driver changed t.db"
refused . 'is driven by obslab \(pid [0-9]+\)' compare --db t.db --requests 1
refused . 'is driven by obslab \(pid [0-9]+\)' export --db t.db --requests 1 -o x.json
refused . 'is driven by obslab \(pid [0-9]+\)' sweep --db t.db --users-list 20 --requests 1
# A second explorer, in a window of its own.
tm new-window -d -t t -n second "cd $work/drive && $bin --db t.db 2>$work/second.err; echo \$? >$work/second.exit"
for _ in $(seq 100); do [ -s "$work/second.exit" ] && break; sleep 0.1; done
[ "$(cat "$work/second.exit" 2>/dev/null)" = 1 ] && grep -q 'is driven by obslab (pid' "$work/second.err" && ok ||
	bad "a second explorer: status '$(cat "$work/second.exit" 2>/dev/null)', '$(cat "$work/second.err")'"
expect ' 1,000 users .* index on' 5
expect 'trace #[0-9]+ .* 1001 queries' 5

# Watching alongside: read-only, the database as the driver has it, here in
# WAL mode as a served lab is (obslab serve's readers put it there; the
# sqlite3 shell does it the same way while the explorer drives).
walmode() { od -An -tu1 -j18 -N1 "$1" | tr -d ' '; }
[ "$(walmode t.db)" = 1 ] && [ ! -e t.db-wal ] && ok || bad "a lab without readers is not in rollback mode"
[ "$(sqlite3 -cmd '.timeout 20000' t.db 'PRAGMA journal_mode = WAL')" = wal ] && ok || bad "sqlite3 could not set WAL mode"
for _ in $(seq 100); do [ -e t.db-wal ] && break; sleep 0.1; done # made by the explorer's next request
[ "$(walmode t.db)" = 2 ] && [ -e t.db-wal ] && [ -e t.db-shm ] && ok ||
	bad "the driven t.db is not in WAL mode (read version '$(walmode t.db)')"
before=$(sha256sum t.db)
timeout 30 "$bin" run --watch --db t.db --requests 2 --report json >"$work/out.txt" 2>"$work/err.txt"
status=$?
[ $status = 0 ] && ok || bad "run --watch beside a driver exited $status: $(cat "$work/err.txt")"
grep -Eq '"users":[[:space:]]*1000' "$work/out.txt" && grep -Eq '"index":[[:space:]]*"on"' "$work/out.txt" && ok ||
	bad "run --watch did not report the database's 1000 users and index: $(head -c 300 "$work/out.txt")"
[ "$(sha256sum t.db)" = "$before" ] && ok || bad "run --watch changed t.db"
wscreen() { tm capture-pane -p -t t:watch 2>/dev/null; }
wexpect() {
	local deadline=$((SECONDS + ${2:-15}))
	while [ $SECONDS -lt $deadline ]; do wscreen | grep -Eq -- "$1" && { ok; return; }; sleep 0.2; done
	bad "the watching explorer never showed /$1/"; wscreen | sed 's/^/    | /'
}
tm new-window -d -t t -n watch "cd $work/drive && $bin --watch --db t.db 2>$work/watch.err; echo \$? >$work/watch.exit"
wexpect 'obslab \(watching\) .* 1,000 users .* index on'
wexpect 'trace #[0-9]+ .* 1001 queries'
tm send-keys -t t:watch +
wexpect 'watching read-only: \+ and - would reseed the database'
tm send-keys -t t:watch i
wexpect 'watching read-only: i would create or drop its index'
tm send-keys -t t:watch c
wexpect 'watching read-only: c and s would reseed'
sleep 1
[ "$(sha256sum t.db)" = "$before" ] && ok || bad "the watching explorer changed t.db"
# The driver drops its index: the watcher notices (data_version) and says so.
keys i
expect ' 1,000 users .* index off' 10
wexpect ' 1,000 users .* index off' 10
wexpect 'obslab.index = false' 10
tm send-keys -t t:watch q
for _ in $(seq 50); do [ -s "$work/watch.exit" ] && break; sleep 0.1; done
[ "$(cat "$work/watch.exit" 2>/dev/null)" = 0 ] && ok || bad "the watcher exited '$(cat "$work/watch.exit" 2>/dev/null)': $(cat "$work/watch.err")"

# A plain sqlite3 process changes the database under the driver: the status
# bar and the next traces show the database as it is, not the settings.
sqlite3 -cmd '.timeout 20000' t.db "DELETE FROM orders WHERE user_id > 100; DELETE FROM users WHERE id > 100;" ||
	bad "sqlite3 could not delete users"
expect ' 100 users .* index off' 10
expect 'obslab.users = 100$|obslab.users = 100 ' 10
expect 'trace #[0-9]+ .* 101 queries' 10
expect 'database changed by another c' 5
sqlite3 -cmd '.timeout 20000' t.db "CREATE INDEX idx_orders_user_id ON orders(user_id);" || bad "sqlite3 could not index"
expect ' 100 users .* index on' 10
expect 'obslab.index = true' 10
# An index on orders(user_id) under another name is the index: the status
# and the traces say so, `i` does not drop it (not obslab's) and says why.
sqlite3 -cmd '.timeout 20000' t.db "DROP INDEX idx_orders_user_id;" || bad "sqlite3 could not drop the index"
expect ' 100 users .* index off' 10
sqlite3 -cmd '.timeout 20000' t.db "CREATE INDEX idx_o ON orders(user_id);" || bad "sqlite3 could not index"
expect ' 100 users .* index on' 10
expect 'obslab.index = true' 10
keys i
expect 'another index serves orders' 10
sleep 1
expect ' 100 users .* index on' 2
indexes() { sqlite3 -cmd '.timeout 20000' t.db "SELECT group_concat(name) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'"; }
[ "$(indexes)" = idx_o ] && ok || bad "after i, orders has the indexes '$(indexes)', not idx_o alone"
keys q
expect '^EXIT=0 #4$' 5
# A clean exit leaves the file as it always was at rest: rollback mode, no -wal or -shm.
[ "$(walmode t.db)" = 1 ] && [ ! -e t.db-wal ] && [ ! -e t.db-shm ] && ok ||
	bad "after a clean exit t.db has read version '$(walmode t.db)', $(ls t.db-* 2>/dev/null | tr '\n' ' ')"
# Headless: --index on where one serves adds none; --index off leaves it,
# reports the index on as it ran, and logs why.
"$bin" run --db t.db --index on --requests 1 >"$work/out.txt" 2>"$work/err.txt" ||
	bad "run --index on beside idx_o failed: $(cat "$work/err.txt")"
[ "$(indexes)" = idx_o ] && ok || bad "run --index on beside idx_o left the indexes '$(indexes)'"
"$bin" run --db t.db --index off --requests 1 --log-file "$work/log.json" >"$work/out.txt" 2>"$work/err.txt" ||
	bad "run --index off beside idx_o failed: $(cat "$work/err.txt")"
[ "$(indexes)" = idx_o ] && ok || bad "run --index off dropped idx_o: '$(indexes)'"
grep -q 'RTT 200 us (simulated), index on$' "$work/out.txt" && ok ||
	bad "run --index off beside idx_o said: $(head -1 "$work/out.txt")"
grep -q '"message":"another index serves orders.user_id.*"index":"idx_o"' "$work/log.json" && ok ||
	bad "run --index off beside idx_o logged: $(cat "$work/log.json")"
sqlite3 -cmd '.timeout 20000' t.db "DROP INDEX idx_o; CREATE INDEX idx_orders_user_id ON orders(user_id);" ||
	bad "sqlite3 could not put the index back"
# Without --users, a lab keeps the size another run gave it.
before=$(sha256sum t.db)
"$bin" run --db t.db --requests 1 >"$work/out.txt" 2>"$work/err.txt" && ok || bad "run on t.db failed: $(cat "$work/err.txt")"
grep -q 'naive strategy: 100 users, 1 request, RTT 200 us (simulated), index on' "$work/out.txt" && ok ||
	bad "run without --users or --index did not keep the database's: $(head -1 "$work/out.txt")"
[ "$(sha256sum t.db)" = "$before" ] && ok || bad "run without --users reseeded t.db"
cd "$work" || exit 1

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
