/*
 * model_waterfall — the waterfall's view: zoom (a stack of time ranges) and
 * pan, the slowest span, the critical path (critpath.h), fold all and
 * unfold all (through the model's folds), the legend. Zoom changes what is
 * drawn, never the rows. No curses here.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "obslab/critpath.h"
#include "obslab/duration.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"
#include "draw.h"

/* From the root's start to the latest end of any span (the waterfall's
 * end_ns): a child skewed past the root's end can be zoomed and panned onto. */
static int64_t trace_length(const struct model *m)
{
	if (!m->shown || m->shown->nspans == 0)
		return 0;
	int64_t d = span_duration_ns(&m->shown->spans[0]);
	int64_t all = duration_between(m->shown->spans[0].start_ns, m->wf.end_ns);
	if (all > d)
		d = all;
	return d > 0 ? d : 0;
}

void model_view_range(const struct model *m, int64_t *from, int64_t *to)
{
	int64_t len = trace_length(m);
	*from = 0;
	*to = len;
	if (m->view.zoom_depth == 0)
		return;
	int64_t a = m->view.zoom[m->view.zoom_depth - 1].from, b = m->view.zoom[m->view.zoom_depth - 1].to;
	a = a < 0 ? 0 : a > len ? len : a;
	b = b < 0 ? 0 : b > len ? len : b;
	if (b > a) { /* another trace, shorter than the zoom: the whole of it */
		*from = a;
		*to = b;
	}
}

/* "+1.20ms to +2.00ms (0.80ms of 12.0ms)": the range drawn, in the trace. */
static void range_text(const struct model *m, char *buf, size_t cap)
{
	int64_t a, b;
	model_view_range(m, &a, &b);
	char from[16], to[16], width[16], all[16];
	draw_duration(from, sizeof from, a);
	draw_duration(to, sizeof to, b);
	draw_duration(width, sizeof width, b - a);
	draw_duration(all, sizeof all, trace_length(m));
	snprintf(buf, cap, "+%s to +%s (%s of %s)", from, to, width, all);
}

/* The selected row's name, cut to leave room for the rest of a message. */
static void row_label(const struct model *m, const struct wf_row *row, char *buf, size_t cap)
{
	char label[160];
	model_span_label(m, &m->shown->spans[row->span], label, sizeof label);
	size_t n = strlen(label);
	if (n > 40)
		snprintf(buf, cap, "%.*s%s", (int)utf8_cut(label, 39), label, draw_glyphs()->ellipsis);
	else
		snprintf(buf, cap, "%s", label);
	if (row->kind == WF_ROW_GROUP && row->count > 1) {
		size_t len = strlen(buf);
		snprintf(buf + len, cap - len, " %s%u", draw_glyphs()->times, row->count);
	}
}

void model_zoom_in(struct model *m)
{
	const struct wf_row *row = model_selected_row(m);
	if (!row) {
		model_message(m, false, "no span selected: nothing to zoom into");
		return;
	}
	char label[96];
	row_label(m, row, label, sizeof label);
	int64_t t0 = m->shown->spans[0].start_ns;
	int64_t a = row->start_ns - t0, b = row->end_ns - t0, from, to;
	model_view_range(m, &from, &to);
	a = a < from ? from : a;
	b = b > to ? to : b;
	if (row->end_ns <= row->start_ns) {
		model_message(m, false, "not zoomed: %s has no duration to zoom into", label);
		return;
	}
	if (b <= a) {
		model_message(m, false, "not zoomed: %s lies outside the range shown (Z zooms out)", label);
		return;
	}
	if (a == from && b == to) {
		if (m->view.zoom_depth == 0)
			model_message(m, false, "not zoomed: %s spans the whole trace; select a shorter span",
			              row->span == 0 ? "the root" : label);
		else
			model_message(m, false, "already zoomed to %s (Z zooms out)", label);
		return;
	}
	if (m->view.zoom_depth == MODEL_ZOOM_DEPTH) {
		model_message(m, false, "not zoomed: %d levels is the deepest; Z zooms out", MODEL_ZOOM_DEPTH);
		return;
	}
	m->view.zoom[m->view.zoom_depth].from = a;
	m->view.zoom[m->view.zoom_depth].to = b;
	m->view.zoom_depth++;
	m->changed |= MODEL_TRACE;
	char width[16], all[16];
	draw_duration(width, sizeof width, b - a);
	draw_duration(all, sizeof all, trace_length(m));
	model_message(m, false, "zoomed to %s (%s of %s, level %zu): Z zooms out, , . pan", label, width, all,
	              m->view.zoom_depth);
}

void model_zoom_out(struct model *m)
{
	if (m->view.zoom_depth == 0) {
		model_message(m, false, "not zoomed in: the whole trace is shown (z zooms into the selected span)");
		return;
	}
	m->view.zoom_depth--;
	m->changed |= MODEL_TRACE;
	char all[16], range[96];
	if (m->view.zoom_depth == 0) {
		draw_duration(all, sizeof all, trace_length(m));
		model_message(m, false, "zoomed out: the whole trace (%s)", all);
	} else {
		range_text(m, range, sizeof range);
		model_message(m, false, "zoomed out to level %zu: %s; Z zooms out again", m->view.zoom_depth, range);
	}
}

void model_pan(struct model *m, int dir)
{
	if (m->view.zoom_depth == 0) {
		model_message(m, false, "not zoomed in: , and . pan only while zoomed (z zooms in)");
		return;
	}
	int64_t from, to, len = trace_length(m);
	model_view_range(m, &from, &to);
	int64_t width = to - from, step = width / 4 > 0 ? width / 4 : 1, was = from;
	from += dir < 0 ? -step : step;
	if (from < 0)
		from = 0;
	if (from + width > len)
		from = len - width;
	m->view.zoom[m->view.zoom_depth - 1].from = from;
	m->view.zoom[m->view.zoom_depth - 1].to = from + width;
	m->changed |= MODEL_TRACE;
	char range[96];
	range_text(m, range, sizeof range);
	if (from == was)
		model_message(m, false, "not panned: already at the trace's %s, %s", dir < 0 ? "start" : "end", range);
	else
		model_message(m, false, "panned %s: %s", dir < 0 ? "left" : "right", range);
}

/* ---- rows of spans ------------------------------------------------------ */

static bool group_holds(const struct model *m, const struct wf_row *g, uint32_t span)
{
	uint32_t c = g->span;
	for (uint32_t k = 0; k < g->count && c != SPANTREE_NONE; k++, c = m->wf.tree.next_sibling[c])
		if (c == span)
			return true;
	return false;
}

/* The row showing span: its own, or a folded group it is a member of. */
static size_t row_of_span(const struct model *m, uint32_t span, bool folded_too)
{
	for (size_t i = 0; i < m->wf.nrows; i++)
		if (m->wf.rows[i].kind == WF_ROW_SPAN && m->wf.rows[i].span == span)
			return i;
	for (size_t i = 0; folded_too && i < m->wf.nrows; i++)
		if (m->wf.rows[i].kind == WF_ROW_GROUP && !m->wf.rows[i].expanded && group_holds(m, &m->wf.rows[i], span))
			return i;
	return m->wf.nrows;
}

static uint32_t parent_of(const struct model *m, uint32_t span)
{
	if (span == 0)
		return SPANTREE_NONE;
	uint32_t p = spantree_find(&m->wf.tree, m->shown->spans[span].parent_id);
	return p == SPANTREE_NONE || p == span ? 0 : p; /* an orphan hangs from the root */
}

/* Selects the row that shows span, or the nearest ancestor's. */
static void select_span(struct model *m, uint32_t span)
{
	for (size_t guard = 0; span != SPANTREE_NONE && guard < m->shown->nspans; guard++) {
		size_t r = row_of_span(m, span, true);
		if (r < m->wf.nrows) {
			model_select(m, r);
			return;
		}
		span = parent_of(m, span);
	}
	model_select(m, 0);
}

void model_reveal_span(struct model *m, uint32_t span)
{
	const struct trace *t = m->shown;
	if (!t || span >= t->nspans)
		return;
	/* Unfold what hides it: a folded group it or an ancestor is a member of. */
	for (int iter = 0; iter < 16 && row_of_span(m, span, false) == m->wf.nrows; iter++) {
		bool opened = false;
		for (uint32_t x = span; x != SPANTREE_NONE && !opened; x = parent_of(m, x)) {
			size_t g = row_of_span(m, x, true);
			if (g < m->wf.nrows && m->wf.rows[g].kind == WF_ROW_GROUP) {
				wf_folds_set(&m->folds, t->spans[m->wf.rows[g].span].name, WF_FOLD_OPEN);
				model_relayout(m);
				opened = true;
			}
		}
		if (!opened)
			break;
	}
	select_span(m, span);
}

void model_select_slowest(struct model *m)
{
	const struct trace *t = m->shown;
	if (!t) {
		model_message(m, false, "no trace shown yet: nothing to select");
		return;
	}
	uint32_t best = SPANTREE_NONE;
	int64_t best_ns = -1;
	for (uint32_t i = 1; i < t->nspans; i++) {
		if (t->spans[i].flags & SPAN_F_PLACEHOLDER)
			continue;
		int64_t d = span_duration_ns(&t->spans[i]);
		if (d > best_ns) {
			best = i;
			best_ns = d;
		}
	}
	if (best == SPANTREE_NONE) {
		model_message(m, false, "no slowest span to select: this trace has no span but the root");
		return;
	}
	model_reveal_span(m, best);
	char label[160], dur[16];
	model_span_label(m, &t->spans[best], label, sizeof label);
	draw_duration(dur, sizeof dur, best_ns);
	model_message(m, false, "slowest span (the longest but the root): %s, %s", label, dur);
}

void model_fold_all(struct model *m, bool fold)
{
	if (!m->shown) {
		model_message(m, false, "no trace shown yet: nothing to %s", fold ? "fold" : "unfold");
		return;
	}
	const struct wf_row *sel = model_selected_row(m);
	uint32_t keep = sel ? sel->span : 0;
	size_t groups = 0;
	/* Unfolding shows groups that were hidden: again until nothing changes. */
	for (int iter = 0; iter < 16; iter++) {
		bool changed = false;
		for (size_t i = 0; i < m->wf.nrows; i++) {
			const struct wf_row *row = &m->wf.rows[i];
			if (row->kind != WF_ROW_GROUP || row->expanded != fold)
				continue;
			wf_folds_set(&m->folds, m->shown->spans[row->span].name, fold ? WF_FOLD_CLOSED : WF_FOLD_OPEN);
			changed = true;
		}
		if (!changed)
			break;
		model_relayout(m);
	}
	for (size_t i = 0; i < m->wf.nrows; i++)
		groups += m->wf.rows[i].kind == WF_ROW_GROUP;
	select_span(m, keep);
	m->changed |= MODEL_TRACE | MODEL_SELECTION;
	if (groups == 0)
		model_message(m, false, "no repeated queries to %s in this trace", fold ? "fold" : "unfold");
	else
		model_message(m, false, "%s %zu group%s of repeated queries (%s)", fold ? "folded" : "unfolded", groups,
		              groups == 1 ? "" : "s", fold ? "A unfolds all" : "F folds all");
}

/* ---- critical path and legend -------------------------------------------- */

void model_view_refresh(struct model *m)
{
	if (!m->view.critical)
		return;
	critpath_compute(&m->view.critpath, m->shown);
	m->view.critpath_seq = m->shown ? m->shown->seq : 0;
	m->changed |= MODEL_TRACE;
}

void model_toggle_critical(struct model *m)
{
	m->view.critical = !m->view.critical;
	m->changed |= MODEL_TRACE;
	if (!m->view.critical) {
		model_message(m, false, "critical path hidden");
		return;
	}
	model_view_refresh(m);
	size_t n = m->view.critpath.nspans_on_path;
	model_message(m, false, "critical path: %zu span%s the request's end waited on, marked %s (C hides it)", n,
	              n == 1 ? "" : "s", draw_glyphs()->live);
}

bool model_row_critical(const struct model *m, const struct wf_row *row)
{
	const struct critpath *cp = &m->view.critpath;
	if (!m->view.critical || !m->shown || m->shown->seq != m->view.critpath_seq || cp->cap < m->shown->nspans)
		return false;
	if (row->kind == WF_ROW_SPAN)
		return cp->on_path[row->span];
	uint32_t c = row->span;
	for (uint32_t k = 0; k < row->count && c != SPANTREE_NONE; k++, c = m->wf.tree.next_sibling[c])
		if (cp->on_path[c])
			return true;
	return false;
}

void model_toggle_legend(struct model *m)
{
	m->view.legend = !m->view.legend;
	m->changed |= MODEL_TRACE;
}

void model_show_again(struct model *m)
{
	/* Before: the span selected (ids stay; indices move as spans join). */
	const struct wf_row *row = model_selected_row(m);
	uint64_t id = 0;
	if (row && m->shown && row->span < m->shown->nspans)
		id = m->shown->spans[row->span].span_id;
	size_t was = m->selected;
	model_show(m, m->shown_seq); /* the same seq: the zoom stays */
	m->selected = was < m->wf.nrows ? was : m->wf.nrows ? m->wf.nrows - 1 : 0;
	for (size_t i = 0; id && m->shown && i < m->wf.nrows; i++)
		if (m->wf.rows[i].span < m->shown->nspans && m->shown->spans[m->wf.rows[i].span].span_id == id) {
			m->selected = i;
			break;
		}
	m->changed |= MODEL_SELECTION;
}
