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
 *   speedup_vs_naive = naive's median total / this median total (same users),
 *   server_known / median_server_ns: on PostgreSQL, that same request's
 *   execution time by the server's own clock (pg_stat_statements), when
 *   comparison_add_server was given it for the request's trace id.
 * Memory grows with the requests measured (a plan bounds them); free with
 * comparison_clear. One thread.
 */
#ifndef OBSLAB_COMPARISON_H
#define OBSLAB_COMPARISON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/analysis.h"
#include "obslab/request.h"
#include "obslab/span.h"
#include "obslab/workload.h"

struct trace;

#define COMPARISON_MAX_CELLS (PLAN_MAX_SCALES * STRATEGY_COUNT)

struct comparison_cell {
	uint32_t users;
	enum strategy strategy;
	struct attribution_series requests; /* the measured requests, in arrival order */
	uint8_t (*trace_ids)[SPAN_TRACE_ID_LEN]; /* each request's trace, in the same order */
	size_t trace_ids_cap;
};

/* A request's execution time by the server's clock (pgstat.h). */
struct comparison_server {
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	int64_t exec_ns;
};

struct comparison {
	size_t ncells;
	struct comparison_cell cell[COMPARISON_MAX_CELLS];
	struct comparison_server *server;
	size_t nserver, server_cap;
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
	bool server_known;        /* the median request's server clock was given */
	int64_t median_server_ns; /* server_known: its execution by the server's clock */
};

void comparison_init(struct comparison *c);
void comparison_clear(struct comparison *c); /* frees, and empties */
void comparison_add(struct comparison *c, const struct trace *t);
/* The server's clock for the request of trace trace_id, in any order with
 * comparison_add (the log and the traces arrive apart). */
void comparison_add_server(struct comparison *c, const uint8_t trace_id[SPAN_TRACE_ID_LEN], int64_t exec_ns);
/* Rows sorted by users, then naive, optimized, eager, pipelined (measured
 * on PostgreSQL only). Returns the count. */
size_t comparison_rows(const struct comparison *c, struct comparison_row *out, size_t cap);

/* What the client-measured database time leaves over the server's own
 * execution ("db - server"): db_ms - server_ms as measured, rounded to the
 * microsecond. "database" is each statement's client time less the round
 * trip measured between requests; when that round trip was longer than
 * the one these statements met, the difference goes below zero. It is
 * then never printed as a bare negative: the cell reads "<0 *" and
 * COMPARISON_BELOW_ZERO_NOTE explains it (the JSON keeps the signed
 * figure beside that note). */
#define COMPARISON_BELOW_ZERO_NOTE                                                                        \
	"the round trip measured between requests was longer than the one these statements met, so "     \
	"\"database\" (client time - that round trip) came out below the server's own execution time"
struct comparison_remainder {
	double ms;      /* signed */
	bool negative;  /* ms < 0: print cell, explain with the note */
	char cell[32];  /* "0.123 ms", or "<0 *" */
};
struct comparison_remainder comparison_server_remainder(double db_ms, int64_t server_ns);

/* How the strategy's query count grows with N users: "N + 1", "1", "1 + N/500",
 * "N + 1, 1 wait" (pipelined: naive's queries, one round trip's waiting). */
const char *comparison_scaling(enum strategy s);

#endif
