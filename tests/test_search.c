/* search: names, attributes (lab and foreign typed values), SQL
 * fingerprints and a foreign span's db.query.text, the log; smart case;
 * the order of matches; next and previous wrapping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/logbook.h"
#include "obslab/otel.h"
#include "obslab/search.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static size_t count_kind(const struct search *s, enum search_kind kind)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += s->matches[i].kind == kind;
	return n;
}

static void lab_names_sql_and_attributes(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	assert_non_null(t);
	struct search s;
	search_init(&s);

	/* the root's name */
	assert_true(search_set_query(&s, "analytics"));
	size_t n = search_run(&s, t, lab.names, NULL);
	assert_true(n >= 1);
	assert_int_equal(s.matches[0].index, 0);
	assert_true(s.matches[0].fields & SEARCH_NAME);

	/* the N+1 loop's fingerprint: 20 queries on orders, as SQL */
	assert_true(search_set_query(&s, "from orders where"));
	n = search_run(&s, t, lab.names, NULL);
	assert_int_equal(n, 20);
	for (size_t i = 0; i < n; i++) {
		assert_true(s.matches[i].fields & SEARCH_SQL);
		assert_true(t->spans[s.matches[i].index].flags & SPAN_F_DB);
		if (i)
			assert_true(s.matches[i].index > s.matches[i - 1].index); /* in the trace's order */
	}

	/* an attribute key, and a value */
	assert_true(search_set_query(&s, "db.response.returned_rows"));
	n = search_run(&s, t, lab.names, NULL);
	assert_int_equal(n, 21); /* users, then one per user */
	assert_true(s.matches[0].fields & SEARCH_ATTR_KEY);
	assert_false(s.matches[0].fields & SEARCH_NAME);
	assert_true(search_set_query(&s, "naive"));
	n = search_run(&s, t, lab.names, NULL);
	assert_true(n >= 1);
	assert_true(s.matches[0].fields & SEARCH_ATTR_VALUE);

	/* a number is found in the figures: the users query returned 20 rows */
	assert_true(search_set_query(&s, "20"));
	assert_true(s.numeric);
	n = search_run(&s, t, lab.names, NULL);
	assert_true(search_span_fields(&s, 1) & SEARCH_ATTR_VALUE);
	assert_int_equal(t->spans[1].u.db.rows, 20);

	/* smart case: an upper-case letter makes it exact */
	assert_true(search_set_query(&s, "select"));
	assert_true(s.fold);
	assert_int_equal(search_run(&s, t, lab.names, NULL), 21);
	assert_true(search_set_query(&s, "SELECT"));
	assert_false(s.fold);
	assert_int_equal(search_run(&s, t, lab.names, NULL), 21);
	assert_true(search_set_query(&s, "Select"));
	assert_int_equal(search_run(&s, t, lab.names, NULL), 0);
	assert_int_equal(search_span_fields(&s, 1), 0);

	search_free(&s);
	lab_close(&lab);
}

static void foreign_typed_values_and_query_text(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign f;
	foreign_init(&f, names);
	uint32_t scope = foreign_resource(&f, "checkout");
	foreign_span(&f, scope, 1, 0, SPAN_KIND_SERVER, "POST /checkout", NULL, 0, 1000);
	struct span_record *db =
	        foreign_span(&f, scope, 2, 1, SPAN_KIND_CLIENT, "pg.query", "SELECT * FROM carts WHERE id = ?", 10, 200);
	foreign_span(&f, scope, 3, 1, SPAN_KIND_INTERNAL, "render", NULL, 300, 900);
	/* span 2: db.query.text as the file had it, an int and a bool */
	struct otel_set *set = f.set;
	size_t mark = otel_kv_mark(set);
	struct otel_value v = { .type = OTEL_VALUE_STRING };
	v.u.s = otel_text(set, "select * from carts where id = 42", 33);
	otel_kv_push(set, otel_text(set, "db.query.text", 13), v);
	struct otel_value iv = { .type = OTEL_VALUE_INT, .u.i = 7345 };
	otel_kv_push(set, otel_text(set, "cart.items", 10), iv);
	struct otel_value bv = { .type = OTEL_VALUE_BOOL, .u.b = true };
	otel_kv_push(set, otel_text(set, "cache.hit", 9), bv);
	uint32_t count;
	uint32_t first = otel_kv_commit(set, mark, &count);
	struct otel_span *sp = &set->spans[db->u.foreign.detail];
	sp->attrs.first = first;
	sp->attrs.count = count;

	struct search s;
	search_init(&s);
	/* the foreign span's own name, never its fingerprint as a name */
	search_set_query(&s, "pg.query");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 1);
	assert_int_equal(s.matches[0].index, 1);
	assert_int_equal(s.matches[0].fields, SEARCH_NAME);
	/* db.query.text as the file had it (42, not ?) is SQL and a value */
	search_set_query(&s, "id = 42");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 1);
	assert_true(s.matches[0].fields & SEARCH_SQL);
	assert_true(s.matches[0].fields & SEARCH_ATTR_VALUE);
	/* the fingerprint, as SQL */
	search_set_query(&s, "id = ?");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 1);
	assert_int_equal(s.matches[0].fields, SEARCH_SQL);
	/* typed values, formatted as the details pane shows them */
	search_set_query(&s, "7345");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 1);
	assert_int_equal(s.matches[0].fields, SEARCH_ATTR_VALUE);
	search_set_query(&s, "true");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 1);
	search_set_query(&s, "cache.hit");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 1);
	assert_int_equal(s.matches[0].fields, SEARCH_ATTR_KEY);
	/* smart case over a foreign name */
	search_set_query(&s, "post");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 1);
	search_set_query(&s, "Post");
	assert_int_equal(search_run(&s, &f.trace, names, NULL), 0);

	search_free(&s);
	foreign_free(&f);
	strtab_destroy(names);
}

static void log_lines_follow_spans_and_steps_wrap(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign f;
	foreign_init(&f, names);
	uint32_t scope = foreign_resource(&f, "shop");
	foreign_span(&f, scope, 1, 0, SPAN_KIND_SERVER, "GET /cart", NULL, 0, 1000);
	foreign_span(&f, scope, 2, 1, SPAN_KIND_INTERNAL, "load cart", NULL, 10, 100);
	foreign_span(&f, scope, 3, 1, SPAN_KIND_INTERNAL, "price", NULL, 100, 200);
	foreign_span(&f, scope, 4, 1, SPAN_KIND_INTERNAL, "save cart", NULL, 200, 300);
	struct logbook *lb = calloc(1, sizeof *lb);
	logbook_init(lb);
	logbook_add(lb, LOG_INFO, 1, "opened a file");
	logbook_add(lb, LOG_WARN, 2, "cart is slow");
	logbook_add(lb, LOG_INFO, 3, "nothing here");

	struct search s;
	search_init(&s);
	search_set_query(&s, "cart");
	assert_int_equal(search_run(&s, &f.trace, names, lb), 4);
	assert_int_equal(count_kind(&s, SEARCH_SPAN), 3);
	assert_int_equal(s.nspan_matches, 3);
	assert_int_equal(s.matches[0].index, 0); /* GET /cart */
	assert_int_equal(s.matches[1].index, 1);
	assert_int_equal(s.matches[2].index, 3);
	assert_int_equal(s.matches[3].kind, SEARCH_LOG);
	assert_int_equal(s.matches[3].index, 1);
	assert_int_equal(search_span_fields(&s, 2), 0);

	/* next wraps from the last to the first, previous the other way */
	assert_int_equal(s.current, 0);
	assert_int_equal(search_step(&s, -1), 3);
	assert_int_equal(search_step(&s, 1), 0);
	assert_int_equal(search_step(&s, 1), 1);
	assert_int_equal(search_step(&s, 1), 2);
	assert_int_equal(search_step(&s, 1), 3);
	assert_int_equal(search_step(&s, 1), 0);
	/* a run again keeps the place, within the new count */
	search_step(&s, -1);
	logbook_add(lb, LOG_INFO, 4, "another cart line");
	assert_int_equal(search_run(&s, &f.trace, names, lb), 5);
	assert_int_equal(s.current, 3);
	assert_int_equal(search_run(&s, NULL, names, NULL), 0);
	assert_int_equal(search_step(&s, 1), 0);

	free(lb);
	search_free(&s);
	foreign_free(&f);
	strtab_destroy(names);
}

static void queries_empty_long_and_found_where(void **state)
{
	(void)state;
	struct search s;
	search_init(&s);
	assert_false(search_set_query(&s, ""));
	assert_int_equal(search_find(&s, "abc", 3, 0), SIZE_MAX);
	char longq[SEARCH_QUERY_MAX + 100]; /* longer than the engine keeps */
	memset(longq, 'a', sizeof longq - 1);
	longq[sizeof longq - 1] = '\0';
	assert_true(search_set_query(&s, longq));
	assert_int_equal(s.qlen, SEARCH_QUERY_MAX - 1);
	/* a UTF-8 query is not cut inside a character */
	char utf[SEARCH_QUERY_MAX + 4];
	memset(utf, 'x', SEARCH_QUERY_MAX - 2);
	memcpy(utf + SEARCH_QUERY_MAX - 2, "\xc3\xa9", 3);
	search_set_query(&s, utf);
	assert_int_equal(s.qlen, SEARCH_QUERY_MAX - 2);
	search_set_query(&s, "ab");
	assert_int_equal(search_find(&s, "xxABxab", 7, 0), 2);
	assert_int_equal(search_find(&s, "xxABxab", 7, 3), 5);
	assert_int_equal(search_find(&s, "xxABxa", 6, 3), SIZE_MAX);
	/* text with a NUL in it is searched by its length */
	assert_int_equal(search_find(&s, "a\0ab", 4, 0), 2);
	search_set_query(&s, "AB");
	assert_int_equal(search_find(&s, "abAB", 4, 0), 2);
	search_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lab_names_sql_and_attributes),
		cmocka_unit_test(foreign_typed_values_and_query_text),
		cmocka_unit_test(log_lines_follow_spans_and_steps_wrap),
		cmocka_unit_test(queries_empty_long_and_found_where),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
