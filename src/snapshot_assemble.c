/* Traces assembled tolerantly, as Jaeger
 * shows them: a span whose parent is absent (an orphan) hangs under a
 * "missing parent" placeholder, one per missing id, unless its flags say
 * the parent is remote (the caller's span, in another process: then it is
 * a root, marked, its parent id kept in its details); several roots or none
 * hang under a "missing root" placeholder; a child outside its parent is
 * kept and marked as clock skew; every span of a duplicated id is kept (the
 * later ones' records get fresh ids; children attach to the first); a loop
 * of parents is cut at its earliest span, which then hangs as an orphan.
 * Marks go to the foreign spans' details (otel.h) and counts to the
 * snapshot. Sorting and binary search only: O(n log n), no recursion, any
 * depth. The reader's traces are grouped from the spans read and laid out
 * for store_ingest: each trace's records, its root last, traces in time
 * order; the intake assembles one received trace at a time (assemble.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/strtab.h"
#include "obslab/xalloc.h"
#include "assemble.h"
#include "snapshot_reader.h"

static int by_trace_then_order(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	int c = memcmp(x->trace_id, y->trace_id, SPAN_TRACE_ID_LEN);
	if (c)
		return c;
	return (x->order > y->order) - (x->order < y->order);
}

/* Whether a comes before b in time (then in the file). */
static bool earlier(const struct raw *a, const struct raw *b)
{
	return a->rec.start_ns != b->rec.start_ns ? a->rec.start_ns < b->rec.start_ns : a->order < b->order;
}

/* A span of the trace by id; key2 orders spans of one id by their place in
 * the file (or orphans by their own index). */
struct id_index {
	uint64_t id, key2;
	size_t at; /* index in the trace */
};

/* Sorts v by id, keeping the order of equal ids (LSD radix sort, a byte a
 * pass, passes where every id has the same byte skipped): O(n), whatever
 * the ids. tmp holds n items. */
static void sort_by_id(struct id_index *v, struct id_index *tmp, size_t n)
{
	struct id_index *src = v, *dst = tmp;
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[257] = { 0 };
		for (size_t i = 0; i < n; i++)
			count[((src[i].id >> shift) & 0xff) + 1]++;
		if (count[((src[0].id >> shift) & 0xff) + 1] == n)
			continue; /* one byte for all: nothing to move */
		for (int b = 0; b < 256; b++)
			count[b + 1] += count[b];
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i].id >> shift) & 0xff]++] = src[i];
		struct id_index *t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof *v);
}

static int by_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

#define NO_PARENT SIZE_MAX         /* a root */
#define MISSING (SIZE_MAX - 1)     /* an orphan: its parent is not in the trace */
#define CUT (SIZE_MAX - 2)         /* where a loop of parents was cut */
#define REAL(p) ((p) < CUT)

/* The working memory of assembly, grown to the largest trace and reused. */
struct assemble_work {
	struct id_index *ix, *orphans, *tmp;
	size_t *parent, *path;
	uint8_t *state, *marks;
	uint64_t *used; /* every span id and parent id of the trace, sorted */
	size_t cap, nused, used_at;
	uint64_t next_fresh;
	uint32_t missing_parent, missing_root; /* strtab ids */
};
#define work assemble_work

struct assemble_work *assemble_work_create(struct strtab *names)
{
	struct work *w = xcalloc(1, sizeof *w);
	w->missing_parent = strtab_intern(names, "missing parent", strlen("missing parent"));
	w->missing_root = strtab_intern(names, "missing root", strlen("missing root"));
	return w;
}

void assemble_work_destroy(struct assemble_work *w)
{
	if (!w)
		return;
	free(w->ix);
	free(w->orphans);
	free(w->tmp);
	free(w->parent);
	free(w->path);
	free(w->state);
	free(w->marks);
	free(w->used);
	free(w);
}

static void reserve(struct work *w, size_t n)
{
	if (n <= w->cap)
		return;
	size_t cap = w->cap ? w->cap : 64;
	while (cap < n)
		cap *= 2;
	w->ix = xrealloc_array(w->ix, cap, sizeof *w->ix);
	w->orphans = xrealloc_array(w->orphans, cap, sizeof *w->orphans);
	w->tmp = xrealloc_array(w->tmp, cap, sizeof *w->tmp);
	w->parent = xrealloc_array(w->parent, cap, sizeof *w->parent);
	w->path = xrealloc_array(w->path, cap, sizeof *w->path);
	w->state = xrealloc(w->state, cap);
	w->marks = xrealloc(w->marks, cap);
	w->used = xrealloc_array(w->used, cap, 2 * sizeof *w->used);
	w->cap = cap;
}

/* An id no span of the trace has or names as its parent. */
static uint64_t fresh_id(struct work *w)
{
	for (;;) {
		while (w->used_at < w->nused && w->used[w->used_at] < w->next_fresh)
			w->used_at++;
		if (w->used_at < w->nused && w->used[w->used_at] == w->next_fresh) {
			w->next_fresh++;
			continue;
		}
		return w->next_fresh++;
	}
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

static void emit(struct assemble_out *out, const struct span_record *rec)
{
	if (out->n == out->cap) {
		out->cap = out->cap * 2 + 64;
		out->records = xrealloc_array(out->records, out->cap, sizeof *out->records);
	}
	out->records[out->n++] = *rec;
}

static struct span_record placeholder(uint64_t id, uint64_t parent, int64_t start, int64_t end, uint32_t name,
                                      uint32_t seq)
{
	struct span_record p = { .span_id = id, .parent_id = parent, .start_ns = start, .end_ns = end,
		                 .trace_seq = seq, .name = name, .flags = SPAN_F_PLACEHOLDER };
	return p;
}

/* Marks the cycles among the spans' parents and cuts each at its earliest
 * span: iteratively, each span visited once. */
static void cut_cycles(struct work *w, const struct raw *S, size_t n)
{
	memset(w->state, 0, n);
	for (size_t i = 0; i < n; i++) {
		size_t len = 0, cur = i;
		while (REAL(cur) && w->state[cur] == 0) {
			w->state[cur] = 1;
			w->path[len++] = cur;
			cur = w->parent[cur];
		}
		if (REAL(cur) && w->state[cur] == 1) { /* back on this walk's path: a loop */
			size_t k = len, cut = cur;
			do {
				k--;
				w->marks[w->path[k]] |= OTEL_MARK_CYCLE;
				if (earlier(&S[w->path[k]], &S[cut]))
					cut = w->path[k];
			} while (w->path[k] != cur);
			w->parent[cut] = CUT;
			w->marks[cut] |= OTEL_MARK_ORPHAN;
		}
		for (size_t k = 0; k < len; k++)
			w->state[w->path[k]] = 2;
	}
}

/* Whether a foreign span's flags say its parent lives in another process
 * (the caller's span of a served request): absent from the file by nature. */
static bool remote_parent(const struct otel_set *set, const struct span_record *rec)
{
	const struct otel_span *sp = otel_span_of(set, rec);
	return sp && otel_parent_is_remote(sp);
}

void assemble_trace(struct assemble_work *w, struct otel_set *set, struct raw *S, size_t n, uint32_t seq,
                    struct assemble_out *out)
{
	reserve(w, n);
	struct assemble_counts *c = &out->counts;

	/* Ids: the first span (in the file) of each id is the one found. */
	for (size_t i = 0; i < n; i++) {
		w->ix[i] = (struct id_index){ S[i].rec.span_id, S[i].order, i };
		w->marks[i] = 0;
	}
	sort_by_id(w->ix, w->tmp, n); /* filled in file order: the first of an id stays first */
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		if (m > 0 && w->ix[k].id == w->ix[m - 1].id) {
			w->marks[w->ix[k].at] |= OTEL_MARK_DUPLICATE;
			continue;
		}
		w->ix[m++] = w->ix[k];
	}

	/* Parents: found, absent (orphans, or roots when remote), none (roots);
	 * then loops cut. A remote parent's id stays in the span's details. */
	size_t nroots = 0, root = SIZE_MAX;
	for (size_t i = 0; i < n; i++) {
		uint64_t pid = S[i].rec.parent_id;
		size_t p = pid ? find_id(w->ix, m, pid) : NO_PARENT;
		w->parent[i] = pid && p == SIZE_MAX ? MISSING : p;
		if (w->parent[i] == MISSING && remote_parent(set, &S[i].rec)) {
			w->parent[i] = NO_PARENT;
			w->marks[i] |= OTEL_MARK_REMOTE_PARENT;
			S[i].rec.parent_id = 0;
		} else if (w->parent[i] == MISSING) {
			w->marks[i] |= OTEL_MARK_ORPHAN;
		}
	}
	cut_cycles(w, S, n);
	int64_t lo = S[0].rec.start_ns, hi = S[0].rec.end_ns;
	for (size_t i = 0; i < n; i++) {
		if (w->parent[i] == NO_PARENT) {
			nroots++;
			root = i;
		}
		lo = S[i].rec.start_ns < lo ? S[i].rec.start_ns : lo;
		hi = S[i].rec.end_ns > hi ? S[i].rec.end_ns : hi;
	}

	/* Fresh ids: duplicates' records, the missing root, cut loops' placeholders. */
	size_t ncut = 0;
	for (size_t i = 0; i < n; i++)
		ncut += w->parent[i] == CUT;
	if (m < n || nroots != 1 || ncut) {
		w->nused = 0;
		for (size_t i = 0; i < n; i++) {
			w->used[w->nused++] = S[i].rec.span_id;
			if (S[i].rec.parent_id)
				w->used[w->nused++] = S[i].rec.parent_id;
		}
		qsort(w->used, w->nused, sizeof *w->used, by_u64);
		w->used_at = 0;
		w->next_fresh = 1;
	}
	for (size_t i = 0; i < n; i++)
		if (w->marks[i] & OTEL_MARK_DUPLICATE)
			S[i].rec.span_id = fresh_id(w);
	uint64_t top = nroots == 1 ? S[root].rec.span_id : fresh_id(w);
	if (nroots != 1)
		for (size_t i = 0; i < n; i++)
			if (w->parent[i] == NO_PARENT)
				S[i].rec.parent_id = top;

	/* Skew: a child starting before or ending after its parent. */
	for (size_t i = 0; i < n; i++) {
		size_t p = w->parent[i];
		if (REAL(p) && (S[i].rec.start_ns < S[p].rec.start_ns || S[i].rec.end_ns > S[p].rec.end_ns))
			w->marks[i] |= OTEL_MARK_SKEW;
	}

	/* Placeholders: one per missing parent id (the extent of its orphans),
	 * one per cut loop, under the trace's one root or the missing root. */
	size_t norphans = 0;
	for (size_t i = 0; i < n; i++)
		if (w->parent[i] == MISSING)
			w->orphans[norphans++] = (struct id_index){ S[i].rec.parent_id, i, i };
	if (norphans)
		sort_by_id(w->orphans, w->tmp, norphans);
	for (size_t k = 0; k < norphans;) {
		size_t e = k;
		int64_t a = S[w->orphans[k].at].rec.start_ns, b = S[w->orphans[k].at].rec.end_ns;
		for (; e < norphans && w->orphans[e].id == w->orphans[k].id; e++) {
			const struct span_record *o = &S[w->orphans[e].at].rec;
			a = o->start_ns < a ? o->start_ns : a;
			b = o->end_ns > b ? o->end_ns : b;
		}
		struct span_record p = placeholder(w->orphans[k].id, top, a, b, w->missing_parent, seq);
		emit(out, &p);
		c->nplaceholders++;
		k = e;
	}
	for (size_t i = 0; i < n; i++)
		if (w->parent[i] == CUT) {
			struct span_record p = placeholder(fresh_id(w), top, S[i].rec.start_ns, S[i].rec.end_ns,
			                                   w->missing_parent, seq);
			S[i].rec.parent_id = p.span_id;
			emit(out, &p);
			c->nplaceholders++;
		}

	/* The spans, their marks, the root last. */
	for (size_t i = 0; i < n; i++) {
		uint8_t mk = w->marks[i];
		/* A span cut out of a parent cycle is counted there, not as an orphan. */
		c->norphans += (mk & OTEL_MARK_ORPHAN) && !(mk & OTEL_MARK_CYCLE);
		c->nskewed += (mk & OTEL_MARK_SKEW) != 0;
		c->nduplicates += (mk & OTEL_MARK_DUPLICATE) != 0;
		c->ncycles += (mk & OTEL_MARK_CYCLE) != 0;
		if (set && (S[i].rec.flags & SPAN_F_FOREIGN))
			set->spans[S[i].rec.u.foreign.detail].marks |= mk;
		S[i].rec.trace_seq = seq;
		if (nroots == 1 && i == root)
			continue;
		emit(out, &S[i].rec);
	}
	c->nmultiroot += nroots > 1;
	struct span_record rec;
	if (nroots == 1) {
		rec = S[root].rec;
		if (!(rec.flags & SPAN_F_FOREIGN))
			memcpy(rec.u.root.trace_id, S[root].trace_id, SPAN_TRACE_ID_LEN);
	} else {
		rec = placeholder(top, 0, lo, hi, w->missing_root, seq);
		memcpy(rec.u.root.trace_id, S[0].trace_id, SPAN_TRACE_ID_LEN);
		c->nplaceholders++;
	}
	emit(out, &rec);
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
	/* Grouped by trace, in file order within each; a file written trace by
	 * trace in id order (one trace: always) needs no sort. */
	bool sorted = true;
	for (size_t i = 1; sorted && i < r->n; i++)
		sorted = memcmp(r->spans[i - 1].trace_id, r->spans[i].trace_id, SPAN_TRACE_ID_LEN) <= 0;
	if (!sorted)
		qsort(r->spans, r->n, sizeof *r->spans, by_trace_then_order);
	struct snapshot *snap = r->out;
	struct assemble_out out = { .cap = r->n + 64 };
	out.records = xmalloc_array(out.cap, sizeof *out.records);
	struct group *groups = xmalloc_array(r->n, sizeof *groups);
	size_t ngroups = 0;
	for (size_t first = 0; first < r->n;) {
		size_t last = first + 1;
		while (last < r->n && memcmp(r->spans[last].trace_id, r->spans[first].trace_id, SPAN_TRACE_ID_LEN) == 0)
			last++;
		int64_t start = r->spans[first].rec.start_ns;
		for (size_t i = first; i < last; i++)
			start = r->spans[i].rec.start_ns < start ? r->spans[i].rec.start_ns : start;
		groups[ngroups++] = (struct group){ first, last, start };
		first = last;
	}
	qsort(groups, ngroups, sizeof *groups, by_start);
	struct work *w = assemble_work_create(snap->names);
	for (size_t g = 0; g < ngroups; g++)
		assemble_trace(w, snap->otel, r->spans + groups[g].first, groups[g].last - groups[g].first,
		               (uint32_t)++snap->ntraces, &out);
	assemble_work_destroy(w);
	free(groups);
	snap->records = out.records;
	snap->nrecords = out.n;
	snap->norphans += out.counts.norphans;
	snap->nskewed += out.counts.nskewed;
	snap->nduplicates += out.counts.nduplicates;
	snap->ncycles += out.counts.ncycles;
	snap->nplaceholders += out.counts.nplaceholders;
	snap->nmultiroot += out.counts.nmultiroot;
	return true;
}
