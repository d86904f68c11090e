/* request: the three strategies agree, run the expected queries, and leave
 * the expected span tree, with no user data in any span or log. */
#include <ctype.h>
#include <stdatomic.h>
#include <stdbool.h>
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
#include "obslab/attrs.h"
#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/store.h"
#include "obslab/sqltrace.h"
#include "obslab/strtab.h"

static char *run_body(struct lab *lab, enum strategy s, uint32_t *queries)
{
	lab_request(lab, s);
	*queries = lab->result.queries;
	/* The body names the strategy; the rest must be identical. */
	const char *users = strstr(lab->result.body, "\"total_users\"");
	assert_non_null(users);
	return strdup(users);
}

static void strategies_agree(uint32_t users, bool index, const uint32_t expect_queries[3])
{
	struct lab lab;
	lab_open(&lab, ":memory:", users, index);
	char *bodies[STRATEGY_SQLITE_COUNT];
	for (int s = 0; s < STRATEGY_SQLITE_COUNT; s++) {
		uint32_t queries;
		bodies[s] = run_body(&lab, (enum strategy)s, &queries);
		assert_int_equal(queries, expect_queries[s]);
		assert_int_equal(lab.result.nusers, users);
		/* the spans agree with the strategy's own count */
		const struct trace *t = store_latest(lab.store);
		size_t db_spans = 0;
		for (size_t i = 0; i < t->nspans; i++)
			db_spans += (t->spans[i].flags & SPAN_F_DB) != 0;
		assert_int_equal(db_spans, expect_queries[s]);
	}
	assert_string_equal(bodies[STRATEGY_NAIVE], bodies[STRATEGY_OPTIMIZED]);
	assert_string_equal(bodies[STRATEGY_NAIVE], bodies[STRATEGY_EAGER]);
	for (int s = 0; s < STRATEGY_SQLITE_COUNT; s++)
		free(bodies[s]);
	lab_close(&lab);
}

static void identical_at_20_users(void **state)
{
	(void)state;
	const uint32_t q[3] = { 21, 1, 2 };
	strategies_agree(20, false, q);
	strategies_agree(20, true, q);
}

static void identical_at_1000_users(void **state)
{
	(void)state;
	const uint32_t q[3] = { 1001, 1, 3 };
	strategies_agree(1000, false, q);
	strategies_agree(1000, true, q);
}

static void eager_chunks_a_partial_tail(void **state)
{
	(void)state;
	const uint32_t q[3] = { 1201, 1, 4 }; /* 500 + 500 + 200 */
	strategies_agree(1200, true, q);
}

static void body_has_the_original_shape(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	const char *body = lab.result.body;
	assert_true(strncmp(body, "{\"implementation\":\"naive\",\"warning\":\"", 37) == 0);
	assert_non_null(strstr(body, "\"total_users\":20,\"users\":[{\"id\":1,\"username\":\"user_01\","
	                             "\"email\":\"user01@example.com\",\"order_count\":"));
	assert_non_null(strstr(body, "{\"id\":20,\"username\":\"user_20\",\"email\":\"user20@example.com\""));
	lab_request(&lab, STRATEGY_OPTIMIZED);
	assert_true(strncmp(lab.result.body, "{\"implementation\":\"optimized\",\"info\":\"", 38) == 0);
	lab_request(&lab, STRATEGY_EAGER);
	assert_true(strncmp(lab.result.body, "{\"implementation\":\"eager\",\"info\":\"", 34) == 0);
	lab_close(&lab);
}

static void naive_trace_is_a_staircase_under_one_root(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	assert_int_equal(t->nspans, 1 + 21 + 1); /* root, queries, serialize */
	const struct span_record *root = &t->spans[0];
	assert_int_equal(root->parent_id, 0);
	assert_int_equal(root->kind, SPAN_KIND_SERVER);
	assert_string_equal(strtab_get(lab.names, root->name), "GET /users/analytics");
	assert_int_equal(root->strategy, STRATEGY_NAIVE);
	assert_int_equal(root->u.root.users, 20);
	assert_memory_equal(t->trace_id, root->u.root.trace_id, SPAN_TRACE_ID_LEN);

	const char *users_fp = strtab_get(lab.names, t->spans[1].name);
	assert_string_equal(users_fp, "SELECT id, username, email FROM users ORDER BY id");
	assert_int_equal(t->spans[1].u.db.rows, 20);
	for (size_t i = 1; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		assert_int_equal(s->parent_id, root->span_id);
		assert_int_equal(s->trace_seq, root->trace_seq);
		assert_true(s->start_ns >= root->start_ns && s->end_ns <= root->end_ns);
		assert_int_not_equal(s->span_id, 0);
		if (i >= 2 && i <= 21) {
			assert_int_equal(s->kind, SPAN_KIND_CLIENT);
			assert_string_equal(strtab_get(lab.names, s->name),
			                    "SELECT count(*) FROM orders WHERE user_id = ?");
			assert_int_equal(s->u.db.rows, 1);
			/* sequential, never overlapping: the staircase */
			assert_true(s->start_ns >= t->spans[i - 1].end_ns);
		}
	}
	const struct span_record *ser = &t->spans[22];
	assert_int_equal(ser->kind, SPAN_KIND_INTERNAL);
	assert_false(ser->flags & SPAN_F_DB);
	assert_string_equal(strtab_get(lab.names, ser->name), "serialize response");
	lab_close(&lab);
}

static void each_request_is_its_own_trace(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, true);
	lab_request(&lab, STRATEGY_OPTIMIZED);
	lab_request(&lab, STRATEGY_OPTIMIZED);
	assert_int_equal(store_trace_count(lab.store), 2);
	const struct trace *a = store_trace(lab.store, 0), *b = store_trace(lab.store, 1);
	assert_memory_not_equal(a->trace_id, b->trace_id, SPAN_TRACE_ID_LEN);
	assert_int_not_equal(a->spans[0].span_id, b->spans[0].span_id);
	assert_true(b->spans[0].flags & SPAN_F_INDEX);
	assert_string_equal(strtab_get(lab.names, a->spans[1].name),
	                    "SELECT users.id, users.username, users.email, count(orders.id) AS order_count "
	                    "FROM users LEFT OUTER JOIN orders ON users.id = orders.user_id "
	                    "GROUP BY users.id ORDER BY users.id");
	lab_close(&lab);
}

static void assert_no_user_data(const char *text)
{
	if (strstr(text, "@example.com") || strstr(text, "user_0") || strstr(text, "user_1"))
		fail_msg("user data leaked: %s", text);
	for (const char *p = text; *p; p++) {
		if (isdigit((unsigned char)*p))
			fail_msg("a digit (a bound value?) in: %s", text);
	}
}

static void no_bound_value_reaches_a_span_or_log(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 1000, false);
	for (int s = 0; s < STRATEGY_SQLITE_COUNT; s++)
		lab_request(&lab, (enum strategy)s);
	/* every string a span can name */
	for (uint32_t id = 0; id < strtab_count(lab.names); id++)
		assert_no_user_data(strtab_get(lab.names, id));
	/* every log line, fields and all (but the random trace id) */
	struct log_record recs[16];
	size_t n = ring_pop(lab.logs, recs, 16);
	assert_int_equal(n, 3);
	assert_int_equal(recs[0].level, LOG_WARN);
	assert_string_equal(recs[0].message, "N+1 query pattern detected");
	assert_string_equal(recs[1].message, "Optimized query executed");
	for (size_t i = 0; i < n; i++) {
		for (uint32_t f = 0; f < recs[i].nfields; f++) {
			const struct log_field *field = &recs[i].fields[f];
			if (field->type == LOG_VALUE_STR)
				assert_no_user_data(strtab_get(lab.names, field->v.str));
			else if (field->type == LOG_VALUE_TEXT && strcmp(field->key, "trace_id") != 0)
				assert_no_user_data(field->v.text);
		}
		char line[512];
		log_format(line, sizeof line, &recs[i], lab.names, 0);
		assert_null(strstr(line, "@example.com"));
	}
	lab_close(&lab);
}

/* A request cut short before it read its users records the users it was
 * asked for (the settings it ran under), not the rows it got to (0). */
static void a_cancelled_request_records_the_users_it_was_asked_for(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 5000, false); /* the users query alone outlasts a progress check */
	_Atomic uint32_t cancel;
	atomic_init(&cancel, 0);
	request_ctx_set_cancel(lab.ctx, &cancel);
	request_ctx_set_users(lab.ctx, 5000);
	request_ctx_arm(lab.ctx);
	atomic_fetch_add(&cancel, 1); /* a change between the arm and the request */
	struct obslab_error err;
	assert_int_equal(request_run(lab.ctx, STRATEGY_NAIVE, &lab.result, &err), DB_INTERRUPTED);
	assert_true(lab.result.nusers < 5000);
	store_drain(lab.store, lab.spans);
	const struct trace *t = store_latest(lab.store);
	assert_non_null(t);
	assert_true(t->spans[0].flags & SPAN_F_CANCELLED);
	assert_int_equal(t->spans[0].u.root.users, 5000);
	/* completed, it records the users it read */
	request_ctx_set_cancel(lab.ctx, NULL);
	lab_request(&lab, STRATEGY_OPTIMIZED);
	assert_int_equal(store_latest(lab.store)->spans[0].u.root.users, 5000);
	lab_close(&lab);
}

/* A request that read a database another connection had changed since the
 * connection last looked is flagged, and its attributes say so; one that
 * read it unchanged is not. */
static void a_request_over_a_changed_database_is_flagged(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "changed.db");
	struct lab lab;
	lab_open(&lab, path, 50, false);
	lab_request(&lab, STRATEGY_OPTIMIZED);
	assert_false(store_latest(lab.store)->spans[0].flags & SPAN_F_DB_CHANGED);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "DELETE FROM orders WHERE user_id > 40; DELETE FROM users WHERE id > 40",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	assert_true(t->spans[0].flags & SPAN_F_DB_CHANGED);
	assert_int_equal(t->spans[0].u.root.users, 40); /* what it read */
	struct attr a[ATTRS_MAX];
	size_t n = span_attributes(&t->spans[0], lab.names, a, NULL);
	bool said = false;
	for (size_t i = 0; i < n; i++)
		said |= strcmp(a[i].key, "obslab.db_changed") == 0 && a[i].type == ATTR_BOOL && a[i].i == 1;
	assert_true(said);
	lab_request(&lab, STRATEGY_NAIVE); /* nothing changed since */
	assert_false(store_latest(lab.store)->spans[0].flags & SPAN_F_DB_CHANGED);
	lab_close(&lab);
	fixture_cleanup();
}

/* What obslab serve builds on: a request in the caller's trace (once), the
 * end hook called before the root is pushed, and sqltrace's totals equal to
 * the attribution the explorer computes from the trace (Server-Timing). */
struct end_seen {
	int calls;
	enum db_status status;
	size_t pushed_at_end; /* spans on the ring when the hook ran */
	struct ring *spans;
};

static void on_end(void *arg, enum db_status status)
{
	struct end_seen *e = arg;
	e->calls++;
	e->status = status;
	e->pushed_at_end = (size_t)ring_pushed(e->spans);
}

static void a_request_in_the_callers_trace_and_its_totals(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	sqltrace_set_rtt_us(lab.sqltrace, 100);
	struct end_seen seen = { .spans = lab.spans };
	request_ctx_set_on_end(lab.ctx, on_end, &seen);
	const uint8_t caller[16] = { 0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd,
	                             0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c };
	request_ctx_set_trace_id(lab.ctx, caller);
	int64_t q, w;
	sqltrace_take_totals(lab.sqltrace, &q, &w); /* from here on */
	size_t before = (size_t)ring_pushed(lab.spans);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	assert_memory_equal(t->trace_id, caller, 16);
	assert_int_equal(t->spans[0].parent_id, 0); /* the root of what obslab records */
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.status, DB_OK);
	assert_int_equal(seen.pushed_at_end, before + t->nspans - 1); /* every span but the root */
	sqltrace_take_totals(lab.sqltrace, &q, &w);
	struct attribution a = analysis_attribution(t);
	assert_int_equal(q - w, a.db_ns);
	assert_int_equal(w, a.network_ns);
	assert_int_equal(span_duration_ns(&t->spans[0]) - q, a.app_ns);
	assert_true(w >= 21 * 100000);

	/* once: the next request has a fresh trace */
	lab_request(&lab, STRATEGY_OPTIMIZED);
	assert_memory_not_equal(store_latest(lab.store)->trace_id, caller, 16);
	sqltrace_take_totals(lab.sqltrace, &q, &w);
	a = analysis_attribution(store_latest(lab.store));
	assert_int_equal(q - w, a.db_ns);
	assert_int_equal(w, a.network_ns);
	assert_int_equal(seen.calls, 2);
	lab_close(&lab);
}

/* Pipelined needs a server: on SQLite it is refused before anything runs,
 * with one line, and leaves no trace; the others still run after it. */
static void pipelined_is_refused_on_sqlite(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	assert_false(request_ctx_can_run(lab.ctx, STRATEGY_PIPELINED));
	assert_true(request_ctx_can_run(lab.ctx, STRATEGY_EAGER));
	assert_false(request_ctx_can_run(lab.ctx, STRATEGY_COUNT));
	assert_int_equal(strategy_count(LABDB_SQLITE), 3);
	assert_int_equal(strategy_count(LABDB_POSTGRESQL), 4);
	enum strategy s;
	assert_true(strategy_parse("pipelined", &s));
	assert_int_equal(s, STRATEGY_PIPELINED);
	assert_string_equal(strategy_name(STRATEGY_PIPELINED), "pipelined");
	struct obslab_error err = { "" };
	assert_int_equal(request_run(lab.ctx, STRATEGY_PIPELINED, &lab.result, &err), DB_ERROR);
	assert_string_equal(err.msg, REQUEST_PIPELINED_REFUSAL);
	assert_null(strchr(err.msg, '\n'));
	assert_null(lab.result.body);
	assert_int_equal(lab.result.queries, 0);
	store_drain(lab.store, lab.spans);
	assert_int_equal(store_trace_count(lab.store), 0);
	lab_request(&lab, STRATEGY_NAIVE);
	assert_int_equal(lab.result.queries, 21);
	assert_int_equal(store_trace_count(lab.store), 1);
	lab_close(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identical_at_20_users),
		cmocka_unit_test(a_request_in_the_callers_trace_and_its_totals),
		cmocka_unit_test(a_cancelled_request_records_the_users_it_was_asked_for),
		cmocka_unit_test(a_request_over_a_changed_database_is_flagged),
		cmocka_unit_test(identical_at_1000_users),
		cmocka_unit_test(eager_chunks_a_partial_tail),
		cmocka_unit_test(body_has_the_original_shape),
		cmocka_unit_test(naive_trace_is_a_staircase_under_one_root),
		cmocka_unit_test(each_request_is_its_own_trace),
		cmocka_unit_test(no_bound_value_reaches_a_span_or_log),
		cmocka_unit_test(pipelined_is_refused_on_sqlite),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
