/*
 * intake — received spans into live traces (see intake.h): one entry per
 * open trace, found by trace id in an open-addressing hash; each span is
 * copied into its trace's otel_set (intake_copy.c) and its record derived
 * once, on arrival; a tick assembles each changed trace once and puts it
 * in the store, and closes the quiet ones.
 */
#include "obslab/intake.h"

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "assemble.h"
#include "intake_copy.h"
#include "obslab/otel.h"
#include "obslab/otlp.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/xalloc.h"

/* A trace open here: spans joined and not yet quiet for quiet_ns. */
struct entry {
	uint8_t id[SPAN_TRACE_ID_LEN];
	struct otel_set *set; /* this entry's own until the first put (seq 0), then the store's */
	uint64_t seq;         /* in the store; 0 before the first put */
	struct raw *raws;     /* one per span of set, derived on arrival, in arrival order */
	size_t nraws, cap;
	int64_t last_ns; /* when the last span joined */
	bool dirty;      /* spans joined since the last put */
	bool late;       /* reopened: its spans count as late */
	uint64_t checked; /* the batch in which the store last confirmed it still holds seq */
	size_t at;        /* index in intake.all */
	size_t used;      /* bytes its spans took (intake_copy_span_cost), for the per-trace cap */
	uint32_t *ids;    /* its spans by span id: detail + 1, linear probing, 0 empty, at most half full */
	size_t cap_ids;
	struct intake_scope_map map;
};

struct intake {
	struct store *store;
	struct strtab *names;
	int64_t quiet_ns;
	size_t max_spans; /* in one trace: INTAKE_TRACE_SPANS, or the store's max_spans if fewer */
	size_t max_bytes; /* in one trace: the store's max_bytes / INTAKE_TRACE_SHARE */
	uint64_t trimmed; /* the batch count at the last intake_idle that gave memory back */
	int64_t trimmed_ns; /* and when */
	uint64_t ctx_batch; /* intake_copy_context_cost of the batch ctx_batch's scope ctx_scope */
	uint32_t ctx_scope;
	size_t ctx_cost;

	struct entry **all; /* dense, every open entry */
	size_t nall, cap_all;
	struct entry **slots; /* by trace id: linear probing, a power of two, at most half full */
	size_t cap_slots;
	struct entry **dirty;
	size_t ndirty, cap_dirty;

	struct assemble_work *work;
	struct assemble_fp_cache *fp;
	struct raw *scratch;
	size_t cap_scratch;
	uint64_t batch; /* intake_add calls, from 1 */
	uint64_t owners; /* the last number given to a trace set (intake_scope_map.owner) */
	struct intake_text_map *texts;
	struct intake_stats stats;
};

struct intake *intake_create(struct store *store, struct strtab *names, int64_t quiet_ns)
{
	struct intake *in = xcalloc(1, sizeof *in);
	in->store = store;
	in->names = names;
	in->quiet_ns = quiet_ns < 0 ? 0 : quiet_ns;
	struct store_limits lim = store_get_limits(store);
	in->max_spans = lim.max_spans < INTAKE_TRACE_SPANS ? lim.max_spans : INTAKE_TRACE_SPANS;
	if (in->max_spans == 0)
		in->max_spans = 1;
	in->max_bytes = lim.max_bytes / INTAKE_TRACE_SHARE;
	in->cap_slots = 64;
	in->slots = xcalloc(in->cap_slots, sizeof *in->slots);
	in->work = assemble_work_create(names);
	in->fp = xcalloc(1, sizeof *in->fp);
	in->texts = xcalloc(1, sizeof *in->texts);
	return in;
}

static void entry_free(struct entry *e)
{
	if (!e->seq)
		otel_set_destroy(e->set); /* never put: still ours */
	free(e->raws);
	free(e->ids);
	free(e);
}

void intake_destroy(struct intake *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->nall; i++)
		entry_free(in->all[i]);
	free(in->all);
	free(in->slots);
	free(in->dirty);
	free(in->scratch);
	assemble_work_destroy(in->work);
	assemble_fp_cache_free(in->fp);
	free(in->fp);
	free(in->texts);
	free(in);
}

/* ---- entries by trace id ---- */

static size_t id_hash(const uint8_t id[SPAN_TRACE_ID_LEN])
{
	uint64_t a, b;
	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return (size_t)(((a ^ (b * 0xff51afd7ed558ccdull)) * 0x9e3779b97f4a7c15ull) >> 29);
}

static size_t slot_of(const struct intake *in, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	size_t mask = in->cap_slots - 1;
	size_t i = id_hash(id) & mask;
	while (in->slots[i] && memcmp(in->slots[i]->id, id, SPAN_TRACE_ID_LEN) != 0)
		i = (i + 1) & mask;
	return i;
}

static void slots_grow(struct intake *in)
{
	struct entry **old = in->slots;
	size_t n = in->cap_slots;
	in->cap_slots *= 2;
	in->slots = xcalloc(in->cap_slots, sizeof *in->slots);
	for (size_t i = 0; i < n; i++)
		if (old[i])
			in->slots[slot_of(in, old[i]->id)] = old[i];
	free(old);
}

/* Backward-shift deletion: no tombstones. */
static void slots_remove(struct intake *in, const struct entry *e)
{
	size_t mask = in->cap_slots - 1, i = slot_of(in, e->id);
	if (in->slots[i] != e)
		return;
	for (size_t j = (i + 1) & mask; in->slots[j]; j = (j + 1) & mask) {
		size_t home = id_hash(in->slots[j]->id) & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			in->slots[i] = in->slots[j];
			i = j;
		}
	}
	in->slots[i] = NULL;
}

static struct entry *entry_new(struct intake *in, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	if ((in->nall + 1) * 2 > in->cap_slots)
		slots_grow(in);
	struct entry *e = xcalloc(1, sizeof *e);
	memcpy(e->id, id, SPAN_TRACE_ID_LEN);
	in->slots[slot_of(in, id)] = e;
	if (in->nall == in->cap_all) {
		in->cap_all = in->cap_all ? in->cap_all * 2 : 64;
		in->all = xrealloc_array(in->all, in->cap_all, sizeof *in->all);
	}
	e->at = in->nall;
	in->all[in->nall++] = e;
	return e;
}

/* Forgets e (its set stays the store's once put). Not while e is in the dirty list. */
static void entry_remove(struct intake *in, struct entry *e)
{
	slots_remove(in, e);
	struct entry *last = in->all[--in->nall];
	in->all[e->at] = last;
	last->at = e->at;
	entry_free(e);
}

/* e starts again as a new trace (the store evicted its old one). */
static void entry_restart(struct intake *in, struct entry *e)
{
	e->set = otel_set_create();
	e->seq = 0;
	e->nraws = 0;
	e->used = 0;
	if (e->ids)
		memset(e->ids, 0, e->cap_ids * sizeof *e->ids);
	e->late = false;
	intake_scope_map_reset(&e->map, ++in->owners);
	in->stats.traces++;
}

/* ---- a trace's spans by span id: exact duplicates ---- */

static size_t span_hash(uint64_t span_id, size_t cap)
{
	return (size_t)((span_id * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

/* detail (a span of e's set) found by its span id from now on. */
static void ids_insert(struct entry *e, uint32_t detail)
{
	if ((e->nraws + 1) * 2 > e->cap_ids) {
		uint32_t *old = e->ids;
		size_t n = e->cap_ids;
		e->cap_ids = n ? n * 2 : 32;
		e->ids = xcalloc(e->cap_ids, sizeof *e->ids);
		for (size_t i = 0; i < n; i++)
			if (old[i]) {
				size_t k = span_hash(e->set->spans[old[i] - 1].span_id, e->cap_ids);
				while (e->ids[k])
					k = (k + 1) & (e->cap_ids - 1);
				e->ids[k] = old[i];
			}
		free(old);
	}
	size_t k = span_hash(e->set->spans[detail].span_id, e->cap_ids);
	while (e->ids[k])
		k = (k + 1) & (e->cap_ids - 1);
	e->ids[k] = detail + 1;
}

/* sp (of src) is a span e already holds, sent again: the same span id,
 * start, end and name. Another span with the same id is kept (and marked a
 * duplicate by assembly). */
static bool sent_again(const struct entry *e, const struct otel_set *src, const struct otel_span *sp)
{
	if (!e->cap_ids)
		return false;
	for (size_t k = span_hash(sp->span_id, e->cap_ids); e->ids[k]; k = (k + 1) & (e->cap_ids - 1)) {
		const struct otel_span *d = &e->set->spans[e->ids[k] - 1];
		if (d->span_id == sp->span_id && d->start_unix_ns == sp->start_unix_ns &&
		    d->end_unix_ns == sp->end_unix_ns && d->name.len == sp->name.len &&
		    (!sp->name.len || memcmp(e->set->text + d->name.off, src->text + sp->name.off, sp->name.len) == 0))
			return true;
	}
	return false;
}

static void raw_push(struct intake *in, struct entry *e, uint32_t detail)
{
	ids_insert(e, detail);
	if (e->nraws == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 16;
		e->raws = xrealloc_array(e->raws, e->cap, sizeof *e->raws);
	}
	struct raw *r = &e->raws[e->nraws];
	assemble_foreign_raw(e->set, detail, r);
	assemble_derive_foreign(e->set, in->names, in->fp, &r->rec);
	r->order = e->nraws++;
}

/* The entry of id, made when missing: a closed trace still kept reopens;
 * otherwise a new trace. An entry whose trace the store evicted since
 * starts again. */
static struct entry *entry_for(struct intake *in, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	struct entry *e = in->slots[slot_of(in, id)];
	if (e) {
		if (e->seq && e->checked != in->batch) {
			if (store_received_set(in->store, e->seq) != e->set)
				entry_restart(in, e);
			e->checked = in->batch;
		}
		return e;
	}
	e = entry_new(in, id);
	e->checked = in->batch;
	const struct trace *t = store_find_received(in->store, id);
	if (!t) {
		entry_restart(in, e);
		return e;
	}
	/* Closed, still kept: it reopens with every span it had. */
	e->seq = t->seq;
	e->set = store_received_set(in->store, t->seq);
	intake_scope_map_reset(&e->map, ++in->owners);
	e->late = true;
	e->used = otel_set_bytes(e->set);
	for (size_t i = 0; i < e->set->nspans; i++)
		raw_push(in, e, (uint32_t)i);
	return e;
}

/* Room in e's set for the run of src's spans from i on that are of e's
 * trace (a batch usually holds a trace's spans together), as far as the
 * per-trace cap lets them in. */
static void reserve_run(const struct intake *in, struct entry *e, const struct otel_set *src, size_t i)
{
	size_t spans = 0, kvs = 0, events = 0, links = 0;
	size_t room = in->max_bytes > e->used ? in->max_bytes - e->used : 0;
	for (size_t j = i; j < src->nspans && memcmp(src->spans[j].trace_id, e->id, SPAN_TRACE_ID_LEN) == 0; j++) {
		const struct otel_span *sp = &src->spans[j];
		if (e->nraws + spans >= in->max_spans ||
		    (spans + 1) * sizeof *sp + (kvs + sp->attrs.count) * sizeof(struct otel_kv) > room)
			break;
		spans++;
		kvs += sp->attrs.count;
		events += sp->nevents;
		links += sp->nlinks;
	}
	if (spans) { /* and for its scope's and resource's attributes, copied with the first span */
		const struct otel_span *sp = &src->spans[i];
		const struct otel_scope *sc = otel_span_scope(src, sp);
		const struct otel_resource *res = otel_span_resource(src, sp);
		kvs += (sc ? sc->attrs.count : 0) + (res ? res->attrs.count : 0);
	}
	otel_set_reserve(e->set, spans, kvs, events, links);
	if (e->nraws + spans > e->cap) {
		e->cap = e->nraws + spans > e->cap * 2 ? e->nraws + spans : e->cap * 2;
		e->raws = xrealloc_array(e->raws, e->cap, sizeof *e->raws);
	}
}

void intake_add(struct intake *in, const struct otlp_batch *b, int64_t now_ns)
{
	const struct otel_set *src = b->set;
	if (!src)
		return;
	in->batch++;
	struct entry *e = NULL;
	for (size_t i = 0; i < src->nspans; i++) {
		const struct otel_span *sp = &src->spans[i];
		if (!e || memcmp(e->id, sp->trace_id, SPAN_TRACE_ID_LEN) != 0) {
			e = entry_for(in, sp->trace_id);
			reserve_run(in, e, src, i);
		}
		if (sent_again(e, src, sp)) {
			in->stats.duplicate_spans++;
			continue;
		}
		size_t cost = intake_copy_span_cost(src, sp);
		size_t nres = e->set->nresources, nscopes = e->set->nscopes;
		if (in->ctx_batch != in->batch || in->ctx_scope != sp->scope) {
			in->ctx_batch = in->batch;
			in->ctx_scope = sp->scope;
			in->ctx_cost = intake_copy_context_cost(src, sp);
		}
		if (e->nraws >= in->max_spans || e->used + cost + in->ctx_cost > in->max_bytes) {
			in->stats.dropped_spans++;
			continue;
		}
		uint32_t detail = intake_copy_span(e->set, src, sp, &e->map, in->texts, in->batch);
		if (otel_full(e->set)) {
			in->stats.dropped_spans++;
			continue;
		}
		e->used += cost;
		if (e->set->nresources != nres || e->set->nscopes != nscopes)
			e->used += in->ctx_cost;
		raw_push(in, e, detail);
		in->stats.spans++;
		in->stats.late_spans += e->late;
		e->last_ns = now_ns;
		if (!e->dirty) {
			e->dirty = true;
			if (in->ndirty == in->cap_dirty) {
				in->cap_dirty = in->cap_dirty ? in->cap_dirty * 2 : 64;
				in->dirty = xrealloc_array(in->dirty, in->cap_dirty, sizeof *in->dirty);
			}
			in->dirty[in->ndirty++] = e;
		}
	}
}

/* Traces already in the store first, oldest first (a put evicts only
 * traces older than its own), then new ones in arrival order: no trace
 * with unpublished spans is evicted before its put. */
static int by_put_order(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
	uint64_t kx = x->seq ? x->seq : UINT64_MAX, ky = y->seq ? y->seq : UINT64_MAX;
	if (kx != ky)
		return kx < ky ? -1 : 1;
	return (x->at > y->at) - (x->at < y->at);
}

/* e's spans assembled and put in the store. */
static void publish(struct intake *in, struct entry *e, bool open)
{
	if (e->seq && store_received_set(in->store, e->seq) != e->set) {
		/* Evicted by a store change after intake_add (not a tick's): its set is gone. */
		entry_restart(in, e);
		return;
	}
	if (e->nraws > in->cap_scratch) {
		in->cap_scratch = e->nraws * 2;
		free(in->scratch);
		in->scratch = xmalloc_array(in->cap_scratch, sizeof *in->scratch);
	}
	memcpy(in->scratch, e->raws, e->nraws * sizeof *e->raws);
	for (size_t i = 0; i < e->set->nspans; i++)
		e->set->spans[i].marks &= (uint8_t)~ASSEMBLE_MARKS;
	struct assemble_out out = { .cap = e->nraws + 2 };
	out.records = xmalloc_array(out.cap, sizeof *out.records);
	assemble_trace(in->work, e->set, in->scratch, e->nraws, 0, &out);
	e->seq = store_put_received(in->store, e->id, out.records, out.n, e->set, open);
	e->dirty = false;
}

bool intake_tick(struct intake *in, int64_t now_ns)
{
	bool changed = in->ndirty > 0;
	if (in->ndirty > 1) /* in->dirty is NULL before the first span */
		qsort(in->dirty, in->ndirty, sizeof *in->dirty, by_put_order);
	for (size_t i = 0; i < in->ndirty; i++) {
		struct entry *e = in->dirty[i];
		if (e->nraws)
			publish(in, e, true);
		e->dirty = false;
	}
	in->ndirty = 0;
	for (size_t i = 0; i < in->nall;) {
		struct entry *e = in->all[i];
		bool evicted = e->seq && store_received_set(in->store, e->seq) != e->set;
		if (!evicted && now_ns - e->last_ns < in->quiet_ns) {
			i++;
			continue;
		}
		if (!evicted && e->seq)
			changed |= store_close_received(in->store, e->seq);
		entry_remove(in, e); /* in->all[i] is now another entry */
	}
	return changed;
}

void intake_close_all(struct intake *in)
{
	if (in->ndirty > 1) /* in->dirty is NULL before the first span */
		qsort(in->dirty, in->ndirty, sizeof *in->dirty, by_put_order);
	for (size_t i = 0; i < in->ndirty; i++)
		if (in->dirty[i]->nraws)
			publish(in, in->dirty[i], true);
	in->ndirty = 0;
	while (in->nall > 0) {
		struct entry *e = in->all[in->nall - 1];
		if (e->seq && store_received_set(in->store, e->seq) == e->set)
			store_close_received(in->store, e->seq);
		entry_remove(in, e);
	}
}

void intake_idle(struct intake *in, int64_t now_ns)
{
	if (in->trimmed == in->batch || now_ns - in->trimmed_ns < INTAKE_TRIM_NS)
		return;
	in->trimmed = in->batch;
	in->trimmed_ns = now_ns;
#ifdef __GLIBC__
	malloc_trim(0); /* the decoders' and evicted traces' memory, kept by glibc's arenas otherwise */
#endif
}

void intake_get_stats(const struct intake *in, struct intake_stats *out)
{
	*out = in->stats;
	out->open = in->nall;
}
