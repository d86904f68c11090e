/* Traces grouped from the spans read, checked (one root, unique ids,
 * parents present, children inside parents, no cycle, bounded depth) and
 * laid out for store_ingest: each trace's spans, its root last, traces in
 * time order. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_reader.h"
#include "obslab/xalloc.h"

/* ---- traces: grouped, checked, assembled ---------------------------------------------- */

static int by_trace_then_start(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	int c = memcmp(x->trace_id, y->trace_id, SPAN_TRACE_ID_LEN);
	if (c)
		return c;
	if (x->rec.start_ns != y->rec.start_ns)
		return x->rec.start_ns < y->rec.start_ns ? -1 : 1;
	return (x->rec.span_id > y->rec.span_id) - (x->rec.span_id < y->rec.span_id);
}

struct id_index {
	uint64_t id;
	size_t at;
};

static int by_id(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static size_t find_id(const struct id_index *ix, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix[mid].id < id)
			lo = mid + 1;
		else if (ix[mid].id > id)
			hi = mid;
		else
			return ix[mid].at;
	}
	return SIZE_MAX;
}

/* Checks one trace's spans [first, last) and appends its records, root last. */
static bool assemble(struct reader *r, size_t first, size_t last, uint32_t seq, struct id_index *ix)
{
	size_t n = last - first;
	char trace[2 * SPAN_TRACE_ID_LEN + 1];
	span_trace_id_hex(r->spans[first].trace_id, trace);
	size_t root = SIZE_MAX, roots = 0;
	for (size_t i = 0; i < n; i++) {
		ix[i] = (struct id_index){ r->spans[first + i].rec.span_id, first + i };
		if (r->spans[first + i].rec.parent_id == 0) {
			root = first + i;
			roots++;
		}
	}
	if (roots != 1)
		return reader_fail(r, "trace %s has %zu root spans; it needs exactly one", trace, roots);
	qsort(ix, n, sizeof *ix, by_id);
	for (size_t i = 1; i < n; i++)
		if (ix[i].id == ix[i - 1].id)
			return reader_fail(r, "trace %s: span id %016" PRIx64 " appears twice", trace, ix[i].id);
	for (size_t i = first; i < last; i++) {
		const struct span_record *s = &r->spans[i].rec;
		if (i == root)
			continue;
		size_t p = find_id(ix, n, s->parent_id);
		if (p == SIZE_MAX)
			return reader_fail(r, "trace %s: span %016" PRIx64 "'s parent %016" PRIx64 " is not in the file", trace,
			            s->span_id, s->parent_id);
		const struct span_record *parent = &r->spans[p].rec;
		if (s->start_ns < parent->start_ns || s->end_ns > parent->end_ns)
			return reader_fail(r, "trace %s: span %016" PRIx64 " runs outside its parent %016" PRIx64, trace, s->span_id,
			            parent->span_id);
	}
	/* Every span reaches the root within SNAPSHOT_MAX_DEPTH steps. Walking up
	 * with a second pointer at twice the pace tells a cycle (they meet)
	 * from mere depth, in bounded time. */
	for (size_t i = first; i < last; i++) {
		size_t slow = i, fast = i;
		int depth = 0;
		while (slow != root && depth <= SNAPSHOT_MAX_DEPTH) {
			slow = find_id(ix, n, r->spans[slow].rec.parent_id);
			for (int k = 0; k < 2 && fast != root; k++)
				fast = find_id(ix, n, r->spans[fast].rec.parent_id);
			depth++;
			if (slow == fast && slow != root)
				return reader_fail(r, "trace %s: span %016" PRIx64 "'s parents form a cycle", trace,
				            r->spans[i].rec.span_id);
		}
		if (slow != root)
			return reader_fail(r, "trace %s: span %016" PRIx64 "'s parents nest deeper than %d levels", trace,
			            r->spans[i].rec.span_id, SNAPSHOT_MAX_DEPTH);
	}
	struct snapshot *out = r->out;
	for (size_t i = first; i < last; i++) {
		if (i == root)
			continue;
		r->spans[i].rec.trace_seq = seq;
		out->records[out->nrecords++] = r->spans[i].rec;
	}
	struct span_record rec = r->spans[root].rec;
	rec.trace_seq = seq;
	memcpy(rec.u.root.trace_id, r->spans[root].trace_id, SPAN_TRACE_ID_LEN);
	out->records[out->nrecords++] = rec;
	return true;
}

struct group {
	size_t first, last;
	int64_t start; /* the trace's earliest span: its order in the file's story */
};

static int by_start(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->first > y->first) - (x->first < y->first);
}

/* Groups the spans by trace, then assembles the traces in time order. */
bool reader_assemble(struct reader *r)
{
	qsort(r->spans, r->n, sizeof *r->spans, by_trace_then_start);
	struct snapshot *out = r->out;
	out->records = xmalloc_array(r->n, sizeof *out->records);
	struct id_index *ix = xmalloc_array(r->n, sizeof *ix);
	struct group *groups = xmalloc_array(r->n, sizeof *groups);
	size_t ngroups = 0;
	for (size_t first = 0; first < r->n;) {
		size_t last = first + 1;
		while (last < r->n && memcmp(r->spans[last].trace_id, r->spans[first].trace_id, SPAN_TRACE_ID_LEN) == 0)
			last++;
		groups[ngroups++] = (struct group){ first, last, r->spans[first].rec.start_ns };
		first = last;
	}
	qsort(groups, ngroups, sizeof *groups, by_start);
	bool ok = true;
	for (size_t g = 0; ok && g < ngroups; g++)
		ok = assemble(r, groups[g].first, groups[g].last, (uint32_t)++out->ntraces, ix);
	free(groups);
	free(ix);
	return ok;
}
