#!/usr/bin/env bash
# The server's clock (pg_stat_statements) in the real binary, on the tests'
# cluster (fixture "pg"; it preloads the library and creates the extension in
# every new database):
#  - run --report json has server_exec "pg_stat_statements" and a median
#    server execution within the client's database time; the text summary
#    and compare's table show it beside the database time, with the
#    remainder named (protocol, parse/bind, client library);
#  - with the extension dropped: "not loaded" and how to enable it;
#  - SQLite's reports say nothing of it;
#  - the --log-file has each request's reading with its trace id;
#  - the explorer's attribution pane, in tmux, shows the trace's server
#    execution, and "not loaded" on the database without the extension.
# Usage: pgstat_test.sh OBSLAB
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" # ok, bad, tm, screen, keys, wait_for, explorer
. "$here/pg_lib.sh"
pg_env_load
work=$(mktemp -d)
sock="obslab-pgstat-$$"
export TMUX_TMPDIR="$work"
trap 'tm kill-server 2>/dev/null; rm -rf "$work"' EXIT
cd "$work" || exit 1
check() { if eval "$2"; then ok; else bad "$1"; fi; }
jfield() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
show() { screen | sed 's/^/    | /'; }
expect() { if wait_for "$1" "${2:-}"; then ok; else bad "$3: screen never showed /$1/"; show; return 1; fi; }

on=$(pg_newdb pgstat_on) || exit 1
off=$(pg_newdb pgstat_off) || exit 1
pg_psql "$off" -c 'DROP EXTENSION IF EXISTS pg_stat_statements' >/dev/null || bad "could not drop the extension"

# --- run on the database with the extension ---------------------------------
"$bin" run --db "$on" --users 50 --requests 5 --report json >on.json 2>on.err
rc=$?
check "run exits 0 ($(head -c 300 on.err))" '[ $rc -eq 0 ]'
check "server_exec is pg_stat_statements: $(jfield on.json 'd.get("server_exec")' 2>&1)" \
	'[ "$(jfield on.json "d[\"server_exec\"]")" = pg_stat_statements ]'
check "every request's server time known" '[ "$(jfield on.json "d[\"server_exec_requests\"]")" = 5 ]'
check "median server execution > 0 and within the client's database time" \
	'jfield on.json "0 < d[\"median_server_exec_ms\"] <= d[\"median_db_ms\"] + d[\"median_network_ms\"]" | grep -q True'
"$bin" run --db "$on" --users 50 --requests 3 >on.txt 2>&1
check "summary shows the server execution" 'grep -q "server execution (pg_stat_statements): [0-9.]* ms, the median over 3 requests" on.txt'
check "summary names the remainder" 'grep -q "protocol, parse/bind, client library" on.txt'
"$bin" run --db "$on" --users 20 --requests 2 --log-file on.log >/dev/null 2>&1
check "the log has each request's server execution with its trace id" \
	'[ "$(grep -c "\"message\":\"server execution (pg_stat_statements)\".*\"statements\":21.*\"trace_id\":\"[0-9a-f]\{32\}\"" on.log)" = 2 ]'

# --- compare: the column, and the JSON field ---------------------------------
"$bin" compare --db "$on" --users 20 --requests 3 >cmp.txt 2>cmp.err
rc=$?
check "compare exits 0 ($(head -c 300 cmp.err))" '[ $rc -eq 0 ]'
check "compare's table has the server exec column" 'grep -q "server exec db - server" cmp.txt'
check "compare's naive row has a server time" 'grep -Eq "^ +20  naive +21 +[0-9.]+ ms +[0-9.]+ ms" cmp.txt'
check "compare says what the remainder is" 'grep -q "protocol, parse/bind and the client library" cmp.txt'
"$bin" compare --db "$on" --users 20 --requests 3 --json >cmp.json 2>/dev/null
check "compare --json: server_exec and each row's median_server_exec_ms" \
	'jfield cmp.json "d[\"server_exec\"] == \"pg_stat_statements\" and all(r[\"median_server_exec_ms\"] is not None and r[\"median_server_exec_ms\"] > 0 for r in d[\"strategies\"])" | grep -q True'

# --- the extension dropped: not loaded, and how to enable it -------------------
"$bin" run --db "$off" --users 20 --requests 3 --report json >off.json 2>off.err
rc=$?
check "run without the extension exits 0 ($(head -c 300 off.err))" '[ $rc -eq 0 ]'
check "server_exec says not loaded" '[ "$(jfield off.json "d[\"server_exec\"]")" = "not loaded" ]'
check "median_server_exec_ms is null" '[ "$(jfield off.json "d[\"median_server_exec_ms\"]")" = None ]'
check "the report says how to enable it" 'jfield off.json "d[\"server_exec_enable\"]" | grep -q "shared_preload_libraries = .pg_stat_statements.*CREATE EXTENSION pg_stat_statements"'
"$bin" compare --db "$off" --users 20 --requests 2 >off_cmp.txt 2>/dev/null
check "compare without the extension: not loaded" 'grep -Eq "^ +20  naive +21 +[0-9.]+ ms +not loaded" off_cmp.txt'
check "compare says how to enable it" 'grep -q "CREATE EXTENSION" off_cmp.txt'
check "obslab created nothing: the extension is still not there" \
	'[ -z "$(pg_psql "$off" -Atc "SELECT 1 FROM pg_extension WHERE extname = '"'"'pg_stat_statements'"'"'")" ]'

# --- SQLite: nothing of it ---------------------------------------------------
"$bin" run --db lab.db --users 20 --requests 2 --report json >lite.json 2>/dev/null
check "SQLite's report has no server_exec" '[ "$(jfield lite.json "\"server_exec\" in d")" = False ]'
"$bin" compare --db lab.db --users 20 --requests 1 --rtt-us 0 >lite_cmp.txt 2>/dev/null
check "SQLite's compare has no server column" '! grep -q "server exec" lite_cmp.txt'

# --- the explorer's attribution pane -----------------------------------------
WAIT_SECONDS=30
explorer 140 32 --db "'$on'" --users 20
expect 'server clock: [0-9.]+[^ ]*s, 21 stmts \(pg_stat_statements\)' 30 "the pane shows the trace's server execution"
keys q
expect 'EXIT=0' 15 "q exits 0"
explorer 140 32 --db "'$off'" --users 20
expect 'server clock: pg_stat_statements not loaded' 30 "the pane says not loaded"
expect 'WARN  server execution: pg_stat_statements' 30 "the log says the server's clock is missing"
keys q
expect 'EXIT=0' 15 "q exits 0"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
