/*
 * model_traces — the trace list's state in the model: a summary row per
 * kept trace (the store's observer appends them; a file's are read at
 * start), the sort column, the filter and its prompt with the filters
 * applied while the program runs (see model.h). No curses.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "obslab/lineedit.h"
#include "obslab/utf8.h"
#include "obslab/store.h"

void model_traces_init(struct model *m)
{
	tracelist_init(&m->traces.list);
	tracefilter_parse(&m->traces.filter, "", NULL);
	m->traces.dirty = true;
}

void model_traces_free(struct model *m)
{
	tracelist_free(&m->traces.list);
}

void model_traces_add(struct model *m, const struct trace *t, const struct findings *f)
{
	struct tracelist_row row;
	tracelist_summarize(&row, t, m->source->names, f);
	/* A live source's own spans are on this process's clock: someone
	 * else's (received, Unix times) start on it too, so the list's starts
	 * compare. */
	if (!m->source->ops->reads_only && (t->spans[0].flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER)))
		row.start_ns -= m->source->anchor.unix_ns - m->source->anchor.mono_ns;
	tracelist_add(&m->traces.list, &row);
	m->traces.dirty = true;
}

bool model_traces_received(struct model *m)
{
	const struct store *store = m->source->store;
	uint64_t since = m->seen_changes;
	if (store_changes(store) == since)
		return false;
	m->seen_changes = store_changes(store);
	bool shown = false;
	for (size_t i = 0; i < store_trace_count(store); i++) { /* oldest first: new rows append in seq order */
		const struct trace *t = store_trace(store, i);
		if (store_trace_changed(store, t) <= since)
			continue;
		shown |= t->seq == m->shown_seq;
		/* Its row again (the observer, which sees a trace at its first
		 * close only, may have just made it: the same row). */
		findings_detect(&m->scratch, t, &m->findings_cfg, m->source->names);
		model_traces_add(m, t, &m->scratch);
	}
	return shown;
}

/* The seq of the selected row, or 0. */
static uint64_t selected_seq(const struct model *m)
{
	const struct tracelist *l = &m->traces.list;
	return m->traces.cursor < l->nview ? tracelist_at(l, m->traces.cursor)->seq : 0;
}

/* The view again, the selection kept on its trace where it is still shown. */
static void refresh(struct model *m)
{
	uint64_t seq = selected_seq(m);
	struct tracelist *l = &m->traces.list;
	/* at the newest row, in start order: follow the rows the lab appends */
	bool follow = (l->nview == 0 || m->traces.cursor + 1 >= l->nview) && l->sort == TRACELIST_START && !l->descending;
	tracelist_refresh(l, &m->traces.filter);
	size_t at = seq ? tracelist_find(l, seq) : l->nview;
	if (follow && l->nview)
		m->traces.cursor = l->nview - 1;
	else if (at < l->nview)
		m->traces.cursor = at;
	else if (m->traces.cursor >= l->nview)
		m->traces.cursor = l->nview ? l->nview - 1 : 0;
	m->traces.dirty = false;
	m->changed |= MODEL_TRACES;
}

void model_traces_tick(struct model *m)
{
	const struct store *store = m->source->store;
	if (store_trace_count(store)) {
		const struct trace *oldest = store_trace(store, 0);
		if (tracelist_drop_before(&m->traces.list, oldest->seq))
			m->traces.dirty = true;
	}
	if (m->traces.dirty)
		refresh(m);
}

void model_traces_sort_step(struct model *m, int dir)
{
	struct tracelist *l = &m->traces.list;
	int c = ((int)l->sort + (dir < 0 ? TRACELIST_NCOLS - 1 : 1)) % TRACELIST_NCOLS;
	tracelist_set_sort(l, (enum tracelist_col)c);
	uint64_t seq = selected_seq(m);
	tracelist_refresh(l, &m->traces.filter);
	size_t at = seq ? tracelist_find(l, seq) : l->nview;
	m->traces.cursor = at < l->nview ? at : 0;
	m->traces.dirty = false;
	m->changed |= MODEL_TRACES;
	const char *order = l->sort == TRACELIST_START      ? "oldest first"
	                    : l->sort == TRACELIST_DURATION ? "longest first"
	                    : l->descending                 ? "most first"
	                                                    : "a to z";
	model_message(m, false, "traces sorted by %s, %s (< > another column)", tracelist_col_name(l->sort), order);
}

void model_traces_move(struct model *m, size_t cursor)
{
	size_t n = m->traces.list.nview;
	m->traces.cursor = n == 0 ? 0 : cursor < n ? cursor : n - 1;
	m->changed |= MODEL_TRACES;
}

bool model_traces_open(struct model *m)
{
	uint64_t seq = selected_seq(m);
	if (!seq || !store_find(m->source->store, seq)) {
		if (seq)
			model_message(m, true, "trace %llu is no longer kept (the oldest go first)", (unsigned long long)seq);
		else if (m->traces.list.nrows)
			model_message(m, true, "no trace to open: none matches the filter (\\ changes it)");
		else
			model_message(m, true, "no trace to open yet");
		return false;
	}
	m->follow = false;
	model_show(m, seq);
	m->changed |= MODEL_STATUS;
	return true;
}

void model_traces_prompt(struct model *m, bool open)
{
	m->traces.prompt = open;
	m->traces.error[0] = '\0';
	if (open) {
		model_message_clear(m); /* it was about what came before the prompt */
		snprintf(m->traces.edit, sizeof m->traces.edit, "%s", m->traces.filter_text);
		m->traces.edit_len = strlen(m->traces.edit);
		m->traces.history_at = m->traces.nhistory;
	}
	m->changed |= MODEL_TRACES | MODEL_STATUS;
}

void model_traces_prompt_char(struct model *m, char c)
{
	if ((unsigned char)c < 0x20 || c == 0x7f)
		return;
	if (m->traces.edit_len + 1 >= sizeof m->traces.edit) {
		/* Full: refused, said, and the text keeps whole characters, never the start of one. */
		m->traces.edit_len = utf8_cut(m->traces.edit, m->traces.edit_len);
		m->traces.edit[m->traces.edit_len] = '\0';
		snprintf(m->traces.error, sizeof m->traces.error, "filter too long: at most %d bytes", MODEL_FILTER_TEXT - 1);
		m->changed |= MODEL_TRACES;
		return;
	}
	m->traces.edit[m->traces.edit_len++] = c;
	m->traces.edit[m->traces.edit_len] = '\0';
	m->traces.error[0] = '\0';
	m->changed |= MODEL_TRACES;
}

void model_traces_prompt_erase(struct model *m)
{
	/* a whole UTF-8 character */
	while (m->traces.edit_len > 0) {
		unsigned char c = (unsigned char)m->traces.edit[--m->traces.edit_len];
		if ((c & 0xc0) != 0x80)
			break;
	}
	m->traces.edit[m->traces.edit_len] = '\0';
	m->traces.error[0] = '\0';
	m->changed |= MODEL_TRACES;
}

void model_traces_prompt_erase_word(struct model *m)
{
	lineedit_erase_word(m->traces.edit);
	m->traces.edit_len = strlen(m->traces.edit);
	m->traces.error[0] = '\0';
	m->changed |= MODEL_TRACES;
}

void model_traces_prompt_clear(struct model *m)
{
	lineedit_clear(m->traces.edit);
	m->traces.edit_len = 0;
	m->traces.error[0] = '\0';
	m->changed |= MODEL_TRACES;
}

bool model_traces_prompt_paste(struct model *m, const char *text, size_t len, size_t more)
{
	size_t left = lineedit_paste_more(m->traces.edit, sizeof m->traces.edit, text, len, more);
	m->traces.edit_len = strlen(m->traces.edit);
	m->traces.error[0] = '\0';
	m->changed |= MODEL_TRACES | MODEL_STATUS;
	if (left) /* nothing taken: said under the prompt */
		snprintf(m->traces.error, sizeof m->traces.error, "paste refused: the filter would be longer than %d bytes",
		         MODEL_FILTER_TEXT - 1);
	return left == 0;
}

void model_traces_prompt_history(struct model *m, int dir)
{
	size_t n = m->traces.nhistory, at = m->traces.history_at;
	if (dir < 0 && at > 0)
		at--;
	else if (dir > 0 && at < n)
		at++;
	else
		return;
	m->traces.history_at = at;
	snprintf(m->traces.edit, sizeof m->traces.edit, "%s", at < n ? m->traces.history[at] : "");
	m->traces.edit_len = strlen(m->traces.edit);
	m->traces.error[0] = '\0';
	m->changed |= MODEL_TRACES;
}

/* Remembered once, the newest last. */
static void remember(struct model *m, const char *text)
{
	if (!text[0])
		return;
	size_t n = m->traces.nhistory;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(m->traces.history[i], text) == 0) {
			memmove(m->traces.history[i], m->traces.history[i + 1], (n - i - 1) * sizeof m->traces.history[0]);
			n--;
			break;
		}
	}
	if (n == MODEL_FILTER_HISTORY) {
		memmove(m->traces.history[0], m->traces.history[1], (n - 1) * sizeof m->traces.history[0]);
		n--;
	}
	snprintf(m->traces.history[n++], sizeof m->traces.history[0], "%s", text);
	m->traces.nhistory = n;
}

bool model_traces_apply(struct model *m)
{
	struct tracefilter f;
	struct obslab_error err;
	if (!tracefilter_parse(&f, m->traces.edit, &err)) {
		snprintf(m->traces.error, sizeof m->traces.error, "%s", err.msg);
		m->changed |= MODEL_TRACES;
		return false;
	}
	m->traces.filter = f;
	snprintf(m->traces.filter_text, sizeof m->traces.filter_text, "%s", m->traces.edit);
	remember(m, m->traces.edit);
	m->traces.prompt = false;
	m->traces.error[0] = '\0';
	m->traces.cursor = 0;
	tracelist_refresh(&m->traces.list, &m->traces.filter);
	m->traces.dirty = false;
	m->changed |= MODEL_TRACES | MODEL_STATUS;
	if (m->traces.filter_text[0])
		model_message(m, false, "filter: %zu of %zu traces", m->traces.list.nview, m->traces.list.nrows);
	else
		model_message(m, false, "filter cleared: %zu traces", m->traces.list.nrows);
	return true;
}
