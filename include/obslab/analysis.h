/*
 * analysis — pure functions over stored traces: where a request's time went.
 *
 * Attribution partitions the root span's duration exactly. What the parts
 * are depends on where the trace came from (struct attribution's kind), and
 * every printer labels them by it:
 *
 * The lab's traces (ATTRIBUTION_LAB):
 *   network = the simulated round trips waited inside query spans, each
 *             at the start of its span ([start, start + wait), clipped to
 *             the span), their union: concurrent waits count once,
 *   database = the time covered by query spans (their interval union,
 *              clipped to the root, so overlaps count once) minus network,
 *   app = the rest of the root: time no query span covers; calls = 0.
 *
 * The lab's traces on PostgreSQL (ATTRIBUTION_PG: a database span's
 * db_system is SPAN_DB_POSTGRESQL): the same rules, but each query's wait
 * is its measured round trip (pg.h: min(the connection's measured round
 * trip, the query's duration)), nothing simulated; so network is
 * "network (measured round trip)" and database "database (client time −
 * measured round trip)". A pipeline's queries overlap: their intervals and
 * their waits are merged as above, so the parts still add up to the total.
 *
 * Foreign traces (ATTRIBUTION_FOREIGN: read from someone else's file, their
 * spans SPAN_F_FOREIGN): nothing was simulated, so the network cannot be
 * told apart from the database:
 *   database (printed "database incl. network") = the interval union of
 *             the database spans (SPAN_F_DB) clipped to the root,
 *   calls = the time covered by other CLIENT spans (HTTP, RPC: kind 3
 *           without SPAN_F_DB), clipped to the root, that no database span
 *           covers (a database call made inside a downstream call counts as
 *           database),
 *   app (printed "own") = the rest of the root: no client span open,
 *   network = 0, always.
 * app + database + network + calls == root duration, to the nanosecond.
 *
 * Per service (analysis_services): for each service.name among a foreign
 * trace's spans, the time at least one of that service's spans was open
 * (clipped to the root), split the same way over that service's own spans:
 * its database calls, its other client calls, its own time. A service's
 * figures add up to its busy time; services overlap (a caller waits while
 * its callee works), so their busy times add up to more than the trace.
 *
 * Query statistics group database calls by fingerprint, over one trace or
 * any set of calls (analysis_calls_group: the one implementation).
 * No state, any thread; functions that allocate scratch space free it
 * before returning, except analysis_services, whose array the caller frees.
 */
#ifndef OBSLAB_ANALYSIS_H
#define OBSLAB_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct span_record;
struct trace;

/* Which rules made an attribution, and so what its parts may be called. */
enum attribution_kind {
	ATTRIBUTION_LAB,     /* app, database, network (simulated) */
	ATTRIBUTION_FOREIGN, /* own, database incl. network, calls; no network part */
	ATTRIBUTION_PG,      /* app, database (client time − round trip), network (measured round trip) */
};

struct attribution {
	int64_t total_ns;
	int64_t app_ns;     /* lab: app; foreign: own time */
	int64_t db_ns;      /* lab: database; foreign: database incl. network */
	int64_t network_ns; /* lab: simulated round trips; foreign: 0 */
	int64_t calls_ns;   /* foreign: other client calls; lab: 0 */
	uint32_t queries;   /* database spans in the trace */
	uint32_t calls;     /* foreign: non-database CLIENT spans */
	uint8_t kind;       /* enum attribution_kind */
};

/* The trace's spans must be sorted by start (as the store keeps them). */
struct attribution analysis_attribution(const struct trace *t);

/* Whether t is someone else's (any of its spans is SPAN_F_FOREIGN). */
bool analysis_trace_foreign(const struct trace *t);

/* The labels of an attribution's parts, as every printer shows them:
 * "app"/"own", "database"/"database incl. network"/"database (client time
 * − measured round trip)", "network (simulated)"/"network (measured round
 * trip)" (NULL for a foreign one: it has none), "calls" (NULL for the
 * lab's). */
const char *attribution_label_app(const struct attribution *a);
const char *attribution_label_db(const struct attribution *a);
const char *attribution_label_network(const struct attribution *a);
const char *attribution_label_calls(const struct attribution *a);

/* One service's part of a foreign trace (see above). */
struct service_attribution {
	const char *service;  /* its service.name, text in t->otel; NULL: the resource has none */
	struct attribution a; /* kind FOREIGN; total_ns = the time its spans were open */
	uint32_t spans;       /* its spans in the trace */
};

/* The services of t, in order of their first span (the root's first), in
 * a new array the caller frees (NULL with *n = 0 for a lab trace or one
 * without details). O(n log n). */
struct service_attribution *analysis_services(const struct trace *t, size_t *n);

/* Many requests' attributions side by side, one array per part, for their
 * medians (what a comparison's cell, a report and a run keep). Zero it to
 * start; it owns its arrays: attribution_series_free frees and empties. */
struct attribution_series {
	size_t n, cap;
	int64_t *total, *app, *db, *network, *calls, *queries;
	uint8_t kind; /* the kind of the attributions added (keep one kind a series) */
};

void attribution_series_add(struct attribution_series *s, struct attribution a);
void attribution_series_free(struct attribution_series *s);
/* Each part's median over the series, as analysis_median takes it; the
 * series keeps its order. All 0 when it is empty. */
struct attribution attribution_series_medians(const struct attribution_series *s);

/* One fingerprint's queries within one trace (or a set of calls).
 * Percentiles are exact (nearest rank over the calls' own durations). */
struct query_stat {
	uint32_t fingerprint; /* strtab id */
	uint32_t calls;
	/* total_ns: the calls' wall-clock time. Over one trace
	 * (analysis_query_stats) the union of their intervals, so calls that
	 * overlapped (a pipeline's) count once; summed_ns is their durations
	 * summed, larger than total_ns only when they overlapped. The mean and
	 * the percentiles are per call (per span): mean_ns = summed_ns / calls. */
	int64_t total_ns, summed_ns, mean_ns, min_ns, max_ns, p50_ns, p95_ns, p99_ns;
	uint64_t rows;        /* summed over the calls whose rows are known */
	uint32_t rows_known;  /* those calls: every lab call; a foreign one when
	                       * the file gave db.response.returned_rows */
	uint64_t fullscan_steps;
	int64_t network_ns;
	double share; /* total_ns / the root's duration */
};

/* Sorts query statistics the way every list shows them: most total time
 * first, ties by fingerprint. */
void analysis_sort_queries(struct query_stat *q, size_t n);

/* Nested database spans (an ORM's span with db.* attributes around its
 * driver's span with the same): a database span that has a database span
 * among its ancestors is part of that statement and is not counted again;
 * the outermost one counts (query statistics, findings, the report).
 * Returns NULL when no database span of t is nested (the lab's traces
 * never are), else an array of t->nspans flags, true for a nested one,
 * owned by the caller (free). O(n log n), iterative. */
bool *analysis_db_nested(const struct trace *t);

/* Fills out[0..cap) with t's fingerprints, most total time first; returns
 * how many fingerprints the trace has (which may exceed cap). Nested
 * database spans (analysis_db_nested) are left out. A fingerprint's total
 * (and share) is the wall-clock union of its spans: overlapping calls
 * count once; sequential ones give their sum. */
size_t analysis_query_stats(const struct trace *t, struct query_stat *out, size_t cap);

/* Statistics of many traces' calls (analysis_calls_group over a store's
 * traces) made wall-clock trace by trace: where a fingerprint's calls
 * overlapped within a trace (a pipeline's), its total loses what they
 * overlapped (analysis_query_stats' summed_ns - total_ns for that trace);
 * summed_ns keeps the plain sum. Re-sorted most total first. */
struct store;
void analysis_queries_wall_clock(const struct store *store, struct query_stat *q, size_t n);

/* One database call, as the grouping takes it (16 + 16 bytes). */
struct query_call {
	uint32_t fingerprint;
	uint32_t rows;
	uint32_t fullscan_steps;
	uint32_t net_wait_ns;
	int64_t duration_ns;
	uint8_t rows_known;
};

/* The call of a database span (rows known unless it is a foreign span whose
 * file gave none). */
struct query_call analysis_call_of(const struct span_record *s);
/* Sorts calls by fingerprint, then duration: what analysis_calls_group needs. */
void analysis_calls_sort(struct query_call *calls, size_t n);
/* Groups sorted calls by fingerprint: fills out[0..cap) with the cap
 * fingerprints of most total time, most first (share: total / share_of_ns,
 * 0 when share_of_ns <= 0); returns how many fingerprints there are (which
 * may exceed cap; cap 0 only counts). O(n + groups x log cap). */
size_t analysis_calls_group(const struct query_call *sorted, size_t n, int64_t share_of_ns, struct query_stat *out,
                            size_t cap);

/* Rounds parts for display so the rounded figures still add up: units[i]
 * is parts[i]'s share of total_units (largest remainder method), and
 * units[0..n) sums to total_units exactly. Used for milliseconds (units of
 * 1 µs) and percentages (units of 0.1 %). Parts must be >= 0. */
void analysis_apportion(const int64_t *parts, size_t n, int64_t total_units, int64_t *units);

/* The median of v[0..n) (the lower middle for even n); sorts v in place. 0 if n == 0. */
int64_t analysis_median(int64_t *v, size_t n);

#endif
