#!/usr/bin/env bash
# Exports as other tools read them: OTLP decoded with OpenTelemetry's own
# protobuf definitions (as a collector does), native snapshots (and the
# example in assets/) validated against the JSON Schema, Chrome events
# checked for nesting. Installs what it needs from the npm registry into
# the build directory, once.
# Usage: files_test.sh PATH/TO/obslab SOURCE_DIR WORK_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
node_dir="$3/node-checks"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1

mkdir -p "$node_dir"
cp "$src/tests/node/package.json" "$src/tests/node/check_files.js" "$node_dir/"
if [ ! -d "$node_dir/node_modules/@opentelemetry/otlp-transformer" ] || [ ! -d "$node_dir/node_modules/ajv-formats" ]; then
	(cd "$node_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null) || { echo "FAIL: npm install"; echo "0 passed, 1 failed"; exit 1; }
fi

failed=0
"$bin" export --format otlp -o "$work/lab.otlp.json" --db "$work/lab.db" --users 30 --requests 3 >/dev/null || failed=1
"$bin" export --format otlp -o "$work/opt.otlp.json" --db "$work/lab.db" --users 30 --requests 2 --strategy eager >/dev/null || failed=1
"$bin" export --format native -o "$work/lab.json" --db "$work/lab.db" --users 30 --requests 3 --index on >/dev/null || failed=1
node "$node_dir/check_files.js" otlp "$work/lab.otlp.json" "$work/opt.otlp.json" || failed=1
node "$node_dir/check_files.js" schema "$src/assets/snapshot.schema.json" "$src/assets/example-snapshot.json" "$work/lab.json" || failed=1

# Chrome: complete events nested on one track, times matching the native spans.
"$bin" export --format chrome -o "$work/lab.trace.json" --db "$work/lab.db" --users 30 --requests 2 >/dev/null || failed=1
jq -e '
  ([.traceEvents[] | select(.ph == "M")] | length == 3)
  and ([.traceEvents[] | select(.name == "process_labels") | .args.labels | test("^SQLite .* file ")] == [true])
  and .otherData.database.system == "sqlite"' "$work/lab.trace.json" >/dev/null || { echo "FAIL: chrome metadata events"; failed=1; }
jq -e '
  [.traceEvents[] | select(.ph == "X")] as $x
  | ($x | length) == 2 * 33
  and all($x[]; .dur >= 0 and .pid == 1 and .tid == 1 and (.ts | type) == "number")
  and ([$x[] | select(.cat == "server")] as $roots
       | all($x[]; . as $e | any($roots[]; .ts <= $e.ts + 0.0005 and $e.ts + $e.dur <= .ts + .dur + 0.0005)))
  and (.otherData.origin_unix_ns | test("^[0-9]+$"))
' "$work/lab.trace.json" >/dev/null || { echo "FAIL: chrome events not well-formed or not nested"; failed=1; }
if [ $failed = 0 ]; then echo "chrome: events nested and in microseconds"; echo "1 passed, 0 failed"; else echo "0 passed, 1 failed"; fi
exit $failed
