/* tracediff: two traces aligned by the path of names — the lab's naive and
 * optimized requests, foreign traces, repeated siblings, crossed orders,
 * different roots, a deep chain, and the optimized build against a naive
 * quadratic one on the same traces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/tracediff.h"
#include "obslab/waterfall.h"

/* A copy of the store's newest trace (the store may move it on the next drain). */
static struct trace copy_latest(const struct store *s)
{
	const struct trace *t = store_latest(s);
	assert_non_null(t);
	struct trace c = *t;
	c.spans = malloc(t->nspans * sizeof *t->spans);
	memcpy(c.spans, t->spans, t->nspans * sizeof *t->spans);
	return c;
}

static const char *name_of(const struct lab *lab, const struct trace *t, uint32_t span)
{
	return strtab_get(lab->names, t->spans[span].name);
}

static void naive_against_optimized(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	struct trace a = copy_latest(lab.store);
	lab_request(&lab, STRATEGY_OPTIMIZED);
	struct trace b = copy_latest(lab.store);
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &a, &b);
	/* root, users query (missing), orders ×20 (missing), the JOIN (added), serialize */
	assert_int_equal(d.nrows, 5);
	assert_int_equal(d.rows[0].status, TRACEDIFF_BOTH);
	assert_int_equal(d.rows[0].depth, 0);
	assert_int_equal(d.rows[0].ns_a, span_duration_ns(&a.spans[0]));
	assert_int_equal(d.rows[0].ns_b, span_duration_ns(&b.spans[0]));
	assert_int_equal(tracediff_delta(&d.rows[0]), d.rows[0].ns_b - d.rows[0].ns_a);
	assert_int_equal(d.rows[1].status, TRACEDIFF_MISSING);
	assert_int_equal(d.rows[1].depth, 1);
	assert_int_equal(d.rows[1].span_b, TRACEDIFF_NONE);
	assert_int_equal(d.rows[1].ns_b, 0);
	const struct tracediff_row *g = &d.rows[2];
	assert_int_equal(g->status, TRACEDIFF_MISSING);
	assert_true(g->group);
	assert_int_equal(g->count_a, 20);
	assert_int_equal(g->count_b, 0);
	int64_t sum = 0;
	for (uint32_t i = 0; i < 20; i++)
		sum += span_duration_ns(&a.spans[g->span_a + i]);
	assert_int_equal(g->ns_a, sum);
	assert_string_equal(name_of(&lab, &a, g->span_a), name_of(&lab, &a, 2));
	assert_int_equal(d.rows[3].status, TRACEDIFF_ADDED);
	assert_true(strstr(name_of(&lab, &b, d.rows[3].span_b), "JOIN") != NULL);
	assert_int_equal(d.rows[3].span_a, TRACEDIFF_NONE);
	assert_int_equal(d.rows[4].status, TRACEDIFF_BOTH);
	assert_string_equal(name_of(&lab, &b, d.rows[4].span_b), "serialize response");
	assert_int_equal(d.missing, 21);
	assert_int_equal(d.added, 1);

	/* The other way round: what was missing is added. */
	tracediff_build(&d, &b, &a);
	assert_int_equal(d.nrows, 5);
	assert_int_equal(d.missing, 1);
	assert_int_equal(d.added, 21);
	tracediff_free(&d);
	free(a.spans);
	free(b.spans);
	lab_close(&lab);
}

/* ---- hand-made traces --------------------------------------------------- */

struct made {
	struct span_record spans[16];
	struct trace t;
};

static void made_init(struct made *m)
{
	memset(m, 0, sizeof *m);
	m->t.spans = m->spans;
	m->t.seq = 1;
}

static void made_span(struct made *m, uint64_t id, uint64_t parent, uint32_t name, bool db, int64_t start, int64_t end)
{
	struct span_record *s = &m->spans[m->t.nspans++];
	s->span_id = id;
	s->parent_id = parent;
	s->name = name;
	s->flags = db ? SPAN_F_DB : 0;
	s->start_ns = start;
	s->end_ns = end;
}

/* One name table for both sides, as the store's. */
static void repeated_siblings_pair_in_order(void **state)
{
	(void)state;
	struct made a, b;
	made_init(&a);
	made_init(&b);
	/* A: root(1) → x, y, q(db) ×3    B: root(1) → q(db) ×4, x, z */
	made_span(&a, 1, 0, 1, false, 0, 100);
	made_span(&a, 2, 1, 2, false, 0, 10);
	made_span(&a, 3, 1, 3, false, 10, 20);
	for (uint64_t i = 0; i < 3; i++)
		made_span(&a, 4 + i, 1, 4, true, 20 + 10 * (int64_t)i, 25 + 10 * (int64_t)i);
	made_span(&b, 1, 0, 1, false, 0, 90);
	for (uint64_t i = 0; i < 4; i++)
		made_span(&b, 4 + i, 1, 4, true, 10 * (int64_t)i, 7 + 10 * (int64_t)i);
	made_span(&b, 2, 1, 2, false, 40, 60);
	made_span(&b, 9, 1, 9, false, 60, 61);
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &a.t, &b.t);
	/* root; x (both, crossed order); y missing; q ×3 paired, 4th added; z added */
	assert_int_equal(d.nrows, 1 + 1 + 1 + 4 + 1);
	assert_int_equal(d.rows[1].status, TRACEDIFF_BOTH);
	assert_int_equal(a.spans[d.rows[1].span_a].name, 2);
	assert_int_equal(d.rows[1].ns_a, 10);
	assert_int_equal(d.rows[1].ns_b, 20);
	assert_int_equal(tracediff_delta(&d.rows[1]), 10);
	assert_int_equal(d.rows[2].status, TRACEDIFF_MISSING);
	assert_int_equal(a.spans[d.rows[2].span_a].name, 3);
	for (size_t r = 3; r < 6; r++) {
		assert_int_equal(d.rows[r].status, TRACEDIFF_BOTH);
		assert_false(d.rows[r].group);
		assert_int_equal(d.rows[r].span_a, 3 + (r - 3)); /* the k-th with the k-th */
		assert_int_equal(d.rows[r].span_b, 1 + (r - 3));
		assert_int_equal(d.rows[r].ns_a, 5);
		assert_int_equal(d.rows[r].ns_b, 7);
	}
	assert_int_equal(d.rows[6].status, TRACEDIFF_ADDED);
	assert_int_equal(d.rows[6].span_b, 4);
	assert_int_equal(d.rows[7].status, TRACEDIFF_ADDED);
	assert_int_equal(b.spans[d.rows[7].span_b].name, 9);
	assert_int_equal(d.missing, 1);
	assert_int_equal(d.added, 2);
	tracediff_free(&d);
}

/* A group's members with children of their own: counted below it. */
static void a_group_counts_what_is_below(void **state)
{
	(void)state;
	struct made a, b;
	made_init(&a);
	made_init(&b);
	made_span(&a, 1, 0, 1, false, 0, 100);
	for (uint64_t i = 0; i < 5; i++) {
		made_span(&a, 10 + 2 * i, 1, 2, false, 10 * (int64_t)i, 10 * (int64_t)i + 8);
		made_span(&a, 11 + 2 * i, 10 + 2 * i, 3, true, 10 * (int64_t)i + 1, 10 * (int64_t)i + 2);
	}
	made_span(&b, 1, 0, 1, false, 0, 20);
	made_span(&b, 10, 1, 2, false, 0, 8);
	made_span(&b, 11, 10, 3, true, 1, 2);
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &a.t, &b.t);
	assert_int_equal(d.nrows, 2);
	assert_true(d.rows[1].group);
	assert_int_equal(d.rows[1].count_a, 5);
	assert_int_equal(d.rows[1].count_b, 1);
	assert_int_equal(d.rows[1].below_a, 5);
	assert_int_equal(d.rows[1].below_b, 1);
	assert_int_equal(d.rows[1].ns_a, 40);
	assert_int_equal(d.rows[1].ns_b, 8);
	assert_int_equal(d.missing, 8);
	assert_int_equal(d.added, 0);
	tracediff_free(&d);
}

/* A name and a query with one strtab id are different keys. */
static void a_query_is_not_a_span_of_its_name(void **state)
{
	(void)state;
	struct made a, b;
	made_init(&a);
	made_init(&b);
	made_span(&a, 1, 0, 1, false, 0, 10);
	made_span(&a, 2, 1, 5, false, 0, 5);
	made_span(&b, 1, 0, 1, false, 0, 10);
	made_span(&b, 2, 1, 5, true, 0, 5);
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &a.t, &b.t);
	assert_int_equal(d.nrows, 3);
	assert_int_equal(d.rows[1].status, TRACEDIFF_MISSING);
	assert_int_equal(d.rows[2].status, TRACEDIFF_ADDED);
	tracediff_free(&d);
}

static void different_roots_and_empty_sides(void **state)
{
	(void)state;
	struct made a, b;
	made_init(&a);
	made_init(&b);
	made_span(&a, 1, 0, 1, false, 0, 10);
	made_span(&a, 2, 1, 2, false, 0, 5);
	made_span(&b, 1, 0, 7, false, 0, 10);
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &a.t, &b.t);
	assert_int_equal(d.nrows, 3);
	assert_int_equal(d.rows[0].status, TRACEDIFF_MISSING);
	assert_int_equal(d.rows[1].status, TRACEDIFF_MISSING);
	assert_int_equal(d.rows[1].depth, 1);
	assert_int_equal(d.rows[2].status, TRACEDIFF_ADDED);
	assert_int_equal(d.rows[2].depth, 0);
	tracediff_build(&d, NULL, &a.t);
	assert_int_equal(d.nrows, 2);
	assert_int_equal(d.added, 2);
	assert_int_equal(d.rows[0].status, TRACEDIFF_ADDED);
	struct trace empty = { 0 };
	tracediff_build(&d, &a.t, &empty);
	assert_int_equal(d.nrows, 2);
	assert_int_equal(d.missing, 2);
	tracediff_build(&d, NULL, NULL);
	assert_int_equal(d.nrows, 0);
	tracediff_free(&d);
}

/* Spans whose parents name each other (a cycle the reader did not cut)
 * hang from nothing the root reaches: the build ends, with the root alone. */
static void a_parent_cycle_ends(void **state)
{
	(void)state;
	struct made a;
	made_init(&a);
	made_span(&a, 1, 0, 1, false, 0, 10);
	made_span(&a, 2, 3, 2, false, 1, 5);
	made_span(&a, 3, 2, 3, false, 2, 6);
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &a.t, &a.t);
	assert_int_equal(d.nrows, 1);
	assert_int_equal(d.rows[0].status, TRACEDIFF_BOTH);
	tracediff_free(&d);
}

/* A chain of 100 000 parents: no recursion, depth saturates. */
static void a_deep_chain(void **state)
{
	(void)state;
	size_t n = 100000;
	struct span_record *s = calloc(n, sizeof *s);
	for (size_t i = 0; i < n; i++) {
		s[i].span_id = i + 1;
		s[i].parent_id = i;
		s[i].name = (uint32_t)(i % 3 + 1);
		s[i].start_ns = (int64_t)i;
		s[i].end_ns = (int64_t)(2 * n - i);
	}
	struct trace t = { .seq = 1, .spans = s, .nspans = n };
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &t, &t);
	assert_int_equal(d.nrows, n);
	assert_int_equal(d.missing + d.added, 0);
	assert_int_equal(d.rows[n - 1].depth, UINT16_MAX);
	assert_int_equal(d.rows[n - 1].span_a, n - 1);
	tracediff_free(&d);
	free(s);
}

/* ---- foreign traces ----------------------------------------------------- */

static void two_foreign_requests(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct foreign *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	foreign_init(a, names);
	foreign_init(b, names);
	uint32_t sa = foreign_resource(a, "shop"), sb = foreign_resource(b, "shop");
	const char *sql = "SELECT * FROM orders WHERE user_id = ?";
	foreign_span(a, sa, 1, 0, SPAN_KIND_SERVER, "POST /checkout", NULL, 0, 80);
	foreign_span(a, sa, 2, 1, SPAN_KIND_CLIENT, "auth", NULL, 0, 10);
	for (uint64_t i = 0; i < 6; i++)
		foreign_span(a, sa, 3 + i, 1, SPAN_KIND_CLIENT, "SELECT shop.orders", sql, 10 + 10 * (int64_t)i,
		             18 + 10 * (int64_t)i);
	foreign_span(b, sb, 1, 0, SPAN_KIND_SERVER, "POST /checkout", NULL, 0, 30);
	foreign_span(b, sb, 2, 1, SPAN_KIND_CLIENT, "auth", NULL, 0, 12);
	foreign_span(b, sb, 3, 1, SPAN_KIND_CLIENT, "SELECT shop.orders", sql, 12, 20);
	foreign_span(b, sb, 4, 1, SPAN_KIND_CLIENT, "cache get", NULL, 20, 22);
	struct tracediff d;
	tracediff_init(&d);
	tracediff_build(&d, &a->trace, &b->trace);
	/* root, auth, the query ×6 against ×1 (one group row), cache get added */
	assert_int_equal(d.nrows, 4);
	assert_int_equal(d.rows[0].ns_a, 80);
	assert_int_equal(d.rows[0].ns_b, 30);
	assert_int_equal(tracediff_delta(&d.rows[0]), -50);
	assert_int_equal(d.rows[1].ns_a, 10);
	assert_int_equal(d.rows[1].ns_b, 12);
	assert_true(d.rows[2].group);
	assert_int_equal(d.rows[2].status, TRACEDIFF_BOTH);
	assert_int_equal(d.rows[2].count_a, 6);
	assert_int_equal(d.rows[2].count_b, 1);
	assert_int_equal(d.rows[2].ns_a, 48);
	assert_int_equal(d.rows[2].ns_b, 8);
	assert_int_equal(d.rows[3].status, TRACEDIFF_ADDED);
	assert_int_equal(d.missing, 5);
	assert_int_equal(d.added, 1);
	tracediff_free(&d);
	foreign_free(a);
	foreign_free(b);
	free(a);
	free(b);
	strtab_destroy(names);
}

/* ---- the optimized build against a naive one ---------------------------- */

/* Quadratic and recursive, as obviously right as it gets, on the same
 * rules: a parent's children cut into runs of one name; the k-th run of a
 * name in A with the k-th in B (found by counting); within two runs the
 * k-th span with the k-th, unless either run is a group (WATERFALL_MIN_GROUP
 * or more): then one row for both, not descended into. */
struct naive_run {
	uint32_t name;
	size_t first, count;
};

static size_t naive_runs(const struct trace *t, uint64_t parent, struct naive_run *out)
{
	size_t n = 0;
	for (size_t i = 1; i < t->nspans; i++) {
		if (t->spans[i].parent_id != parent)
			continue;
		if (n && out[n - 1].name == t->spans[i].name) {
			out[n - 1].count++;
			continue;
		}
		out[n++] = (struct naive_run){ t->spans[i].name, i, 1 };
	}
	return n;
}

/* The k-th child (in order) of parent within run r. */
static size_t naive_member(const struct trace *t, uint64_t parent, const struct naive_run *r, size_t k)
{
	for (size_t i = r->first; i < t->nspans; i++) {
		if (t->spans[i].parent_id == parent && k-- == 0)
			return i;
	}
	fail();
	return 0;
}

/* The spans under the k-th child of parent within run r, counted the slow way. */
static size_t naive_below(const struct trace *t, uint64_t id)
{
	size_t n = 0;
	for (size_t i = 1; i < t->nspans; i++)
		if (t->spans[i].parent_id == id)
			n += 1 + naive_below(t, t->spans[i].span_id);
	return n;
}

static size_t naive_run_below(const struct trace *t, uint64_t parent, const struct naive_run *r)
{
	size_t n = 0;
	for (size_t k = 0; k < r->count; k++)
		n += naive_below(t, t->spans[naive_member(t, parent, r, k)].span_id);
	return n;
}

struct tally {
	size_t rows, both, missing, added;
};

static void naive_count(const struct trace *a, uint64_t pa, const struct trace *b, uint64_t pb, struct tally *t)
{
	struct naive_run ra[64], rb[64];
	size_t na = pa == UINT64_MAX ? 0 : naive_runs(a, pa, ra), nb = pb == UINT64_MAX ? 0 : naive_runs(b, pb, rb);
	bool used[64] = { false };
	for (size_t i = 0; i <= na; i++) {
		size_t k = 0, j = nb;
		if (i < na) {
			for (size_t e = 0; e < i; e++)
				k += ra[e].name == ra[i].name;
			for (j = 0; j < nb; j++) {
				if (rb[j].name == ra[i].name && k-- == 0)
					break;
			}
		}
		size_t ca = i < na ? ra[i].count : 0, cb = j < nb ? rb[j].count : 0;
		if (j < nb)
			used[j] = true;
		if (i == na) { /* then B's own runs */
			for (j = 0; j < nb; j++) {
				if (used[j])
					continue;
				if (rb[j].count >= WATERFALL_MIN_GROUP) {
					t->rows++;
					t->added += rb[j].count + naive_run_below(b, pb, &rb[j]);
					continue;
				}
				for (size_t m = 0; m < rb[j].count; m++) {
					t->rows++;
					t->added++;
					naive_count(a, UINT64_MAX, b, b->spans[naive_member(b, pb, &rb[j], m)].span_id, t);
				}
			}
			break;
		}
		if (ca >= WATERFALL_MIN_GROUP || cb >= WATERFALL_MIN_GROUP) {
			t->rows++;
			t->both += cb > 0;
			size_t wa = ca + (i < na ? naive_run_below(a, pa, &ra[i]) : 0);
			size_t wb = cb + (j < nb ? naive_run_below(b, pb, &rb[j]) : 0);
			t->missing += wa > wb ? wa - wb : 0;
			t->added += wb > wa ? wb - wa : 0;
			continue;
		}
		for (size_t m = 0; m < ca || m < cb; m++) {
			t->rows++;
			uint64_t ida = m < ca ? a->spans[naive_member(a, pa, &ra[i], m)].span_id : UINT64_MAX;
			uint64_t idb = m < cb ? b->spans[naive_member(b, pb, &rb[j], m)].span_id : UINT64_MAX;
			t->both += ida != UINT64_MAX && idb != UINT64_MAX;
			t->missing += idb == UINT64_MAX;
			t->added += ida == UINT64_MAX;
			naive_count(a, ida, b, idb, t);
		}
	}
}

static void optimized_agrees_with_naive(void **state)
{
	(void)state;
	uint64_t seed = 42;
	size_t groups = 0; /* rounds where a group row stood for several spans */
	for (int round = 0; round < 500; round++) {
		struct span_record sa[32], sb[32];
		struct trace ta = { .seq = 1, .spans = sa, .nspans = 0 }, tb = { .seq = 2, .spans = sb, .nspans = 0 };
		struct trace *both_t[2] = { &ta, &tb };
		for (int side = 0; side < 2; side++) {
			struct trace *t = both_t[side];
			size_t n = 1 + (size_t)(seed >> 33) % 30;
			for (size_t i = 0; i < n; i++) {
				seed = seed * 6364136223846793005u + 1442695040888963407u;
				struct span_record *s = &t->spans[i];
				memset(s, 0, sizeof *s);
				s->span_id = i + 1;
				s->parent_id = i == 0 ? 0 : 1 + (seed >> 40) % i;
				/* few names, so that runs and now and then groups form */
				s->name = i == 0 ? 1 : (uint32_t)(2 + (seed >> 20) % ((seed >> 60) % 2 ? 2 : 4));
				s->start_ns = (int64_t)i;
				s->end_ns = (int64_t)(i + 1 + (seed >> 50) % 100);
			}
			t->nspans = n;
		}
		struct tally want = { 1, 0, 0, 0 };
		naive_count(&ta, 1, &tb, 1, &want);
		struct tracediff d;
		tracediff_init(&d);
		tracediff_build(&d, &ta, &tb);
		assert_int_equal(d.nrows, want.rows);
		size_t dboth = 0;
		for (size_t r = 1; r < d.nrows; r++)
			dboth += d.rows[r].status == TRACEDIFF_BOTH;
		assert_int_equal(dboth, want.both);
		assert_int_equal(d.missing, want.missing);
		assert_int_equal(d.added, want.added);
		groups += want.rows < ta.nspans + tb.nspans - want.both - 1;
		tracediff_free(&d);
	}
	assert_true(groups > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(naive_against_optimized),
		cmocka_unit_test(repeated_siblings_pair_in_order),
		cmocka_unit_test(a_group_counts_what_is_below),
		cmocka_unit_test(a_query_is_not_a_span_of_its_name),
		cmocka_unit_test(different_roots_and_empty_sides),
		cmocka_unit_test(a_parent_cycle_ends),
		cmocka_unit_test(a_deep_chain),
		cmocka_unit_test(two_foreign_requests),
		cmocka_unit_test(optimized_agrees_with_naive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
