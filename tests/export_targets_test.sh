#!/usr/bin/env bash
# Where exports may write: `export -o` refuses what is not a regular file (a
# symbolic link, a FIFO without blocking, a device, a directory, a socket) in
# one line before the lab runs, gives a new file 0666 & ~umask, keeps a
# replaced file's mode and owner, refuses a file the user cannot write, and
# says "replaced" when it replaced one; the explorer's x never overwrites a
# file, two exports in one second included.
# Usage: export_targets_test.sh PATH/TO/obslab
set -u
WAIT_SECONDS=20
. "$(dirname "$0")/lib.sh" # ok, bad, tm, screen, keys, wait_for
bin=$(realpath "$1")
work=$(mktemp -d)
sock="obslab-targets-$$"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
check() { if eval "$1"; then ok; else bad "$2"; fi; }
sum() { sha256sum <"$1"; }
mode_of() { stat -c %a "$1"; }
small=(--db small.db --users 20 --requests 1)

"$bin" run "${small[@]}" >/dev/null || bad "seeding small.db"

# --- what is not a regular file is refused, before the lab runs, unchanged --------
# The directory as ls -A and stat see it, but for the command's own output.
state() { ls -A | grep -vx -e out.txt -e err.txt | while read -r f; do stat -c '%n %F %s %Y %a %U' -- "$f"; done; }
refused() { # NAME WHAT: export -o NAME fails in one line saying WHAT; nothing else changes
	local before status
	before=$(state)
	timeout 60 "$bin" export --format native -o "$1" --db fresh.db --users 20 --requests 1 >out.txt 2>err.txt
	status=$?
	[ $status = 124 ] && { bad "$1: export -o blocked"; return; }
	check "[ $status = 1 ]" "$1: exit status $status, expected 1"
	check "[ \$(wc -l <err.txt) = 1 ] && grep -q \"cannot write $1: $2\" err.txt" "$1: message: $(cat err.txt)"
	check "[ ! -e fresh.db ]" "$1: the database was created before the target was refused"
	check '[ "$(state)" = "$before" ]' "$1: the directory changed: $(diff <(echo "$before") <(state) | tr '\n' ' ')"
	rm -f fresh.db
}
echo "yesterday's snapshot" >real.json
real_sum=$(sum real.json)
ln -s real.json link.json
refused link.json "it is a symbolic link"
check '[ -L link.json ] && [ "$(sum real.json)" = "$real_sum" ]' "the link or the file it names changed"
ln -s missing.json dangling.json
refused dangling.json "it is a symbolic link"
check '[ ! -e missing.json ]' "a dangling link's file was created"
mkfifo fifo
refused fifo "it is a FIFO, not a regular file"
check '[ -p fifo ]' "the FIFO was replaced"
mkdir dir
refused dir "it is a directory, not a regular file"
if mknod null c 1 3 2>/dev/null; then
	refused null "it is a character device, not a regular file"
	check '[ -c null ]' "the device node was replaced"
	rm -f null
else
	echo "note: mknod is not allowed here (not root): the device case is covered by test_atomicfile's kinds"
fi
if python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock 2>/dev/null; then
	refused sock "it is a socket, not a regular file"
	check '[ -S sock ]' "the socket was replaced"
else
	bad "could not make a socket file (python3)"
fi

# --- modes: a new file follows the umask, a replaced one keeps its mode and owner ----
export_to() { "$bin" export --format native -o "$1" "${small[@]}" >out.txt 2>err.txt; }
(umask 022 && export_to new022.json)
check '[ "$(mode_of new022.json)" = 644 ]' "umask 022 gave mode $(mode_of new022.json), expected 644"
check 'grep -q "^wrote new022.json: native" out.txt' "a new file: $(cat out.txt)"
(umask 077 && export_to new077.json)
check '[ "$(mode_of new077.json)" = 600 ]' "umask 077 gave mode $(mode_of new077.json), expected 600"
echo old >kept.json && chmod 640 kept.json
(umask 022 && export_to kept.json)
check '[ "$(mode_of kept.json)" = 640 ]' "a 0640 file became $(mode_of kept.json)"
check 'grep -q "^replaced kept.json: native" out.txt' "a replaced file: $(cat out.txt)"
check 'jq -e ".format == \"obslab.snapshot\"" kept.json >/dev/null' "kept.json is not the new snapshot"
echo old >wide.json && chmod 664 wide.json
(umask 077 && export_to wide.json)
check '[ "$(mode_of wide.json)" = 664 ]' "a 0664 file under umask 077 became $(mode_of wide.json)"
if [ "$(id -u)" = 0 ]; then
	echo old >owned.json && chown 65534:65534 owned.json
	export_to owned.json
	check '[ "$(stat -c %u:%g owned.json)" = 65534:65534 ]' "the owner was not kept: $(stat -c %u:%g owned.json)"
fi

# --- a file the user cannot write: as an unprivileged user (root may write any) -----
as_user=()
if [ "$(id -u)" != 0 ]; then
	as_user=(env)
elif command -v setpriv >/dev/null; then
	as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
if [ ${#as_user[@]} -gt 0 ]; then
	mkdir user && cp "$bin" user/obslab && chmod 755 user/obslab && chmod 711 "$work"
	[ "$(id -u)" = 0 ] && chown 65534:65534 user
	echo "read-only" >user/ro.json && chmod 444 user/ro.json
	echo "writable" >user/rw.json && chmod 644 user/rw.json
	[ "$(id -u)" = 0 ] && chown 65534:65534 user/ro.json user/rw.json
	ro_sum=$(sum user/ro.json)
	(cd user && "${as_user[@]}" ./obslab export --format native -o ro.json --db :memory: --users 20 --requests 1 >../out.txt 2>../err.txt)
	status=$?
	check '[ $status = 1 ]' "a read-only file: exit status $status, expected 1"
	check 'grep -q "cannot write ro.json: Permission denied (mode 0444)" err.txt' "a read-only file: $(cat err.txt)"
	check '[ "$(sum user/ro.json)" = "$ro_sum" ] && [ "$(mode_of user/ro.json)" = 444 ]' "the read-only file changed"
	(cd user && "${as_user[@]}" ./obslab export --format native -o rw.json --db :memory: --users 20 --requests 1 >../out.txt 2>../err.txt)
	check '[ $? = 0 ] && jq -e .traces user/rw.json >/dev/null' "a writable file was not replaced: $(cat err.txt)"
	check '[ "$(ls -A user | tr "\n" " ")" = "obslab ro.json rw.json " ]' "debris in user/: $(ls -A user)"
else
	bad "root without setpriv: cannot check a read-only file as an unprivileged user"
fi

# --- the explorer's x: never overwrites, two exports in one second get two names ----
mkdir x
# a file for each of the next 20 seconds' names, so x always finds its name taken
now=$(date +%s)
for i in $(seq 0 20); do
	stamp=$(date -u -d "@$((now + i))" +%Y%m%dT%H%M%SZ)
	echo "decoy $i" >"x/obslab-snapshot-$stamp.json"
done
decoys=$(cd x && sha256sum -- * | sort)
LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x 120 -y 40 -s t \
	"env LC_ALL=C.UTF-8 TERM=xterm-256color $bin --db $work/small.db --users 20 --export-dir $work/x; sleep 60"
tm set-option -t t -g status off
wait_for 'GET /users/analytics' || bad "the explorer did not start"
tm send-keys -t t Space
wait_for '‖ paused' || bad "the explorer did not pause"
tm send-keys -t t x n x n
made() { ls x | grep -E -- '-[0-9]+\.json$'; }
deadline=$((SECONDS + 30))
while [ "$(made | wc -l)" -lt 2 ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
wait_for 'wrote .*obslab-snapshot-[0-9]{8}T[0-9]{6}Z-[0-9]+\.json' || bad "the status did not say what x wrote"
log=$(screen)
tm send-keys -t t q
check '[ "$(cd x && sha256sum -- $(ls | grep -vE -- "-[0-9]+\.json$") | sort)" = "$decoys" ]' "x overwrote a file"
new=$(made)
check '[ "$(echo "$new" | wc -l)" = 2 ]' "two x exports made: $(echo "$new" | tr '\n' ' ')"
for f in $new; do
	check 'jq -e ".format == \"obslab.snapshot\"" "x/$f" >/dev/null' "x/$f is not a snapshot"
done
check '[ "$(ls -A x | wc -l)" = 23 ]' "debris in x/: $(ls -A x | tr '\n' ' ')"
# every name the screen says was written is one of the new files
wrote=$(echo "$log" | grep -oE 'wrote [^ ]*obslab-snapshot-[0-9TZ]+(-[0-9]+)?\.json' | sed 's|.*/||' | sort -u)
check '[ -n "$wrote" ] && [ -z "$(comm -23 <(echo "$wrote") <(echo "$new" | sort))" ]' \
	"the screen says it wrote a file x did not make: $(echo "$wrote" | tr '\n' ' ')"

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
