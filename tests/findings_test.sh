#!/usr/bin/env bash
# Findings are right, or absent (issue 12, items 3-6), against the real
# binary: eager's IN (...) chunks are never N+1 at 20 to 100000 users (the
# lab's own, and another tool's batched trace), naive's loop still is; in
# the explorer a trace that ran under the old settings is not logged as news
# after a toggle and is marked "old settings" where it is shown; `report`
# lists the heaviest fingerprints first and says how many more there are;
# every compare and sweep row's parts add up to its total, no share above 1.
# Usage: findings_test.sh PATH/TO/obslab HOSTILE_DIR (tests/hostile/findings)
set -u
WAIT_SECONDS=30
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
hostile=$(realpath "$2")
work=$(mktemp -d)
sock="obslab-findings-$$"
export TMUX_TMPDIR="$work"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

# run EXPECTED_STATUS ARGS...: obslab's stdout in out.txt, stderr in err.txt
run() {
	local want=$1; shift
	"$bin" "$@" >out.txt 2>err.txt
	local status=$?
	if [ "$status" -eq "$want" ]; then ok; else bad "obslab $* exited $status, expected $want: $(head -c 400 err.txt)"; fi
}
jqok() { if jq -e "$2" "$1" >/dev/null 2>&1; then ok; else bad "$1 fails jq '$2': $(head -c 600 "$1")"; fi; }
has() { if grep -Eq -- "$2" "$1"; then ok; else bad "$1 lacks /$2/: $(head -c 600 "$1")"; fi; }
lacks() { if grep -Eq -- "$2" "$1"; then bad "$1 has /$2/: $(grep -E -- "$2" "$1" | head -3)"; else ok; fi; }

# --- item 3: eager is never N+1 ------------------------------------------------------
for users in 20 1000 10000 100000; do
	run 0 run --strategy eager --users "$users" --requests 1 --rtt-us 0 --index off --db "eager-$users.db" --report json
	jqok out.txt "[.findings[].kind] | index(\"n_plus_one\") == null"
	if [ "$users" -gt 500 ]; then
		# more than one chunk, each scanning the orders without the index: that finding stays
		jqok out.txt '[.findings[] | select(.kind == "full_scan_loop") | .index] == ["orders(user_id)"]'
	fi
done
run 0 run --strategy naive --users 1000 --requests 1 --rtt-us 0 --index off --db eager-1000.db --report json
jqok out.txt '[.findings[].kind] == ["n_plus_one", "full_scan_loop"] and .findings[0].count == 1000'
# eager's chunks over users without orders (the orders emptied): each chunk serves many parents
run 0 run --strategy eager --users 10000 --requests 1 --rtt-us 0 --db eager-empty.db
sqlite3 eager-empty.db 'delete from orders' || bad "sqlite3 could not empty the orders"
run 0 run --strategy eager --requests 2 --rtt-us 0 --report text --db eager-empty.db
lacks out.txt 'N\+1'
run 0 run --strategy naive --requests 1 --rtt-us 0 --report text --db eager-empty.db
has out.txt 'finding: N\+1'
# another tool's file: one trace batches (IN lists of 100 ids, 150 rows each), one loops
run 0 report "$hostile/otlp-batched-and-loop.json" --json
jqok out.txt '[.findings[] | [.kind, .query, .traces]] == [["n_plus_one", "SELECT * FROM comments WHERE post_id = ?", 1]]'

# --- item 5: report, heaviest first ------------------------------------------------
# 17 fingerprints of no time met first, then an N+1 of 500 ms: all of the database time
run 0 report "$hostile/report-heavy-last.json"
first=$(sed -n '/^queries/{n;n;p;q}' out.txt)
grep -q 'SELECT count(\*) FROM orders WHERE user_id = ?$' <<<"$first" && ok || bad "report's first query is not the heaviest: $first"
has out.txt '^ +10 +500\.000 ms .*SELECT count'
has out.txt '^  \.\.\. and 3 more fingerprints \(report --json lists them all\)$'
[ "$(grep -c 'light_' out.txt)" = 14 ] && ok || bad "report shows $(grep -c 'light_' out.txt) light queries, expected 14 of 17"
run 0 report "$hostile/report-heavy-last.json" --json
jqok out.txt '.fingerprints == 19 and (.queries | length) == 19'
jqok out.txt '.queries[0].query == "SELECT count(*) FROM orders WHERE user_id = ?" and .queries[0].total_ms == 500'
jqok out.txt '[.queries[].total_ms] as $t | $t == ($t | sort | reverse)'

# --- item 6: a row's parts add up to its total --------------------------------------
# in whole microseconds, as printed: db + network + app == total, share <= 1
sums='all(.[]; ((.median_db_ms + .median_network_ms + .median_app_ms) * 1000 | round) == (.median_total_ms * 1000 | round))'
shares='all(.[]; .db_share >= 0 and .db_share <= 1)'
# the share is the row's own (to the rounding of 0.0001 and of 1 us a part)
share_is='all(.[]; ((.db_share * .median_total_ms) - (.median_db_ms + .median_network_ms) | fabs) <= 0.002 + 0.0001 * .median_total_ms)'
run 0 compare --users 1000 --rtt-us 200 --requests 5 --json --db cmp.db
jqok out.txt "[.strategies[]] | $sums"
jqok out.txt "[.strategies[]] | $shares"
jqok out.txt "[.strategies[]] | $share_is"
run 0 sweep --users-list 20,100,300 --requests 3 --rtt-us 50 --json --db sweep.db
jqok out.txt "[.rows[]] | $sums"
jqok out.txt "[.rows[]] | $shares"
jqok out.txt "[.rows[]] | $share_is"
run 0 compare --users 100 --requests 3 --db cmp.db
has out.txt 'the median of 3 requests each'
has out.txt '^Each row is one request, the median by total: its parts add up to its total\.$'

# --- item 4: stale findings in the explorer ----------------------------------------
LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 200 -y 50 -s t \
	"env LC_ALL=C.UTF-8 $bin --strategy naive --users 1000 --rtt-us 0 --index off --db $work/tui.db; echo EXIT=\$?; sleep 60"
tm set-option -t t -g status off
wait_for 'WARN  finding: full scan in a loop' 60 && ok || bad "no full-scan finding before the toggle"
keys f f # as fast as possible: a request is always in flight
wait_for 'pace: as fast as possible' && ok || bad "the pace did not change"
sleep 1
keys i
wait_for 'index on orders.user_id: on' && ok || bad "i did not turn the index on"
# the request cut short by i ran without the index: nothing from it is news;
# the next one's N+1 is (and names the settings it ran under, see test_findings)
sleep 3
after=$(screen | awk '/index on orders\.user_id: on/ { on = 1; next } on')
grep -q 'finding: full scan' <<<"$after" && bad "a full-scan finding was logged after the index went on: $(grep 'finding:' <<<"$after")" || ok
grep -q 'finding: N+1, 1000 x' <<<"$after" && ok || bad "no fresh N+1 finding after the toggle"
# paused, then i: the trace shown ran with the index on, and says so
keys Space
wait_for 'capture paused' && ok || bad "Space did not pause"
keys i
wait_for 'Waterfall · trace #[0-9]+ · old settings: ran with index on · ' && ok || bad "the waterfall title does not mark the old trace"
keys g j j
wait_for 'old settings: this trace ran with index on \(naive, 1000 users, index on, RTT 0 us\)' && ok ||
	bad "the details do not mark the old trace"
keys Space # resumed: the newest trace ran under the current settings, unmarked
wait_for 'Waterfall · trace #[0-9]+ · [0-9]+ spans' && ok || bad "a fresh trace is still marked"
keys q
wait_for 'EXIT=0' && ok || bad "the explorer did not quit cleanly"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
