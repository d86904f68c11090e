# Shared by the tests of obslab serve (sourced, not run, after the script
# set $bin): a temporary directory to work in (removed at exit, with every
# server still running killed), counting checks, and starting and stopping
# the real server on a free port.
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work" || exit 1

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
check() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', expected '$2'"; fi; }
has() { if grep -Eq -- "$2" "$1"; then ok; else bad "$1 lacks /$2/: $(head -c 400 "$1")"; fi; }
absent() { if [ ! -e "$1" ]; then ok; else bad "$2: $1 was made"; fi; }

# needs TOOL...: the whole test is one SKIP unless every tool is installed.
needs() {
	for tool in "$@"; do
		command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; printf '0 passed, 0 failed\n'; exit 0; }
	done
}

# start NAME ARGS...: obslab serve in the background, its stderr in
# NAME.err; sets pid and port once it says where it serves (false if it
# ended instead, or said nothing within a minute). A script that sets
# start_command (receive) and start_port (the sed program that finds the
# port in its first line) starts that command instead.
start() {
	local name=$1; shift
	"$bin" "${start_command:-serve}" "$@" 2>"$name.err" &
	pid=$!
	pids+=("$pid")
	port=
	for _ in $(seq 1 600); do
		port=$(sed -n "${start_port:-s|^obslab: serving http://.*:\([0-9]*\)/ .*|\1|p}" "$name.err")
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# stop: SIGTERM, then the exit status in $status.
stop() { kill -TERM "$pid"; wait "$pid"; status=$?; }
url() { printf 'http://127.0.0.1:%s%s' "$port" "$1"; }
