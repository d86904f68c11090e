/* otel_write: the span model's pieces as OTLP/JSON (typed values, spans with
 * everything), and every writer on a foreign trace built with the otel
 * builder: OTLP grouped per resource and scope, native v2's resources,
 * scopes and "otlp" spans, Chrome's names and args, the SQLite tables;
 * placeholders written by none. A served lab trace (trace->http): its root
 * with every HTTP attribute, the caller's span as parent and tracestate in
 * each format, and read back from native as the root of its trace with
 * its http_info. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/clock.h"
#include "obslab/httpinfo.h"
#include "obslab/otel.h"
#include "obslab/otel_json.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

struct buf {
	char text[16384];
	size_t len;
};

static void buf_sink(void *ctx, const char *s, size_t len)
{
	struct buf *b = ctx;
	assert_true(b->len + len < sizeof b->text);
	memcpy(b->text + b->len, s, len);
	b->len += len;
	b->text[b->len] = '\0';
}

static struct otel_str T(struct otel_set *set, const char *s)
{
	return otel_text(set, s, strlen(s));
}

static struct otel_value vstr(struct otel_set *set, const char *s)
{
	return (struct otel_value){ .type = OTEL_VALUE_STRING, .u.s = T(set, s) };
}

static struct otel_value vint(int64_t i)
{
	return (struct otel_value){ .type = OTEL_VALUE_INT, .u.i = i };
}

static struct otel_value vdbl(double d)
{
	return (struct otel_value){ .type = OTEL_VALUE_DOUBLE, .u.d = d };
}

static void value_is(struct otel_set *set, struct otel_value v, const char *want, const char *plain)
{
	struct buf b = { .len = 0 };
	struct otel_json_out o = { buf_sink, &b };
	otel_json_value(&o, set, &v);
	assert_string_equal(b.text, want);
	b.len = 0;
	b.text[0] = '\0';
	otel_json_plain_value(&o, set, &v);
	assert_string_equal(b.text, plain);
}

static void values_typed(void **state)
{
	(void)state;
	struct otel_set *set = otel_set_create();
	value_is(set, vstr(set, "a\"b\\c\n\x01é"), "{\"stringValue\":\"a\\\"b\\\\c\\n\\u0001é\"}", "\"a\\\"b\\\\c\\n\\u0001é\"");
	value_is(set, vint(INT64_MIN), "{\"intValue\":\"-9223372036854775808\"}", "-9223372036854775808");
	value_is(set, (struct otel_value){ .type = OTEL_VALUE_BOOL, .u.b = true }, "{\"boolValue\":true}", "true");
	value_is(set, vdbl(0.1), "{\"doubleValue\":0.10000000000000001}", "0.10000000000000001");
	value_is(set, vdbl(NAN), "{\"doubleValue\":\"NaN\"}", "\"NaN\"");
	value_is(set, vdbl(INFINITY), "{\"doubleValue\":\"Infinity\"}", "\"Infinity\"");
	value_is(set, vdbl(-INFINITY), "{\"doubleValue\":\"-Infinity\"}", "\"-Infinity\"");
	value_is(set, (struct otel_value){ .type = OTEL_VALUE_EMPTY }, "{}", "null");
	struct otel_value bytes = { .type = OTEL_VALUE_BYTES, .u.s = otel_text(set, "\x00\xff\x10\x20", 4) };
	value_is(set, bytes, "{\"bytesValue\":\"AP8QIA==\"}", "\"AP8QIA==\"");
	bytes.u.s = otel_text(set, "abc", 3);
	value_is(set, bytes, "{\"bytesValue\":\"YWJj\"}", "\"YWJj\"");
	/* [1, ["x"], {k: 2.5}] */
	size_t inner = otel_value_mark(set);
	otel_value_push(set, vstr(set, "x"));
	uint32_t n_inner;
	uint32_t first_inner = otel_value_commit(set, inner, &n_inner);
	size_t kvm = otel_kv_mark(set);
	otel_kv_push(set, T(set, "k"), vdbl(2.5));
	uint32_t nkv;
	uint32_t first_kv = otel_kv_commit(set, kvm, &nkv);
	size_t outer = otel_value_mark(set);
	otel_value_push(set, vint(1));
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_ARRAY, .count = n_inner, .u.first = first_inner });
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_KVLIST, .count = nkv, .u.first = first_kv });
	uint32_t n_outer;
	uint32_t first_outer = otel_value_commit(set, outer, &n_outer);
	value_is(set, (struct otel_value){ .type = OTEL_VALUE_ARRAY, .count = n_outer, .u.first = first_outer },
	         "{\"arrayValue\":{\"values\":[{\"intValue\":\"1\"},{\"arrayValue\":{\"values\":[{\"stringValue\":\"x\"}]}},"
	         "{\"kvlistValue\":{\"values\":[{\"key\":\"k\",\"value\":{\"doubleValue\":2.5}}]}}]}}",
	         "[1,[\"x\"],{\"k\":2.5}]");
	value_is(set, (struct otel_value){ .type = OTEL_VALUE_ARRAY, .count = 0, .u.first = 0 },
	         "{\"arrayValue\":{\"values\":[]}}", "[]");
	otel_set_destroy(set);
}

/* ---- a foreign trace ------------------------------------------------------ */

static struct otel_attrs attrs1(struct otel_set *set, const char *key, struct otel_value v, uint32_t dropped)
{
	size_t m = otel_kv_mark(set);
	otel_kv_push(set, T(set, key), v);
	struct otel_attrs a = { .dropped = dropped };
	a.first = otel_kv_commit(set, m, &a.count);
	return a;
}

static const uint8_t tid[SPAN_TRACE_ID_LEN] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
	                                         0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };

struct foreign_trace {
	struct otel_set *set;
	struct strtab *names;
	struct store *store;
	struct snapshot_meta meta;
};

/* Spans in file order: root (scope 0), query (scope 1, other resource),
 * work (scope 2), late (scope 0), orphan (scope 1, its parent absent:
 * under a placeholder). */
static void foreign_trace_build(struct foreign_trace *f)
{
	struct otel_set *set = f->set = otel_set_create();
	f->names = strtab_create();
	struct otel_resource r0 = { .attrs = attrs1(set, "service.name", vstr(set, "checkout"), 1),
		                    .schema_url = T(set, "https://opentelemetry.io/schemas/1.24.0") };
	struct otel_resource r1 = { .attrs = attrs1(set, "service.name", vstr(set, "orders-db"), 0) };
	assert_int_equal(otel_add_resource(set, &r0), 0);
	assert_int_equal(otel_add_resource(set, &r1), 1);
	struct otel_scope s0 = { .resource = 0, .name = T(set, "@opentelemetry/instrumentation-http"),
		                 .version = T(set, "0.52.1"), .attrs = attrs1(set, "lib", vstr(set, "http"), 2),
		                 .schema_url = T(set, "https://opentelemetry.io/schemas/1.25.0") };
	struct otel_scope s1 = { .resource = 1, .name = T(set, "pg") };
	struct otel_scope s2 = { .resource = 0, .name = T(set, "custom") };
	otel_add_scope(set, &s0);
	otel_add_scope(set, &s1);
	otel_add_scope(set, &s2);

	struct otel_span root = { .span_id = 0x1111, .scope = 0, .kind = 2, .status_code = 2, .has_flags = true,
		                  .flags = 0x101, .name = T(set, "POST /checkout"), .trace_state = T(set, "vendor=x"),
		                  .status_message = T(set, "card declined"), .start_unix_ns = 1700000000000000000ull,
		                  .end_unix_ns = 1700000000050000000ull, .dropped_events = 3, .dropped_links = 4 };
	memcpy(root.trace_id, tid, sizeof tid);
	size_t m = otel_kv_mark(set);
	otel_kv_push(set, T(set, "http.request.method"), vstr(set, "POST"));
	otel_kv_push(set, T(set, "retry.ratio"), vdbl(NAN));
	otel_kv_push(set, T(set, "blob"), (struct otel_value){ .type = OTEL_VALUE_BYTES, .u.s = otel_text(set, "\x01\x02", 2) });
	root.attrs.first = otel_kv_commit(set, m, &root.attrs.count);
	root.attrs.dropped = 5;
	struct otel_event ev = { .time_unix_ns = 1700000000010000000ull, .name = T(set, "exception"),
		                 .attrs = attrs1(set, "exception.message", vstr(set, "declined"), 0) };
	root.events_first = otel_add_event(set, &ev);
	root.nevents = 1;
	struct otel_link ln = { .span_id = 0xabcdef, .trace_state = T(set, "a=b"), .flags = 1,
		                .attrs = attrs1(set, "link.kind", vstr(set, "follows"), 0) };
	memset(ln.trace_id, 0x22, sizeof ln.trace_id);
	root.links_first = otel_add_link(set, &ln);
	root.nlinks = 1;

	struct otel_span query = root, work = root, late = root, orphan = root;
	query = (struct otel_span){ .span_id = 0x2222, .parent_span_id = 0x1111, .scope = 1, .kind = 3,
		                    .name = T(set, "SELECT shop.orders"), .start_unix_ns = root.start_unix_ns + 1000,
		                    .end_unix_ns = root.start_unix_ns + 2000,
		                    .attrs = attrs1(set, "db.system.name", vstr(set, "postgresql"), 0) };
	work = (struct otel_span){ .span_id = 0x3333, .parent_span_id = 0x1111, .scope = 2, .kind = 1,
		                   .name = T(set, "work"), .start_unix_ns = root.start_unix_ns + 3000,
		                   .end_unix_ns = root.start_unix_ns + 4000 };
	late = (struct otel_span){ .span_id = 0x4444, .parent_span_id = 0x1111, .scope = 0, .kind = 5,
		                   .name = T(set, "late"), .start_unix_ns = root.start_unix_ns + 5000,
		                   .end_unix_ns = root.start_unix_ns + 6000, .attrs = attrs1(set, "n", vint(7), 0) };
	orphan = (struct otel_span){ .span_id = 0x5555, .parent_span_id = 0xdead, .scope = 1, .kind = 0,
		                     .name = T(set, "orphan"), .start_unix_ns = root.start_unix_ns + 7000,
		                     .end_unix_ns = root.start_unix_ns + 8000, .marks = OTEL_MARK_ORPHAN };
	memcpy(query.trace_id, tid, sizeof tid);
	memcpy(work.trace_id, tid, sizeof tid);
	memcpy(late.trace_id, tid, sizeof tid);
	memcpy(orphan.trace_id, tid, sizeof tid);
	const struct otel_span *all[] = { &root, &query, &work, &late, &orphan };
	for (uint32_t i = 0; i < 5; i++)
		assert_int_equal(otel_add_span(set, all[i]), i);

	/* Records: the placeholder under the root, the orphan under it, the root last. */
	struct span_record recs[6];
	memset(recs, 0, sizeof recs);
	uint32_t rec_of[] = { 1, 2, 3, 4 };
	for (int i = 0; i < 4; i++) {
		const struct otel_span *sp = all[rec_of[i]];
		recs[i] = (struct span_record){ .span_id = sp->span_id, .parent_id = sp->parent_span_id,
			                        .start_ns = (int64_t)sp->start_unix_ns, .end_ns = (int64_t)sp->end_unix_ns,
			                        .trace_seq = 1, .kind = sp->kind, .flags = SPAN_F_FOREIGN,
			                        .name = strtab_intern_cstr(f->names, otel_text_of(set, sp->name)) };
		recs[i].u.foreign.detail = rec_of[i];
		if (sp->parent_span_id == 0xdead)
			recs[i].parent_id = 0xdead;
	}
	recs[0].flags |= SPAN_F_DB;
	recs[0].name = strtab_intern_cstr(f->names, "SELECT * FROM shop.orders WHERE id = ?");
	recs[4] = (struct span_record){ .span_id = 0xdead, .parent_id = 0x1111, .start_ns = (int64_t)orphan.start_unix_ns,
		                        .end_ns = (int64_t)orphan.end_unix_ns, .trace_seq = 1,
		                        .flags = SPAN_F_PLACEHOLDER, .name = strtab_intern_cstr(f->names, "missing parent") };
	recs[5] = (struct span_record){ .span_id = 0x1111, .start_ns = (int64_t)root.start_unix_ns,
		                        .end_ns = (int64_t)root.end_unix_ns, .trace_seq = 1, .kind = 2,
		                        .flags = SPAN_F_FOREIGN | SPAN_F_ERROR,
		                        .name = strtab_intern_cstr(f->names, "POST /checkout") };
	recs[5].u.foreign.detail = 0;
	f->store = store_create((struct store_limits){ .max_traces = 4, .max_spans = SIZE_MAX });
	store_set_otel(f->store, set);
	store_ingest(f->store, recs, 6);
	assert_int_equal(store_trace_count(f->store), 1);
	f->meta = (struct snapshot_meta){ .has_settings = false };
}

static void foreign_trace_free(struct foreign_trace *f)
{
	store_destroy(f->store);
	strtab_destroy(f->names);
	otel_set_destroy(f->set);
}

static char *write_file(struct foreign_trace *f, enum snapshot_format format, const char *name)
{
	static const struct findings_config fcfg = { .n1_min_count = 5, .n1_min_ns = 0 };
	char path[512];
	fixture_path(path, sizeof path, name);
	struct obslab_error err;
	assert_true(snapshot_write(path, format, f->store, f->names, &f->meta, &fcfg, &err));
	if (format == SNAPSHOT_SQLITE)
		return strdup(path);
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = '\0';
	return strdup(text);
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static void otlp_grouped(void **state)
{
	(void)state;
	struct foreign_trace f;
	foreign_trace_build(&f);
	char *text = write_file(&f, SNAPSHOT_OTLP, "foreign.otlp.json");
	assert_null(strstr(text, "missing parent"));
	assert_null(strstr(text, "\"spanId\":\"000000000000dead\""));
	assert_null(strstr(text, "\"obslab\"")); /* no lab resource, no lab attribute */
	cJSON *doc = cJSON_Parse(text);
	assert_non_null(doc);
	const cJSON *rss = cJSON_GetObjectItem(doc, "resourceSpans");
	assert_int_equal(cJSON_GetArraySize(rss), 2);
	const cJSON *rs0 = cJSON_GetArrayItem(rss, 0), *rs1 = cJSON_GetArrayItem(rss, 1);
	assert_string_equal(str_of(rs0, "schemaUrl"), "https://opentelemetry.io/schemas/1.24.0");
	assert_null(cJSON_GetObjectItem(rs1, "schemaUrl"));
	const cJSON *res0 = cJSON_GetObjectItem(rs0, "resource");
	assert_int_equal(cJSON_GetObjectItem(res0, "droppedAttributesCount")->valueint, 1);
	const cJSON *ss0 = cJSON_GetObjectItem(rs0, "scopeSpans");
	assert_int_equal(cJSON_GetArraySize(ss0), 2); /* http (root, late), then custom (work) */
	const cJSON *http = cJSON_GetArrayItem(ss0, 0);
	assert_string_equal(str_of(cJSON_GetObjectItem(http, "scope"), "name"), "@opentelemetry/instrumentation-http");
	assert_string_equal(str_of(cJSON_GetObjectItem(http, "scope"), "version"), "0.52.1");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(http, "scope"), "droppedAttributesCount")->valueint, 2);
	assert_string_equal(str_of(http, "schemaUrl"), "https://opentelemetry.io/schemas/1.25.0");
	const cJSON *spans = cJSON_GetObjectItem(http, "spans");
	assert_int_equal(cJSON_GetArraySize(spans), 2);
	const cJSON *root = cJSON_GetArrayItem(spans, 0);
	assert_string_equal(str_of(root, "name"), "POST /checkout");
	assert_string_equal(str_of(root, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(str_of(root, "spanId"), "0000000000001111");
	assert_null(cJSON_GetObjectItem(root, "parentSpanId"));
	assert_string_equal(str_of(root, "traceState"), "vendor=x");
	assert_int_equal(cJSON_GetObjectItem(root, "flags")->valueint, 0x101);
	assert_string_equal(str_of(root, "startTimeUnixNano"), "1700000000000000000");
	assert_int_equal(cJSON_GetObjectItem(root, "droppedAttributesCount")->valueint, 5);
	assert_int_equal(cJSON_GetObjectItem(root, "droppedEventsCount")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(root, "droppedLinksCount")->valueint, 4);
	const cJSON *status = cJSON_GetObjectItem(root, "status");
	assert_int_equal(cJSON_GetObjectItem(status, "code")->valueint, 2);
	assert_string_equal(str_of(status, "message"), "card declined");
	const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "events"), 0);
	assert_string_equal(str_of(ev, "name"), "exception");
	assert_string_equal(str_of(ev, "timeUnixNano"), "1700000000010000000");
	const cJSON *ln = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "links"), 0);
	assert_string_equal(str_of(ln, "traceId"), "22222222222222222222222222222222");
	assert_string_equal(str_of(ln, "spanId"), "0000000000abcdef");
	assert_string_equal(str_of(ln, "traceState"), "a=b");
	const cJSON *attrs = cJSON_GetObjectItem(root, "attributes");
	assert_int_equal(cJSON_GetArraySize(attrs), 3);
	assert_string_equal(str_of(cJSON_GetObjectItem(cJSON_GetArrayItem(attrs, 1), "value"), "doubleValue"), "NaN");
	assert_string_equal(str_of(cJSON_GetObjectItem(cJSON_GetArrayItem(attrs, 2), "value"), "bytesValue"), "AQI=");
	assert_string_equal(str_of(cJSON_GetArrayItem(spans, 1), "name"), "late");
	const cJSON *custom = cJSON_GetArrayItem(ss0, 1);
	assert_string_equal(str_of(cJSON_GetArrayItem(cJSON_GetObjectItem(custom, "spans"), 0), "name"), "work");
	const cJSON *pg = cJSON_GetArrayItem(cJSON_GetObjectItem(rs1, "scopeSpans"), 0);
	const cJSON *pgspans = cJSON_GetObjectItem(pg, "spans");
	assert_int_equal(cJSON_GetArraySize(pgspans), 2); /* the query and the orphan, its own name and parent */
	assert_string_equal(str_of(cJSON_GetArrayItem(pgspans, 0), "name"), "SELECT shop.orders");
	assert_string_equal(str_of(cJSON_GetArrayItem(pgspans, 1), "parentSpanId"), "000000000000dead");
	cJSON_Delete(doc);
	free(text);
	foreign_trace_free(&f);
}

static void native_v2(void **state)
{
	(void)state;
	struct foreign_trace f;
	foreign_trace_build(&f);
	char *text = write_file(&f, SNAPSHOT_NATIVE, "foreign.json");
	assert_null(strstr(text, "missing parent"));
	cJSON *doc = cJSON_Parse(text);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetObjectItem(doc, "version")->valueint, 2);
	assert_null(cJSON_GetObjectItem(doc, "settings")); /* a foreign file has no lab settings */
	const cJSON *res = cJSON_GetObjectItem(doc, "resources"), *scopes = cJSON_GetObjectItem(doc, "scopes");
	assert_int_equal(cJSON_GetArraySize(res), 2);
	assert_int_equal(cJSON_GetArraySize(scopes), 3);
	assert_string_equal(str_of(cJSON_GetArrayItem(res, 0), "schemaUrl"), "https://opentelemetry.io/schemas/1.24.0");
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(scopes, 1), "resource")->valueint, 1);
	assert_string_equal(str_of(cJSON_GetArrayItem(scopes, 0), "version"), "0.52.1");
	const cJSON *trace = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "traces"), 0);
	assert_null(cJSON_GetObjectItem(trace, "strategy"));
	assert_null(cJSON_GetObjectItem(trace, "users"));
	const cJSON *spans = cJSON_GetObjectItem(trace, "spans");
	assert_int_equal(cJSON_GetArraySize(spans), 5);
	const cJSON *sp;
	int seen = 0;
	cJSON_ArrayForEach(sp, spans)
	{
		const cJSON *otlp = cJSON_GetObjectItem(sp, "otlp");
		assert_non_null(otlp);
		assert_string_equal(str_of(sp, "name"), str_of(otlp, "name"));
		assert_string_equal(str_of(sp, "span_id"), str_of(otlp, "spanId"));
		assert_null(cJSON_GetObjectItem(sp, "db")); /* no lab counters on a foreign span */
		if (strcmp(str_of(sp, "name"), "POST /checkout") == 0) {
			seen++;
			assert_int_equal(cJSON_GetObjectItem(sp, "scope")->valueint, 0);
			assert_string_equal(str_of(sp, "status"), "error");
			assert_string_equal(str_of(cJSON_GetObjectItem(otlp, "status"), "message"), "card declined");
		}
		if (strcmp(str_of(sp, "name"), "orphan") == 0) {
			seen++;
			assert_string_equal(str_of(sp, "parent_span_id"), "000000000000dead");
			assert_string_equal(str_of(sp, "kind"), "unspecified");
		}
	}
	assert_int_equal(seen, 2);
	cJSON_Delete(doc);
	free(text);
	foreign_trace_free(&f);
}

static void chrome_names_args(void **state)
{
	(void)state;
	struct foreign_trace f;
	foreign_trace_build(&f);
	char *text = write_file(&f, SNAPSHOT_CHROME, "foreign.trace.json");
	assert_null(strstr(text, "missing parent"));
	cJSON *doc = cJSON_Parse(text);
	assert_non_null(doc);
	const cJSON *ev;
	int x = 0, named = 0;
	cJSON_ArrayForEach(ev, cJSON_GetObjectItem(doc, "traceEvents"))
	{
		if (strcmp(str_of(ev, "ph"), "X") != 0)
			continue;
		x++;
		const cJSON *args = cJSON_GetObjectItem(ev, "args");
		if (strcmp(str_of(ev, "name"), "SELECT shop.orders") == 0) { /* its own name, not the fingerprint */
			named++;
			assert_string_equal(str_of(args, "db.system.name"), "postgresql");
			assert_int_equal(cJSON_GetArraySize(args), 1);
		}
		if (strcmp(str_of(ev, "name"), "late") == 0) {
			named++;
			assert_int_equal(cJSON_GetObjectItem(args, "n")->valueint, 7);
			assert_string_equal(str_of(ev, "cat"), "consumer");
		}
		if (strcmp(str_of(ev, "name"), "POST /checkout") == 0) {
			named++;
			assert_string_equal(str_of(args, "retry.ratio"), "NaN");
			assert_string_equal(str_of(args, "blob"), "AQI=");
		}
	}
	assert_int_equal(x, 5);
	assert_int_equal(named, 3);
	cJSON_Delete(doc);
	free(text);
	foreign_trace_free(&f);
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void sqlite_tables(void **state)
{
	(void)state;
	struct foreign_trace f;
	foreign_trace_build(&f);
	char *path = write_file(&f, SNAPSHOT_SQLITE, "foreign.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM spans"), 5);
	assert_int_equal(scalar(db, "SELECT count(*) FROM spans WHERE name = 'missing parent'"), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM resources"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM scopes"), 3);
	assert_int_equal(scalar(db, "SELECT count(*) FROM spans WHERE service_name = 'checkout'"), 3);
	assert_int_equal(scalar(db, "SELECT duration_ns FROM spans WHERE name = 'POST /checkout'"), 50000000);
	assert_int_equal(scalar(db, "SELECT count(*) FROM spans WHERE trace_id = '4bf92f3577b34da6a3ce929d0e0e4736'"
	                            " AND span_id = '0000000000002222' AND fingerprint LIKE 'SELECT * FROM shop.orders%'"),
	                 1);
	assert_int_equal(scalar(db, "SELECT status_code FROM spans WHERE status_message = 'card declined'"), 2);
	assert_int_equal(scalar(db, "SELECT int_value FROM span_attributes WHERE key = 'n' AND type = 'int'"), 7);
	assert_int_equal(scalar(db, "SELECT length(bytes_value) FROM span_attributes WHERE key = 'blob'"), 2);
	assert_int_equal(scalar(db, "SELECT json_value = '\"NaN\"' FROM span_attributes WHERE key = 'retry.ratio'"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM events e JOIN event_attributes a ON a.event = e.id"
	                            " WHERE e.name = 'exception' AND a.string_value = 'declined'"),
	                 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM links WHERE linked_span_id = '0000000000abcdef' AND flags = 1"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name LIKE 'spans_%'"), 4);
	sqlite3_close(db);
	free(path);
	foreign_trace_free(&f);
}

/* The lab trace in lab.store made a served one: h filled as a server would. */
static void served(struct lab *lab, struct http_info *h)
{
	http_info_init(h);
	struct trace *t = (struct trace *)store_latest(lab->store);
	memcpy(h->trace_id, t->trace_id, 16);
	h->remote_parent_id = 0x00f067aa0ba902b7u;
	h->trace_flags = 1;
	h->status_code = 200;
	h->server_port = 8000;
	h->route = "/users/analytics";
	http_info_set_text(h, HTTP_TEXT_METHOD, "GET", 3);
	http_info_set_text(h, HTTP_TEXT_PROTOCOL, "1.1", 3);
	http_info_set_text(h, HTTP_TEXT_PATH, "/users/analytics", 16);
	http_info_set_text(h, HTTP_TEXT_CLIENT_ADDRESS, "127.0.0.1", 9);
	http_info_set_text(h, HTTP_TEXT_SERVER_ADDRESS, "localhost", 9);
	char ua[400];
	memset(ua, 'u', sizeof ua);
	http_info_set_text(h, HTTP_TEXT_USER_AGENT, ua, sizeof ua); /* cut, and marked */
	http_info_set_text(h, HTTP_TEXT_TRACESTATE, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", 39);
	t->http = h;
}

static char *write_lab(struct lab *lab, enum snapshot_format format, const char *name)
{
	struct foreign_trace f = { .store = lab->store, .names = lab->names, .meta = { .anchor = clock_anchor() } };
	return write_file(&f, format, name);
}

static const cJSON *attr_of(const cJSON *span, const char *key)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(span, "attributes"))
		if (strcmp(str_of(a, "key"), key) == 0)
			return cJSON_GetObjectItemCaseSensitive(a, "value");
	return NULL;
}

static void served_trace_in_every_format(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	struct http_info h;
	served(&lab, &h);
	const struct trace *t = store_latest(lab.store);
	char root_id[17];
	snprintf(root_id, sizeof root_id, "%016" PRIx64, t->spans[0].span_id);

	/* OTLP: the root is the caller's span's child, with every HTTP attribute */
	char *text = write_lab(&lab, SNAPSHOT_OTLP, "served.otlp.json");
	cJSON *doc = cJSON_Parse(text);
	assert_non_null(doc);
	const cJSON *spans = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	                           cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "resourceSpans"), 0), "scopeSpans"),
	                       0),
	    "spans");
	const cJSON *root = NULL, *sp;
	int parents = 0;
	cJSON_ArrayForEach(sp, spans) {
		if (strcmp(str_of(sp, "spanId"), root_id) == 0)
			root = sp;
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(sp, "parentSpanId");
		parents += p && strcmp(p->valuestring, "00f067aa0ba902b7") == 0;
	}
	assert_non_null(root);
	assert_int_equal(parents, 1);
	assert_string_equal(str_of(root, "parentSpanId"), "00f067aa0ba902b7");
	assert_string_equal(str_of(root, "traceState"), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(root, "flags")->valueint, 0x301);
	static const char *const keys[] = { "http.request.method", "url.scheme", "url.path", "http.route",
		                            "http.response.status_code", "server.address", "server.port",
		                            "client.address", "user_agent.original", "network.protocol.version" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!attr_of(root, keys[i]))
			fail_msg("no %s on the served root", keys[i]);
	assert_string_equal(str_of(attr_of(root, "http.request.method"), "stringValue"), "GET");
	assert_string_equal(str_of(attr_of(root, "url.path"), "stringValue"), "/users/analytics");
	assert_string_equal(str_of(attr_of(root, "http.response.status_code"), "intValue"), "200");
	assert_string_equal(str_of(attr_of(root, "server.port"), "intValue"), "8000");
	assert_string_equal(str_of(attr_of(root, "client.address"), "stringValue"), "127.0.0.1");
	assert_non_null(strstr(str_of(attr_of(root, "user_agent.original"), "stringValue"), HTTP_INFO_TRUNCATION_MARK));
	assert_string_equal(str_of(attr_of(root, "obslab.strategy"), "stringValue"), "naive"); /* the lab's still */
	int methods = 0;
	const cJSON *a;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(root, "attributes"))
		methods += strcmp(str_of(a, "key"), "http.request.method") == 0;
	assert_int_equal(methods, 1); /* the HTTP one in place of the lab's */
	cJSON_Delete(doc);
	free(text);

	/* Chrome: the root's args */
	text = write_lab(&lab, SNAPSHOT_CHROME, "served.trace.json");
	assert_non_null(strstr(text, "\"url.path\":\"/users/analytics\""));
	assert_non_null(strstr(text, "\"parentSpanId\":\"00f067aa0ba902b7\""));
	assert_non_null(strstr(text, "\"traceState\":\"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE\""));
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	cJSON_Delete(doc);
	free(text);

	/* SQLite: the root row's parent and trace state, its attributes */
	char *path = write_lab(&lab, SNAPSHOT_SQLITE, "served.db");
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(scalar(db, "SELECT count(*) FROM spans WHERE parent_span_id = '00f067aa0ba902b7'"
	                            " AND trace_state LIKE 'rojo=%'"), 1);
	assert_int_equal(scalar(db, "SELECT int_value FROM span_attributes WHERE key = 'http.response.status_code'"), 200);
	sqlite3_close(db);
	free(path);

	/* Native: written and read back, the root is its trace's root with its http */
	text = write_lab(&lab, SNAPSHOT_NATIVE, "served.json");
	assert_non_null(strstr(text, "\"remote_parent_span_id\":\"00f067aa0ba902b7\""));
	assert_non_null(strstr(text, "\"truncated\":[\"user_agent\"]"));
	/* hostile "http": refused in one line, nothing leaked */
	static const char *const bad[][3] = {
		{ "\"status_code\":200", "\"status_code\":\"x\"", "http.status_code" },
		{ "\"server_port\":8000", "\"server_port\":70000", "http.server_port" },
		{ "\"remote_parent_span_id\":\"00f067aa0ba902b7\"", "\"remote_parent_span_id\":\"zz\"", "remote_parent" },
		{ "\"method\":\"GET\"", "\"method\":7", "http.method" },
		{ ",\"http\":{", ",\"http\":{},\"http\":{", "given twice" },
		{ ",\"http\":{", ",\"http\":[],\"x\":{", "http must be an object" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *at = strstr(text, bad[i][0]);
		assert_non_null(at);
		size_t pre = (size_t)(at - text), old = strlen(bad[i][0]), neu = strlen(bad[i][1]);
		char *doc2 = malloc(strlen(text) + neu + 1);
		memcpy(doc2, text, pre);
		memcpy(doc2 + pre, bad[i][1], neu);
		strcpy(doc2 + pre + neu, at + old);
		struct snapshot bs;
		struct obslab_error berr;
		if (snapshot_parse(doc2, strlen(doc2), &bs, &berr))
			fail_msg("accepted: %s", bad[i][1]);
		if (!strstr(berr.msg, bad[i][2]))
			fail_msg("\"%s\" does not name %s", berr.msg, bad[i][2]);
		free(doc2);
	}
	free(text);
	char native[512];
	fixture_path(native, sizeof native, "served.json");
	struct snapshot snap;
	struct obslab_error err;
	assert_true(snapshot_read(native, &snap, &err));
	assert_int_equal(snap.ntraces, 1);
	assert_int_equal(snap.nplaceholders, 0);
	assert_int_equal(snap.norphans, 0);
	assert_int_equal(snap.nhttp, 1);
	const struct http_info *back = snap.http[0];
	assert_memory_equal(back->trace_id, t->trace_id, 16);
	assert_true(back->remote_parent_id == h.remote_parent_id);
	assert_int_equal(back->trace_flags, 1);
	assert_int_equal(back->status_code, 200);
	assert_int_equal(back->server_port, 8000);
	assert_string_equal(back->route, "/users/analytics");
	for (int f = 0; f < HTTP_TEXT_COUNT; f++)
		assert_string_equal(http_info_get_text(back, (enum http_info_text)f),
		                    http_info_get_text(&h, (enum http_info_text)f));
	assert_int_equal(back->truncated, 1u << HTTP_TEXT_USER_AGENT);
	struct store *st = snapshot_store(&snap);
	const struct trace *rt = store_latest(st);
	assert_int_equal(rt->nspans, t->nspans);
	assert_true(rt->spans[0].span_id == t->spans[0].span_id);
	assert_int_equal(rt->spans[0].parent_id, 0);
	assert_int_equal(rt->spans[0].strategy, STRATEGY_NAIVE);
	store_destroy(st);
	snapshot_free(&snap);

	((struct trace *)t)->http = NULL; /* h is on this stack */
	lab_close(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_typed),
		cmocka_unit_test(otlp_grouped),
		cmocka_unit_test(native_v2),
		cmocka_unit_test(chrome_names_args),
		cmocka_unit_test(sqlite_tables),
		cmocka_unit_test(served_trace_in_every_format),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return failed;
}
