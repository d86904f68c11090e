/* pgstat: the server's clock's log record made and read back (hostile
 * records refused), the per-trace table (newest first, bounded), and the
 * comparison's rows with the server's time of their median request. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/comparison.h"
#include "obslab/log.h"
#include "obslab/pgstat.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/store.h"

static struct log_record emitted(const struct pgstat_reading *r, uint32_t queries, const char *hex)
{
	struct ring *logs = ring_create(8, sizeof(struct log_record));
	pgstat_log(logs, r, queries, hex);
	struct log_record rec, more;
	assert_int_equal(ring_pop(logs, &rec, 1), 1);
	assert_int_equal(ring_pop(logs, &more, 1), 0); /* one record only */
	ring_destroy(logs);
	return rec;
}

static const char hex_id[] = "00112233445566778899aabbccddeeff";

static void a_known_reading_round_trips(void **state)
{
	(void)state;
	struct pgstat_reading r = { .state = PGSTAT_KNOWN, .exec_ns = 12345678, .calls = 1001 };
	struct log_record rec = emitted(&r, 1001, hex_id);
	assert_string_equal(rec.message, PGSTAT_MSG_KNOWN);
	char line[256];
	log_format(line, sizeof line, &rec, NULL, 0);
	assert_non_null(strstr(line, "server execution (pg_stat_statements) exec_us=12346 statements=1001 trace_id="));
	enum pgstat_state st;
	uint8_t id[SPAN_TRACE_ID_LEN];
	int64_t ns;
	uint32_t n;
	assert_true(pgstat_from_log(&rec, &st, id, &ns, &n));
	assert_int_equal(st, PGSTAT_KNOWN);
	assert_int_equal(ns, 12346000); /* to the microsecond */
	assert_int_equal(n, 1001);
	assert_int_equal(id[0], 0x00);
	assert_int_equal(id[15], 0xff);
}

static void unknown_and_not_loaded_round_trip(void **state)
{
	(void)state;
	struct pgstat_reading r = { .state = PGSTAT_UNKNOWN, .calls = 42 };
	struct log_record rec = emitted(&r, 21, hex_id);
	enum pgstat_state st;
	uint8_t id[SPAN_TRACE_ID_LEN];
	int64_t ns;
	uint32_t n;
	assert_true(pgstat_from_log(&rec, &st, id, &ns, &n));
	assert_int_equal(st, PGSTAT_UNKNOWN);
	assert_int_equal(ns, 0);
	r = (struct pgstat_reading){ .state = PGSTAT_NOT_LOADED };
	rec = emitted(&r, 0, hex_id);
	assert_true(pgstat_from_log(&rec, &st, id, &ns, &n));
	assert_int_equal(st, PGSTAT_NOT_LOADED);
	assert_int_equal(rec.level, LOG_WARN);
	/* nothing for SQLite's (no reading), nor into no ring */
	struct ring *logs = ring_create(8, sizeof(struct log_record));
	r.state = PGSTAT_NONE;
	pgstat_log(logs, &r, 0, hex_id);
	pgstat_log(NULL, &r, 0, hex_id);
	assert_int_equal(ring_pop(logs, &rec, 1), 0);
	ring_destroy(logs);
}

/* Records that are not pgstat's, or are malformed, are refused. */
static void hostile_records_are_refused(void **state)
{
	(void)state;
	enum pgstat_state st;
	uint8_t id[SPAN_TRACE_ID_LEN];
	int64_t ns;
	uint32_t n;
	struct log_record rec = { .message = "N+1 query pattern detected", .nfields = 1 };
	rec.fields[0] = log_int("exec_us", 5);
	assert_false(pgstat_from_log(&rec, &st, id, &ns, &n));
	assert_false(pgstat_from_log(NULL, &st, id, &ns, &n));
	struct log_record bad = { .message = PGSTAT_MSG_KNOWN, .nfields = 2 };
	bad.fields[0] = log_int("exec_us", -5);
	bad.fields[1] = log_int("statements", 1);
	assert_false(pgstat_from_log(&bad, &st, id, &ns, &n)); /* negative */
	bad.fields[0] = log_int("exec_us", INT64_MAX);
	assert_false(pgstat_from_log(&bad, &st, id, &ns, &n)); /* overflows ns */
	bad.fields[0] = log_text("exec_us", "5");
	assert_false(pgstat_from_log(&bad, &st, id, &ns, &n)); /* wrong type */
	bad.fields[0] = log_int("exec_us", 5);
	bad.fields[1] = log_int("statements", (int64_t)UINT32_MAX + 1);
	assert_false(pgstat_from_log(&bad, &st, id, &ns, &n));
	bad.nfields = 1;
	assert_false(pgstat_from_log(&bad, &st, id, &ns, &n)); /* statements missing */
	bad.nfields = 3;
	bad.fields[1] = log_int("statements", 3);
	bad.fields[2] = log_text("trace_id", "0011zz33445566778899aabbccddeeff");
	assert_false(pgstat_from_log(&bad, &st, id, &ns, &n)); /* not hex */
	bad.fields[2] = log_text("trace_id", "0011");
	assert_false(pgstat_from_log(&bad, &st, id, &ns, &n)); /* short */
	bad.nfields = 99; /* more than a record holds: only LOG_MAX_FIELDS looked at */
	bad.fields[2] = log_text("trace_id", hex_id);
	assert_true(pgstat_from_log(&bad, &st, id, &ns, &n));
	assert_int_equal(ns, 5000);
}

static void the_table_keeps_the_newest_by_trace(void **state)
{
	(void)state;
	struct pgstat_table *t = test_malloc(sizeof *t);
	pgstat_table_init(t);
	uint8_t want[SPAN_TRACE_ID_LEN] = { 0 };
	int64_t ns;
	uint32_t n;
	assert_int_equal(pgstat_table_find(t, want, &ns, &n), PGSTAT_NONE);
	/* PGSTAT_TABLE_MAX + 10 readings: the oldest ten are gone */
	for (int i = 0; i < PGSTAT_TABLE_MAX + 10; i++) {
		char hex[2 * SPAN_TRACE_ID_LEN + 1];
		snprintf(hex, sizeof hex, "%032x", i + 1);
		struct pgstat_reading r = { .state = PGSTAT_KNOWN, .exec_ns = (i + 1) * 1000, .calls = 21 };
		struct log_record rec = emitted(&r, 21, hex);
		assert_true(pgstat_table_note(t, &rec));
	}
	want[15] = 5;
	assert_int_equal(pgstat_table_find(t, want, &ns, &n), PGSTAT_NONE);
	want[15] = 20;
	assert_int_equal(pgstat_table_find(t, want, &ns, &n), PGSTAT_KNOWN);
	assert_int_equal(ns, 20000);
	assert_int_equal(n, 21);
	assert_int_equal(t->clock, PGSTAT_KNOWN);
	/* the clock found missing: the table says so; other records are ignored */
	struct pgstat_reading r = { .state = PGSTAT_NOT_LOADED };
	struct log_record rec = emitted(&r, 0, NULL);
	assert_true(pgstat_table_note(t, &rec));
	assert_int_equal(t->clock, PGSTAT_NOT_LOADED);
	struct log_record other = { .message = "Optimized query executed" };
	assert_false(pgstat_table_note(t, &other));
	test_free(t);
}

/* A measured trace of total_ns with its trace id's last byte `id`. */
static const struct trace *make(struct span_record *root, struct trace *t, enum strategy s, int64_t total_ns,
                                uint8_t id)
{
	memset(root, 0, sizeof *root);
	root->span_id = 1;
	root->start_ns = 1000;
	root->end_ns = 1000 + total_ns;
	root->kind = SPAN_KIND_SERVER;
	root->flags = SPAN_F_MEASURED;
	root->strategy = (uint8_t)s;
	root->u.root.users = 20;
	root->u.root.trace_id[15] = id;
	*t = (struct trace){ .seq = 1, .spans = root, .nspans = 1 };
	memcpy(t->trace_id, root->u.root.trace_id, SPAN_TRACE_ID_LEN);
	return t;
}

/* Each row's server time is its median request's (by total), given before
 * or after its trace; a row whose median request has none says unknown. */
static void comparison_rows_carry_the_median_requests_server_time(void **state)
{
	(void)state;
	struct comparison *c = test_malloc(sizeof *c);
	comparison_init(c);
	struct span_record root;
	struct trace t;
	uint8_t id[SPAN_TRACE_ID_LEN] = { 0 };
	id[15] = 2;
	comparison_add_server(c, id, 222); /* before its trace */
	comparison_add(c, make(&root, &t, STRATEGY_NAIVE, 300, 1));
	comparison_add(c, make(&root, &t, STRATEGY_NAIVE, 200, 2)); /* the median of 100, 200, 300 */
	comparison_add(c, make(&root, &t, STRATEGY_NAIVE, 100, 3));
	id[15] = 1;
	comparison_add_server(c, id, 111);
	id[15] = 3;
	comparison_add_server(c, id, 333);
	for (uint8_t k = 10; k < 50; k++) /* the arrays grow */
		comparison_add(c, make(&root, &t, STRATEGY_OPTIMIZED, 50, k));
	id[15] = 9; /* a reading for no trace of the comparison */
	comparison_add_server(c, id, 999);
	struct comparison_row r[2];
	assert_int_equal(comparison_rows(c, r, 2), 2);
	assert_int_equal(r[0].strategy, STRATEGY_NAIVE);
	assert_int_equal(r[0].median_total_ns, 200);
	assert_true(r[0].server_known);
	assert_int_equal(r[0].median_server_ns, 222);
	assert_int_equal(r[1].strategy, STRATEGY_OPTIMIZED);
	assert_false(r[1].server_known); /* none given: unknown, never another request's */
	assert_int_equal(r[1].median_server_ns, 0);
	comparison_clear(c);
	test_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_known_reading_round_trips),
		cmocka_unit_test(unknown_and_not_loaded_round_trip),
		cmocka_unit_test(hostile_records_are_refused),
		cmocka_unit_test(the_table_keeps_the_newest_by_trace),
		cmocka_unit_test(comparison_rows_carry_the_median_requests_server_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
