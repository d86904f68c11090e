#!/usr/bin/env bash
# forward: the real binary forwarding to a real HTTP target (forward_sink.py,
# which records each POST and decodes its spans): every span of
# `obslab run --forward` arrives once, over protobuf and JSON, gzipped unless
# OTEL_EXPORTER_OTLP_COMPRESSION=none, with OTEL_EXPORTER_OTLP_HEADERS' headers
# and OTEL_SERVICE_NAME's service; OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces;
# 503 with Retry-After is retried and nothing lost; a target down for 5 s and
# back (obslab serve --forward) loses nothing; a tiny queue counts its drops;
# a target that never answers does not hold the stop; a partial success's
# rejected spans are counted; the explorer's status bar and log show the
# forwarder (tmux; at 80x24 its short form: "→ 1.2k sent", "→ retrying 4s"),
# and its quit the flush (q again drops; one line at 80x24) and the summary;
# bad URLs and protocols are usage errors (2); every request carries Via;
# two receivers forwarding to each other (A -> B -> A) keep the trace once
# each and stop the loop (Via); credentials in the URL are never printed.
# Usage: forward_test.sh OBSLAB SOURCE_DIR
bin=$1
here=$2
. "$here/serve_lib.sh"
needs python3 curl
sink_py=$here/forward_sink.py

# sink NAME [ARGS...]: forward_sink.py in the background recording into
# NAME/; sets sink_pid and sink_port (false if it did not start).
sink() {
	local name=$1; shift
	mkdir -p "$name"
	rm -f "$name/port"
	python3 "$sink_py" --dir "$name" --port-file "$name/port" "$@" 2>"$name/sink.err" &
	sink_pid=$!
	pids+=("$sink_pid")
	for _ in $(seq 1 300); do
		[ -s "$name/port" ] && { sink_port=$(cat "$name/port"); return 0; }
		kill -0 "$sink_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
sink_stop() { kill -TERM "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; }
spans_in() { [ -f "$1/spans.txt" ] && wc -l <"$1/spans.txt" | tr -d ' ' || echo 0; }
unique_in() { [ -f "$1/spans.txt" ] && cut -d' ' -f1,2 "$1/spans.txt" | sort -u | wc -l | tr -d ' ' || echo 0; }
recorded() { sed -n 's/^  spans recorded \([0-9]*\), dropped.*/\1/p' "$1"; }

# 1. run --forward, protobuf (the default) and JSON: every span once, gzip, headers, service
for proto in http/protobuf http/json; do
	d=run_${proto#http/}
	sink "$d" || { bad "$d: the sink did not start"; continue; }
	OTEL_EXPORTER_OTLP_PROTOCOL=$proto OTEL_EXPORTER_OTLP_HEADERS="x-api-key=s3cr%20et,X-Tenant=lab" \
		OTEL_SERVICE_NAME=checkout "$bin" run --db :memory: --requests 5 \
		--forward "http://127.0.0.1:$sink_port/v1/traces" >"$d.out" 2>"$d.err"
	check "$?" 0 "$d: exit status"
	n=$(recorded "$d.out")
	check "$(spans_in "$d")" "$n" "$d: spans delivered (the run recorded $n)"
	check "$(unique_in "$d")" "$n" "$d: each span once"
	has "$d.err" "^obslab: forwarded $n spans to http://127.0.0.1:$sink_port/v1/traces; dropped 0; retried 0$"
	[ -s "$d/errors.txt" ] && bad "$d: the sink could not decode: $(cat "$d/errors.txt")" || ok
	h=$(cat "$d"/req-*.headers)
	grep -q "^content-encoding: gzip" <<<"$h" && ok || bad "$d: no gzip Content-Encoding"
	grep -q "^x-api-key: s3cr et$" <<<"$h" && ok || bad "$d: OTEL_EXPORTER_OTLP_HEADERS' x-api-key did not arrive"
	grep -q "^x-tenant: lab$" <<<"$h" && ok || bad "$d: x-tenant did not arrive"
	grep -q "^user-agent: obslab/" <<<"$h" && ok || bad "$d: no obslab User-Agent"
	grep -Eq "^via: 1\.1 obslab-[0-9a-f]{16}$" <<<"$h" && ok || bad "$d: no 'Via: 1.1 obslab-<id>'"
	if [ "$proto" = http/json ]; then
		grep -q "^content-type: application/json" <<<"$h" && ok || bad "$d: not application/json"
	else
		grep -q "^content-type: application/x-protobuf" <<<"$h" && ok || bad "$d: not application/x-protobuf"
	fi
	check "$(cut -d' ' -f3 "$d/spans.txt" | sort -u)" checkout "$d: service.name from OTEL_SERVICE_NAME"
	sink_stop
done

# 2. the base endpoint gets /v1/traces; no compression when asked; the default service name
sink base || bad "base: the sink did not start"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_COMPRESSION=none \
	OTEL_EXPORTER_OTLP_PROTOCOL=http/json "$bin" run --db :memory: --requests 2 >base.out 2>base.err
check "$?" 0 "base: exit status"
has base.err "forwarded $(recorded base.out) spans to http://127.0.0.1:$sink_port/v1/traces;"
check "$(spans_in base)" "$(recorded base.out)" "base: spans delivered"
grep -q "^content-encoding" base/req-*.headers && bad "base: compressed though none was asked" || ok
check "$(cut -d' ' -f3 base/spans.txt | sort -u)" obslab-lab "base: the default service.name"
sink_stop

# 3. 503 with Retry-After for the first two requests: retried, nothing lost
sink busy --fail 2 --retry-after 1 || bad "busy: the sink did not start"
"$bin" run --db :memory: --requests 3 --forward "http://127.0.0.1:$sink_port/v1/traces" >busy.out 2>busy.err
check "$?" 0 "busy: exit status"
n=$(recorded busy.out)
check "$(unique_in busy)" "$n" "busy: every span after the 503s"
check "$(spans_in busy)" "$n" "busy: none twice"
check "$(wc -l <busy/refused.txt | tr -d ' ')" 2 "busy: the sink refused two"
has busy.err "forwarded $n spans .*; dropped 0; retried 2$"
sink_stop

# 4. the target down for 5 s, then back on the same port: obslab serve --forward retries, loses nothing
sink down || bad "down: the sink did not start"
dport=$sink_port
sink_stop
db=$work/lab.db
if start down --db "$db" --listen 127.0.0.1:0 --record down.otlp.json --forward "http://127.0.0.1:$dport/v1/traces"; then
	for _ in 1 2 3 4; do curl -s -o /dev/null "$(url /users/analytics)"; done
	# the forwarder meets a closed port (connection refused) and backs off; 5 s later the target is back
	sleep 5
	sink down --port "$dport" || bad "down: the sink did not come back on port $dport"
	traces_in() { [ -f down/spans.txt ] && cut -d' ' -f1 down/spans.txt | sort -u | wc -l | tr -d ' ' || echo 0; }
	for _ in $(seq 1 600); do # the four traces, retried
		[ "$(traces_in)" -ge 4 ] && break
		sleep 0.1
	done
	check "$(traces_in)" 4 "down: the four traces after the outage"
	stop
	check "$status" 0 "down: serve's exit status"
	python3 - down.otlp.json >down.want <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for rs in doc["resourceSpans"]:
    for ss in rs["scopeSpans"]:
        for sp in ss["spans"]:
            print(sp["traceId"], sp["spanId"])
PY
	cut -d' ' -f1,2 down/spans.txt | sort >down.got
	sort down.want >down.want.sorted
	want=$(wc -l <down.want | tr -d ' ')
	[ "$want" -gt 0 ] && ok || bad "down: the record holds no spans"
	check "$(sort -u down.got | wc -l | tr -d ' ')" "$want" "down: spans delivered after the outage"
	check "$(wc -l <down.got | tr -d ' ')" "$want" "down: none twice"
	if cmp -s down.got down.want.sorted; then ok; else bad "down: the delivered spans are not the recorded ones"; fi
	has down.err "^obslab: forwarded $want spans to .*; dropped 0; retried [1-9]"
else
	bad "down: serve did not start: $(cat down.err)"
fi
sink_stop

# 5. a tiny queue and a target that never answers: drops counted, the stop bounded (5 s flush)
sink hang --hang || bad "hang: the sink did not start"
OBSLAB_FORWARD_MAX_QUEUE_SPANS=30 timeout 60 "$bin" run --db :memory: --requests 5 \
	--forward "http://127.0.0.1:$sink_port/v1/traces" >hang.out 2>hang.err
check "$?" 0 "hang: exit status (124: the stop hung)"
n=$(recorded hang.out)
# the request the stop cut short went out whole: its spans timed out (the endpoint may have them), the rest dropped
has hang.err "^obslab: forwarded 0 spans to .*; dropped [0-9]+; retried 0; [1-9][0-9]* spans? timed out \(the endpoint may have received them\); last error: stopped while waiting for the answer"
d=$(sed -n 's/.*; dropped \([0-9]*\);.*/\1/p' hang.err) t=$(sed -n 's/.*; \([0-9]*\) spans\{0,1\} timed out.*/\1/p' hang.err)
check "$((d + t))" "$n" "hang: dropped and timed out add up to the spans recorded"
grep -q "aborted by an application callback" hang.err && bad "hang: libcurl's abort shown as the cause" || ok
sink_stop

# 5a. receive --forward to a target that holds the request: the stop cuts it (the forwarder's 5 s,
# woken at the stop, not at libcurl's next progress call) and receive exits; 60 s is a guard only
sink hang2 --hang || bad "hang2: the sink did not start"
"$bin" receive --listen 127.0.0.1:0 --forward "http://127.0.0.1:$sink_port/v1/traces" 2>hang2.err &
rx=$!
pids+=("$rx")
rxport=
for _ in $(seq 1 300); do
	rxport=$(sed -n 's|^obslab: receiving OTLP on http://127.0.0.1:\([0-9]*\)/v1/traces; Ctrl-C stops$|\1|p' hang2.err)
	[ -n "$rxport" ] && break; sleep 0.1
done
span='{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"held","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}'
check "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$span" "http://127.0.0.1:$rxport/v1/traces")" 200 "hang2: the span received"
for _ in $(seq 1 300); do [ -s hang2/hung.txt ] && break; sleep 0.1; done # the forwarder's request is held
[ -s hang2/hung.txt ] && ok || bad "hang2: the forwarder's request never reached the sink"
kill -TERM "$rx"
for _ in $(seq 1 600); do kill -0 "$rx" 2>/dev/null || break; sleep 0.1; done
kill -0 "$rx" 2>/dev/null && { bad "hang2: receive still running 60 s after SIGTERM"; kill -KILL "$rx"; }
wait "$rx"
check "$?" 0 "hang2: receive's exit status on SIGTERM"
has hang2.err "^obslab: forwarded 0 spans to .*; dropped 0; retried 0; 1 span timed out \(the endpoint may have received them\); last error: stopped while waiting for the answer \(the endpoint may have received them\)$"
has hang2.err "^obslab: received 1 request, 1 span in 1 trace;"
sink_stop

# 5b. a dead target at the stop: the real cause is kept ("stopped while retrying: Couldn't connect")
dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
timeout 60 "$bin" run --db :memory: --requests 2 --forward "http://127.0.0.1:$dead/v1/traces" >dead.out 2>dead.err
check "$?" 0 "dead: exit status"
has dead.err "^obslab: forwarded 0 spans to .*; dropped [1-9][0-9]*; retried [0-9]+; last error: (stopped while retrying: )?Couldn't connect to server$"

# 5c. credentials in the URL are never printed (userinfo and query values masked)
sink cred || bad "cred: the sink did not start"
"$bin" run --db :memory: --requests 1 --forward "http://user:s3cret@127.0.0.1:$sink_port/v1/traces?key=s3cret" \
	>cred.out 2>cred.err
check "$?" 0 "cred: exit status"
has cred.err "^obslab: forwarded [1-9][0-9]* spans to http://\*\*\*@127\.0\.0\.1:$sink_port/v1/traces\?key=\*\*\*; dropped 0"
grep -q s3cret cred.err && bad "cred: the password was printed: $(cat cred.err)" || ok
sink_stop
"$bin" run --db :memory: --requests 1 --forward "http://user:s3cret@127.0.0.1:$dead/v1/traces" >cred2.out 2>cred2.err
grep -q s3cret cred2.err && bad "cred: the password was printed on failure: $(cat cred2.err)" || ok
"$bin" receive --listen "127.0.0.1:$dead" --forward "http://user:s3cret@localhost:$dead/v1/traces" >cred3.out 2>cred3.err
check "$?" 2 "cred: receive forwarding to itself"
has cred3.err "^obslab: --forward http://\*\*\*@localhost:$dead/v1/traces is this receiver's own address"
grep -q s3cret cred3.err && bad "cred: the password was printed by the self check" || ok

# 6. compare forwards too
sink cmp || bad "cmp: the sink did not start"
"$bin" compare --db :memory: --requests 1 --forward "http://127.0.0.1:$sink_port/v1/traces" >cmp.out 2>cmp.err
check "$?" 0 "compare: exit status"
has cmp.err "^obslab: forwarded [1-9][0-9]* spans to .*; dropped 0"
got=$(sed -n 's/^obslab: forwarded \([0-9]*\) spans.*/\1/p' cmp.err)
check "$(unique_in cmp)" "$got" "compare: every span it says it forwarded"
sink_stop

# 7. a partial success: the spans the endpoint says it rejected are counted dropped, with its reason
for proto in http/protobuf http/json; do
	d=partial_${proto#http/}
	sink "$d" --reject 3 || bad "$d: the sink did not start"
	OTEL_EXPORTER_OTLP_PROTOCOL=$proto "$bin" run --db :memory: --requests 1 \
		--forward "http://127.0.0.1:$sink_port/v1/traces" >"$d.out" 2>"$d.err"
	check "$?" 0 "$d: exit status"
	n=$(recorded "$d.out")
	reqs=$(ls "$d"/req-*.headers | wc -l | tr -d ' ')
	has "$d.err" "^obslab: forwarded $((n - 3 * reqs)) spans to .*; dropped $((3 * reqs)); retried 0; last error: the endpoint rejected 3 span\(s\): span too old$"
	sink_stop
done

# 8. the explorer: the status bar shows the forwarder, the log its changes; spans arrive; a lost target shows
if command -v tmux >/dev/null; then
	sock=fwd$$
	tmx() { tmux -L "$sock" "$@"; }
	sink ui || bad "ui: the sink did not start"
	uport=$sink_port
	LC_ALL=C.UTF-8 tmx -u -f /dev/null new-session -d -x 160 -y 30 -s t \
		"env TZ=UTC LC_ALL=C.UTF-8 $bin --db $work/ui.db --forward http://127.0.0.1:$uport/v1/traces; echo EXIT=\$?; sleep 600"
	tmx set-option -t t -g status off
	shown() { # shown REGEX: true once the screen matches
		for _ in $(seq 1 300); do tmx capture-pane -p -t t 2>/dev/null | grep -Eq -- "$1" && return 0; sleep 0.1; done
		return 1
	}
	shown "→ collector: connected · [0-9.]+k? sent" && ok || bad "ui: no 'connected' in the status bar: $(tmx capture-pane -p -t t | head -2)"
	shown "collector connected, [0-9]+ spans sent" && ok || bad "ui: no log line on connecting"
	[ "$(spans_in ui)" -gt 0 ] && ok || bad "ui: no span arrived"
	# at 80x24 its short form, between the lab's segments and "live"
	tmx resize-window -t t -x 80 -y 24
	shown "^ obslab │ .* │ → [0-9.]+k? sent │ ● live *$" && ok || bad "ui: no short 'sent' at 80x24: $(tmx capture-pane -p -t t | head -1)"
	tmx capture-pane -p -t t | head -1 | grep -q collector && bad "ui: the long form at 80x24" || ok
	tmx resize-window -t t -x 160 -y 30
	sink_stop
	shown "→ collector: retrying in [0-9]+s" && ok || bad "ui: no 'retrying' once the target is gone: $(tmx capture-pane -p -t t | head -1)"
	shown "WARN +collector: Couldn't connect" && ok || bad "ui: no log line on retrying"
	tmx resize-window -t t -x 80 -y 24
	shown "^ obslab │ .* │ → retrying [0-9]+s( . dropped [0-9.]+k?)? │ ● live *$" && ok ||
		bad "ui: no short 'retrying' at 80x24: $(tmx capture-pane -p -t t | head -1)"
	tmx resize-window -t t -x 160 -y 30
	tmx send-keys -t t q
	# the flush is shown, a second q drops what is left, the summary follows the terminal's restoring
	shown "sending [0-9]+ queued spans? to http://127\.0\.0\.1:$uport/v1/traces… \(q again to drop them\)" && ok ||
		bad "ui: no flush message on quitting: $(tmx capture-pane -p -t t | grep -v '^$' | head -3)"
	# at 80x24 it fits its line: the URL shortened in its middle, the keys whole, nothing wrapped
	tmx resize-window -t t -x 80 -y 24
	shown "^  sending [0-9]+ queued spans? to http://127\.[0-9.]*….*traces… \(q again to drop them\) *$" && ok ||
		bad "ui: the flush message does not fit 80 columns: $(tmx capture-pane -p -t t | grep -v '^$' | head -3)"
	[ "$(tmx capture-pane -p -t t | grep -cv '^ *$')" = 1 ] && ok ||
		bad "ui: the flush message takes more than one line: $(tmx capture-pane -p -t t | grep -v '^$' | head -3)"
	tmx send-keys -t t q
	shown "EXIT=0" && ok || bad "ui: the explorer did not end with 0 (the stop's flush is bounded)"
	tmx capture-pane -p -J -t t -S -50 >ui.screen
	has ui.screen "^obslab: forwarded [1-9][0-9]* spans to http://127\.0\.0\.1:$uport/v1/traces; dropped [1-9][0-9]*; retried [1-9]"
	tmx kill-server 2>/dev/null
else
	echo "SKIP: tmux is not installed (the explorer's status bar)"
fi

# 9. bad URLs, protocols and headers: usage errors, before anything runs
for u in ftp://x/v1/traces localhost:4318 "http://" "http://a b/" "http://127.0.0.1:/v1/traces" "http://127.0.0.1:0/v1/traces"; do
	"$bin" run --db :memory: --requests 1 --forward "$u" >bad.out 2>bad.err
	check "$?" 2 "--forward '$u'"
	has bad.err "^obslab: --forward "
	[ -s bad.out ] && bad "--forward '$u' ran anyway" || ok
done
"$bin" --forward nonsense >bad.out 2>bad.err </dev/null
check "$?" 2 "the explorer's --forward nonsense"
OTEL_EXPORTER_OTLP_PROTOCOL=grpc "$bin" run --db :memory: --requests 1 --forward http://127.0.0.1:1/v1/traces >bad.out 2>bad.err
check "$?" 2 "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"
has bad.err "OTLP/HTTP only"
OTEL_EXPORTER_OTLP_HEADERS=$'a=1\r\nX-Evil: 1' "$bin" run --db :memory: --requests 1 --forward http://127.0.0.1:1/v1/traces >bad.out 2>bad.err
check "$?" 2 "a header with CR/LF"
check "$(wc -l <bad.err | tr -d ' ')" 1 "a header with CR/LF: one line"
OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318 "$bin" serve --db "$work/bad.db" >bad.out 2>bad.err
check "$?" 2 "serve with OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318"
absent "$work/bad.db" "serve refused for its endpoint"

# 10. a forwarding loop: A --forward B, B --forward A; one 11-span trace posted to A is kept once in each,
# the loop ends when it comes back to A (Via names A), nothing grows afterwards
rxl() { # rxl NAME PORT ARGS...: obslab receive on 127.0.0.1:PORT in the background; pid in rx_pid
	local name=$1 p=$2; shift 2
	"$bin" receive --listen "127.0.0.1:$p" --quiet-ms 300 --record "$name.otlp.json" "$@" 2>"$name.err" &
	rx_pid=$!
	pids+=("$rx_pid")
	for _ in $(seq 1 300); do grep -q "^obslab: receiving OTLP" "$name.err" 2>/dev/null && return 0
		kill -0 "$rx_pid" 2>/dev/null || return 1; sleep 0.1; done
	return 1
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
loop_started=
for _ in 1 2 3; do # another program may take a probed port meanwhile: try again
	pa=$(free_port) pb=$(free_port)
	[ "$pa" = "$pb" ] && continue
	rxl loopA "$pa" --forward "http://127.0.0.1:$pb/v1/traces" || continue
	apid=$rx_pid
	rxl loopB "$pb" --forward "http://127.0.0.1:$pa/v1/traces" || { kill "$apid"; wait "$apid"; continue; }
	bpid=$rx_pid loop_started=1
	break
done
if [ -n "$loop_started" ]; then
	python3 - >trace11.json <<'PY'
import json
tid = "5b8efff798038103d269b633813fc60c"
spans = [{"traceId": tid, "spanId": "%016x" % (i + 1), "name": "op%d" % i, "kind": 2,
          "startTimeUnixNano": str(1700000000000000000 + i * 1000), "endTimeUnixNano": str(1700000000000900000),
          **({"parentSpanId": "%016x" % 1} if i else {})} for i in range(11)]
print(json.dumps({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "loop"}}]},
                                     "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]}]}))
PY
	check "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @trace11.json \
		"http://127.0.0.1:$pa/v1/traces")" 200 "loop: the trace posted to A"
	for _ in $(seq 1 300); do grep -q "forwarding loop" loopA.err && break; sleep 0.1; done
	has loopA.err "^obslab: spans came back through a forwarding loop \(their Via names this receiver\): not kept or forwarded again$"
	# no growth: 5 s more, then both stop and count
	sleep 5
	kill -TERM "$apid" "$bpid"; wait "$apid"; sa=$?; wait "$bpid"; sb=$?
	check "$sa/$sb" 0/0 "loop: both receivers' exit status"
	has loopA.err "^obslab: received 2 requests, 11 spans in 1 trace;" # the second: its own trace, back
	has loopB.err "^obslab: received 1 request, 11 spans in 1 trace;"
	has loopA.err "^obslab: 1 batch \(11 spans\) not kept or forwarded again: they had passed through here \(Via\)$"
	has loopA.err "^obslab: forwarded 11 spans to http://127\.0\.0\.1:$pb/v1/traces; dropped 0; retried 0$"
	has loopB.err "^obslab: forwarded 11 spans to http://127\.0\.0\.1:$pa/v1/traces; dropped 0; retried 0$"
	for r in loopA loopB; do
		check "$(jq '[.resourceSpans[].scopeSpans[].spans[]] | length' "$r.otlp.json")" 11 "loop: spans in $r's record"
		check "$(jq -r '[.resourceSpans[].scopeSpans[].spans[].spanId] | unique | length' "$r.otlp.json")" 11 "loop: $r's span ids once"
	done
	# more than 8 proxies on its way: kept, not forwarded
	rxl hops "$pa" --forward "http://127.0.0.1:$pb/v1/traces" && hpid=$rx_pid || bad "hops: receive did not start"
	via="1.1 a, 1.1 b, 1.1 c, 1.1 d, 1.1 e, 1.1 f, 1.1 g, 1.1 h, 1.1 i"
	check "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H "Via: $via" \
		--data-binary @trace11.json "http://127.0.0.1:$pa/v1/traces")" 200 "hops: a trace with 9 Via entries"
	kill -TERM "$hpid"; wait "$hpid"
	has hops.err "^obslab: received 1 request, 11 spans in 1 trace;"
	has hops.err "^obslab: 1 batch not forwarded: their Via names more than 8 proxies or passes 1024 bytes$"
	has hops.err "^obslab: forwarded 0 spans to .*; dropped 0; retried 0$"
else
	bad "loop: the two receivers did not start: $(cat loopA.err loopB.err 2>/dev/null)"
fi

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
