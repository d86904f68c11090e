#!/usr/bin/env bash
# The explorer at the sizes the README promises (80x24 up): in every view
# (the main screen with each pane in focus, the help, the comparison, the
# sweep, an opened file) at 80x24, 100x30, 120x40 and 200x60, every row of
# the screen is exactly the terminal's width, every box has its border
# characters at both ends, and the figures each view exists for are there
# whole: attribution's ms and %, the queries' calls and total (never run
# together, even at five-digit counts), the comparison's strategy, total
# and share, the sweep's times, the status bar's live state, the footer's
# "? help  q quit".
# Usage: sizes_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sock="obslab-sizes-$$"
export TMUX_TMPDIR="$work"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
. "$here/lib.sh"

sizes="80x24 100x30 120x40 200x60"

# check.py VIEW COLS LINES < screen: the rows' widths and the boxes' borders,
# then what VIEW must show. One line per failure; silent when all hold.
cat >check.py <<'EOF'
import re, sys, unicodedata
view, cols, lines = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = sys.stdin.read().split("\n")[:lines]
fails = []
def cells(s):
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)
def at(y, x):
    """The character that starts at cell x of row y."""
    c = 0
    for ch in rows[y]:
        if c == x:
            return ch
        c += cells(ch)
    return ""
if len(rows) != lines:
    fails.append("%d rows, not %d" % (len(rows), lines))
    rows += [""] * (lines - len(rows))
# tmux leaves cells never written out of a captured row (even with -N):
# rows shorter than the screen are padded; one that is wider, or a box
# border not in its last column, is a row drawn wider or narrower than
# curses thought.
for y, r in enumerate(rows):
    if cells(r) > cols:
        fails.append("row %d is %d cells wide, not %d: %r" % (y, cells(r), cols, r))
    rows[y] = r + " " * (cols - cells(r))
left = cols * 3 // 5
# Boxes: (x0, x1, y0, y1) whose borders every row between must keep.
if view.startswith("main") or view in ("help", "file", "file-help", "large"):
    boxes = [(0, left - 1), (left, cols - 1)]
else:
    boxes = [(0, cols - 1)]
overlay = None
if "help" in view:
    for y, r in enumerate(rows):
        m = re.search("┌─ Keys", r)
        if m:
            x0 = cells(r[:m.start()])
            x1 = x0 + cells(r[m.start():r.index("┐", m.start())])
            y1 = next((k for k in range(y + 1, lines) if at(k, x0) == "└"), None)
            overlay = (x0, x1, y, y1)
            break
    if not overlay or overlay[3] is None:
        fails.append("no help overlay with a closed box")
        overlay = None
def covered(y, x):
    return overlay and overlay[2] <= y <= overlay[3] and overlay[0] <= x <= overlay[1]
for (x0, x1) in boxes:
    for y in range(1, lines - 1):
        for x, side in ((x0, "│┌└├"), (x1, "│┐┘┤")):
            if covered(y, x):
                continue
            want = side[1] if y == 1 else side[2] if y == lines - 2 else side
            if at(y, x) not in want:
                fails.append("row %d: %r at column %d, not a border (%s): %r" % (y, at(y, x), x, want, rows[y]))
if overlay:
    x0, x1, y0, y1 = overlay
    for y in range(y0, y1 + 1):
        want = ("┌", "┐") if y == y0 else ("└", "┘") if y == y1 else ("│", "│")
        if (at(y, x0), at(y, x1)) != want:
            fails.append("help row %d lost its border: %r" % (y, rows[y]))
status, footer = rows[0], rows[-1]
def need(cond, what):
    if not cond:
        fails.append(what)
if view.startswith("file"):
    need(re.search(r"trace \d+ of", status), "the status bar lost the trace it shows: %r" % status)
else:
    need(re.search("● live|history|‖ paused", status), "the status bar lost the live state: %r" % status)
need(re.search(r"\? help  q (quit|back)\s*$", footer), "the footer lost '? help  q quit': %r" % footer)
right = [r for r in rows]
def part(r, x0, x1):
    """Cells x0..x1 of row r, as text."""
    out, c = "", 0
    for ch in r:
        if x0 <= c <= x1:
            out += ch
        c += cells(ch)
    return out
if view.startswith("main") or view in ("large", "file"):
    pane = [part(r, left, cols - 1) for r in rows]
    figures = [p for p in pane if re.search(r"\b\d+\.\d{3} ms +\d+\.\d%", p)]
    need(len(figures) == 4, "attribution: %d rows with whole ms and %%, not 4: %r" % (len(figures), pane[1:6]))
    heads = [i for i, p in enumerate(pane) if re.match(r"│ *calls +total", p)]
    need(heads, "the query list lost its calls and total columns")
    if heads:
        titles = pane[heads[0]].strip("│ ").split()
        qrows = 0
        for p in pane[heads[0] + 1:]:
            if p.startswith("└"):
                break # the query list's box ends: below is the log
            if not re.match(r"│ +[0-9]", p):
                continue
            figs = p.strip("│ ").split("⚠")[0].split()
            qrows += 1
            need(len(figs) == len(titles) and all(re.fullmatch(r"[0-9][0-9,.]*(ns|µs|ms|s)?", f) for f in figs),
                 "query figures run together or are cut (%s): %r" % (" ".join(titles), p))
        need(qrows > 0, "no query rows under the header")
if view == "compare":
    for name in ("naive (N+1)", "optimized", "eager"):
        r = next((r for r in rows if r.startswith("│ " + name + " ")), None)
        need(r and re.search(r" [0-9.]+(ns|µs|ms|s) +[0-9.]+%", r), "comparison row %s lacks total and share: %r" % (name, r))
if view == "sweep":
    r = next((r for r in rows if re.match(r"│ +20 +[0-9]+ q", r)), None)
    need(r and len(re.findall(r"[0-9.]+(?:ns|µs|ms|s)\b", r)) == 3, "the sweep's 20-user row lacks its three times: %r" % r)
for f in fails:
    print(f)
EOF

# check VIEW SIZE: the screen as it is now, at SIZE.
check() {
	local c=${2%x*} l=${2#*x} out
	# A capture can catch curses in the middle of writing a frame (a live lab
	# redraws many times a second, slowly under sanitizers): a layout that is
	# wrong is wrong in every capture, so three tries tell it from a frame
	# half written.
	for _ in 1 2 3; do
		tm capture-pane -p -N -t t >shot.txt
		out=$(python3 check.py "$1" "$c" "$l" <shot.txt)
		[ -z "$out" ] && break
		sleep 0.4
	done
	if [ -z "$out" ]; then ok; else bad "$1 at $2:"; printf '%s\n' "$out" | head -8 | sed 's/^/    /'; sed 's/^/    | /' shot.txt; fi
}
resize() {
	tm resize-window -t t -x "${1%x*}" -y "${1#*x}"
	sleep 0.6 # the explorer answers the resize, then draws a frame or two
}
start() { # start COLSxLINES COMMAND...: the explorer in a terminal of that size
	local size=$1
	shift
	tm kill-server 2>/dev/null
	# the old server ends after its clients: a new session must not reach it
	for _ in $(seq 100); do tm list-sessions >/dev/null 2>&1 || break; sleep 0.1; done
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x "${size%x*}" -y "${size#*x}" -s t \
		"env LC_ALL=C.UTF-8 HOME=$work $*; sleep 600"
	tm set-option -t t -g status off
}

# --- the live lab: main (each pane in focus), help, comparison, sweep ---------
start 80x24 "$bin" --db "$work/lab.db" --users 20 --rtt-us 0 --index on
wait_for 'Waterfall · trace #[0-9]' 20 || bad "the explorer never showed a trace"
wait_for 'GET /users/analytics' 20
sleep 1.5 # the last minute's figures and the log fill in
for size in $sizes; do
	resize "$size"
	for focus in waterfall queries details log; do
		check "main-$focus" "$size"
		keys Tab
		sleep 0.3
	done
	keys '?'
	sleep 0.4
	check help "$size"
	keys Escape
	sleep 0.3
done
keys c
wait_for 'measured: each row' 60 || bad "the comparison never finished"
for size in $sizes; do
	resize "$size"
	check compare "$size"
done
keys Escape
wait_for '─ Waterfall ' 10
keys s
wait_for 'measured: each row' 120 || bad "the sweep never finished"
for size in $sizes; do
	resize "$size"
	check sweep "$size"
done
keys q
wait_for '─ Waterfall ' 10

# --- large counts: five-digit calls and rows never run together ----------------
# naive at 1000 users with the index, as fast as it goes, the last minute's list
keys n + + f f w
wait_for '1,000 users' 30
for _ in $(seq 60); do
	screen | grep -Eq '│ +[0-9]{1,3},[0-9]{3},?[0-9]* ' && break
	sleep 0.5
done
screen | grep -Eq '│ +[0-9]{1,3},[0-9]{3}' && ok || bad "the query list never reached a five-digit count"
for size in $sizes; do
	resize "$size"
	check large "$size"
done

# --- an opened file ---------------------------------------------------------------
"$bin" export --format native -o snap.json --users 100 --requests 5 --rtt-us 0 --db "$work/file.db" \
	>/dev/null 2>err.txt || bad "export failed: $(cat err.txt)"
start 80x24 "$bin" open "$work/snap.json"
wait_for 'Waterfall · trace #[0-9]' 20 || bad "the opened file never showed a trace"
for size in $sizes; do
	resize "$size"
	for focus in waterfall queries details log; do
		check "file" "$size"
		keys Tab
		sleep 0.3
	done
	keys '?'
	sleep 0.4
	check file-help "$size"
	keys Escape
	sleep 0.3
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
