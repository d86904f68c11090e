#!/usr/bin/env bash
# The real UI loop for a fixed number of frames (as htop -n does), with keys
# typed while it runs: what the sanitizer builds run. It must exit 0 and
# write nothing to stderr (where a sanitizer would report).
# Usage: tui_frames.sh PATH/TO/obslab [WRAPPER...]   e.g. valgrind -q --error-exitcode=99
set -u
bin=$(realpath "$1")
shift
wrapper="$*"
frames=${FRAMES:-150}
work=$(mktemp -d)
sock="obslab-frames-$$"
export TMUX_TMPDIR="$work" # tmux's socket too
trap 'tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1

LC_ALL=C.UTF-8 tmux -L "$sock" -u -f /dev/null new-session -d -x 120 -y 40 -s f \
	"cd $work && LC_ALL=C.UTF-8 $wrapper $bin --db $work/frames.db --frames $frames 2>err.txt; echo \$? >status.txt"
sleep 1
for k in t e + r i n Space Space '[' ']' Tab j j Enter Tab Tab '?' Escape f -; do
	tmux -L "$sock" send-keys -t f "$k" 2>/dev/null
	sleep 0.1
done
for _ in $(seq 300); do
	[ -s "$work/status.txt" ] && break
	sleep 0.2
done

passed=0 failed=0
status=$(cat "$work/status.txt" 2>/dev/null)
if [ "$status" = 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: exit status '$status'"; fi
if [ ! -s "$work/err.txt" ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: stderr:"; head -50 "$work/err.txt"; fi
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
