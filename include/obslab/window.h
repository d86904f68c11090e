/*
 * window — statistics over the requests of the last minute: attribution
 * summed, and per-fingerprint query statistics with percentiles.
 *
 * The window is WINDOW_EPOCHS epochs of WINDOW_EPOCH_NS each; a trace is
 * added to the current epoch and the oldest epoch is dropped as time moves
 * on, so memory is fixed (each fingerprint's durations live in a histogram,
 * see histogram.h for the precision) however long the program runs. An
 * epoch tracks up to WINDOW_MAX_FINGERPRINTS fingerprints; calls of any
 * further ones are counted as "other". The caller supplies the clock (now)
 * so the window is testable. Plain data, one thread.
 */
#ifndef OBSLAB_WINDOW_H
#define OBSLAB_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/analysis.h"
#include "obslab/clock.h"
#include "obslab/histogram.h"

struct trace;

#define WINDOW_EPOCHS 6
#define WINDOW_EPOCH_NS (10 * CLOCK_NS_PER_S)
#define WINDOW_MAX_FINGERPRINTS 16

struct window_query {
	uint32_t fingerprint;
	uint64_t rows;
	uint64_t fullscan_steps;
	struct histogram durations; /* count, sum, min, max too */
};

struct window_epoch {
	int64_t start_ns;
	uint64_t requests;
	int64_t total_ns, app_ns, db_ns, network_ns;
	uint64_t other_calls;
	size_t nqueries;
	struct window_query query[WINDOW_MAX_FINGERPRINTS];
};

struct window {
	size_t current; /* index of the newest epoch */
	struct window_epoch epoch[WINDOW_EPOCHS];
};

/* Sums over the window. */
struct window_attribution {
	uint64_t requests;
	int64_t total_ns, app_ns, db_ns, network_ns;
	int64_t span_ns; /* how much time the window covers */
};

void window_init(struct window *w, int64_t now_ns);
/* Forgets everything (after the lab's settings change). */
void window_reset(struct window *w, int64_t now_ns);
void window_add(struct window *w, const struct trace *t, int64_t now_ns);

struct window_attribution window_attribution(struct window *w, int64_t now_ns);
/* Like analysis_query_stats, over the window: percentiles from the merged
 * histograms, share = a fingerprint's time / all requests' time. */
size_t window_query_stats(struct window *w, int64_t now_ns, struct query_stat *out, size_t cap);

#endif
