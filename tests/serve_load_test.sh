#!/usr/bin/env bash
# obslab serve under load (labelled "threads": CI runs it under
# ThreadSanitizer too). Many pool threads produce spans at once; the test
# checks that every request served became one whole trace and nothing was
# dropped or left unmatched:
#  - curl, 8 transfers in parallel, 200 requests of the five kinds (naive,
#    optimized, eager, /health, a 404): the record holds exactly 200 traces,
#    40 of each, each with its root and its database spans;
#  - wrk (-t2 -c8, runs of 3 s, tests/load/mix.lua asking for the same five
#    in turn): the record holds min(requests served, the store's 512)
#    traces, the server's count is wrk's plus at most the requests cut by
#    each run's end, every trace whole;
#  - SIGTERM: exit 0, no ThreadSanitizer report, the summary line says
#    every request served was one trace, 0 spans dropped and 0 HTTP facts
#    unmatched, every recorded trace has its HTTP facts, every lab answer
#    its Server-Timing; and
#    outside a sanitizer, resident memory flat from the second run to the
#    fourth (a sanitizer's own bookkeeping grows with the requests).
# No time limit is asserted: a slow machine only serves fewer requests.
# Usage: serve_load_test.sh PATH/TO/obslab PATH/TO/tests/load
set -u
bin=$(realpath "$1")
mix=$(realpath "$2")/mix.lua
. "$(dirname "$0")/serve_lib.sh" # work, ok/bad/check, start, stop, url
needs curl jq wrk
# A report makes the sanitized binary exit 66, and it is looked for on stderr too.
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}halt_on_error=1:exitcode=66"
sanitized=
ldd "$bin" 2>/dev/null | grep -Eq 'lib(t|a)san' && sanitized=yes

STORE_MAX_TRACES=512 # STORE_DEFAULT_MAX_TRACES, what --record keeps
USERS=20
# The database spans a trace of each kind has at 20 users: 1 + N for the
# naive N+1, one query for optimized, the users then one IN (...) chunk for eager.
declare -A QUERIES=([naive]=21 [optimized]=1 [eager]=2 [health]=0 [notfound]=0)
declare -A ROOT=([naive]="GET /users/analytics" [optimized]="GET /users/analytics/optimized"
	[eager]="GET /users/analytics/eager" [health]="GET /health" [notfound]="GET")

rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }

# served NAME: the number of requests the server says it served.
served() {
	local n
	n=$(sed -n 's/^obslab: served \([0-9]*\) requests\{0,1\}; .*/\1/p' "$1.err")
	echo "${n:-0}"
}

# after_stop NAME RECORD: the checks every stop passes.
after_stop() {
	local name=$1 rec=$2
	check "$status" 0 "$name: serve's exit status on SIGTERM"
	if grep -q ThreadSanitizer "$name.err"; then bad "$name: ThreadSanitizer reports:"; sed -n '1,40p' "$name.err"; else ok; fi
	if grep -q 'dropped [0-9]* spans (its ring' "$name.err"; then bad "$name: $(grep 'dropped' "$name.err")"; else ok; fi
	# the stop's summary line: every request served one trace, no span
	# dropped, every request's HTTP facts joined to its trace
	local line
	line=$(grep -E '^obslab: served [0-9]+ requests?; ' "$name.err")
	if [[ $line =~ ^obslab:\ served\ ([0-9]+)\ requests?\;\ ([0-9]+)\ traces\;\ dropped\ ([0-9]+)\ spans\;\ ([0-9]+)\ unmatched$ ]]; then
		check "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}" "$name: traces for the requests served ($line)"
		check "${BASH_REMATCH[3]}" 0 "$name: spans dropped ($line)"
		check "${BASH_REMATCH[4]}" 0 "$name: HTTP facts unmatched ($line)"
	else
		bad "$name: no summary line at the stop: $(tail -3 "$name.err")"
	fi
	check "$(jq .dropped_spans "$rec")" 0 "$name: the record's dropped spans"
	# every trace whole: one root named for its kind, the kind's database
	# spans under it, and (where the server attaches them) its HTTP facts
	local kind q r
	: >whole.txt
	for kind in naive optimized eager health notfound; do
		q=${QUERIES[$kind]} r=${ROOT[$kind]}
		jq --arg r "$r" --argjson q "$q" '[.traces[] | select([.spans[] | select(.parent_span_id == null)][0].name == $r)
			| select(([.spans[] | select(.parent_span_id == null)] | length) != 1
				or ([.spans[] | select(.kind == "client")] | length) != $q
				or .attribution.queries != $q)] | length' "$rec" >>whole.txt
	done
	check "$(awk "{ s += \$1 } END { print s + 0 }" whole.txt)" 0 "$name: traces missing their root or database spans"
	check "$(jq '[.traces[] | select(([.spans[] | select(.parent_span_id == null)] | length) != 1)] | length' "$rec")" 0 \
		"$name: traces without exactly one root"
	check "$(jq '[.traces[].trace_id] | unique | length' "$rec")" "$(jq '.traces | length' "$rec")" \
		"$name: distinct trace ids"
	check "$(jq '[.traces[] | select(.http == null)] | length' "$rec")" 0 "$name: traces without their HTTP facts"
	check "$(jq '[.traces[] | select(.http.status_code == 404)] | length' "$rec")" \
		"$(jq '[.traces[] | select([.spans[] | select(.parent_span_id == null)][0].name == "GET")] | length' "$rec")" \
		"$name: 404s recorded as 404"
	check "$(jq '[.traces[] | select(.http.status_code != 200 and .http.status_code != 404)] | length' "$rec")" 0 \
		"$name: statuses other than 200 and 404"
}

# count_kind RECORD KIND: how many traces of a kind the record holds.
count_kind() {
	jq --arg r "${ROOT[$2]}" '[.traces[] | select([.spans[] | select(.parent_span_id == null)][0].name == $r)] | length' "$1"
}

# --- curl, 8 in parallel: an exact count ----------------------------------------
if start exact --db lab.db --listen 127.0.0.1:0 --users $USERS --rtt-us 0 --record exact.json; then
	ok
else
	bad "serve did not start: $(cat exact.err)"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	exit 1
fi
urls=()
for _ in $(seq 1 40); do
	for p in /users/analytics /users/analytics/optimized /users/analytics/eager /health /nope; do
		urls+=(-o /dev/null "http://127.0.0.1:$port$p")
	done
done
curl -s --no-progress-meter -Z --parallel-max 8 -w '%{http_code}\n' "${urls[@]}" >codes.txt
check "$(grep -c '^200$' codes.txt)" 160 "200s among 200 parallel requests"
check "$(grep -c '^404$' codes.txt)" 40 "404s among 200 parallel requests"
stop
after_stop exact exact.json
check "$(served exact)" 200 "requests the server served"
check "$(jq '.traces | length' exact.json)" 200 "traces recorded for 200 requests"
for kind in naive optimized eager health notfound; do
	check "$(count_kind exact.json $kind)" 40 "$kind traces recorded"
done

# --- wrk: runs of 3 s, past the store's bound -------------------------------------
if start load --db lab.db --listen 127.0.0.1:0 --users $USERS --rtt-us 0 --record load.json; then ok; else bad "serve did not start: $(cat load.err)"; fi
runs=4
[ -n "$sanitized" ] && runs=2
total=0 rss=()
for i in $(seq 1 "$runs"); do
	wrk -t2 -c8 -d3s --timeout 30s -s "$mix" "http://127.0.0.1:$port/" >"wrk$i.txt" 2>&1
	n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "wrk$i.txt")
	mixline=$(grep '^mix: ' "wrk$i.txt")
	if [ -n "$n" ] && [ -n "$mixline" ]; then ok; else bad "wrk run $i: $(cat "wrk$i.txt")"; n=0; fi
	check "$(grep -c 'other=0 ' <<<"$mixline")" 1 "wrk run $i: only the five expected answers ($mixline)"
	check "$(grep -c 'untimed=0$' <<<"$mixline")" 1 "wrk run $i: every lab answer has its Server-Timing ($mixline)"
	grep -q 'Socket errors' "wrk$i.txt" && bad "wrk run $i: $(grep 'Socket errors' "wrk$i.txt")"
	total=$((total + n))
	rss+=("$(rss_kib)")
done
echo "wrk: $total requests in $runs runs of 3 s; resident memory after each run: ${rss[*]} KiB"
stop
after_stop load load.json
n=$(served load)
if [ "$n" -ge "$total" ] && [ "$n" -le $((total + 8 * runs)) ]; then
	ok
else
	bad "the server served $n requests, wrk counted $total (at most 8 a run may be cut by its end)"
fi
expect=$n
[ "$expect" -gt $STORE_MAX_TRACES ] && expect=$STORE_MAX_TRACES
check "$(jq '.traces | length' load.json)" "$expect" "traces recorded: min($n served, $STORE_MAX_TRACES)"
if [ -n "$sanitized" ]; then
	echo "SKIP: resident memory under a sanitizer (its shadow and history grow with the requests)"
elif [ "${#rss[@]}" -ge 4 ] && [ "${rss[1]}" -gt 0 ]; then
	# flat: the fourth run's end within a quarter (and 8 MiB) of the second's
	if [ "${rss[3]}" -le $((rss[1] + rss[1] / 4 + 8192)) ]; then
		ok
	else
		bad "resident memory grew under a steady load: ${rss[*]} KiB after each run"
	fi
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
