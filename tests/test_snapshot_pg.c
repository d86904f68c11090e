/* snapshot on a PostgreSQL lab's traces (no server needed: the spans are the
 * lab's, their db_system PostgreSQL, the database attrs_set_lab_database's):
 * every format names the database, native and OTLP read back as
 * PostgreSQL (native: measured attribution), an older file still reads as
 * SQLite, the forwarder's spans equal the export's, hostile database
 * fields are refused in one line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/attrs.h"
#include "obslab/labdb.h"
#include "obslab/otel.h"
#include "obslab/otel_json.h"
#include "obslab/otel_lab.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static const struct findings_config fcfg = { .n1_min_count = 5, .n1_min_ns = 0 };

static const struct labdb_info lab_pg = {
	.engine = LABDB_POSTGRESQL,
	.system = "postgresql",
	.name_space = "lab",
	.server_address = "/tmp/obslab-pg.sock",
	.server_port = 5433,
	.server_version = "15.8",
	.display = "PostgreSQL 15.8 at /tmp/obslab-pg.sock:5433, database lab",
};

/* A PostgreSQL lab's traces: a SQLite lab's requests with every database
 * span made PostgreSQL's (db_system; no SQLite counters; its wait the
 * measured round trip's share), ingested as the workload hands them over. */
struct pglab {
	struct lab lab;
	struct store *store;
	struct clock_anchor anchor;
	struct snapshot_meta meta;
};

static void pglab_open(struct pglab *p)
{
	memset(p, 0, sizeof *p);
	attrs_set_lab_database(&lab_pg);
	lab_open(&p->lab, ":memory:", 20, false);
	lab_request(&p->lab, STRATEGY_NAIVE);
	lab_request(&p->lab, STRATEGY_OPTIMIZED);
	p->store = store_create((struct store_limits){ 16, 10000, 0 });
	for (size_t i = 0; i < store_trace_count(p->lab.store); i++) {
		const struct trace *t = store_trace(p->lab.store, i);
		struct span_record *s = calloc(t->nspans, sizeof *s);
		memcpy(s, t->spans, t->nspans * sizeof *s);
		for (size_t k = 0; k < t->nspans; k++) {
			if (!(s[k].flags & SPAN_F_DB))
				continue;
			s[k].db_system = SPAN_DB_POSTGRESQL;
			s[k].sort_ops = 0;
			s[k].u.db.fullscan_steps = s[k].u.db.vm_steps = s[k].u.db.autoindex = 0;
			int64_t d = span_duration_ns(&s[k]);
			s[k].u.db.net_wait_ns = (uint32_t)(d / 2);
		}
		store_ingest(p->store, s + 1, t->nspans - 1); /* children first, the root completes it */
		store_ingest(p->store, s, 1);
		free(s);
	}
	p->anchor = clock_anchor();
	p->meta = (struct snapshot_meta){ .settings = { .strategy = STRATEGY_NAIVE, .users = 20 },
	                                  .has_settings = true, .anchor = p->anchor, .has_database = true,
	                                  .database = lab_pg };
}

static void pglab_close(struct pglab *p)
{
	store_destroy(p->store);
	lab_close(&p->lab);
	attrs_set_lab_database(NULL);
}

static char *read_all(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *text = malloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	text[n] = '\0';
	return text;
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* Replaces every `from` in text (malloc'd, freed) by `to`. */
static char *replace_all(char *text, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), count = 0;
	for (const char *p = text; (p = strstr(p, from)); p += nf)
		count++;
	char *out = malloc(strlen(text) + count * (nt > nf ? nt - nf : 0) + 1), *o = out;
	const char *p = text, *hit;
	while ((hit = strstr(p, from))) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, to, nt);
		o += nt;
		p = hit + nf;
	}
	strcpy(o, p);
	free(text);
	return out;
}

static const char *kv_string(const cJSON *attrs, const char *key)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, attrs) {
		if (strcmp(cJSON_GetObjectItem(a, "key")->valuestring, key) == 0) {
			const cJSON *v = cJSON_GetObjectItem(a, "value");
			const cJSON *s = cJSON_GetObjectItem(v, "stringValue");
			return s ? s->valuestring : cJSON_GetObjectItem(v, "intValue")->valuestring;
		}
	}
	return NULL;
}

static size_t db_spans(const struct store *s, enum span_db_system system)
{
	size_t n = 0;
	for (size_t i = 0; i < store_trace_count(s); i++) {
		const struct trace *t = store_trace(s, i);
		for (size_t k = 0; k < t->nspans; k++)
			n += (t->spans[k].flags & SPAN_F_DB) && t->spans[k].db_system == system;
	}
	return n;
}

static void native_reads_back_as_postgresql(void **state)
{
	(void)state;
	struct pglab p;
	pglab_open(&p);
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "pg.json");
	assert_true(snapshot_write(path, SNAPSHOT_NATIVE, p.store, p.lab.names, &p.meta, &fcfg, &err));
	struct snapshot snap;
	if (!snapshot_read(path, &snap, &err))
		fail_msg("read back: %s", err.msg);
	assert_true(snap.meta.has_database);
	assert_int_equal(snap.meta.database.engine, LABDB_POSTGRESQL);
	assert_string_equal(snap.meta.database.system, "postgresql");
	assert_string_equal(snap.meta.database.name_space, "lab");
	assert_string_equal(snap.meta.database.server_address, lab_pg.server_address);
	assert_int_equal(snap.meta.database.server_port, 5433);
	assert_string_equal(snap.meta.database.server_version, "15.8");
	assert_string_equal(snap.meta.database.display, lab_pg.display);
	struct store *back = snapshot_store(&snap);
	size_t want = db_spans(p.store, SPAN_DB_POSTGRESQL);
	assert_true(want > 20);
	assert_int_equal(db_spans(back, SPAN_DB_POSTGRESQL), want);
	assert_int_equal(db_spans(back, SPAN_DB_SQLITE), 0);
	for (size_t i = 0; i < store_trace_count(back); i++) {
		struct attribution a = analysis_attribution(store_trace(p.store, i));
		struct attribution b = analysis_attribution(store_trace(back, i));
		assert_int_equal(b.kind, ATTRIBUTION_PG);
		assert_string_equal(attribution_label_network(&b), "network (measured round trip)");
		assert_memory_equal(&a, &b, sizeof a);
	}
	/* the settings say the network was measured */
	char *text = read_all(path);
	cJSON *doc = cJSON_Parse(text);
	const cJSON *settings = cJSON_GetObjectItem(doc, "settings");
	assert_string_equal(cJSON_GetObjectItem(settings, "network")->valuestring, "measured");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(settings, "database"), "system")->valuestring,
	                    "postgresql");
	cJSON_Delete(doc);

	/* an older obslab's file (no "system", no "database") is SQLite's */
	text = replace_all(text, ",\"system\":\"postgresql\"}", "}");
	char *cut = strstr(text, ",\"database\":{");
	assert_non_null(cut);
	char *end = strchr(cut + 1, '}');
	memmove(cut, end + 1, strlen(end + 1) + 1);
	fixture_path(path, sizeof path, "old.json");
	write_text(path, text);
	free(text);
	struct snapshot old;
	if (!snapshot_read(path, &old, &err))
		fail_msg("older file: %s", err.msg);
	assert_false(old.meta.has_database);
	struct store *old_store = snapshot_store(&old);
	assert_int_equal(db_spans(old_store, SPAN_DB_SQLITE), want);
	struct attribution a = analysis_attribution(store_trace(old_store, 0));
	assert_int_equal(a.kind, ATTRIBUTION_LAB);
	store_destroy(old_store);
	snapshot_free(&old);
	store_destroy(back);
	snapshot_free(&snap);
	pglab_close(&p);
}

static void otlp_reads_back_as_postgresql(void **state)
{
	(void)state;
	struct pglab p;
	pglab_open(&p);
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "pg.otlp.json");
	assert_true(snapshot_write(path, SNAPSHOT_OTLP, p.store, p.lab.names, &p.meta, &fcfg, &err));
	char *text = read_all(path);
	cJSON *doc = cJSON_Parse(text);
	free(text);
	const cJSON *rs = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "resourceSpans"), 0);
	const cJSON *res = cJSON_GetObjectItem(cJSON_GetObjectItem(rs, "resource"), "attributes");
	assert_string_equal(kv_string(res, ATTR_KEY_DB_DISPLAY), lab_pg.display);
	const cJSON *sp;
	size_t dbs = 0;
	cJSON_ArrayForEach(sp, cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rs, "scopeSpans"), 0), "spans")) {
		const cJSON *attrs = cJSON_GetObjectItem(sp, "attributes");
		if (!kv_string(attrs, ATTR_KEY_DB_QUERY_TEXT))
			continue;
		dbs++;
		assert_string_equal(kv_string(attrs, ATTR_KEY_DB_SYSTEM), "postgresql");
		assert_string_equal(kv_string(attrs, ATTR_KEY_DB_NAMESPACE), "lab");
		assert_string_equal(kv_string(attrs, ATTR_KEY_SERVER_ADDRESS), lab_pg.server_address);
		assert_string_equal(kv_string(attrs, ATTR_KEY_SERVER_PORT), "5433");
	}
	assert_int_equal(dbs, db_spans(p.store, SPAN_DB_POSTGRESQL));
	cJSON_Delete(doc);
	struct snapshot snap;
	if (!snapshot_read(path, &snap, &err))
		fail_msg("read back: %s", err.msg);
	struct store *back = snapshot_store(&snap);
	assert_int_equal(db_spans(back, SPAN_DB_POSTGRESQL), dbs); /* foreign records, PostgreSQL's */
	store_destroy(back);
	snapshot_free(&snap);
	pglab_close(&p);
}

static void chrome_and_sqlite_name_the_database(void **state)
{
	(void)state;
	struct pglab p;
	pglab_open(&p);
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "pg.trace.json");
	assert_true(snapshot_write(path, SNAPSHOT_CHROME, p.store, p.lab.names, &p.meta, &fcfg, &err));
	char *text = read_all(path);
	cJSON *doc = cJSON_Parse(text);
	free(text);
	assert_non_null(doc);
	const cJSON *db = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "otherData"), "database");
	assert_string_equal(cJSON_GetObjectItem(db, "system")->valuestring, "postgresql");
	assert_string_equal(cJSON_GetObjectItem(db, "namespace")->valuestring, "lab");
	assert_string_equal(cJSON_GetObjectItem(db, "server_address")->valuestring, lab_pg.server_address);
	assert_int_equal(cJSON_GetObjectItem(db, "server_port")->valueint, 5433);
	assert_string_equal(cJSON_GetObjectItem(db, "display")->valuestring, lab_pg.display);
	const cJSON *e;
	int labels = 0;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "traceEvents")) {
		if (strcmp(cJSON_GetObjectItem(e, "name")->valuestring, "process_labels") != 0)
			continue;
		labels++;
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "args"), "labels")->valuestring,
		                    lab_pg.display);
	}
	assert_int_equal(labels, 1);
	cJSON_Delete(doc);

	fixture_path(path, sizeof path, "pg.sqlite");
	assert_true(snapshot_write(path, SNAPSHOT_SQLITE, p.store, p.lab.names, &p.meta, &fcfg, &err));
	sqlite3 *s;
	assert_int_equal(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	static const char *const want[][2] = { { "database.system", "postgresql" },
		                                   { "database.namespace", "lab" },
		                                   { "database.server_address", "/tmp/obslab-pg.sock" },
		                                   { "database.server_port", "5433" },
		                                   { "database.version", "15.8" },
		                                   { "database.display", "PostgreSQL 15.8 at /tmp/obslab-pg.sock:5433, database lab" } };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		sqlite3_stmt *st;
		assert_int_equal(sqlite3_prepare_v2(s, "SELECT value FROM meta WHERE key = ?", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, want[i][0], -1, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(st, 0), want[i][1]);
		sqlite3_finalize(st);
	}
	/* the database spans' attributes say PostgreSQL too */
	assert_int_equal(fixture_scalar(s, "SELECT count(*) FROM span_attributes WHERE key = 'db.system.name'"
	                                   " AND string_value = 'postgresql'"),
	                 (int64_t)db_spans(p.store, SPAN_DB_POSTGRESQL));
	sqlite3_close(s);
	pglab_close(&p);
}

/* A SQLite lab names its file, with no server. */
static void a_sqlite_lab_names_its_file(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	struct snapshot_meta meta = { .settings = { .users = 20, .rtt_us = 200 }, .has_settings = true,
	                              .anchor = clock_anchor(), .has_database = true,
	                              .database = { .engine = LABDB_SQLITE, .system = "sqlite", .name_space = "lab.db",
	                                            .server_version = "3.40.1", .display = "SQLite 3.40.1 file lab.db" } };
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "sqlite.json");
	assert_true(snapshot_write(path, SNAPSHOT_NATIVE, lab.store, lab.names, &meta, &fcfg, &err));
	char *text = read_all(path);
	assert_null(strstr(text, "\"system\":\"postgresql\""));
	assert_null(strstr(text, "server_address"));
	assert_non_null(strstr(text, "\"network\":\"simulated\""));
	free(text);
	struct snapshot snap;
	assert_true(snapshot_read(path, &snap, &err));
	assert_true(snap.meta.has_database);
	assert_int_equal(snap.meta.database.engine, LABDB_SQLITE);
	assert_string_equal(snap.meta.database.name_space, "lab.db");
	struct store *back = snapshot_store(&snap);
	assert_int_equal(analysis_attribution(store_trace(back, 0)).kind, ATTRIBUTION_LAB);
	store_destroy(back);
	snapshot_free(&snap);
	lab_close(&lab);
}

/* The forwarder's lab spans are the export's, and its resource names the
 * database as the export's does. */
struct membuf {
	char *text;
	size_t len, cap;
};

static void mem_sink(void *ctx, const char *s, size_t len)
{
	struct membuf *b = ctx;
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->text = realloc(b->text, b->cap);
	}
	memcpy(b->text + b->len, s, len);
	b->len += len;
	b->text[b->len] = '\0';
}

static void forwarded_spans_equal_the_export(void **state)
{
	(void)state;
	struct pglab p;
	pglab_open(&p);
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "fwd.otlp.json");
	assert_true(snapshot_write(path, SNAPSHOT_OTLP, p.store, p.lab.names, &p.meta, &fcfg, &err));
	char *text = read_all(path);
	cJSON *doc = cJSON_Parse(text);
	free(text);
	const cJSON *exported =
	    cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "resourceSpans"), 0),
	                                                               "scopeSpans"),
	                                           0),
	                        "spans")
	        ->child;
	size_t compared = 0;
	for (size_t i = 0; i < store_trace_count(p.store); i++) {
		const struct trace *t = store_trace(p.store, i);
		struct otel_set *set = otel_set_create();
		uint32_t scope = otel_lab_scope(set, "obslab");
		assert_int_equal(otel_lab_add_trace(set, scope, t, p.lab.names, &p.anchor), t->nspans);
		assert_string_equal(otel_attrs_string(set, set->resources[0].attrs, ATTR_KEY_DB_DISPLAY), lab_pg.display);
		for (size_t k = 0; k < set->nspans; k++, exported = exported->next) {
			assert_non_null(exported);
			struct membuf b = { 0 };
			struct otel_json_out o = { mem_sink, &b };
			otel_json_span(&o, set, &set->spans[k]);
			cJSON *mine = cJSON_Parse(b.text);
			if (!cJSON_Compare(mine, exported, true))
				fail_msg("converted %s differs from the export", b.text);
			cJSON_Delete(mine);
			free(b.text);
			compared++;
		}
		otel_set_destroy(set);
	}
	assert_true(compared > 20);
	cJSON_Delete(doc);
	pglab_close(&p);
}

/* Hostile database fields in a native file: refused in one line each. */
static void hostile_database_fields_are_refused(void **state)
{
	(void)state;
	struct pglab p;
	pglab_open(&p);
	char path[300];
	struct obslab_error err;
	fixture_path(path, sizeof path, "h.json");
	assert_true(snapshot_write(path, SNAPSHOT_NATIVE, p.store, p.lab.names, &p.meta, &fcfg, &err));
	char *good = read_all(path);
	static const struct {
		const char *from, *to, *says;
	} cases[] = {
		{ "\"system\":\"postgresql\",\"namespace\"", "\"system\":\"oracle\",\"namespace\"", "settings.database.system" },
		{ "\"server_port\":5433", "\"server_port\":70000", "settings.database.server_port" },
		{ "\"server_port\":5433", "\"server_port\":-1", "settings.database.server_port" },
		{ "\"namespace\":\"lab\"", "\"namespace\":7", "settings.database.namespace" },
		{ "\"system\":\"postgresql\",\"namespace\"", "\"namespace\"", "settings.database needs \"system\"" },
		{ ",\"system\":\"postgresql\"}", ",\"system\":\"mysql\"}", "db.system must be" },
		{ ",\"system\":\"postgresql\"}", ",\"system\":null}", "db.system must be" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = replace_all(strdup(good), cases[i].from, cases[i].to);
		assert_true(strcmp(text, good) != 0);
		struct snapshot snap;
		if (snapshot_parse(text, strlen(text), &snap, &err))
			fail_msg("case %zu read", i);
		if (!strstr(err.msg, cases[i].says) || strchr(err.msg, '\n'))
			fail_msg("case %zu: %s", i, err.msg);
		free(text);
	}
	char *dbnull = replace_all(strdup(good), "\"database\":{", "\"database\":[],\"x\":{");
	struct snapshot snap;
	assert_false(snapshot_parse(dbnull, strlen(dbnull), &snap, &err));
	assert_non_null(strstr(err.msg, "settings.database must be an object"));
	free(dbnull);
	free(good);
	pglab_close(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(native_reads_back_as_postgresql),
		cmocka_unit_test(otlp_reads_back_as_postgresql),
		cmocka_unit_test(chrome_and_sqlite_name_the_database),
		cmocka_unit_test(a_sqlite_lab_names_its_file),
		cmocka_unit_test(forwarded_spans_equal_the_export),
		cmocka_unit_test(hostile_database_fields_are_refused),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return rc;
}
