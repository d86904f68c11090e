#!/usr/bin/env bash
# Exports that fail never leave a partial file under the final name, nor a
# temporary beside it, and a file already there is intact: a full filesystem
# (a 256 KiB tmpfs, where mounting is allowed), a directory that does not
# exist, and the process ended by SIGKILL, SIGINT, SIGTERM or SIGHUP in the
# middle of a large export.
# Usage: atomic_test.sh PATH/TO/obslab
set -u
bin=$(realpath "$1")
work=$(mktemp -d)
mnt="$work/full"
cleanup() { mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
passed=0 failed=0 skipped=0
ok() { passed=$((passed + 1)); }
skip() { skipped=$((skipped + 1)); printf 'SKIP: %s\n' "$*"; }
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
	skip "mount is not allowed here: the full-disk case did not run (test_snapshot's size limit covers its code path)"
fi

# a file size limit (RLIMIT_FSIZE): a write error to report, not SIGXFSZ
echo "the snapshot of yesterday" >limited.json
sum=$(sha256sum <limited.json)
(ulimit -f 1000; exec "$bin" export --format otlp -o limited.json --db lab.db --users 2000 --requests 2 --index on) \
	>out.txt 2>err.txt
status=$?
[ $status = 1 ] && ok || bad "a file size limit: exit $status, expected 1 (153 is death by SIGXFSZ)"
grep -q "cannot write limited.json: File too large" err.txt && ok || bad "message: $(cat err.txt)"
intact limited.json "$sum"
no_temps limited.json

# a directory that is not there
"$bin" export --format native -o "$work/missing/snap.json" --db lab.db --users 2000 --requests 1 >out.txt 2>err.txt
[ $? = 1 ] && ok || bad "a missing directory did not fail the export"
grep -q "cannot write $work/missing/snap.json: No such file or directory" err.txt && ok || bad "message: $(cat err.txt)"

# Killed mid-write: a 300 000-span export (about 100 MB) is signalled once its
# temporary holds 8 MB. The temporary is the file the process has open in
# this directory: named (TARGET.XXXXXX) or unnamed (O_TMPFILE, "#N (deleted)").
temp_size() {
	local fd target
	for fd in /proc/"$1"/fd/*; do
		target=$(readlink "$fd" 2>/dev/null) || continue
		case "$target" in
		"$work"/big.json.* | "$work"/\#*) stat -L -c %s "$fd" 2>/dev/null && return ;;
		esac
	done
}
"$bin" run --db big.db --users 100000 --requests 1 --index on --rtt-us 0 >/dev/null 2>&1 || bad "seeding big.db"
echo "the snapshot of yesterday" >big.json
sum=$(sha256sum <big.json)
before=$(ls -A)
for sig in KILL INT TERM HUP; do
	# a background job of a script ignores SIGINT: give the export the defaults
	env --default-signal=INT,TERM,HUP "$bin" export --format native -o big.json --db big.db --users 100000 \
		--requests 3 --index on --rtt-us 0 >/dev/null 2>&1 &
	pid=$!
	killed=0
	for _ in $(seq 6000); do
		size=$(temp_size $pid)
		if [ -n "$size" ] && [ "$size" -ge 8000000 ]; then
			kill -"$sig" $pid 2>/dev/null && killed=1
			break
		fi
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	wait $pid 2>/dev/null
	status=$?
	[ $killed = 1 ] && ok || bad "SIG$sig: never saw the export writing (to signal it)"
	[ $status -gt 128 ] && ok || bad "SIG$sig: the export was not ended by the signal (status $status)"
	intact big.json "$sum"
	after=$(ls -A)
	[ "$after" = "$before" ] && ok || bad "SIG$sig left debris: $(comm -13 <(echo "$before") <(echo "$after") | tr '\n' ' ')"
	rm -f big.json.*
done

printf '%d passed, %d failed, %d skipped\n' "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
