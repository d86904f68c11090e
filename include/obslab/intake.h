/*
 * intake — received spans (OTLP batches, otlp.h) become live traces in a
 * store. Each span is copied, with its resource and scope (shared per
 * trace), into the otel_set of its trace: an open trace's set is held here,
 * keyed by trace id; once a trace is in the store the store owns its set
 * (store.h's received traces), so memory is bounded by the store's limits.
 *
 * intake_add copies a batch (the batch stays the caller's) and marks the
 * traces it touched; intake_tick assembles each of them once (tolerantly,
 * as the snapshot reader does for a file: "missing parent" and "missing
 * root" placeholders, remote-parent roots, skew, duplicates, cycles) and
 * puts it in the store marked open; a trace without a new span for
 * quiet_ns is closed (the store's observer sees it then). A span for a
 * closed trace still kept reopens it (late_spans); an evicted trace's late
 * spans start a new trace.
 *
 * Memory: a trace takes at most INTAKE_TRACE_SPANS spans (the store's
 * max_spans if fewer) and at most the store's max_bytes / INTAKE_TRACE_SHARE
 * bytes (64 MiB by default: each span's size estimated from what it
 * carries, its resource and scope included the first time): later spans are
 * dropped and counted (dropped_spans, "trace over its size limit"); a span
 * alone over it is dropped. The store's max_bytes bounds the kept traces'
 * sets together (store.h), so received traces hold about max_bytes plus one
 * trace's cap at most (the sets' arrays grow by doubling: their capacity may
 * be up to twice what the spans fill).
 *
 * Duplicates: a span the trace already holds, sent again (the same span id,
 * start, end and name: an SDK retrying after a time-out), is dropped and
 * counted (duplicate_spans); a span with the same id and other content is
 * kept and marked OTEL_MARK_DUPLICATE, as the file reader does.
 *
 * Threads: the consumer only (the thread that owns the store and names).
 * Out of memory aborts (xalloc.h); nothing else fails.
 */
#ifndef OBSLAB_INTAKE_H
#define OBSLAB_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct store;
struct strtab;
struct otlp_batch;

#define INTAKE_DEFAULT_QUIET_NS (2 * 1000000000LL)
#define INTAKE_TRACE_SPANS 100000 /* spans one received trace takes at most */
#define INTAKE_TRACE_SHARE 4      /* one trace takes at most the store's max_bytes / this */

struct intake *intake_create(struct store *store, struct strtab *names, int64_t quiet_ns);
void intake_add(struct intake *in, const struct otlp_batch *b, int64_t now_ns); /* copies what it keeps */
/* Publishes the traces that changed (open ones marked open), closes those quiet for quiet_ns (the store's
 * observer sees each when it closes); true when the store changed. */
bool intake_tick(struct intake *in, int64_t now_ns);
void intake_close_all(struct intake *in); /* at a stop: every open trace closed */
struct intake_stats {
	uint64_t spans;      /* accepted into a trace */
	uint64_t traces;     /* started (an evicted trace's late spans start another) */
	uint64_t late_spans; /* joined a trace that had closed */
	size_t open;         /* traces open now */
	uint64_t dropped_spans; /* beyond the per-trace cap (INTAKE_TRACE_SPANS or bytes) */
	uint64_t duplicate_spans; /* exact duplicates dropped: the same span sent again */
};
void intake_get_stats(const struct intake *in, struct intake_stats *out);
/* The consumer found nothing to take: when batches came since the last
 * call that did it, and INTAKE_TRIM_NS passed since, the C library's free
 * memory (decoded batches, evicted traces) is given back to the system
 * (malloc_trim on glibc: a few milliseconds with a large heap). */
#define INTAKE_TRIM_NS 1000000000LL
void intake_idle(struct intake *in, int64_t now_ns);
void intake_destroy(struct intake *in);

#endif
