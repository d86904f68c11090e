#!/usr/bin/env bash
# Numbers that cannot be true, against the real binary. Every hostile
# snapshot in tests/hostile/numbers is either refused in one line that names
# the span or setting and the field (refuse-*), or reported with no figure
# below zero (accept-*), by `report` and `report --json`, with nothing on
# stderr (where a sanitizer would speak); `open` shows no negative figure
# either. Then `obslab run`: its peak memory stays flat as requests grow,
# and its figures stay right.
# Usage: numbers_test.sh PATH/TO/obslab SOURCE_DIR
set -u
bin=$(realpath "$1")
hostile=$(realpath "$2")/tests/hostile/numbers
work=$(mktemp -d)
sock="obslab-numbers-$$"
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

# A figure below zero: "-12", " -0.000", "4.-775" (a sign after the point).
negative='(^|[^0-9A-Za-z_.#/])-[0-9]|\.-[0-9]'

# What each refused file's one line must say.
declare -A says=(
	[refuse-span-to-2p63]='traces\[0\]\.spans\[0\]: end_unix_ns must be nanoseconds since 1970, a whole number from 0 to 2\^62, got "9223372036854775807"$'
	[refuse-children-to-2p63]='traces\[0\]\.spans\[0\]: end_unix_ns must be nanoseconds since 1970'
	[refuse-start-past-2p62]='traces\[0\]\.spans\[0\]: start_unix_ns must be .* 2\^62, got "4611686018427387905"$'
	[refuse-negative-start]='traces\[0\]\.spans\[0\]: start_unix_ns must be .*, got "-5"$'
	[refuse-negative-number]='traces\[0\]\.spans\[0\]: start_unix_ns must be .*, got -1000$'
	[refuse-end-before-start]='traces\[0\]\.spans\[0\]: the span ends before it starts \(start 900, end 100\)$'
	[refuse-wait-longer-than-span]='traces\[0\]\.spans\[1\]: the network wait \(4000000000 ns\) is longer than the span \(1000 ns\)$'
	[refuse-rows-overflow]='traces\[0\]\.spans\[1\]: db\.rows must be a whole number from 0 to 4294967295, got 4294967296$'
	[refuse-rows-past-2p64]='traces\[0\]\.spans\[1\]: db\.rows must be a whole number from 0 to 4294967295, got 18446744073709551621$'
	[refuse-db-not-object]='traces\[0\]\.spans\[1\]: db must be an object, got 7$'
	[refuse-settings-rtt-negative]='settings\.rtt_us must be microseconds, a whole number from 0 to 4294967295, got -1$'
	[refuse-settings-rtt-fraction]='settings\.rtt_us must be .*, got 0\.5$'
	[refuse-settings-strategy-number]='settings\.strategy must be "naive", "optimized" or "eager", got 5$'
	[refuse-settings-users-string]='settings\.users must be a count of users, .*, got "many"$'
	[refuse-settings-users-overflow]='settings\.users must be .* to 4294967295, got 4294967296$'
	[refuse-settings-index-string]='settings\.index must be true or false, got "yes"$'
	[refuse-settings-array]='settings must be an object, got \[1,2\]$'
	[refuse-trace-users-negative]='traces\[0\]\.users must be a count of users, .*, got -20$'
	[refuse-trace-strategy-unknown]='traces\[0\]\.strategy must be "naive", "optimized" or "eager", got "turbo"$'
	[refuse-dropped-negative]='dropped_spans must be a count of spans, .*, got -3$'
	[refuse-dropped-float-2p63]='dropped_spans must be a count of spans, .*, got 9223372036854775807\.0$'
	[refuse-otlp-span-to-2p63]='spans\[0\]: endTimeUnixNano must be nanoseconds since 1970, a whole number from 0 to 2\^62'
	[refuse-otlp-status-code]='spans\[0\]: status\.code must be a status \(0 unset, 1 ok, 2 error\), a whole number from 0 to 2, got 7$'
)

# --- report: refused in one line, or figures that can be true -----------------
n=0
for path in "$hostile"/*.json; do
	name=$(basename "$path" .json)
	n=$((n + 1))
	cp "$path" "h$n.json" # a neutral name: a '-' in the name is not a figure
	for mode in text json; do
		args=(report "h$n.json")
		[ $mode = json ] && args+=(--json)
		"$bin" "${args[@]}" >out.txt 2>err.txt
		status=$?
		case $name in
		refuse-*)
			if [ "$status" -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && [ ! -s out.txt ] &&
				grep -Eq -- "^obslab: h$n\\.json: .*${says[$name]:-no expectation written for this file}" err.txt; then
				ok
			else
				bad "$name ($mode): exit $status, expected 1 with one line /${says[$name]:-}/: $(head -c 600 err.txt) $(head -c 300 out.txt)"
			fi
			;;
		accept-*)
			if [ "$status" -ne 0 ] || [ -s err.txt ]; then
				bad "$name ($mode): exit $status: $(head -c 2000 err.txt)"
			elif [ $mode = text ] && tail -n +2 out.txt | grep -Eq -- "$negative"; then
				bad "$name: a negative figure: $(tail -n +2 out.txt | grep -E -- "$negative" | head -3)"
			elif [ $mode = json ] && ! jq -e '[.. | numbers | select(. < 0)] | length == 0' out.txt >/dev/null; then
				bad "$name (json): a negative figure: $(jq -c '[paths(numbers) as $p | select(getpath($p) < 0) | {($p | map(tostring) | join(".")): getpath($p)}]' out.txt)"
			else
				ok
			fi
			;;
		*) bad "$name: neither refuse- nor accept-" ;;
		esac
	done
done
[ "$n" -ge 30 ] && ok || bad "only $n hostile files in $hostile"
for name in "${!says[@]}"; do
	[ -f "$hostile/$name.json" ] && ok || bad "no file $hostile/$name.json"
done

# --- open: the explorer refuses the same files and shows no negative figure ----
tm() { tmux -L "$sock" "$@"; }
explore() { # FILE: the explorer's screen once it shows the file, then quits it
	local t="n${1%.json}"
	rm -f status.txt open-err.txt screen.txt
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 120 -y 40 -s "$t" \
		"cd $work && LC_ALL=C.UTF-8 $bin open $1 2>open-err.txt; echo \$? >status.txt; sleep 60"
	for _ in $(seq 150); do
		tm capture-pane -p -t "$t" 2>/dev/null | grep -q 'Attribution' && break
		[ -s status.txt ] && break
		sleep 0.2
	done
	sleep 0.5
	tm capture-pane -p -t "$t" >screen.txt 2>/dev/null
	tm send-keys -t "$t" q 2>/dev/null
	for _ in $(seq 100); do [ -s status.txt ] && break; sleep 0.2; done
	tm kill-session -t "$t" 2>/dev/null
}
n=0
for path in "$hostile"/accept-*.json "$hostile"/refuse-span-to-2p63.json "$hostile"/refuse-otlp-status-code.json; do
	name=$(basename "$path" .json)
	n=$((n + 1))
	cp "$path" "x$n.json"
	explore "x$n.json"
	status=$(cat status.txt 2>/dev/null)
	case $name in
	refuse-*)
		if [ "$status" = 1 ] && [ "$(wc -l <open-err.txt)" -eq 1 ] && grep -Eq -- "${says[$name]}" open-err.txt; then ok
		else bad "open $name: exit '$status', expected 1 with one line: $(head -c 400 open-err.txt)"; sed 's/^/    | /' screen.txt | head -12; fi
		;;
	*)
		if [ "$status" != 0 ] || [ -s open-err.txt ]; then
			bad "open $name: exit '$status': $(head -c 600 open-err.txt)"
		elif ! grep -q 'Attribution' screen.txt; then
			bad "open $name: the explorer never showed the file"; sed 's/^/    | /' screen.txt | head -12
		elif grep -Eq -- "$negative" screen.txt; then
			bad "open $name: a negative figure on screen:"; grep -E -- "$negative" screen.txt | sed 's/^/    | /'
		else
			ok
		fi
		;;
	esac
done

# --- run: memory flat as requests grow, figures right ---------------------------
# Each request's trace is 2003 spans; the span ring (a fixed 8 MiB) is full
# from the 66th request on, so both runs are past it. Keeping every trace,
# the longer run would hold 240 more (30 MiB and more); bounded, it holds
# the newest only.
if [ ! -x /usr/bin/time ]; then
	bad "/usr/bin/time is missing (tools/deps installs the time package)"
else
	peak() { # REQUESTS: the run's peak RSS in KiB; its report in run-REQUESTS.json
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4" /usr/bin/time -f '%M' -o "rss-$1.txt" \
			"$bin" run --users 2000 --requests "$1" --rtt-us 0 --index on --db :memory: --report json \
			>"run-$1.json" 2>"run-$1.err" || bad "run --requests $1 failed: $(head -c 600 "run-$1.err")"
		tail -1 "rss-$1.txt"
	}
	small=$(peak 80) large=$(peak 320)
	margin=8192
	echo "peak RSS: 80 requests ${small} KiB, 320 requests ${large} KiB"
	if [ -n "$small" ] && [ -n "$large" ] && [ "$large" -le $((small + margin)) ]; then ok
	else bad "peak RSS grew with the requests: ${small} KiB for 80, ${large} KiB for 320 (margin ${margin} KiB)"; fi
	for k in 80 320; do
		if jq -e --argjson k $k '.requests == $k and .queries_per_request == 2001 and .dropped_spans == 0
			and .spans == $k * 2003 and .median_total_ms > 0 and .median_db_ms >= 0
			and .median_network_ms == 0 and .median_app_ms >= 0
			and ([.findings[] | select(.kind == "n_plus_one") | .count] == [2000])' "run-$k.json" >/dev/null; then ok
		else bad "run --requests $k reported wrong figures: $(jq -c 'del(.findings)' "run-$k.json" 2>&1 | head -c 600)"; fi
		[ ! -s "run-$k.err" ] && ok || bad "run --requests $k wrote to stderr: $(head -c 600 "run-$k.err")"
	done
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
