/* otel: the lossless model's storage (short strings shared, long ones and
 * ones with NULs kept whole), lists committed while others nest in them,
 * lookups, and values formatted for display, cut between characters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/otel.h"

static struct otel_value str_value(struct otel_set *set, const char *s)
{
	return (struct otel_value){ .type = OTEL_VALUE_STRING, .u.s = otel_text(set, s, strlen(s)) };
}

static void text_is_stored_once_when_short(void **state)
{
	(void)state;
	struct otel_set *set = otel_set_create();
	struct otel_str a = otel_text(set, "service.name", 12), b = otel_text(set, "service.name", 12);
	assert_int_equal(a.off, b.off);
	assert_string_equal(otel_text_of(set, a), "service.name");
	char long_text[200];
	memset(long_text, 'x', sizeof long_text);
	struct otel_str l1 = otel_text(set, long_text, sizeof long_text), l2 = otel_text(set, long_text, sizeof long_text);
	assert_int_not_equal(l1.off, l2.off); /* long strings are not looked up */
	assert_memory_equal(otel_text_of(set, l1), long_text, sizeof long_text);
	struct otel_str nul = otel_text(set, "a\0b", 3);
	assert_int_equal(nul.len, 3);
	assert_memory_equal(otel_text_of(set, nul), "a\0b", 3);
	struct otel_str empty = otel_text(set, "", 0);
	assert_string_equal(otel_text_of(set, empty), "");
	/* many distinct short strings: the table grows and still finds each */
	char key[32];
	struct otel_str first = { 0, 0 };
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof key, "key-%d", i);
		struct otel_str s = otel_text(set, key, strlen(key));
		if (i == 0)
			first = s;
	}
	assert_int_equal(otel_text(set, "key-0", 5).off, first.off);
	assert_false(otel_full(set));
	assert_true(otel_set_bytes(set) > 5000 * 5);
	otel_set_destroy(set);
}

/* {"outer": {"list": [1, [true, "x"]], "s": "v"}} built inside out while the
 * outer lists are half done. */
static void nested_lists_commit_in_place(void **state)
{
	(void)state;
	struct otel_set *set = otel_set_create();
	size_t attrs = otel_kv_mark(set);
	otel_kv_push(set, otel_text(set, "before", 6), str_value(set, "b"));

	size_t kv = otel_kv_mark(set);
	size_t arr = otel_value_mark(set);
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_INT, .u.i = 1 });
	size_t inner = otel_value_mark(set);
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_BOOL, .u.b = true });
	otel_value_push(set, str_value(set, "x"));
	uint32_t n;
	uint32_t first = otel_value_commit(set, inner, &n);
	assert_int_equal(n, 2);
	otel_value_push(set, (struct otel_value){ .type = OTEL_VALUE_ARRAY, .count = n, .u.first = first });
	first = otel_value_commit(set, arr, &n);
	otel_kv_push(set, otel_text(set, "list", 4), (struct otel_value){ .type = OTEL_VALUE_ARRAY, .count = n, .u.first = first });
	otel_kv_push(set, otel_text(set, "s", 1), str_value(set, "v"));
	first = otel_kv_commit(set, kv, &n);
	assert_int_equal(n, 2);
	otel_kv_push(set, otel_text(set, "outer", 5), (struct otel_value){ .type = OTEL_VALUE_KVLIST, .count = n, .u.first = first });

	struct otel_attrs a = { 0 };
	a.first = otel_kv_commit(set, attrs, &a.count);
	assert_int_equal(a.count, 2);
	assert_int_equal(set->kv_top, 0);
	assert_int_equal(set->value_top, 0);

	char buf[128];
	otel_value_format(set, otel_attrs_find(set, a, "outer"), buf, sizeof buf);
	assert_string_equal(buf, "{list: [1, [true, \"x\"]], s: \"v\"}");
	assert_string_equal(otel_attrs_string(set, a, "before"), "b");
	assert_null(otel_attrs_string(set, a, "outer")); /* not a string */
	assert_null(otel_attrs_find(set, a, "absent"));
	/* an empty commit: nothing added */
	assert_int_equal(otel_kv_commit(set, otel_kv_mark(set), &n), set->nkvs);
	assert_int_equal(n, 0);
	otel_set_destroy(set);
}

static void values_format_as_one_line(void **state)
{
	(void)state;
	struct otel_set *set = otel_set_create();
	char buf[64];
	struct otel_value v = { .type = OTEL_VALUE_INT, .u.i = INT64_MIN };
	otel_value_format(set, &v, buf, sizeof buf);
	assert_string_equal(buf, "-9223372036854775808");
	v = (struct otel_value){ .type = OTEL_VALUE_DOUBLE, .u.d = 0.1 };
	otel_value_format(set, &v, buf, sizeof buf);
	assert_string_equal(buf, "0.1"); /* the shortest text that reads back to the same double */
	v = (struct otel_value){ .type = OTEL_VALUE_BYTES, .u.s = otel_text(set, "\x00\xff", 2) };
	otel_value_format(set, &v, buf, sizeof buf);
	assert_string_equal(buf, "0x00ff");
	v = (struct otel_value){ .type = OTEL_VALUE_EMPTY };
	otel_value_format(set, &v, buf, sizeof buf);
	assert_string_equal(buf, "(empty)");
	/* cut with "…", never inside a character */
	v = str_value(set, "ééééééééééééééééééééééééééééééééééééééé");
	char small[16];
	otel_value_format(set, &v, small, sizeof small);
	assert_non_null(strstr(small, "\xe2\x80\xa6"));
	assert_true(strlen(small) < sizeof small);
	const char *p = small + 1;
	while (*p == '\xc3')
		p += 2; /* whole é's, then the ellipsis */
	assert_string_equal(p, "\xe2\x80\xa6");
	assert_string_equal(otel_kind_name(3), "client");
	assert_string_equal(otel_kind_name(9), "unknown");
	assert_string_equal(otel_status_name(2), "error");
	otel_set_destroy(set);
}

static void doubles_format_shortest_round_trip(void **state)
{
	(void)state;
	struct otel_set *set = otel_set_create();
	char buf[64];
	static const struct {
		double d;
		const char *text;
	} cases[] = {
		{ 0.1, "0.1" },
		{ 5e-324, "5e-324" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ -2.5, "-2.5" },
		{ 1e300, "1e+300" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct otel_value v = { .type = OTEL_VALUE_DOUBLE, .u.d = cases[i].d };
		otel_value_format(set, &v, buf, sizeof buf);
		assert_string_equal(buf, cases[i].text);
		assert_true(strtod(buf, NULL) == cases[i].d);
	}
	struct otel_value v = { .type = OTEL_VALUE_DOUBLE, .u.d = NAN };
	otel_value_format(set, &v, buf, sizeof buf);
	assert_string_equal(buf, "NaN");
	v.u.d = INFINITY;
	otel_value_format(set, &v, buf, sizeof buf);
	assert_string_equal(buf, "Infinity");
	v.u.d = -INFINITY;
	otel_value_format(set, &v, buf, sizeof buf);
	assert_string_equal(buf, "-Infinity");
	otel_set_destroy(set);
}

static void spans_name_their_scope_and_resource(void **state)
{
	(void)state;
	struct otel_set *set = otel_set_create();
	size_t m = otel_kv_mark(set);
	otel_kv_push(set, otel_text(set, "service.name", 12), str_value(set, "checkout"));
	struct otel_resource r = { 0 };
	r.attrs.first = otel_kv_commit(set, m, &r.attrs.count);
	uint32_t ri = otel_add_resource(set, &r);
	uint32_t si = otel_add_scope(set, &(struct otel_scope){ .resource = ri, .name = otel_text(set, "pg", 2) });
	uint32_t sp = otel_add_span(set, &(struct otel_span){ .scope = si, .span_id = 7 });
	struct span_record rec = { .flags = SPAN_F_FOREIGN, .u.foreign.detail = sp };
	const struct otel_span *s = otel_span_of(set, &rec);
	assert_non_null(s);
	assert_int_equal(s->span_id, 7);
	assert_string_equal(otel_text_of(set, otel_span_scope(set, s)->name), "pg");
	assert_string_equal(otel_service_name(set, s), "checkout");
	struct span_record lab = { .u.foreign.detail = sp };
	assert_null(otel_span_of(set, &lab)); /* not foreign: no detail */
	struct span_record ph = { .flags = SPAN_F_PLACEHOLDER };
	assert_null(otel_span_of(set, &ph));
	assert_null(otel_span_of(NULL, &rec));
	otel_set_destroy(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_is_stored_once_when_short),
		cmocka_unit_test(nested_lists_commit_in_place),
		cmocka_unit_test(values_format_as_one_line),
		cmocka_unit_test(doubles_format_shortest_round_trip),
		cmocka_unit_test(spans_name_their_scope_and_resource),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
