/*
 * recent — the last minute's statistics in RECENT_EPOCHS rotating epochs:
 * adding a trace to the current epoch, forgetting old ones as time moves,
 * and summing the epochs into attribution and query statistics; also the
 * same sums over every trace of a store (recent_of_store).
 */
#include "obslab/recent.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/duration.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

static void clear_epoch(struct recent_epoch *e, int64_t start_ns)
{
	e->start_ns = start_ns;
	e->requests = 0;
	e->total_ns = e->app_ns = e->db_ns = e->network_ns = e->calls_ns = 0;
	e->foreign = 0;
	e->other_calls = 0;
	e->nqueries = 0; /* histograms are cleared when a slot is taken */
}

void recent_reset(struct recent_stats *w, int64_t now_ns)
{
	w->current = 0;
	for (size_t i = 0; i < RECENT_EPOCHS; i++)
		clear_epoch(&w->epoch[i], now_ns - (int64_t)(RECENT_EPOCHS + 1) * RECENT_EPOCH_NS);
	w->epoch[0].start_ns = now_ns;
}

void recent_init(struct recent_stats *w, int64_t now_ns)
{
	memset(w, 0, sizeof *w);
	recent_reset(w, now_ns);
}

/* Moves the current epoch forward to the one holding now, clearing every
 * epoch it passes: they are older than the window. */
static void advance(struct recent_stats *w, int64_t now_ns)
{
	assert(w->current < RECENT_EPOCHS);
	for (int steps = 0; steps < RECENT_EPOCHS; steps++) {
		struct recent_epoch *cur = &w->epoch[w->current];
		if (now_ns < cur->start_ns + RECENT_EPOCH_NS)
			return;
		int64_t next = cur->start_ns + RECENT_EPOCH_NS;
		w->current = (w->current + 1) % RECENT_EPOCHS;
		clear_epoch(&w->epoch[w->current], next);
	}
	/* Idle longer than the whole window: start afresh. */
	recent_reset(w, now_ns);
}

static struct recent_query *slot(struct recent_epoch *e, uint32_t fingerprint)
{
	for (size_t i = 0; i < e->nqueries; i++)
		if (e->query[i].fingerprint == fingerprint)
			return &e->query[i];
	if (e->nqueries == RECENT_MAX_FINGERPRINTS)
		return NULL;
	struct recent_query *q = &e->query[e->nqueries++];
	q->fingerprint = fingerprint;
	q->rows = q->rows_known = q->fullscan_steps = 0;
	q->busy_ns = 0;
	histogram_init(&q->durations);
	return q;
}

void recent_add(struct recent_stats *w, const struct trace *t, int64_t now_ns)
{
	if (!t || t->nspans == 0)
		return;
	advance(w, now_ns);
	struct recent_epoch *e = &w->epoch[w->current];
	struct attribution a = analysis_attribution(t);
	e->requests++;
	e->total_ns = duration_add(e->total_ns, a.total_ns);
	e->app_ns = duration_add(e->app_ns, a.app_ns);
	e->db_ns = duration_add(e->db_ns, a.db_ns);
	e->network_ns = duration_add(e->network_ns, a.network_ns);
	e->calls_ns = duration_add(e->calls_ns, a.calls_ns);
	e->foreign += a.kind == ATTRIBUTION_FOREIGN;
	/* Each fingerprint's wall-clock time in this trace (spans come in order
	 * of their starts): a pipeline's overlapping calls count once. */
	struct duration_union busy[RECENT_MAX_FINGERPRINTS] = { 0 };
	for (size_t i = 0; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (!(s->flags & SPAN_F_DB))
			continue;
		struct recent_query *q = slot(e, s->name);
		if (!q) {
			e->other_calls++;
			continue;
		}
		duration_union_add(&busy[q - e->query], s->start_ns, s->end_ns);
		histogram_record(&q->durations, span_duration_ns(s));
		struct query_call c = analysis_call_of(s);
		q->rows += c.rows;
		q->rows_known += c.rows_known;
		q->fullscan_steps += s->u.db.fullscan_steps;
	}
	for (size_t k = 0; k < e->nqueries; k++)
		e->query[k].busy_ns = duration_add(e->query[k].busy_ns, duration_union_total(&busy[k]));
}

struct recent_attribution recent_attribution(struct recent_stats *w, int64_t now_ns)
{
	advance(w, now_ns);
	struct recent_attribution sum = { 0 };
	int64_t oldest = now_ns;
	for (size_t i = 0; i < RECENT_EPOCHS; i++) {
		const struct recent_epoch *e = &w->epoch[i];
		if (e->requests == 0)
			continue;
		sum.requests += e->requests;
		sum.total_ns = duration_add(sum.total_ns, e->total_ns);
		sum.app_ns = duration_add(sum.app_ns, e->app_ns);
		sum.db_ns = duration_add(sum.db_ns, e->db_ns);
		sum.network_ns = duration_add(sum.network_ns, e->network_ns);
		sum.calls_ns = duration_add(sum.calls_ns, e->calls_ns);
		sum.foreign += e->foreign;
		if (e->start_ns < oldest)
			oldest = e->start_ns;
	}
	sum.span_ns = sum.requests ? duration_between(oldest, now_ns) : 0;
	return sum;
}

/* The mean, kept between the min and the max when the sum has saturated. */
static int64_t mean_of(const struct histogram *h)
{
	if (h->count == 0)
		return 0;
	int64_t mean = h->sum / (int64_t)h->count;
	return mean < h->min ? h->min : mean > h->max ? h->max : mean;
}

size_t recent_query_stats(struct recent_stats *w, int64_t now_ns, struct query_stat *out, size_t cap)
{
	struct recent_attribution a = recent_attribution(w, now_ns);
	uint32_t seen[RECENT_EPOCHS * RECENT_MAX_FINGERPRINTS];
	size_t n = 0;
	for (size_t i = 0; i < RECENT_EPOCHS; i++) {
		const struct recent_epoch *e = &w->epoch[i];
		for (size_t k = 0; k < e->nqueries; k++) {
			size_t m = 0;
			while (m < n && seen[m] != e->query[k].fingerprint)
				m++;
			if (m == n)
				seen[n++] = e->query[k].fingerprint;
		}
	}
	struct query_stat *all = xmalloc_array(n, sizeof *all);
	struct histogram *h = xmalloc(sizeof *h);
	/* One fingerprint at a time: its epochs merged into one histogram. */
	for (size_t m = 0; m < n; m++) {
		histogram_init(h);
		uint64_t rows = 0, known = 0, scans = 0;
		int64_t busy = 0;
		for (size_t i = 0; i < RECENT_EPOCHS; i++) {
			const struct recent_epoch *e = &w->epoch[i];
			for (size_t k = 0; k < e->nqueries; k++) {
				if (e->query[k].fingerprint != seen[m])
					continue;
				histogram_merge(h, &e->query[k].durations);
				rows += e->query[k].rows;
				known += e->query[k].rows_known;
				scans += e->query[k].fullscan_steps;
				busy = duration_add(busy, e->query[k].busy_ns);
			}
		}
		all[m] = (struct query_stat){
			.fingerprint = seen[m],
			.calls = (uint32_t)h->count,
			.total_ns = busy,
			.summed_ns = h->sum,
			.mean_ns = mean_of(h),
			.min_ns = h->min,
			.max_ns = h->max,
			.p50_ns = histogram_percentile(h, 50),
			.p95_ns = histogram_percentile(h, 95),
			.p99_ns = histogram_percentile(h, 99),
			.rows = rows,
			.rows_known = known > UINT32_MAX ? UINT32_MAX : (uint32_t)known,
			.fullscan_steps = scans,
			.share = a.total_ns > 0 ? (double)busy / (double)a.total_ns : 0.0,
		};
	}
	analysis_sort_queries(all, n);
	memcpy(out, all, (n < cap ? n : cap) * sizeof *out);
	free(all);
	free(h);
	return n;
}

struct recent_stats *recent_of_store(const struct store *store)
{
	struct recent_stats *w = xmalloc(sizeof *w);
	recent_init(w, 0);
	for (size_t i = 0; i < store_trace_count(store); i++)
		recent_add(w, store_trace(store, i), 0);
	return w;
}
