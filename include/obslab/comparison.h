/*
 * comparison — the original lab's comparison table, from measured traces.
 *
 * Feed it every completed trace (comparison_add ignores all but the roots
 * a plan flagged SPAN_F_MEASURED, and cancelled ones); it keeps each
 * request's attribution per (users, strategy) cell, and comparison_rows
 * reports each cell's median request: the request whose total is the
 * median total (the lower middle of an even count), and every figure of
 * the row is that one request's:
 *   queries, total, database, network (simulated) and app time, so
 *   database + network + app == total exactly,
 *   db_share = its (database + network) / total: the share of the request
 *   spent waiting on database calls, round trips included, as the app sees
 *   it (never above 1: medians of the parts taken apart could add up to
 *   more than the median total),
 *   speedup_vs_naive = naive's median total / this median total (same users).
 * Memory grows with the requests measured (a plan bounds them); free with
 * comparison_clear. One thread.
 */
#ifndef OBSLAB_COMPARISON_H
#define OBSLAB_COMPARISON_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/analysis.h"
#include "obslab/request.h"
#include "obslab/workload.h"

struct trace;

#define COMPARISON_MAX_CELLS (PLAN_MAX_SCALES * STRATEGY_COUNT)

struct comparison_cell {
	uint32_t users;
	enum strategy strategy;
	struct attribution_series requests; /* the measured requests, in arrival order */
};

struct comparison {
	size_t ncells;
	struct comparison_cell cell[COMPARISON_MAX_CELLS];
};

struct comparison_row {
	uint32_t users;
	enum strategy strategy;
	size_t requests;
	uint32_t queries_per_request;
	/* the median request's (see above): db + network + app == total */
	int64_t median_total_ns, median_db_ns, median_network_ns, median_app_ns;
	double db_share;
	double speedup_vs_naive; /* 0 when naive was not measured at these users */
};

void comparison_init(struct comparison *c);
void comparison_clear(struct comparison *c); /* frees, and empties */
void comparison_add(struct comparison *c, const struct trace *t);
/* Rows sorted by users, then naive, optimized, eager, pipelined (measured
 * on PostgreSQL only). Returns the count. */
size_t comparison_rows(const struct comparison *c, struct comparison_row *out, size_t cap);

/* How the strategy's query count grows with N users: "N + 1", "1", "1 + N/500",
 * "N + 1, 1 wait" (pipelined: naive's queries, one round trip's waiting). */
const char *comparison_scaling(enum strategy s);

#endif
