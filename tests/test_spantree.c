/* spantree: a trace's parent/child links — children in start order, orphans
 * under the root, lookups by id, reuse across builds, runs of the same
 * query — on constructed traces and on a real one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/span.h"
#include "obslab/spantree.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define N SPANTREE_NONE

static struct trace trace_of(struct span_record *spans, size_t n)
{
	return (struct trace){ .seq = 1, .spans = spans, .nspans = n };
}

static struct span_record span(uint64_t id, uint64_t parent, uint32_t name)
{
	return (struct span_record){ .span_id = id, .parent_id = parent, .name = name, .kind = SPAN_KIND_INTERNAL };
}

/* The children of i, in order, into out; returns how many. */
static size_t children(const struct spantree *tree, uint32_t i, uint32_t *out, size_t cap)
{
	size_t n = 0;
	for (uint32_t c = tree->first_child[i]; c != N; c = tree->next_sibling[c]) {
		assert_true(n < cap);
		out[n++] = c;
	}
	if (n)
		assert_int_equal(tree->last_child[i], out[n - 1]);
	else
		assert_int_equal(tree->last_child[i], N);
	return n;
}

static void children_in_order_orphans_under_the_root(void **state)
{
	(void)state;
	/* root 100; a(200) and b(300) under it; a1, a2 under a; b1 under b;
	 * x's parent 999 is not in the trace; y names itself as its parent. */
	struct span_record s[] = {
		span(100, 0, 1), span(200, 100, 2), span(210, 200, 3), span(300, 100, 2),
		span(220, 200, 3), span(400, 999, 4), span(310, 300, 5), span(500, 500, 6),
	};
	struct trace t = trace_of(s, 8);
	struct spantree tree;
	spantree_init(&tree);
	spantree_build(&tree, &t);
	uint32_t c[8];
	assert_int_equal(children(&tree, 0, c, 8), 4);
	assert_int_equal(c[0], 1);
	assert_int_equal(c[1], 3);
	assert_int_equal(c[2], 5); /* the orphan */
	assert_int_equal(c[3], 7); /* its own parent: under the root too */
	assert_int_equal(children(&tree, 1, c, 8), 2);
	assert_int_equal(c[0], 2);
	assert_int_equal(c[1], 4);
	assert_int_equal(children(&tree, 3, c, 8), 1);
	assert_int_equal(c[0], 6);
	for (uint32_t leaf = 2; leaf < 8; leaf++)
		if (leaf != 3)
			assert_int_equal(children(&tree, leaf, c, 8), 0);

	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(spantree_find(&tree, s[i].span_id), i);
	assert_int_equal(spantree_find(&tree, 999), N);
	assert_int_equal(spantree_find(&tree, 0), N);
	assert_int_equal(spantree_find(&tree, UINT64_MAX), N);
	spantree_free(&tree);
}

static void a_child_listed_before_its_parent_still_finds_it(void **state)
{
	(void)state;
	/* Files need not list parents first: the index covers the whole trace. */
	struct span_record s[] = { span(1, 0, 1), span(3, 2, 2), span(2, 1, 3) };
	struct trace t = trace_of(s, 3);
	struct spantree tree;
	spantree_init(&tree);
	spantree_build(&tree, &t);
	assert_int_equal(tree.first_child[0], 2);
	assert_int_equal(tree.next_sibling[2], N);
	assert_int_equal(tree.first_child[2], 1);
	assert_int_equal(tree.first_child[1], N);
	spantree_free(&tree);
}

static void empty_and_unbuilt_trees_answer_none(void **state)
{
	(void)state;
	struct spantree tree;
	spantree_init(&tree);
	assert_int_equal(spantree_find(&tree, 1), N); /* never built */
	spantree_build(&tree, NULL);
	assert_int_equal(spantree_find(&tree, 1), N);
	struct trace none = trace_of(NULL, 0);
	spantree_build(&tree, &none);
	assert_int_equal(spantree_find(&tree, 1), N);
	struct span_record root = span(7, 0, 1);
	struct trace one = trace_of(&root, 1);
	spantree_build(&tree, &one);
	assert_int_equal(spantree_find(&tree, 7), 0);
	assert_int_equal(tree.first_child[0], N);
	assert_int_equal(spantree_run(&tree, &one, 0), 1);
	spantree_free(&tree);
	spantree_free(&tree); /* freeing twice is harmless: free empties */
	assert_int_equal(spantree_find(&tree, 7), N);
}

static void rebuilds_forget_the_previous_trace(void **state)
{
	(void)state;
	enum { BIG = 5000 };
	struct span_record *big = test_calloc(BIG, sizeof *big);
	/* ids spread over the whole 64-bit range, each span under the previous
	 * one every 100 (deep), else under the root */
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < BIG; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		big[i] = span(x | 1, i == 0 ? 0 : (i % 100 == 0 ? big[i - 1].span_id : big[0].span_id), (uint32_t)i);
	}
	struct trace t = trace_of(big, BIG);
	struct spantree tree;
	spantree_init(&tree);
	spantree_build(&tree, &t);
	for (size_t i = 0; i < BIG; i++)
		assert_int_equal(spantree_find(&tree, big[i].span_id), i);
	size_t under_root = 0;
	for (uint32_t c = tree.first_child[0]; c != N; c = tree.next_sibling[c])
		under_root++;
	assert_int_equal(under_root, BIG - 1 - (BIG - 1) / 100);
	assert_int_equal(tree.first_child[99], 100);

	/* A smaller trace in the same tree: the big one's ids are gone. */
	struct span_record small[] = { span(big[5].span_id + 2, 0, 1), span(42, big[5].span_id + 2, 2) };
	struct trace u = trace_of(small, 2);
	spantree_build(&tree, &u);
	assert_int_equal(spantree_find(&tree, big[5].span_id), N);
	assert_int_equal(spantree_find(&tree, big[4999].span_id), N);
	assert_int_equal(spantree_find(&tree, 42), 1);
	assert_int_equal(tree.first_child[0], 1);
	assert_int_equal(tree.next_sibling[1], N);
	spantree_free(&tree);
	test_free(big);
}

static void runs_of_the_same_query(void **state)
{
	(void)state;
	/* under the root: q q q r q, then a q of another kind, then a non-db q */
	struct span_record s[] = {
		span(1, 0, 1), span(2, 1, 7), span(3, 1, 7), span(4, 1, 7), span(5, 1, 8), span(6, 1, 7),
		span(7, 1, 7), span(8, 1, 7),
	};
	for (size_t i = 1; i < 8; i++) {
		s[i].kind = SPAN_KIND_CLIENT;
		s[i].flags = SPAN_F_DB;
	}
	s[6].kind = SPAN_KIND_INTERNAL;
	s[7].flags = 0;
	struct trace t = trace_of(s, 8);
	struct spantree tree;
	spantree_init(&tree);
	spantree_build(&tree, &t);
	assert_int_equal(spantree_run(&tree, &t, 1), 3);
	assert_int_equal(spantree_run(&tree, &t, 2), 2);
	assert_int_equal(spantree_run(&tree, &t, 3), 1);
	assert_int_equal(spantree_run(&tree, &t, 4), 1); /* r */
	assert_int_equal(spantree_run(&tree, &t, 5), 1); /* the next one differs in kind */
	assert_int_equal(spantree_run(&tree, &t, 6), 1); /* ... and this one in the db flag */
	assert_int_equal(spantree_run(&tree, &t, 7), 1); /* the last sibling */
	assert_int_equal(spantree_run(&tree, &t, 0), 1); /* the root has no siblings */
	spantree_free(&tree);
}

static void a_real_naive_trace(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	struct spantree tree;
	spantree_init(&tree);
	spantree_build(&tree, t);
	uint32_t c[32];
	/* the users query, twenty count queries, serialize */
	assert_int_equal(children(&tree, 0, c, 32), 22);
	assert_int_equal(spantree_run(&tree, t, c[0]), 1);
	assert_int_equal(spantree_run(&tree, t, c[1]), 20);
	assert_int_equal(spantree_run(&tree, t, c[21]), 1);
	assert_string_equal(strtab_get(lab.names, t->spans[c[21]].name), "serialize response");
	for (size_t i = 1; i < 22; i++) {
		assert_true(t->spans[c[i]].start_ns >= t->spans[c[i - 1]].start_ns);
		assert_int_equal(t->spans[c[i]].parent_id, t->spans[0].span_id);
	}
	/* A second build on the next trace reuses the tree. */
	lab_request(&lab, STRATEGY_OPTIMIZED);
	t = store_latest(lab.store);
	spantree_build(&tree, t);
	assert_int_equal(children(&tree, 0, c, 32), 2);
	assert_int_equal(spantree_find(&tree, t->spans[1].span_id), 1);
	spantree_free(&tree);
	lab_close(&lab);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(children_in_order_orphans_under_the_root),
		cmocka_unit_test(a_child_listed_before_its_parent_still_finds_it),
		cmocka_unit_test(empty_and_unbuilt_trees_answer_none),
		cmocka_unit_test(rebuilds_forget_the_previous_trace),
		cmocka_unit_test(runs_of_the_same_query),
		cmocka_unit_test(a_real_naive_trace),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return rc;
}
