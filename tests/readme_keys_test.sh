#!/usr/bin/env bash
# The README lists the keys exactly as the key table does (obslab --keys).
# Usage: readme_keys_test.sh PATH/TO/obslab README.md
set -u
if grep -qxF -f <("$1" --keys) "$2" && [ "$("$1" --keys | grep -cxF -f - "$2")" -eq "$("$1" --keys | wc -l)" ]; then
	echo "1 passed, 0 failed"
else
	echo "FAIL: README.md's key list differs from 'obslab --keys'; paste its output into the README"
	diff <("$1" --keys) <(grep -E '^\| (`|key )' "$2" ; grep -E '^\|---\|---\|$' "$2") | head -20
	echo "0 passed, 1 failed"
	exit 1
fi
