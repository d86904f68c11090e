/* jsonpull: walking documents, decoding strings, numbers, and refusing
 * what is not JSON with a position. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/jsonpull.h"

static void walks_objects_and_arrays(void **state)
{
	(void)state;
	const char *doc = " {\"a\": [1, 2, {\"x\": null}], \"b\": \"two\", \"c\": true, \"d\": {}, \"e\": []} ";
	struct jp jp;
	jp_init(&jp, doc, strlen(doc));
	const char *key, *s;
	size_t len;
	int64_t v;
	bool b;
	assert_int_equal(jp_peek(&jp), JP_OBJECT);
	assert_true(jp_object(&jp));
	assert_true(jp_key(&jp, &key, &len) && jp_key_is(key, len, "a"));
	assert_true(jp_array(&jp));
	assert_true(jp_item(&jp) && jp_whole(&jp, 10, &v) && v == 1);
	assert_true(jp_item(&jp) && jp_whole(&jp, 10, &v) && v == 2);
	assert_true(jp_item(&jp) && jp_skip(&jp));
	assert_false(jp_item(&jp));
	assert_true(jp_key(&jp, &key, &len) && jp_key_is(key, len, "b"));
	assert_true(jp_string(&jp, &s, &len));
	assert_int_equal(len, 3);
	assert_memory_equal(s, "two", 3);
	assert_true(jp_key(&jp, &key, &len) && jp_key_is(key, len, "c"));
	assert_true(jp_bool(&jp, &b) && b);
	assert_true(jp_key(&jp, &key, &len) && jp_skip(&jp));
	assert_true(jp_key(&jp, &key, &len) && jp_skip(&jp));
	assert_false(jp_key(&jp, &key, &len));
	assert_true(jp_finish(&jp));
	jp_free(&jp);
}

static void decodes_escapes(void **state)
{
	(void)state;
	const char *doc = "\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"";
	struct jp jp;
	jp_init(&jp, doc, strlen(doc));
	const char *s;
	size_t len;
	assert_true(jp_string(&jp, &s, &len));
	const char want[] = "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	assert_int_equal(len, sizeof want - 1);
	assert_memory_equal(s, want, len);
	jp_free(&jp);
}

static void reads_whole_numbers_either_way(void **state)
{
	(void)state;
	const char *doc = "[\"1795777540077232978\", 42, 1e3, 5.0, -1, \"-1\", 2.5, \"99999999999999999999\", \"12a\"]";
	struct jp jp;
	jp_init(&jp, doc, strlen(doc));
	int64_t v;
	assert_true(jp_array(&jp));
	assert_true(jp_item(&jp) && jp_whole(&jp, INT64_MAX, &v) && v == INT64_C(1795777540077232978));
	assert_true(jp_item(&jp) && jp_whole(&jp, INT64_MAX, &v) && v == 42);
	assert_true(jp_item(&jp) && jp_whole(&jp, INT64_MAX, &v) && v == 1000);
	assert_true(jp_item(&jp) && jp_whole(&jp, INT64_MAX, &v) && v == 5);
	for (int i = 0; i < 5; i++) /* negative, fractional, too large, not a number */
		assert_true(jp_item(&jp) && !jp_whole(&jp, INT64_MAX, &v) && !jp.failed);
	assert_false(jp_item(&jp));
	assert_true(jp_finish(&jp));
	jp_free(&jp);
}

static void refuses_with_a_position(void **state)
{
	(void)state;
	static const struct {
		const char *doc, *says;
	} bad[] = {
		{ "{\"a\": 1", "the file ends early" },
		{ "{\"a\" 1}", "expected ':'" },
		{ "[1 2]", "expected ','" },
		{ "\"tab\there\"", "a control character" },
		{ "\"\\x\"", "a bad escape" },
		{ "\"\\ud800\"", "an unpaired surrogate" },
		{ "[tru]", "a bad literal" },
		{ "[-]", "a bad number" },
		{ "{} x", "more data after the document" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct jp jp;
		jp_init(&jp, bad[i].doc, strlen(bad[i].doc));
		bool ok = jp_skip(&jp) && jp_finish(&jp);
		if (ok || !strstr(jp.error, bad[i].says))
			fail_msg("case %zu '%s': '%s' does not say '%s'", i, bad[i].doc, jp.error, bad[i].says);
		jp_free(&jp);
	}
	/* nesting beyond the limit fails cleanly, whatever the input's depth */
	size_t n = 100000;
	char *deep = test_malloc(n);
	memset(deep, '[', n);
	struct jp jp;
	jp_init(&jp, deep, n);
	assert_false(jp_skip(&jp));
	assert_non_null(strstr(jp.error, "nested deeper than 512"));
	jp_free(&jp);
	test_free(deep);
}

/* Where the parser stops, it says so by a byte of the input: never past its
 * end, even when the input ends inside an escape ("at byte 11 of 10"). */
static void positions_stay_within_the_input(void **state)
{
	(void)state;
	static const char *const cut[] = { "\"abcdefgh\\", "{\"a\": \"\\", "[\"x\\", "\"\\", "\"\\u12", "{\"k\\" };
	for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
		size_t len = strlen(cut[i]), at = 0, of = 0;
		struct jp jp;
		jp_init(&jp, cut[i], len);
		assert_false(jp_skip(&jp) && jp_finish(&jp));
		const char *where = strstr(jp.error, "at byte ");
		if (!where || sscanf(where, "at byte %zu of %zu", &at, &of) != 2)
			fail_msg("case %zu '%s': no position in '%s'", i, cut[i], jp.error);
		if (of != len || at > len)
			fail_msg("case %zu '%s': '%s' is not a byte of %zu", i, cut[i], jp.error, len);
		assert_true(jp.p >= jp.start && jp.p <= jp.end);
		jp_free(&jp);
	}
	struct jp jp;
	jp_init(&jp, "\"abcdefgh\\", 10);
	assert_false(jp_skip(&jp));
	assert_string_equal(jp.error, "not valid JSON (at byte 10 of 10: the file ends early)");
	jp_free(&jp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(walks_objects_and_arrays),
		cmocka_unit_test(decodes_escapes),
		cmocka_unit_test(reads_whole_numbers_either_way),
		cmocka_unit_test(refuses_with_a_position),
		cmocka_unit_test(positions_stay_within_the_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
