/*
 * Ingest and analysis: span records through the store, with what the
 * explorer computes for every completed trace (attribution, query
 * statistics, findings, the window). The traces are real ones: naive at
 * 1000 users, captured once and replayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/findings.h"
#include "obslab/request.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/sqltrace.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"
#include "obslab/recent.h"

struct analysis_load {
	struct strtab *names;
	struct findings findings;
	struct recent_stats *window;
	struct findings_config cfg;
	uint64_t checksum;
};

static void observe(void *ctx, const struct trace *t)
{
	struct analysis_load *a = ctx;
	struct attribution at = analysis_attribution(t);
	struct query_stat q[8];
	size_t n = analysis_query_stats(t, q, 8);
	findings_detect(&a->findings, t, &a->cfg, a->names);
	recent_add(a->window, t, 0);
	a->checksum += (uint64_t)at.app_ns + n + a->findings.n;
}

int bench_ingest(void);
int bench_ingest(void)
{
	struct analysis_load a = { .names = strtab_create(), .cfg = { 5, 0 } };
	findings_init(&a.findings);
	a.window = malloc(sizeof *a.window);
	recent_init(a.window, 0);
	struct span_record *trace;
	size_t n = bench_capture(a.names, 1000, &trace);
	size_t replays = bench_size(400, 4);
	double rates[5];
	for (int r = 0; r < 5; r++) {
		struct store *store = store_create((struct store_limits){ STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS, STORE_DEFAULT_MAX_BYTES });
		store_set_observer(store, observe, &a);
		int64_t t0 = clock_now_ns();
		for (size_t k = 0; k < replays; k++) {
			for (size_t i = 0; i < n; i++)
				trace[i].trace_seq = (uint32_t)(k + 1);
			store_ingest(store, trace, n);
		}
		int64_t ns = clock_now_ns() - t0;
		rates[r] = (double)(n * replays) / ((double)ns / 1e9) / 1e6;
		store_destroy(store);
	}
	double rate = bench_median(rates, 5);
	bench_row("4. ingest + attribution, stats, findings", rate, "M/s", "target 5 M spans/s", rate / 5, ">= 5 M spans/s",
	          rate >= 5);
	bench_note("%zu-span naive traces replayed %zu times (checksum %llu)", n, replays,
	           (unsigned long long)(a.checksum % 1000));
	free(trace);
	free(a.window);
	findings_free(&a.findings);
	strtab_destroy(a.names);
	return 0;
}
