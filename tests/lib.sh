# Shared by the shell tests (sourced, not run): counting checks, and driving
# the real explorer in tmux. A script sets $sock (its own tmux socket) and
# may set WAIT_SECONDS (how long wait_for waits by default, 15 s) first.
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

tm() { tmux -L "$sock" "$@"; }
# screen: the tmux window "t" as text.
screen() { tm capture-pane -p -t t 2>/dev/null; }
keys() { tm send-keys -t t "$@"; }
# wait_for REGEX [SECONDS]: true once the screen matches the extended regex.
wait_for() {
	local deadline=$((SECONDS + ${2:-${WAIT_SECONDS:-15}}))
	while [ $SECONDS -lt $deadline ]; do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.2
	done
	return 1
}

# start_explorer COLS LINES ARGS...: obslab ARGS in a fresh COLSxLINES tmux
# window "t" (UTC, UTF-8, no status line); the window stays after obslab
# ends, showing EXIT=STATUS. explorer is the same unless a script redefines
# it to do more (say, wait for the first frame).
start_explorer() {
	local cols=$1 lines=$2; shift 2
	tm kill-server 2>/dev/null
	for _ in $(seq 50); do tm has-session 2>/dev/null || break; sleep 0.1; done
	sleep 0.3
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x "$cols" -y "$lines" -s t \
		"env TZ=UTC LC_ALL=C.UTF-8 $bin $*; echo EXIT=\$?; sleep 600"
	tm set-option -t t -g status off
}
explorer() { start_explorer "$@"; }
