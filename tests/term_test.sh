#!/usr/bin/env bash
# No byte from data reaches the terminal raw: every command is run on hostile
# snapshots (tests/hostile/term: names, SQL and attributes holding OSC, CSI,
# C1, DEL, C0 and cut UTF-8), hostile file names, command lines and database
# rows, and everything it prints, on stdout and stderr, must be clean: valid
# UTF-8, no control byte but newline and tab, no DEL, no C1 character.
# Usage: term_test.sh PATH/TO/obslab PATH/TO/tests/hostile/term
set -u
bin=$(realpath "$1")
hostile=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
shown() { head -c 300 "$1" | cat -v; echo; }

# clean FILE WHAT: FILE is safe to show on a terminal.
clean() {
	if ! iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1; then
		bad "$2: not valid UTF-8:"; shown "$1"
	elif LC_ALL=C grep -aqP '[\x00-\x08\x0b-\x1f\x7f]' "$1"; then
		bad "$2: a control byte reached the terminal:"; LC_ALL=C grep -aoP '.{0,20}[\x00-\x08\x0b-\x1f\x7f].{0,10}' "$1" | head -3 | cat -v
	elif LC_ALL=C grep -aqP '\xc2[\x80-\x9f]' "$1"; then
		bad "$2: a C1 control reached the terminal:"; shown "$1"
	else
		ok
	fi
}
# run EXPECTED_STATUS ARGS...: runs obslab; its stdout and stderr must be clean.
run() {
	local want=$1; shift
	"$bin" "$@" </dev/null >out.txt 2>err.txt
	status=$?
	local what
	what=$(printf '%q ' obslab "$@")
	if [ "$status" -eq "$want" ]; then ok; else bad "$what exited $status, expected $want: $(head -c 300 err.txt | cat -v)"; fi
	clean out.txt "$what (stdout)"
	clean err.txt "$what (stderr)"
}
has() { if grep -aqF -- "$2" "$1"; then ok; else bad "$1 lacks '$2': $(head -c 400 "$1" | cat -v)"; fi; }
lines() { local n; n=$(wc -l <"$1"); if [ "$n" -eq "$2" ]; then ok; else bad "$1 has $n lines, expected $2"; fi; }
jqok() { if jq -e "$2" "$1" >/dev/null 2>&1; then ok; else bad "$1 fails jq '$2': $(head -c 400 "$1" | cat -v)"; fi; }

esc=$'\e' bel=$'\a'

# --- hostile snapshots: report and open ------------------------------------------
for f in native-names otlp-attributes cut-utf8; do
	run 0 report "$hostile/$f.json"
	has out.txt 'queries, all traces:'
	run 0 report "$hostile/$f.json" --json
	jqok out.txt '.traces == 1 and (.queries | length) >= 1'
	run 2 open "$hostile/$f.json" # read, then refused: no terminal
done
# a setting that cannot be true is refused, and the refusal quotes it escaped
run 1 report "$hostile/settings-escape.json"
has err.txt 'settings.strategy must be "naive", "optimized" or "eager", got "naive\u001b]0;pwned\u0007"'
lines err.txt 1
run 0 report "$hostile/native-names.json"
has out.txt 'SELECT "\x1b]0;pwned\x07\x1b[2J\x1b[H\xc2\x9b2J\xc2\x9d0;c1\xc2\x9c\x7f\x01\x08\x0a\x0d\x09\x0b\x0c" FROM orders'
has out.txt 'an index on "t\x1b[2J\x1b[H\xc2\x9b2J'
lines out.txt 23 # a newline in a name does not start a line of its own (19 + the trace list's 4)
run 0 report "$hostile/native-names.json" --json
# escaped on the way out, the text is still all there
jqok out.txt '.queries[0].query | startswith("SELECT \"\u001b]0;pwned\u0007\u001b[2J\u001b[H\u009b2J\u009d0;c1\u009c\u007f\u0001\b\n\r\t")'
has out.txt '\u009b2J\u009d0;c1\u009c\u007f'
# a name longer than the reader keeps is cut between characters, never inside one
run 0 report "$hostile/cut-utf8.json" --json
jqok out.txt '.queries[0].query | endswith("\u00e9") and (contains("\ufffd") | not)'

# refused files: the message quotes nothing raw
run 1 report "$hostile/raw-c1.json"
has err.txt 'not UTF-8 text'
run 1 report "$hostile/raw-esc.json"
has err.txt 'a control character inside a string'
run 1 report "$hostile/format-nul.json"
has err.txt '"format" is not "obslab.snapshot": not an obslab snapshot'
run 1 open "$hostile/format-nul.json"
run 1 report "$hostile/trailing-backslash.json"
has err.txt 'at byte 10 of 10: the file ends early'

# --- hostile file names ------------------------------------------------------------
name="${esc}]0;pwned${bel}${esc}[2J"$'\x9b2J\x7f\n'"x.json"
cp "$hostile/native-names.json" "$name"
run 0 report "$name"
has out.txt '\x1b]0;pwned\x07\x1b[2J\x9b2J\x7f\x0ax.json: obslab snapshot, 1 trace, 14 spans'
run 0 report "$name" --json
jqok out.txt '.file | endswith("x.json")'
cp "$hostile/raw-esc.json" "$name"
run 1 report "$name"
lines err.txt 1
run 1 open "$name"
run 1 report "/nonexistent/${esc}]0;pwned${bel}.json"
has err.txt 'cannot open /nonexistent/\x1b]0;pwned\x07.json'
run 1 open "/nonexistent/${esc}[2J.json"
mkdir "dir${esc}[2J"
run 1 report "dir${esc}[2J"

# --- hostile command lines: usage errors quote them -------------------------------
run 2 "${esc}]0;pwned${bel}"
has err.txt "unknown command '\\x1b]0;pwned\\x07'"
run 2 "-${esc}[2J"
run 2 "--${esc}[2J"
run 2 run --strategy "${esc}[2J"
has err.txt "unknown strategy '\\x1b[2J'"
run 2 run --users $'\x9b2J'
has err.txt "not '\\x9b2J'"
run 2 run --index $'\xc2\x9b2J'
has err.txt "not '\\xc2\\x9b2J'"
run 2 run --report $'j\x7fson'
run 2 export --format "${esc}]0;t${bel}" -o x.json
run 2 sweep --users-list "20,${esc}[2J"
run 2 help "${esc}]0;pwned${bel}"
run 2 --version "${esc}[2J"
run 2 run "${esc}[2J"
run 2 report x.json "--json${esc}[2J"

# --- hostile paths given to the lab ---------------------------------------------
run 1 run --db "/nonexistent/${esc}]0;pwned${bel}.db"
has err.txt '/nonexistent/\x1b]0;pwned\x07.db'
run 1 compare --db "/nonexistent/${esc}[2J/x.db" --requests 1
run 1 run --db :memory: --requests 1 --log-file "/nonexistent/${esc}[2J/log"
has err.txt 'cannot write the log file /nonexistent/\x1b[2J/log'
run 1 export --db :memory: --requests 1 --users 2 -o "/nonexistent/${esc}]0;t${bel}/s.json"
run 0 export --db :memory: --requests 1 --users 2 -o "s${esc}[2J.json"
has out.txt 'wrote s\x1b[2J.json: native'

# --- hostile rows in obslab's own database ---------------------------------------
run 0 run --db lab.db --users 5 --requests 1
sqlite3 lab.db "UPDATE users SET username = char(27)||']0;pwned'||char(7)||char(155)||char(127)||char(1),
                email = CAST(x'ff9b1b5b324a' AS TEXT) WHERE id = 1" || bad "sqlite3 could not edit lab.db"
run 0 run --db lab.db --users 5 --requests 1 --json
jqok out.txt '.users[0].username == "\u001b]0;pwned\u0007\u009b\u007f\u0001"'
jqok out.txt '.users[0].email == "\ufffd\ufffd\u001b[2J"'
run 0 run --db lab.db --users 5 --requests 2
run 0 run --db lab.db --users 5 --requests 2 --report json --log-file log.jsonl
clean log.jsonl "the log file"
run 0 compare --db lab.db --users 5 --requests 1
run 0 export --db lab.db --users 5 --requests 1 -o lab.json

# --- in a real terminal: the title stays, the screen is not cleared -------------
sock="obslab-term-$$"
tm() { tmux -L "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$work"' EXIT
# wait_for PATTERN: true once the screen holds the fixed string.
wait_for() {
	local deadline=$((SECONDS + 15))
	while [ $SECONDS -lt $deadline ]; do
		tm capture-pane -p -t t 2>/dev/null | grep -qF -- "$1" && return 0
		sleep 0.2
	done
	return 1
}
title() { tm display-message -p -t t '#{pane_title}'; }
LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 160 -y 50 -s t \
	"env LC_ALL=C.UTF-8 PS1='term-test\$ ' HOME=$work HISTFILE= bash --norc --noprofile"
tm set-option -t t -g status off
tm set-option -t t -g allow-rename on 2>/dev/null
wait_for 'term-test$' || bad "no shell prompt in tmux"
tm send-keys -t t "printf 'before\\n'; $bin report $hostile/native-names.json; echo done-report" Enter
if wait_for 'done-report'; then ok; else bad "report never finished in tmux"; fi
title | grep -q pwned && bad "report retitled the terminal: $(title | cat -v)" || ok
wait_for 'before' && ok || bad "report cleared the screen"
tm select-pane -t t -T clean
tm send-keys -t t "clear; $bin open $hostile/native-names.json" Enter
wait_for 'GET /users \x1b]0;pwned\x07' && ok || bad "the explorer does not show the escaped root span: $(tm capture-pane -p -t t | head -5)"
title | grep -q pwned && bad "the explorer retitled the terminal" || ok
tm send-keys -t t q
tm send-keys -t t "echo done-open" Enter
wait_for 'done-open' && ok || bad "the explorer did not quit"
tm kill-server 2>/dev/null

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
