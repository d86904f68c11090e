/*
 * store — the consumer side: span records from the producers' rings grouped
 * by trace (one pending trace per producer), completed when the root arrives
 * (sorted by start), kept in a circular buffer bounded by traces and by
 * spans, the oldest evicted first; served requests' HTTP infos joined to
 * their traces by trace id; received traces put whole, each owning its
 * otel_set, found by trace id through an open-addressing hash.
 */
#include "obslab/store.h"

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/ring.h"
#include "obslab/xalloc.h"

#define DRAIN_BATCH 1024

/* One producer's trace being assembled. */
struct pending {
	struct span_record *spans;
	size_t n, cap;
	uint32_t seq;
	uint64_t orphaned;
};

/* An HTTP info waiting for its trace. */
struct http_wait {
	struct http_info *info;
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
};

struct store {
	struct store_limits limits;
	struct trace *traces; /* circular: first .. first + count */
	size_t first, count;
	size_t spans_held;

	struct pending pending[STORE_MAX_PRODUCERS];

	/* HTTP infos: owned per slot of traces (t->http is its const view), and
	 * those waiting, circular: http_first .. http_first + nhttp_wait. */
	struct http_info **http_owned;
	struct http_wait http_wait[STORE_HTTP_PENDING_MAX];
	size_t http_first, nhttp_wait;
	uint64_t http_unmatched;

	uint64_t completed, received, orphaned, evicted;
	store_observer_fn *observer;
	void *observer_ctx;
	const struct otel_set *otel;

	/* Blocks of records given by store_adopt, freed with the store; a kept
	 * trace whose spans lie in one is borrowed[slot], never freed alone. */
	struct span_record **blocks;
	size_t nblocks;
	bool *borrowed; /* per slot of traces */

	/* Received traces: the set each owns (per slot, NULL for others), and
	 * their slots by trace id: linear probing, slot + 1 (0 empty), a power
	 * of two at least twice max_traces. */
	struct otel_set **owned_set;
	size_t *rx_index;
	size_t rx_cap;
	uint64_t changes, *changed; /* store_changes, and per slot store_trace_changed */
	bool *observed;             /* per slot: the observer has seen the received trace (at its first close) */
	size_t *bytes;              /* per slot: otel_set_bytes of its owned set at its last put */
	size_t bytes_held;          /* their sum */
};

struct store *store_create(struct store_limits limits)
{
	if (limits.max_traces == 0)
		limits.max_traces = 1;
	if (limits.max_bytes == 0)
		limits.max_bytes = STORE_DEFAULT_MAX_BYTES;
	struct store *s = xcalloc(1, sizeof *s);
	s->traces = xcalloc(limits.max_traces, sizeof *s->traces);
	s->borrowed = xcalloc(limits.max_traces, sizeof *s->borrowed);
	s->http_owned = xcalloc(limits.max_traces, sizeof *s->http_owned);
	s->owned_set = xcalloc(limits.max_traces, sizeof *s->owned_set);
	s->changed = xcalloc(limits.max_traces, sizeof *s->changed);
	s->observed = xcalloc(limits.max_traces, sizeof *s->observed);
	s->bytes = xcalloc(limits.max_traces, sizeof *s->bytes);
	s->rx_cap = 16;
	while (s->rx_cap < 2 * limits.max_traces)
		s->rx_cap *= 2;
	s->rx_index = xcalloc(s->rx_cap, sizeof *s->rx_index);
	s->limits = limits;
	return s;
}

void store_destroy(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->count; i++) {
		size_t slot = (s->first + i) % s->limits.max_traces;
		if (!s->borrowed[slot])
			free(s->traces[slot].spans);
		free(s->http_owned[slot]);
		otel_set_destroy(s->owned_set[slot]);
	}
	free(s->owned_set);
	free(s->changed);
	free(s->observed);
	free(s->bytes);
	free(s->rx_index);
	for (size_t i = 0; i < s->nhttp_wait; i++)
		free(s->http_wait[(s->http_first + i) % STORE_HTTP_PENDING_MAX].info);
	for (size_t i = 0; i < s->nblocks; i++)
		free(s->blocks[i]);
	free(s->blocks);
	free(s->borrowed);
	free(s->http_owned);
	free(s->traces);
	for (size_t p = 0; p < STORE_MAX_PRODUCERS; p++)
		free(s->pending[p].spans);
	free(s);
}

static size_t rx_hash(const struct store *s, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	uint64_t a, b;
	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return (size_t)(((a ^ b) * 0x9e3779b97f4a7c15ull) >> 32) & (s->rx_cap - 1);
}

/* The index position holding slot's entry, or SIZE_MAX. */
static size_t rx_position(const struct store *s, const uint8_t id[SPAN_TRACE_ID_LEN], size_t *slot_out)
{
	for (size_t i = rx_hash(s, id);; i = (i + 1) & (s->rx_cap - 1)) {
		size_t e = s->rx_index[i];
		if (!e)
			return SIZE_MAX;
		if (memcmp(s->traces[e - 1].trace_id, id, SPAN_TRACE_ID_LEN) == 0) {
			*slot_out = e - 1;
			return i;
		}
	}
}

static void rx_insert(struct store *s, size_t slot)
{
	size_t i = rx_hash(s, s->traces[slot].trace_id);
	while (s->rx_index[i])
		i = (i + 1) & (s->rx_cap - 1);
	s->rx_index[i] = slot + 1;
}

/* Removes slot's entry (backward-shift deletion: no tombstones). */
static void rx_remove(struct store *s, size_t slot)
{
	size_t found, i = rx_position(s, s->traces[slot].trace_id, &found);
	if (i == SIZE_MAX || found != slot)
		return;
	size_t mask = s->rx_cap - 1;
	for (size_t j = (i + 1) & mask; s->rx_index[j]; j = (j + 1) & mask) {
		size_t home = rx_hash(s, s->traces[s->rx_index[j] - 1].trace_id);
		/* j's entry may move to i when i lies cyclically in [home, j). */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			s->rx_index[i] = s->rx_index[j];
			i = j;
		}
	}
	s->rx_index[i] = 0;
}

static void evict_oldest(struct store *s)
{
	assert(s->count > 0);
	struct trace *t = &s->traces[s->first];
	assert(s->spans_held >= t->nspans);
	s->spans_held -= t->nspans;
	if (!s->borrowed[s->first])
		free(t->spans);
	s->borrowed[s->first] = false;
	free(s->http_owned[s->first]);
	s->http_owned[s->first] = NULL;
	if (s->owned_set[s->first]) {
		rx_remove(s, s->first);
		otel_set_destroy(s->owned_set[s->first]);
		s->owned_set[s->first] = NULL;
	}
	s->bytes_held -= s->bytes[s->first], s->bytes[s->first] = 0;
	s->changed[s->first] = 0;
	s->observed[s->first] = false;
	memset(t, 0, sizeof *t);
	s->first = (s->first + 1) % s->limits.max_traces;
	s->count--;
	s->evicted++;
}

static int by_start(const void *a, const void *b)
{
	const struct span_record *x = a, *y = b;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if ((x->parent_id == 0) != (y->parent_id == 0))
		return x->parent_id == 0 ? -1 : 1; /* the root first */
	if (x->end_ns != y->end_ns)
		return x->end_ns > y->end_ns ? -1 : 1; /* the enclosing span first */
	return 0;
}

/*
 * Sorts a trace's spans by start. They arrive as spans end: a parent after
 * its children, siblings in order. So an insertion sort (binary search, one
 * memmove) moves each span past its descendants only: for the root that is
 * every other span, for a leaf nothing, O(n x depth) in all, where qsort
 * took most of the consumer's time. Spans in another order (a file's) cost
 * it more moves; past a budget of 8 per span, which no trace the tracer
 * records needs (its depth is at most TRACER_MAX_DEPTH), qsort takes over.
 * Equal spans keep their arrival order.
 */
static void sort_by_start(struct span_record *v, size_t n)
{
	size_t budget = 8 * n + 64;
	for (size_t i = 1; i < n; i++) {
		if (by_start(&v[i - 1], &v[i]) <= 0)
			continue;
		struct span_record x = v[i];
		size_t lo = 0, hi = i - 1; /* v[i - 1] goes after x: the place is at or before it */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (by_start(&v[mid], &x) > 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		if (i - lo > budget) {
			qsort(v, n, sizeof *v, by_start);
			return;
		}
		budget -= i - lo;
		memmove(&v[lo + 1], &v[lo], (i - lo) * sizeof *v);
		v[lo] = x;
	}
}

/* A trace's spans sorted by start, the root first. */
static void arrange(struct trace *t)
{
	sort_by_start(t->spans, t->nspans);
	if (t->spans[0].parent_id != 0) { /* a child starting before its root (clock skew): the root first still */
		size_t r = 1;
		while (r < t->nspans && t->spans[r].parent_id != 0)
			r++;
		assert(r < t->nspans);
		struct span_record root = t->spans[r];
		memmove(&t->spans[1], &t->spans[0], r * sizeof *t->spans);
		t->spans[0] = root;
	}
	assert(t->spans[0].parent_id == 0); /* by_start puts the root first */
}

/* The waiting HTTP info for the trace in slot, if any: the oldest waiting
 * with its id joins it. */
static void http_join_waiting(struct store *s, size_t slot)
{
	struct trace *t = &s->traces[slot];
	for (size_t i = 0; i < s->nhttp_wait; i++) {
		size_t w = (s->http_first + i) % STORE_HTTP_PENDING_MAX;
		if (memcmp(s->http_wait[w].trace_id, t->trace_id, SPAN_TRACE_ID_LEN) != 0)
			continue;
		s->http_owned[slot] = s->http_wait[w].info;
		t->http = s->http_owned[slot];
		/* Close the gap: the later waiting ones move up by one. */
		for (size_t k = i; k + 1 < s->nhttp_wait; k++)
			s->http_wait[(s->http_first + k) % STORE_HTTP_PENDING_MAX] =
			    s->http_wait[(s->http_first + k + 1) % STORE_HTTP_PENDING_MAX];
		s->nhttp_wait--;
		return;
	}
}

/* spans[0..n), a trace's, root last, become a kept trace (borrowed: they
 * lie in an adopted block). */
static void install(struct store *s, struct span_record *spans, size_t n, bool borrowed)
{
	while (s->count > 0 && (s->count == s->limits.max_traces || s->spans_held + n > s->limits.max_spans))
		evict_oldest(s);

	assert(s->count < s->limits.max_traces);
	assert(n > 0 && spans[n - 1].parent_id == 0); /* the root came last */
	size_t slot = (s->first + s->count) % s->limits.max_traces;
	struct trace *t = &s->traces[slot];
	s->borrowed[slot] = borrowed;
	s->count++;
	t->seq = ++s->completed;
	t->nspans = n;
	t->spans = spans;
	arrange(t);
	t->otel = s->otel;
	if (t->spans[0].flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER)) {
		/* A foreign trace's id is in its spans' details (a placeholder root has none). */
		memset(t->trace_id, 0, SPAN_TRACE_ID_LEN);
		for (size_t i = 0; i < t->nspans; i++) {
			const struct otel_span *detail = otel_span_of(s->otel, &t->spans[i]);
			if (detail) {
				memcpy(t->trace_id, detail->trace_id, SPAN_TRACE_ID_LEN);
				break;
			}
		}
		static const uint8_t none[SPAN_TRACE_ID_LEN];
		if ((t->spans[0].flags & SPAN_F_PLACEHOLDER) && memcmp(t->trace_id, none, SPAN_TRACE_ID_LEN) == 0)
			memcpy(t->trace_id, t->spans[0].u.root.trace_id, SPAN_TRACE_ID_LEN); /* lab spans: the reader's copy */
	} else {
		memcpy(t->trace_id, t->spans[0].u.root.trace_id, SPAN_TRACE_ID_LEN);
	}
	s->spans_held += t->nspans;
	http_join_waiting(s, slot);
	if (s->observer)
		s->observer(s->observer_ctx, t);
}

/* The root has arrived: the producer's pending spans become a trace. */
static void complete(struct store *s, struct pending *p)
{
	/* The pending buffer becomes the trace's (trimmed to size: realloc
	 * shrinks in place), and a new one of the same size takes its place. */
	size_t n = p->n;
	struct span_record *spans = xrealloc_array(p->spans, n, sizeof *spans);
	p->spans = xmalloc_array(p->cap, sizeof *p->spans);
	p->n = 0;
	install(s, spans, n, false);
}

void store_set_observer(struct store *s, store_observer_fn *fn, void *ctx)
{
	s->observer = fn;
	s->observer_ctx = ctx;
}

void store_set_otel(struct store *s, const struct otel_set *set) { s->otel = set; }

/* The producer's pending trace; out of range is the caller's bug (see store.h). */
static struct pending *pending_of(struct store *s, unsigned producer)
{
	assert(producer < STORE_MAX_PRODUCERS);
	if (producer >= STORE_MAX_PRODUCERS)
		producer = STORE_MAX_PRODUCERS - 1;
	return &s->pending[producer];
}

static void ingest_from(struct store *s, struct pending *p, const struct span_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct span_record *r = &recs[i];
		s->received++;
		if (p->n > 0 && r->trace_seq != p->seq) {
			s->orphaned += p->n; /* that trace's root was dropped */
			p->orphaned += p->n;
			p->n = 0;
		}
		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 256;
			p->spans = xrealloc_array(p->spans, p->cap, sizeof *p->spans);
		}
		p->spans[p->n++] = *r;
		p->seq = r->trace_seq;
		if (r->parent_id == 0)
			complete(s, p);
	}
}

void store_ingest(struct store *s, const struct span_record *recs, size_t n)
{
	ingest_from(s, &s->pending[0], recs, n);
}

void store_ingest_from(struct store *s, const struct span_record *recs, size_t n, unsigned producer)
{
	ingest_from(s, pending_of(s, producer), recs, n);
}

void store_adopt(struct store *s, struct span_record *recs, size_t n)
{
	if (s->pending[0].n > 0 || n == 0) { /* a trace begun before: the records join it as copies */
		store_ingest(s, recs, n);
		free(recs);
		return;
	}
	s->blocks = xrealloc_array(s->blocks, s->nblocks + 1, sizeof *s->blocks);
	s->blocks[s->nblocks++] = recs;
	size_t begin = 0;
	for (size_t i = 0; i < n; i++) {
		s->received++;
		if (recs[i].trace_seq != recs[begin].trace_seq) {
			s->orphaned += i - begin; /* that trace's root was dropped */
			s->pending[0].orphaned += i - begin;
			begin = i;
		}
		if (recs[i].parent_id == 0) {
			install(s, recs + begin, i + 1 - begin, true);
			begin = i + 1;
		}
	}
	if (begin < n) { /* a trace whose root is still to come */
		s->received -= n - begin;
		store_ingest(s, recs + begin, n - begin);
	}
}

size_t store_drain_from(struct store *s, struct ring *ring, unsigned producer)
{
	struct pending *p = pending_of(s, producer);
	struct span_record batch[DRAIN_BATCH];
	size_t total = 0, n;
	while ((n = ring_pop(ring, batch, DRAIN_BATCH)) > 0) {
		ingest_from(s, p, batch, n);
		total += n;
	}
	return total;
}

size_t store_drain(struct store *s, struct ring *ring)
{
	return store_drain_from(s, ring, 0);
}

void store_attach_http(struct store *s, struct http_info *info)
{
	if (!info)
		return;
	/* struct http_info's first member is its uint8_t trace_id[16]
	 * (httpinfo.h): a pointer to the struct, converted, points to it. */
	const uint8_t *id = (const uint8_t *)info;
	size_t found = SIZE_MAX;
	for (size_t i = s->count; i-- > 0;) { /* the oldest kept trace with the id and no info */
		size_t slot = (s->first + i) % s->limits.max_traces;
		if (!s->http_owned[slot] && memcmp(s->traces[slot].trace_id, id, SPAN_TRACE_ID_LEN) == 0)
			found = slot;
	}
	if (found != SIZE_MAX) {
		s->http_owned[found] = info;
		s->traces[found].http = info;
		return;
	}
	if (s->nhttp_wait == STORE_HTTP_PENDING_MAX) { /* the oldest waiting gives up */
		free(s->http_wait[s->http_first].info);
		s->http_first = (s->http_first + 1) % STORE_HTTP_PENDING_MAX;
		s->nhttp_wait--;
		s->http_unmatched++;
	}
	struct http_wait *w = &s->http_wait[(s->http_first + s->nhttp_wait) % STORE_HTTP_PENDING_MAX];
	w->info = info;
	memcpy(w->trace_id, id, SPAN_TRACE_ID_LEN);
	s->nhttp_wait++;
}

uint64_t store_http_unmatched(const struct store *s) { return s->http_unmatched; }
size_t store_http_pending(const struct store *s) { return s->nhttp_wait; }

uint64_t store_spans_orphaned_from(const struct store *s, unsigned producer)
{
	return producer < STORE_MAX_PRODUCERS ? s->pending[producer].orphaned : 0;
}

size_t store_trace_count(const struct store *s) { return s->count; }

const struct trace *store_trace(const struct store *s, size_t i)
{
	if (i >= s->count)
		return NULL;
	return &s->traces[(s->first + i) % s->limits.max_traces];
}

const struct trace *store_latest(const struct store *s) { return s->count ? store_trace(s, s->count - 1) : NULL; }

const struct trace *store_find(const struct store *s, uint64_t seq)
{
	/* Kept traces hold consecutive seqs, the newest being completed. */
	if (seq == 0 || seq > s->completed || s->completed - seq >= s->count)
		return NULL;
	const struct trace *t = store_trace(s, s->count - 1 - (size_t)(s->completed - seq));
	assert(t && t->seq == seq);
	return t;
}

/* ---- received traces ---- */

static size_t real_spans(const struct span_record *v, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += !(v[i].flags & SPAN_F_PLACEHOLDER);
	return k;
}

uint64_t store_put_received(struct store *s, const uint8_t id[SPAN_TRACE_ID_LEN], struct span_record *spans,
                            size_t n, struct otel_set *set, bool open)
{
	assert(n > 0);
	size_t slot;
	struct trace *t;
	size_t nb = otel_set_bytes(set);
	if (rx_position(s, id, &slot) != SIZE_MAX) { /* replaced where it lies */
		t = &s->traces[slot];
		size_t old = t->nspans;
		s->received -= real_spans(t->spans, old); /* counted again below */
		free(t->spans);
		t->spans = NULL;
		t->nspans = 0;
		s->spans_held -= old;
		s->bytes_held -= s->bytes[slot], s->bytes[slot] = 0;
		/* Older traces make room, never this one nor a newer one. */
		while (s->count > 1 && s->first != slot &&
		       (s->spans_held + n > s->limits.max_spans || s->bytes_held + nb > s->limits.max_bytes))
			evict_oldest(s);
		if (s->owned_set[slot] != set) {
			otel_set_destroy(s->owned_set[slot]);
			s->owned_set[slot] = set;
		}
	} else {
		while (s->count > 0 && (s->count == s->limits.max_traces || s->spans_held + n > s->limits.max_spans ||
		                        s->bytes_held + nb > s->limits.max_bytes))
			evict_oldest(s);
		slot = (s->first + s->count) % s->limits.max_traces;
		s->count++;
		t = &s->traces[slot];
		memset(t, 0, sizeof *t);
		t->seq = ++s->completed;
		memcpy(t->trace_id, id, SPAN_TRACE_ID_LEN);
		s->borrowed[slot] = false;
		s->owned_set[slot] = set;
		s->observed[slot] = false;
		rx_insert(s, slot);
	}
	t->spans = spans;
	t->nspans = n;
	t->otel = set;
	t->open = open;
	arrange(t);
	s->changed[slot] = ++s->changes;
	s->received += real_spans(spans, n);
	s->spans_held += n;
	s->bytes[slot] = nb;
	s->bytes_held += nb;
	if (!open && !s->observed[slot]) {
		s->observed[slot] = true;
		if (s->observer)
			s->observer(s->observer_ctx, t);
	}
	return t->seq;
}

const struct trace *store_find_received(const struct store *s, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	size_t slot;
	return rx_position(s, id, &slot) != SIZE_MAX ? &s->traces[slot] : NULL;
}

struct otel_set *store_received_set(struct store *s, uint64_t seq)
{
	const struct trace *t = store_find(s, seq);
	if (!t)
		return NULL;
	return s->owned_set[(size_t)(t - s->traces)];
}

bool store_close_received(struct store *s, uint64_t seq)
{
	const struct trace *found = store_find(s, seq);
	if (!found || !s->owned_set[(size_t)(found - s->traces)])
		return false;
	size_t slot = (size_t)(found - s->traces);
	struct trace *t = &s->traces[slot];
	t->open = false;
	s->changed[slot] = ++s->changes;
	if (!s->observed[slot]) {
		s->observed[slot] = true;
		if (s->observer)
			s->observer(s->observer_ctx, t);
	}
	return true;
}

uint64_t store_changes(const struct store *s) { return s->changes; }

uint64_t store_trace_changed(const struct store *s, const struct trace *t)
{
	size_t slot = (size_t)(t - s->traces);
	return slot < s->limits.max_traces ? s->changed[slot] : 0;
}

struct store_limits store_get_limits(const struct store *s) { return s->limits; }

uint64_t store_traces_completed(const struct store *s) { return s->completed; }
uint64_t store_spans_received(const struct store *s) { return s->received; }
uint64_t store_spans_orphaned(const struct store *s) { return s->orphaned; }
uint64_t store_traces_evicted(const struct store *s) { return s->evicted; }
size_t store_spans_held(const struct store *s) { return s->spans_held; }
size_t store_bytes_held(const struct store *s) { return s->bytes_held; }
