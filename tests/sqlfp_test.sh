#!/usr/bin/env bash
# Secrets: SQL from other tools' files (tests/hostile/sqlfp: MySQL, MariaDB,
# PostgreSQL, no or another db.system, SQLite, native; in db.query.text,
# db.statement or the span name) holds a secret in every literal and comment
# form. report (text and JSON), which lists queries by fingerprint, and
# stderr may never show any of it; for obslab's own native file, neither may
# the explorer's screens, its exports or what report reads back from them.
# (An OpenTelemetry file's own spans are shown and converted as they are.)
# Usage: sqlfp_test.sh PATH/TO/obslab
set -u
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
sock="obslab-sqlfp-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1

# Every secret in the files holds "xyzzy", or is one of these digits, hex or bits.
secrets='xyzzy|5ec2e7|31415926535|1011101110111'

# no_secret WHAT FILE...: none of the files shows any piece of a secret.
no_secret() {
	local what=$1
	shift
	local hits
	hits=$(grep -aoiE ".{0,30}($secrets).{0,10}" "$@" 2>/dev/null | head -3)
	if [ -z "$hits" ]; then ok; else bad "$what shows a secret:"; printf '%s\n' "$hits" | sed 's/^/    | /'; fi
}

files=$(ls "$here"/hostile/sqlfp/*.json)
[ -n "$files" ] && ok || bad "no hostile files in $here/hostile/sqlfp"
for f in $files; do
	cp "$f" .
	# the files do hold the secrets: the test looks for what is there
	grep -qiE "$secrets" "$f" && ok || bad "$f holds no secret to look for"
done

# --- report, text and JSON --------------------------------------------------------
for f in $files; do
	name=$(basename "$f" .json)
	"$bin" report "$name.json" >"$name.report.txt" 2>"$name.report.err"
	status=$?
	# A span is a database call when it says so (db.system or db.system.name):
	# SQL in a plain span's name or attributes is not a query to list.
	case $name in
	otlp-name-only | otlp-no-system) want='0' ;;
	*) want='> 0' ;;
	esac
	[ $status = 0 ] && { [ "$want" = 0 ] || grep -q 'SELECT' "$name.report.txt"; } && ok ||
		bad "report $name: exit $status, or no query shown"
	"$bin" report "$name.json" --json >"$name.report.json" 2>>"$name.report.err"
	[ $? = 0 ] && jq -e ".queries | length $([ "$want" = 0 ] && echo '== 0' || echo '> 0')" "$name.report.json" >/dev/null && ok ||
		bad "report --json $name: queries not as expected ($want)"
	no_secret "report $name" "$name.report.txt" "$name.report.json" "$name.report.err"
	[ ! -s "$name.report.err" ] && ok || bad "report $name wrote to stderr: $(head -5 "$name.report.err")"
done

# --- no log of a file's spans: only run (the lab's own SQL) takes --log-file ------
for cmd in open report; do
	"$bin" $cmd native.json --log-file spans.log >/dev/null 2>&1
	status=$?
	[ $status = 2 ] && [ ! -e spans.log ] && ok || bad "$cmd FILE --log-file: exit $status, or a log was written"
done

# --- the explorer: every span's details, the query list, x to each format ----------
LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 160 -y 50 -s t \
	"env LC_ALL=C.UTF-8 PS1='sqlfp-test\$ ' HOME=$work HISTFILE= bash --norc --noprofile"
tm set-option -t t -g status off
wait_for 'sqlfp-test\$' 10 || bad "no shell prompt"
tm send-keys -t t "cd $work" Enter
runs=0
# Only obslab's own files: an OpenTelemetry file's spans are shown and
# exported exactly as the file has them (its own names and attributes;
# foreign_test.sh checks that), so its text is the file's, not obslab's.
for f in $files; do
	name=$(basename "$f" .json)
	case $name in otlp-*) continue ;; esac
	mkdir -p "exp-$name"
	runs=$((runs + 1))
	tm send-keys -t t "clear; $bin open $name.json --export-dir exp-$name 2>$name.open.err; echo EXIT=\$? \#$runs" Enter
	if ! wait_for 'read-only' 10; then
		bad "open $name never showed the snapshot"
		continue
	fi
	screen >"$name.screens.txt"
	# down the waterfall, one span at a time: the details of each
	spans=$(jq '[.. | objects | select(has("span_id") or has("spanId"))] | length' "$name.json")
	for _ in $(seq "$spans"); do
		tm send-keys -t t j
		sleep 0.15
		screen >>"$name.screens.txt"
	done
	grep -q 'db.query.text = ' "$name.screens.txt" && ok || bad "open $name: no query's details were shown"
	tm send-keys -t t w
	sleep 0.3
	screen >>"$name.screens.txt"
	tm send-keys -t t w
	for key in n o c; do
		tm send-keys -t t x "$key"
		wait_for "wrote .*exp-$name" 10 || bad "open $name: x $key wrote nothing"
		screen >>"$name.screens.txt"
	done
	tm send-keys -t t q
	wait_for "^EXIT=0 #$runs\$" 10 && ok || bad "open $name did not quit with status 0"
	no_secret "the explorer's screens for $name" "$name.screens.txt" "$name.open.err"
	[ ! -s "$name.open.err" ] && ok || bad "open $name wrote to stderr: $(head -5 "$name.open.err")"
	n=$(ls "exp-$name" | wc -l)
	[ "$n" = 3 ] && ok || bad "open $name: x wrote $n files, expected 3"
	no_secret "the exports of $name" "exp-$name"/*
	# what the exports say is what obslab reads back: still nothing
	for e in "exp-$name"/*.json; do
		case $e in *-chrome.json) continue ;; esac
		"$bin" report "$e" >"$e.report" 2>&1 && ok || bad "report of the export $e failed"
		no_secret "report of the export $e" "$e.report"
	done
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
