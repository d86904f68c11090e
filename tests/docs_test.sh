#!/usr/bin/env bash
# The README and MODULE2.md stay true:
#  - every key of the key table is listed in both, and they list no other;
#  - every command in their ```sh blocks runs and exits 0 (in a temporary
#    directory, so against a temporary database; the explorer's with
#    --frames 5 in a pseudo-terminal). The two setup commands at the top of
#    the README (tools/deps, tools/check) are what CI itself runs: skipped;
#  - every screen embedded in MODULE2.md shows what docs/screens/patterns.tsv
#    says, and tools/screens can capture them all again from the binary.
# Usage: docs_test.sh PATH/TO/obslab SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
docs=("$src/README.md" "$src/MODULE2.md")

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
		*tools/deps* | *tools/check*) continue ;;
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
while IFS=$'\t' read -r name regex; do
	block=$(awk -v n="<!-- screen: $name -->" '$0 == n { want = 1; next } want && /^```text$/ { on = 1; next } on && /^```$/ { exit } on { print }' "$src/MODULE2.md")
	[ -z "$block" ] && continue
	grep -Eq -- "$regex" <<<"$block" && ok || bad "MODULE2.md's screen '$name' does not show /$regex/"
done <"$patterns"
if bash "$src/tools/screens" "$work/screens" "$bin" >"$work/screens.log" 2>&1; then ok; else bad "tools/screens: $(tail -5 "$work/screens.log")"; fi
for f in "$work"/screens/*.txt; do
	[ -s "$f" ] || bad "empty screen $f"
done

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
