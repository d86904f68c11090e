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
