#!/usr/bin/env bash
# Exports that fail never leave a partial file under the final name, and a
# file already there is intact: a full filesystem (a 256 KiB tmpfs, where
# mounting is allowed), a directory that does not exist, and the process
# killed in the middle of a large export.
# Usage: atomic_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
work=$(mktemp -d)
mnt="$work/full"
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); printf 'FAIL: %s\n' "$*"; }
intact() { if [ "$(sha256sum <"$1")" = "$2" ]; then ok; else bad "$1 changed"; fi; }
no_temps() { if ls "$1".* >/dev/null 2>&1; then bad "temporary files left: $(ls "$1".*)"; else ok; fi; }

"$bin" run --db lab.db --users 2000 --requests 1 --index on >/dev/null || bad "seeding"

# a full filesystem
mkdir -p "$mnt"
if mount -t tmpfs -o size=256k tmpfs "$mnt" 2>/dev/null; then
	echo "the snapshot of yesterday" >"$mnt/snap.json"
	sum=$(sha256sum <"$mnt/snap.json")
	"$bin" export --format otlp -o "$mnt/snap.json" --db lab.db --users 2000 --requests 2 --index on >out.txt 2>err.txt
	[ $? = 1 ] && ok || bad "a full disk did not fail the export"
	grep -q "cannot write $mnt/snap.json: No space left on device" err.txt && ok || bad "message: $(cat err.txt)"
	intact "$mnt/snap.json" "$sum"
	no_temps "$mnt/snap.json"
else
	echo "note: mount is not allowed here; the full-disk case is covered by test_snapshot's size limit"
fi

# a directory that is not there
"$bin" export --format native -o "$work/missing/snap.json" --db lab.db --users 2000 --requests 1 >out.txt 2>err.txt
[ $? = 1 ] && ok || bad "a missing directory did not fail the export"
grep -q "cannot write $work/missing/snap.json: No such file or directory" err.txt && ok || bad "message: $(cat err.txt)"

# killed mid-write: a 100 000-span export, SIGKILL once its temporary file exists
echo "the snapshot of yesterday" >big.json
sum=$(sha256sum <big.json)
"$bin" export --format native -o big.json --db big.db --users 100000 --requests 1 --index on --rtt-us 0 >/dev/null 2>&1 &
pid=$!
killed=0
for _ in $(seq 2000); do
	if ls big.json.* >/dev/null 2>&1 && [ -s "$(ls big.json.* | head -1)" ]; then
		kill -KILL $pid 2>/dev/null && killed=1
		break
	fi
	sleep 0.01
done
wait $pid 2>/dev/null
[ $killed = 1 ] && ok || bad "never saw the export writing (to kill it)"
intact big.json "$sum"
rm -f big.json.*

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
