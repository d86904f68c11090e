#!/usr/bin/env bash
# bench/run's pg section: the lab on PostgreSQL, measured. A throwaway
# cluster (tools/pgcluster, in /tmp, stopped at the end) holds one database
# per user count. For 20, 1 000 and 10 000 users it runs
#   obslab run --db URI --strategy S --users N --requests K --report json
# for naive, optimized, eager and pipelined over the Unix socket and over TCP
# loopback (obslab's tracing on, as it runs by default), then the same on
# SQLite (naive, optimized, eager: pipelined needs a client/server database)
# with --rtt-us set to the round trip measured on each transport and to 0, and the
# original lab's SQLAlchemy application (bench/peer/app.py --time: naive and
# optimized, untraced as a new user first runs it) on the same PostgreSQL
# database. The round trip is measured, not assumed: obslab-pg-rtt times
# empty statements over libpq (median of 2 000).
# Prints one table: median ms per request (K requests each), queries per request,
# and the peer's time over obslab's (same strategy, same transport).
# Usage: bench/pg.sh BUILD_DIR [--smoke] [--index on|off]
#   --smoke: 20 and 1 000 users, 2 requests each (to see it work, not to measure)
#   --index: the index on orders.user_id in every database (on: round trips
#            are the cost, the lesson the pipelined strategy answers; off:
#            every count query scans the table, on the server or in SQLite)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "$1")
shift
bin=$build/obslab rtt_bin=$build/bench/obslab-pg-rtt
users_list=(20 1000 10000) smoke= index=on
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) users_list=(20 1000) smoke=yes ;;
	--index) [ $# -gt 1 ] && [[ $2 == on || $2 == off ]] || { echo "bench/pg.sh: --index on|off" >&2; exit 2; }
		index=$2; shift ;;
	*) echo "bench/pg.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
# Requests per run: enough for a median, few where one naive request is 10 001 queries.
requests_for() {
	if [ -n "$smoke" ]; then echo 2; return; fi
	case $1 in 20) echo 50 ;; 1000) echo 10 ;; *) echo 3 ;; esac
}
[ -x "$bin" ] && [ -x "$rtt_bin" ] || { echo "  pg: build obslab and obslab-pg-rtt in $build first" >&2; exit 1; }
command -v jq >/dev/null && command -v psql >/dev/null ||
	{ echo "  pg: jq and psql are needed (tools/deps)" >&2; exit 1; }
py=/usr/bin/python3 # Debian's, with Debian's packages (a pyenv python3 may shadow it)
peer=yes
if ! "$py" -c 'import fastapi, sqlalchemy, psycopg2' 2>/dev/null; then
	echo "  peer: the SQLAlchemy app needs Debian's python3-fastapi python3-sqlalchemy python3-psycopg2;"
	echo "        its columns are missing"
	peer=
fi

work=$(mktemp -d)
cd "$work" # whatever a command writes where it runs lands here
cluster=$(mktemp -d /tmp/obslab-pg.XXXXXX)
trap 'bash "$root/tools/pgcluster" stop "$cluster" >/dev/null || true; rm -rf "$work"' EXIT
bash "$root/tools/pgcluster" start "$cluster" >"$work/env" ||
	{ echo "  pg: the throwaway cluster did not start" >&2; exit 1; }
port=$(sed -n "s/^OBSLAB_TEST_PG_TCP='.* port=\([0-9]*\) .*/\1/p" "$work/env")
admin="host=$cluster port=$port user=obslab dbname=postgres"
# conninfo TRANSPORT DB: libpq's key=value form, for obslab, the peer and obslab-pg-rtt alike.
conninfo() {
	if [ "$1" = socket ]; then echo "host=$cluster port=$port user=obslab dbname=$2"
	else echo "host=127.0.0.1 port=$port user=obslab dbname=$2"; fi
}

# The round trip on each transport, microseconds: median and least.
declare -A rtt rtt_min
for t in socket tcp; do
	read -r rtt[$t] rtt_min[$t] < <("$rtt_bin" "$(conninfo $t postgres)" 2000)
done

declare -A total qpr net
# run_obslab KEY DB ARGS...: one obslab run; its median request and queries per request under KEY.
run_obslab() {
	local key=$1 db=$2 out; shift 2
	if ! out=$("$bin" run --db "$db" --report json --index "$index" "$@" 2>"$work/err"); then
		echo "  pg: obslab run --db '$db' $*: $(head -1 "$work/err")" >&2
		total[$key]=- qpr[$key]=- net[$key]=-
		return
	fi
	if [[ $db == host=* ]] && [ "$(psql -X -A -t -d "$db" -c \
		"SELECT count(*) FROM pg_namespace WHERE nspname = 'obslab_lab'" 2>/dev/null)" != 1 ]; then
		echo "  pg: obslab run --db '$db' $*: it ran, but not on PostgreSQL (no schema obslab_lab there)" >&2
		total[$key]=- qpr[$key]=- net[$key]=-
		return
	fi
	total[$key]=$(jq -r '.median_total_ms' <<<"$out")
	qpr[$key]=$(jq -r '.queries_per_request' <<<"$out")
	net[$key]=$(jq -r '.network' <<<"$out")
}

for users in "${users_list[@]}"; do
	k=$(requests_for "$users")
	psql -X -q -v ON_ERROR_STOP=1 -d "$admin" -c "CREATE DATABASE bench_$users" >/dev/null 2>"$work/err" ||
		{ echo "  pg: CREATE DATABASE bench_$users: $(tail -1 "$work/err")" >&2; exit 1; }
	for s in naive optimized eager pipelined; do
		for t in socket tcp; do
			run_obslab "$t,$s,$users" "$(conninfo $t "bench_$users")" --strategy "$s" --users "$users" --requests "$k"
		done
	done
	for s in naive optimized eager; do
		for t in socket tcp; do
			us=$(awk -v u="${rtt[$t]}" 'BEGIN { printf "%d", u + 0.5 }')
			run_obslab "sqlite-$t,$s,$users" "$work/lab$users.db" --strategy "$s" --users "$users" --requests "$k" \
				--rtt-us "$us"
		done
	done
	for s in naive optimized eager; do
		run_obslab "sqlite-0,$s,$users" "$work/lab$users.db" --strategy "$s" --users "$users" --requests "$k" --rtt-us 0
	done
	if [ -n "$peer" ]; then
		for s in naive optimized; do
			for t in socket tcp; do
				total[peer-$t,$s,$users]=$("$py" "$root/bench/peer/app.py" --time "$(conninfo $t "bench_$users")" \
					"$s" "$k" 2>"$work/err") || {
					echo "  peer: $s over $t, $users users: $(grep -m1 -E '^[A-Za-z_.]*(Error|Exception)' "$work/err" |
						cut -c1-160)" >&2
					total[peer-$t,$s,$users]=-
				}
			done
		done
	fi
done

cell() { echo "${total[$1]:--}"; }
# ratio PEER OBSLAB: the peer's time over obslab's, "-" when either is missing.
ratio() {
	local a=${total[$1]:--} b=${total[$2]:--}
	if [ "$a" = - ] || [ "$b" = - ]; then echo -; return; fi
	awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'
}
otel=$(apt-cache policy 'python3-opentelemetry*' 2>/dev/null | grep -c '^python3-opentelemetry' || true)
echo
echo "  The lab on PostgreSQL 15 ($cluster, a throwaway cluster) beside SQLite, median ms per request:"
echo "  round trip measured (obslab-pg-rtt, empty statements over libpq): Unix socket ${rtt[socket]} us"
echo "  (least ${rtt_min[socket]}), TCP loopback ${rtt[tcp]} us (least ${rtt_min[tcp]}); SQLite's --rtt-us is"
echo "  that figure, rounded, simulated per query, and 0. obslab's tracing is on (every statement a span);"
if [ "$otel" = 0 ]; then
	echo "  the peer is untraced (Debian packages no Python OpenTelemetry: apt-cache policy python3-opentelemetry* names none)."
else
	echo "  the peer is untraced, as a new user first runs it."
fi
echo
fmt='  | %-9s | %5s | %7s | %9s | %9s | %9s | %9s | %9s | %9s | %9s | %7s | %7s |\n'
printf "$fmt" strategy users queries "PG socket" "PG TCP" "SQLite" "SQLite" "SQLite" "peer" "peer" "peer /" "peer /"
printf "$fmt" "" "" "/ req" "measured" "measured" "sim sock" "sim TCP" "rtt 0" "PG sock" "PG TCP" "obslab" "obslab"
printf "$fmt" "" "" "" "" "" "" "" "" "" "" "sock" "TCP"
printf '  |%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ----------- ------- --------- ----------- ----------- \
	----------- ----------- ----------- ----------- ----------- --------- ---------
for users in "${users_list[@]}"; do
	for s in naive optimized eager pipelined; do
		key=$s,$users
		printf "$fmt" "$s" "$users" \
			"${qpr[socket,$key]:--}" "$(cell "socket,$key")" "$(cell "tcp,$key")" \
			"$(cell "sqlite-socket,$key")" "$(cell "sqlite-tcp,$key")" "$(cell "sqlite-0,$key")" \
			"$(cell "peer-socket,$key")" "$(cell "peer-tcp,$key")" \
			"$(ratio "peer-socket,$key" "socket,$key")" "$(ratio "peer-tcp,$key" "tcp,$key")"
	done
done
echo
echo "  obslab run --report json, median_total_ms of K requests (K: $(for u in "${users_list[@]}"; do
	printf '%s users %s; ' "$u" "$(requests_for "$u")"; done | sed 's/; $//')), index $index. PG rows' network"
echo "  figure: \"${net[socket,naive,${users_list[0]}]:-?}\"; SQLite's: \"${net[sqlite-socket,naive,${users_list[0]}]:-?}\"."
echo "  peer: bench/peer/app.py --time, the endpoint's function and its JSON body in-process (no HTTP,"
echo "  like obslab run), SQLAlchemy $("$py" -c 'import sqlalchemy; print(sqlalchemy.__version__)' 2>/dev/null ||
	echo -) over psycopg2, one warm-up request; pipelined and eager have no peer endpoint."
