/*
 * recent — statistics over the requests of the last minute (the "window"
 * of the explorer's screens): attribution summed, and per-fingerprint query
 * statistics with percentiles.
 *
 * The window is RECENT_EPOCHS epochs of RECENT_EPOCH_NS each; a trace is
 * added to the current epoch and the oldest epoch is dropped as time moves
 * on, so memory is fixed (each fingerprint's durations live in a histogram,
 * see histogram.h for the precision) however long the program runs. An
 * epoch tracks up to RECENT_MAX_FINGERPRINTS fingerprints; calls of any
 * further ones are counted as "other". The caller supplies the clock (now)
 * so the window is testable. Plain data: no locks, one thread at a time
 * (the explorer's UI thread, or a headless command).
 *
 * recent_of_store uses the same sums as an all-traces aggregator: time
 * stands still at 0, so every trace lands in one epoch and none is
 * forgotten; query it with now_ns = 0. The caller frees it with free().
 */
#ifndef OBSLAB_RECENT_H
#define OBSLAB_RECENT_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/histogram.h"

struct store;
struct trace;

#define RECENT_EPOCHS 6
#define RECENT_EPOCH_NS (10 * CLOCK_NS_PER_S)
#define RECENT_MAX_FINGERPRINTS 16

struct recent_query {
	uint32_t fingerprint;
	uint64_t rows;
	uint64_t rows_known; /* calls whose rows are known (analysis_call_of) */
	uint64_t fullscan_steps;
	int64_t busy_ns; /* per trace, the union of its calls' intervals, summed */
	struct histogram durations; /* count, sum, min, max too */
};

struct recent_epoch {
	int64_t start_ns;
	uint64_t requests;
	int64_t total_ns, app_ns, db_ns, network_ns;
	int64_t calls_ns;  /* foreign requests' client calls (analysis.h) */
	uint64_t foreign;  /* requests that were foreign traces */
	uint64_t other_calls;
	size_t nqueries;
	struct recent_query query[RECENT_MAX_FINGERPRINTS];
};

struct recent_stats {
	size_t current; /* index of the newest epoch */
	struct recent_epoch epoch[RECENT_EPOCHS];
};

/* Sums over the window. */
struct recent_attribution {
	uint64_t requests;
	int64_t total_ns, app_ns, db_ns, network_ns;
	int64_t calls_ns;  /* foreign requests' client calls; app + db + network + calls == total */
	uint64_t foreign;  /* of the requests, foreign traces: app is "own", db "incl. network" */
	int64_t span_ns; /* how much time the window covers */
};

void recent_init(struct recent_stats *w, int64_t now_ns);
/* Forgets everything (after the lab's settings change). */
void recent_reset(struct recent_stats *w, int64_t now_ns);
void recent_add(struct recent_stats *w, const struct trace *t, int64_t now_ns);

struct recent_attribution recent_attribution(struct recent_stats *w, int64_t now_ns);
/* Like analysis_query_stats, over the window: percentiles from the merged
 * histograms, share = a fingerprint's time / all requests' time. */
size_t recent_query_stats(struct recent_stats *w, int64_t now_ns, struct query_stat *out, size_t cap);

/* Every trace the store holds, in one epoch at time 0 (see above). */
struct recent_stats *recent_of_store(const struct store *store);

#endif
