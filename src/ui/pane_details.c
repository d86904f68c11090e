/* Details: everything known about the selected span (or group). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "draw.h"
#include "obslab/attrs.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define MAX_LINES 64
#define LINE_LEN 256

struct lines {
	size_t n;
	struct {
		enum draw_role role;
		char text[LINE_LEN];
	} line[MAX_LINES];
};

static void add(struct lines *l, enum draw_role role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add(struct lines *l, enum draw_role role, const char *fmt, ...)
{
	if (l->n == MAX_LINES)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->line[l->n].text, LINE_LEN, fmt, ap);
	va_end(ap);
	l->line[l->n++].role = role;
}

/* Long text (SQL) broken into lines of width cells, at spaces where it can. */
static void add_wrapped(struct lines *l, enum draw_role role, const char *text, int width)
{
	size_t len = strlen(text), w = width > 8 ? (size_t)width : 8;
	while (len > 0) {
		size_t cut = len <= w ? len : w;
		if (cut < len) {
			size_t sp = cut;
			while (sp > w / 2 && text[sp] != ' ')
				sp--;
			if (text[sp] == ' ')
				cut = sp;
		}
		add(l, role, "%.*s", (int)cut, text);
		text += cut;
		len -= cut;
		while (len > 0 && *text == ' ')
			text++, len--;
	}
}

static void hex(char *out, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
}

static void describe_span(struct lines *l, const struct app *app, const struct span_record *s, int width)
{
	const struct glyphs *g = draw_glyphs();
	const struct trace *t = app->shown;
	char label[256], dur[16], at[16];
	app_span_label(app, s, label, sizeof label);
	draw_duration(dur, sizeof dur, span_duration_ns(s));
	draw_duration(at, sizeof at, s->start_ns - t->spans[0].start_ns);
	static const char *const kinds[] = { "unspecified", "internal", "server", "client" };
	add(l, ROLE_TITLE, "%s  (%s span)", label, s->kind < 4 ? kinds[s->kind] : "?");
	if (s->flags & SPAN_F_DB)
		add_wrapped(l, ROLE_DB, strtab_get(app->lab.names, s->name), width);
	add(l, ROLE_NORMAL, "duration %s %s starts at +%s", dur, g->dot, at);
	if (s->flags & SPAN_F_DB) {
		char net[16], db[16];
		int64_t net_ns = s->u.db.net_wait_ns, db_ns = span_duration_ns(s) - net_ns;
		draw_duration(net, sizeof net, net_ns);
		draw_duration(db, sizeof db, db_ns > 0 ? db_ns : 0);
		add(l, ROLE_NORMAL, "network %s (simulated) %s database %s %s rows %" PRIu32, net, g->dot, db,
		    g->dot, s->u.db.rows);
		add(l, ROLE_NORMAL, "full-scan steps %" PRIu32 " %s sorts %u %s auto-index rows %" PRIu32
		    " %s VM steps %" PRIu32, s->u.db.fullscan_steps, g->dot, s->sort_ops, g->dot,
		    s->u.db.autoindex, g->dot, s->u.db.vm_steps);
	}
	struct attr attrs[ATTRS_MAX];
	size_t n = span_attributes(s, app->lab.names, attrs);
	for (size_t i = 0; i < n; i++) {
		const struct attr *a = &attrs[i];
		if (a->type == ATTR_STRING)
			add(l, ROLE_DIM, "%s = %s", a->key, attr_string(a));
		else if (a->type == ATTR_BOOL)
			add(l, ROLE_DIM, "%s = %s", a->key, a->i ? "true" : "false");
		else
			add(l, ROLE_DIM, "%s = %" PRId64, a->key, a->i);
	}
	char trace_id[33], span_id[17], parent[17];
	hex(trace_id, t->trace_id, SPAN_TRACE_ID_LEN);
	snprintf(span_id, sizeof span_id, "%016" PRIx64, s->span_id);
	snprintf(parent, sizeof parent, "%016" PRIx64, s->parent_id);
	add(l, ROLE_DIM, "trace %s", trace_id);
	add(l, ROLE_DIM, "span %s %s parent %s", span_id, g->dot, s->parent_id ? parent : "(root)");
}

static void describe_group(struct lines *l, const struct app *app, const struct wf_row *row, int width)
{
	const struct glyphs *g = draw_glyphs();
	const struct span_record *first = &app->shown->spans[row->span];
	char label[256], busy[16], mean[16], from[16], to[16];
	app_span_label(app, first, label, sizeof label);
	int64_t t0 = app->shown->spans[0].start_ns;
	draw_duration(busy, sizeof busy, row->busy_ns);
	draw_duration(mean, sizeof mean, row->busy_ns / row->count);
	draw_duration(from, sizeof from, row->start_ns - t0);
	draw_duration(to, sizeof to, row->end_ns - t0);
	add(l, ROLE_TITLE, "%s %s%u  (%u sibling spans, one fingerprint)", label, g->times, row->count, row->count);
	if (first->flags & SPAN_F_DB)
		add_wrapped(l, ROLE_DB, strtab_get(app->lab.names, first->name), width);
	add(l, ROLE_NORMAL, "total %s %s mean %s %s from +%s to +%s", busy, g->dot, mean, g->dot, from, to);
	if (first->flags & SPAN_F_DB)
		add(l, ROLE_WARN, "the same query %u times in a row under one parent: the N+1 pattern", row->count);
	add(l, ROLE_DIM, "Enter %s its rows", row->expanded ? "folds" : "unfolds");
}

static void draw(struct pane *p, const struct app *app)
{
	WINDOW *w = p->win;
	werase(w);
	draw_frame(w, "Details", app->focus == PANE_DETAILS);
	const struct wf_row *row = app_selected_row(app);
	static struct lines lines; /* UI thread only; too big for the stack */
	lines.n = 0;
	int width = p->w - 4;
	if (!row)
		add(&lines, ROLE_DIM, "no span selected");
	else if (row->kind == WF_ROW_GROUP)
		describe_group(&lines, app, row, width);
	else
		describe_span(&lines, app, &app->shown->spans[row->span], width);

	size_t rows = p->h > 2 ? (size_t)(p->h - 2) : 0;
	p->lines = lines.n;
	if (p->top + rows > lines.n)
		p->top = lines.n > rows ? lines.n - rows : 0;
	for (size_t i = 0; i < rows && p->top + i < lines.n; i++) {
		size_t k = p->top + i;
		wattron(w, draw_attr(lines.line[k].role));
		draw_at(w, 1 + (int)i, 2, lines.line[k].text, width);
		wattroff(w, draw_attr(lines.line[k].role));
	}
	wnoutrefresh(w);
}

static enum pane_result handle(struct pane *p, struct app *app, enum action action)
{
	(void)app;
	return pane_scroll(p, action, p->lines, p->h > 2 ? (size_t)(p->h - 2) : 0);
}

const struct pane_ops pane_details_ops = {
	.name = "details",
	.focusable = true,
	.draw = draw,
	.handle = handle,
};
