#!/usr/bin/env bash
# obslab serve against the real binary: the original lab's curl test plan
# (each endpoint's body, compared with jq against `obslab run --json` on a
# copy of the same database), /health and /, 404, 405 with Allow, 414, an
# oversized header, HEAD, keep-alive, a slow client closed after the
# time-out, hostile bytes on the socket, the log file, a second driver and
# a port in use refused, and SIGTERM with a naive request in flight: it
# completes, the exit is 0 and --record holds its trace. W3C trace context
# (a traceparent round trip into the native and OTLP records, malformed ones
# ignored), Server-Timing against the record's attribution, each request's
# HTTP attributes, /health not labelled with a strategy, hostile trace
# context and user agents bounded and escaped, the summary line at stop.
# Usage: serve_test.sh PATH/TO/obslab PATH/TO/tests/hostile/serve
set -u
bin=$(realpath "$1")
hostile=$(realpath "$2")
clients=$(dirname "$(realpath "$0")")/serve_clients.py
. "$(dirname "$0")/serve_lib.sh" # work, ok/bad/check/has, start, stop, url
needs curl jq sqlite3 python3
# code PATH [CURL ARGS...]: the status code of a request, the body in body.txt.
code() { local p=$1; shift; curl -s -o body.txt -w '%{http_code}' "$@" "$(url "$p")"; }
# raw FILE: sends FILE's bytes on a raw connection; the answer (until the
# server closes, 3 s at most) in raw.txt.
raw() {
	exec 3<>"/dev/tcp/127.0.0.1/$port" || { bad "cannot connect to $port"; return; }
	cat "$1" >&3
	timeout 3 cat <&3 >raw.txt
	exec 3<&- 3>&-
}

# --- the endpoints ------------------------------------------------------------
if start main --db lab.db --listen 127.0.0.1:0 --users 20 --rtt-us 0 --timeout-s 1 --log-file log.jsonl; then
	ok
else
	bad "serve did not start: $(cat main.err)"
	printf '%d passed, %d failed\n' "$passed" "$failed"
	exit 1
fi
has main.err '^obslab: serving http://127\.0\.0\.1:[0-9]+/ \(lab database lab\.db, 20 users\); Ctrl-C stops$'
sqlite3 lab.db ".backup copy.db" && ok || bad "cannot copy the served database"

for pair in naive:/users/analytics optimized:/users/analytics/optimized eager:/users/analytics/eager; do
	s=${pair%%:*} p=${pair#*:}
	check "$(code "$p")" 200 "GET $p"
	"$bin" run --db copy.db --strategy "$s" --json --rtt-us 0 --requests 1 >run.json 2>run.err || bad "run --json $s: $(cat run.err)"
	if diff <(jq -S . body.txt) <(jq -S . run.json) >/dev/null; then ok; else bad "GET $p differs from run --json --strategy $s"; fi
	# byte for byte: run --json prints the body and a newline
	if cmp -s <(cat body.txt; echo) run.json; then ok; else bad "GET $p is not byte for byte run --json's"; fi
	check "$(curl -s -o /dev/null -w '%{content_type}' "$(url "$p")")" application/json "$p's Content-Type"
done
check "$(jq -r .implementation body.txt)" eager "the eager body"

check "$(code /health)" 200 "GET /health"
check "$(jq -r .status body.txt)" ok "/health's status"
check "$(code /)" 200 "GET /"
check "$(jq -r '[.endpoints[].path] | join(" ")' body.txt)" "/users/analytics /users/analytics/optimized /users/analytics/eager /health" "GET /'s endpoints"

check "$(code /nope)" 404 "GET /nope"
check "$(cat body.txt)" '{"detail":"Not Found"}' "404's body"
check "$(code /health/)" 404 "GET /health/"
check "$(code /users/analytics -X POST)" 405 "POST /users/analytics"
check "$(cat body.txt)" '{"detail":"Method Not Allowed"}' "405's body"
allow=$(curl -s -o /dev/null -D - -X DELETE "$(url /health)" | tr -d '\r' | sed -n 's/^[Aa]llow: //p')
check "$allow" "GET, HEAD" "405's Allow header"
check "$(code /health -X BREW)" 405 "an unknown method"

long=$(head -c 10000 /dev/zero | tr '\0' a)
check "$(code "/$long")" 414 "a 10 kB URL"
check "$(cat body.txt)" '{"detail":"URI Too Long"}' "414's body"
check "$(code "/health?q=$long")" 414 "a 10 kB query string"
# past the connection's memory (32 kB), libmicrohttpd answers 414 itself
check "$(code "/$(head -c 40000 /dev/zero | tr '\0' a)")" 414 "a 40 kB URL"
# libmicrohttpd answers headers past the connection's memory (32 kB) itself: 431.
big=$(head -c 40000 /dev/zero | tr '\0' b)
check "$(code /health -H "X-Big: $big")" 431 "a 40 kB header"
check "$(code /health -H "X-Small: $(head -c 8000 /dev/zero | tr '\0' b)")" 200 "an 8 kB header"

# HEAD: GET's headers, no body
curl -s -D head.txt -o /dev/null -I "$(url /users/analytics/optimized)"
has head.txt '^HTTP/1.1 200'
len=$(tr -d '\r' <head.txt | sed -n 's/^[Cc]ontent-[Ll]ength: //p')
check "$len" "$(curl -s "$(url /users/analytics/optimized)" | wc -c)" "HEAD's Content-Length"
printf 'HEAD /health HTTP/1.0\r\n\r\n' >head.req
raw head.req
check "$(sed -n '/^\r$/,$p' raw.txt | wc -c)" 2 "HEAD's body (nothing after the headers)"

# keep-alive: two requests, one connection
curl -sv -o /dev/null -o /dev/null "$(url /health)" "$(url /health)" 2>curl.txt
has curl.txt 'Re-using existing connection'

# --- a slow client: half a request, closed after --timeout-s 1 -------------------
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /health HTTP/1.1\r\nHost: x\r\n' >&3
timeout 10 cat <&3 >slow.txt
check "$?" 0 "a half request's connection closed by the server"
exec 3<&- 3>&-

# --- hostile bytes on the socket: answered or closed, never a crash ---------------
for f in "$hostile"/*; do
	raw "$f"
	kill -0 "$pid" 2>/dev/null && ok || bad "the server died on $(basename "$f")"
	check "$(code /health)" 200 "/health after $(basename "$f")"
done
raw "$hostile/control_request_line.txt"
has raw.txt '^HTTP/1.1 4[0-9][0-9]'

# --- a second driver, a port in use ------------------------------------------------
"$bin" serve --db lab.db --listen 127.0.0.1:0 >second.out 2>second.err
check "$?" 1 "a second driver's exit status"
has second.err 'lab\.db is driven by .*pid '"$pid"
"$bin" serve --db other.db --listen "127.0.0.1:$port" >inuse.out 2>inuse.err
check "$?" 1 "a port in use: exit status"
has inuse.err "^obslab: cannot listen on 127\.0\.0\.1:$port: Address already in use$"

stop
check "$status" 0 "serve's exit status on SIGTERM"
# the readers closed before the driver: the lab is back in rollback mode
check "$(ls lab.db-wal lab.db-shm 2>/dev/null | wc -l)" 0 "no -wal or -shm left after serve stops"
check "$(sqlite3 lab.db 'pragma journal_mode')" delete "the lab's journal mode after serve stops"
has main.err '^obslab: served [0-9]+ requests?; [0-9]+ traces; dropped 0 spans; 0 unmatched$'
# the log: the N+1 warning per naive request (2 above), the info line per
# optimized one (2, then HEAD and GET)
check "$(jq -s '[.[] | select(.level == "WARN" and .message == "N+1 query pattern detected")] | length' log.jsonl)" 2 \
	"N+1 warnings in the log"
check "$(jq -s '[.[] | select(.level == "INFO" and .message == "Optimized query executed")] | length' log.jsonl)" 4 \
	"optimized info lines in the log"
check "$(jq -s '[.[] | select(.message == "N+1 query pattern detected")][0].repeated' log.jsonl)" 20 "the warning's repeated"

# --- SIGTERM with a naive request in flight: it completes, the record has it -------
if start big --db big.db --listen 127.0.0.1:0 --users 1000 --rtt-us 1000 --record served.otlp.json; then ok; else bad "serve at 1000 users did not start: $(cat big.err)"; fi
curl -s -o inflight.json -w '%{http_code}' "$(url /health)" >/dev/null
curl -s -o inflight.json -w '%{http_code}' "$(url /users/analytics)" >inflight.code &
cpid=$!
sleep 0.3 # the request is under way (1000 queries of at least 1 ms each)
stop
wait "$cpid"
check "$status" 0 "serve's exit status with a request in flight"
check "$(cat inflight.code)" 200 "the request in flight's status"
check "$(jq .total_users inflight.json 2>/dev/null)" 1000 "the request in flight's body"
has big.err '^obslab: wrote served\.otlp\.json: otlp, 2 traces, '
spans='[.resourceSpans[].scopeSpans[].spans[]]'
check "$(jq "$spans | map(select(.name == \"GET /users/analytics\" and .kind == 2)) | length" served.otlp.json)" 1 \
	"the naive request's server span in the record"
check "$(jq "$spans | map(select(.name == \"GET /health\")) | length" served.otlp.json)" 1 "GET /health's span in the record"
root=$(jq -r "$spans | map(select(.name == \"GET /users/analytics\"))[0].spanId" served.otlp.json)
check "$(jq "$spans | map(select(.parentSpanId == \"$root\" and .kind == 3)) | length" served.otlp.json)" 1001 \
	"the database spans under the server span"

# --- W3C trace context, Server-Timing, each request's HTTP facts in the record -------
tid=0af7651916cd43dd8448eb211c80319c pid_hex=b7ad6b7169203331
if start ctx --db ctx.db --listen 127.0.0.1:0 --users 20 --rtt-us 200 --record ctx.json; then ok; else bad "serve for trace context did not start: $(cat ctx.err)"; fi
check "$(sqlite3 ctx.db 'pragma journal_mode')" wal "the lab's journal mode while served (readers beside the driver)"
# timing NAME PATH [CURL ARGS...]: GET PATH, its Server-Timing in NAME.timing
timing() {
	local n=$1 p=$2; shift 2
	curl -s -o /dev/null -D "$n.head" -A "obslab-test/1.0 (ctx)" "$@" "$(url "$p")"
	tr -d '\r' <"$n.head" | sed -n 's/^[Ss]erver-[Tt]iming: //p' >"$n.timing"
}
timing parent /users/analytics -H "traceparent: 00-$tid-$pid_hex-01" -H 'tracestate: rojo=00f067aa0ba902b7' \
	-H 'tracestate: congo=t61rcWkgMzE'
timing optimized /users/analytics/optimized
timing eager /users/analytics/eager
timing health /health
timing index /
timing missing /nope
timing notallowed /health -X DELETE
timing malformed /users/analytics/optimized -H "traceparent: 00-$tid-$pid_hex-1" -H 'tracestate: rojo=1'
timing upper /users/analytics/eager -H "traceparent: 00-${tid^^}-$pid_hex-01"
timing twice /users/analytics/optimized -H "traceparent: 00-$tid-$pid_hex-01" \
	-H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
for f in "$hostile"/ctx_*; do
	raw "$f"
	kill -0 "$pid" 2>/dev/null && ok || bad "the server died on $(basename "$f")"
done
stop
check "$status" 0 "the trace context server's exit status"
has ctx.err '^obslab: served 14 requests; 14 traces; dropped 0 spans; 0 unmatched$'
check "$(ls ctx.db-wal ctx.db-shm 2>/dev/null | wc -l)" 0 "no -wal or -shm left after serve stops (ctx)"
"$bin" convert ctx.json -o ctx.otlp.json 2>convert.err || bad "convert of the record: $(cat convert.err)"
# trace PATH: the native record's trace of the request to PATH
trace() { jq -c --arg p "$1" '[.traces[] | select(.http.path == $p)]' ctx.json; }

# the caller's trace: its trace id, its span as parent, its tracestate (both fields, joined)
t=$(trace /users/analytics)
check "$(jq length <<<"$t")" 1 "one trace of the request with a traceparent"
check "$(jq -r '.[0].trace_id' <<<"$t")" "$tid" "the served trace is the caller's trace"
check "$(jq -r '.[0].http.remote_parent_span_id' <<<"$t")" "$pid_hex" "the caller's span is the root's parent (native)"
check "$(jq -r '.[0].http.tracestate' <<<"$t")" "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" "tracestate fields joined"
check "$(jq -r '.[0].http.trace_flags' <<<"$t")" 1 "the caller's flags"
check "$(grep -o 'trace;desc="[0-9a-f]*"' parent.timing)" "trace;desc=\"$tid\"" "Server-Timing names the caller's trace"
root="[.resourceSpans[].scopeSpans[].spans[] | select(.traceId == \"$tid\" and .kind == 2)]"
check "$(jq -r "$root | length" ctx.otlp.json)" 1 "the served root in the OTLP record"
check "$(jq -r "$root[0].parentSpanId" ctx.otlp.json)" "$pid_hex" "the root's parentSpanId (OTLP)"
check "$(jq -r "$root[0].traceState" ctx.otlp.json)" "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" "the root's traceState (OTLP)"
check "$(jq -r "[.resourceSpans[].scopeSpans[].spans[] | select(.traceId == \"$tid\" and .kind == 3)] | length" ctx.otlp.json)" 21 \
	"the database spans in the caller's trace"
"$bin" report ctx.json >report.txt 2>report.err || bad "report of the record: $(cat report.err)"
has report.txt 'GET /users/analytics$'

# a traceparent that is not one (a 1-digit flags field, uppercase hex, two fields): a fresh trace, no parent
for p in /users/analytics/optimized /users/analytics/eager; do
	for n in 0 1; do
		t=$(trace "$p" | jq -c ".[$n]")
		[ "$t" = null ] && { bad "no trace $n of $p"; continue; }
		[ "$(jq -r .trace_id <<<"$t")" != "$tid" ] && ok || bad "$p (trace $n) joined the caller's trace with a malformed traceparent"
		check "$(jq -r .http.remote_parent_span_id <<<"$t")" null "$p (trace $n) has no remote parent"
		check "$(jq -r .http.tracestate <<<"$t")" "" "$p (trace $n) kept no tracestate"
	done
done
check "$(jq "[.resourceSpans[].scopeSpans[].spans[] | select(.kind == 2 and .parentSpanId != null and .parentSpanId != \"\")] | length" ctx.otlp.json)" 3 \
	"only the caller's request and the two hostile tracestates' have a remote parent"

# Server-Timing on every response: each part within a microsecond of the record's attribution (rounded,
# then adjusted so that) the three add up exactly to the root's duration rounded to the microsecond
for n in parent optimized eager health index missing notallowed malformed upper twice; do
	[ -s "$n.timing" ] && ok || { bad "no Server-Timing on $n"; continue; }
	has "$n.timing" '^app;dur=[0-9]+\.[0-9]{3}, db;dur=[0-9]+\.[0-9]{3}, net;dur=[0-9]+\.[0-9]{3};desc="simulated", trace;desc="[0-9a-f]{32}"$'
	id=$(sed 's/.*desc="\([0-9a-f]*\)".*/\1/' "$n.timing")
	app=$(sed 's/^app;dur=\([0-9.]*\).*/\1/' "$n.timing")
	db=$(sed 's/.*db;dur=\([0-9.]*\).*/\1/' "$n.timing")
	net=$(sed 's/.*net;dur=\([0-9.]*\).*/\1/' "$n.timing")
	verdict=$(jq -r --arg id "$id" --argjson app "$app" --argjson db "$db" --argjson net "$net" '
		[.traces[] | select(.trace_id == $id)] | if length != 1 then "no trace \($id)" else .[0].attribution |
		def us(ms): ms * 1000 | round;
		def near(ns; ms): ((ns / 1000 | round) - us(ms) | fabs) <= 1;
		if near(.app_ns; $app) and near(.db_ns; $db) and near(.network_ns; $net)
		    and (.total_ns / 1000 | round) == us($app) + us($db) + us($net)
		then "ok" else "app \(.app_ns) db \(.db_ns) net \(.network_ns) total \(.total_ns) vs \($app) \($db) \($net)" end end' ctx.json)
	check "$verdict" ok "$n's Server-Timing against its trace's attribution"
done
check "$(sed 's/.*net;dur=\([0-9.]*\).*/\1/' parent.timing | awk '{print ($1 >= 4.0)}')" 1 \
	"the naive request's network: 21 round trips of 200 us"

# each request's HTTP attributes on its root (OTLP), the lab's only where the lab ran
attrs() { jq -c --arg p "$1" '[.resourceSpans[].scopeSpans[].spans[] | select(.kind == 2) | .attributes
	| map({key, value: (.value | to_entries[0].value)}) | from_entries
	| select(.["url.path"] == $p)][0]' ctx.otlp.json; }
a=$(attrs /users/analytics/eager)
check "$(jq -r '.["http.request.method"]' <<<"$a")" GET "http.request.method"
check "$(jq -r '.["http.route"]' <<<"$a")" /users/analytics/eager "http.route"
check "$(jq -r '.["http.response.status_code"]' <<<"$a")" 200 "http.response.status_code"
check "$(jq -r '.["server.address"]' <<<"$a")" 127.0.0.1 "server.address"
check "$(jq -r '.["server.port"]' <<<"$a")" "$port" "server.port"
check "$(jq -r '.["client.address"]' <<<"$a")" 127.0.0.1 "client.address"
check "$(jq -r '.["user_agent.original"]' <<<"$a")" "obslab-test/1.0 (ctx)" "user_agent.original"
check "$(jq -r '.["network.protocol.version"]' <<<"$a")" 1.1 "network.protocol.version"
check "$(jq -r '.["obslab.strategy"]' <<<"$a")" eager "the lab request's strategy"
for p in /health / /nope; do
	a=$(attrs "$p")
	check "$(jq -r '.["obslab.strategy"] // "none"' <<<"$a")" none "$p is not labelled with a strategy (OTLP)"
	check "$(jq -r '.["http.route"] // "none"' <<<"$a")" "$([ "$p" = /nope ] && echo none || echo "$p")" "$p's http.route"
	check "$(trace "$p" | jq -r '.[0].strategy // "none"')" none "$p is not labelled with a strategy (native)"
done
check "$(jq -r '.["http.response.status_code"]' <<<"$(attrs /nope)")" 404 "404's status code"
check "$(trace /health | jq -r '[.[] | .http.status_code] | join(",")')" 200,405 "/health's status codes (GET, DELETE)"

# hostile values: bounded, marked cut, escaped (the record is JSON jq reads)
t=$(trace /hostile/user_agent_escapes)
ua=$(jq -r '.[0].http.user_agent' <<<"$t")
[ "${#ua}" -le 256 ] && ok || bad "a 2 kB user agent kept at ${#ua} characters"
check "$(jq -r '.[0].http.truncated | index("user_agent") != null' <<<"$t")" true "the user agent marked cut"
case $ua in evil*) ok ;; *) bad "the user agent's start: $ua" ;; esac
check "$(printf '%s' "$ua" | head -c 38 | od -An -c -w64 | tr -s ' ' | head -1)" \
	" e v i l 001 033 [ 3 1 m \" q u o t e d \" \\ b a c k \\ s l a s h 357 277 275 357 277 275 357 277 275" \
	"the user agent as sent, bytes that are not UTF-8 as U+FFFD"
check "$(grep -c $'\x1b' ctx.json ctx.otlp.json | grep -vc ':0$')" 0 "no raw escape byte in the records"
has ctx.json 'evil\\u0001\\u001b\[31m\\"quoted\\"\\\\back'
has report.txt '^ctx\.json: obslab snapshot, 14 traces, '

state=$(trace /hostile/tracestate_5k | jq -r '.[0].http.tracestate')
[ -n "$state" ] && [ "${#state}" -le 512 ] && ok || bad "a 5 kB tracestate kept at ${#state} characters"
check "$(trace /hostile/tracestate_5k | jq -r '.[0].trace_id')" 4bf92f3577b34da6a3ce929d0e0e4736 "the 5 kB tracestate's traceparent taken"
check "$(trace /hostile/tracestate_33_members | jq -r '.[0].http.tracestate')" "" "a 33-member tracestate dropped"
check "$(trace /hostile/tracestate_33_members | jq -r '.[0].trace_id')" 4bf92f3577b34da6a3ce929d0e0e4737 "its traceparent still taken"
check "$(trace /hostile/traceparent_uppercase | jq -r '.[0].http.remote_parent_span_id')" null "an uppercase traceparent ignored"
check "$(trace /hostile/traceparent_uppercase | jq -r '.[0].http.tracestate')" "" "no tracestate without a valid traceparent"

# --- request targets and framing: %00, the absolute form, Host, the method -----------
# %00 never cuts the path short (a 404, recorded as it came); a target in
# absolute form is routed and recorded as its path (RFC 9112 3.2.2); an
# HTTP/1.1 request without Host, or with two, and a method with a control
# byte are 400 (RFC 9112 3.2), each traced.
if start targets --db targets.db --listen 127.0.0.1:0 --users 20 --rtt-us 0 --record targets.json; then ok; else bad "serve for request targets did not start: $(cat targets.err)"; fi
answer() { raw "$1"; tr -d '\r' <raw.txt | head -1 | cut -d' ' -f2; }
check "$(answer "$hostile/path_nul_escape.txt")" 404 "GET /health%00.php"
check "$(answer "$hostile/path_nul_escape_dot_dot.txt")" 404 "GET /users/analytics/optimized%00../../etc"
check "$(answer "$hostile/target_absolute_form.txt")" 200 "GET http://evil.example/health"
has raw.txt '"status":"ok"'
for f in host_missing host_twice method_control; do
	check "$(answer "$hostile/$f.txt")" 400 "$f"
	check "$(tail -c 24 raw.txt)" '{"detail":"Bad Request"}' "$f's body"
done
printf 'GET / HTTP/1.0\r\n\r\n' >http10.req
check "$(answer http10.req)" 200 "an HTTP/1.0 request without Host"
stop
check "$status" 0 "the request-target server's exit status"
paths() { jq -r '[.traces[] | "\(.http.status_code) \(.http.path) \(.http.route // "-")"] | sort | join(";")' targets.json; }
check "$(paths)" "200 / /;200 /health /health;400 /health -;400 /health -;400 /health -;404 /health%00.php -;404 /users/analytics/optimized%00../../etc -" \
	"each request's status, url.path and route in the record"

# --- slow clients: 1300 connections trickling their headers (slowloris) --------
# Each sends a request line, then a header line every second, never the end:
# libmicrohttpd's idle time-out never fires. The deadline for a whole request
# (--timeout-s) closes them, and near the connection limit a new connection
# pushes out the one that has waited longest, so curl is answered meanwhile.
if ulimit -n 4096 2>/dev/null; then
	if start slow --db slow.db --listen 127.0.0.1:0 --users 20 --rtt-us 0 --timeout-s 3; then ok; else bad "serve for slow clients did not start: $(cat slow.err)"; fi
	python3 "$clients" trickle "$port" 1300 15 trickle.ready >trickle.out 2>trickle.err &
	tpid=$!
	pids+=("$tpid")
	for _ in $(seq 1 300); do [ -s trickle.ready ] && break; sleep 0.1; done
	has trickle.ready '^connected [0-9]+$'
	answered=000
	for _ in $(seq 1 30); do
		answered=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(url /health)")
		[ "$answered" = 200 ] && break
		sleep 0.5
	done
	check "$answered" 200 "/health answered while 1300 connections trickle their headers"
	wait "$tpid"
	n=$(sed -n 's/^connected //p' trickle.ready)
	check "$(cat trickle.out)" "closed $n of $n" "every trickling connection closed by the server"
	kill -0 "$pid" 2>/dev/null && ok || bad "the server died under slow clients"
	check "$(code /health)" 200 "/health after the slow clients"
	stop
	check "$status" 0 "the slow-client server's exit status"
else
	echo "SKIP: cannot raise the open files limit to 4096 for the slow clients"
fi

# --- the stop: nothing new starts once it began --------------------------------------
# A naive request in flight when SIGTERM comes finishes; a request whose
# headers complete after it is answered 503 at once with Connection: close
# (traced, no lab work); an idle keep-alive connection is closed right away,
# not when the stop ends.
if start halt --db halt.db --listen 127.0.0.1:0 --users 1000 --rtt-us 1000 --record halt.json; then ok; else bad "serve for the stop did not start: $(cat halt.err)"; fi
python3 "$clients" stop "$port" halt.ready halt.go >halt.out 2>halt.pyerr &
hpid=$!
pids+=("$hpid")
for _ in $(seq 1 300); do [ -s halt.ready ] && break; sleep 0.1; done
kill -TERM "$pid"
# the stop has begun once the listening socket is closed
for _ in $(seq 1 500); do
	curl -s -o /dev/null --max-time 1 "$(url /health)" || break
	sleep 0.01
done
touch halt.go
wait "$hpid"
wait "$pid"
status=$?
check "$status" 0 "serve's exit status (stop with a late request)"
has halt.out '^idle first 200$'
has halt.out '^late 503 close \{"detail":"server stopping"\}$'
has halt.out '^naive 200$'
has halt.out '^idle closed before the naive answer yes$'
check "$(jq -r '[.traces[] | select(.http.path == "/users/analytics/optimized") | "\(.http.status_code) \(.spans | length)"] | join(";")' halt.json)" \
	"503 1" "the late request's trace: 503, no lab work"
check "$(jq -r '[.traces[] | select(.http.path == "/users/analytics") | .http.status_code] | join(";")' halt.json)" 200 \
	"the naive request in flight's trace"

# --- IPv6 loopback, where the machine has it ---------------------------------------
if [ -e /proc/net/if_inet6 ] && start v6 --db v6.db --listen '[::1]:0'; then
	has v6.err '^obslab: serving http://\[::1\]:[0-9]+/ '
	check "$(curl -s -o /dev/null -w '%{http_code}' "http://[::1]:$port/health")" 200 "GET /health over IPv6"
	stop
	check "$status" 0 "the IPv6 server's exit status"
else
	echo "SKIP: no IPv6 loopback"
fi

# --- usage errors: one line, status 2 ------------------------------------------------
for args in "--listen nonsense" "--listen 127.0.0.1:70000" "--listen ::1:8000" "--db :memory:" \
	"--record out.unknown" "--format otlp" "--timeout-s 0" "--strategy naive"; do
	# shellcheck disable=SC2086
	"$bin" serve $args >usage.out 2>usage.err
	check "$?" 2 "serve $args"
	check "$(head -1 usage.err | grep -c '^obslab: ')" 1 "serve $args says why"
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
