#!/usr/bin/env bash
# Live OpenTelemetry with real clients (issue 16): the OpenTelemetry
# JavaScript SDK from npm (tests/node/otlp_send.js: three services, statuses,
# events, links, typed attributes, span kinds, an N+1 of PostgreSQL spans)
# sends to obslab receive, and obslab forwards to a second obslab and to a
# small Node receiver decoding with OpenTelemetry's own protobuf definitions
# (tests/node/otlp_sink.js).
#  (a) over protobuf, JSON and protobuf with gzip: every span the SDK sent is
#      in the record (--format otlp) once, equal in every field (resource,
#      scope, ids, name, kind, times, status, attributes with their types,
#      events, links: tests/node/compare_otlp.js), the summary line counts
#      them, and obslab report names the N+1;
#  (b) bad payloads with the SDK's content types each get their status;
#  (c) receive --forward to a second receive: every span once at the second,
#      unchanged; run --forward to the Node sink (and the OTEL_EXPORTER_OTLP_*
#      variables): every span once, service.name obslab-lab (or
#      OTEL_SERVICE_NAME), the headers sent; the sink down for 5 s, then up
#      again on its port: retried, nothing lost; answering 503 with
#      Retry-After: retried after it; a small forward queue
#      (OBSLAB_FORWARD_MAX_QUEUE_SPANS=5) with the sink down: the drops counted
#      in the summary line, the rest arrive once it is up.
# Installs the SDK from the npm registry into the build directory once (the
# directory files_test.sh and foreign_test.sh use).
# Usage: otlp_node_test.sh PATH/TO/obslab SOURCE_DIR WORK_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
node_dir="$(realpath "$3")/node-checks"
. "$src/tests/serve_lib.sh" # work (cd'd into), pids killed at exit, ok, bad, check, has, needs
. "$src/tests/otlp_lib.sh"  # node_install, rx, sink, stop_pid, free_port, lines_at_least
needs node npm jq curl
node_install || { bad "npm install"; echo "$passed passed, $failed failed"; exit 1; }
send() { node "$node_dir/otlp_send.js" "$@"; }
compare() { node "$node_dir/compare_otlp.js" same "$1" "$2" >compare.out 2>&1; }
summary() { grep '^obslab: received ' "$1" | tail -1; }
# The lines of a sink's file that are no other line's (trace id, span id).
uniq_spans() { jq -r '.traceId + " " + .spanId' "$1" | sort | uniq | wc -l; }

# --- (a) protobuf, JSON, gzip: every field arrives ------------------------------------------
for mode in proto json gzip; do
	proto=$mode extra=()
	[ $mode = gzip ] && proto=proto extra=(--gzip)
	if ! rx "rx-$mode" --record "rec-$mode.json" --format otlp; then
		bad "$mode: obslab receive did not start: $(head -3 "rx-$mode.err")"
		continue
	fi
	if send "$proto" "http://127.0.0.1:$rx_port/v1/traces" "${extra[@]}" >"sent-$mode.json" 2>"send-$mode.err"; then ok
	else bad "$mode: the SDK's export failed: $(head -3 "send-$mode.err")"; fi
	stop_pid "$rx_pid"
	check "$status" 0 "$mode: receive's exit status at SIGTERM"
	jq -e '.sent.spans | length == 22' "sent-$mode.json" >/dev/null && ok || bad "$mode: the SDK did not send 22 spans"
	[ -s "rec-$mode.json" ] && ok || bad "$mode: no record written"
	if compare "sent-$mode.json" "rec-$mode.json"; then ok
	else bad "$mode: the record is not what the SDK sent: $(grep FAIL compare.out | head -4)"; fi
	# the types, said plainly (compare_otlp.js checks them all)
	jq -e '[.resourceSpans[].scopeSpans[].spans[] | select(.name == "GET /api/orders/summary")][0].attributes
	  | from_entries as $a | ($a["app.cache.hit_ratio"].doubleValue == 0.25)
	  and ($a["http.response.status_code"].intValue | tostring) == "200"
	  and $a["app.feature.batching"].boolValue == false
	  and [$a["app.user.roles"].arrayValue.values[].stringValue] == ["admin", "buyer"]
	  and ([$a["app.retry.backoff_ms"].arrayValue.values[].intValue | tostring] == ["10", "20", "40"])' \
		"rec-$mode.json" >/dev/null 2>&1 && ok || bad "$mode: the root's typed attributes are not in the record as sent"
	jq -e '[.resourceSpans[] | .resource.attributes[] | select(.key == "service.name") | .value.stringValue] | unique == ["inventory", "mailer", "shop-api"]' \
		"rec-$mode.json" >/dev/null 2>&1 && ok || bad "$mode: the record's services are not shop-api, inventory, mailer"
	line=$(summary "rx-$mode.err")
	grep -Eq '(^|[^0-9])22 spans' <<<"$line" && grep -Eq '(^|[^0-9])3 traces' <<<"$line" && ok ||
		bad "$mode: the summary line does not count 22 spans, 3 traces: '$line'"
	if "$bin" report "rec-$mode.json" >"report-$mode.txt" 2>&1; then ok; else bad "$mode: report failed: $(head -2 "report-$mode.txt")"; fi
	grep -Eq 'N\+1.*SELECT count\(\*\) FROM orders WHERE user_id = \?' "report-$mode.txt" && ok ||
		bad "$mode: report names no N+1 on the orders query: $(grep -A2 findings "report-$mode.txt" | head -3)"
	grep -q 'shop-api' "report-$mode.txt" && grep -q 'mailer' "report-$mode.txt" && ok || bad "$mode: report does not name the services"
done

# --- (b) bad payloads, with the SDK's content types -----------------------------------------
if rx rx-bad; then
	post() { # TYPE BODY-FILE [CURL-ARGS...]: the status, the body in post.out, the headers in post.hdr
		local type=$1 body=$2; shift 2
		curl -s -o post.out -D post.hdr -w '%{http_code}' -H "Content-Type: $type" "$@" --data-binary "@$body" \
			"http://127.0.0.1:$rx_port/v1/traces"
	}
	printf '\x0a\xff\xff\xff\xff\x0f\x0a' >cut.bin # a resourceSpans 4 GiB long, 1 byte there
	check "$(post application/x-protobuf cut.bin)" 400 "a protobuf body cut short"
	printf '{"resourceSpans": [{"scopeSpans": [' >cut.json
	check "$(post application/json cut.json)" 400 "a JSON body cut short"
	printf 'not gzip at all' >notgz.bin
	check "$(post application/x-protobuf notgz.bin -H 'Content-Encoding: gzip')" 400 "Content-Encoding: gzip on a body that is not"
	check "$(post text/plain cut.json)" 415 "text/plain"
	: >empty.bin
	check "$(post application/x-protobuf empty.bin)" 200 "an empty ExportTraceServiceRequest"
	grep -qi '^content-type: application/x-protobuf' post.hdr && ok || bad "a protobuf request is not answered in protobuf: $(cat post.hdr)"
	# one span of two with a trace id of 3 bytes, encoded with OpenTelemetry's
	# own definitions: the other accepted, this one counted in partial_success
	if node "$node_dir/otlp_sink.js" --encode-bad-span sent-json.json >partial.bin 2>partial.err; then
		check "$(post application/x-protobuf partial.bin)" 200 "a request with one bad span"
		node "$node_dir/otlp_sink.js" --decode-response post.out >partial.out 2>&1
		jq -e '(.partialSuccess.rejectedSpans | tonumber) == 1 and (.partialSuccess.errorMessage | length) > 0' partial.out >/dev/null 2>&1 && ok ||
			bad "partial_success does not count the 1 rejected span: $(head -c 300 partial.out)"
	else
		bad "the request with one bad span was not encoded: $(cat partial.err)"
	fi
	stop_pid "$rx_pid"
	check "$status" 0 "receive's exit status after bad payloads"
else
	bad "obslab receive did not start for the bad payloads: $(head -3 rx-bad.err)"
fi

# --- (c) forwarding ----------------------------------------------------------------------
# receive A --forward receive B: every span once at B, as the SDK sent it.
if rx rx-b --record rec-b.json --format otlp && b_pid=$rx_pid b_port=$rx_port &&
	rx rx-a --forward "http://127.0.0.1:$b_port/v1/traces"; then
	send proto "http://127.0.0.1:$rx_port/v1/traces" >sent-fwd.json 2>send-fwd.err && ok || bad "forward: the SDK's export to A failed: $(head -3 send-fwd.err)"
	stop_pid "$rx_pid"
	check "$status" 0 "forward: A's exit status"
	stop_pid "$b_pid"
	check "$status" 0 "forward: B's exit status"
	if compare sent-fwd.json rec-b.json; then ok
	else bad "forward: B's record is not what the SDK sent A, once each: $(grep FAIL compare.out | head -4)"; fi
	grep -Eq '(^|[^0-9])22 spans' <<<"$(summary rx-b.err)" && ok || bad "forward: B's summary does not count 22 spans: $(summary rx-b.err)"
else
	bad "forward: the two receivers did not start: $(head -2 rx-b.err rx-a.err 2>/dev/null | tr '\n' ' ')"
fi

# run --forward to the Node sink: every span once, service.name obslab-lab.
if sink s-run; then
	if "$bin" run --requests 3 --users 20 --rtt-us 0 --db lab.db --forward "http://127.0.0.1:$sink_port/v1/traces" >run.out 2>run.err; then ok
	else bad "run --forward failed: $(tail -3 run.err)"; fi
	lines_at_least s-run.jsonl 1 10
	n=$(wc -l <s-run.jsonl)
	check "$(uniq_spans s-run.jsonl)" "$n" "run --forward: spans received more than once"
	check "$(jq -r .traceId s-run.jsonl | sort -u | wc -l)" 3 "run --forward: traces at the sink"
	check "$(jq -r 'select(.parentSpanId == "") | .name' s-run.jsonl | sort | uniq -c | awk '{$1 = $1; print}')" "3 GET /users/analytics" "run --forward: the roots"
	# 20 users, naive: the users query and 20 order counts under each root
	check "$(jq -r 'select(.attributes["db.query.text"].string // "" | test("count")) | .traceId' s-run.jsonl | sort | uniq -c | awk '{print $1}' | sort -u)" 20 \
		"run --forward: order-count queries per trace"
	check "$(jq -r .service s-run.jsonl | sort -u)" obslab-lab "run --forward: service.name"
	jq -s -e 'map(select(.status == 200)) | length > 0 and all(.type == "application/x-protobuf")' s-run.req >/dev/null && ok || bad "run --forward: not OTLP/protobuf: $(head -2 s-run.req)"
	stop_pid "$sink_pid"
else
	bad "the Node sink did not start: $(cat s-run.out)"
fi

# The standard variables instead of --forward: the endpoint (/v1/traces added),
# JSON, a header for authentication, the service's name.
if sink s-env; then
	if OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$sink_port" OTEL_EXPORTER_OTLP_PROTOCOL=http/json \
		OTEL_EXPORTER_OTLP_HEADERS='authorization=Bearer%20lab-token,x-team=shop' OTEL_SERVICE_NAME=my-lab \
		"$bin" run --requests 2 --users 20 --rtt-us 0 --db lab.db >env.out 2>env.err; then ok
	else bad "run with OTEL_EXPORTER_OTLP_ENDPOINT failed: $(tail -3 env.err)"; fi
	lines_at_least s-env.jsonl 1 10
	check "$(jq -r .traceId s-env.jsonl | sort -u | wc -l)" 2 "OTEL_EXPORTER_OTLP_ENDPOINT: traces at the sink"
	check "$(jq -r .service s-env.jsonl | sort -u)" my-lab "OTEL_SERVICE_NAME: service.name"
	jq -s -e 'map(select(.status == 200)) | length > 0 and all(.type == "application/json" and .headers.authorization == "Bearer lab-token" and .headers["x-team"] == "shop")' \
		s-env.req >/dev/null && ok || bad "OTEL_EXPORTER_OTLP_PROTOCOL/HEADERS: not JSON with the headers: $(head -2 s-env.req)"
	stop_pid "$sink_pid"
else
	bad "the Node sink did not start: $(cat s-env.out)"
fi

# The sink down for 5 s, then up again on the same port: retried, nothing lost.
down_port=$(free_port)
if rx rx-down --forward "http://127.0.0.1:$down_port/v1/traces"; then
	send proto "http://127.0.0.1:$rx_port/v1/traces" >sent-down.json 2>send-down.err && ok || bad "down: the SDK's export failed: $(head -3 send-down.err)"
	sleep 5 # the sink is down for this long while obslab holds the spans
	if sink s-down --port "$down_port"; then
		lines_at_least s-down.jsonl 22 60 && ok || bad "down: $(wc -l <s-down.jsonl) of 22 spans reached the sink after it came back"
		check "$(uniq_spans s-down.jsonl)" "$(wc -l <s-down.jsonl)" "down: spans received more than once"
		check "$(jq -r '.sent.spans[] | .traceId + " " + .spanId' sent-down.json | sort | comm -3 - <(jq -r '.traceId + " " + .spanId' s-down.jsonl | sort) | wc -l)" 0 \
			"down: the spans at the sink are not those the SDK sent"
		stop_pid "$rx_pid"
		check "$status" 0 "down: receive's exit status"
		line=$(grep '^obslab: forwarded ' rx-down.err | tail -1)
		grep -Eq 'retried [1-9]' <<<"$line" && ok || bad "down: the forwarder's summary does not count its retries: '$line'"
		grep -Eq 'dropped 0($|[^0-9])' <<<"$line" && ok || bad "down: the forwarder's summary counts drops: '$line'"
		stop_pid "$sink_pid"
	else
		bad "down: the sink did not start again on port $down_port: $(cat s-down.out)"
	fi
else
	bad "down: obslab receive --forward did not start: $(head -3 rx-down.err)"
fi

# 503 with Retry-After: 2 for 3 s from the first request: retried after it, nothing lost.
if sink s-busy --busy-ms 3000 --retry-after 2 && rx rx-busy --forward "http://127.0.0.1:$sink_port/v1/traces"; then
	send json "http://127.0.0.1:$rx_port/v1/traces" >sent-busy.json 2>send-busy.err && ok || bad "busy: the SDK's export failed: $(head -3 send-busy.err)"
	lines_at_least s-busy.jsonl 22 60 && ok || bad "busy: $(wc -l <s-busy.jsonl) of 22 spans reached the sink after its 503s"
	check "$(uniq_spans s-busy.jsonl)" "$(wc -l <s-busy.jsonl)" "busy: spans received more than once"
	jq -s -e 'any(.[]; .status == 503)' s-busy.req >/dev/null && ok || bad "busy: the sink never answered 503 (the test did not test)"
	# Retry-After: 2 honoured: no request within 2 s of a 503 (a little slack for the clocks)
	jq -s -e '[range(1; length) as $i | (.[$i].ms - .[$i - 1].ms) as $gap | select(.[$i - 1].status == 503 and $gap < 1900)] | length == 0' \
		s-busy.req >/dev/null && ok || bad "busy: a request came sooner than Retry-After: $(jq -c '[.status, .ms]' s-busy.req | tr '\n' ' ')"
	stop_pid "$rx_pid"
	stop_pid "$sink_pid"
else
	bad "busy: the sink or receive did not start: $(cat s-busy.out; head -2 rx-busy.err 2>/dev/null)"
	[ -n "${sink_pid:-}" ] && stop_pid "$sink_pid"
fi

# A queue of 5 spans (OBSLAB_FORWARD_MAX_QUEUE_SPANS) with the sink down: what
# does not fit is dropped and counted, what fits arrives once the sink is up.
small_port=$(free_port)
if OBSLAB_FORWARD_MAX_QUEUE_SPANS=5 rx rx-small --forward "http://127.0.0.1:$small_port/v1/traces"; then
	send proto "http://127.0.0.1:$rx_port/v1/traces" >sent-small.json 2>send-small.err && ok || bad "small queue: the SDK's export failed: $(head -3 send-small.err)"
	if sink s-small --port "$small_port"; then
		lines_at_least s-small.jsonl 1 60 && ok || bad "small queue: nothing reached the sink once it was up"
		sleep 1 # (a second batch of the queue, if any, lands; counted below either way)
		stop_pid "$rx_pid"
		check "$status" 0 "small queue: receive's exit status"
		line=$(grep '^obslab: forwarded ' rx-small.err | tail -1)
		dropped=$(sed -n 's/.*dropped \([0-9]*\).*/\1/p' <<<"$line")
		arrived=$(wc -l <s-small.jsonl)
		[ -n "$dropped" ] && [ "$dropped" -ge 1 ] && ok || bad "small queue: no drops counted in the summary: '$line'"
		[ "$arrived" -le 5 ] && ok || bad "small queue: $arrived spans arrived through a queue of 5"
		check "$((arrived + ${dropped:-0}))" 22 "small queue: spans arrived + dropped ('$line')"
		check "$(uniq_spans s-small.jsonl)" "$arrived" "small queue: spans received more than once"
		stop_pid "$sink_pid"
	else
		bad "small queue: the sink did not start on port $small_port: $(cat s-small.out)"
	fi
else
	bad "small queue: obslab receive --forward did not start: $(head -3 rx-small.err)"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
