/* model_search — `/` in the explorer, as the model keeps it: the prompt's
 * input, the search over the shown trace's spans and the log (search.h),
 * the current match selected in the waterfall, and "3 of 17". The search
 * follows the shown trace: another trace is searched again. */
#include <ncurses.h> /* key codes only: no curses call here */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "draw.h"
#include "obslab/store.h"
#include "obslab/utf8.h"

#define CTRL_U 21

static void changed(struct model *m)
{
	m->changed |= MODEL_SEARCH | MODEL_STATUS;
}

bool model_search_active(const struct model *m)
{
	return m->search.active && m->search.engine.n > 0;
}

const struct search_match *model_search_current(const struct model *m)
{
	return model_search_active(m) ? &m->search.engine.matches[m->search.engine.current] : NULL;
}

unsigned model_search_span(const struct model *m, size_t span)
{
	if (!m->search.active || !m->shown || m->search.seq != m->shown->seq)
		return 0;
	return search_span_fields(&m->search.engine, span);
}

/* The waterfall row that shows span i: its own, or the folded group it is in. */
static size_t row_of_span(const struct model *m, uint32_t span)
{
	size_t r = waterfall_find_span(&m->wf, span);
	if (r + 1 < m->wf.nrows && m->wf.rows[r].kind == WF_ROW_GROUP && m->wf.rows[r].expanded &&
	    m->wf.rows[r + 1].span == span)
		return r + 1; /* an expanded group's first member: its own row */
	if (r < m->wf.nrows)
		return r;
	for (r = 0; r < m->wf.nrows; r++) {
		const struct wf_row *row = &m->wf.rows[r];
		if (row->kind == WF_ROW_GROUP && span >= row->span && span < row->span + row->count)
			return r;
	}
	return m->wf.nrows;
}

/* The current match shown: a span's row selected (a log line the log pane
 * keeps in view itself). */
static void show_current(struct model *m)
{
	const struct search_match *cur = model_search_current(m);
	if (cur && cur->kind == SEARCH_SPAN) {
		size_t r = row_of_span(m, cur->index);
		if (r < m->wf.nrows)
			model_select(m, r);
	}
	changed(m);
}

static void run(struct model *m)
{
	const struct trace *t = m->shown;
	uint64_t seq = t ? t->seq : 0;
	if (seq != m->search.seq)
		m->search.engine.current = 0; /* another trace: from its first match */
	m->search.seq = seq;
	m->search.log_added = m->logbook.added;
	search_run(&m->search.engine, t, m->source->names, &m->logbook);
}

void model_search_refresh(struct model *m)
{
	if (!m->search.active)
		return;
	uint64_t seq = m->shown ? m->shown->seq : 0;
	if (seq == m->search.seq && m->logbook.added == m->search.log_added)
		return;
	run(m);
	changed(m);
}

void model_search_open(struct model *m)
{
	m->search.prompt = true;
	m->search.input[0] = '\0';
	changed(m);
}

void model_search_clear(struct model *m)
{
	m->search.active = false;
	search_set_query(&m->search.engine, "");
	changed(m);
	m->changed |= MODEL_TRACE; /* the highlights go */
}

static void submit(struct model *m)
{
	m->search.prompt = false;
	if (!search_set_query(&m->search.engine, m->search.input)) {
		model_search_clear(m);
		return;
	}
	m->search.active = true;
	m->search.seq = (uint64_t)-1; /* searched below from the first match */
	run(m);
	if (m->search.engine.n == 0) {
		m->search.active = false;
		model_message(m, true, "not found: %s (this trace's spans and the log)", m->search.input);
	} else {
		m->follow = false; /* the trace holds still while its matches are read (L: live again) */
		show_current(m);
	}
	changed(m);
	m->changed |= MODEL_TRACE;
}

void model_search_key(struct model *m, int key)
{
	char *in = m->search.input;
	size_t len = strlen(in);
	if (key == 27) {
		m->search.prompt = false;
	} else if (key == '\n' || key == '\r' || key == KEY_ENTER) {
		submit(m);
	} else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
		while (len > 0 && ((unsigned char)in[len - 1] & 0xc0) == 0x80)
			len--; /* a whole character */
		in[len > 0 ? len - 1 : 0] = '\0';
	} else if (key == CTRL_U) {
		in[0] = '\0';
	} else if (key >= 32 && key < 256 && key != 127 && len + 1 >= SEARCH_QUERY_MAX) {
		in[utf8_cut(in, len)] = '\0'; /* full: whole characters, never the start of one */
	} else if (key >= 32 && key < 256 && key != 127) {
		in[len] = (char)key;
		in[len + 1] = '\0';
	}
	changed(m);
}

void model_search_step(struct model *m, int dir)
{
	if (!model_search_active(m))
		return;
	search_step(&m->search.engine, dir);
	show_current(m);
}

void model_search_line(const struct model *m, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	if (m->search.prompt) {
		snprintf(buf, cap, " /%s_   Enter search %s Ctrl-U clear %s Esc cancel", m->search.input, g->dot, g->dot);
	} else if (model_search_active(m)) {
		const struct search *s = &m->search.engine;
		snprintf(buf, cap, "/%s %zu of %zu", s->query, s->current + 1, s->n);
	} else {
		buf[0] = '\0';
	}
}
