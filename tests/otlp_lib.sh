# Shared by the tests with real OpenTelemetry clients (sourced, not run, after
# the script set $bin, $src and $node_dir, and sourced serve_lib.sh or lib.sh
# for ok/bad): the npm directory, obslab receive and the Node sink started on
# free loopback ports, and a free port found by probing.
pids=(${pids[@]+"${pids[@]}"})

# node_install: the SDK, its OTLP exporters and the protobuf definitions in
# $node_dir (the build directory's npm directory, shared with files_test.sh
# and foreign_test.sh), with this test's scripts; false when npm fails.
node_install() {
	mkdir -p "$node_dir" || return 1
	cp "$src"/tests/node/{package.json,compare_otlp.js,otlp_send.js,otlp_sink.js} "$node_dir/" || return 1
	local p
	for p in sdk-trace-base otlp-transformer exporter-trace-otlp-proto exporter-trace-otlp-http; do
		[ -d "$node_dir/node_modules/@opentelemetry/$p" ] && continue
		(cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || return 1
		break
	done
}

# wait_file_port FILE PID SED-SCRIPT: the port the sed script prints from
# FILE once the process PID wrote it, in $port_found; false if the process
# ended first or said nothing within a minute.
wait_file_port() {
	port_found=
	for _ in $(seq 1 600); do
		port_found=$(sed -n "$3" "$1" 2>/dev/null | head -1)
		[ -n "$port_found" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# rx NAME ARGS...: obslab receive --listen 127.0.0.1:0 ARGS in the background,
# its stderr in NAME.err; sets rx_pid and rx_port once it says where it
# receives (false if it ended or did not say so).
rx() {
	local name=$1; shift
	"$bin" receive --listen 127.0.0.1:0 "$@" 2>"$name.err" &
	rx_pid=$!
	pids+=("$rx_pid")
	wait_file_port "$name.err" "$rx_pid" 's|^obslab: receiving OTLP on http://127\.0\.0\.1:\([0-9]*\)/v1/traces.*|\1|p' || return 1
	rx_port=$port_found
}

# stop_pid PID: SIGTERM, then its exit status in $status.
stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1"; status=$?; }

# sink NAME ARGS...: tests/node/otlp_sink.js writing NAME.jsonl (its spans)
# and NAME.req (its requests) in the background; sets sink_pid and
# sink_port once it listens.
sink() {
	local name=$1; shift
	node "$node_dir/otlp_sink.js" "$name.jsonl" --requests "$name.req" "$@" >"$name.out" 2>&1 &
	sink_pid=$!
	pids+=("$sink_pid")
	wait_file_port "$name.out" "$sink_pid" 's|^otlp_sink: listening on http://127\.0\.0\.1:\([0-9]*\)/v1/traces$|\1|p' || return 1
	sink_port=$port_found
}

# free_port: a loopback port nothing listens on now, found by binding port 0
# and letting it go.
free_port() {
	node -e "const s = require('net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# lines_at_least FILE N [SECONDS]: true once FILE has N lines or more.
lines_at_least() {
	local deadline=$((SECONDS + ${3:-60}))
	while [ $SECONDS -lt $deadline ]; do
		[ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
