/* Received spans into live traces (intake.h): spans of one trace joining
 * over batches, a child before its parent, the quiet close seen once by
 * the observer, a late span reopening its trace, an evicted trace's late
 * span starting another, memory bounded by the store's limits (traces,
 * spans, the sets' bytes) and one trace's by its cap, exact duplicates
 * dropped and counted (other content with the same id kept and marked),
 * and the N+1 of PostgreSQL-style database spans found as in a file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/findings.h"
#include "obslab/intake.h"
#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/otlp.h"

#define MS 1000000LL

struct world {
	struct strtab *names;
	struct store *store;
	struct intake *in;
	unsigned observed;
	uint64_t observed_seq;
};

static void observe(void *ctx, const struct trace *t)
{
	struct world *w = ctx;
	w->observed++;
	w->observed_seq = t->seq;
	assert_false(t->open);
}

static struct world *world_new_bytes(size_t max_traces, size_t max_spans, size_t max_bytes, int64_t quiet_ns)
{
	struct world *w = calloc(1, sizeof *w);
	w->names = strtab_create();
	w->store = store_create((struct store_limits){ max_traces, max_spans, max_bytes });
	store_set_observer(w->store, observe, w);
	w->in = intake_create(w->store, w->names, quiet_ns);
	return w;
}

static struct world *world_new(size_t max_traces, size_t max_spans, int64_t quiet_ns)
{
	return world_new_bytes(max_traces, max_spans, 0, quiet_ns);
}

static void world_free(struct world *w)
{
	intake_destroy(w->in);
	store_destroy(w->store);
	strtab_destroy(w->names);
	free(w);
}

static void trace_id(uint32_t trace, uint8_t id[SPAN_TRACE_ID_LEN])
{
	memset(id, 0xab, SPAN_TRACE_ID_LEN);
	memcpy(id + 12, &trace, sizeof trace);
}

/* A batch's set: one resource (service.name) and one scope. */
static struct otel_set *batch_set(const char *service)
{
	struct otel_set *set = otel_set_create();
	size_t mark = otel_kv_mark(set);
	struct otel_value v = { .type = OTEL_VALUE_STRING, .u.s = otel_text(set, service, strlen(service)) };
	otel_kv_push(set, otel_text(set, "service.name", 12), v);
	struct otel_resource r = { 0 };
	r.attrs.first = otel_kv_commit(set, mark, &r.attrs.count);
	otel_add_resource(set, &r);
	otel_add_scope(set, &(struct otel_scope){ .resource = 0, .name = otel_text(set, "test", 4) });
	return set;
}

static void kv_string(struct otel_set *set, const char *key, const char *value)
{
	struct otel_value v = { .type = OTEL_VALUE_STRING, .u.s = otel_text(set, value, strlen(value)) };
	otel_kv_push(set, otel_text(set, key, strlen(key)), v);
}

/* A span of trace; sql: a PostgreSQL statement (a database span) or NULL. */
static void span(struct otel_set *set, uint32_t trace, uint64_t id, uint64_t parent, uint64_t start_ms,
                 uint64_t end_ms, const char *name, const char *sql)
{
	struct otel_span sp = { .span_id = id, .parent_span_id = parent, .kind = sql ? 3 : parent ? 1 : 2,
		                .start_unix_ns = start_ms * MS, .end_unix_ns = end_ms * MS };
	trace_id(trace, sp.trace_id);
	sp.name = otel_text(set, name, strlen(name));
	size_t mark = otel_kv_mark(set);
	if (sql) {
		kv_string(set, "db.system.name", "postgresql");
		kv_string(set, "db.query.text", sql);
	}
	sp.attrs.first = otel_kv_commit(set, mark, &sp.attrs.count);
	otel_add_span(set, &sp);
}

static void send(struct world *w, struct otel_set *set, int64_t now)
{
	struct otlp_batch b = { .set = set, .nspans = set->nspans, .received_ns = now };
	intake_add(w->in, &b, now);
	otel_set_destroy(set); /* the intake keeps copies */
}

static const struct trace *received(struct world *w, uint32_t trace)
{
	uint8_t id[SPAN_TRACE_ID_LEN];
	trace_id(trace, id);
	return store_find_received(w->store, id);
}

static const char *name_of(struct world *w, const struct span_record *r)
{
	return strtab_get(w->names, r->name);
}

static size_t placeholders(const struct trace *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->nspans; i++)
		n += (t->spans[i].flags & SPAN_F_PLACEHOLDER) != 0;
	return n;
}

static void spans_of_one_trace_join_over_batches(void **state)
{
	(void)state;
	struct world *w = world_new(16, 1024, 1000 * MS);
	struct otel_set *b = batch_set("checkout");
	span(b, 1, 1, 0, 100, 200, "GET /cart", NULL);
	span(b, 1, 2, 1, 110, 120, "load", NULL);
	send(w, b, 0);
	assert_true(intake_tick(w->in, 0));
	const struct trace *t = received(w, 1);
	assert_non_null(t);
	assert_true(t->open);
	assert_int_equal(t->nspans, 2);
	uint64_t seq = t->seq;

	b = batch_set("checkout");
	span(b, 1, 3, 1, 130, 150, "render", NULL);
	send(w, b, 10 * MS);
	assert_true(intake_tick(w->in, 10 * MS));
	t = received(w, 1);
	assert_int_equal(t->seq, seq);
	assert_int_equal(t->nspans, 3);
	assert_int_equal(store_trace_count(w->store), 1);
	assert_string_equal(name_of(w, &t->spans[0]), "GET /cart");
	assert_string_equal(otel_service_name(t->otel, otel_span_of(t->otel, &t->spans[2])), "checkout");
	/* The resource and scope are kept once for the trace. */
	assert_int_equal(t->otel->nresources, 1);
	assert_int_equal(t->otel->nscopes, 1);
	assert_false(intake_tick(w->in, 20 * MS)); /* nothing changed */
	struct intake_stats st;
	intake_get_stats(w->in, &st);
	assert_int_equal(st.spans, 3);
	assert_int_equal(st.traces, 1);
	assert_int_equal(st.open, 1);
	assert_int_equal(st.late_spans, 0);
	world_free(w);
}

static void child_before_parent(void **state)
{
	(void)state;
	struct world *w = world_new(16, 1024, 1000 * MS);
	struct otel_set *b = batch_set("api");
	span(b, 7, 2, 1, 110, 120, "child", NULL);
	send(w, b, 0);
	intake_tick(w->in, 0);
	const struct trace *t = received(w, 7);
	assert_int_equal(t->nspans, 3); /* the child under "missing parent" under "missing root" */
	assert_int_equal(placeholders(t), 2);
	assert_string_equal(name_of(w, &t->spans[0]), "missing root");
	assert_true(t->otel->spans[0].marks & OTEL_MARK_ORPHAN);

	b = batch_set("api");
	span(b, 7, 1, 0, 100, 200, "GET /", NULL);
	send(w, b, 5 * MS);
	intake_tick(w->in, 5 * MS);
	t = received(w, 7);
	assert_int_equal(t->nspans, 2);
	assert_int_equal(placeholders(t), 0);
	assert_string_equal(name_of(w, &t->spans[0]), "GET /");
	assert_int_equal(t->spans[1].parent_id, 1);
	assert_false(t->otel->spans[0].marks & OTEL_MARK_ORPHAN); /* no longer an orphan */
	world_free(w);
}

static void quiet_trace_closes_once_and_late_span_reopens(void **state)
{
	(void)state;
	struct world *w = world_new(16, 1024, 100 * MS);
	struct otel_set *b = batch_set("api");
	span(b, 3, 1, 0, 100, 200, "GET /", NULL);
	send(w, b, 0);
	intake_tick(w->in, 0);
	assert_true(received(w, 3)->open);
	intake_tick(w->in, 50 * MS);
	assert_int_equal(w->observed, 0);
	assert_true(intake_tick(w->in, 100 * MS));
	assert_false(received(w, 3)->open);
	assert_int_equal(w->observed, 1);
	uint64_t seq = received(w, 3)->seq;
	assert_int_equal(w->observed_seq, seq);
	assert_false(intake_tick(w->in, 300 * MS));
	assert_int_equal(w->observed, 1);
	struct intake_stats st;
	intake_get_stats(w->in, &st);
	assert_int_equal(st.open, 0);

	/* A late span joins it: reopened, reassembled, counted. */
	b = batch_set("api");
	span(b, 3, 2, 1, 150, 160, "late", NULL);
	send(w, b, 400 * MS);
	intake_tick(w->in, 400 * MS);
	const struct trace *t = received(w, 3);
	assert_true(t->open);
	assert_int_equal(t->seq, seq);
	assert_int_equal(t->nspans, 2);
	assert_int_equal(placeholders(t), 0);
	intake_get_stats(w->in, &st);
	assert_int_equal(st.late_spans, 1);
	assert_int_equal(st.traces, 1);
	assert_int_equal(st.open, 1);
	intake_tick(w->in, 500 * MS);
	assert_false(received(w, 3)->open);
	assert_int_equal(w->observed, 1); /* the observer saw it once, at its first close */
	assert_true(store_trace_changed(w->store, received(w, 3)) > 0);
	world_free(w);
}

static void evicted_trace_late_span_starts_another(void **state)
{
	(void)state;
	struct world *w = world_new(2, 1024, 10 * MS);
	for (uint32_t k = 1; k <= 3; k++) {
		struct otel_set *b = batch_set("api");
		span(b, k, 1, 0, 100, 200, "GET /", NULL);
		send(w, b, k * 100 * MS);
		intake_tick(w->in, k * 100 * MS);
	}
	assert_null(received(w, 1)); /* evicted */
	struct otel_set *b = batch_set("api");
	span(b, 1, 2, 1, 150, 160, "late", NULL);
	send(w, b, 500 * MS);
	intake_tick(w->in, 500 * MS);
	const struct trace *t = received(w, 1);
	assert_non_null(t);
	assert_int_equal(t->seq, 4);
	assert_int_equal(placeholders(t), 2); /* under "missing parent", as the file reader shows it */
	struct intake_stats st;
	intake_get_stats(w->in, &st);
	assert_int_equal(st.traces, 4);
	assert_int_equal(st.late_spans, 0);
	world_free(w);
}

static void memory_is_bounded_by_the_store(void **state)
{
	(void)state;
	struct world *w = world_new(4, 64, 50 * MS);
	int64_t now = 0;
	for (uint32_t k = 0; k < 1000; k++) {
		struct otel_set *b = batch_set("api");
		span(b, k, 1, 0, 100, 200, "GET /", NULL);
		span(b, k, 2, 1, 110, 120, "a", NULL);
		if (k > 0)
			span(b, k - 1, 3, 1, 130, 140, "b", NULL); /* the previous trace's last span */
		send(w, b, now);
		intake_tick(w->in, now);
		now += MS;
		assert_true(store_trace_count(w->store) <= 4);
		assert_true(store_spans_held(w->store) <= 64);
		struct intake_stats st;
		intake_get_stats(w->in, &st);
		assert_true(st.open <= 4);
	}
	/* One trace does not grow past max_spans either. */
	for (uint64_t id = 10; id < 200; id++) {
		struct otel_set *b = batch_set("api");
		span(b, 5000, id, 1, 100, 200, "x", NULL);
		send(w, b, now);
	}
	intake_tick(w->in, now);
	struct intake_stats st;
	intake_get_stats(w->in, &st);
	assert_int_equal(st.dropped_spans, 190 - 64);
	assert_true(received(w, 5000)->nspans <= 64 + 2);
	intake_close_all(w->in);
	intake_get_stats(w->in, &st);
	assert_int_equal(st.open, 0);
	assert_false(received(w, 5000)->open);
	world_free(w); /* ASan: every set freed */
}

/* A span of trace carrying one attribute of len bytes. */
static void big_span(struct otel_set *set, uint32_t trace, uint64_t id, uint64_t parent, size_t len)
{
	char *text = malloc(len + 1);
	memset(text, 'x', len);
	text[len] = 0;
	struct otel_span sp = { .span_id = id, .parent_span_id = parent, .kind = 1,
		                .start_unix_ns = 100 * MS + id, .end_unix_ns = 200 * MS };
	trace_id(trace, sp.trace_id);
	sp.name = otel_text(set, "big", 3);
	size_t mark = otel_kv_mark(set);
	kv_string(set, "payload", text);
	sp.attrs.first = otel_kv_commit(set, mark, &sp.attrs.count);
	otel_add_span(set, &sp);
	free(text);
}

static void store_bytes_are_bounded(void **state)
{
	(void)state;
	size_t budget = 1u << 20; /* a trace's cap: 256 KiB */
	struct world *w = world_new_bytes(64, 100000, budget, 10 * MS);
	int64_t now = 0;
	for (uint32_t k = 0; k < 60; k++) { /* 60 traces of about 100 KiB: far more than 1 MiB */
		struct otel_set *b = batch_set("api");
		big_span(b, k, 1, 0, 100 * 1024);
		send(w, b, now);
		intake_tick(w->in, now);
		now += 20 * MS;
		/* The budget, plus the trace being put (its set's arrays may be twice what they hold). */
		assert_true(store_bytes_held(w->store) <= budget + budget / INTAKE_TRACE_SHARE * 2);
	}
	intake_close_all(w->in);
	assert_true(store_bytes_held(w->store) <= budget);
	assert_true(store_trace_count(w->store) < 60);
	assert_true(store_trace_count(w->store) >= 4);
	assert_true(store_traces_evicted(w->store) > 0);
	assert_non_null(received(w, 59)); /* the newest kept */
	assert_null(received(w, 0));
	struct intake_stats st;
	intake_get_stats(w->in, &st);
	assert_int_equal(st.dropped_spans, 0);
	world_free(w);
}

static void one_trace_is_capped(void **state)
{
	(void)state;
	size_t budget = 1u << 20, cap = budget / INTAKE_TRACE_SHARE;
	struct world *w = world_new_bytes(64, 100000, budget, 1000 * MS);
	/* 100 spans of 10 KiB in one trace, over 10 batches: about 25 fit 256 KiB. */
	for (uint64_t k = 0; k < 10; k++) {
		struct otel_set *b = batch_set("api");
		for (uint64_t i = 0; i < 10; i++)
			big_span(b, 7, 1 + k * 10 + i, k + i ? 1 : 0, 10 * 1024);
		send(w, b, 0);
		intake_tick(w->in, 0);
	}
	struct intake_stats st;
	intake_get_stats(w->in, &st);
	const struct trace *t = received(w, 7);
	assert_non_null(t);
	assert_true(st.spans >= 20 && st.spans <= 26);
	assert_int_equal(st.spans + st.dropped_spans, 100);
	assert_int_equal(store_spans_received(w->store), st.spans);
	assert_true(store_bytes_held(w->store) <= 2 * cap);
	/* A span alone over the cap is dropped; its trace never starts. */
	struct otel_set *b = batch_set("api");
	big_span(b, 8, 1, 0, cap + 1);
	send(w, b, 0);
	intake_tick(w->in, 0);
	intake_get_stats(w->in, &st);
	assert_int_equal(st.spans + st.dropped_spans, 101);
	assert_null(received(w, 8));
	world_free(w);
}

static struct otel_set *request_of_three(void)
{
	struct otel_set *b = batch_set("api");
	span(b, 3, 1, 0, 100, 200, "GET /", NULL);
	span(b, 3, 2, 1, 110, 120, "a", NULL);
	span(b, 3, 3, 1, 130, 140, "b", NULL);
	return b;
}

static void exact_duplicates_are_dropped(void **state)
{
	(void)state;
	struct world *w = world_new(16, 1024, 100 * MS);
	send(w, request_of_three(), 0);
	send(w, request_of_three(), 0); /* sent again before a tick */
	intake_tick(w->in, 0);
	struct intake_stats st;
	intake_get_stats(w->in, &st);
	assert_int_equal(st.spans, 3);
	assert_int_equal(st.duplicate_spans, 3);
	const struct trace *t = received(w, 3);
	assert_int_equal(t->nspans, 3);
	assert_int_equal(placeholders(t), 0);
	/* Closed, then sent again (a retry after the quiet period): still dropped. */
	intake_tick(w->in, 500 * MS);
	assert_false(received(w, 3)->open);
	send(w, request_of_three(), 600 * MS);
	intake_tick(w->in, 600 * MS);
	intake_get_stats(w->in, &st);
	assert_int_equal(st.spans, 3);
	assert_int_equal(st.duplicate_spans, 6);
	assert_int_equal(received(w, 3)->nspans, 3);
	/* The same id with another end: kept, marked a duplicate (the later one, as the file reader does). */
	struct otel_set *b = batch_set("api");
	span(b, 3, 2, 1, 110, 125, "a", NULL);
	send(w, b, 700 * MS);
	intake_tick(w->in, 700 * MS);
	intake_get_stats(w->in, &st);
	assert_int_equal(st.spans, 4);
	assert_int_equal(st.duplicate_spans, 6);
	t = received(w, 3);
	assert_int_equal(t->nspans, 4);
	unsigned marked = 0;
	for (size_t i = 0; i < t->otel->nspans; i++)
		marked += (t->otel->spans[i].marks & OTEL_MARK_DUPLICATE) != 0;
	assert_int_equal(marked, 1);
	world_free(w);
}

static void n_plus_one_of_postgres_spans_is_found(void **state)
{
	(void)state;
	struct world *w = world_new(16, 1024, 100 * MS);
	/* The queries arrive before their request's span, over two batches. */
	struct otel_set *b = batch_set("orders-api");
	span(b, 9, 2, 1, 101, 102, "SELECT users", "SELECT id, name FROM users");
	for (uint64_t k = 0; k < 3; k++)
		span(b, 9, 10 + k, 1, 103 + 2 * k, 104 + 2 * k, "SELECT orders",
		     "SELECT count(*) FROM orders WHERE user_id = $1");
	send(w, b, 0);
	intake_tick(w->in, 0);
	b = batch_set("orders-api");
	for (uint64_t k = 3; k < 8; k++)
		span(b, 9, 10 + k, 1, 103 + 2 * k, 104 + 2 * k, "SELECT orders",
		     "SELECT count(*) FROM orders WHERE user_id = $1");
	span(b, 9, 1, 0, 100, 130, "GET /users", NULL);
	send(w, b, 10 * MS);
	intake_tick(w->in, 10 * MS);
	intake_tick(w->in, 200 * MS); /* closed */
	const struct trace *t = received(w, 9);
	assert_false(t->open);
	assert_int_equal(t->nspans, 10);
	struct findings f;
	findings_init(&f);
	findings_detect(&f, t, &(struct findings_config){ 5, 0 }, w->names);
	assert_int_equal(f.n, 1);
	assert_int_equal(f.item[0].kind, FINDING_N_PLUS_ONE);
	assert_int_equal(f.item[0].count, 8);
	assert_true(f.item[0].foreign);
	assert_string_equal(strtab_get(w->names, f.item[0].fingerprint), "SELECT count(*) FROM orders WHERE user_id = ?");
	findings_free(&f);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spans_of_one_trace_join_over_batches),
		cmocka_unit_test(child_before_parent),
		cmocka_unit_test(quiet_trace_closes_once_and_late_span_reopens),
		cmocka_unit_test(evicted_trace_late_span_starts_another),
		cmocka_unit_test(memory_is_bounded_by_the_store),
		cmocka_unit_test(store_bytes_are_bounded),
		cmocka_unit_test(one_trace_is_capped),
		cmocka_unit_test(exact_duplicates_are_dropped),
		cmocka_unit_test(n_plus_one_of_postgres_spans_is_found),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
