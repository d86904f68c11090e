#!/usr/bin/env bash
# obslab receive's memory and counts (issue 16, review findings 1, 3, 5, 12):
# a body of one span with 1.8 million tiny attributes (gzipped 31 KB,
# 16.2 MB inflated, under the 16 MiB limit) posted 5 times: every one 200,
# the span over its trace's size limit dropped and counted, RSS under
# RSS_BOUND_KIB after each post and back under RSS_IDLE_KIB once idle
# (malloc_trim); one trace of 200 000 spans over 100 requests capped
# (kept + dropped = 200 000, the drop in the summary); the same N+1 request
# posted twice: one trace of 11 spans, 11 duplicates counted, the N+1 in the
# report; the "wrote" line counting real spans only (a trace without its
# root: its "missing root" placeholder not counted; convert too); --record
# with nothing received writes nothing.
# Usage: receive_memory_test.sh PATH/TO/obslab PATH/TO/otlp_body
set -u
bin=$(realpath "$1")
gen=$(realpath "$2")
. "$(dirname "$0")/serve_lib.sh" # work, ok/bad/check/has, start, stop
needs curl jq gzip ps

start_command=receive
start_port='s|^obslab: receiving OTLP on http://.*:\([0-9]*\)/v1/traces; Ctrl-C stops$|\1|p'
post() { # FILE [CURL ARGS...]: the status of a protobuf POST of FILE
	local f=$1; shift
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-protobuf' --data-binary @"$f" "$@" \
		"http://127.0.0.1:$port/v1/traces"
}
rss() { ps -o rss= -p "$pid" | tr -d ' '; }
summary() { grep '^obslab: received ' "$1" | tail -1; }
# After each post (the decoder's arena, up to 24 x 16 MiB, given back as the request ends;
# measured about 175 MiB): the stated bound.
RSS_BOUND_KIB=$((400 * 1024))
RSS_IDLE_KIB=$((120 * 1024))
sanitized=false
if grep -q -e __asan_init -e __tsan_init "$bin" 2>/dev/null; then sanitized=true; fi

# --- 1. one span with 1.8 million attributes, 5 times ------------------------------------
for k in 1 2 3 4 5; do "$gen" --format protobuf --tiny-attrs 1800000 --seed $k | gzip -c >tiny$k.pb.gz; done
size=$(gzip -dc tiny1.pb.gz | wc -c)
if [ "$size" -gt 16000000 ] && [ "$size" -le $((16 << 20)) ]; then ok; else bad "the tiny-attribute body is $size bytes inflated"; fi
if start mem --listen 127.0.0.1:0 --quiet-ms 200; then ok; else bad "receive did not start: $(cat mem.err)"; fi
peak=0
for k in 1 2 3 4 5; do
	check "$(post tiny$k.pb.gz -H 'Content-Encoding: gzip')" 200 "tiny-attribute body $k"
	r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
done
echo "receive's RSS: at most ${peak} KiB after a post of 1.8 million attributes (bound ${RSS_BOUND_KIB} KiB)"
if $sanitized; then echo "SKIP: RSS bounds under a sanitizer"; ok; ok
else
	if [ "$peak" -le "$RSS_BOUND_KIB" ]; then ok; else bad "RSS ${peak} KiB over ${RSS_BOUND_KIB} KiB"; fi
	idle=
	for _ in $(seq 1 100); do idle=$(rss); [ "$idle" -le "$RSS_IDLE_KIB" ] && break; sleep 0.2; done
	echo "receive's RSS once idle: ${idle} KiB"
	if [ "$idle" -le "$RSS_IDLE_KIB" ]; then ok; else bad "RSS ${idle} KiB once idle, over ${RSS_IDLE_KIB} KiB"; fi
fi

# --- 2. one trace of 200 000 spans over 100 requests: capped -------------------------------
"$gen" --format protobuf --spans 2000 --traces 1 --trace-seed 77 --seed 1 >big1.pb # the root and 1999
for k in $(seq 2 100); do "$gen" --format protobuf --spans 2001 --traces 1 --trace-seed 77 --seed $k --no-root 1 >big$k.pb; done
for k in $(seq 1 100); do
	s=$(post big$k.pb)
	[ "$s" = 200 ] || { sleep 0.5; s=$(post big$k.pb); } # a busy answer (429) is retried, as an SDK does
	check "$s" 200 "part $k of the big trace"
done
stop
check "$status" 0 "receive's exit status"
line=$(summary mem.err)
echo "$line"
dropped=$(sed -n 's/.*; \([0-9]*\) spans dropped: trace over its size limit.*/\1/p' <<<"$line")
received=$(sed -n 's/^obslab: received [0-9]* requests, \([0-9]*\) spans in.*/\1/p' <<<"$line")
check "$received" 200005 "spans received (5 + 200 000)"
if [ -n "$dropped" ] && [ "$dropped" -ge 100005 ] && [ "$dropped" -lt 200005 ]; then ok
else bad "spans dropped over the limit: '$dropped' in '$line'"; fi

# --- 3. the same N+1 request twice: duplicates dropped -----------------------------------
"$gen" --format protobuf --spans 11 --traces 1 --seed 3 >nplus1.pb
if start dup --listen 127.0.0.1:0 --quiet-ms 100 --record dup.otlp.json; then ok; else bad "receive did not start: $(cat dup.err)"; fi
check "$(post nplus1.pb)" 200 "the N+1 request"
check "$(post nplus1.pb)" 200 "the N+1 request sent again"
stop
has dup.err '^obslab: received 2 requests, 22 spans in 1 trace; .*; 11 duplicate spans dropped \(sent again\)$'
has dup.err '^obslab: wrote dup\.otlp\.json: otlp, 1 trace, 11 spans$'
check "$(jq '[.resourceSpans[].scopeSpans[].spans[]] | length' dup.otlp.json)" 11 "spans in the record"
if "$bin" report dup.otlp.json >report.txt 2>&1; then ok; else bad "report failed: $(head -2 report.txt)"; fi
has report.txt 'N\+1'
if grep -qi 'missing root' report.txt; then bad "the trace lost its root: $(head -5 report.txt)"; else ok; fi

# --- 4. "wrote": real spans only (a trace without its root) ------------------------------
"$gen" --format protobuf --spans 11 --traces 1 --trace-seed 5 --seed 2 --no-root 1 >noroot.pb
if start rootless --listen 127.0.0.1:0 --quiet-ms 100 --record rootless.otlp.json; then ok; else bad "receive did not start: $(cat rootless.err)"; fi
check "$(post noroot.pb)" 200 "ten spans without their root"
stop
has rootless.err '^obslab: received 1 request, 10 spans in 1 trace;'
has rootless.err '^obslab: wrote rootless\.otlp\.json: otlp, 1 trace, 10 spans$'
check "$(jq '[.resourceSpans[].scopeSpans[].spans[]] | length' rootless.otlp.json)" 10 "spans in the rootless record"
"$bin" convert rootless.otlp.json -o rootless.json --format native >convert.out 2>&1
has convert.out '^wrote rootless\.json: native, 1 trace, 10 spans$'

# --- 5. --record with nothing received ---------------------------------------------------
if start none --listen 127.0.0.1:0 --record none.otlp.json; then ok; else bad "receive did not start: $(cat none.err)"; fi
kill -INT "$pid"; wait "$pid"; status=$?
check "$status" 0 "exit status with nothing received"
has none.err '^obslab: nothing received; none\.otlp\.json not written$'
absent none.otlp.json "nothing received"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
