#!/usr/bin/env bash
# The README and MODULE2.md stay true:
#  - every key of the key table is listed in both, and they list no other;
#  - every command in their ```sh blocks runs and exits 0 (in a temporary
#    directory, so against a temporary database; the explorer's with
#    --frames 5 in a pseudo-terminal). The two setup commands at the top of
#    the README (tools/deps, tools/check) are what CI itself runs: reported
#    as SKIP and counted as skipped;
#  - every screen of docs/screens/patterns.tsv shows its pattern three times
#    over: as captured in docs/screens/NAME.txt (what the guide and README
#    are built from), as tools/screens captures it again from the binary,
#    and, where MODULE2.md embeds it, in MODULE2.md (which must then be the
#    captured file, verbatim); MODULE2.md embeds no screen without a pattern.
#  - MODULE2.md's PostgreSQL chapter runs against the tests' cluster (ctest's
#    fixture pg): "$OBSLAB_TEST_PG" and "$OBSLAB_TEST_PG_TCP" in its commands
#    are a fresh database of the docs' own, over the socket and over TCP, as
#    a reader's are after `. /tmp/obslab-pg/env`.
# Usage: docs_test.sh PATH/TO/obslab SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
export TMUX_TMPDIR="$work" # tools/screens' tmux socket too
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
skip() { skipped=$((skipped + 1)); printf 'SKIP: %s\n' "$*"; }
docs=("$src/README.md" "$src/MODULE2.md")

# The PostgreSQL chapter's commands: one fresh database, reached both ways.
# shellcheck source=pg_lib.sh
. "$src/tests/pg_lib.sh"
pg_env_load
docs_db=$(pg_newdb docs) || { echo "0 passed, 1 failed"; exit 1; }
OBSLAB_TEST_PG_TCP="${OBSLAB_TEST_PG_TCP% dbname=*} dbname=${docs_db##*dbname=}"
OBSLAB_TEST_PG=$docs_db
export OBSLAB_TEST_PG OBSLAB_TEST_PG_TCP

# keys
"$bin" --keys >"$work/keys.md"
for doc in "${docs[@]}"; do
	missing=$(grep -vxF -f <(cat "$doc") "$work/keys.md" | grep -c '^| `')
	[ "$missing" = 0 ] && ok || bad "$doc lacks $missing key(s) of the table: $(grep -vxF -f "$doc" "$work/keys.md" | head -3)"
	extra=$(grep -E '^\| `' "$doc" | grep -vxF -f "$work/keys.md" | grep -c .)
	[ "$extra" = 0 ] && ok || bad "$doc lists key(s) the table does not have: $(grep -E '^\| `' "$doc" | grep -vxF -f "$work/keys.md" | head -3)"
done

# commands
commands() { awk '/^ *```sh$/ { on = 1; next } /^ *```/ { on = 0 } on && NF { sub(/^ +/, ""); print }' "$1"; }
for doc in "${docs[@]}"; do
	mkdir -p "$work/run" && cd "$work/run" || exit 1
	while IFS= read -r line; do
		case "$line" in
		*tools/deps* | *tools/check*) skip "$(basename "$doc"): '$line' (CI's own setup and run)"; continue ;;
		esac
		cmd=${line/#build\/obslab/$bin}
		sub=$(awk '{ print $2 }' <<<"$cmd")
		if [ -z "$sub" ] || [ "${sub#--}" != "$sub" ] || [ "$sub" = open ]; then
			# the explorer: a few frames in a pseudo-terminal
			TERM=xterm-256color script -qec "$cmd --frames 5" /dev/null >"$work/out.txt" 2>&1 </dev/null
		else
			bash -c "$cmd" >"$work/out.txt" 2>&1 </dev/null
		fi
		status=$?
		[ $status = 0 ] && ok || bad "$(basename "$doc"): '$line' exited $status: $(tail -3 "$work/out.txt")"
	done < <(commands "$doc")
done

# screens
patterns="$src/docs/screens/patterns.tsv"
embedded() { awk -v n="<!-- screen: $1 -->" '$0 == n { want = 1; next } want && /^```text$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$src/MODULE2.md"; }
# shows WHAT FILE NAME REGEX: FILE is there and matches REGEX.
shows() {
	if [ ! -s "$2" ]; then bad "$1 '$3' is missing ($2)"
	elif grep -Eq -- "$4" "$2"; then ok
	else bad "$1 '$3' does not show /$4/"; fi
}
[ -s "$patterns" ] && ok || bad "no screen patterns in $patterns"
if bash "$src/tools/screens" "$work/screens" "$bin" >"$work/screens.log" 2>&1; then ok; else bad "tools/screens: $(tail -5 "$work/screens.log")"; fi
while IFS=$'\t' read -r name regex; do
	[ -n "$name" ] || continue
	shows "the captured screen" "$src/docs/screens/$name.txt" "$name" "$regex"
	shows "the screen tools/screens captured again" "$work/screens/$name.txt" "$name" "$regex"
	block=$(embedded "$name")
	[ -z "$block" ] && continue # not embedded in MODULE2.md: checked above, as captured
	grep -Eq -- "$regex" <<<"$block" && ok || bad "MODULE2.md's screen '$name' does not show /$regex/"
	if diff -q <(printf '%s\n' "$block") <(printf '%s\n' "$(cat "$src/docs/screens/$name.txt")") >/dev/null; then ok
	else bad "MODULE2.md's screen '$name' is not docs/screens/$name.txt (run tools/guide)"; fi
done <"$patterns"
# every screen MODULE2.md embeds is one the patterns check
while IFS= read -r name; do
	if awk -F '\t' -v n="$name" '$1 == n { found = 1 } END { exit !found }' "$patterns"; then ok
	else bad "MODULE2.md embeds a screen '$name' that patterns.tsv does not check"; fi
	[ -n "$(embedded "$name")" ] && ok || bad "MODULE2.md marks a screen '$name' but has no block after it"
done < <(sed -n 's/^<!-- screen: \(.*\) -->$/\1/p' "$src/MODULE2.md")
for f in "$work"/screens/*.txt; do
	[ -s "$f" ] || bad "empty screen $f"
done

# Every `service = NAME` MODULE2.md suggests names a service of the shop example
# (tests/data/foreign_shop.otlp.json: = wants the whole name).
services=$(jq -r '.resourceSpans[].resource.attributes[] | select(.key == "service.name") | .value.stringValue' \
	"$src/tests/data/foreign_shop.otlp.json" | sort -u)
while IFS= read -r name; do
	grep -qxF -- "$name" <<<"$services" && ok || bad "MODULE2.md suggests 'service = $name': no such service in foreign_shop"
done < <(grep -oE '`service = [^`]+`' "$src/MODULE2.md" | sed -E 's/^`service = (.*)`$/\1/')

printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
