/*
 * store — the consumer side: drains span records from the ring and
 * assembles them into traces, keeping a bounded history.
 *
 * One thread (the UI thread, or main in headless runs) owns a store. Spans
 * arrive children first and the root last; a trace is complete when its root
 * arrives, and its spans are then sorted by start time (the root first).
 * The producer runs one trace at a time, so spans of a new trace_seq before
 * the old one's root mean that root was dropped: those spans are discarded
 * and counted. Memory is bounded by the limits: the oldest traces are
 * evicted first, but the newest complete trace is always kept. Traces
 * returned by store_trace stay valid until the next store_drain or
 * store_ingest.
 */
#ifndef OBSLAB_STORE_H
#define OBSLAB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/span.h"

struct otel_set;
struct http_info;
struct ring;

struct trace {
	uint64_t seq;                 /* completion order, from 1 */
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	struct span_record *spans;    /* sorted by start; spans[0] is the root */
	size_t nspans;
	const struct otel_set *otel;  /* the details of its SPAN_F_FOREIGN spans (otel.h); NULL for the lab's */
	const struct http_info *http; /* a served request's HTTP exchange (httpinfo.h); NULL otherwise */
};

struct store_limits {
	size_t max_traces; /* kept at most */
	size_t max_spans;  /* summed over kept traces */
};

#define STORE_DEFAULT_MAX_TRACES 512
#define STORE_DEFAULT_MAX_SPANS (512u * 1024u)

struct store;

struct store *store_create(struct store_limits limits); /* never NULL (xalloc.h) */
void store_destroy(struct store *s);

/* Adds records in arrival order. */
void store_ingest(struct store *s, const struct span_record *recs, size_t n);
/* The same for a malloc'd array the store takes (a file's records): its
 * traces are kept where they lie, sorted in place, not copied; the array is
 * freed with the store, not when its traces are evicted. */
void store_adopt(struct store *s, struct span_record *recs, size_t n);
/* Pops everything the ring holds now and ingests it; returns how many. */
size_t store_drain(struct store *s, struct ring *ring);

/* Called with each trace as it completes, before anything can evict it:
 * how a consumer keeps running figures over every trace, kept or not. */
typedef void store_observer_fn(void *ctx, const struct trace *t);
void store_set_observer(struct store *s, store_observer_fn *fn, void *ctx);

/* The otel_set that the foreign spans ingested from now on are details of
 * (not owned: it must outlive the store). A foreign root's trace id is
 * taken from its otel_span. */
void store_set_otel(struct store *s, const struct otel_set *set);

size_t store_trace_count(const struct store *s);
/* i from 0 (oldest kept) to count - 1 (newest). */
const struct trace *store_trace(const struct store *s, size_t i);
const struct trace *store_latest(const struct store *s); /* NULL if none */
/* The kept trace with this seq, or NULL if it was evicted (or is to come). */
const struct trace *store_find(const struct store *s, uint64_t seq);

uint64_t store_traces_completed(const struct store *s); /* ever, evicted included */
uint64_t store_spans_received(const struct store *s);
uint64_t store_spans_orphaned(const struct store *s);   /* discarded: root lost */
uint64_t store_traces_evicted(const struct store *s);
size_t store_spans_held(const struct store *s);

#endif
