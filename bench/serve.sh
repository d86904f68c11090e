#!/usr/bin/env bash
# bench/run's serve section: wrk against `obslab serve` (tracing on and off)
# and against the original lab's application re-created in bench/peer/app.py
# (FastAPI + SQLAlchemy + uvicorn from Debian's packages, no tracing), in one
# run on this machine: the same database file and seed, the same endpoints,
# the same connections (`wrk -t1 -c4 -d8s`, as the issue measured), at 20 and
# 1 000 users. obslab serves with --rtt-us 0: the peer's SQLite has no
# network either. Tracing on and off are two servers measured in turn,
# ROUNDS times each (medians). Then resident memory of `obslab serve
# --record` (the store full, 512 traces) under tests/load/mix.lua's mixed
# load for MEMORY_S seconds, sampled every 5 s.
# Usage: bench/serve.sh BUILD_DIR [--long] [--smoke] [--rounds N]
#   --long: 60 s of load for the memory row (default 20 s)
#   --smoke: 2 s runs, one round, 10 s for memory (to see it work, not to measure)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "$1/obslab")
shift
memory_s=20 rounds=3 secs=8
while [ $# -gt 0 ]; do
	case $1 in
	--long) memory_s=60 ;;
	--smoke) memory_s=10 rounds=1 secs=2 ;;
	--rounds) rounds=$2; shift ;;
	*) echo "bench/serve.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
command -v wrk >/dev/null || { echo "  serve: wrk is not installed (apt-get install wrk); the serve rows are missing"; exit 0; }
py=/usr/bin/python3 # Debian's, with Debian's packages (a pyenv python3 may shadow it)
peer=yes
if ! "$py" -c 'import fastapi, sqlalchemy, uvicorn' 2>/dev/null; then
	echo "  peer: the FastAPI app needs Debian's python3-fastapi python3-sqlalchemy uvicorn"
	echo "        (apt-get install python3-fastapi python3-sqlalchemy uvicorn); its rows are missing"
	peer=
fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# start_obslab NAME ARGS...: obslab serve in the background; sets port.
start_obslab() {
	local name=$1; shift
	"$bin" serve "$@" 2>"$work/$name.err" &
	pids+=($!)
	eval "pid_$name=$!"
	for _ in $(seq 1 600); do
		port=$(sed -n 's|^obslab: serving http://.*:\([0-9]*\)/ .*|\1|p' "$work/$name.err")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "  serve: obslab serve did not start: $(cat "$work/$name.err")" >&2
	exit 1
}
start_peer() {
	local name=$1 db=$2
	"$py" "$root/bench/peer/app.py" "$db" 2>"$work/$name.err" &
	pids+=($!)
	eval "pid_$name=$!"
	for _ in $(seq 1 600); do
		port=$(sed -n 's|^peer: serving http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$work/$name.err")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "  peer: the FastAPI app did not start: $(cat "$work/$name.err")" >&2
	exit 1
}
stop() { # stop NAME
	local p
	p=$(eval "echo \$pid_$1")
	kill -TERM "$p"
	wait "$p" || true
}

# measure PORT PATH: one wrk run; prints "REQ_PER_S P99_MS".
measure() {
	local out
	wrk -t1 -c4 -d1s --timeout 30s "http://127.0.0.1:$1$2" >/dev/null 2>&1 || true # warm up
	out=$(wrk -t1 -c4 -d"${secs}s" --timeout 30s --latency "http://127.0.0.1:$1$2" 2>&1) || true
	if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
		echo "  serve: errors from http://127.0.0.1:$1$2: $(grep 'Non-2xx\|Socket errors' <<<"$out")" >&2
	fi
	awk '/^Requests\/sec:/ { rps = $2 }
	     $1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
	                   ms = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : (u == "m") ? v * 60000 : v }
	     END { printf "%.1f %.2f\n", rps + 0, ms + 0 }' <<<"$out"
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

declare -A rps p99
for users in 20 1000; do
	"$bin" run --db "$work/lab$users.db" --users "$users" --rtt-us 0 --requests 1 >/dev/null 2>&1
	cp "$work/lab$users.db" "$work/on$users.db"
	cp "$work/lab$users.db" "$work/off$users.db"
	if [ -n "$peer" ]; then
		start_peer peer "$work/lab$users.db"
		for ep in naive optimized; do
			path=/users/analytics; [ $ep = optimized ] && path=/users/analytics/optimized
			read -r r l < <(measure "$port" "$path")
			rps[peer,$ep,$users]=$r p99[peer,$ep,$users]=$l
		done
		stop peer
	fi
	start_obslab on --db "$work/on$users.db" --listen 127.0.0.1:0 --users "$users" --rtt-us 0 --trace on
	port_on=$port
	start_obslab off --db "$work/off$users.db" --listen 127.0.0.1:0 --users "$users" --rtt-us 0 --trace off
	port_off=$port
	for ep in naive optimized; do
		path=/users/analytics; [ $ep = optimized ] && path=/users/analytics/optimized
		: >"$work/on.r" ; : >"$work/off.r"; : >"$work/on.l"; : >"$work/off.l"
		for _ in $(seq 1 "$rounds"); do
			for mode in on off; do
				p=$port_on; [ $mode = off ] && p=$port_off
				read -r r l < <(measure "$p" "$path")
				echo "$r" >>"$work/$mode.r"
				echo "$l" >>"$work/$mode.l"
			done
		done
		for mode in on off; do
			rps[$mode,$ep,$users]=$(median <"$work/$mode.r")
			p99[$mode,$ep,$users]=$(median <"$work/$mode.l")
		done
	done
	stop on
	stop off
done

row() { # row LABEL FIGURE UNIT REFERENCE RATIO TARGET MET
	printf '| %-44s | %10s %-4s | %-34s | %6s | %-18s | %-6s |\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7"
}
verdict() { if awk "BEGIN { exit !($1) }"; then echo "target met"; else echo MISSED; fi; }
if [ -n "$peer" ]; then
	on=${rps[on,optimized,20]} pr=${rps[peer,optimized,20]}
	x=$(awk -v a="$on" -v b="$pr" 'BEGIN { printf "%.1f", a / b }')
	row "15a. serve: optimized, 20 users, trace on" "$on" "r/s" "FastAPI peer: $pr r/s" "$x" ">= 30x the peer" \
		"$(verdict "$x >= 30")"
	on=${rps[on,naive,20]} pr=${rps[peer,naive,20]}
	x=$(awk -v a="$on" -v b="$pr" 'BEGIN { printf "%.1f", a / b }')
	row "15b. serve: naive, 20 users, trace on" "$on" "r/s" "FastAPI peer: $pr r/s" "$x" "(for scale)" ""
fi
for ep in optimized naive; do
	for users in 20 1000; do
		on=${rps[on,$ep,$users]} off=${rps[off,$ep,$users]}
		pct=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", (1 - a / b) * 100 }')
		ratio=$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')
		row "15c. trace on vs off: $ep, $users users" "$pct" "%" "off: $off r/s, on: $on r/s" "$ratio" \
			"<= 3 % fewer r/s" "$(verdict "$pct <= 3")"
	done
done

echo
echo "  wrk -t1 -c4 -d${secs}s --latency (after 1 s of warm-up), obslab serve --rtt-us 0 with tracing"
echo "  on and off as two servers measured in turn, $rounds rounds each (medians), the peer once:"
echo
printf '  | %-9s | %5s | %20s | %20s | %20s | %8s |\n' endpoint users "obslab, trace on" "obslab, trace off" "FastAPI peer" "on/peer"
printf '  | %-9s | %5s | %20s | %20s | %20s | %8s |\n' "" "" "r/s    p99 ms" "r/s    p99 ms" "r/s    p99 ms" ""
printf '  |%s|%s|%s|%s|%s|%s|\n' ----------- ------- ---------------------- ---------------------- ---------------------- ----------
for ep in naive optimized; do
	for users in 20 1000; do
		pr=- pl=- x=-
		if [ -n "$peer" ]; then
			pr=${rps[peer,$ep,$users]} pl=${p99[peer,$ep,$users]}
			x=$(awk -v a="${rps[on,$ep,$users]}" -v b="$pr" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else printf "-" }')
		fi
		printf '  | %-9s | %5s | %10s %9s | %10s %9s | %10s %9s | %8s |\n' "$ep" "$users" \
			"${rps[on,$ep,$users]}" "${p99[on,$ep,$users]}" "${rps[off,$ep,$users]}" "${p99[off,$ep,$users]}" \
			"$pr" "$pl" "$x"
	done
done
echo

# --- resident memory under a steady mixed load ---------------------------------------
cp "$work/lab1000.db" "$work/mem.db"
start_obslab mem --db "$work/mem.db" --listen 127.0.0.1:0 --users 1000 --rtt-us 0 --trace on --record "$work/mem.json"
pm=$pid_mem
wrk -t1 -c4 -d"${memory_s}s" --timeout 30s -s "$root/tests/load/mix.lua" "http://127.0.0.1:$port/" >"$work/mem.wrk" 2>&1 &
wpid=$!
samples=()
for _ in $(seq 1 $((memory_s / 5))); do
	sleep 5
	samples+=("$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pm/status")")
done
wait "$wpid" || true
stop mem
n=${#samples[@]}
first=${samples[0]} quarter=${samples[$((n / 4))]} last=${samples[$((n - 1))]}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ratio=$(awk -v a="$last" -v b="$quarter" 'BEGIN { printf "%.3f", a / b }')
row "15d. serve: resident memory, ${memory_s} s load" "$(mib "$last")" "MiB" \
	"at $(((n / 4 + 1) * 5)) s: $(mib "$quarter") MiB; at 5 s $(mib "$first")" "$ratio" "flat (<= 1.05)" \
	"$(verdict "$ratio <= 1.05")"
echo "  obslab serve --users 1000 --rtt-us 0 --record (512 traces kept), wrk -t1 -c4 -d${memory_s}s with"
echo "  tests/load/mix.lua ($(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$work/mem.wrk") requests); RSS every 5 s, KiB: ${samples[*]}"
