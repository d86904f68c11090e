/* failtab: a failed request's cause found by its trace id, the newest
 * first; other records, malformed trace ids and a full table handled. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/failtab.h"

static struct log_record failed(const char *cause, const char *trace_hex)
{
	struct log_record r = { .message = FAILTAB_MESSAGE, .level = LOG_ERROR };
	r.fields[r.nfields++] = log_text("error", cause);
	r.fields[r.nfields++] = log_text("strategy", "naive");
	if (trace_hex)
		r.fields[r.nfields++] = log_text("trace_id", trace_hex);
	return r;
}

static void id_of(unsigned k, uint8_t id[SPAN_TRACE_ID_LEN], char hex[2 * SPAN_TRACE_ID_LEN + 1])
{
	memset(id, 0, SPAN_TRACE_ID_LEN);
	id[0] = 0xab;
	id[SPAN_TRACE_ID_LEN - 1] = (uint8_t)k;
	id[SPAN_TRACE_ID_LEN - 2] = (uint8_t)(k >> 8);
	span_trace_id_hex(id, hex);
}

static void finds_the_cause_by_trace(void **state)
{
	(void)state;
	static struct failtab t;
	failtab_init(&t);
	uint8_t id[SPAN_TRACE_ID_LEN], other[SPAN_TRACE_ID_LEN];
	char hex[33], other_hex[33];
	id_of(1, id, hex);
	id_of(2, other, other_hex);
	assert_null(failtab_find(&t, id));
	struct log_record r = failed("server closed the connection", hex);
	assert_true(failtab_note(&t, &r));
	assert_string_equal(failtab_find(&t, id), "server closed the connection");
	assert_null(failtab_find(&t, other));
	r = failed("terminating connection (admin)", hex); /* the newest wins */
	assert_true(failtab_note(&t, &r));
	assert_string_equal(failtab_find(&t, id), "terminating connection (admin)");
}

static void ignores_other_records(void **state)
{
	(void)state;
	static struct failtab t;
	failtab_init(&t);
	uint8_t id[SPAN_TRACE_ID_LEN];
	char hex[33];
	id_of(3, id, hex);
	struct log_record r = failed("x", hex);
	r.message = "N+1 query pattern detected";
	assert_false(failtab_note(&t, &r));
	r = failed("no trace", NULL);
	assert_false(failtab_note(&t, &r));
	const char *bad[] = { "", "abc", "ABCDEF00000000000000000000000001", "00000000000000000000000000000000",
		              "zz000000000000000000000000000001", "0123456789abcdef0123456789abcdef0" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = failed("bad id", bad[i]);
		assert_false(failtab_note(&t, &r));
	}
	r = (struct log_record){ .message = FAILTAB_MESSAGE };
	r.fields[r.nfields++] = log_int("error", 7); /* not text */
	r.fields[r.nfields++] = log_text("trace_id", hex);
	assert_false(failtab_note(&t, &r));
	assert_int_equal(t.n, 0);
}

static void keeps_the_newest_when_full(void **state)
{
	(void)state;
	static struct failtab t;
	failtab_init(&t);
	uint8_t id[SPAN_TRACE_ID_LEN];
	char hex[33], cause[32];
	for (unsigned k = 0; k < FAILTAB_MAX + 10; k++) {
		id_of(k, id, hex);
		snprintf(cause, sizeof cause, "cause %u", k);
		struct log_record r = failed(cause, hex);
		assert_true(failtab_note(&t, &r));
	}
	assert_int_equal(t.n, FAILTAB_MAX);
	id_of(0, id, hex);
	assert_null(failtab_find(&t, id)); /* gave way */
	id_of(FAILTAB_MAX + 9, id, hex);
	assert_string_equal(failtab_find(&t, id), "cause 73");
	id_of(10, id, hex);
	assert_string_equal(failtab_find(&t, id), "cause 10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_the_cause_by_trace),
		cmocka_unit_test(ignores_other_records),
		cmocka_unit_test(keeps_the_newest_when_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
