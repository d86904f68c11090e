#!/usr/bin/env bash
# bench/run's otlp section: `obslab receive` under load. bench/otlp_load
# posts one pre-encoded ExportTraceServiceRequest (bench/otlp_body: 512
# spans of 10 attributes in 16 traces, two services; protobuf or OTLP/JSON)
# over CONNS keep-alive loopback connections for SECS seconds, each request
# with fresh trace ids. Figures, from receive's own summary line and /proc:
# spans/s accepted (answered 200) over the load, spans/s taken into the
# store by the intake (every accepted span, over the load plus the time the
# stop took to take what was still queued), requests refused busy (429), CPU per span (the receiver's user + system time over
# the spans), resident memory sampled every second (first, peak, last).
# Reference in the same run: the same load against `obslab serve`, whose
# POST /v1/traces reads the body and answers 404 (the HTTP cost alone on
# the same libmicrohttpd daemon settings), as spans/s it would carry.
# Usage: bench/receive.sh BUILD_DIR [--long] [--smoke]
#   --long: 60 s a run (the memory-flat check); default 10 s; --smoke: 2 s
set -euo pipefail
build=$(realpath "$1")
shift
secs=10 conns=4
for a in "$@"; do
	case $a in
	--long) secs=60 ;;
	--smoke) secs=2 ;;
	*) echo "bench/receive.sh: unknown option $a" >&2; exit 2 ;;
	esac
done
bin=$build/obslab gen=$build/bench/obslab-otlp-body load=$build/bench/obslab-otlp-load
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# wait_port FILE PATTERN: the port the server printed
wait_port() {
	for _ in $(seq 1 600); do
		p=$(sed -n "$2" "$1")
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.1
	done
	echo "bench/receive.sh: the server did not start: $(cat "$1")" >&2
	exit 1
}

# measure NAME PID PORT PATH BODY ENC: runs the load, sampling the server;
# sets cpu_s, rss_first, rss_peak, rss_last, load_line
measure() {
	local pid=$2 port=$3
	local t0; t0=$(cpu_ticks "$pid")
	"$load" "$port" "$4" "$5" "$6" "$conns" "$secs" >"$work/$1.load" &
	local lp=$!
	rss_first= rss_peak=0 rss_last=
	while kill -0 "$lp" 2>/dev/null; do
		sleep 1
		r=$(rss_kb "$pid")
		[ -z "$rss_first" ] && rss_first=$r
		[ "$r" -gt "$rss_peak" ] && rss_peak=$r
		rss_last=$r
	done
	wait "$lp"
	cpu_s=$(awk -v a="$t0" -v b="$(cpu_ticks "$pid")" -v hz="$hz" 'BEGIN { printf "%.2f", (b - a) / hz }')
	load_line=$(cat "$work/$1.load")
}
field() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }' <<<"$load_line"; }

"$gen" --format protobuf --spans 512 --traces 16 --attrs 10 >"$work/body.pb"
"$gen" --format json --spans 512 --traces 16 --attrs 10 >"$work/body.json"
echo
echo "obslab receive: $conns keep-alive connections posting 512-span batches (10 attributes a span), ${secs} s a run"
echo "  bodies: protobuf $(wc -c <"$work/body.pb") bytes, OTLP/JSON $(wc -c <"$work/body.json") bytes (obslab's own encoder)"
printf '| %-10s | %16s | %14s | %10s | %14s | %-30s | %22s |\n' encoding "spans/s accepted" "spans/s taken" "busy (429)" "CPU per span" "RSS first / peak / last (kB)" "HTTP alone (serve 404)"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ------------ ------------------ ---------------- ------------ ---------------- -------------------------------- ------------------------

"$bin" serve --db "$work/lab.db" --listen 127.0.0.1:0 --rtt-us 0 2>"$work/serve.err" &
spid=$!
pids+=("$spid")
sport=$(wait_port "$work/serve.err" 's|^obslab: serving http://.*:\([0-9]*\)/ .*|\1|p')

for enc in protobuf json; do
	body=$work/body.pb
	[ "$enc" = json ] && body=$work/body.json
	# the reference: serve reads the body and answers 404
	measure ref-$enc "$spid" "$sport" /v1/traces "$body" "$enc"
	ref=$(awk -v n="$(field requests)" -v s="$(field seconds)" 'BEGIN { printf "%.0f", n * 512 / s }')
	"$bin" receive --listen 127.0.0.1:0 2>"$work/rx-$enc.err" &
	rpid=$!
	pids+=("$rpid")
	rport=$(wait_port "$work/rx-$enc.err" 's|^obslab: receiving OTLP on http://.*:\([0-9]*\)/v1/traces; Ctrl-C stops$|\1|p')
	t0=$(date +%s.%N)
	measure rx-$enc "$rpid" "$rport" /v1/traces "$body" "$enc"
	kill -INT "$rpid"
	wait "$rpid" || true
	t1=$(date +%s.%N)
	summary=$(grep '^obslab: received ' "$work/rx-$enc.err")
	spans=$(sed -n 's/.*requests*, \([0-9]*\) spans* in.*/\1/p' <<<"$summary")
	s=$(field seconds)
	printf '| %-10s | %16.0f | %14.0f | %10s | %11.2f µs | %8s / %8s / %8s | %16s spans/s |\n' "$enc" \
		"$(awk -v a="$spans" -v s="$s" 'BEGIN { print a / s }')" "$(awk -v a="$spans" -v s="$t0" -v e="$t1" 'BEGIN { print a / (e - s) }')" \
		"$(field busy)" "$(awk -v c="$cpu_s" -v n="$spans" 'BEGIN { print n ? c * 1e6 / n : 0 }')" \
		"$rss_first" "$rss_peak" "$rss_last" "$ref"
	echo "  $enc: ${summary#obslab: }"
done
kill -TERM "$spid"; wait "$spid" 2>/dev/null || true
echo "  spans/s accepted: spans answered 200 (receive's summary line) over the load's duration; spans/s taken: the"
echo "  same spans over the load plus the stop, which takes what is still queued into the store by the intake (one"
echo "  thread); CPU per span: the receiver's user + system time during the load over those spans (all its threads);"
echo "  the load generator shares the machine's $(nproc) cores. Targets (issue 16): 500 000 spans/s protobuf, 200 000 JSON."
