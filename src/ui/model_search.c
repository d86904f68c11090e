/* model_search — `/` in the explorer, as the model keeps it: the prompt's
 * input, the search over the shown trace's spans and the log (search.h),
 * the current match selected in the waterfall, and "3 of 17". The search
 * follows the shown trace: another trace is searched again. */
#include <ncurses.h> /* key codes only: no curses call here */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "draw.h"
#include "obslab/lineedit.h"
#include "obslab/store.h"

#define CTRL_U 21
#define CTRL_W 23
#define STATUS_QUERY_CELLS 24 /* of the query beside its count in the status bar */

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

/* The current match shown: a span's row selected, the folded group that
 * holds it unfolded (model_reveal_span); a log line is followed by the log
 * pane (moves counts each step, so it scrolls there even when focused). */
static void show_current(struct model *m)
{
	const struct search_match *cur = model_search_current(m);
	if (cur && cur->kind == SEARCH_SPAN && m->shown && cur->index < m->shown->nspans)
		model_reveal_span(m, cur->index);
	m->search.moves++;
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
	/* the search being read, to edit (Ctrl-U clears it), as \ keeps the filter */
	m->search.prompt = true;
	model_message_clear(m); /* the prompt takes the status bar: an older message would hide it */
	snprintf(m->search.input, sizeof m->search.input, "%s", model_search_active(m) ? m->search.engine.query : "");
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
		model_message_clear(m); /* "3 of 17" is the news: an older message would hide it */
		show_current(m);
	}
	changed(m);
	m->changed |= MODEL_TRACE;
}

void model_search_key(struct model *m, int key)
{
	char *in = m->search.input;
	bool edit = key == 27 || key == KEY_BACKSPACE || key == 127 || key == 8 || key == CTRL_U || key == CTRL_W;
	if (edit && model_message_shown(m))
		model_message_clear(m); /* made while the prompt was open ("too long", "paste refused"): no longer so */
	if (key == 27)
		m->search.prompt = false;
	else if (key == '\n' || key == '\r' || key == KEY_ENTER)
		submit(m);
	else if (key == KEY_BACKSPACE || key == 127 || key == 8)
		lineedit_erase_char(in);
	else if (key == CTRL_U)
		lineedit_clear(in);
	else if (key == CTRL_W)
		lineedit_erase_word(in);
	else if (key >= 0x20 && key < 256 && key != 0x7f && !lineedit_type(in, sizeof m->search.input, (unsigned char)key))
		model_message(m, true, "search too long: at most %d bytes", SEARCH_QUERY_MAX - 1);
	changed(m);
}

bool model_search_paste(struct model *m, const char *text, size_t len, size_t more)
{
	size_t left = lineedit_paste_more(m->search.input, sizeof m->search.input, text, len, more);
	if (left)
		model_message(m, true, "paste refused: the search would be longer than %d bytes", SEARCH_QUERY_MAX - 1);
	changed(m);
	return left == 0;
}

void model_search_step(struct model *m, int dir)
{
	if (!model_search_active(m))
		return;
	search_step(&m->search.engine, dir);
	model_message_clear(m); /* the count says where: an older message would hide it */
	show_current(m);
}

/* "3 of 20 spans", "1 of 2 log lines", "3 of 21 (20 spans, 1 log line)":
 * every matching span counts, a folded group's members too. */
static void count_text(const struct search *s, char *buf, size_t cap)
{
	size_t spans = s->nspan_matches, logs = s->n - spans;
	if (logs == 0)
		snprintf(buf, cap, "%zu of %zu span%s", s->current + 1, s->n, spans == 1 ? "" : "s");
	else if (spans == 0)
		snprintf(buf, cap, "%zu of %zu log line%s", s->current + 1, s->n, logs == 1 ? "" : "s");
	else
		snprintf(buf, cap, "%zu of %zu (%zu span%s, %zu log line%s)", s->current + 1, s->n, spans,
		         spans == 1 ? "" : "s", logs, logs == 1 ? "" : "s");
}

void model_search_prompt_after(const struct model *m, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	if (model_message_shown(m)) /* made while the prompt is open: a key or paste refused */
		snprintf(buf, cap, "   %s", m->message);
	else
		snprintf(buf, cap, "   Enter search %s Ctrl-U clear %s Ctrl-W word %s Esc cancel", g->dot, g->dot, g->dot);
}

void model_search_line(const struct model *m, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	if (m->search.prompt) {
		char after[sizeof m->message + 8];
		model_search_prompt_after(m, after, sizeof after);
		snprintf(buf, cap, " /%s_%s", m->search.input, after);
	} else if (model_search_active(m)) {
		const struct search *s = &m->search.engine;
		char count[96];
		count_text(s, count, sizeof count);
		/* a long query gives way to its count (the status bar keeps a last segment this wide whole) */
		size_t keep = s->qlen;
		const char *ell = "";
		if (draw_width(s->query) > STATUS_QUERY_CELLS) {
			keep = draw_fit(s->query, s->qlen, STATUS_QUERY_CELLS - 1, NULL);
			ell = g->ellipsis;
		}
		snprintf(buf, cap, "/%.*s%s %s", (int)keep, s->query, ell, count);
	} else {
		buf[0] = '\0';
	}
}
