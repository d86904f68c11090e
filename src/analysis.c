/*
 * analysis — attribution of a request's time (one sweep over the spans,
 * merging query intervals), per-fingerprint query statistics of one trace,
 * display rounding that keeps sums, medians, and the attribution series
 * that keep many requests' parts side by side (analysis.h has the rules).
 */
#include "obslab/analysis.h"

#include <stdlib.h>
#include <string.h>

#include "obslab/duration.h"
#include "obslab/otel.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/xalloc.h"

/* The length of a union of intervals added in order of their starts. */
struct run {
	int64_t total, start, end;
};

static void run_add(struct run *r, int64_t lo, int64_t hi)
{
	if (lo > r->end) {
		r->total = duration_add(r->total, duration_between(r->start, r->end));
		r->start = lo;
		r->end = hi;
	} else if (hi > r->end) {
		r->end = hi;
	}
}

static int64_t run_total(const struct run *r)
{
	return duration_add(r->total, duration_between(r->start, r->end));
}

bool analysis_trace_foreign(const struct trace *t)
{
	if (!t)
		return false;
	/* A foreign trace's root is foreign, or a placeholder over foreign spans. */
	for (size_t i = 0; i < t->nspans; i++) {
		if (t->spans[i].flags & SPAN_F_FOREIGN)
			return true;
		if (!(t->spans[i].flags & SPAN_F_PLACEHOLDER))
			return false;
	}
	return false;
}

static bool is_call(const struct span_record *s)
{
	return s->kind == SPAN_KIND_CLIENT && !(s->flags & SPAN_F_DB);
}

/* The three unions a foreign attribution needs, over the spans for which
 * keep(ctx, i) holds, clipped to [lo, hi): every kept span, the database
 * spans, the database and call spans. Spans come in start order. */
struct unions {
	struct run all, db, client;
	uint32_t queries, calls;
};

static void unions_add(struct unions *u, const struct span_record *s, int64_t lo, int64_t hi)
{
	int64_t a = s->start_ns < lo ? lo : s->start_ns;
	int64_t b = s->end_ns > hi ? hi : s->end_ns;
	bool db = (s->flags & SPAN_F_DB) != 0, call = is_call(s);
	u->queries += db;
	u->calls += call;
	if (b <= a)
		return;
	run_add(&u->all, a, b);
	if (db)
		run_add(&u->db, a, b);
	if (db || call)
		run_add(&u->client, a, b);
}

/* Own, database incl. network, calls: a partition of total (see analysis.h). */
static struct attribution unions_split(const struct unions *u, int64_t total)
{
	struct attribution a = { .kind = ATTRIBUTION_FOREIGN, .total_ns = total };
	int64_t client = run_total(&u->client);
	a.db_ns = run_total(&u->db);
	a.calls_ns = duration_sub(client, a.db_ns);
	a.app_ns = duration_sub(total, client);
	a.queries = u->queries;
	a.calls = u->calls;
	return a;
}

static struct unions unions_start(int64_t at)
{
	struct unions u = { 0 };
	u.all = u.db = u.client = (struct run){ 0, at, at };
	return u;
}

static struct attribution foreign_attribution(const struct trace *t)
{
	const struct span_record *root = &t->spans[0];
	struct unions u = unions_start(root->start_ns);
	for (size_t i = 1; i < t->nspans; i++)
		unions_add(&u, &t->spans[i], root->start_ns, root->end_ns);
	return unions_split(&u, span_duration_ns(root));
}

struct attribution analysis_attribution(const struct trace *t)
{
	struct attribution a = { 0 };
	if (!t || t->nspans == 0)
		return a;
	if (analysis_trace_foreign(t))
		return foreign_attribution(t);
	const struct span_record *root = &t->spans[0];
	a.total_ns = span_duration_ns(root);

	/* Spans are sorted by start, so one sweep merges the query intervals,
	 * and their waits: a query waits for its round trip first (the lab's
	 * bars draw it so), [start, start + wait), so waits start in order too. */
	struct run query = { 0 }, wait = { 0 };
	bool pg = false;
	for (size_t i = 1; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (!(s->flags & SPAN_F_DB))
			continue;
		a.queries++;
		pg |= s->db_system == SPAN_DB_POSTGRESQL;
		int64_t lo = s->start_ns < root->start_ns ? root->start_ns : s->start_ns;
		int64_t hi = s->end_ns > root->end_ns ? root->end_ns : s->end_ns;
		if (hi <= lo)
			continue;
		run_add(&query, lo, hi);
		int64_t wait_end = duration_add(s->start_ns, (int64_t)s->u.db.net_wait_ns);
		if (wait_end > hi)
			wait_end = hi;
		if (wait_end > lo)
			run_add(&wait, lo, wait_end);
	}
	int64_t covered = run_total(&query);
	a.kind = pg ? ATTRIBUTION_PG : ATTRIBUTION_LAB;
	a.network_ns = run_total(&wait); /* inside covered: each wait lies in its query */
	a.db_ns = duration_sub(covered, a.network_ns);
	a.app_ns = duration_sub(a.total_ns, covered);
	return a;
}

const char *attribution_label_app(const struct attribution *a)
{
	return a->kind == ATTRIBUTION_FOREIGN ? "own" : "app";
}

const char *attribution_label_db(const struct attribution *a)
{
	switch (a->kind) {
	case ATTRIBUTION_FOREIGN: return "database incl. network";
	case ATTRIBUTION_PG: return "database (client time − measured round trip)";
	default: return "database";
	}
}

const char *attribution_label_network(const struct attribution *a)
{
	switch (a->kind) {
	case ATTRIBUTION_FOREIGN: return NULL;
	case ATTRIBUTION_PG: return "network (measured round trip)";
	default: return "network (simulated)";
	}
}

const char *attribution_label_calls(const struct attribution *a)
{
	return a->kind == ATTRIBUTION_FOREIGN ? "calls" : NULL;
}

/* ---- per service ---------------------------------------------------------------- */

struct res_name {
	uint32_t resource;
	uint32_t service; /* index into the output, once grouped */
	const char *name; /* NULL: none */
	size_t first;     /* the first span of this resource, in start order */
};

static int name_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int by_resource(const void *a, const void *b)
{
	const struct res_name *x = a, *y = b;
	return (x->resource > y->resource) - (x->resource < y->resource);
}

static int by_name_then_first(const void *a, const void *b)
{
	const struct res_name *x = a, *y = b;
	int c = name_cmp(x->name, y->name);
	return c ? c : (x->first > y->first) - (x->first < y->first);
}

static int by_first(const void *a, const void *b)
{
	const struct res_name *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

static uint32_t resource_of(const struct otel_set *set, const struct span_record *s)
{
	const struct otel_span *sp = otel_span_of(set, s);
	const struct otel_scope *sc = sp ? otel_span_scope(set, sp) : NULL;
	return sc ? sc->resource : UINT32_MAX;
}

/* Index of resource r in the table sorted by resource. */
static size_t find_resource(const struct res_name *tab, size_t n, uint32_t r)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tab[mid].resource < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct service_attribution *analysis_services(const struct trace *t, size_t *n)
{
	*n = 0;
	if (!t || t->nspans == 0 || !t->otel || !analysis_trace_foreign(t))
		return NULL;
	const struct otel_set *set = t->otel;
	const struct span_record *root = &t->spans[0];

	/* The distinct resources of the trace's spans, each with its first span. */
	uint32_t *span_res = xmalloc_array(t->nspans, sizeof *span_res);
	struct res_name *tab = xmalloc_array(t->nspans, sizeof *tab);
	size_t nres = 0;
	for (size_t i = 0; i < t->nspans; i++) {
		span_res[i] = resource_of(set, &t->spans[i]);
		if (span_res[i] != UINT32_MAX)
			tab[nres++] = (struct res_name){ .resource = span_res[i], .first = i };
	}
	qsort(tab, nres, sizeof *tab, by_resource);
	size_t u = 0;
	for (size_t i = 0; i < nres; i++) {
		if (u > 0 && tab[u - 1].resource == tab[i].resource) {
			if (tab[i].first < tab[u - 1].first)
				tab[u - 1].first = tab[i].first;
			continue;
		}
		tab[u] = tab[i];
		tab[u].name = otel_attrs_string(set, set->resources[tab[i].resource].attrs, "service.name");
		u++;
	}
	nres = u;

	/* Resources of one service.name are one service; services are ordered
	 * by their first span. groups[g]: a service, as its name's rank. */
	struct res_name *by_name = xmalloc_array(nres ? nres : 1, sizeof *by_name);
	struct res_name *groups = xmalloc_array(nres ? nres : 1, sizeof *groups);
	uint32_t *rank = xmalloc_array(nres ? nres : 1, sizeof *rank);
	if (nres)
		memcpy(by_name, tab, nres * sizeof *by_name);
	qsort(by_name, nres, sizeof *by_name, by_name_then_first);
	size_t nservices = 0;
	for (size_t i = 0; i < nres; i++) {
		if (i == 0 || name_cmp(by_name[i].name, by_name[i - 1].name) != 0) {
			groups[nservices] = by_name[i]; /* sorted by first within a name: the earliest */
			groups[nservices].service = (uint32_t)nservices;
			nservices++;
		}
		by_name[i].service = (uint32_t)(nservices - 1);
	}
	qsort(groups, nservices, sizeof *groups, by_first);
	for (size_t s = 0; s < nservices; s++)
		rank[groups[s].service] = (uint32_t)s;
	for (size_t i = 0; i < nres; i++)
		tab[find_resource(tab, nres, by_name[i].resource)].service = rank[by_name[i].service];

	struct service_attribution *out = xcalloc(nservices ? nservices : 1, sizeof *out);
	struct unions *acc = xmalloc_array(nservices ? nservices : 1, sizeof *acc);
	for (size_t s = 0; s < nservices; s++) {
		out[s].service = groups[s].name;
		acc[s] = unions_start(root->start_ns);
	}
	for (size_t i = 0; i < t->nspans; i++) {
		if (span_res[i] == UINT32_MAX)
			continue;
		size_t k = find_resource(tab, nres, span_res[i]);
		uint32_t s = tab[k].service;
		out[s].spans++;
		unions_add(&acc[s], &t->spans[i], root->start_ns, root->end_ns);
	}
	for (size_t s = 0; s < nservices; s++) {
		struct attribution a = unions_split(&acc[s], run_total(&acc[s].all));
		out[s].a = a;
	}
	free(acc);
	free(rank);
	free(groups);
	free(by_name);
	free(tab);
	free(span_res);
	*n = nservices;
	return out;
}

static int by_name_then_duration(const void *a, const void *b)
{
	const struct query_call *x = a, *y = b;
	if (x->fingerprint != y->fingerprint)
		return x->fingerprint < y->fingerprint ? -1 : 1;
	return (x->duration_ns > y->duration_ns) - (x->duration_ns < y->duration_ns);
}

static int by_total_desc(const void *a, const void *b)
{
	const struct query_stat *x = a, *y = b;
	if (x->total_ns != y->total_ns)
		return x->total_ns > y->total_ns ? -1 : 1;
	return (x->fingerprint > y->fingerprint) - (x->fingerprint < y->fingerprint);
}

void analysis_sort_queries(struct query_stat *q, size_t n)
{
	if (n > 1)
		qsort(q, n, sizeof *q, by_total_desc);
}

/* Nearest rank: the smallest value with at least p% of values at or below it. */
static int64_t percentile(const struct query_call *sorted, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;
	return sorted[rank ? rank - 1 : 0].duration_ns;
}

struct query_call analysis_call_of(const struct span_record *s)
{
	bool foreign = (s->flags & SPAN_F_FOREIGN) != 0;
	bool known = !foreign || (s->u.foreign.known & SPAN_KNOWN_ROWS);
	return (struct query_call){
		.fingerprint = s->name,
		.rows = known ? s->u.db.rows : 0,
		.fullscan_steps = s->u.db.fullscan_steps,
		.net_wait_ns = s->u.db.net_wait_ns,
		.duration_ns = span_duration_ns(s),
		.rows_known = known,
	};
}

void analysis_calls_sort(struct query_call *calls, size_t n)
{
	if (n > 1)
		qsort(calls, n, sizeof *calls, by_name_then_duration);
}

/* Of the kept statistics, the one a larger one replaces: the least total
 * time, the greatest fingerprint among ties (the last in list order). */
static size_t weakest(const struct query_stat *q, size_t n)
{
	size_t w = 0;
	for (size_t i = 1; i < n; i++)
		if (by_total_desc(&q[i], &q[w]) > 0)
			w = i;
	return w;
}

size_t analysis_calls_group(const struct query_call *calls, size_t n, int64_t share_of_ns, struct query_stat *out,
                            size_t cap)
{
	size_t groups = 0, kept = 0, weak = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && calls[j].fingerprint == calls[i].fingerprint)
			j++;
		groups++;
		if (cap == 0) {
			i = j;
			continue;
		}
		struct query_stat q = {
			.fingerprint = calls[i].fingerprint,
			.calls = j - i > UINT32_MAX ? UINT32_MAX : (uint32_t)(j - i),
			.min_ns = calls[i].duration_ns,
			.max_ns = calls[j - 1].duration_ns,
			.p50_ns = percentile(&calls[i], j - i, 50),
			.p95_ns = percentile(&calls[i], j - i, 95),
			.p99_ns = percentile(&calls[i], j - i, 99),
		};
		for (size_t k = i; k < j; k++) {
			q.total_ns = duration_add(q.total_ns, calls[k].duration_ns);
			q.rows += calls[k].rows;
			q.rows_known += calls[k].rows_known && q.rows_known < UINT32_MAX;
			q.fullscan_steps += calls[k].fullscan_steps;
			q.network_ns = duration_add(q.network_ns, calls[k].net_wait_ns);
		}
		q.summed_ns = q.total_ns;
		q.mean_ns = q.total_ns / (int64_t)(j - i);
		q.share = share_of_ns > 0 ? (double)q.total_ns / (double)share_of_ns : 0.0;
		/* Keep the cap largest by total time. */
		if (kept < cap) {
			out[kept++] = q;
			if (kept == cap)
				weak = weakest(out, kept);
		} else if (by_total_desc(&q, &out[weak]) < 0) {
			out[weak] = q;
			weak = weakest(out, kept);
		}
		i = j;
	}
	analysis_sort_queries(out, kept);
	return groups;
}

struct id_at {
	uint64_t id;
	size_t at;
};

static int by_id_at(const void *a, const void *b)
{
	const struct id_at *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/* The index of the first span with this id, or SIZE_MAX. */
static size_t index_of(const struct id_at *ids, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ids[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && ids[lo].id == id ? ids[lo].at : SIZE_MAX;
}

bool *analysis_db_nested(const struct trace *t)
{
	size_t n = t ? t->nspans : 0, ndb = 0;
	for (size_t i = 0; i < n; i++)
		ndb += (t->spans[i].flags & SPAN_F_DB) != 0;
	if (ndb < 2 || !analysis_trace_foreign(t))
		return NULL;
	struct id_at *ids = xmalloc_array(n, sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = (struct id_at){ t->spans[i].span_id, i };
	qsort(ids, n, sizeof *ids, by_id_at);
	/* below[i]: 0 not known yet, 1 no database ancestor, 2 one. */
	uint8_t *below = xcalloc(n, 1);
	size_t *path = xmalloc_array(n, sizeof *path);
	bool *nested = xcalloc(n, sizeof *nested), any = false;
	for (size_t i = 0; i < n; i++) {
		size_t len = 0, c = i;
		uint8_t v = 1;
		while (!below[c] && len < n) { /* climb until a database span, a known one or the top */
			path[len++] = c;
			size_t p = t->spans[c].parent_id ? index_of(ids, n, t->spans[c].parent_id) : SIZE_MAX;
			if (p == SIZE_MAX || p == c)
				break;
			if (t->spans[p].flags & SPAN_F_DB) {
				v = 2;
				break;
			}
			c = p;
		}
		if (below[c]) /* stopped at a span already known (never one on the path) */
			v = below[c];
		for (size_t k = 0; k < len; k++)
			below[path[k]] = v;
		nested[i] = (t->spans[i].flags & SPAN_F_DB) && below[i] == 2;
		any |= nested[i];
	}
	free(ids);
	free(below);
	free(path);
	if (!any) {
		free(nested);
		return NULL;
	}
	return nested;
}

struct call_at {
	uint32_t fingerprint;
	int64_t start, end;
};

static int by_fingerprint_then_start(const void *a, const void *b)
{
	const struct call_at *x = a, *y = b;
	if (x->fingerprint != y->fingerprint)
		return x->fingerprint < y->fingerprint ? -1 : 1;
	return (x->start > y->start) - (x->start < y->start);
}

/* Each fingerprint's total becomes the union of its calls' intervals (at
 * sorted by fingerprint, then start); its share follows. */
static void take_unions(struct query_stat *q, size_t nq, const struct call_at *at, size_t n, int64_t share_of_ns)
{
	for (size_t i = 0, k = 0; i < n;) {
		struct duration_union u = { 0 };
		size_t j = i;
		for (; j < n && at[j].fingerprint == at[i].fingerprint; j++)
			duration_union_add(&u, at[j].start, at[j].end);
		while (k < nq && q[k].fingerprint < at[i].fingerprint)
			k++;
		if (k < nq && q[k].fingerprint == at[i].fingerprint) {
			q[k].total_ns = duration_union_total(&u);
			q[k].share = share_of_ns > 0 ? (double)q[k].total_ns / (double)share_of_ns : 0.0;
		}
		i = j;
	}
}

static int by_fingerprint(const void *a, const void *b)
{
	const struct query_stat *x = a, *y = b;
	return (x->fingerprint > y->fingerprint) - (x->fingerprint < y->fingerprint);
}

size_t analysis_query_stats(const struct trace *t, struct query_stat *out, size_t cap)
{
	if (!t || t->nspans == 0)
		return 0;
	struct query_call *calls = xmalloc_array(t->nspans, sizeof *calls);
	struct call_at *at = xmalloc_array(t->nspans, sizeof *at);
	bool *nested = analysis_db_nested(t);
	size_t n = 0;
	for (size_t i = 0; i < t->nspans; i++)
		if ((t->spans[i].flags & SPAN_F_DB) && !(nested && nested[i])) {
			at[n] = (struct call_at){ t->spans[i].name, t->spans[i].start_ns, t->spans[i].end_ns };
			calls[n++] = analysis_call_of(&t->spans[i]);
		}
	free(nested);
	analysis_calls_sort(calls, n);
	if (n > 1)
		qsort(at, n, sizeof *at, by_fingerprint_then_start);
	/* Every fingerprint, then the unions, then the cap largest: overlapping
	 * calls may make a fingerprint smaller than the sum said. */
	int64_t root = span_duration_ns(&t->spans[0]);
	struct query_stat *all = xmalloc_array(n ? n : 1, sizeof *all);
	size_t groups = analysis_calls_group(calls, n, root, all, n);
	qsort(all, groups, sizeof *all, by_fingerprint);
	take_unions(all, groups, at, n, root);
	analysis_sort_queries(all, groups);
	if (cap > 0)
		memcpy(out, all, (groups < cap ? groups : cap) * sizeof *out);
	free(all);
	free(at);
	free(calls);
	return groups;
}

void analysis_apportion(const int64_t *parts, size_t n, int64_t total_units, int64_t *units)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)parts[i];
	int64_t given = 0;
	double rest[16] = { 0 };
	for (size_t i = 0; i < n; i++) {
		double exact = sum > 0 ? (double)parts[i] / sum * (double)total_units : 0;
		units[i] = (int64_t)exact;
		if (i < 16)
			rest[i] = exact - (double)units[i];
		given += units[i];
	}
	/* Hand the units lost to flooring to the largest remainders. */
	while (sum > 0 && given < total_units) {
		size_t best = 0;
		for (size_t i = 1; i < n && i < 16; i++)
			if (rest[i] > rest[best])
				best = i;
		units[best]++;
		rest[best] = -1;
		given++;
	}
}
