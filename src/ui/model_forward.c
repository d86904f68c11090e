/*
 * model_forward — the forwarder as the explorer shows it (forward.h): each
 * completed lab or served trace handed on, the status bar's segment, and a
 * log line when its state changes or it drops spans.
 */
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "source.h"
#include "obslab/clock.h"
#include "obslab/forward.h"

void model_forward_trace(struct model *m, const struct trace *t)
{
	if (m->source->forward && !m->source->ops->reads_only)
		forward_trace(m->source->forward, t, m->source->names, &m->source->anchor);
}

void model_forward_segment(const struct model *m, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	struct forward_stats st;
	char state[200];
	forward_get_stats(m->source->forward, &st);
	forward_state_text(&st, clock_now_ns(), g->dot, state, sizeof state);
	if (snprintf(buf, cap, " %s %s collector: %s", g->sep, draw_unicode() ? "→" : "->", state) < 0)
		buf[0] = '\0'; /* a long state is cut to the segment: the status bar gives way anyway */
}

void model_forward_short(const struct model *m, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	struct forward_stats st;
	char state[96];
	buf[0] = '\0';
	if (!m->source->forward)
		return;
	forward_get_stats(m->source->forward, &st);
	forward_state_short(&st, clock_now_ns(), g->dot, state, sizeof state);
	snprintf(buf, cap, "%s %s", draw_unicode() ? "→" : "->", state);
}

/* url in at most cells cells: its start and its end around an ellipsis. */
static void url_middle(const char *url, int cells, char *buf, size_t cap)
{
	const char *ell = draw_glyphs()->ellipsis;
	int room = cells - draw_width(ell);
	if (draw_width(url) <= cells || room < 2) {
		snprintf(buf, cap, "%s", draw_width(url) <= cells ? url : "");
		return;
	}
	size_t len = strlen(url);
	size_t head = draw_fit(url, len, room - room / 2, NULL);
	size_t tail = draw_tail(url, room / 2);
	snprintf(buf, cap, "%.*s%s%s", (int)head, url, ell, url + tail);
}

#define DRAIN_URL_MIN 16 /* cells a shortened URL keeps, else it is left out */

void model_forward_drain_line(size_t queued, const char *url, int width, char *buf, size_t cap)
{
	const char *dots = draw_unicode() ? "…" : "...", *keys = " (q again to drop them)";
	char what[64], shown[256];
	snprintf(what, sizeof what, "sending %zu queued span%s", queued, queued == 1 ? "" : "s");
	int room = width - draw_width(what) - draw_width(" to ") - draw_width(dots) - draw_width(keys);
	if (room >= draw_width(url) || room >= DRAIN_URL_MIN) {
		url_middle(url, room, shown, sizeof shown);
		snprintf(buf, cap, "%s to %s%s%s", what, shown, dots, keys);
	} else {
		snprintf(buf, cap, "%s%s%s", what, dots, keys); /* what is cut still: draw_text's ellipsis */
	}
}

/* A line in the log when the forwarder's state changes, or it drops more. */
void model_forward_tick(struct model *m)
{
	if (!m->source->forward)
		return;
	struct forward_stats st;
	forward_get_stats(m->source->forward, &st);
	if ((int)st.state == m->forward_state && st.dropped_spans == m->forward_dropped)
		return;
	const char *url = forward_url(m->source->forward);
	if ((int)st.state != m->forward_state) {
		switch (st.state) { /* what happened first: the log pane is narrow, the URL may be cut */
		case FORWARD_IDLE: model_note(m, LOG_INFO, "forwarding spans to %s", url); break;
		case FORWARD_CONNECTED:
			model_note(m, LOG_INFO, "collector connected, %llu spans sent: %s", (unsigned long long)st.sent_spans, url);
			break;
		case FORWARD_RETRYING: model_note(m, LOG_WARN, "collector: %s; retrying: %s", st.last_error, url); break;
		case FORWARD_FAILING: model_note(m, LOG_ERROR, "collector failing: %s: %s", st.last_error, url); break;
		}
	}
	if (st.dropped_spans != m->forward_dropped)
		model_note(m, LOG_WARN, "collector: %llu spans dropped in all (%s)", (unsigned long long)st.dropped_spans,
		           st.last_error[0] ? st.last_error : "the queue was full");
	m->forward_state = (int)st.state;
	m->forward_dropped = st.dropped_spans;
}

/* The forwarder's segment goes before the line's last one (live, history, a
 * diff's mark), which the status bar keeps whatever the width: it gives way
 * first when narrow (pane_status.c), the source's counts stay. */
void model_forward_status(const struct model *m, char *buf, size_t cap)
{
	char sep[16], seg[160], tail[256];
	snprintf(sep, sizeof sep, " %s ", draw_glyphs()->sep);
	model_forward_segment(m, seg, sizeof seg);
	char *last = NULL;
	for (char *at = strstr(buf, sep); at; at = strstr(at + 1, sep))
		last = at;
	size_t used = strlen(buf);
	if (!last) {
		if (used < cap)
			snprintf(buf + used, cap - used, "%s", seg);
		return;
	}
	snprintf(tail, sizeof tail, "%s", last);
	snprintf(last, cap - (size_t)(last - buf), "%s%s", seg, tail);
}
