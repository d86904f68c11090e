/* findings, and the findings the explorer shows: batching (IN (...) chunks)
 * is never N+1, on crafted traces at the rule's edges and on the lab's own
 * eager requests; a finding names the settings of its trace; a trace that
 * ran under other settings than the current ones is not logged as news and
 * is marked (the model, on a test source over the fixture's lab). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/analysis.h"
#include "obslab/findings.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "ui/keys.h"
#include "ui/model.h"

static const struct findings_config defaults = { .n1_min_count = FINDINGS_DEFAULT_N1_MIN_COUNT, .n1_min_ns = 0 };

/* ---- foreign traces ------------------------------------------------------------ */

static bool has_n_plus_one(const struct trace *t, struct strtab *names);

#define PG_LOOP "SELECT * FROM orders WHERE user_id = $1"

/* A Node service's request: GET /users, its users query (the source),
 * then `count` sequential PostgreSQL queries, one a user, 100 ns apart,
 * each taking 50 + 10 k ns. */
static void make_foreign(struct foreign *f, struct strtab *names, const char *loop_sql, uint32_t count)
{
	foreign_init(f, names);
	uint32_t api = foreign_resource(f, "api");
	foreign_span(f, api, 1, 0, SPAN_KIND_SERVER, "GET /users", NULL, 0, 100 * (int64_t)(count + 2));
	foreign_span(f, api, 2, 1, SPAN_KIND_CLIENT, "SELECT shop.users", "SELECT id FROM users", 10, 90);
	for (uint32_t k = 0; k < count; k++) {
		int64_t start = 100 * (int64_t)(k + 1);
		foreign_span(f, api, 3 + k, 1, SPAN_KIND_CLIENT, "SELECT shop.orders", loop_sql, start,
		             start + 50 + 10 * (int64_t)k);
	}
}

static void n_plus_one_on_foreign_database_spans(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *fo = test_malloc(sizeof *fo);
	make_foreign(fo, names, PG_LOOP, 6);
	struct findings f;
	findings_init(&f);
	findings_detect(&f, &fo->trace, &defaults, names);
	assert_int_equal(f.n, 1);
	const struct finding *x = &f.item[0];
	assert_int_equal(x->kind, FINDING_N_PLUS_ONE);
	assert_true(x->foreign);
	assert_int_equal(x->count, 6);
	assert_string_equal(strtab_get(names, x->fingerprint), PG_LOOP);
	assert_int_equal(x->source, 1);
	/* cost: the file's own times, 50 + 60 + ... + 100 */
	assert_int_equal(x->cost_ns, 450);
	assert_int_equal(x->median_ns, 70); /* the lower middle of six */
	assert_int_equal(x->saving_ns, 5 * 70);
	assert_string_equal(finding_saving_basis(x), "estimated: N-1 round trips of the median call, from the file's times");
	/* no lab settings: never old news */
	assert_true(f.settings.foreign);
	assert_false(f.settings.has_rtt);
	char text[128];
	findings_settings_text(&f.settings, text, sizeof text);
	assert_string_equal(text, "its own service's settings, not the lab's");
	struct findings_settings lab = { .strategy = 1, .users = 1000, .has_rtt = true, .rtt_us = 200 };
	assert_false(findings_settings_differ(&f.settings, &lab, text, sizeof text));

	/* the full-scan counter: only obslab's own export carries it (the reader
	 * sets it from obslab.db.fullscan_steps); where the record has it, the
	 * loop's full scan is found, with its evidence and the index to add */
	for (size_t i = 2; i < fo->trace.nspans; i++)
		fo->spans[i].u.foreign.fullscan_steps = 1000;
	findings_detect(&f, &fo->trace, &defaults, names);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.item[0].kind, FINDING_N_PLUS_ONE);
	const struct finding *scan = findings_for_fingerprint(&f, FINDING_FULL_SCAN_LOOP, f.item[0].fingerprint);
	assert_non_null(scan);
	assert_int_equal(scan->count, 6);
	assert_int_equal(scan->scanned_rows, 6000);
	assert_int_equal(scan->saving_ns, 450); /* no simulated wait in the file: all of it */
	assert_true(scan->foreign);
	assert_ptr_equal(findings_for_span(&f, FINDING_FULL_SCAN_LOOP, 2), scan);
	findings_free(&f);
	foreign_free(fo);
	test_free(fo);
	strtab_destroy(names);
}

static void foreign_rows_count_only_when_known(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *fo = test_malloc(sizeof *fo);
	/* chunks of parents (ANY($1)) after a source that returned 100 rows:
	 * batching, but only if the file said so */
	make_foreign(fo, names, "SELECT * FROM orders WHERE user_id = ANY($1)", 6);
	fo->spans[1].u.foreign.rows = 100; /* not known: it counts for nothing */
	assert_true(has_n_plus_one(&fo->trace, names));
	fo->spans[1].u.foreign.known = SPAN_KNOWN_ROWS;
	assert_false(has_n_plus_one(&fo->trace, names));
	foreign_free(fo);

	/* a loop of one query a user stays an N+1 when every row count is known */
	make_foreign(fo, names, PG_LOOP, 6);
	for (size_t i = 1; i < fo->trace.nspans; i++) {
		fo->spans[i].u.foreign.rows = i == 1 ? 100 : 1;
		fo->spans[i].u.foreign.known = SPAN_KNOWN_ROWS;
	}
	assert_true(has_n_plus_one(&fo->trace, names));
	foreign_free(fo);
	test_free(fo);
	strtab_destroy(names);
}

/* A loop of two queries a user (orders, addresses, orders, ...), ten users,
 * each 100 ns: both fingerprints are N+1s. With wrap, each query sits in
 * its own span (a per-user function). Without the users query first, the
 * repetition alone is found. */
static void make_loop(struct foreign *f, struct strtab *names, bool wrap, bool source)
{
	foreign_init(f, names);
	uint32_t api = foreign_resource(f, "api");
	foreign_span(f, api, 1, 0, SPAN_KIND_SERVER, "GET /users", NULL, 0, 10000);
	if (source)
		foreign_span(f, api, 2, 1, SPAN_KIND_CLIENT, "SELECT users", "SELECT id FROM users", 10, 90);
	for (uint32_t k = 0; k < 20; k++) {
		int64_t start = 200 * (int64_t)(k + 1);
		uint64_t id = 100 + k, parent = 1;
		if (wrap) {
			foreign_span(f, api, 500 + k, 1, SPAN_KIND_INTERNAL, "load", NULL, start - 1, start + 101);
			parent = 500 + k;
		}
		foreign_span(f, api, id, parent, SPAN_KIND_CLIENT, "q",
		             k % 2 ? "SELECT * FROM addresses WHERE user_id = $1" : "SELECT * FROM orders WHERE user_id = $1",
		             start, start + 100);
	}
}

static void n_plus_one_interleaved_wrapped_or_without_source(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *fo = test_malloc(sizeof *fo);
	for (int v = 0; v < 3; v++) {
		make_loop(fo, names, v == 1, v != 2);
		struct findings f;
		findings_init(&f);
		findings_detect(&f, &fo->trace, &defaults, names);
		assert_int_equal(f.n, 2);
		for (size_t i = 0; i < 2; i++) {
			assert_int_equal(f.item[i].kind, FINDING_N_PLUS_ONE);
			assert_int_equal(f.item[i].count, 10);
			assert_int_equal(f.item[i].cost_ns, 1000);
			assert_int_equal(f.item[i].saving_ns, 900);
		}
		findings_free(&f);
		foreign_free(fo);
	}
	test_free(fo);
	strtab_destroy(names);
}

/* Twenty handlers, each looping twice over one query with no other query
 * before it: twenty findings (no cap), none with a source query. */
static void every_loop_is_a_finding(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *fo = test_malloc(sizeof *fo);
	foreign_init(fo, names);
	uint32_t api = foreign_resource(fo, "api");
	foreign_span(fo, api, 1, 0, SPAN_KIND_SERVER, "GET /all", NULL, 0, 100000);
	for (uint32_t g = 0; g < 20; g++) {
		int64_t start = 1000 * (int64_t)(g + 1);
		foreign_span(fo, api, 100 + g, 1, SPAN_KIND_INTERNAL, "handler", NULL, start, start + 900);
		for (uint32_t k = 0; k < 2; k++)
			foreign_span(fo, api, 200 + 2 * g + k, 100 + g, SPAN_KIND_CLIENT, "q", PG_LOOP, start + 10 + 400 * k,
			             start + 400 + 400 * k);
	}
	struct findings f;
	findings_init(&f);
	const struct findings_config two = { .n1_min_count = 2, .n1_min_ns = 0 };
	findings_detect(&f, &fo->trace, &two, names);
	assert_int_equal(f.n, 20);
	for (size_t i = 0; i < f.n; i++) {
		assert_int_equal(f.item[i].kind, FINDING_N_PLUS_ONE);
		assert_int_equal(f.item[i].count, 2);
		assert_int_equal(f.item[i].source, SPANTREE_NONE); /* no query before the loop */
	}
	/* every loop's spans lead to their own finding */
	for (size_t i = 0; i < fo->trace.nspans; i++)
		if (fo->spans[i].flags & SPAN_F_DB)
			assert_non_null(findings_for_span(&f, FINDING_N_PLUS_ONE, (uint32_t)i));
	findings_free(&f);
	foreign_free(fo);
	test_free(fo);
	strtab_destroy(names);
}

/* An ORM's span with db.* around its driver's span with the same (here once
 * through a pool span between them): each statement counted once, on the
 * outermost span; the N+1 is found on those and query statistics agree. */
static void nested_database_spans_count_once(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *fo = test_malloc(sizeof *fo);
	foreign_init(fo, names);
	uint32_t api = foreign_resource(fo, "api");
	foreign_span(fo, api, 1, 0, SPAN_KIND_SERVER, "GET /nested", NULL, 0, 10000);
	for (uint32_t k = 0; k < 6; k++) {
		int64_t start = 1000 * (int64_t)(k + 1);
		uint64_t orm = 100 + k, under = orm;
		foreign_span(fo, api, orm, 1, SPAN_KIND_INTERNAL, "prisma:client:operation", PG_LOOP, start, start + 100);
		if (k == 3) { /* a span without db.* between them */
			foreign_span(fo, api, 300, orm, SPAN_KIND_INTERNAL, "pool.acquire", NULL, start + 5, start + 90);
			under = 300;
		}
		foreign_span(fo, api, 200 + k, under, SPAN_KIND_CLIENT, "SELECT orders", PG_LOOP, start + 10, start + 60);
	}
	bool *nested = analysis_db_nested(&fo->trace);
	assert_non_null(nested);
	for (size_t i = 0; i < fo->trace.nspans; i++)
		assert_int_equal(nested[i], fo->spans[i].span_id >= 200 && fo->spans[i].span_id < 300);
	free(nested);

	struct query_stat q[4];
	assert_int_equal(analysis_query_stats(&fo->trace, q, 4), 1);
	assert_int_equal(q[0].calls, 6);
	assert_int_equal(q[0].total_ns, 600);

	struct findings f;
	findings_init(&f);
	findings_detect(&f, &fo->trace, &defaults, names);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.item[0].kind, FINDING_N_PLUS_ONE);
	assert_int_equal(f.item[0].count, 6);
	assert_int_equal(f.item[0].cost_ns, 600);
	for (uint32_t k = 0; k < 6; k++) /* the outer spans are the evidence */
		assert_true(fo->spans[f.evidence[f.item[0].evidence + k]].span_id < 200);
	findings_free(&f);
	foreign_free(fo);

	/* without nesting: nothing to leave out */
	make_foreign(fo, names, PG_LOOP, 6);
	assert_null(analysis_db_nested(&fo->trace));
	foreign_free(fo);
	test_free(fo);
	strtab_destroy(names);
}

/* ---- the batching rule on crafted traces ------------------------------------ */

/* A root, a source query returning `parents` rows, then `count` sequential
 * queries of one fingerprint returning `rows` rows each. */
struct made {
	struct span_record spans[40];
	struct trace trace;
	struct strtab *names;
};

static const struct trace *make_sql(struct made *m, const char *sql, uint32_t parents, uint32_t count,
                                    uint32_t rows)
{
	assert_true(count + 2 <= 40);
	memset(m->spans, 0, sizeof m->spans);
	uint32_t source = strtab_intern_cstr(m->names, "SELECT id FROM posts");
	uint32_t repeated = strtab_intern_cstr(m->names, sql);
	struct span_record *root = &m->spans[0];
	root->span_id = 1;
	root->start_ns = 1000;
	root->end_ns = 1000 + 100 * (int64_t)(count + 2);
	root->kind = SPAN_KIND_SERVER;
	for (uint32_t i = 1; i < count + 2; i++) {
		struct span_record *q = &m->spans[i];
		q->span_id = 1 + i;
		q->parent_id = 1;
		q->start_ns = 1000 + 100 * (int64_t)i;
		q->end_ns = q->start_ns + 90;
		q->kind = SPAN_KIND_CLIENT;
		q->flags = SPAN_F_DB;
		q->name = i == 1 ? source : repeated;
		q->u.db.rows = i == 1 ? parents : rows;
	}
	m->trace = (struct trace){ .seq = 1, .spans = m->spans, .nspans = count + 2 };
	return &m->trace;
}

#define CHUNK_SQL "SELECT * FROM comments WHERE post_id IN (?)"
#define LOOP_SQL "SELECT * FROM comments WHERE post_id = ?"

static const struct trace *make(struct made *m, uint32_t parents, uint32_t count, uint32_t rows)
{
	return make_sql(m, CHUNK_SQL, parents, count, rows);
}

static bool has_n_plus_one(const struct trace *t, struct strtab *names)
{
	struct findings f;
	findings_init(&f);
	findings_detect(&f, t, &defaults, names);
	bool found = false;
	for (size_t i = 0; i < f.n; i++)
		found |= f.item[i].kind == FINDING_N_PLUS_ONE;
	findings_free(&f);
	return found;
}

static void batching_is_told_apart_by_the_rows(void **state)
{
	(void)state;
	struct made *m = test_malloc(sizeof *m);
	m->names = strtab_create();
	/* 10 chunks of a 1000-row source, 150 rows each: batching */
	assert_false(has_n_plus_one(make(m, 1000, 10, 150), m->names));
	/* at the edge: 2 parents and 2 rows a repetition is batching ... */
	assert_false(has_n_plus_one(make(m, 20, 10, 2), m->names));
	/* ... one parent fewer, or one row fewer in all, is a loop */
	assert_true(has_n_plus_one(make(m, 19, 10, 2), m->names));
	struct made *less = m;
	make_sql(less, LOOP_SQL, 20, 10, 2);
	less->spans[5].u.db.rows = 1; /* 19 rows from 10 repetitions, no list */
	assert_true(has_n_plus_one(&less->trace, m->names));
	/* one row per parent: the lab's naive loop */
	assert_true(has_n_plus_one(make(m, 10, 10, 1), m->names));
	assert_true(has_n_plus_one(make_sql(m, LOOP_SQL, 10, 10, 1), m->names));
	/* many rows each, one call per parent: a loop over a to-many relation */
	assert_true(has_n_plus_one(make(m, 10, 10, 40), m->names));
	/* rows not recorded (other tools' files): judged as before, a loop */
	assert_true(has_n_plus_one(make(m, 0, 10, 0), m->names));
	assert_true(has_n_plus_one(make_sql(m, LOOP_SQL, 1000, 10, 0), m->names));
	strtab_destroy(m->names);
	test_free(m);
}

/* Eager's chunks over parents that have no rows of their own (the orders
 * emptied): the source served 1000 parents to 10 IN (?) queries that
 * returned nothing. Many parents a query is batching, whatever it returned;
 * the same rows from "= ?" (one parent a query) are a loop. */
static void chunks_returning_no_rows_are_batching(void **state)
{
	(void)state;
	struct made *m = test_malloc(sizeof *m);
	m->names = strtab_create();
	assert_false(has_n_plus_one(make(m, 1000, 10, 0), m->names));
	assert_false(has_n_plus_one(make(m, 20, 10, 1), m->names));
	assert_false(has_n_plus_one(make_sql(m, "SELECT * FROM comments WHERE post_id = ANY(?)", 1000, 10, 0),
	                            m->names));
	/* a list, but fewer than 2 parents a query: a loop */
	assert_true(has_n_plus_one(make(m, 19, 10, 0), m->names));
	/* one parent a query, whatever it returned: a loop */
	assert_true(has_n_plus_one(make_sql(m, LOOP_SQL, 1000, 10, 0), m->names));
	assert_true(has_n_plus_one(make_sql(m, LOOP_SQL, 1000, 10, 1), m->names));
	/* IN over a subquery is no list of parents */
	assert_true(has_n_plus_one(
	        make_sql(m, "SELECT * FROM comments WHERE post_id IN (SELECT id FROM posts WHERE id = ?)", 1000, 10, 0),
	        m->names));
	strtab_destroy(m->names);
	test_free(m);
}

/* The lab's eager requests at every size the explorer offers below 100000
 * (the command-line test runs that one): never N+1; without the index each
 * chunk's full scan is still found; naive's loop still is. */
static void eager_is_never_n_plus_one(void **state)
{
	(void)state;
	static const uint32_t sizes[] = { 20, 1000, 10000 };
	struct findings f;
	findings_init(&f);
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct lab lab;
		lab_open(&lab, ":memory:", sizes[i], false);
		lab_request(&lab, STRATEGY_EAGER);
		findings_detect(&f, store_latest(lab.store), &defaults, lab.names);
		bool scan = false;
		for (size_t k = 0; k < f.n; k++) {
			if (f.item[k].kind == FINDING_N_PLUS_ONE)
				fail_msg("eager at %u users: an N+1 finding", sizes[i]);
			scan |= f.item[k].kind == FINDING_FULL_SCAN_LOOP;
		}
		assert_true(scan == (sizes[i] > 500)); /* more than one chunk, each scanning */
		assert_int_equal(f.settings.strategy, STRATEGY_EAGER);
		assert_int_equal(f.settings.users, sizes[i]);
		assert_false(f.settings.index);
		if (sizes[i] == 1000) {
			lab_request(&lab, STRATEGY_NAIVE);
			findings_detect(&f, store_latest(lab.store), &defaults, lab.names);
			assert_non_null(findings_for_fingerprint(&f, FINDING_N_PLUS_ONE,
			                                         f.item[0].fingerprint));
			assert_int_equal(f.item[0].kind, FINDING_N_PLUS_ONE);
			assert_int_equal(f.item[0].count, 1000);
		}
		lab_close(&lab);
	}
	findings_free(&f);
}

/* ---- the settings a trace ran under ----------------------------------------------- */

static void settings_as_the_trace_records_them(void **state)
{
	(void)state;
	struct made *m = test_malloc(sizeof *m);
	m->names = strtab_create();
	make(m, 100, 5, 1);
	m->spans[0].strategy = STRATEGY_NAIVE;
	m->spans[0].u.root.users = 1000;
	m->spans[0].flags |= SPAN_F_INDEX;
	for (size_t i = 1; i < m->trace.nspans; i++)
		m->spans[i].u.db.net_wait_ns = 200000 + 37 * (uint32_t)i; /* a little over 200 us each */
	struct findings_settings ran, now;
	findings_settings_of(&m->trace, &ran);
	assert_int_equal(ran.strategy, STRATEGY_NAIVE);
	assert_int_equal(ran.users, 1000);
	assert_true(ran.index);
	assert_true(ran.has_rtt);
	assert_int_equal(ran.rtt_us, 200);
	char text[128];
	findings_settings_text(&ran, text, sizeof text);
	assert_string_equal(text, "naive, 1000 users, index on, RTT 200 us");

	now = ran;
	assert_false(findings_settings_differ(&ran, &now, text, sizeof text));
	assert_string_equal(text, "");
	now.index = false;
	assert_true(findings_settings_differ(&ran, &now, text, sizeof text));
	assert_string_equal(text, "index on");
	now.strategy = STRATEGY_EAGER;
	now.users = 100;
	now.rtt_us = 0;
	assert_true(findings_settings_differ(&ran, &now, text, sizeof text));
	assert_string_equal(text, "naive, 1000 users, index on, RTT 200 us");
	now = ran;
	now.rtt_us = 500; /* waited less than the RTT asked: another RTT */
	assert_true(findings_settings_differ(&ran, &now, NULL, 0));
	now.rtt_us = 50; /* waited far more */
	assert_true(findings_settings_differ(&ran, &now, NULL, 0));
	now.has_rtt = false; /* not compared */
	assert_false(findings_settings_differ(&ran, &now, NULL, 0));

	/* no query: no RTT known, and none claimed */
	m->trace.nspans = 1;
	findings_settings_of(&m->trace, &ran);
	assert_false(ran.has_rtt);
	findings_settings_text(&ran, text, sizeof text);
	assert_string_equal(text, "naive, 1000 users, index on");
	findings_settings_of(NULL, &ran);
	assert_int_equal(ran.users, 0);
	strtab_destroy(m->names);
	test_free(m);
}

/* ---- the explorer's model: stale findings ------------------------------------ */

static void fake_drain(struct source *src, const struct source_sink *sink)
{
	(void)src;
	(void)sink;
}

static void fake_stop(struct source *src)
{
	(void)src;
}

static void fake_status(const struct source *src, const struct model *m, char *buf, size_t cap)
{
	(void)src;
	(void)m;
	snprintf(buf, cap, "test source");
}

static void fake_configure(struct source *src, enum source_setting what, const struct workload_config *cfg)
{
	(void)src;
	(void)what;
	(void)cfg;
}

static const struct source_ops settable_ops = {
	.name = "test-settable",
	.controls = CONTROL_SETTINGS,
	.drain = fake_drain,
	.stop = fake_stop,
	.status = fake_status,
	.configure = fake_configure,
};

static const struct source_ops read_only_ops = {
	.name = "test",
	.drain = fake_drain,
	.stop = fake_stop,
	.status = fake_status,
};

struct bench {
	struct lab lab;
	struct source src;
	struct model m;
};

/* Naive at 20 users, RTT 0, index off, as the model's settings say too. */
static struct bench *bench_open(const struct source_ops *ops)
{
	struct bench *b = calloc(1, sizeof *b);
	assert_non_null(b);
	lab_open(&b->lab, ":memory:", 20, false);
	b->src = (struct source){ .ops = ops, .store = b->lab.store, .names = b->lab.names };
	struct source_start start = { .settings = { .strategy = STRATEGY_NAIVE, .users = 20 } };
	model_init(&b->m, &b->src, &start, &defaults, ".");
	return b;
}

static void bench_close(struct bench *b)
{
	model_free(&b->m);
	lab_close(&b->lab);
	free(b);
}

/* Log lines from index `from` on that contain `text`. */
static size_t lines_with(const struct model *m, size_t from, const char *text)
{
	size_t n = 0;
	for (size_t i = from; i < logbook_count(&m->logbook); i++)
		n += strstr(logbook_get(&m->logbook, i)->text, text) != NULL;
	return n;
}

static void stale_findings_are_not_news(void **state)
{
	(void)state;
	struct bench *b = bench_open(&settable_ops);
	struct model *m = &b->m;
	char why[128];

	/* a trace under the current settings: its findings logged, with them */
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m);
	assert_int_equal(lines_with(m, 0, "finding: N+1, 20 x SELECT orders"), 1);
	assert_int_equal(lines_with(m, 0, "finding: full scan in a loop"), 1);
	assert_int_equal(lines_with(m, 0, "(naive, 20 users, index off, RTT 0 us)"), 2);
	assert_false(model_trace_stale(m, m->shown, &m->findings.settings, why, sizeof why));

	/* i: a trace that still ran without the index arrives after it */
	model_toggle_index(m);
	assert_true(model_take_changes(m) & MODEL_TRACE); /* the shown trace is marked at once */
	assert_true(model_trace_stale(m, m->shown, &m->findings.settings, why, sizeof why));
	assert_string_equal(why, "ran with index off");
	size_t after = logbook_count(&m->logbook);
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m);
	assert_int_equal(lines_with(m, after, "finding:"), 0);
	assert_true(model_trace_stale(m, m->shown, &m->findings.settings, why, sizeof why));
	assert_string_equal(why, "ran with index off");

	/* the index really on: the N+1 is news again, named with its settings */
	struct obslab_error err;
	assert_int_equal(db_set_index(b->lab.db, true, &err), DB_OK);
	request_ctx_set_index(b->lab.ctx, true);
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m);
	assert_int_equal(lines_with(m, after, "finding: N+1, 20 x SELECT orders"), 1);
	assert_int_equal(lines_with(m, after, "(naive, 20 users, index on, RTT 0 us)"), 1);
	assert_int_equal(lines_with(m, after, "finding: full scan"), 0);
	assert_false(model_trace_stale(m, m->shown, &m->findings.settings, why, sizeof why));

	/* a request begun before a change, though the settings came back to
	 * what it recorded (i twice while it ran): old news too */
	struct obslab_error rerr;
	assert_int_equal(request_run(b->lab.ctx, STRATEGY_NAIVE, &b->lab.result, &rerr), DB_OK);
	model_toggle_index(m);
	model_toggle_index(m);
	after = logbook_count(&m->logbook);
	store_drain(b->lab.store, b->lab.spans);
	model_tick(m);
	assert_int_equal(lines_with(m, after, "finding:"), 0);
	assert_true(model_trace_stale(m, m->shown, &m->findings.settings, why, sizeof why));
	assert_string_equal(why, "ran while the settings changed");
	lab_request(&b->lab, STRATEGY_NAIVE);
	model_tick(m);
	assert_int_equal(lines_with(m, after, "finding: N+1"), 1);
	bench_close(b);
}

/* A file's traces have no current settings to be stale against. */
static void a_source_without_settings_marks_nothing(void **state)
{
	(void)state;
	struct bench *b = bench_open(&read_only_ops);
	struct model *m = &b->m;
	lab_request(&b->lab, STRATEGY_EAGER);
	model_tick(m);
	char why[64] = "x";
	m->settings.index = true; /* whatever the model holds */
	assert_false(model_trace_stale(m, m->shown, &m->findings.settings, why, sizeof why));
	assert_string_equal(why, "");
	bench_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batching_is_told_apart_by_the_rows),
		cmocka_unit_test(n_plus_one_on_foreign_database_spans),
		cmocka_unit_test(foreign_rows_count_only_when_known),
		cmocka_unit_test(n_plus_one_interleaved_wrapped_or_without_source),
		cmocka_unit_test(nested_database_spans_count_once),
		cmocka_unit_test(every_loop_is_a_finding),
		cmocka_unit_test(chunks_returning_no_rows_are_batching),
		cmocka_unit_test(eager_is_never_n_plus_one),
		cmocka_unit_test(settings_as_the_trace_records_them),
		cmocka_unit_test(stale_findings_are_not_news),
		cmocka_unit_test(a_source_without_settings_marks_nothing),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return rc;
}
