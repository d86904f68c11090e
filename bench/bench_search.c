/*
 * Search: `/` over a trace of 1 M spans (the lab's naive requests at 1000
 * users, captured once and repeated under one root), with the names,
 * attributes and SQL every span is searched in (search.c). The reference,
 * measured in the same run: each span's name looked up and searched with
 * memmem, the least any search of the spans must do.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "obslab/clock.h"
#include "obslab/search.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/xalloc.h"

int bench_search(void);
int bench_search(void)
{
	struct strtab *names = strtab_create();
	struct span_record *one;
	size_t n = bench_capture(names, 1000, &one);
	size_t want = bench_size(1000 * 1000, 20 * 1000);
	struct span_record *spans = xmalloc_array(want, sizeof *spans);
	for (size_t i = 0; i < want; i++) {
		spans[i] = one[i % n];
		spans[i].span_id = i + 1;
		spans[i].parent_id = i ? 1 : 0;
	}
	struct trace t = { .seq = 1, .spans = spans, .nspans = want };
	struct search s;
	search_init(&s);
	size_t found = 0, text_found = 0;
	/* text: names, keys and text values; a number: every figure formatted too */
	static const struct {
		const char *query, *label, *target;
		double target_ms;
	} rows[] = {
		{ "user_id", "10a. search /user_id", "<= 250 ms", 250 },
		{ "209", "10b. search /209, a number", "<= 1000 ms", 1000 },
	};
	for (size_t q = 0; q < sizeof rows / sizeof rows[0]; q++) {
		const char *text = rows[q].query;
		size_t len = strlen(text), plain = 0;
		search_set_query(&s, text);
		double took[5], ref[5];
		for (int r = 0; r < 5; r++) {
			int64_t t0 = clock_now_ns();
			found = search_run(&s, &t, names, NULL);
			took[r] = (double)(clock_now_ns() - t0) / 1e6;
			t0 = clock_now_ns();
			plain = 0;
			for (size_t i = 0; i < want; i++) {
				const char *name = strtab_get(names, spans[i].name);
				plain += memmem(name, strlen(name), text, len) != NULL;
			}
			ref[r] = (double)(clock_now_ns() - t0) / 1e6;
		}
		double ms = bench_median(took, 5), ref_ms = bench_median(ref, 5);
		char what[64], reference[64];
		snprintf(what, sizeof what, "%s: %zu k spans", rows[q].label, want / 1000);
		snprintf(reference, sizeof reference, "names only, memmem: %.1f ms", ref_ms);
		bench_row(what, ms, "ms", reference, ms / ref_ms, rows[q].target, ms <= rows[q].target_ms);
		if (q == 0)
			text_found = found;
		bench_note("/%s: %zu of %zu spans matched (in their names alone: %zu)", text, found, want, plain);
	}
	search_free(&s);
	free(spans);
	free(one);
	strtab_destroy(names);
	return text_found == 0; /* the N+1 queries are found, or the search is broken */
}
