/* critpath: Jaeger's critical path over hand-made traces — sequential,
 * overlapping and nested children, children skewed past their parent, and
 * a parent of many children (the N+1 loop). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/critpath.h"
#include "obslab/span.h"
#include "obslab/store.h"

#define MS 1000000LL

static struct span_record sp(uint64_t id, uint64_t parent, int64_t start_ms, int64_t end_ms)
{
	return (struct span_record){ .span_id = id, .parent_id = parent, .start_ns = start_ms * MS,
	                             .end_ns = end_ms * MS, .name = (uint32_t)id, .kind = SPAN_KIND_INTERNAL };
}

static struct trace trace_of(struct span_record *spans, size_t n)
{
	return (struct trace){ .seq = 1, .spans = spans, .nspans = n };
}

/* The sections must tile the root's range: no gap, no overlap. */
static void assert_tiles_root(const struct critpath *cp, const struct trace *t)
{
	int64_t covered = 0;
	for (size_t i = 0; i < cp->nsections; i++) {
		assert_true(cp->sections[i].end_ns > cp->sections[i].start_ns);
		covered += cp->sections[i].end_ns - cp->sections[i].start_ns;
		if (i > 0)
			assert_true(cp->sections[i].end_ns == cp->sections[i - 1].start_ns);
	}
	assert_true(covered == t->spans[0].end_ns - t->spans[0].start_ns);
}

static void sequential_children_are_all_on_the_path(void **state)
{
	(void)state;
	/* root [0,30]: a [0,10], b [10,20], c [20,28] one after another */
	struct span_record s[] = { sp(1, 0, 0, 30), sp(2, 1, 0, 10), sp(3, 1, 10, 20), sp(4, 1, 20, 28) };
	struct trace t = trace_of(s, 4);
	struct critpath cp;
	critpath_init(&cp);
	critpath_compute(&cp, &t);
	for (int i = 0; i < 4; i++)
		assert_true(cp.on_path[i]);
	assert_int_equal(cp.nspans_on_path, 4);
	/* latest first: root's tail, c, b, a */
	assert_int_equal(cp.nsections, 4);
	assert_int_equal(cp.sections[0].span, 0);
	assert_true(cp.sections[0].start_ns == 28 * MS);
	assert_int_equal(cp.sections[1].span, 3);
	assert_int_equal(cp.sections[2].span, 2);
	assert_int_equal(cp.sections[3].span, 1);
	assert_tiles_root(&cp, &t);
	critpath_free(&cp);
}

static void overlapping_children_only_the_last_to_end_counts(void **state)
{
	(void)state;
	/* root [0,25]: a [0,15] and b [5,20] overlap; b ends last, a ends after b began */
	struct span_record s[] = { sp(1, 0, 0, 25), sp(2, 1, 0, 15), sp(3, 1, 5, 20) };
	struct trace t = trace_of(s, 3);
	struct critpath cp;
	critpath_init(&cp);
	critpath_compute(&cp, &t);
	assert_true(cp.on_path[0]);
	assert_false(cp.on_path[1]);
	assert_true(cp.on_path[2]);
	assert_int_equal(cp.nsections, 3); /* root [20,25], b [5,20], root [0,5] */
	assert_int_equal(cp.sections[1].span, 2);
	assert_true(cp.sections[2].end_ns == 5 * MS);
	assert_tiles_root(&cp, &t);

	/* Parallel children, one ending well before the other began: both count. */
	struct span_record u[] = { sp(1, 0, 0, 40), sp(2, 1, 0, 10), sp(3, 1, 2, 12), sp(4, 1, 15, 35) };
	t = trace_of(u, 4);
	critpath_compute(&cp, &t);
	assert_true(cp.on_path[3]);
	assert_true(cp.on_path[2]);  /* [2,12] ended last before 15 */
	assert_false(cp.on_path[1]); /* [0,10] ended after 2, where [2,12] began */
	assert_tiles_root(&cp, &t);
	critpath_free(&cp);
}

static void nested_children_are_recursed_into(void **state)
{
	(void)state;
	/* root [0,100] > a [10,90] > (a1 [10,40], a2 [40,80] > a2x [50,70]); b [0,5] */
	struct span_record s[] = { sp(1, 0, 0, 100), sp(6, 1, 0, 5), sp(2, 1, 10, 90), sp(3, 2, 10, 40),
	                           sp(4, 2, 40, 80), sp(5, 4, 50, 70) };
	struct trace t = trace_of(s, 6);
	struct critpath cp;
	critpath_init(&cp);
	critpath_compute(&cp, &t);
	for (int i = 0; i < 6; i++)
		assert_true(cp.on_path[i]);
	/* root [90,100], a [80,90], a2 [70,80], a2x [50,70], a2 [40,50], a1 [10,40], root [5,10], b [0,5] */
	assert_int_equal(cp.nsections, 8);
	assert_int_equal(cp.sections[3].span, 5);
	assert_true(cp.sections[3].start_ns == 50 * MS && cp.sections[3].end_ns == 70 * MS);
	assert_int_equal(cp.sections[7].span, 1);
	assert_tiles_root(&cp, &t);
	critpath_free(&cp);
}

static void skewed_children_are_clipped_to_their_parent(void **state)
{
	(void)state;
	/* root [0,50]: a [30,70] runs past the root's end (clock skew): cut at 50;
	 * b [60,80] starts after the root ended: left out, with its child;
	 * c [-10,20] starts before the root: cut at 0. */
	struct span_record s[] = { sp(4, 1, -10, 20), sp(1, 0, 0, 50), sp(2, 1, 30, 70), sp(3, 1, 60, 80),
	                           sp(5, 3, 61, 62) };
	/* spans[0] must be the root */
	struct span_record tmp = s[0];
	s[0] = s[1];
	s[1] = tmp;
	struct trace t = trace_of(s, 5);
	struct critpath cp;
	critpath_init(&cp);
	critpath_compute(&cp, &t);
	assert_true(cp.on_path[0]);
	assert_true(cp.on_path[2]);  /* a, clipped to [30,50] */
	assert_false(cp.on_path[3]); /* b: after the root */
	assert_false(cp.on_path[4]);
	assert_true(cp.on_path[1]);  /* c, clipped to [0,20] */
	assert_int_equal(cp.sections[0].span, 2);
	assert_true(cp.sections[0].end_ns == 50 * MS);
	assert_tiles_root(&cp, &t);
	critpath_free(&cp);
}

static void a_loop_of_many_queries_is_walked_once(void **state)
{
	(void)state;
	size_t n = 10001;
	struct span_record *s = calloc(n, sizeof *s);
	assert_non_null(s);
	s[0] = sp(1, 0, 0, (int64_t)n);
	for (size_t i = 1; i < n; i++)
		s[i] = sp(i + 1, 1, (int64_t)i - 1, (int64_t)i);
	struct trace t = trace_of(s, n);
	struct critpath cp;
	critpath_init(&cp);
	critpath_compute(&cp, &t);
	assert_int_equal(cp.nspans_on_path, n);
	assert_tiles_root(&cp, &t);
	/* Zero-length children, one a millisecond: each ended before the next
	 * point, so each is on the path, but the time is all the root's. */
	for (size_t i = 1; i < n; i++)
		s[i].end_ns = s[i].start_ns;
	critpath_compute(&cp, &t);
	assert_int_equal(cp.nspans_on_path, n);
	for (size_t i = 0; i < cp.nsections; i++)
		assert_int_equal(cp.sections[i].span, 0);
	assert_tiles_root(&cp, &t);
	critpath_compute(&cp, NULL);
	assert_int_equal(cp.nsections, 0);
	critpath_free(&cp);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sequential_children_are_all_on_the_path),
		cmocka_unit_test(overlapping_children_only_the_last_to_end_counts),
		cmocka_unit_test(nested_children_are_recursed_into),
		cmocka_unit_test(skewed_children_are_clipped_to_their_parent),
		cmocka_unit_test(a_loop_of_many_queries_is_walked_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
