/* Anyone's traces, read exactly as they are (issue 13): every OTLP/JSON
 * field into the lossless model, records derived from the file alone,
 * native version 2's foreign spans, and the tolerant assembly (orphans,
 * skew, duplicates, cycles, missing roots; any depth, fast), and a
 * remote parent (flags 0x300) read as the caller's, not as an orphan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "obslab/otel.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "../src/snapshot_reader.h" /* reader_assemble, fed directly */

#define T1 "0123456789abcdef0123456789abcdef"
#define HEAD "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[{\"trace_id\":\"" T1 "\",\"spans\":["
#define TAIL "]}]}"
#define SPAN(id, parent, start, end) \
	"{\"span_id\":\"" id "\",\"parent_span_id\":" parent ",\"name\":\"s\",\"kind\":\"internal\",\"start_unix_ns\":\"" start "\",\"end_unix_ns\":\"" end "\",\"status\":\"ok\"}"
#define ROOT SPAN("00000000000000a1", "null", "100", "900")

/* Chains of any depth: the reader neither refuses nor recurses. */
static void deep_chains_assemble_at_any_depth(void **state)
{
	(void)state;
	/* 300 spans each the child of the one before (refused as deeper than
	 * 256 levels before) */
	size_t cap = 300 * 256 + 1024;
	char *doc = test_malloc(cap);
	size_t n = (size_t)snprintf(doc, cap, "%s", HEAD);
	for (int i = 1; i <= 300; i++) {
		char parent[32] = "null";
		if (i > 1)
			snprintf(parent, sizeof parent, "\"%016x\"", i - 1);
		n += (size_t)snprintf(doc + n, cap - n, "%s{\"span_id\":\"%016x\",\"parent_span_id\":%s,\"name\":\"s\","
		                      "\"kind\":\"internal\",\"start_unix_ns\":\"%d\",\"end_unix_ns\":\"%d\"}",
		                      i > 1 ? "," : "", i, parent, 1000 + i, 100000 - i);
	}
	n += (size_t)snprintf(doc + n, cap - n, "%s", TAIL);
	struct snapshot snap;
	struct obslab_error err;
	if (!snapshot_parse(doc, n, &snap, &err))
		fail_msg("refused: %s", err.msg);
	assert_int_equal(snap.nrecords, 300);
	assert_int_equal(snap.norphans + snap.nskewed + snap.nduplicates + snap.ncycles + snap.nplaceholders, 0);
	struct store *store = snapshot_store(&snap);
	assert_int_equal(store_trace(store, 0)->nspans, 300);
	store_destroy(store);
	snapshot_free(&snap);
	test_free(doc);

	/* 100 000 levels, in reverse order in the file, assembled directly */
	size_t deep = 100000;
	struct snapshot out = { .names = strtab_create() };
	struct reader r = { .out = &out, .n = deep, .cap = deep };
	r.spans = calloc(deep, sizeof *r.spans);
	for (size_t i = 0; i < deep; i++) {
		struct raw *x = &r.spans[deep - 1 - i];
		memset(x->trace_id, 7, SPAN_TRACE_ID_LEN);
		x->rec = (struct span_record){ .span_id = i + 1, .parent_id = i, .start_ns = (int64_t)i,
		                               .end_ns = (int64_t)(3 * deep - i) };
		x->order = deep - 1 - i;
	}
	assert_true(reader_assemble(&r));
	assert_int_equal(out.nrecords, deep);
	assert_int_equal(out.records[deep - 1].span_id, 1); /* the root last */
	assert_int_equal(out.norphans + out.nskewed + out.nplaceholders, 0);
	free(r.spans);
	snapshot_free(&out);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine may be busy */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A 255-deep chain with 1.4 M leaves hung along it: O(n log n), well under
 * a second (issue 13: report took 21.5 s on it). */
static void a_wide_deep_trace_assembles_fast(void **state)
{
	(void)state;
	size_t chain = 255, leaves = 1400000, n = chain + leaves;
	struct snapshot out = { .names = strtab_create() };
	struct reader r = { .out = &out, .n = n, .cap = n };
	r.spans = calloc(n, sizeof *r.spans);
	assert_non_null(r.spans);
	for (size_t i = 0; i < n; i++) {
		struct raw *x = &r.spans[i];
		memset(x->trace_id, 9, SPAN_TRACE_ID_LEN);
		x->order = i;
		if (i < chain)
			x->rec = (struct span_record){ .span_id = i + 1, .parent_id = i, .start_ns = (int64_t)i,
			                               .end_ns = 10000000 - (int64_t)i };
		else
			x->rec = (struct span_record){ .span_id = i + 1, .parent_id = 1 + i % chain,
			                               .start_ns = 1000 + (int64_t)(i % 5000), .end_ns = 9000000 };
	}
	double t0 = now_s();
	assert_true(reader_assemble(&r));
	double took = now_s() - t0;
	assert_int_equal(out.nrecords, n);
	assert_int_equal(out.records[n - 1].span_id, 1);
	assert_int_equal(out.norphans + out.nskewed + out.nplaceholders + out.nduplicates, 0);
#if defined(__SANITIZE_ADDRESS__) || defined(__OPTIMIZE__) == 0
	double limit = 10.0; /* sanitizers and -O0 run several times slower */
#else
	double limit = 1.0;
#endif
	print_message("assembled %zu spans in %.3f s\n", n, took);
	if (took > limit)
		fail_msg("assembling %zu spans took %.2f s (limit %.1f s)", n, took, limit);
	free(r.spans);
	snapshot_free(&out);
}

static const struct span_record *record_of(const struct snapshot *snap, uint64_t id)
{
	for (size_t i = 0; i < snap->nrecords; i++)
		if (snap->records[i].span_id == id)
			return &snap->records[i];
	return NULL;
}

#define T2 "22222222222222222222222222222222"
#define T3 "33333333333333333333333333333333"
#define OSPAN(trace, id, parent, start, end)                                                                     \
	"{\"traceId\":\"" trace "\",\"spanId\":\"" id "\",\"parentSpanId\":\"" parent "\",\"name\":\"n" id "\","      \
	"\"startTimeUnixNano\":\"" start "\",\"endTimeUnixNano\":\"" end "\"}"

/* Orphans, skew, duplicates, cycles, a missing root: shown, marked, counted,
 * never refused (these files were refused whole before). */
static void tolerant_assembly_marks_what_it_shows(void **state)
{
	(void)state;
	const char *doc = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
		/* trace 1: a root, two orphans of ff, one of ee, a child ending 5 ns late, an id twice */
		OSPAN(T1, "00000000000000a1", "", "100", "900") ","
		OSPAN(T1, "00000000000000b1", "00000000000000ff", "200", "300") ","
		OSPAN(T1, "00000000000000b2", "00000000000000ff", "250", "400") ","
		OSPAN(T1, "00000000000000b3", "00000000000000ee", "500", "600") ","
		OSPAN(T1, "00000000000000c1", "00000000000000a1", "800", "905") ","
		OSPAN(T1, "00000000000000d1", "00000000000000a1", "150", "200") ","
		OSPAN(T1, "00000000000000d1", "00000000000000a1", "160", "210") ","
		OSPAN(T1, "00000000000000e1", "00000000000000d1", "170", "180") ","
		/* trace 2: two spans each the other's parent, no root */
		OSPAN(T2, "0000000000000001", "0000000000000002", "10", "20") ","
		OSPAN(T2, "0000000000000002", "0000000000000001", "11", "19") ","
		/* trace 3: two roots */
		OSPAN(T3, "0000000000000001", "", "5", "6") ","
		OSPAN(T3, "0000000000000002", "", "7", "8")
		"]}]}]}";
	struct snapshot snap;
	struct obslab_error err;
	if (!snapshot_parse(doc, strlen(doc), &snap, &err))
		fail_msg("refused: %s", err.msg);
	assert_int_equal(snap.ntraces, 3);
	assert_int_equal(snap.norphans, 3); /* b1 b2 b3; the cut end of the loop counts as in a cycle */
	assert_int_equal(snap.nskewed, 1);      /* c1 */
	assert_int_equal(snap.nduplicates, 1);  /* the second d1 */
	assert_int_equal(snap.ncycles, 2);
	assert_int_equal(snap.nmultiroot, 1);   /* trace 3 (trace 2 has no root) */
	/* placeholders: ff, ee; the loop's; missing roots of traces 2 and 3 */
	assert_int_equal(snap.nplaceholders, 5);
	assert_int_equal(snap.nrecords, 12 + 5);

	const struct otel_set *set = snap.otel;
	size_t dup_records = 0;
	for (size_t i = 0; i < snap.nrecords; i++) {
		const struct span_record *rec = &snap.records[i];
		const struct otel_span *sp = otel_span_of(set, rec);
		if (rec->flags & SPAN_F_PLACEHOLDER) {
			assert_null(sp);
			continue;
		}
		assert_non_null(sp);
		if (sp->span_id == 0xd1 && (sp->marks & OTEL_MARK_DUPLICATE)) {
			assert_int_not_equal(rec->span_id, 0xd1); /* kept apart: a fresh id */
			dup_records++;
		}
		if (sp->span_id == 0xb1 || sp->span_id == 0xb2 || sp->span_id == 0xb3)
			assert_true(sp->marks & OTEL_MARK_ORPHAN);
		if (sp->span_id == 0xc1)
			assert_int_equal(sp->marks, OTEL_MARK_SKEW);
		if (sp->span_id == 0xe1) /* attached to the first d1 */
			assert_int_equal(rec->parent_id, 0xd1);
	}
	assert_int_equal(dup_records, 1);
	const struct span_record *ff = record_of(&snap, 0xff), *ee = record_of(&snap, 0xee);
	assert_non_null(ff);
	assert_non_null(ee);
	assert_true(ff->flags & SPAN_F_PLACEHOLDER);
	assert_string_equal(strtab_get(snap.names, ff->name), "missing parent");
	assert_int_equal(ff->parent_id, 0xa1); /* under the trace's one root */
	assert_int_equal(ff->start_ns, 200);   /* the extent of its orphans */
	assert_int_equal(ff->end_ns, 400);

	/* the store takes every trace, each with one root first */
	struct store *store = snapshot_store(&snap);
	assert_int_equal(store_trace_count(store), 3);
	for (size_t t = 0; t < 3; t++) {
		const struct trace *tr = store_trace(store, t);
		assert_int_equal(tr->spans[0].parent_id, 0);
		if (t < 2) { /* traces 3 and 2 come first (time order) */
			assert_true(tr->spans[0].flags & SPAN_F_PLACEHOLDER);
			assert_string_equal(strtab_get(snap.names, tr->spans[0].name), "missing root");
		}
	}
	assert_memory_equal(store_trace(store, 0)->trace_id, "\x33\x33\x33\x33", 4);
	store_destroy(store);
	snapshot_free(&snap);

	/* the same in a native (lab) file: kept, counted */
	const char *native = HEAD ROOT "," SPAN("00000000000000b2", "\"00000000000000a1\"", "50", "300") ","
		SPAN("00000000000000b3", "\"00000000000000ff\"", "200", "300") "," SPAN("00000000000000a1", "null", "200", "300") TAIL;
	if (!snapshot_parse(native, strlen(native), &snap, &err))
		fail_msg("refused: %s", err.msg);
	assert_int_equal(snap.nskewed, 1);
	assert_int_equal(snap.norphans, 1);
	assert_int_equal(snap.nduplicates, 1);
	assert_null(snap.otel);
	store = snapshot_store(&snap);
	assert_int_equal(store_trace_count(store), 1);
	assert_memory_equal(store_trace(store, 0)->trace_id, "\x01\x23\x45\x67", 4);
	store_destroy(store);
	snapshot_free(&snap);
}

static const struct otel_value *attr(const struct otel_set *set, struct otel_attrs a, const char *key)
{
	const struct otel_value *v = otel_attrs_find(set, a, key);
	if (!v)
		fail_msg("no attribute %s", key);
	return v;
}

static void value_is(const struct otel_set *set, const struct otel_value *v, const char *text)
{
	char buf[256];
	otel_value_format(set, v, buf, sizeof buf);
	assert_string_equal(buf, text);
}

/* Every field OTLP/JSON carries, read into the model as the file gave it;
 * the record derived from it alone. */
static void every_otlp_field_is_read(void **state)
{
	(void)state;
	const char *doc =
		"{\"resourceSpans\":[{\"schemaUrl\":\"https://opentelemetry.io/schemas/1.26.0\",\"resource\":{\"attributes\":["
		"{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}},"
		"{\"key\":\"db.system.name\",\"value\":{\"stringValue\":\"postgresql\"}}],\"droppedAttributesCount\":2},"
		"\"scopeSpans\":[{\"schemaUrl\":\"https://scope/1\",\"scope\":{\"name\":\"@opentelemetry/instrumentation-pg\","
		"\"version\":\"0.4.1\",\"attributes\":[{\"key\":\"s\",\"value\":{\"boolValue\":true}}],\"droppedAttributesCount\":1},"
		"\"spans\":["
		"{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000A1\",\"parentSpanId\":\"\",\"traceState\":\"vendor=x\","
		"\"flags\":257,\"name\":\"POST /checkout\",\"kind\":\"SPAN_KIND_SERVER\",\"startTimeUnixNano\":\"1000\","
		"\"endTimeUnixNano\":9000,\"attributes\":["
		"{\"key\":\"str\",\"value\":{\"stringValue\":\"a\\u0000b\"}},"
		"{\"key\":\"int_s\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
		"{\"key\":\"int_n\",\"value\":{\"intValue\":42}},"
		"{\"key\":\"dbl\",\"value\":{\"doubleValue\":2.5}},"
		"{\"key\":\"nan\",\"value\":{\"doubleValue\":\"NaN\"}},"
		"{\"key\":\"ninf\",\"value\":{\"doubleValue\":\"-Infinity\"}},"
		"{\"key\":\"bool\",\"value\":{\"boolValue\":false}},"
		"{\"key\":\"bytes\",\"value\":{\"bytesValue\":\"AAEC/w==\"}},"
		"{\"key\":\"arr\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":\"1\"},{\"stringValue\":\"x\"},"
		"{\"arrayValue\":{\"values\":[{\"boolValue\":true}]}}]}}},"
		"{\"key\":\"kv\",\"value\":{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":{\"arrayValue\":{}}},"
		"{\"key\":\"e\",\"value\":{}}]}}},"
		"{\"key\":\"empty\",\"value\":{}},"
		"{\"key\":\"obslab.strategy\",\"value\":{\"stringValue\":\"eager\"}},"
		"{\"key\":\"obslab.users\",\"value\":{\"intValue\":\"77\"}}],"
		"\"droppedAttributesCount\":3,"
		"\"events\":[{\"timeUnixNano\":\"1500\",\"name\":\"exception\",\"attributes\":[{\"key\":\"exception.message\","
		"\"value\":{\"stringValue\":\"boom\"}}],\"droppedAttributesCount\":4},{\"name\":\"later\"}],"
		"\"droppedEventsCount\":5,"
		"\"links\":[{\"traceId\":\"" T2 "\",\"spanId\":\"00000000000000b9\",\"traceState\":\"l=1\",\"flags\":1,"
		"\"attributes\":[{\"key\":\"why\",\"value\":{\"stringValue\":\"batch\"}}],\"droppedAttributesCount\":6}],"
		"\"droppedLinksCount\":7,\"status\":{\"code\":\"STATUS_CODE_ERROR\",\"message\":\"card declined\"}},"
		"{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000b2\",\"parentSpanId\":\"00000000000000a1\","
		"\"name\":\"SELECT shop.orders\",\"kind\":3,\"startTimeUnixNano\":\"2000\",\"endTimeUnixNano\":\"3000\","
		"\"attributes\":[{\"key\":\"db.query.text\",\"value\":{\"stringValue\":\"SELECT * FROM shop.orders WHERE id = $1\"}},"
		"{\"key\":\"db.response.returned_rows\",\"value\":{\"intValue\":\"12\"}}],\"status\":{\"code\":1}}"
		"]}]}]}";
	struct snapshot snap;
	struct obslab_error err;
	if (!snapshot_parse(doc, strlen(doc), &snap, &err))
		fail_msg("refused: %s", err.msg);
	assert_int_equal(snap.format, SNAPSHOT_OTLP);
	const struct otel_set *set = snap.otel;
	assert_non_null(set);
	assert_int_equal(set->nresources, 1);
	assert_int_equal(set->nscopes, 1);
	assert_int_equal(set->nspans, 2);
	const struct otel_resource *res = &set->resources[0];
	assert_string_equal(otel_text_of(set, res->schema_url), "https://opentelemetry.io/schemas/1.26.0");
	assert_int_equal(res->attrs.count, 2);
	assert_int_equal(res->attrs.dropped, 2);
	const struct otel_scope *sc = &set->scopes[0];
	assert_int_equal(sc->resource, 0);
	assert_string_equal(otel_text_of(set, sc->name), "@opentelemetry/instrumentation-pg");
	assert_string_equal(otel_text_of(set, sc->version), "0.4.1");
	assert_string_equal(otel_text_of(set, sc->schema_url), "https://scope/1");
	assert_int_equal(sc->attrs.count, 1);
	assert_int_equal(sc->attrs.dropped, 1);

	const struct otel_span *root = &set->spans[0];
	assert_int_equal(root->span_id, 0xa1);
	assert_int_equal(root->parent_span_id, 0);
	assert_string_equal(otel_text_of(set, root->trace_state), "vendor=x");
	assert_true(root->has_flags);
	assert_int_equal(root->flags, 257);
	assert_string_equal(otel_text_of(set, root->name), "POST /checkout");
	assert_int_equal(root->kind, 2);
	assert_int_equal(root->start_unix_ns, 1000);
	assert_int_equal(root->end_unix_ns, 9000);
	assert_int_equal(root->status_code, 2);
	assert_string_equal(otel_text_of(set, root->status_message), "card declined");
	assert_int_equal(root->attrs.count, 13);
	assert_int_equal(root->attrs.dropped, 3);
	const struct otel_value *str = attr(set, root->attrs, "str");
	assert_int_equal(str->u.s.len, 3);
	assert_memory_equal(otel_text_of(set, str->u.s), "a\0b", 3);
	assert_true(attr(set, root->attrs, "int_s")->u.i == INT64_MIN);
	assert_int_equal(attr(set, root->attrs, "int_n")->u.i, 42);
	assert_true(attr(set, root->attrs, "dbl")->u.d == 2.5);
	assert_true(isnan(attr(set, root->attrs, "nan")->u.d));
	assert_true(attr(set, root->attrs, "ninf")->u.d == -INFINITY);
	value_is(set, attr(set, root->attrs, "bool"), "false");
	value_is(set, attr(set, root->attrs, "bytes"), "0x000102ff");
	value_is(set, attr(set, root->attrs, "arr"), "[1, \"x\", [true]]");
	value_is(set, attr(set, root->attrs, "kv"), "{k: [], e: (empty)}");
	assert_int_equal(attr(set, root->attrs, "empty")->type, OTEL_VALUE_EMPTY);
	assert_int_equal(root->nevents, 2);
	assert_int_equal(root->dropped_events, 5);
	const struct otel_event *ev = &set->events[root->events_first];
	assert_int_equal(ev->time_unix_ns, 1500);
	assert_string_equal(otel_text_of(set, ev->name), "exception");
	assert_string_equal(otel_attrs_string(set, ev->attrs, "exception.message"), "boom");
	assert_int_equal(ev->attrs.dropped, 4);
	assert_string_equal(otel_text_of(set, ev[1].name), "later");
	assert_int_equal(root->nlinks, 1);
	assert_int_equal(root->dropped_links, 7);
	const struct otel_link *l = &set->links[root->links_first];
	assert_memory_equal(l->trace_id, "\x22\x22", 2);
	assert_int_equal(l->span_id, 0xb9);
	assert_string_equal(otel_text_of(set, l->trace_state), "l=1");
	assert_int_equal(l->flags, 1);
	assert_string_equal(otel_attrs_string(set, l->attrs, "why"), "batch");
	assert_int_equal(l->attrs.dropped, 6);
	assert_string_equal(otel_service_name(set, root), "checkout");

	/* the records: the root's own name, error from status 2, nothing of the
	 * lab read from obslab.* attributes; the database span fingerprinted
	 * in its resource's dialect, its rows as given */
	const struct span_record *rr = record_of(&snap, 0xa1), *q = record_of(&snap, 0xb2);
	assert_non_null(rr);
	assert_non_null(q);
	assert_int_equal(rr->flags, SPAN_F_FOREIGN | SPAN_F_ERROR);
	assert_string_equal(strtab_get(snap.names, rr->name), "POST /checkout");
	assert_int_equal(rr->kind, 2);
	assert_int_equal(rr->strategy, 0);
	assert_int_equal(rr->u.foreign.rows, 0);
	assert_int_equal(q->flags, SPAN_F_FOREIGN | SPAN_F_DB);
	assert_int_equal(q->kind, 3);
	assert_string_equal(strtab_get(snap.names, q->name), "SELECT * FROM shop.orders WHERE id = ?");
	assert_int_equal(q->u.foreign.rows, 12);
	assert_int_equal(q->u.foreign.known, SPAN_KNOWN_ROWS);
	assert_int_equal(q->u.foreign.net_wait_ns, 0);
	assert_string_equal(otel_text_of(set, otel_span_of(set, q)->name), "SELECT shop.orders");
	snapshot_free(&snap);
}

/* Native version 2: a foreign span's "otlp" object read as the OTLP reader
 * reads one, under its scope and resource; lab spans beside it as before. */
static void native_v2_reads_foreign_spans(void **state)
{
	(void)state;
	const char *doc =
		"{\"format\":\"obslab.snapshot\",\"version\":2,"
		"\"resources\":[{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"a\"}}]},"
		"{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"b\"}}],\"droppedAttributesCount\":1,"
		"\"schemaUrl\":\"u\"}],"
		"\"scopes\":[{\"resource\":1,\"name\":\"sc\",\"version\":\"1\",\"schemaUrl\":\"su\",\"droppedAttributesCount\":2}],"
		"\"traces\":[{\"trace_id\":\"" T1 "\",\"spans\":["
		"{\"span_id\":\"00000000000000a1\",\"parent_span_id\":null,\"name\":\"GET /\",\"kind\":\"server\","
		"\"start_unix_ns\":\"100\",\"end_unix_ns\":\"900\",\"status\":\"error\",\"scope\":0,"
		"\"otlp\":{\"traceId\":\"" T1 "\",\"spanId\":\"00000000000000a1\",\"name\":\"GET /\",\"kind\":2,"
		"\"startTimeUnixNano\":\"100\",\"endTimeUnixNano\":\"900\",\"status\":{\"code\":2,\"message\":\"m\"}}}]},"
		"{\"trace_id\":\"" T2 "\",\"spans\":[" SPAN("00000000000000c1", "null", "1000", "2000") "]}]}";
	struct snapshot snap;
	struct obslab_error err;
	if (!snapshot_parse(doc, strlen(doc), &snap, &err))
		fail_msg("refused: %s", err.msg);
	assert_int_equal(snap.format, SNAPSHOT_NATIVE);
	assert_int_equal(snap.ntraces, 2);
	const struct otel_set *set = snap.otel;
	assert_int_equal(set->nresources, 2);
	assert_string_equal(otel_text_of(set, set->resources[1].schema_url), "u");
	assert_int_equal(set->resources[1].attrs.dropped, 1);
	assert_int_equal(set->scopes[0].resource, 1);
	assert_string_equal(otel_text_of(set, set->scopes[0].schema_url), "su");
	const struct span_record *f = record_of(&snap, 0xa1), *lab = record_of(&snap, 0xc1);
	assert_int_equal(f->flags, SPAN_F_FOREIGN | SPAN_F_ERROR);
	const struct otel_span *sp = otel_span_of(set, f);
	assert_string_equal(otel_text_of(set, sp->status_message), "m");
	assert_string_equal(otel_service_name(set, sp), "b");
	assert_int_equal(lab->flags, 0);
	assert_null(otel_span_of(set, lab));
	assert_memory_equal(lab->u.root.trace_id, "\x22\x22", 2);
	snapshot_free(&snap);
}

#define FSPAN(id, parent, start, end, more)                                                                      \
	"{\"traceId\":\"" T1 "\",\"spanId\":\"" id "\"" parent ",\"name\":\"n" id "\",\"startTimeUnixNano\":\"" start \
	"\",\"endTimeUnixNano\":\"" end "\"" more "}"
#define FREQ(spans) "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" spans "]}]}]}"

static bool parse_text(const char *doc, size_t len, struct snapshot *snap)
{
	struct obslab_error err;
	if (snapshot_parse(doc, len, snap, &err))
		return true;
	fail_msg("refused: %s", err.msg);
	return false;
}

/* A span whose parent is not in the file but whose flags say the parent is
 * remote (OTLP's has-is-remote and is-remote bits, 0x300: a served
 * request's entry span, its caller in another process) is its trace's
 * root: no placeholder, not an orphan, its parent id kept as read. Either
 * bit alone, or no flags, leaves an absent parent an orphan. */
#define RSPAN(trace, id, parent, start, end, flags)                                                          \
	"{\"traceId\":\"" trace "\",\"spanId\":\"" id "\",\"parentSpanId\":\"" parent "\",\"name\":\"n" id "\"," \
	"\"startTimeUnixNano\":\"" start "\",\"endTimeUnixNano\":\"" end "\",\"flags\":" flags "}"
#define T4 "44444444444444444444444444444444"
#define T5 "55555555555555555555555555555555"
#define T6 "66666666666666666666666666666666"

static void remote_parent_is_a_root_not_an_orphan(void **state)
{
	(void)state;
	const char *doc = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
		/* trace 1: a served request (the caller's span ff is elsewhere) and its query */
		RSPAN(T1, "00000000000000b1", "00000000000000a1", "110", "190", "257") ","
		RSPAN(T1, "00000000000000a1", "00000000000000ff", "100", "200", "769") ","
		/* trace 2: absent parent, no flags; 3: has-is-remote but not remote; 4: is-remote alone */
		OSPAN(T2, "00000000000000c1", "00000000000000ee", "300", "400") ","
		RSPAN(T3, "00000000000000d1", "00000000000000dd", "500", "600", "257") ","
		RSPAN(T4, "00000000000000e1", "00000000000000cc", "700", "800", "513") ","
		/* trace 5: a remote-parent root beside a parentless one: two roots */
		RSPAN(T5, "00000000000000f1", "00000000000000bb", "900", "950", "769") ","
		OSPAN(T5, "00000000000000f2", "", "910", "990") ","
		/* trace 6: marked remote, but its parent is in the file: an ordinary child */
		OSPAN(T6, "0000000000000061", "", "1000", "1100") ","
		RSPAN(T6, "0000000000000062", "0000000000000061", "1010", "1090", "769")
		"]}]}]}";
	struct snapshot snap;
	assert_true(parse_text(doc, strlen(doc), &snap));
	assert_int_equal(snap.ntraces, 6);
	assert_int_equal(snap.norphans, 3);    /* c1 d1 e1 */
	assert_int_equal(snap.nmultiroot, 1);  /* trace 5 */
	/* missing parents ee dd cc and their traces' missing roots; trace 5's missing root */
	assert_int_equal(snap.nplaceholders, 3 + 3 + 1);
	assert_int_equal(snap.nrecords, 9 + 7);
	assert_null(record_of(&snap, 0xff));   /* no placeholder for the caller's span */
	assert_null(record_of(&snap, 0xbb));

	const struct otel_set *set = snap.otel;
	const struct span_record *a1 = record_of(&snap, 0xa1), *f1 = record_of(&snap, 0xf1);
	const struct otel_span *sp = otel_span_of(set, a1);
	assert_int_equal(a1->parent_id, 0);    /* the trace's root */
	assert_int_equal(sp->parent_span_id, 0xff); /* the caller's span, kept */
	assert_int_equal(sp->marks, OTEL_MARK_REMOTE_PARENT);
	assert_int_equal(otel_span_of(set, record_of(&snap, 0xb1))->marks, 0);
	for (uint64_t id = 0xc1; id <= 0xe1; id += 0x10) {
		const struct otel_span *o = otel_span_of(set, record_of(&snap, id));
		assert_int_equal(o->marks, OTEL_MARK_ORPHAN);
		assert_true(record_of(&snap, o->parent_span_id)->flags & SPAN_F_PLACEHOLDER);
	}
	sp = otel_span_of(set, f1);
	assert_int_equal(sp->marks, OTEL_MARK_REMOTE_PARENT);
	assert_int_equal(sp->parent_span_id, 0xbb);
	const struct span_record *top = record_of(&snap, f1->parent_id); /* both roots under the missing root */
	assert_non_null(top);
	assert_string_equal(strtab_get(snap.names, top->name), "missing root");
	assert_int_equal(record_of(&snap, 0xf2)->parent_id, f1->parent_id);
	assert_int_equal(otel_span_of(set, record_of(&snap, 0x62))->marks, 0);
	assert_int_equal(record_of(&snap, 0x62)->parent_id, 0x61);

	/* the store: trace 1 complete, the served span its root, no placeholder */
	struct store *store = snapshot_store(&snap);
	const struct trace *tr = store_trace(store, 0);
	assert_int_equal(tr->nspans, 2);
	assert_int_equal(tr->spans[0].span_id, 0xa1);
	assert_int_equal(tr->spans[0].parent_id, 0);
	assert_int_equal(tr->spans[1].parent_id, 0xa1);
	store_destroy(store);
	snapshot_free(&snap);
}

/* The Collector's file exporter: one request a line (blank lines too), all read. */
static void json_lines_are_read_whole(void **state)
{
	(void)state;
	static const char doc[] = FREQ(FSPAN("00000000000000a1", "", "100", "900", "")) "\n\n\r\n"
		FREQ(FSPAN("00000000000000b2", ",\"parentSpanId\":\"00000000000000a1\"", "200", "300", "")) "\n"
		FREQ(FSPAN("00000000000000c3", ",\"parentSpanId\":\"00000000000000a1\"", "400", "500", "")) "\n";
	struct snapshot snap;
	parse_text(doc, sizeof doc - 1, &snap);
	assert_int_equal(snap.format, SNAPSHOT_OTLP);
	assert_int_equal(snap.otel->nspans, 3);
	assert_int_equal(snap.ntraces, 1);
	assert_int_equal(snap.norphans + snap.nplaceholders, 0);
	snapshot_free(&snap);
}

/* A span that ends before it starts: kept as the file says, marked, counted;
 * its record lasts 0 ns. */
static void a_negative_span_is_kept_and_marked(void **state)
{
	(void)state;
	static const char doc[] = FREQ(FSPAN("00000000000000a1", "", "100", "900", "") ","
	                               FSPAN("00000000000000b2", ",\"parentSpanId\":\"00000000000000a1\"", "500", "0", ""));
	struct snapshot snap;
	parse_text(doc, sizeof doc - 1, &snap);
	assert_int_equal(snap.nnegative, 1);
	const struct otel_span *sp = &snap.otel->spans[1];
	assert_int_equal(sp->start_unix_ns, 500);
	assert_int_equal(sp->end_unix_ns, 0);
	assert_true(sp->marks & OTEL_MARK_NEGATIVE);
	assert_false(snap.otel->spans[0].marks & OTEL_MARK_NEGATIVE);
	size_t found = 0;
	for (size_t i = 0; i < snap.nrecords; i++) {
		const struct span_record *rec = &snap.records[i];
		assert_true(rec->end_ns >= rec->start_ns);
		if (rec->span_id == 0xb2) {
			found++;
			assert_int_equal(rec->start_ns, 500);
			assert_int_equal(rec->end_ns, 500);
		}
	}
	assert_int_equal(found, 1);
	snapshot_free(&snap);
}

/* protobuf's JSON mapping: the proto's own snake_case names are read too. */
static void snake_case_names_are_read(void **state)
{
	(void)state;
	static const char doc[] =
		"{\"resource_spans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"string_value\":\"svc\"}}],"
		"\"dropped_attributes_count\":2},\"schema_url\":\"https://r\",\"scope_spans\":[{\"scope\":{\"name\":\"s\"},"
		"\"spans\":["
		"{\"trace_id\":\"" T1 "\",\"span_id\":\"00000000000000a1\",\"name\":\"root\",\"start_time_unix_nano\":\"100\","
		"\"end_time_unix_nano\":\"900\",\"trace_state\":\"k=v\"},"
		"{\"trace_id\":\"" T1 "\",\"span_id\":\"00000000000000b2\",\"parent_span_id\":\"00000000000000a1\",\"name\":\"c\","
		"\"start_time_unix_nano\":\"200\",\"end_time_unix_nano\":\"300\",\"dropped_attributes_count\":3,"
		"\"attributes\":[{\"key\":\"n\",\"value\":{\"int_value\":\"7\"}},"
		"{\"key\":\"l\",\"value\":{\"array_value\":{\"values\":[{\"bool_value\":true}]}}}]}]}]}]}";
	struct snapshot snap;
	parse_text(doc, sizeof doc - 1, &snap);
	const struct otel_set *set = snap.otel;
	assert_int_equal(set->nspans, 2);
	assert_int_equal(set->spans[1].parent_span_id, 0xa1);
	assert_int_equal(set->spans[1].attrs.count, 2);
	assert_int_equal(set->spans[1].attrs.dropped, 3);
	assert_int_equal(set->spans[0].trace_state.len, 3);
	assert_int_equal(set->resources[0].attrs.count, 1);
	assert_int_equal(set->resources[0].attrs.dropped, 2);
	assert_int_equal(snap.norphans + snap.nplaceholders, 0);
	snapshot_free(&snap);
}

/* A UTF-8 byte order mark is not the document's; a database is named. */
static void bom_skipped_and_database_named(void **state)
{
	(void)state;
	static const char doc[] = "\xef\xbb\xbf" FREQ(FSPAN("00000000000000a1", "", "100", "900", ""));
	struct snapshot snap;
	parse_text(doc, sizeof doc - 1, &snap);
	assert_int_equal(snap.otel->nspans, 1);
	snapshot_free(&snap);
	static const char db[] = "SQLite format 3\0\x10\0\x01\x01";
	struct obslab_error err;
	assert_false(snapshot_parse(db, sizeof db - 1, &snap, &err));
	assert_string_equal(err.msg, "an SQLite database, not a snapshot or OTLP/JSON file");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deep_chains_assemble_at_any_depth),
		cmocka_unit_test(a_wide_deep_trace_assembles_fast),
		cmocka_unit_test(tolerant_assembly_marks_what_it_shows),
		cmocka_unit_test(every_otlp_field_is_read),
		cmocka_unit_test(native_v2_reads_foreign_spans),
		cmocka_unit_test(json_lines_are_read_whole),
		cmocka_unit_test(a_negative_span_is_kept_and_marked),
		cmocka_unit_test(snake_case_names_are_read),
		cmocka_unit_test(bom_skipped_and_database_named),
		cmocka_unit_test(remote_parent_is_a_root_not_an_orphan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
