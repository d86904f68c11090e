/*
 * model_diff — the diff's part of the model: the marked trace (m), and the
 * rows of the marked trace aligned with the shown one (d), with each row's
 * label and each side's title copied when built, so the view stands still
 * while a live lab runs on and evicts traces. No curses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "obslab/attrs.h"
#include "obslab/request.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

/* s's name as the waterfall shows it into label (MODEL_DIFF_LABEL bytes):
 * whole where it fits, else cut between characters (never inside one,
 * which would show as \xe4) with an ellipsis. */
static void label_of(const struct trace *t, const struct span_record *s, const struct strtab *names, char *label)
{
	char name[4 * MODEL_DIFF_LABEL];
	span_display_name_in(t->otel, s, names, name, sizeof name);
	size_t len = strlen(name);
	if (len < MODEL_DIFF_LABEL) {
		memcpy(label, name, len + 1);
		return;
	}
	const char *more = draw_glyphs()->ellipsis;
	size_t room = MODEL_DIFF_LABEL - 1 - strlen(more), n = 0;
	for (;;) {
		uint32_t cp;
		bool safe;
		size_t k = textsafe_next(name + n, len - n, &cp, &safe);
		if (n + k > room)
			break;
		n += k;
	}
	memcpy(label, name, n);
	snprintf(label + n, MODEL_DIFF_LABEL - n, "%s", more);
}

void model_mark(struct model *m)
{
	if (!m->shown) {
		model_message(m, true, "no trace to mark yet");
		return;
	}
	uint64_t was = m->diff.marked_seq;
	m->diff.marked_seq = m->shown->seq;
	if (was == m->shown->seq)
		model_message(m, false, "trace %llu is marked already: show another, then d diffs the two",
		              (unsigned long long)was);
	else if (was)
		model_message(m, false, "marked trace %llu instead of %llu: show another, then d diffs the two",
		              (unsigned long long)m->shown->seq, (unsigned long long)was);
	else
		model_message(m, false, "marked trace %llu: show another, then d diffs the two",
		              (unsigned long long)m->shown->seq);
	m->changed |= MODEL_STATUS;
}

void model_diff_status(const struct model *m, char *buf, size_t cap)
{
	if (!m->diff.marked_seq) {
		if (cap)
			buf[0] = '\0';
		return;
	}
	snprintf(buf, cap, " %s marked: trace %llu", draw_glyphs()->sep, (unsigned long long)m->diff.marked_seq);
}

/* "trace 3 · naive · 20 users · 12.4 ms" (a lab trace), "trace 3 · 8 spans · 12.4 ms" */
static void title_of(const struct trace *t, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	const struct span_record *root = &t->spans[0];
	char dur[32], what[96];
	draw_duration(dur, sizeof dur, span_duration_ns(root));
	if (!(root->flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER)) && root->strategy < STRATEGY_COUNT)
		snprintf(what, sizeof what, "%s %s %u users", strategy_name((enum strategy)root->strategy), g->dot,
		         root->u.root.users);
	else
		snprintf(what, sizeof what, "%zu span%s", t->nspans, t->nspans == 1 ? "" : "s");
	snprintf(buf, cap, "trace %llu %s %s %s %s", (unsigned long long)t->seq, g->dot, what, g->dot, dur);
}

/* "naive, 12.3ms" (a lab trace), "15 spans, 22.0ms" */
static void brief_of(const struct trace *t, char *buf, size_t cap)
{
	const struct span_record *root = &t->spans[0];
	char dur[32];
	draw_duration(dur, sizeof dur, span_duration_ns(root));
	if (!(root->flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER)) && root->strategy < STRATEGY_COUNT)
		snprintf(buf, cap, "%s, %s", strategy_name((enum strategy)root->strategy), dur);
	else
		snprintf(buf, cap, "%zu span%s, %s", t->nspans, t->nspans == 1 ? "" : "s", dur);
}

void model_diff_announce(struct model *m)
{
	const struct store *store = m->source->store;
	const struct trace *a = store ? store_find(store, m->diff.seq_a) : NULL;
	const struct trace *b = store ? store_find(store, m->diff.seq_b) : NULL;
	char wa[96] = "", wb[96] = "";
	if (a)
		brief_of(a, wa, sizeof wa);
	if (b)
		brief_of(b, wb, sizeof wb);
	model_message(m, false, "diff: trace %llu%s%s%s vs trace %llu%s%s%s", (unsigned long long)m->diff.seq_a,
	              a ? " (" : "", wa, a ? ")" : "", (unsigned long long)m->diff.seq_b, b ? " (" : "", wb,
	              b ? ")" : "");
}

bool model_diff_build(struct model *m)
{
	const struct store *store = m->source->store;
	if (!m->diff.marked_seq) {
		model_message(m, true, "nothing marked: m marks the shown trace, then show another and press d");
		return false;
	}
	if (!m->shown) {
		model_message(m, true, "no trace shown to diff against");
		return false;
	}
	if (m->shown->seq == m->diff.marked_seq) {
		model_message(m, true, "trace %llu is marked and shown: show another ([ ] or the trace list), then d",
		              (unsigned long long)m->diff.marked_seq);
		return false;
	}
	const struct trace *a = store ? store_find(store, m->diff.marked_seq) : NULL, *b = m->shown;
	if (!a) {
		model_message(m, true, "marked trace %llu is no longer kept (the oldest go first): mark another",
		              (unsigned long long)m->diff.marked_seq);
		m->diff.marked_seq = 0;
		return false;
	}
	struct tracediff *d = &m->diff.rows;
	tracediff_build(d, a, b);
	if (d->nrows > m->diff.labels_cap) {
		m->diff.labels_cap = d->nrows;
		m->diff.labels = xrealloc_array(m->diff.labels, d->nrows, sizeof *m->diff.labels);
		m->diff.fingerprints = xrealloc_array(m->diff.fingerprints, d->nrows, sizeof *m->diff.fingerprints);
	}
	for (size_t i = 0; i < d->nrows; i++) {
		const struct tracediff_row *r = &d->rows[i];
		const struct trace *t = r->span_b != TRACEDIFF_NONE ? b : a;
		const struct span_record *s = &t->spans[r->span_b != TRACEDIFF_NONE ? r->span_b : r->span_a];
		label_of(t, s, m->source->names, m->diff.labels[i]);
		m->diff.fingerprints[i] = s->flags & SPAN_F_DB ? s->name : STRTAB_NONE; /* what it is matched by */
	}
	m->diff.seq_a = a->seq;
	m->diff.seq_b = b->seq;
	title_of(a, m->diff.title_a, sizeof m->diff.title_a);
	title_of(b, m->diff.title_b, sizeof m->diff.title_b);
	m->changed |= MODEL_DIFF;
	return true;
}

void model_diff_free(struct model *m)
{
	tracediff_free(&m->diff.rows);
	free(m->diff.labels);
	free(m->diff.fingerprints);
	m->diff.labels = NULL;
	m->diff.fingerprints = NULL;
	m->diff.labels_cap = 0;
}
