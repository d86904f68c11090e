/*
 * assemble — one trace's spans assembled tolerantly into span records, for
 * the snapshot reader (a file's traces) and the intake (a received trace's
 * otel_set, again each time spans join it). Not a public interface.
 *
 * A struct raw is a span as read or received, before assembly: ids and
 * times from its otel_span (foreign) or the file (native). assemble_trace
 * appends the trace's records (placeholders first, its root last: the
 * order store_ingest takes) to out, whose array it grows (the caller frees
 * it), ORs the marks it found into the foreign spans' details and counts
 * them in out->counts. The work memory grows to the largest trace seen and
 * is reused; the "missing parent" and "missing root" names are interned in
 * the names given at create. One thread per work; nothing is static.
 */
#ifndef OBSLAB_ASSEMBLE_H
#define OBSLAB_ASSEMBLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/span.h"

struct otel_set;
struct strtab;

struct raw {
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	struct span_record rec;
	size_t order; /* of arrival: the first of two spans with one id is the one children attach to */
};

/* What assembly marked (otel.h's enum otel_mark), in spans; placeholders:
 * the records added. norphans leaves out the spans of a parent cycle. */
struct assemble_counts {
	size_t norphans, nskewed, nduplicates, ncycles, nplaceholders, nmultiroot;
};

struct assemble_out {
	struct span_record *records;
	size_t n, cap;
	struct assemble_counts counts;
};

struct assemble_work;

struct assemble_work *assemble_work_create(struct strtab *names); /* never NULL (xalloc.h) */
void assemble_work_destroy(struct assemble_work *w);

/* S[0..n) (n > 0), one trace's spans in arrival order (order ascending),
 * assembled (S's records are changed: fresh ids, parents) and appended to
 * out with trace_seq seq. set holds the foreign spans' details (NULL when
 * there are none). O(n log n), no recursion. */
void assemble_trace(struct assemble_work *w, struct otel_set *set, struct raw *S, size_t n, uint32_t seq,
                    struct assemble_out *out);

/* A foreign span's raw from set->spans[detail]: ids and times, the rest
 * derived by assemble_derive_foreign. True when it ends before it starts
 * (its record then ends where it starts, never a negative duration). */
bool assemble_foreign_raw(const struct otel_set *set, uint32_t detail, struct raw *out);

/* Statements fingerprinted lately, by their text and dialect: a received
 * stream repeats a few statements, and fingerprinting is most of deriving
 * a database span's record. Fixed size; statements longer than
 * ASSEMBLE_FP_TEXT are not kept. */
#define ASSEMBLE_FP_SLOTS 1024
#define ASSEMBLE_FP_TEXT 512
struct assemble_fp_cache {
	struct {
		uint64_t hash;
		uint32_t len, name;
		uint8_t dialect;
		char *text; /* malloc'd, NULL: empty slot */
	} slot[ASSEMBLE_FP_SLOTS];
};
void assemble_fp_cache_free(struct assemble_fp_cache *c);

/* A foreign span's record from its otel_span and nothing else: name (its
 * own; a database span's SQL fingerprint, interned in names), kind, error,
 * rows, and obslab's full-scan counter (snapshot_otlp_read.c). cache may be
 * NULL. */
void assemble_derive_foreign(const struct otel_set *set, struct strtab *names, struct assemble_fp_cache *cache,
                             struct span_record *rec);

/* The marks assembly sets (cleared before a trace is assembled again). */
#define ASSEMBLE_MARKS                                                                          \
	(OTEL_MARK_ORPHAN | OTEL_MARK_SKEW | OTEL_MARK_DUPLICATE | OTEL_MARK_CYCLE |            \
	 OTEL_MARK_REMOTE_PARENT)

#endif
