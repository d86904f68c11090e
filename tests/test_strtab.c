/* strtab: ids are stable, text is copied, the table grows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/strtab.h"

static void interns_once_and_returns_copies(void **state)
{
	(void)state;
	struct strtab *t = strtab_create();
	char buf[] = "SELECT 1";
	uint32_t a = strtab_intern_cstr(t, buf);
	assert_int_not_equal(a, STRTAB_NONE);
	buf[7] = '2'; /* the table holds its own copy */
	assert_string_equal(strtab_get(t, a), "SELECT 1");
	assert_int_equal(strtab_intern_cstr(t, "SELECT 1"), a);
	uint32_t b = strtab_intern_cstr(t, buf);
	assert_int_not_equal(a, b);
	assert_int_equal(strtab_intern(t, "SELECT 1 trailing", 8), a); /* by length */
	assert_string_equal(strtab_get(t, STRTAB_NONE), "");
	assert_string_equal(strtab_get(t, 9999), "");
	assert_int_equal(strtab_intern(t, "", 0), STRTAB_NONE);
	strtab_destroy(t);
}

static void grows_past_its_first_index_and_chunk(void **state)
{
	(void)state;
	struct strtab *t = strtab_create();
	char s[32];
	const char *first = NULL;
	for (uint32_t i = 0; i < 5000; i++) {
		snprintf(s, sizeof s, "name-%u", i);
		uint32_t id = strtab_intern_cstr(t, s);
		assert_int_equal(id, i + 1);
		if (i == 0)
			first = strtab_get(t, id);
	}
	assert_int_equal(strtab_count(t), 5001);
	assert_string_equal(first, "name-0"); /* text never moves */
	for (uint32_t i = 0; i < 5000; i += 37) {
		snprintf(s, sizeof s, "name-%u", i);
		assert_int_equal(strtab_intern_cstr(t, s), i + 1);
		assert_int_equal(strtab_len(t, i + 1), strlen(s));
	}
	strtab_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(interns_once_and_returns_copies),
		cmocka_unit_test(grows_past_its_first_index_and_chunk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
