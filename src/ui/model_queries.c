/* model_queries — the query list's sort column, the query chosen with
 * Enter (its spans highlighted, its SQL in the details pane), copying a
 * span's SQL or ids to the clipboard with OSC 52, and the trace held while
 * the details pane is read (see model.h). No curses: the shell writes the
 * sequence. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "obslab/attrs.h"
#include "obslab/osc52.h"
#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static const char *const sort_names[QUERY_SORT_COUNT] = { "calls", "total", "mean", "p95", "rows" };

const char *model_query_sort_name(enum query_sort sort)
{
	return sort < QUERY_SORT_COUNT ? sort_names[sort] : "?";
}

/* A query's figure in a column; rows a foreign file did not give sort last. */
static int64_t figure(const struct query_stat *q, enum query_sort sort)
{
	switch (sort) {
	case QUERY_SORT_CALLS: return q->calls;
	case QUERY_SORT_MEAN: return q->mean_ns;
	case QUERY_SORT_P95: return q->p95_ns;
	case QUERY_SORT_ROWS: return q->rows_known ? (int64_t)q->rows : -1;
	case QUERY_SORT_TOTAL:
	case QUERY_SORT_COUNT: break;
	}
	return q->total_ns;
}

static enum query_sort sorting; /* qsort has no context; UI thread only */

static int by_column(const void *a, const void *b)
{
	const struct query_stat *x = a, *y = b;
	int64_t fx = figure(x, sorting), fy = figure(y, sorting);
	if (fx != fy)
		return fx > fy ? -1 : 1;
	if (x->total_ns != y->total_ns) /* ties: most total time first, as the list was */
		return x->total_ns > y->total_ns ? -1 : 1;
	return (x->fingerprint > y->fingerprint) - (x->fingerprint < y->fingerprint);
}

void model_sort_queries(struct model *m)
{
	sorting = m->q.sort;
	qsort(m->queries, m->nqueries, sizeof m->queries[0], by_column);
}

void model_step_query_sort(struct model *m, int dir)
{
	int n = QUERY_SORT_COUNT, s = (int)m->q.sort + (dir < 0 ? -1 : 1);
	m->q.sort = (enum query_sort)((s + n) % n);
	model_sort_queries(m);
	m->changed |= MODEL_QUERIES;
	model_message(m, false, "query list sorted by %s, most first (< > change the column)", sort_names[m->q.sort]);
}

static bool row_of_query(const struct model *m, const struct wf_row *row, uint32_t fingerprint)
{
	const struct span_record *s = &m->shown->spans[row->span];
	return (s->flags & SPAN_F_DB) && !(s->flags & SPAN_F_PLACEHOLDER) && s->name == fingerprint;
}

bool model_row_highlighted(const struct model *m, const struct wf_row *row)
{
	return m->q.chosen && m->shown && row_of_query(m, row, m->q.fingerprint);
}

void model_choose_query(struct model *m, size_t index)
{
	if (index >= m->nqueries)
		return;
	uint32_t fp = m->queries[index].fingerprint;
	if (m->q.chosen && m->q.fingerprint == fp) { /* Enter again: cleared */
		m->q.chosen = m->q.details = false;
		m->changed |= MODEL_TRACE | MODEL_SELECTION;
		model_message(m, false, "query highlight cleared");
		return;
	}
	m->q.chosen = m->q.details = true;
	m->q.fingerprint = fp;
	size_t spans = 0, first = SIZE_MAX;
	for (size_t i = 0; m->shown && i < m->wf.nrows; i++) {
		if (!row_of_query(m, &m->wf.rows[i], fp))
			continue;
		if (first == SIZE_MAX)
			first = i;
		spans += m->wf.rows[i].kind == WF_ROW_GROUP ? m->wf.rows[i].count : 1;
		if (m->wf.rows[i].kind == WF_ROW_GROUP && m->wf.rows[i].expanded)
			spans -= m->wf.rows[i].count; /* its members follow, each a row */
	}
	if (first != SIZE_MAX)
		m->selected = first;
	m->changed |= MODEL_TRACE | MODEL_SELECTION;
	if (spans)
		model_message(m, false, "query highlighted: %zu span%s in this trace (Enter again clears)", spans,
		              spans == 1 ? "" : "s");
	else
		model_message(m, false, "query highlighted: none of its spans is in this trace (Enter again clears)");
}

const char *model_span_sql(const struct model *m, const struct span_record *s)
{
	if (!(s->flags & SPAN_F_DB) || (s->flags & SPAN_F_PLACEHOLDER))
		return NULL;
	const struct otel_span *sp = m->shown ? otel_span_of(m->shown->otel, s) : NULL;
	if (sp) { /* as the file has it */
		const char *text = otel_attrs_string(m->shown->otel, sp->attrs, ATTR_KEY_DB_QUERY_TEXT);
		if (!text)
			text = otel_attrs_string(m->shown->otel, sp->attrs, ATTR_KEY_DB_STATEMENT_OLD);
		if (text)
			return text;
	}
	return strtab_get(m->source->names, s->name);
}

void model_set_copy_prompt(struct model *m, bool on)
{
	m->q.copy_prompt = on;
	m->changed |= MODEL_STATUS;
}

/* "1a2b3c4d…" for the message: the first 8 hex digits of a long id. */
static void short_id(const char *id, char *buf, size_t cap)
{
	snprintf(buf, cap, "%.8s%s", id, strlen(id) > 8 ? "…" : "");
}

void model_copy(struct model *m, int what)
{
	const struct wf_row *row = model_selected_row(m);
	const struct span_record *s = row && m->shown ? &m->shown->spans[row->span] : NULL;
	char text_id[33], label[48], shown[16];
	const char *text = NULL;
	if (what == 's') {
		/* The chosen query while the details pane shows it, else the selected span's. */
		text = m->q.details && m->q.chosen ? strtab_get(m->source->names, m->q.fingerprint)
		       : s ? model_span_sql(m, s) : NULL;
		if (!text) {
			model_message(m, true, "nothing copied: the selected span runs no SQL");
			return;
		}
		snprintf(label, sizeof label, "the SQL (%zu bytes)", strlen(text));
	} else if (what == 'i' || what == 't') {
		if (!s || (s->flags & SPAN_F_PLACEHOLDER)) {
			model_message(m, true, "nothing copied: %s", s ? "a placeholder is not a span and has no id" : "no span selected");
			return;
		}
		const struct otel_span *sp = otel_span_of(m->shown->otel, s);
		if (what == 'i')
			snprintf(text_id, sizeof text_id, "%016" PRIx64, sp ? sp->span_id : s->span_id);
		else
			span_trace_id_hex(sp ? sp->trace_id : m->shown->trace_id, text_id);
		text = text_id;
		short_id(text_id, shown, sizeof shown);
		snprintf(label, sizeof label, "%s %s", what == 'i' ? "span id" : "trace id", shown);
	} else if (what == 27) {
		model_message(m, false, "nothing copied (Esc)");
		return;
	} else { /* any other key: the prompt closes, and says which keys it takes */
		model_message(m, true, "y: press s (SQL), i (span id) or t (trace id)");
		return;
	}
	size_t len;
	char *seq = osc52_sequence(text, strlen(text), &len);
	if (!seq) {
		model_message(m, true, "nothing copied: %zu bytes is more than a terminal takes over OSC 52 (%d)",
		              strlen(text), OSC52_MAX_TEXT);
		return;
	}
	free(m->q.clipboard);
	m->q.clipboard = seq;
	m->q.clipboard_len = len;
	model_message(m, false, "copied %s (OSC 52)", label);
}

char *model_take_clipboard(struct model *m, size_t *len)
{
	char *seq = m->q.clipboard;
	*len = m->q.clipboard_len;
	m->q.clipboard = NULL;
	m->q.clipboard_len = 0;
	return seq;
}

void model_hold_for_details(struct model *m, bool on)
{
	if (on && m->follow && !m->source->ops->reads_only && m->shown_seq) {
		m->follow = false;
		m->q.held = true; /* the status bar says so (source_lab.c) */
		m->changed |= MODEL_STATUS;
	} else if (!on && m->q.held) {
		m->q.held = false;
		model_live(m);
	}
}
