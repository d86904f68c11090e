/* snapshot: round trips through native and OTLP, the Chrome events, atomic
 * writes that fail cleanly, and a table of files the reader must refuse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cjson/cJSON.h>
#include <glob.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/findings.h"
#include "obslab/httpinfo.h"
#include "obslab/otel.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static const struct findings_config fcfg = { .n1_min_count = 5, .n1_min_ns = 0 };

static void capture(struct lab *lab)
{
	lab_open(lab, ":memory:", 20, false);
	lab_request(lab, STRATEGY_NAIVE);
	lab_request(lab, STRATEGY_OPTIMIZED);
	lab_request(lab, STRATEGY_EAGER);
	lab_request(lab, STRATEGY_NAIVE);
}

static void same_traces(const struct lab *lab, const struct clock_anchor *anchor, const struct snapshot *snap,
                        bool native)
{
	struct store *back = snapshot_store(snap);
	assert_int_equal(store_trace_count(back), store_trace_count(lab->store));
	struct findings fa, fb;
	findings_init(&fa);
	findings_init(&fb);
	for (size_t i = 0; i < store_trace_count(back); i++) {
		const struct trace *a = store_trace(lab->store, i), *b = store_trace(back, i);
		assert_memory_equal(a->trace_id, b->trace_id, SPAN_TRACE_ID_LEN);
		assert_int_equal(a->nspans, b->nspans);
		for (size_t k = 0; k < a->nspans; k++) {
			const struct span_record *x = &a->spans[k], *y = &b->spans[k];
			assert_int_equal(x->span_id, y->span_id);
			assert_int_equal(x->parent_id, y->parent_id);
			assert_string_equal(strtab_get(lab->names, x->name), strtab_get(snap->names, y->name));
			assert_int_equal(x->kind, y->kind);
			assert_int_equal(clock_to_unix_ns(anchor, x->start_ns), y->start_ns);
			assert_int_equal(clock_to_unix_ns(anchor, x->end_ns), y->end_ns);
			if (!native) {
				/* OTLP is anyone's format: read back, the lab's spans are
				 * foreign, their records derived from the file alone. */
				assert_true(y->flags & SPAN_F_FOREIGN);
				assert_int_equal(x->flags & SPAN_F_DB, y->flags & SPAN_F_DB);
				const struct otel_span *sp = otel_span_of(snap->otel, y);
				assert_non_null(sp);
				assert_int_equal(sp->span_id, x->span_id);
				assert_int_equal(sp->marks, 0);
				continue;
			}
			assert_int_equal(x->flags, y->flags);
			if (x->flags & SPAN_F_DB)
				assert_memory_equal(&x->u.db, &y->u.db, sizeof x->u.db);
			else if (x->parent_id == 0)
				assert_int_equal(x->u.root.users, y->u.root.users);
			if (x->parent_id == 0)
				assert_int_equal(x->strategy, y->strategy);
			assert_int_equal(x->sort_ops, y->sort_ops);
		}
		if (!native)
			continue;
		struct attribution aa = analysis_attribution(a), ab = analysis_attribution(b);
		assert_memory_equal(&aa, &ab, sizeof aa);
		findings_detect(&fa, a, &fcfg, lab->names);
		findings_detect(&fb, b, &fcfg, snap->names);
		assert_int_equal(fa.n, fb.n);
		for (size_t k = 0; k < fa.n; k++) {
			assert_int_equal(fa.item[k].kind, fb.item[k].kind);
			assert_int_equal(fa.item[k].count, fb.item[k].count);
			assert_int_equal(fa.item[k].cost_ns, fb.item[k].cost_ns);
			assert_int_equal(fa.item[k].saving_ns, fb.item[k].saving_ns);
		}
		struct query_stat qa[8], qb[8];
		size_t na = analysis_query_stats(a, qa, 8), nb = analysis_query_stats(b, qb, 8);
		assert_int_equal(na, nb);
		for (size_t k = 0; k < na; k++) {
			assert_int_equal(qa[k].calls, qb[k].calls);
			assert_int_equal(qa[k].total_ns, qb[k].total_ns);
			assert_int_equal(qa[k].p95_ns, qb[k].p95_ns);
		}
	}
	findings_free(&fa);
	findings_free(&fb);
	store_destroy(back);
}

static void round_trip(enum snapshot_format format)
{
	struct lab lab;
	capture(&lab);
	struct clock_anchor anchor = clock_anchor();
	struct snapshot_meta meta = { .settings = { .strategy = STRATEGY_NAIVE, .users = 20, .rtt_us = 0 },
	                              .has_settings = true, .dropped_spans = 3, .anchor = anchor, .has_shown = true };
	memcpy(meta.shown_trace_id, store_trace(lab.store, 1)->trace_id, SPAN_TRACE_ID_LEN); /* not the newest */
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, format == SNAPSHOT_NATIVE ? "rt.json" : "rt.otlp.json");
	assert_true(snapshot_write(path, format, lab.store, lab.names, &meta, &fcfg, &err));
	struct snapshot snap;
	if (!snapshot_read(path, &snap, &err))
		fail_msg("read back: %s", err.msg);
	assert_int_equal(snap.format, format);
	assert_int_equal(snap.ntraces, 4);
	if (format == SNAPSHOT_NATIVE) {
		assert_true(snap.meta.has_settings);
		assert_int_equal(snap.meta.settings.users, 20);
		assert_int_equal(snap.meta.dropped_spans, 3);
		assert_true(snap.meta.has_shown); /* what the explorer's open shows first */
		assert_memory_equal(snap.meta.shown_trace_id, store_trace(lab.store, 1)->trace_id, SPAN_TRACE_ID_LEN);
	}
	same_traces(&lab, &anchor, &snap, format == SNAPSHOT_NATIVE);
	snapshot_free(&snap);
	lab_close(&lab);
}

static void native_round_trip(void **state)
{
	(void)state;
	round_trip(SNAPSHOT_NATIVE);
}

static void otlp_round_trip(void **state)
{
	(void)state;
	round_trip(SNAPSHOT_OTLP);
}

static void chrome_events_match_the_spans(void **state)
{
	(void)state;
	struct lab lab;
	capture(&lab);
	struct snapshot_meta meta = { .anchor = clock_anchor() };
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "trace.json");
	assert_true(snapshot_write(path, SNAPSHOT_CHROME, lab.store, lab.names, &meta, &fcfg, &err));
	FILE *f = fopen(path, "r");
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	cJSON *doc = cJSON_Parse(buf);
	assert_non_null(doc);
	const cJSON *events = cJSON_GetObjectItem(doc, "traceEvents"), *e;
	size_t x = 0;
	int64_t origin = store_trace(lab.store, 0)->spans[0].start_ns;
	cJSON_ArrayForEach(e, events) {
		const char *ph = cJSON_GetStringValue(cJSON_GetObjectItem(e, "ph"));
		if (strcmp(ph, "X") != 0)
			continue;
		/* events follow the traces' spans in order */
		const struct trace *t = NULL;
		size_t k = x;
		for (size_t i = 0; i < store_trace_count(lab.store); i++) {
			t = store_trace(lab.store, i);
			if (k < t->nspans)
				break;
			k -= t->nspans;
		}
		const struct span_record *s = &t->spans[k];
		double ts = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "ts"));
		double dur = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "dur"));
		assert_true(ts * 1000 - (double)(s->start_ns - origin) < 1 && (double)(s->start_ns - origin) - ts * 1000 < 1);
		assert_true(dur * 1000 - (double)span_duration_ns(s) < 1 && (double)span_duration_ns(s) - dur * 1000 < 1);
		x++;
	}
	assert_int_equal(x, store_spans_held(lab.store));
	cJSON_Delete(doc);
	lab_close(&lab);
}

/* ---- atomic writes -------------------------------------------------------------- */

static size_t leftovers(const char *pattern)
{
	glob_t g;
	size_t n = glob(pattern, 0, NULL, &g) == 0 ? g.gl_pathc : 0;
	globfree(&g);
	return n;
}

static void a_failed_write_leaves_nothing_behind(void **state)
{
	(void)state;
	struct lab lab;
	capture(&lab);
	struct snapshot_meta meta = { .anchor = clock_anchor() };
	struct obslab_error err;
	assert_false(snapshot_write("/nonexistent-dir/x.json", SNAPSHOT_NATIVE, lab.store, lab.names, &meta, &fcfg,
	                            &err));
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.json"));
	assert_non_null(strstr(err.msg, "No such file or directory"));

	/* A file too large for the process's limit: the write fails midway,
	 * the file already there keeps its bytes, and no temporary is left. */
	char path[300], pattern[320];
	fixture_path(path, sizeof path, "keep.json");
	snprintf(pattern, sizeof pattern, "%s.*", path);
	FILE *f = fopen(path, "w");
	fputs("the snapshot saved yesterday\n", f);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit lim = { 2000, 2000 };
		setrlimit(RLIMIT_FSIZE, &lim);
		bool ok = snapshot_write(path, SNAPSHOT_OTLP, lab.store, lab.names, &meta, &fcfg, &err);
		_exit(!ok && strstr(err.msg, "File too large") && strstr(err.msg, path) ? 0 : 1);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	f = fopen(path, "r");
	char line[64] = "";
	assert_non_null(fgets(line, sizeof line, f));
	fclose(f);
	assert_string_equal(line, "the snapshot saved yesterday\n");
	assert_int_equal(leftovers(pattern), 0);
	lab_close(&lab);
}

/* ---- files the reader refuses ------------------------------------------------------ */

#define T1 "0123456789abcdef0123456789abcdef"
#define HEAD "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[{\"trace_id\":\"" T1 "\",\"spans\":["
#define TAIL "]}]}"
#define SPAN(id, parent, start, end) \
	"{\"span_id\":\"" id "\",\"parent_span_id\":" parent ",\"name\":\"s\",\"kind\":\"internal\",\"start_unix_ns\":\"" start "\",\"end_unix_ns\":\"" end "\",\"status\":\"ok\"}"
#define ROOT SPAN("00000000000000a1", "null", "100", "900")
#define OTLP_SPAN(more)                                                                                              \
	"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000a1\",\"name\":\"x\"," \
	"\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"," more "}]}]}]}"

static const struct {
	const char *doc, *message;
} bad_files[] = {
	{ "not json at all", "not valid JSON" },
	{ HEAD ROOT, "the file ends early" },
	{ "{} {}", "more data after the document" },
	/* JSON Lines are OTLP requests a line each: a bad line is named; a
	 * native snapshot or junk on the same line stays refused */
	{ OTLP_SPAN("\"kind\":1") "\n\n{\"resourceSpans\":[x]}", "line 3: not valid JSON" },
	{ OTLP_SPAN("\"kind\":1") "\n{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[]}",
	  "line 2: not an OTLP/JSON request" },
	{ OTLP_SPAN("\"kind\":1") " {}", "more data after the document" },
	{ HEAD ROOT TAIL "\n{}", "more data after the document" },
	/* a oneof with two members set */
	{ OTLP_SPAN("\"attributes\":[{\"key\":\"k\",\"value\":{\"stringValue\":\"a\",\"intValue\":\"1\"}}]"),
	  "spans[0].attributes[0].value: an AnyValue with two values set (the second is \"intValue\")" },
	/* valid JSON past the depth limit, and a database given as a snapshot */
	{ "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
	  "nested deeper than 512 levels (at byte" },
	{ "[1, 2]", "not a JSON object" },
	{ "{}", "neither an obslab snapshot" },
	{ "{\"format\":\"someone.else\"}", "not an obslab snapshot" },
	/* the name, then a NUL: not the name (a C string comparison said it was) */
	{ "{\"format\":\"obslab.snapshot\\u0000junk\",\"version\":1,\"traces\":[{\"trace_id\":\"" T1 "\",\"spans\":[" ROOT TAIL,
	  "not an obslab snapshot" },
	{ "{\"format\":\"obslab.snapshot\\u0000\",\"version\":1,\"traces\":[{\"trace_id\":\"" T1 "\",\"spans\":[" ROOT TAIL,
	  "not an obslab snapshot" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":3,\"traces\":[]}", "version 3 is not one this obslab reads" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":{}}", "\"traces\" must be an array" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[]}", "no spans" },
	{ "{\"traceEvents\":[]}", "a Chrome trace" },
	{ HEAD "{\"span_id\":\"00000000000000a1\",\"kind\":\"server\"}" TAIL, "needs a name and a kind" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[{\"trace_id\":\"abc\",\"spans\":[" ROOT TAIL,
	  "the trace id must be 32 hex digits" },
	{ HEAD SPAN("a1", "null", "100", "900") TAIL, "the span id must be 16 hex digits" },
	{ HEAD SPAN("00000000000000a1", "\"xyz\"", "100", "900") TAIL, "the parent span id must be 16 hex digits" },
	{ HEAD SPAN("00000000000000a1", "null", "-5", "900") TAIL, "start_unix_ns must be nanoseconds since 1970" },
	{ HEAD SPAN("00000000000000a1", "null", "100", "99999999999999999999") TAIL, "end_unix_ns must be nanoseconds" },
	{ HEAD SPAN("00000000000000a1", "null", "100", "9223372036854775808") TAIL, "end_unix_ns must be nanoseconds" },
	/* Numbers that cannot be true: past 2^62 ns, a wait longer than its span,
	 * counters past their width, settings of the wrong type or range. */
	{ HEAD SPAN("00000000000000a1", "null", "0", "9223372036854775807") TAIL,
	  "traces[0].spans[0]: end_unix_ns must be nanoseconds since 1970, a whole number from 0 to 2^62, got \"9223372036854775807\"" },
	{ HEAD SPAN("00000000000000a1", "null", "4611686018427387905", "4611686018427387906") TAIL, "start_unix_ns must be" },
	{ HEAD ROOT ",{\"span_id\":\"00000000000000b2\",\"parent_span_id\":\"00000000000000a1\",\"name\":\"SELECT 1\",\"kind\":\"client\","
	  "\"start_unix_ns\":\"200\",\"end_unix_ns\":\"300\",\"db\":{\"net_wait_ns\":4000000000}}" TAIL,
	  "traces[0].spans[1]: the network wait (4000000000 ns) is longer than the span (100 ns)" },
	{ HEAD ROOT ",{\"span_id\":\"00000000000000b2\",\"parent_span_id\":\"00000000000000a1\",\"name\":\"SELECT 1\",\"kind\":\"client\","
	  "\"start_unix_ns\":\"200\",\"end_unix_ns\":\"300\",\"db\":{\"rows\":4294967296}}" TAIL,
	  "traces[0].spans[1]: db.rows must be a whole number from 0 to 4294967295, got 4294967296" },
	{ HEAD ROOT ",{\"span_id\":\"00000000000000b2\",\"parent_span_id\":\"00000000000000a1\",\"name\":\"SELECT 1\",\"kind\":\"client\","
	  "\"start_unix_ns\":\"200\",\"end_unix_ns\":\"300\",\"db\":7}" TAIL, "traces[0].spans[1]: db must be an object, got 7" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"settings\":{\"rtt_us\":-1,\"seed\":7},\"traces\":[]}",
	  "settings.rtt_us must be microseconds, a whole number from 0 to 4294967295, got -1" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"settings\":{\"strategy\":5,\"seed\":7},\"traces\":[]}",
	  "settings.strategy must be \"naive\", \"optimized\" or \"eager\", got 5" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"settings\":{\"index\":\"yes\"},\"traces\":[]}",
	  "settings.index must be true or false, got \"yes\"" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"settings\":[],\"traces\":[]}", "settings must be an object, got []" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"dropped_spans\":-3,\"traces\":[]}", "dropped_spans must be a count of spans" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[{\"trace_id\":\"" T1 "\",\"users\":-20,\"spans\":[" ROOT TAIL,
	  "traces[0].users must be a count of users, a whole number from 0 to 4294967295, got -20" },
	{ "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000a1\",\"name\":\"x\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\",\"status\":{\"code\":7,\"message\":\"m\"}}]}]}]}",
	  "status.code must be a status (0 unset, 1 ok, 2 error), a whole number from 0 to 2, got 7" },
	{ "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000a1\",\"name\":\"x\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"9223372036854775807\"}]}]}]}",
	  "spans[0]: endTimeUnixNano must be nanoseconds since 1970, a whole number from 0 to 2^62" },
	{ HEAD SPAN("00000000000000a1", "null", "900", "100") TAIL, "ends before it starts" },
	/* OTLP values of the wrong type or out of range, named where they are */
	{ OTLP_SPAN("\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":\"12x\"}}]"),
	  "spans[0].attributes[0].value: intValue must be a whole number from -2^63 to 2^63 - 1, got \"12x\"" },
	{ OTLP_SPAN("\"attributes\":[{\"key\":\"n\",\"value\":{\"intValue\":\"9223372036854775808\"}}]"),
	  "intValue must be a whole number" },
	{ OTLP_SPAN("\"attributes\":[{\"key\":\"b\",\"value\":{\"bytesValue\":\"a!b=\"}}]"),
	  "attributes[0].value: bytesValue must be base64 text" },
	{ OTLP_SPAN("\"attributes\":[{\"key\":\"d\",\"value\":{\"doubleValue\":\"lots\"}}]"),
	  "doubleValue must be a number, \"NaN\", \"Infinity\" or \"-Infinity\"" },
	{ OTLP_SPAN("\"attributes\":[{\"key\":\"a\",\"value\":{\"arrayValue\":{\"values\":[{\"boolValue\":1}]}}}]"),
	  "attributes[0].value.arrayValue.values[0]: boolValue must be true or false, got 1" },
	{ OTLP_SPAN("\"attributes\":[{\"value\":{\"stringValue\":\"x\"}}]"), "attributes[0]: a KeyValue needs a key" },
	{ OTLP_SPAN("\"attributes\":{}"), "spans[0].attributes must be an array" },
	{ OTLP_SPAN("\"events\":[{\"timeUnixNano\":\"-1\"}]"), "spans[0].events[0]: timeUnixNano must be nanoseconds" },
	{ OTLP_SPAN("\"links\":[{\"traceId\":\"" T1 "\",\"spanId\":\"xyz\"}]"), "links[0]: spanId must be 16 hex digits" },
	{ OTLP_SPAN("\"kind\":\"SPAN_KIND_SIDEWAYS\""), "kind must be a number from 0 to 5, got \"SPAN_KIND_SIDEWAYS\"" },
	{ OTLP_SPAN("\"droppedAttributesCount\":-1"), "droppedAttributesCount must be a count" },
	{ OTLP_SPAN("\"flags\":4294967296"), "flags must be trace flags" },
	{ "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" T1 "\",\"spanId\":\"0000000000000000\",\"name\":\"x\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}",
	  "the span id must be 16 hex digits, not all zero" },
	{ "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"spanId\":\"00000000000000a1\",\"name\":\"x\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}",
	  "the trace id must be 32 hex digits" },
	{ "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":1}]},\"scopeSpans\":[]}]}", "resourceSpans[0].resource.attributes[0]: key must be a string, got 1" },
	{ "{\"resourceSpans\":[{\"scopeSpans\":[{\"scope\":{\"name\":7},\"spans\":[]}]}]}", "scopeSpans[0].scope: name must be a string, got 7" },
	/* native version 2: a foreign span names a scope there is */
	{ "{\"format\":\"obslab.snapshot\",\"version\":2,\"resources\":[{}],\"scopes\":[{\"resource\":0}],\"traces\":[{\"trace_id\":\"" T1 "\",\"spans\":["
	  "{\"scope\":1,\"otlp\":{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000a1\",\"name\":\"x\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}}" TAIL,
	  "traces[0].spans[0]: a foreign span needs \"scope\", an index into \"scopes\" (1)" },
	{ "{\"format\":\"obslab.snapshot\",\"version\":2,\"resources\":[{}],\"scopes\":[{\"resource\":3}],\"traces\":[]}",
	  "scopes[0]: resource 3 is not in \"resources\" (1)" },
	{ HEAD "{\"span_id\":\"00000000000000a1\",\"parent_span_id\":null,\"name\":\"\xff\",\"kind\":\"server\"}" TAIL, "not UTF-8" },
	{ "{\"resourceSpans\":{}}", "\"resourceSpans\" must be an array" },
	{ "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000a1\",\"name\":\"x\",\"kind\":9,\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\"}]}]}]}",
	  "kind must be a number from 0 to 5" },
};

static void refuses_bad_files_with_a_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
		struct snapshot snap;
		struct obslab_error err = { "" };
		if (snapshot_parse(bad_files[i].doc, strlen(bad_files[i].doc), &snap, &err))
			fail_msg("case %zu was accepted: %s", i, bad_files[i].doc);
		if (!strstr(err.msg, bad_files[i].message))
			fail_msg("case %zu: '%s' does not say '%s'", i, err.msg, bad_files[i].message);
		assert_null(snap.names); /* nothing leaks from a refused file */
	}
}

/* 100 000 open brackets: the parser's own limit, not the stack (span
 * nesting itself has no limit: test_foreign) */
static void refuses_deep_json(void **state)
{
	(void)state;
	struct snapshot snap;
	struct obslab_error err;
	char *brackets = test_malloc(100000);
	memset(brackets, '[', 100000);
	assert_false(snapshot_parse(brackets, 100000, &snap, &err));
	assert_non_null(strstr(err.msg, "nested deeper than 512 levels")); /* valid JSON so far: the limit, named */
	test_free(brackets);
}

static void reads_files_past_256_mib(void **state)
{
	(void)state;
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "huge.json");
	FILE *f = fopen(path, "w");
	/* sparse (costs no disk): 256 MiB + 1 zero bytes, past the old limit */
	assert_int_equal(ftruncate(fileno(f), ((off_t)256 << 20) + 1), 0);
	fclose(f);
	struct snapshot snap;
	assert_false(snapshot_read(path, &snap, &err));
	/* read whole and judged by its content, not refused by its size */
	assert_null(strstr(err.msg, "too large"));
	assert_non_null(strstr(err.msg, "not UTF-8 text (byte 0)"));
	assert_false(snapshot_read("/nonexistent.json", &snap, &err));
	assert_non_null(strstr(err.msg, "cannot open /nonexistent.json"));
	unlink(path);
}

static void foreign_sql_is_fingerprinted(void **state)
{
	(void)state;
	const char *doc = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
	                  "{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000a1\",\"name\":\"GET /x\",\"kind\":2,"
	                  "\"startTimeUnixNano\":\"100\",\"endTimeUnixNano\":\"900\"},"
	                  "{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000b2\",\"parentSpanId\":\"00000000000000a1\","
	                  "\"name\":\"SELECT\",\"kind\":3,\"startTimeUnixNano\":\"200\",\"endTimeUnixNano\":\"300\","
	                  "\"attributes\":[{\"key\":\"db.system\",\"value\":{\"stringValue\":\"postgresql\"}},"
	                  "{\"key\":\"db.statement\",\"value\":{\"stringValue\":\"select * from users where email = 'a@b.c'\"}}]}"
	                  "]}]}]}";
	struct snapshot snap;
	struct obslab_error err;
	assert_true(snapshot_parse(doc, strlen(doc), &snap, &err));
	assert_int_equal(snap.nrecords, 2);
	const struct span_record *q = &snap.records[0]; /* the root comes last */
	assert_true(q->flags & SPAN_F_DB);
	assert_string_equal(strtab_get(snap.names, q->name), "SELECT * FROM users WHERE email = ?");
	snapshot_free(&snap);
}

#define ONE_TRACE                                                                                        \
	"[{\"trace_id\":\"0123456789abcdef0123456789abcdef\",\"spans\":[{\"span_id\":\"00000000000000a1\","            \
	"\"parent_span_id\":null,\"name\":\"s\",\"kind\":\"server\",\"start_unix_ns\":\"1\",\"end_unix_ns\":\"9\"," \
	"\"status\":\"ok\"}]}]"

/* A seed is any 64-bit number (--seed takes them all): written with every
 * digit, read back exactly, never rounded through a double. */
static void a_seed_survives_every_digit(void **state)
{
	(void)state;
	const char *doc = "{\"format\":\"obslab.snapshot\",\"version\":1,\"settings\":{\"strategy\":\"naive\","
	                  "\"users\":20,\"rtt_us\":0,\"index\":false,\"seed\":18446744073709551615},\"traces\":" ONE_TRACE "}";
	struct snapshot snap;
	struct obslab_error err;
	assert_true(snapshot_parse(doc, strlen(doc), &snap, &err));
	assert_true(snap.meta.has_settings);
	assert_true(snap.meta.settings.seed == UINT64_MAX);
	snapshot_free(&snap);
	const char *past = "{\"format\":\"obslab.snapshot\",\"version\":1,\"settings\":{\"seed\":18446744073709551616},"
	                   "\"traces\":" ONE_TRACE "}";
	assert_false(snapshot_parse(past, strlen(past), &snap, &err));
	assert_non_null(strstr(err.msg, "settings.seed must be a whole number from 0 to 2^64 - 1"));
}

static int teardown(void **state)
{
	(void)state;
	fixture_cleanup();
	return 0;
}

/* A served trace's http_info rides through a native file: snapshot_store
 * (a copy each) and snapshot_take_store (moved) join it to its trace again,
 * so `open` and `report` of a served record show its HTTP attributes. */
static void served_http_comes_back_with_its_trace(void **state)
{
	(void)state;
	struct lab lab;
	capture(&lab);
	struct http_info *h = malloc(sizeof *h);
	http_info_init(h);
	memcpy(h->trace_id, store_trace(lab.store, 2)->trace_id, SPAN_TRACE_ID_LEN);
	h->status_code = 200;
	h->server_port = 8000;
	h->remote_parent_id = 0x1122334455667788u;
	h->route = "/users/analytics/eager";
	http_info_set_text(h, HTTP_TEXT_METHOD, "GET", 3);
	http_info_set_text(h, HTTP_TEXT_PATH, "/users/analytics/eager", 22);
	http_info_set_text(h, HTTP_TEXT_USER_AGENT, "curl/8", 6);
	store_attach_http(lab.store, h);
	struct snapshot_meta meta = { .anchor = clock_anchor() };
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "served.json");
	assert_true(snapshot_write(path, SNAPSHOT_NATIVE, lab.store, lab.names, &meta, &fcfg, &err));
	struct snapshot snap;
	if (!snapshot_read(path, &snap, &err))
		fail_msg("read back: %s", err.msg);
	assert_int_equal(snap.nhttp, 1);
	struct store *copy = snapshot_store(&snap);
	assert_non_null(snap.http[0]); /* a copy: the snapshot keeps its own */
	for (int pass = 0; pass < 2; pass++) {
		struct store *st = pass == 0 ? copy : snapshot_take_store(&snap);
		for (size_t i = 0; i < store_trace_count(st); i++) {
			const struct trace *t = store_trace(st, i);
			if (i != 2) {
				assert_null(t->http);
				continue;
			}
			assert_non_null(t->http);
			assert_memory_equal(t->http->trace_id, t->trace_id, SPAN_TRACE_ID_LEN);
			assert_int_equal(t->http->remote_parent_id, 0x1122334455667788u);
			assert_int_equal(t->http->status_code, 200);
			assert_string_equal(t->http->route, "/users/analytics/eager");
			assert_string_equal(t->http->user_agent, "curl/8");
		}
		if (pass == 1)
			assert_null(snap.http[0]); /* the store took it */
		store_destroy(st);
	}
	snapshot_free(&snap);
	lab_close(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_round_trip),
		cmocka_unit_test(served_http_comes_back_with_its_trace),
		cmocka_unit_test(otlp_round_trip),
		cmocka_unit_test(chrome_events_match_the_spans),
		cmocka_unit_test(a_failed_write_leaves_nothing_behind),
		cmocka_unit_test(refuses_bad_files_with_a_reason),
		cmocka_unit_test(a_seed_survives_every_digit),
		cmocka_unit_test(refuses_deep_json),
		cmocka_unit_test(reads_files_past_256_mib),
		cmocka_unit_test(foreign_sql_is_fingerprinted),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
