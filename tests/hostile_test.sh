#!/usr/bin/env bash
# Every hostile input the tests keep, run through the real binary at once:
# the files under tests/hostile (whole, and cut short at three points), the
# command lines in tests/hostile/cmdlines.txt, and the databases that
# tests/hostile/databases.sh builds. Under the ASan+UBSan build (tools/check
# runs ctest there too) a sanitizer report ends the process with a status
# no case accepts. Each case must end with its documented status, say why in
# one line on stderr, print nothing raw to the terminal, create no file, and
# leave a database that is not obslab's byte for byte as it was.
# Usage: hostile_test.sh PATH/TO/obslab PATH/TO/tests/hostile
set -u
bin=$(realpath "$1")
hostile=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
mkdir cwd

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }

# clean FILE: safe to show on a terminal (valid UTF-8, no control byte but
# newline and tab, no C1 character, no bidirectional control: U+061C,
# U+200E-U+200F, U+202A-U+202E, U+2066-U+2069).
clean() {
	iconv -f UTF-8 -t UTF-8 "$1" >/dev/null 2>&1 &&
		! LC_ALL=C grep -aqP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe2\x80[\x8e\x8f\xaa-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
}

# case STATUSES MAX_ERR_LINES ARGS...: runs obslab in an empty directory with
# no terminal; its status must be one of STATUSES (e.g. "01"), stderr at most
# MAX_ERR_LINES lines (at least one when it failed), both outputs clean, and
# the directory still empty.
case_() {
	local want=$1 max=$2; shift 2
	(cd cwd && timeout 60 "$bin" "$@" </dev/null >../out.txt 2>../err.txt)
	local status=$? what
	what=$(printf '%q ' obslab "$@" | head -c 200)
	if [[ $want != *$status* ]]; then
		bad "$what: exit $status, expected one of $want: $(head -c 300 err.txt | cat -v)"
	elif [ "$status" -ne 0 ] && ! grep -q '^obslab: ' err.txt; then
		bad "$what: exit $status without a message saying why"
	elif [ "$(wc -l <err.txt)" -gt "$max" ]; then
		bad "$what: $(wc -l <err.txt) lines on stderr, at most $max: $(head -c 300 err.txt | cat -v)"
	elif ! clean out.txt || ! clean err.txt; then
		bad "$what: raw bytes reached the terminal: $(head -c 200 out.txt err.txt | cat -v)"
	elif [ -n "$(ls -A cwd)" ]; then
		bad "$what: left $(ls -A cwd | head -3) in the working directory"
		rm -rf cwd && mkdir cwd
	else
		ok
	fi
}

# --- files: every command that reads one, on every file, whole and cut -------
nfiles=0
while IFS= read -r -d '' f; do
	nfiles=$((nfiles + 1))
	size=$(stat -c %s "$f")
	for cut in "$size" $((size / 3)) $((size * 2 / 3)) $((size - 1)); do
		[ "$cut" -ge 0 ] || continue
		head -c "$cut" "$f" >file.json
		case_ 01 1 report "$work/file.json"
		case_ 01 1 report "$work/file.json" --json
		case_ 12 2 open "$work/file.json" # no terminal: refused once read
	done
done < <(find "$hostile" -name '*.json' -type f -print0 | sort -z)
[ "$nfiles" -ge 40 ] && ok || bad "only $nfiles hostile files found under $hostile"

# --- command lines ---------------------------------------------------------------
nlines=0
while IFS= read -r line; do
	case $line in '#'* | '') continue ;; esac
	nlines=$((nlines + 1))
	status=${line%% *}
	eval "args=(${line#* })"
	case_ "$status" 2 "${args[@]}"
done <"$hostile/cmdlines.txt"
[ "$nlines" -ge 40 ] && ok || bad "only $nlines hostile command lines"

# --- databases: refused untouched, or obslab's own --------------------------------
# databases.sh DIR builds the hostile databases in DIR and prints, a line
# each, the status expected and the --db value (a path or a file: URI);
# 1 means refused, with every file in DIR as it was.
snapshot_dir() { # what a refusal must not change: names, kinds, sizes, times, bytes
	find dbs -printf '%p %y %s %T@\n' | sort
	find dbs -type f -exec sha256sum {} + | sort
}
mkdir dbs
bash "$hostile/databases.sh" "$work/dbs" >dbs.list || bad "databases.sh failed"
ndbs=0
while read -r want arg; do
	ndbs=$((ndbs + 1))
	before=$(snapshot_dir)
	case_ "$want" 1 run --db "$arg" --requests 1 --users 5
	if [ "$want" = 1 ]; then
		[ "$before" = "$(snapshot_dir)" ] && ok || bad "--db $arg: refused, but the directory changed"
	fi
done <dbs.list
[ "$ndbs" -ge 15 ] && ok || bad "only $ndbs hostile databases were built"

echo "hostile inputs: $nfiles files (4 lengths, 3 commands each), $nlines command lines, $ndbs databases"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
