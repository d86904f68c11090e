#!/usr/bin/env bash
# obslab receive against the real binary, with curl: protobuf, JSON and gzip
# bodies made by obslab's own encoder (otlp_body) answered 200 in their own
# encoding; every refusal with its status and a google.rpc.Status body (400
# garbage, truncated and hostile bodies; 413 by Content-Length, while
# streaming and for a gzip bomb; 415 media type and encoding; 404; 405 with
# Allow; 429 with Retry-After on a full queue; 503 with Retry-After during
# the stop); CORS for localhost origins only; partial_success for a span
# with a bad id; --record written on SIGINT with the spans received; the
# summary line; a port in use; the all-interfaces warning; slow clients;
# DNS rebinding: on loopback a Host not naming loopback is 403, on 0.0.0.0 any
# Host is answered.
# Usage: receive_test.sh PATH/TO/obslab PATH/TO/otlp_body PATH/TO/tests/hostile/rx
set -u
bin=$(realpath "$1")
gen=$(realpath "$2")
hostile=$(realpath "$3")
clients=$(dirname "$(realpath "$0")")/serve_clients.py
. "$(dirname "$0")/serve_lib.sh" # work, ok/bad/check/has, start, stop
needs curl jq python3 gzip

# start NAME ARGS... (serve_lib.sh): obslab receive in the background
start_command=receive
start_port='s|^obslab: receiving OTLP on http://.*:\([0-9]*\)/v1/traces; Ctrl-C stops$|\1|p'
traces() { printf 'http://127.0.0.1:%s%s' "$port" "${1:-/v1/traces}"; }
# post FILE TYPE [CURL ARGS...]: the status of a POST of FILE; body in out.bin, headers in head.txt
post() {
	local f=$1 t=$2; shift 2
	curl -s -o out.bin -D head.txt -w '%{http_code}' -H "Content-Type: $t" --data-binary @"$f" "$@" "$(traces)"
}
header() { tr -d '\r' <head.txt | sed -n "s/^$1: //Ip" | head -1; }

"$gen" --format protobuf --spans 512 --traces 16 --seed 1 >a.pb || bad "otlp_body protobuf"
"$gen" --format json --spans 512 --traces 16 --seed 2 >b.json || bad "otlp_body json"
# five small bodies, each with traces of its own
for k in 3 4 5 6 7; do "$gen" --format protobuf --spans 40 --traces 4 --seed $k >c$k.pb; done
gzip -c c3.pb >c3.pb.gz

if start main --listen 127.0.0.1:0 --quiet-ms 100 --record rec.otlp.json; then ok; else
	bad "receive did not start: $(cat main.err)"; printf '%d passed, %d failed\n' "$passed" "$failed"; exit 1
fi
has main.err '^obslab: receiving OTLP on http://127\.0\.0\.1:[0-9]+/v1/traces; Ctrl-C stops$'

# --- accepted: protobuf, JSON, gzip, a charset parameter -----------------------------
check "$(post a.pb application/x-protobuf)" 200 "a protobuf body of 512 spans"
check "$(header Content-Type)" application/x-protobuf "the protobuf answer's Content-Type"
check "$(wc -c <out.bin)" 0 "a full success in protobuf (an empty ExportTraceServiceResponse)"
check "$(post b.json application/json)" 200 "a JSON body of 512 spans"
check "$(header Content-Type)" application/json "the JSON answer's Content-Type"
check "$(jq -c 'has("partialSuccess")' out.bin)" false "a full success in JSON has no partialSuccess"
check "$(post c3.pb.gz application/x-protobuf -H 'Content-Encoding: gzip')" 200 "a gzip protobuf body"
check "$(post c4.pb 'application/x-protobuf; charset=binary' -H 'Content-Encoding: identity')" 200 "a media type with a parameter, identity"

# --- partial success: one span with an all-zero trace id (protobuf: refused alone) -----
"$gen" --format protobuf --spans 10 --traces 2 --seed 8 --zero-ids 1 >partial.pb
check "$(post partial.pb application/x-protobuf)" 200 "a protobuf body with one bad span"
if [ -s out.bin ]; then ok; else bad "no partial_success in the protobuf answer"; fi
"$gen" --format protobuf --spans 10 --traces 2 --seed 10 --zero-ids 1 >partial2.pb
check "$(post partial2.pb application/x-protobuf -H 'Accept: application/json')" 200 "another, asking for JSON: answered in protobuf"
check "$(header Content-Type)" application/x-protobuf "the answer's encoding is the request's"
"$gen" --format json --spans 10 --traces 2 --seed 9 --zero-ids 1 >partial.json
# OTLP/JSON: a span that cannot be kept is refused alone too (partialSuccess)
check "$(post partial.json 'application/json; charset=utf-8')" 200 "a JSON body with one bad span"
check "$(jq -r .partialSuccess.rejectedSpans out.bin)" 1 "JSON: the span refused alone"
has out.bin 'trace id must be 32 hex digits'
# a start time in the year 2300 (past 2^62 ns), on a span that is not a root
"$gen" --format json --spans 10 --traces 2 --seed 11 >y2300.json
jq -c '(first(.resourceSpans[].scopeSpans[].spans[] | select((.parentSpanId // "") != "")) | .startTimeUnixNano) |= "10413792000000000000"' \
	y2300.json >y2300b.json
check "$(post y2300b.json application/json)" 200 "a JSON body with a span in the year 2300"
check "$(jq -r .partialSuccess.rejectedSpans out.bin)" 1 "the year-2300 span refused alone"
has out.bin 'startTimeUnixNano must be'

# --- 400: bodies that do not decode, each answered in its encoding ----------------------
for f in "$hostile"/*; do
	case $f in *.json) t=application/json ;; *) t=application/x-protobuf ;; esac
	check "$(post "$f" "$t")" 400 "$(basename "$f")"
	check "$(header Content-Type)" "$t" "$(basename "$f")'s answer's Content-Type"
	if [ "$t" = application/json ]; then
		check "$(jq -r .code out.bin)" 3 "$(basename "$f")'s Status code"
		if [ -n "$(jq -r .message out.bin)" ]; then ok; else bad "$(basename "$f"): no message"; fi
	else
		if [ -s out.bin ]; then ok; else bad "$(basename "$f"): no google.rpc.Status"; fi
	fi
done
head -c $(( $(wc -c <a.pb) / 2 )) a.pb >half.pb
check "$(post half.pb application/x-protobuf)" 400 "a truncated protobuf body"
head -c $(( $(wc -c <b.json) / 2 )) b.json >half.json
check "$(post half.json application/json)" 400 "a truncated JSON body"
{ printf '{"resourceSpans":'; head -c 200000 /dev/zero | tr '\0' '['; } >deep.json
check "$(post deep.json application/json)" 400 "JSON nested 200 000 deep"
check "$(post a.pb application/x-protobuf -H 'Content-Encoding: gzip')" 400 "gzip announced, not sent"
check "$(jq -r .code <(post b.json application/json -H 'Content-Encoding: gzip' >/dev/null; cat out.bin))" 3 "gzip announced over JSON: a JSON Status"

# --- 413: by Content-Length, while streaming, a gzip bomb; the server lives on ---------
head -c 5000000 /dev/zero >big.bin
check "$(post big.bin application/x-protobuf)" 413 "5 MB by Content-Length"
check "$(post big.bin application/x-protobuf -H 'Transfer-Encoding: chunked')" 413 "5 MB streamed (chunked)"
head -c 100000000 /dev/zero | gzip -c >bomb.gz
check "$(post bomb.gz application/x-protobuf -H 'Content-Encoding: gzip')" 413 "a gzip bomb (100 MB of zeros)"
check "$(post c5.pb application/x-protobuf)" 200 "a body after the large ones"

# --- 415, 404, 405 ---------------------------------------------------------------------
check "$(post c3.pb text/plain)" 415 "text/plain"
check "$(post c3.pb application/x-protobuf -H 'Content-Encoding: br')" 415 "Content-Encoding br"
check "$(curl -s -o out.bin -w '%{http_code}' -H 'Content-Type:' --data-binary @c3.pb "$(traces)")" 415 "no Content-Type"
check "$(post c3.pb 'application/json; charset=latin1')" 415 "JSON in charset latin1"
check "$(jq -r .message out.bin)" "unsupported charset: OTLP/JSON is UTF-8 (charset=utf-8, or none)" "latin1's message"
check "$(post c3.pb 'application/json; Charset="ISO-8859-1"')" 415 "JSON in charset \"ISO-8859-1\""
check "$(curl -s -o out.bin -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @b.json "$(traces /v1/metrics)")" 404 "POST /v1/metrics"
check "$(curl -s -o out.bin -D head.txt -w '%{http_code}' "$(traces)")" 405 "GET /v1/traces"
check "$(header Allow)" "POST, OPTIONS" "405's Allow"

# --- framing: Content-Length twice, or malformed (raw requests) -----------------------
# raw HEADERS BODY: a POST /v1/traces with these header lines (\r\n-separated) and body on a socket
# of its own; what came back, until the server closed (Connection: close asked), in raw.out
raw() {
	python3 - "$port" "$1" "$2" >raw.out <<-'EOF'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
	head = "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + sys.argv[2].replace("\\r\\n", "\r\n") + "\r\n"
	s.sendall(head.encode() + sys.argv[3].encode())
	out = b""
	while True:
	    d = s.recv(65536)
	    if not d:
	        break
	    out += d
	sys.stdout.write(out.decode("latin-1"))
	EOF
	head -1 raw.out | tr -d '\r' | cut -d' ' -f2
}
rawbody() { sed '1,/^\r\?$/d' raw.out; }
check "$(raw 'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n' '{}')" 400 \
	"two Content-Lengths that disagree"
check "$(rawbody | jq -r .message)" "Content-Length given twice with different values" "their google.rpc.Status"
has raw.out '^Connection: close'
check "$(raw 'Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 2\r\n' '{}')" 200 \
	"two Content-Lengths that agree"
# a malformed one: libmicrohttpd answers it itself, before obslab sees the request (receiver.h)
check "$(raw 'Content-Type: application/json\r\nContent-Length: -5\r\n' '{}')" 400 "Content-Length: -5"
has raw.out '^Connection: close'

# --- CORS ------------------------------------------------------------------------------
preflight() {
	curl -s -o /dev/null -D head.txt -w '%{http_code}' -X OPTIONS -H "Origin: $1" \
		-H 'Access-Control-Request-Method: POST' -H "Access-Control-Request-Headers: $2" "$(traces)"
}
check "$(preflight http://localhost:3000 'content-type, x-app-id')" 204 "a preflight from localhost:3000"
check "$(header Access-Control-Allow-Origin)" http://localhost:3000 "the preflight's allowed origin"
check "$(header Access-Control-Allow-Methods)" "POST, OPTIONS" "the preflight's methods"
check "$(header Access-Control-Allow-Headers)" "Content-Type, Content-Encoding, content-type, x-app-id" "the preflight's headers"
if [ -n "$(header Access-Control-Max-Age)" ]; then ok; else bad "the preflight has no Max-Age"; fi
check "$(preflight 'https://[::1]:8443' 'bad header(')" 204 "a preflight from [::1] asking for a non-token"
check "$(header Access-Control-Allow-Headers)" "Content-Type, Content-Encoding" "a non-token list is not echoed"
check "$(preflight http://evil.example 'content-type')" 204 "a preflight from evil.example"
check "$(header Access-Control-Allow-Origin)" "" "no CORS for evil.example"
check "$(preflight http://localhost.evil.example 'content-type')" 204 "a preflight from localhost.evil.example"
check "$(header Access-Control-Allow-Origin)" "" "no CORS for localhost.evil.example"
check "$(post c6.pb application/x-protobuf -H 'Origin: http://127.0.0.1:8080')" 200 "a POST from 127.0.0.1:8080"
check "$(header Access-Control-Allow-Origin)" http://127.0.0.1:8080 "the POST's allowed origin"
check "$(post c7.pb application/x-protobuf -H 'Origin: http://evil.example')" 200 "a POST from evil.example (no CORS: a browser hides the answer)"
check "$(header Access-Control-Allow-Origin)" "" "no CORS on evil.example's POST"

# --- the stop: SIGINT, the summary, --record -------------------------------------------
kill -INT "$pid"; wait "$pid"; status=$?
check "$status" 0 "receive's exit status on SIGINT"
# accepted: 512 + 512 + 5 x 40 + 4 x 9 spans (the partial ones) in 16 + 16 + 5 x 4 + 4 x 2 traces;
# refused: 9 bodies that do not decode, 3 too large, 5 x 415 + 404 + 405, 1 framing (400); 4 preflights;
# an empty body (two Content-Lengths that agree); the malformed Content-Length is libmicrohttpd's alone
has main.err '^obslab: received 36 requests, 1260 spans in 60 traces; rejected 4 spans; refused 20 requests \(0 busy, 10 bad, 3 too large, 7 unsupported\)$'
has main.err '^obslab: wrote rec\.otlp\.json: otlp, 60 traces, 1260 spans$'
check "$(jq '[.resourceSpans[].scopeSpans[].spans[]] | length' rec.otlp.json)" 1260 "spans in the record"
check "$(jq -r '[.resourceSpans[].resource.attributes[] | select(.key == "service.name") | .value.stringValue] | unique | join(",")' rec.otlp.json)" \
	"bench-service-1,bench-service-2" "services in the record"
check "$(jq '[.resourceSpans[].scopeSpans[].spans[] | select(.attributes | length == 10)] | length' rec.otlp.json)" 1260 "every span keeps its 10 attributes"

# --- 429: a full queue (the consumer held), Retry-After ---------------------------------
if OBSLAB_TEST_RECEIVE_HOLD=1 start full --listen 127.0.0.1:0 --max-queued-spans 600; then ok; else bad "receive (held) did not start: $(cat full.err)"; fi
check "$(post a.pb application/x-protobuf)" 200 "512 spans into a queue of 600"
check "$(post a.pb application/x-protobuf)" 429 "512 more: the queue is full"
check "$(header Retry-After)" 1 "429's Retry-After"
check "$(jq -r .code <(post b.json application/json >/dev/null; cat out.bin))" 8 "429 over JSON: RESOURCE_EXHAUSTED"
"$gen" --format protobuf --spans 700 --traces 2 >toomany.pb
check "$(post toomany.pb application/x-protobuf)" 413 "700 spans: more than the whole queue"

# --- 503: a request whose body ends after the stop began --------------------------------
n=$(wc -c <c3.pb)
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-protobuf\r\nContent-Length: %d\r\n\r\n' "$n" >&3
head -c 10 c3.pb >&3
kill -TERM "$pid"
for _ in $(seq 1 100); do curl -s -o /dev/null "$(traces)" || break; sleep 0.05; done # quiesced: refused
tail -c +11 c3.pb >&3
timeout 5 cat <&3 >stopping.txt
exec 3<&- 3>&-
has stopping.txt '^HTTP/1.1 503'
has stopping.txt '^Retry-After: [0-9]+'
wait "$pid"; check "$?" 0 "the held receiver's exit status"
has full.err '^obslab: received [0-9]+ requests, 512 spans in 16 traces; rejected 0 spans; refused [0-9]+ requests \([0-9]+ busy, 0 bad, 1 too large, [0-9]+ unsupported\)$'

# --- a port in use; all interfaces ------------------------------------------------------
start taken --listen 127.0.0.1:0 || bad "receive did not start: $(cat taken.err)"
"$bin" receive --listen "127.0.0.1:$port" >second.out 2>second.err
check "$?" 1 "a second receiver on the same port"
check "$(wc -l <second.err)" 1 "one line for a port in use"
has second.err "^obslab: cannot listen on 127\.0\.0\.1:$port: Address already in use$"
stop
start wide --listen 0.0.0.0:0 || bad "receive on 0.0.0.0 did not start: $(cat wide.err)"
has wide.err '^obslab: listening on all interfaces \(0\.0\.0\.0\): anyone who can reach this machine can call it$'
check "$(post c3.pb application/x-protobuf -H "Host: evil.example:$port")" 200 "on 0.0.0.0: any Host (evil.example) is answered"
check "$(post c4.pb application/x-protobuf -H 'Host: 192.168.1.20')" 200 "on 0.0.0.0: a LAN address as Host"
stop

# --- DNS rebinding: on loopback, only a Host naming loopback ------------------------------
start hosts --listen 127.0.0.1:0 || bad "receive for Host did not start: $(cat hosts.err)"
check "$(post b.json application/json -H "Host: evil.example:$port")" 403 "Host: evil.example:PORT (DNS rebinding)"
check "$(header Content-Type)" application/json "the 403's Content-Type (the request's encoding)"
check "$(jq -r .code out.bin)" 7 "the 403's google.rpc.Status code (PERMISSION_DENIED)"
check "$(jq -r .message out.bin)" \
	"forbidden: the receiver listens on loopback; Host must be localhost, 127.x.y.z or [::1]" "the 403's message"
check "$(post c3.pb application/x-protobuf -H 'Host: evil.example')" 403 "Host: evil.example, protobuf"
check "$(header Content-Type)" application/x-protobuf "a protobuf request's 403 is protobuf"
if grep -aq 'Host must be localhost' out.bin; then ok; else bad "the protobuf 403 does not say why"; fi
check "$(post c3.pb application/x-protobuf -H "Host: localhost.evil.example:$port")" 403 "Host: localhost.evil.example"
check "$(post c3.pb application/x-protobuf -H "Host: 127.0.0.1.nip.io:$port")" 403 "Host: 127.0.0.1.nip.io"
check "$(curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H "Host: evil.example:$port" -H 'Origin: http://localhost:3000' \
	-H 'Access-Control-Request-Method: POST' "$(traces)")" 403 "a preflight with Host: evil.example"
check "$(post c3.pb application/x-protobuf -H "Host: localhost:$port")" 200 "Host: localhost:PORT"
check "$(post c4.pb application/x-protobuf -H "Host: 127.0.0.1:$port")" 200 "Host: 127.0.0.1:PORT"
check "$(post c5.pb application/x-protobuf -H "Host: [::1]:$port")" 200 "Host: [::1]:PORT"
check "$(post c6.pb application/x-protobuf -H 'Host: localhost.')" 200 "Host: localhost. (no port)"
check "$(post c7.pb application/x-protobuf -H "Host: 127.3.2.1:$port")" 200 "Host: 127.3.2.1:PORT"
# RFC 9112 3.2: libmicrohttpd does not check the Host fields; the receiver does
nohost=$(python3 - "$port" <<-'EOF'
	import socket, sys
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
	s.sendall(b"POST /v1/traces HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
	out = b""
	while True:
	    d = s.recv(65536)
	    if not d:
	        break
	    out += d
	print(out.split(b" ")[1].decode() if out else "none")
	EOF
)
check "$nohost" 400 "HTTP/1.1 without Host"
check "$(raw 'Host: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\n' '{}')" 400 "two Host headers"
check "$(rawbody | jq -r .message)" "a request needs exactly one Host header" "two Hosts' google.rpc.Status"
stop
check "$status" 0 "the Host receiver's exit status"
has hosts.err '^obslab: received 12 requests, 200 spans in 20 traces; rejected 0 spans; refused 7 requests \(0 busy, 7 bad, 0 too large, 0 unsupported\)$'

# --- slow clients: 1100 connections trickling their headers (slowloris) ------------------
if ulimit -n 4096 2>/dev/null; then
	start slow --listen 127.0.0.1:0 --timeout-s 3 || bad "receive for slow clients did not start: $(cat slow.err)"
	python3 "$clients" trickle "$port" 1100 15 trickle.ready >trickle.out 2>trickle.err &
	tpid=$!
	pids+=("$tpid")
	for _ in $(seq 1 300); do [ -s trickle.ready ] && break; sleep 0.1; done
	has trickle.ready '^connected [0-9]+$'
	answered=000
	for _ in $(seq 1 30); do
		answered=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Content-Type: application/x-protobuf' --data-binary @c3.pb "$(traces)")
		[ "$answered" = 200 ] && break
		sleep 0.5
	done
	check "$answered" 200 "a POST answered while 1100 connections trickle their headers"
	wait "$tpid"
	n=$(sed -n 's/^connected //p' trickle.ready)
	check "$(cat trickle.out)" "closed $n of $n" "every trickling connection closed by the receiver"
	stop
	check "$status" 0 "the slow-client receiver's exit status"
else
	echo "SKIP: cannot raise the open files limit to 4096 for the slow clients"
fi

# --- a second signal while the forwarder drains (a second Ctrl-C, timeout(1)): ---------------
# the queue is dropped at once, and the summary and the record still come
start twice --listen 127.0.0.1:0 --forward http://127.0.0.1:1/v1/traces --record twice.otlp.json ||
	bad "receive with a dead forward target did not start: $(cat twice.err)"
check "$(post c5.pb application/x-protobuf)" 200 "a body for the dead forward target"
kill -TERM "$pid"
for _ in $(seq 1 100); do grep -q '^obslab: sending [0-9]* queued spans\{0,1\} to ' twice.err && break; sleep 0.1; done
has twice.err '^obslab: sending [0-9]+ queued spans? to http://127\.0\.0\.1:1/v1/traces \(Ctrl-C again drops them\)$'
stop
check "$status" 0 "receive's exit status after a second signal"
has twice.err '^obslab: forwarded 0 spans to http://127\.0\.0\.1:1/v1/traces; dropped 40;'
has twice.err '^obslab: received 1 request, 40 spans in 4 traces;'
has twice.err '^obslab: wrote twice\.otlp\.json: otlp, 4 traces, 40 spans$'
check "$(jq '[.resourceSpans[].scopeSpans[].spans[]] | length' twice.otlp.json)" 40 "the record written after a second signal"

# --- more traces than the store keeps (512): the summary says how many went ---------------
"$gen" --format protobuf --spans 600 --traces 600 --seed 21 >many.pb
start many --listen 127.0.0.1:0 --quiet-ms 100 --record many.otlp.json || bad "receive did not start: $(cat many.err)"
check "$(post many.pb application/x-protobuf)" 200 "600 one-span traces"
stop
has many.err '^obslab: received 1 request, 600 spans in 600 traces; .*; 88 traces evicted, the oldest first \(the store keeps 512 traces, '
has many.err '^obslab: wrote many\.otlp\.json: otlp, 512 traces, 512 spans$'

# --- the command line --------------------------------------------------------------------
"$bin" help receive >help.txt; check "$?" 0 "help receive"
has help.txt '^Usage: obslab receive'
"$bin" receive --max-queued-spans 0 2>usage.err; check "$?" 2 "--max-queued-spans 0"
"$bin" receive --format otlp 2>usage.err; check "$?" 2 "--format without --record"
"$bin" receive --record x.unknown 2>usage.err; check "$?" 2 "--record with no format"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
