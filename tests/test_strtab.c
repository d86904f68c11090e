/* strtab: ids are stable, text is copied, the table grows, and several
 * threads may intern at once (run under TSan too: labelled threads). */
#include <pthread.h>
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

/* Writers intern overlapping sets while a reader reads every published id. */
#define WRITERS 4
#define NAMES 3000 /* each writer's set: names [w * NAMES / 2, w * NAMES / 2 + NAMES) */

struct writer_arg {
	struct strtab *tab;
	unsigned w;
	uint32_t ids[NAMES];
};

static void *writer_main(void *p)
{
	struct writer_arg *a = p;
	char s[32];
	/* Every other writer walks its set backwards, so first sights race. */
	for (unsigned k = 0; k < NAMES; k++) {
		unsigned i = a->w % 2 ? NAMES - 1 - k : k;
		snprintf(s, sizeof s, "name-%u", a->w * (NAMES / 2) + i);
		a->ids[i] = strtab_intern_cstr(a->tab, s);
		/* Readable at once, by the thread that got it. */
		if (strcmp(strtab_get(a->tab, a->ids[i]), s) != 0)
			a->ids[i] = STRTAB_NONE;
	}
	return NULL;
}

struct reader_arg {
	struct strtab *tab;
	_Atomic int *stop;
	size_t bad;
};

static void *reader_main(void *p)
{
	struct reader_arg *a = p;
	while (!*a->stop) {
		uint32_t n = strtab_count(a->tab);
		for (uint32_t id = 1; id < n; id++) {
			const char *text = strtab_get(a->tab, id);
			if (strncmp(text, "name-", 5) != 0 || strlen(text) != strtab_len(a->tab, id))
				a->bad++;
		}
	}
	return NULL;
}

static void interns_from_several_threads_at_once(void **state)
{
	(void)state;
	struct strtab *t = strtab_create();
	static struct writer_arg args[WRITERS];
	pthread_t writers[WRITERS], reader;
	_Atomic int stop = 0;
	struct reader_arg ra = { .tab = t, .stop = &stop };
	assert_int_equal(pthread_create(&reader, NULL, reader_main, &ra), 0);
	for (unsigned w = 0; w < WRITERS; w++) {
		args[w] = (struct writer_arg){ .tab = t, .w = w };
		assert_int_equal(pthread_create(&writers[w], NULL, writer_main, &args[w]), 0);
	}
	for (unsigned w = 0; w < WRITERS; w++)
		pthread_join(writers[w], NULL);
	stop = 1;
	pthread_join(reader, NULL);
	assert_int_equal(ra.bad, 0);

	/* Distinct names: (WRITERS + 1) halves of the set. */
	unsigned distinct = (WRITERS + 1) * (NAMES / 2);
	assert_int_equal(strtab_count(t), distinct + 1);
	char s[32];
	for (unsigned w = 0; w < WRITERS; w++) {
		for (unsigned i = 0; i < NAMES; i++) {
			assert_int_not_equal(args[w].ids[i], STRTAB_NONE);
			snprintf(s, sizeof s, "name-%u", w * (NAMES / 2) + i);
			assert_string_equal(strtab_get(t, args[w].ids[i]), s);
			assert_int_equal(strtab_intern_cstr(t, s), args[w].ids[i]);
		}
		if (w > 0) /* the overlap: the same name got the same id in both threads */
			for (unsigned i = 0; i < NAMES / 2; i++)
				assert_int_equal(args[w].ids[i], args[w - 1].ids[NAMES / 2 + i]);
	}
	strtab_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(interns_once_and_returns_copies),
		cmocka_unit_test(grows_past_its_first_index_and_chunk),
		cmocka_unit_test(interns_from_several_threads_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
