#!/usr/bin/env bash
# Exports of a PostgreSQL lab name the database and read back as PostgreSQL,
# the real binary on the tests' cluster (tests/pg_lib.sh):
#  - obslab export --db CONNINFO --format F, for native, otlp, chrome and
#    sqlite: each names the database (jq on the JSON formats, sqlite3 on the
#    SQLite one); the OTLP spans keep db.system.name, db.namespace, server.*;
#  - obslab report on the native export: the database's line, the network
#    "measured round trip", never "simulated"; report on the OTLP export
#    reads its spans back;
#  - obslab open of the native export in tmux: the attribution pane's label
#    is PostgreSQL's ("network: measured round trips"), nothing "simulated";
#  - a URI with a password: the password is in no export (grep);
#  - a SQLite lab's export names its file, network simulated.
# Usage: pg_export_test.sh PATH/TO/obslab
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # ok, bad, tm, screen, keys, wait_for
. "$here/pg_lib.sh"
bin=$(realpath "$1")
pg_env_load
work=$(mktemp -d)
sock="obslab-pgexport-$$"
export TMUX_TMPDIR="$work"
cleanup() { tm kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
for tool in jq sqlite3; do
	command -v "$tool" >/dev/null || { bad "$tool is not installed (tools/deps)"; echo "$passed passed, $failed failed"; exit 1; }
done

db=$(pg_newdb export) || { echo "0 passed, 1 failed"; exit 1; }
dbname=${db##*dbname=}
check() { # check DESCRIPTION COMMAND...: ok if the command succeeds
	local what=$1; shift
	if "$@" >check.out 2>&1; then ok; else bad "$what: $(head -c 400 check.out)"; fi
}

# ---- every format names the database ---------------------------------------------
for f in native otlp chrome sqlite; do
	case $f in native) out=pg.json ;; otlp) out=pg.otlp.json ;; chrome) out=pg.trace.json ;; sqlite) out=pg.sqlite ;; esac
	if "$bin" export --db "$db" --users 20 --requests 3 --format "$f" -o "$out" >"$f.out" 2>&1; then ok; else
		bad "export --format $f: $(cat "$f.out")"; fi
done
check "native: settings.database is PostgreSQL's" \
	jq -e --arg n "$dbname" '.settings.database | .system == "postgresql" and .namespace == $n
	    and (.server_port | type) == "number" and .server_address != "" and (.display | test("^PostgreSQL .* database " + $n))' pg.json
check "native: the network is measured" jq -e '.settings.network == "measured"' pg.json
check "native: every database span says postgresql" \
	jq -e '[.traces[].spans[] | select(.db)] | length > 0 and all(.db.system == "postgresql")' pg.json
check "otlp: the resource says where the lab ran" \
	jq -e --arg n "$dbname" '.resourceSpans[0].resource.attributes[] | select(.key == "obslab.db.display") | .value.stringValue | test("database " + $n)' pg.otlp.json
check "otlp: database spans carry db.system.name, db.namespace, server.*" \
	jq -e --arg n "$dbname" '[.resourceSpans[0].scopeSpans[0].spans[] | .attributes | from_entries
	    | select(."db.query.text")] | length > 0 and all(."db.system.name".stringValue == "postgresql"
	    and ."db.namespace".stringValue == $n and (."server.port".intValue | tonumber) > 0 and ."server.address".stringValue != "")' pg.otlp.json
check "chrome: otherData.database and the process label" \
	jq -e --arg n "$dbname" '(.otherData.database.system == "postgresql" and .otherData.database.namespace == $n)
	    and ([.traceEvents[] | select(.name == "process_labels") | .args.labels | test("^PostgreSQL")] == [true])' pg.trace.json
if [ "$(sqlite3 pg.sqlite "SELECT value FROM meta WHERE key = 'database.system'")" = postgresql ] &&
	[ "$(sqlite3 pg.sqlite "SELECT value FROM meta WHERE key = 'database.namespace'")" = "$dbname" ] &&
	[ "$(sqlite3 pg.sqlite "SELECT value > 0 FROM meta WHERE key = 'database.server_port'")" = 1 ] &&
	sqlite3 pg.sqlite "SELECT value FROM meta WHERE key = 'database.display'" | grep -q '^PostgreSQL '; then ok; else
	bad "sqlite: meta names the database: $(sqlite3 pg.sqlite 'SELECT * FROM meta' 2>&1)"; fi

# ---- read back: report, and the explorer ------------------------------------------
"$bin" report pg.json >report.txt 2>&1 || bad "report pg.json failed: $(cat report.txt)"
check "report names the database" grep -Eq "^  database: PostgreSQL .*database $dbname" report.txt
check "report: network measured, settings too" grep -q 'network .* ms (measured round trip)' report.txt
check "report: settings say measured" grep -q '^settings: naive, 20 users, network measured' report.txt
if grep -q simulated report.txt; then bad "report of a PostgreSQL export says simulated: $(cat report.txt)"; else ok; fi
check "report --json names the database" \
	sh -c "'$bin' report --json pg.json | jq -e '.database.system == \"postgresql\"'"
check "report reads the OTLP export back" "$bin" report pg.otlp.json

explorer 160 45 open pg.json
if wait_for 'network: measured round trips' 20; then ok; else
	bad "open pg.json: the attribution pane's network is not labelled measured"; screen | sed 's/^/    | /'; fi
if screen | grep -Eq 'simulated'; then bad "open pg.json says simulated"; screen | sed 's/^/    | /'; else ok; fi
keys q
wait_for 'EXIT=0' 10 && ok || bad "open: q did not exit 0"

# ---- a password never reaches an export --------------------------------------------
secret="s3cr3t-Pw-$$"
pg_psql "$OBSLAB_TEST_PG" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'obslab_export_pw') THEN
	CREATE ROLE obslab_export_pw LOGIN SUPERUSER PASSWORD '$secret'; END IF; END \$\$" >/dev/null ||
	bad "could not create a role with a password"
tcp=$(pg_newdb_tcp exportpw) || { echo "$passed passed, $((failed + 1)) failed"; exit 1; }
host=$(printf '%s' "$tcp" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
port=$(printf '%s' "$tcp" | sed -n 's/.*port=\([^ ]*\).*/\1/p')
uri="postgresql://obslab_export_pw:$secret@$host:$port/${tcp##*dbname=}"
for f in native otlp chrome sqlite; do
	out="pw.$f"
	if "$bin" export --db "$uri" --users 20 --requests 2 --format "$f" -o "$out" >pw.out 2>&1; then ok; else
		bad "export --format $f over a URI with a password: $(cat pw.out)"; continue; fi
	if grep -aq "$secret" "$out" pw.out; then bad "the password is in the $f export"; else ok; fi
done
check "the URI's export names its database" jq -e --arg n "${tcp##*dbname=}" '.settings.database.namespace == $n' pw.native

# ---- a SQLite lab names its file -------------------------------------------------
"$bin" export --db lab.db --users 20 --requests 2 --format native -o sqlite.json >/dev/null 2>&1 || bad "export on SQLite failed"
check "SQLite: the file, network simulated" \
	jq -e '.settings.database.system == "sqlite" and .settings.database.namespace == "lab.db"
	    and .settings.network == "simulated" and ([.traces[].spans[].db.system // empty] == [])' sqlite.json

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
