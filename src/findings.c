/*
 * findings — the detectors over one trace (N+1: a run of one fingerprint
 * under one parent, unless it is batching — in a file's trace, every
 * repetition of a fingerprint under one parent or loop span, interleaved
 * or not; full scans repeated in a loop)
 * with their evidence and the time a fix would save, the settings the
 * trace ran under, and the kinds' names (findings.h).
 */
#include "obslab/findings.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/analysis.h"
#include "obslab/attrs.h"
#include "obslab/duration.h"
#include "obslab/otel.h"
#include "obslab/request.h"
#include "obslab/span.h"
#include "obslab/sqlfp.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/xalloc.h"

void findings_init(struct findings *f)
{
	memset(f, 0, sizeof *f);
	spantree_init(&f->tree);
}

void findings_free(struct findings *f)
{
	free(f->item);
	free(f->evidence);
	spantree_free(&f->tree);
	findings_init(f);
}

/* A new finding at the end, zeroed; the array grows as it must (no cap:
 * every loop of a trace is one). */
static struct finding *new_item(struct findings *f)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->item = xrealloc_array(f->item, f->cap, sizeof *f->item);
	}
	struct finding *x = &f->item[f->n];
	memset(x, 0, sizeof *x);
	return x;
}

const char *finding_name(enum finding_kind kind)
{
	return kind == FINDING_N_PLUS_ONE ? "N+1 queries" : "full scan in a loop";
}

const char *finding_key(enum finding_kind kind)
{
	return kind == FINDING_N_PLUS_ONE ? "n_plus_one" : "full_scan_loop";
}

const char *finding_saving_basis(const struct finding *f)
{
	if (f->kind == FINDING_FULL_SCAN_LOOP)
		return "the repetitions' database time (network excluded)";
	return f->foreign ? "estimated: N-1 round trips of the median call, from the file's times"
	                  : "estimated: N-1 times the median query";
}

static void push_evidence(struct findings *f, uint32_t span)
{
	if (f->evidence_len == f->evidence_cap) {
		f->evidence_cap = f->evidence_cap ? f->evidence_cap * 2 : 256;
		f->evidence = xrealloc_array(f->evidence, f->evidence_cap, sizeof *f->evidence);
	}
	f->evidence[f->evidence_len++] = span;
}

/* The run's members as evidence, and their durations summed and median. */
static struct finding *record(struct findings *f, const struct trace *t, enum finding_kind kind,
                              uint32_t first, uint32_t count)
{
	struct finding *x = new_item(f);
	f->n++;
	x->kind = kind;
	x->fingerprint = t->spans[first].name;
	x->count = count;
	x->evidence = f->evidence_len;
	x->source = SPANTREE_NONE;
	x->foreign = (t->spans[first].flags & SPAN_F_FOREIGN) != 0;
	int64_t *durations = xmalloc_array(count, sizeof *durations);
	struct duration_union cost = { 0 }; /* siblings: in order of their starts */
	uint32_t c = first;
	for (uint32_t k = 0; k < count; k++, c = f->tree.next_sibling[c]) {
		push_evidence(f, c);
		durations[k] = span_duration_ns(&t->spans[c]);
		duration_union_add(&cost, t->spans[c].start_ns, t->spans[c].end_ns);
	}
	x->cost_ns = duration_union_total(&cost);
	x->median_ns = analysis_median(durations, count);
	free(durations);
	return x;
}

/* What one query instead of x's repetitions saves: all but one of them,
 * never more than the wall-clock time they took (overlapping ones). */
static int64_t saving(const struct finding *x)
{
	int64_t all_but_one = duration_mul(x->median_ns, x->count - 1);
	return all_but_one <= x->cost_ns ? all_but_one : duration_sub(x->cost_ns, x->median_ns);
}

static bool sequential(const struct spantree *tree, const struct trace *t, uint32_t first, uint32_t count)
{
	uint32_t c = first;
	for (uint32_t k = 1; k < count; k++) {
		uint32_t next = tree->next_sibling[c];
		if (t->spans[next].start_ns < t->spans[c].end_ns)
			return false;
		c = next;
	}
	return true;
}

/* A span's rows when they are known (a foreign span's only when its file
 * gave db.response.returned_rows), else 0. */
static uint32_t known_rows(const struct span_record *s)
{
	if ((s->flags & SPAN_F_FOREIGN) && !(s->u.foreign.known & SPAN_KNOWN_ROWS))
		return 0;
	return s->u.db.rows;
}

/* IN (...) chunks, not one query per parent: each repetition serves many
 * parents. The source's rows (the parents) are at least FINDINGS_BATCH_ROWS
 * per repetition, and the repetitions either returned at least that many
 * rows each or take a list ("IN (?)", "= ANY(?)"): chunks of parents that
 * have few or no rows of their own are still chunks. Unknown rows (0, as
 * other tools' files may leave them) in the source never make a run
 * batching. */
static bool batched(const struct spantree *tree, const struct trace *t, uint32_t source, uint32_t first,
                    uint32_t count, const struct strtab *names)
{
	uint64_t parents = known_rows(&t->spans[source]), rows = 0, need = (uint64_t)FINDINGS_BATCH_ROWS * count;
	if (parents < need)
		return false;
	uint32_t c = first;
	for (uint32_t k = 0; k < count; k++, c = tree->next_sibling[c])
		rows += known_rows(&t->spans[c]);
	if (rows >= need)
		return true;
	const char *sql = names ? strtab_get(names, t->spans[first].name) : NULL;
	return sql && sqlfp_takes_list(sql);
}

/* The index that would end x's scans: "orders(user_id)". */
static void index_hint(struct finding *x, const struct strtab *names)
{
	const char *sql = strtab_get(names, x->fingerprint);
	char table[40], column[40];
	sqlfp_collection(sql, table, sizeof table);
	sqlfp_where_column(sql, column, sizeof column);
	if (table[0] && column[0])
		snprintf(x->index_hint, sizeof x->index_hint, "%s(%s)", table, column);
	else
		snprintf(x->index_hint, sizeof x->index_hint, "%s", table[0] ? table : "?");
}

static void full_scan(struct findings *f, const struct trace *t, uint32_t first, uint32_t count,
                      const struct strtab *names)
{
	uint64_t scanned = 0;
	int64_t db_ns = 0;
	uint32_t c = first;
	if (t->spans[first].flags & SPAN_F_FOREIGN)
		return; /* a foreign trace's are found by group: full_scan_members */
	for (uint32_t k = 0; k < count; k++, c = f->tree.next_sibling[c]) {
		scanned += t->spans[c].u.db.fullscan_steps;
		db_ns = duration_add(db_ns, duration_sub(span_duration_ns(&t->spans[c]), t->spans[c].u.db.net_wait_ns));
	}
	if (scanned == 0)
		return;
	struct finding *x = record(f, t, FINDING_FULL_SCAN_LOOP, first, count);
	if (!x)
		return;
	x->scanned_rows = scanned;
	x->saving_ns = db_ns < x->cost_ns ? db_ns : x->cost_ns; /* overlapping repetitions: their wall-clock time */
	index_hint(x, names);
}

/* ---- foreign traces: N+1 grouped, not only consecutive ------------------------ */

/* Where a foreign database span repeats: its parent, climbing over database
 * parents and over wrappers (a non-database span whose only child it is),
 * so a loop body that wraps each query in its own span still groups under
 * the loop's span. At most 64 steps. */
static uint32_t group_of(const struct spantree *tree, const struct trace *t, uint32_t i)
{
	uint32_t c = i, p = spantree_find(tree, t->spans[i].parent_id);
	for (int k = 0; k < 64 && p != SPANTREE_NONE && p != 0 && p != c; k++) {
		bool db = (t->spans[p].flags & SPAN_F_DB) != 0;
		bool wrapper = tree->first_child[p] == c && tree->last_child[p] == c;
		if (!db && !wrapper)
			return p;
		c = p;
		p = spantree_find(tree, t->spans[p].parent_id);
	}
	return p == SPANTREE_NONE || p == c ? 0 : p;
}

struct member {
	uint32_t group, name, span;
	int64_t start;
};

static int by_group_name_start(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->name != b->name)
		return a->name < b->name ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->span > b->span) - (a->span < b->span);
}

static int by_group_start(const void *pa, const void *pb)
{
	const struct member *a = pa, *b = pb;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->span > b->span) - (a->span < b->span);
}

/* The query just before `m` under its group (by start), or SPANTREE_NONE:
 * the source whose rows tell batching apart. */
static uint32_t source_before(const struct member *by_start, size_t n, const struct member *m)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (by_group_start(&by_start[mid], m) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || by_start[lo - 1].group != m->group || by_start[lo - 1].name == m->name)
		return SPANTREE_NONE;
	return by_start[lo - 1].span;
}

static bool batched_list(const struct trace *t, uint32_t source, const struct member *m, uint32_t count,
                         const struct strtab *names)
{
	if (source == SPANTREE_NONE)
		return false; /* no source, no parents' rows: never batching */
	uint64_t parents = known_rows(&t->spans[source]), rows = 0, need = (uint64_t)FINDINGS_BATCH_ROWS * count;
	if (parents < need)
		return false;
	for (uint32_t k = 0; k < count; k++)
		rows += known_rows(&t->spans[m[k].span]);
	if (rows >= need)
		return true;
	const char *sql = names ? strtab_get(names, m[0].name) : NULL;
	return sql && sqlfp_takes_list(sql);
}

/* A new finding of a foreign group's repetitions: its spans as evidence,
 * their summed cost and median. Not yet counted (f->n): the caller decides. */
static struct finding *group_finding(struct findings *f, const struct trace *t, const struct member *m,
                                     uint32_t count, enum finding_kind kind, uint32_t source)
{
	struct finding *x = new_item(f);
	x->kind = kind;
	x->fingerprint = m[0].name;
	x->count = count;
	x->evidence = f->evidence_len;
	x->source = source;
	x->foreign = true;
	int64_t *durations = xmalloc_array(count, sizeof *durations);
	struct duration_union cost = { 0 }; /* members: in order of their starts */
	for (uint32_t k = 0; k < count; k++) {
		const struct span_record *s = &t->spans[m[k].span];
		push_evidence(f, m[k].span);
		durations[k] = span_duration_ns(s);
		duration_union_add(&cost, s->start_ns, s->end_ns);
	}
	x->cost_ns = duration_union_total(&cost);
	x->median_ns = analysis_median(durations, count);
	free(durations);
	return x;
}

static void record_members(struct findings *f, const struct trace *t, const struct member *m, uint32_t count,
                           uint32_t source, const struct findings_config *cfg)
{
	struct finding *x = group_finding(f, t, m, count, FINDING_N_PLUS_ONE, source);
	if (x->cost_ns < cfg->n1_min_ns) {
		f->evidence_len = x->evidence; /* below the time threshold */
		return;
	}
	x->saving_ns = saving(x);
	f->n++;
}

/* The simulated round trip obslab's export wrote on a span of its own
 * (obslab.net_wait_ns), else 0: the record of a foreign span keeps none. */
static int64_t exported_net_wait(const struct trace *t, const struct span_record *s)
{
	const struct otel_span *sp = otel_span_of(t->otel, s);
	const struct otel_value *v = sp ? otel_attrs_find(t->otel, sp->attrs, ATTR_KEY_NET_WAIT_NS) : NULL;
	return v && v->type == OTEL_VALUE_INT && v->u.i > 0 && v->u.i <= span_duration_ns(s) ? v->u.i : 0;
}

/* A foreign group's repetitions with statement counters (obslab's own OTLP
 * export carries obslab.db.fullscan_steps; nobody else's spans do). */
static void full_scan_members(struct findings *f, const struct trace *t, const struct member *m, uint32_t count,
                              const struct strtab *names)
{
	uint64_t scanned = 0;
	int64_t db_ns = 0;
	for (uint32_t k = 0; k < count; k++) {
		const struct span_record *s = &t->spans[m[k].span];
		scanned += s->u.db.fullscan_steps;
		db_ns = duration_add(db_ns, duration_sub(span_duration_ns(s), exported_net_wait(t, s)));
	}
	if (scanned == 0)
		return;
	struct finding *x = group_finding(f, t, m, count, FINDING_FULL_SCAN_LOOP, SPANTREE_NONE);
	f->n++;
	x->scanned_rows = scanned;
	x->saving_ns = db_ns < x->cost_ns ? db_ns : x->cost_ns; /* overlapping repetitions: their wall-clock time */
	index_hint(x, names);
}

/* Every fingerprint repeated at least min_count times, one after another
 * (no two overlapping), under one group (group_of), interleaved with other
 * queries or not, with or without a query before it. */
static void detect_foreign(struct findings *f, const struct trace *t, const struct findings_config *cfg,
                           const struct strtab *names, uint32_t min_count)
{
	const struct spantree *tree = &f->tree;
	bool *nested = analysis_db_nested(t); /* an ORM's span around its driver's: the outer one counts */
	size_t n = 0;
	for (uint32_t i = 1; i < t->nspans; i++)
		n += (t->spans[i].flags & SPAN_F_DB) && !(t->spans[i].flags & SPAN_F_PLACEHOLDER) && !(nested && nested[i]);
	if (n < min_count) {
		free(nested);
		return;
	}
	struct member *m = xmalloc_array(n, sizeof *m), *by_start = xmalloc_array(n, sizeof *by_start);
	size_t j = 0;
	for (uint32_t i = 1; i < t->nspans; i++)
		if ((t->spans[i].flags & SPAN_F_DB) && !(t->spans[i].flags & SPAN_F_PLACEHOLDER) && !(nested && nested[i]))
			m[j++] = (struct member){ group_of(tree, t, i), t->spans[i].name, i, t->spans[i].start_ns };
	free(nested);
	memcpy(by_start, m, n * sizeof *m);
	qsort(m, n, sizeof *m, by_group_name_start);
	qsort(by_start, n, sizeof *by_start, by_group_start);
	for (size_t a = 0; a < n;) {
		size_t b = a + 1;
		while (b < n && m[b].group == m[a].group && m[b].name == m[a].name)
			b++;
		uint32_t count = (uint32_t)(b - a);
		bool seq = true;
		for (size_t k = a + 1; k < b && seq; k++)
			seq = m[k].start >= t->spans[m[k - 1].span].end_ns;
		if (count >= min_count && seq) {
			uint32_t source = source_before(by_start, n, &m[a]);
			if (!batched_list(t, source, &m[a], count, names))
				record_members(f, t, &m[a], count, source, cfg);
		}
		if (count >= 2)
			full_scan_members(f, t, &m[a], count, names);
		a = b;
	}
	free(m);
	free(by_start);
}

void findings_detect(struct findings *f, const struct trace *t, const struct findings_config *cfg,
                     const struct strtab *names)
{
	f->n = 0;
	f->evidence_len = 0;
	findings_settings_of(t, &f->settings);
	if (!t || t->nspans == 0)
		return;
	spantree_build(&f->tree, t);
	const struct spantree *tree = &f->tree;
	uint32_t min_count = cfg->n1_min_count > 1 ? cfg->n1_min_count : 2;
	if (analysis_trace_foreign(t)) {
		detect_foreign(f, t, cfg, names, min_count);
		return;
	}
	for (uint32_t parent = 0; parent < t->nspans; parent++) {
		uint32_t source = SPANTREE_NONE; /* the last query before the current run */
		for (uint32_t c = tree->first_child[parent]; c != SPANTREE_NONE;) {
			uint32_t run = spantree_run(tree, t, c);
			uint32_t last = c;
			for (uint32_t k = 1; k < run; k++)
				last = tree->next_sibling[last];
			if (t->spans[c].flags & SPAN_F_DB) {
				if (run >= min_count && source != SPANTREE_NONE && sequential(tree, t, c, run) &&
				    !batched(tree, t, source, c, run, names)) {
					size_t before = f->n;
					struct finding *x = record(f, t, FINDING_N_PLUS_ONE, c, run);
					if (x && x->cost_ns < cfg->n1_min_ns) {
						f->n = before; /* below the time threshold */
						f->evidence_len = x->evidence;
					} else if (x) {
						x->source = source;
						x->saving_ns = saving(x);
					}
				}
				if (run >= 2)
					full_scan(f, t, c, run, names);
				source = last;
			}
			c = tree->next_sibling[last];
		}
	}
}

void findings_settings_of(const struct trace *t, struct findings_settings *out)
{
	memset(out, 0, sizeof *out);
	if (!t || t->nspans == 0)
		return;
	if (analysis_trace_foreign(t)) {
		out->foreign = true;
		return;
	}
	const struct span_record *root = &t->spans[0];
	out->strategy = root->strategy;
	out->users = root->u.root.users;
	out->index = (root->flags & SPAN_F_INDEX) != 0;
	uint32_t least = UINT32_MAX;
	for (size_t i = 1; i < t->nspans; i++)
		if ((t->spans[i].flags & SPAN_F_DB) && t->spans[i].db_system == SPAN_DB_SQLITE && /* PostgreSQL's is measured, not a setting */
		    t->spans[i].u.db.net_wait_ns < least)
			least = t->spans[i].u.db.net_wait_ns;
	out->has_rtt = least != UINT32_MAX;
	out->rtt_us = out->has_rtt ? least / 1000u : 0;
}

void findings_settings_text(const struct findings_settings *s, char *buf, size_t cap)
{
	if (s->foreign) {
		snprintf(buf, cap, "its own service's settings, not the lab's");
		return;
	}
	int n = snprintf(buf, cap, "%s, %" PRIu32 " users, index %s", strategy_name((enum strategy)s->strategy),
	                 s->users, s->index ? "on" : "off");
	if (s->has_rtt && n >= 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, ", RTT %" PRIu32 " us", s->rtt_us);
}

/* Appends ", " and the text to buf (kept within cap). */
static void append(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	if (len + 1 >= cap)
		return;
	if (len) {
		snprintf(buf + len, cap - len, ", ");
		len = strlen(buf);
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

bool findings_settings_differ(const struct findings_settings *ran, const struct findings_settings *now, char *buf,
                              size_t cap)
{
	char local[8];
	if (!buf || cap == 0) {
		buf = local;
		cap = sizeof local;
	}
	buf[0] = '\0';
	if (ran->foreign || now->foreign)
		return false;
	bool differ = false;
	if (ran->strategy != now->strategy) {
		append(buf, cap, "%s", strategy_name((enum strategy)ran->strategy));
		differ = true;
	}
	if (ran->users != now->users) {
		append(buf, cap, "%" PRIu32 " users", ran->users);
		differ = true;
	}
	if (ran->index != now->index) {
		append(buf, cap, "index %s", ran->index ? "on" : "off");
		differ = true;
	}
	if (ran->has_rtt && now->has_rtt) {
		uint64_t want = now->rtt_us, got = ran->rtt_us;
		if (got < want || got > want + want / 4 + 10) {
			append(buf, cap, "RTT %" PRIu32 " us", ran->rtt_us);
			differ = true;
		}
	}
	return differ;
}

static const struct finding *find(const struct findings *f, enum finding_kind kind, uint32_t span,
                                  uint32_t fingerprint, bool by_span)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->item[i];
		if (x->kind != kind)
			continue;
		if (!by_span && x->fingerprint == fingerprint)
			return x;
		for (uint32_t k = 0; by_span && k < x->count; k++)
			if (f->evidence[x->evidence + k] == span)
				return x;
	}
	return NULL;
}

const struct finding *findings_for_span(const struct findings *f, enum finding_kind kind, uint32_t i)
{
	return find(f, kind, i, 0, true);
}

const struct finding *findings_for_fingerprint(const struct findings *f, enum finding_kind kind,
                                               uint32_t fingerprint)
{
	return find(f, kind, 0, fingerprint, false);
}
