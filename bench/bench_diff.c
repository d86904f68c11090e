/*
 * The diff of two 10 000-span traces (issue 14): tracediff_build on two
 * traces of one shape (a root, 100 handlers, 99 steps under each, names
 * drawn from small sets so repeated and reordered siblings abound), B with
 * a twentieth of its names changed. The reference, in the same run: laying
 * both traces out as waterfalls (what showing them costs already, O(n)
 * without sorting). Median of rounds. The target: within a frame at 60 Hz,
 * as the diff is built once, when d is pressed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "obslab/clock.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/tracediff.h"
#include "obslab/waterfall.h"

#define ROUNDS 21

/* A trace of about n spans: root, handlers of `per` steps each. */
static struct trace make_trace(size_t n, bool changed)
{
	size_t per = 99, handlers = (n - 1 + per) / (per + 1);
	struct trace t = { .seq = changed ? 2 : 1 };
	t.spans = calloc(1 + handlers * (per + 1), sizeof *t.spans);
	uint64_t id = 1, x = 12345;
	struct span_record *root = &t.spans[t.nspans++];
	root->span_id = id++;
	root->name = 1;
	root->end_ns = (int64_t)(n * 1000);
	for (size_t h = 0; h < handlers; h++) {
		struct span_record *hs = &t.spans[t.nspans++];
		uint64_t hid = id++;
		*hs = (struct span_record){ .span_id = hid, .parent_id = 1, .name = (uint32_t)(100 + h % 37),
		                            .start_ns = (int64_t)(h * (per + 1) * 1000) };
		hs->end_ns = hs->start_ns + (int64_t)((per + 1) * 1000);
		for (size_t s = 0; s < per; s++) {
			x = x * 6364136223846793005u + 1442695040888963407u;
			struct span_record *ss = &t.spans[t.nspans++];
			uint32_t name = (uint32_t)(200 + (x >> 40) % 13);
			if (changed && (x >> 20) % 20 == 0)
				name = 300;
			*ss = (struct span_record){ .span_id = id++, .parent_id = hid, .name = name,
			                            .flags = (x >> 50) % 2 ? SPAN_F_DB : 0,
			                            .start_ns = hs->start_ns + (int64_t)((s + 1) * 1000) };
			ss->end_ns = ss->start_ns + 500 + (int64_t)((x >> 30) % 500);
		}
	}
	return t;
}

int bench_diff(void);
int bench_diff(void)
{
	size_t n = bench_size(10000, 500);
	struct trace a = make_trace(n, false), b = make_trace(n, true);
	struct tracediff d;
	struct waterfall wf;
	tracediff_init(&d);
	waterfall_init(&wf);
	double diff_ms[ROUNDS], ref_ms[ROUNDS];
	size_t rounds = bench_size(ROUNDS, 3);
	for (size_t r = 0; r < rounds; r++) {
		int64_t t0 = clock_now_ns();
		tracediff_build(&d, &a, &b);
		int64_t t1 = clock_now_ns();
		waterfall_build(&wf, &a, NULL);
		waterfall_build(&wf, &b, NULL);
		int64_t t2 = clock_now_ns();
		diff_ms[r] = (double)(t1 - t0) / 1e6;
		ref_ms[r] = (double)(t2 - t1) / 1e6;
	}
	double dm = bench_median(diff_ms, rounds), rm = bench_median(ref_ms, rounds);
	char what[64];
	snprintf(what, sizeof what, "14. diff of two %zu-span traces", a.nspans);
	/* built once when d is pressed: it must fit in a frame (60 Hz) */
	bench_row(what, dm, "ms", "both laid out as waterfalls", rm > 0 ? dm / rm : -1, "< 16 ms (a frame)", dm < 16);
	bench_note("%zu rows: %zu spans only in A, %zu only in B", d.nrows, d.missing, d.added);
	int failed = d.nrows == 0;
	tracediff_free(&d);
	waterfall_free(&wf);
	free(a.spans);
	free(b.spans);
	return failed;
}
