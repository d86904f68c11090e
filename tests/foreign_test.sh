#!/usr/bin/env bash
# Anyone's traces, exactly as they are (issue 13's acceptance test): a file
# the real OpenTelemetry JavaScript SDK wrote (tests/node/make_foreign.js: two
# services, statuses, events, typed attributes, links, an N+1 on PostgreSQL
# spans) is reported, converted to every format and back with every field of
# every span kept, explored in tmux, and queried with sqlite3; its variant
# with an orphan, a span under a remote parent (a root, not an orphan), a
# 5 ns clock skew and a duplicate span id is shown and
# its marks are stated, not refused. Installs the SDK and OpenTelemetry's
# protobuf definitions from the npm registry into the build directory, once
# (the directory files_test.sh uses).
# Usage: foreign_test.sh PATH/TO/obslab SOURCE_DIR WORK_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
node_dir="$3/node-checks"
work=$(mktemp -d)
sock="obslab-foreign-$$"
export TMUX_TMPDIR="$work"
cleanup() { tmux -L "$sock" kill-server 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
source "$src/tests/lib.sh"
# check NAME COMMAND...: one check, its output kept in $work/out.txt.
check() {
	local name=$1; shift
	if "$@" >"$work/out.txt" 2>&1; then ok
	else bad "$name: $(grep -v '^[0-9]* passed, [0-9]* failed$' "$work/out.txt" | tail -4 | tr '\n' ' ')"; fi
}

mkdir -p "$node_dir"
cp "$src"/tests/node/{package.json,check_files.js,make_foreign.js,compare_otlp.js} "$node_dir/"
if [ ! -d "$node_dir/node_modules/@opentelemetry/sdk-trace-base" ] || [ ! -d "$node_dir/node_modules/@opentelemetry/otlp-transformer" ] ||
	[ ! -d "$node_dir/node_modules/ajv-formats" ]; then
	(cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || { echo "FAIL: npm install"; echo "0 passed, 1 failed"; exit 1; }
fi

shop=$work/shop.otlp.json broken=$work/broken.otlp.json
node "$node_dir/make_foreign.js" "$shop" >/dev/null && node "$node_dir/make_foreign.js" "$broken" --broken >/dev/null ||
	{ echo "FAIL: make_foreign.js"; echo "0 passed, 1 failed"; exit 1; }
# What the SDK wrote: 4 traces, 25 spans (5 traces, 28 spans in the variant), two services.
jq -e '[.resourceSpans[].scopeSpans[].spans[]] | length == 25' "$shop" >/dev/null && ok || bad "the SDK's file does not have 25 spans"

# report, text: the traces heaviest first with their services, the N+1 with its cost.
check "report of the SDK's file" "$bin" report "$shop"
cp "$work/out.txt" "$work/report.txt"
for want in shop-api inventory 'GET /api/orders/summary' 'POST /api/checkout' 'checkout.failed process'; do
	grep -qF -- "$want" "$work/report.txt" && ok || bad "report does not name '$want'"
done
# GET (22 ms) before POST (9 ms) before GET (3 ms) before the consumer (0.8 ms).
order=$(grep -E 'shop-api|inventory' "$work/report.txt" | grep -oE 'GET /api/orders/summary|POST /api/checkout|checkout\.failed process' | head -4 | paste -sd'|')
[ "$order" = 'GET /api/orders/summary|POST /api/checkout|GET /api/orders/summary|checkout.failed process' ] && ok ||
	bad "report does not list the traces heaviest first: $order"
# the finding, on its line or the few after it
grep -A3 -E 'N\+1.*shop\.orders' "$work/report.txt" >"$work/n1.txt"
grep -Eq '15\.0+ ?ms' "$work/n1.txt" && ok || bad "report: no N+1 on shop.orders costing 15 ms"
grep -Eq '13\.50* ?ms' "$work/n1.txt" && ok || bad "report: the N+1's saving (13.5 ms) is not stated"
grep -q 'database incl\. network' "$work/report.txt" && ok || bad "report does not say 'database incl. network'"
grep -qi 'simulated' "$work/report.txt" && bad "report calls something in a foreign file simulated" || ok

# report --json: a list of traces (service, root name, duration), heaviest first; the finding with cost and saving.
check "report --json" "$bin" report "$shop" --json
cp "$work/out.txt" "$work/report.json"
jq -e . "$work/report.json" >/dev/null && ok || bad "report --json is not JSON"
jq -e '
  first(.. | arrays | select(length == 4 and all(.[]; type == "object")) | select(tostring | test("shop-api"))) as $t
  | ($t[0] | tostring | test("GET /api/orders/summary")) and ($t[0] | tostring | test("shop-api"))
  and ($t[1] | tostring | test("POST /api/checkout")) and ($t[1] | tostring | test("inventory"))
  and ($t[3] | tostring | test("checkout.failed process"))' "$work/report.json" >/dev/null && ok ||
	bad "report --json has no list of the 4 traces, heaviest first, with their services"
jq -e '[.findings[] | select((.kind | tostring | test("n_plus_one")) and (tostring | test("shop.orders")))
        | [.. | numbers] | (any(. == 15 or . == 15000000) and any(. == 13.5 or . == 13500000))] | any' "$work/report.json" >/dev/null && ok ||
	bad "report --json: no N+1 finding on shop.orders with cost 15 ms and saving 13.5 ms"

# convert to each format; a file's own name is refused as the output.
for fmt in otlp native chrome sqlite; do
	check "convert to $fmt" "$bin" convert "$shop" -o "$work/shop.$fmt" --format "$fmt"
	[ -s "$work/shop.$fmt" ] && ok || bad "convert --format $fmt wrote nothing"
done
cp "$shop" "$work/before.json"
"$bin" convert "$shop" -o "$shop" --format otlp >/dev/null 2>&1 && bad "convert overwrote its input" || ok
cmp -s "$shop" "$work/before.json" && ok || bad "convert changed its input"

# every field of every span: otlp -> otlp, otlp -> native -> otlp, and the variant.
check "convert native back to otlp" "$bin" convert "$work/shop.native" -o "$work/back.otlp" --format otlp
check "otlp -> otlp keeps every field" node "$node_dir/compare_otlp.js" same "$shop" "$work/shop.otlp"
check "otlp -> native -> otlp keeps every field" node "$node_dir/compare_otlp.js" same "$shop" "$work/back.otlp"
check "convert the variant to otlp" "$bin" convert "$broken" -o "$work/broken.out.otlp" --format otlp
check "the variant: otlp -> otlp keeps every span, duplicates and orphan included, adds none" \
	node "$node_dir/compare_otlp.js" same "$broken" "$work/broken.out.otlp"
check "the variant: convert to native" "$bin" convert "$broken" -o "$work/broken.native" --format native
check "the variant: native back to otlp" "$bin" convert "$work/broken.native" -o "$work/broken.back.otlp" --format otlp
check "the variant: otlp -> native -> otlp keeps every field" node "$node_dir/compare_otlp.js" same "$broken" "$work/broken.back.otlp"
check "native v2 validates against the schema" node "$node_dir/check_files.js" schema "$src/assets/snapshot.schema.json" "$work/shop.native"
jq -e '.version == 2 and (.resources | length) == 2 and (.scopes | length) >= 3
       and ([.traces[].spans[] | select(has("otlp"))] | length) == 25' "$work/shop.native" >/dev/null && ok ||
	bad "native: not version 2 with 2 resources, the scopes and 25 spans carrying their OTLP"

# no obslab.* attribute on a foreign span, in any output.
check "no obslab.* attribute in otlp, native or chrome" node "$node_dir/compare_otlp.js" clean obslab. \
	"$work/shop.otlp" "$work/back.otlp" "$work/shop.native" "$work/broken.out.otlp"
jq -e '[.traceEvents[] | (.args // {}) | keys[] | select(startswith("obslab."))] | length == 0' "$work/shop.chrome" >/dev/null && ok ||
	bad "chrome: obslab.* in a foreign span's args"
[ "$(sqlite3 "$work/shop.sqlite" .dump 2>&1 | grep -v '^INSERT INTO meta ' | grep -c "'obslab\.")" = 0 ] && ok || bad "sqlite: an obslab.* value in the export"
grep -qF '"obslab.' "$work/shop.otlp" "$work/shop.chrome" && bad "an output names obslab.* (grep)" || ok

# chrome: the spans' own names, their attributes as args.
jq -e '[.traceEvents[] | select(.ph == "X")] as $x
  | ($x | length) == 25 and ([$x[] | select(.name == "SELECT shop.orders")] | length) == 10
  and any($x[]; .name == "POST /reserve") and any($x[]; .args["db.query.text"] // "" | test("\\$1"))' "$work/shop.chrome" >/dev/null && ok ||
	bad "chrome: not the 25 spans under their own names with their attributes"

# SQLite: the issue's own question, then every query the README documents.
out=$(sqlite3 "$work/shop.sqlite" "SELECT name, avg(duration_ns) FROM spans GROUP BY 1" 2>&1)
grep -qx 'SELECT shop.orders|1500000.0' <<<"$out" && ok || bad "sqlite: spans by name: $(head -3 <<<"$out")"
[ "$(sqlite3 "$work/shop.sqlite" 'SELECT count(*) FROM spans' 2>&1)" = 25 ] && ok || bad "sqlite: not 25 spans"
# (statements in ```sql blocks, and `sqlite3 spans.db "..."` lines of its ```sh blocks)
{
	awk '/^```sql$/ { on = 1; next } /^```/ { on = 0 } on' "$src/README.md"
	sed -n 's/^sqlite3 spans\.db "\(.*\)"$/\1;/p' "$src/README.md"
} >"$work/readme.sql"
n=0 stmt=
while IFS= read -r line; do
	case "$line" in --* | '') continue ;; esac
	stmt+="$line"$'\n'
	case "$line" in *\;) ;; *) continue ;; esac
	n=$((n + 1))
	rows=$(sqlite3 -bail "$work/shop.sqlite" "$stmt" 2>&1)
	if [ $? = 0 ] && [ -n "$rows" ] && ! grep -q '^Error' <<<"$rows"; then ok
	else bad "README query $n gives no rows: $(head -c 200 <<<"$stmt") -> $(head -3 <<<"$rows")"; fi
	stmt=
done <"$work/readme.sql"
[ $n -ge 3 ] && ok || bad "the README documents $n SQLite queries (want 3 at least)"

# the variant: opened and reported, not refused, its marks stated.
check "report of the variant (orphan, skew, duplicate)" "$bin" report "$broken"
cp "$work/out.txt" "$work/broken.txt"
for mark in orphan skew duplicate; do
	grep -Ei "$mark" "$work/broken.txt" | grep -Eq '(^|[^0-9.])1([^0-9.]|$)' && ok || bad "report does not state 1 $mark: $(grep -Ei "$mark" "$work/broken.txt" | head -2)"
done
grep -q 'missing parent' "$work/broken.txt" && ok || bad "report does not say the orphan is shown under 'missing parent'"
check "report --json of the variant" "$bin" report "$broken" --json
jq -e '[.. | objects | to_entries[] | select(.key | test("orphan|skew|duplicate")) | select(.value == 1)] | length >= 3' "$work/out.txt" >/dev/null && ok ||
	bad "report --json does not count 1 orphan, 1 skewed, 1 duplicate"
# the variant's trace 5: the SDK's span under a remote parent context (the
# caller's span, in another process; flags 0x301) is its trace's root, not
# a second orphan; POST /release, whose lost parent was local, stays one.
jq -e '.marked.orphan_spans == 1 and .marked.multiroot_traces == 0 and .marked.placeholders == 1
  and any(.trace_list[]; .root == "GET /health" and .spans == 1 and .service == "inventory")' "$work/out.txt" >/dev/null && ok ||
	bad "report --json: the remote-parent span is not its trace's root, or counted as an orphan: $(jq -c '.marked' "$work/out.txt")"
jq -e '[.resourceSpans[].scopeSpans[].spans[] | select(.name == "GET /health") | .flags] == [769]' "$broken" >/dev/null && ok ||
	bad "the variant's GET /health is not under a remote parent (flags 0x301)"

# the explorer: the service, the spans' own names, "missing parent".
start_explorer() { # FILE COLSxROWS
	tm kill-server 2>/dev/null
	sleep 0.5 # the old server gone before a new one starts
	LC_ALL=C.UTF-8 tm -u -f /dev/null new-session -d -x "${2%x*}" -y "${2#*x}" -s t \
		"env LC_ALL=C.UTF-8 TERM=xterm-256color $bin open $1; sleep 30"
	tm set-option -t t -g status off
}
start_explorer "$shop" 200x60
wait_for 'shop-api|inventory' && ok || bad "explorer: no service name on screen: $(screen | head -3)"
# step through the traces until the N+1's (its database spans under their own names)
for _ in 1 2 3 4; do screen | grep -q 'SELECT shop\.orders' && break; keys '['; sleep 0.5; done
wait_for 'SELECT shop\.orders' 5 && ok || bad "explorer: no 'SELECT shop.orders' row (the span's own name)"
screen | grep -Eq 'obslab\.|simulated|VM steps' && bad "explorer shows lab things on a foreign trace: $(screen | grep -E 'obslab\.|simulated|VM steps' | head -2)" || ok
for size in 200x60 80x24; do
	start_explorer "$broken" "$size"
	wait_for 'shop-api|inventory' || bad "explorer $size: the variant did not open: $(screen | head -3)"
	# it opens on the heaviest trace: look both ways
	for k in '[' '[' '[' '[' '[' ']' ']' ']' ']' ']' ']' ']' ']' ']' ']'; do screen | grep -q 'missing parent' && break; keys "$k"; sleep 0.5; done
	wait_for 'missing parent' 5 && ok || bad "explorer $size: no 'missing parent' row in any trace"
done
tm kill-server 2>/dev/null

# The guide's chapter: its commands run, on this file.
commands() { awk '/^ *```shell$/ { on = 1; next } /^ *```/ { on = 0 } on && NF { sub(/^ +/, ""); print }' "$1"; }
n=0
while IFS= read -r line; do
	n=$((n + 1))
	case "$line" in npm\ *) continue ;; esac # what the test did above
	cmd=${line//build\/obslab/$bin}
	cmd=${cmd//tests\/node\//$node_dir/}
	if [[ "$cmd" == *" open "* ]]; then
		TERM=xterm-256color script -qec "$cmd --frames 5" /dev/null >"$work/out.txt" 2>&1 </dev/null
	else
		bash -c "$cmd" >"$work/out.txt" 2>&1 </dev/null
	fi
	[ $? = 0 ] && ok || bad "MODULE2 'Your own traces': '$line' failed: $(tail -3 "$work/out.txt")"
done < <(commands "$src/docs/MODULE2.md.in")
[ $n -ge 4 ] && ok || bad "MODULE2.md.in has $n commands in the chapter 'Your own traces' (\`\`\`shell blocks)"

echo "$passed passed, $failed failed"
[ $failed = 0 ]
