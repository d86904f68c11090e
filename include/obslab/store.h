/*
 * store — the consumer side: drains span records from the rings of its
 * producers and assembles them into traces, keeping a bounded history.
 *
 * One thread (the UI thread, or main in headless runs) owns a store and
 * calls every function here. Up to STORE_MAX_PRODUCERS producers feed it,
 * each a thread with its own SPSC ring, numbered by the consumer (producer 0
 * is the lab's workload, and store_ingest's). Spans arrive children first and
 * the root last; a trace is complete when its root arrives, and its spans
 * are then sorted by start time (the root first). Each producer runs one
 * trace at a time and the store keeps one pending trace per producer, so
 * producers' traces may interleave freely; spans of a new trace_seq from a
 * producer before its old trace's root mean that root was dropped: those
 * spans are discarded and counted (per producer, and in all). A producer
 * number out of range is a bug of the caller: it asserts (and, were asserts
 * off, the records would go to the last producer, where they could only be
 * counted as orphans). Memory is bounded by the limits: the oldest traces
 * are evicted first, but the newest complete trace is always kept. Traces
 * returned by store_trace stay valid until the next store_drain,
 * store_drain_from, store_ingest, store_adopt or store_put_received
 * (store_attach_http may set a kept trace's http, and moves none; a put
 * replacing a trace changes its spans where it lies).
 *
 * A served request's HTTP facts (httpinfo.h) are given to the store apart
 * from its spans and joined to its trace by trace id, before or after the
 * trace completes; the store owns them from then on (see store_attach_http).
 */
#ifndef OBSLAB_STORE_H
#define OBSLAB_STORE_H

#include <stdbool.h>
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
	bool open; /* received and still in its quiet period: spans may join it */
};

struct store_limits {
	size_t max_traces; /* kept at most */
	size_t max_spans;  /* summed over kept traces */
	size_t max_bytes;  /* received traces' otel sets (otel_set_bytes), summed; 0: STORE_DEFAULT_MAX_BYTES */
};

#define STORE_DEFAULT_MAX_TRACES 512
#define STORE_DEFAULT_MAX_SPANS (512u * 1024u)
#define STORE_DEFAULT_MAX_BYTES ((size_t)256 << 20)

/* Producers a store tells apart: 0 .. STORE_MAX_PRODUCERS - 1. */
#define STORE_MAX_PRODUCERS 64
/* HTTP infos waiting for their trace, at most; the oldest goes first. */
#define STORE_HTTP_PENDING_MAX (STORE_MAX_PRODUCERS * 4)

struct store;

struct store *store_create(struct store_limits limits); /* never NULL (xalloc.h) */
void store_destroy(struct store *s);

/* Adds records in arrival order, from producer 0. */
void store_ingest(struct store *s, const struct span_record *recs, size_t n);
/* The same for a malloc'd array the store takes (a file's records): its
 * traces are kept where they lie, sorted in place, not copied; the array is
 * freed with the store, not when its traces are evicted. */
void store_adopt(struct store *s, struct span_record *recs, size_t n);
/* Pops everything producer's ring holds now and ingests it as that
 * producer's; returns how many. producer < STORE_MAX_PRODUCERS (asserted). */
size_t store_drain_from(struct store *s, struct ring *ring, unsigned producer);
/* Records a consumer popped from producer's ring itself, ingested as that
 * producer's (a consumer that must act between a batch's pop and its
 * ingest: obslab serve attaches a batch's http infos first). */
void store_ingest_from(struct store *s, const struct span_record *recs, size_t n, unsigned producer);
/* store_drain_from(s, ring, 0). */
size_t store_drain(struct store *s, struct ring *ring);

/* Takes info, malloc'd (the store frees it with free()), and joins it to the
 * trace whose id is its trace_id (the first member of struct http_info):
 * the oldest kept trace with that id and no info yet, or, if none, the next
 * such trace to complete. Until then it waits in a list of at most
 * STORE_HTTP_PENDING_MAX; past that the oldest waiting info is freed and
 * counted (store_http_unmatched). An info joined to a trace is freed when
 * the trace is evicted or the store destroyed. */
void store_attach_http(struct store *s, struct http_info *info);
uint64_t store_http_unmatched(const struct store *s); /* freed without a trace */
size_t store_http_pending(const struct store *s);     /* waiting now */

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

/* ---- received traces (the intake's, intake.h) --------------------------------
 * A received trace is put whole, again each time spans join it, and owns
 * its otel_set: the set is freed with the trace (evicted, replaced by a put
 * with another set, or the store destroyed), so memory is bounded by the
 * store's limits. Found by trace id through a hash (received traces only).
 * Pointers from store_received_set stay valid until the trace is evicted:
 * check again (by seq) after any call that may evict.
 * Bytes: each put measures the trace's set (otel_set_bytes) and evicts the
 * oldest traces (older than the one put) while the sets held would pass
 * max_bytes; a trace growing with no older one left to evict may pass it
 * alone, which is why the intake caps one trace (INTAKE_TRACE_BYTES). */

/* Puts the received trace id: spans[0..n) (n > 0, malloc'd, taken; any
 * order, exactly one root, parent_id 0) whose foreign spans' details are in
 * set (taken; the same set again is kept). A kept received trace with this
 * id is replaced where it lies, keeping its seq and place; otherwise the
 * trace is added as the newest (older ones evicted as the limits need; it
 * is always kept). t->open as given; the observer sees the trace once, the
 * first time it is put with open false or closed (a trace reopened by late
 * spans changes in place: store_trace_changed tells). Returns its seq. */
uint64_t store_put_received(struct store *s, const uint8_t id[SPAN_TRACE_ID_LEN], struct span_record *spans,
                            size_t n, struct otel_set *set, bool open);
/* The kept received trace with this id, or NULL. O(1). */
const struct trace *store_find_received(const struct store *s, const uint8_t id[SPAN_TRACE_ID_LEN]);
/* The set the kept received trace seq owns, for spans to join it (then put
 * it again), or NULL when that trace was evicted or is not received. */
struct otel_set *store_received_set(struct store *s, uint64_t seq);
/* Closes the kept received trace seq (open false; the observer sees it, if
 * it never has); false when it was evicted. */
bool store_close_received(struct store *s, uint64_t seq);
struct store_limits store_get_limits(const struct store *s);
/* A count that moves each time a received trace is put or closed, and the
 * count at the kept trace t's last such change (0: never): a consumer that
 * remembers the first finds the traces changed since by the second. */
uint64_t store_changes(const struct store *s);
uint64_t store_trace_changed(const struct store *s, const struct trace *t);
/* ---- end of received traces ---- */

uint64_t store_traces_completed(const struct store *s); /* ever, evicted included */
uint64_t store_spans_received(const struct store *s);
uint64_t store_spans_orphaned(const struct store *s);   /* discarded: root lost */
uint64_t store_spans_orphaned_from(const struct store *s, unsigned producer); /* 0 if out of range */
uint64_t store_traces_evicted(const struct store *s);
size_t store_spans_held(const struct store *s);
size_t store_bytes_held(const struct store *s); /* received traces' sets, as last put (max_bytes bounds it) */

#endif
