/* pane_diff — the diff screen: the marked trace (A) and the shown one (B)
 * aligned by the path of names (tracediff.h), one row per span or group,
 * with both durations and the difference; spans only in A are marked
 * missing, only in B added. A text that scrolls (j/k, PgUp/PgDn, g/G);
 * Esc, q or d go back. It draws what model_diff.c copied when d was
 * pressed, so it stands still while the lab runs on. */
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "pane.h"
#include "obslab/strtab.h"

#define FIGURE 10 /* cells of a duration column, with its gap */
#define STATUS 9  /* "missing", "added" and a gap */
#define HEAD 5    /* rows above the first span row, inside the frame */
#define MAX_INDENT 12
#define MAX_NAME 110

static size_t visible_rows(const struct pane *p)
{
	int rows = p->h - HEAD - 2; /* the frame's bottom, the "more" line */
	return rows > 0 ? (size_t)rows : 0;
}

/* "+1.20ms" or "-11.1ms" */
static void signed_duration(char *buf, size_t cap, int64_t ns)
{
	char d[24];
	draw_duration(d, sizeof d, ns < 0 ? -ns : ns);
	snprintf(buf, cap, "%s%s", ns < 0 ? "-" : ns > 0 ? "+" : "", d);
}

static void draw_row(WINDOW *w, int y, int name_cells, const struct model *m, size_t i)
{
	const struct glyphs *g = draw_glyphs();
	const struct tracediff_row *r = &m->diff.rows.rows[i];
	enum draw_role role = r->status == TRACEDIFF_MISSING ? ROLE_ERROR : r->status == TRACEDIFF_ADDED ? ROLE_APP
	                                                                                               : ROLE_NORMAL;
	wmove(w, y, 2);
	wattron(w, draw_attr(role));
	draw_text(w, r->status == TRACEDIFF_MISSING ? "- " : r->status == TRACEDIFF_ADDED ? "+ " : "  ", 2);
	char name[MODEL_DIFF_LABEL + 96], count[80] = "", fp[8] = "";
	int indent = r->depth < MAX_INDENT ? r->depth : MAX_INDENT;
	if (r->group && r->count_a && r->count_b && r->count_a != r->count_b)
		snprintf(count, sizeof count, " %s%u %s %s%u", g->times, r->count_a, draw_unicode() ? "→" : "->", g->times,
		         r->count_b);
	else if (r->group)
		snprintf(count, sizeof count, " %s%u", g->times, r->count_a ? r->count_a : r->count_b);
	if (r->group && (r->below_a || r->below_b)) { /* what its members hold, not compared row by row */
		size_t len = strlen(count);
		if (r->below_a == r->below_b || !r->count_a || !r->count_b)
			snprintf(count + len, sizeof count - len, " (+%u below)", r->count_a ? r->below_a : r->below_b);
		else
			snprintf(count + len, sizeof count - len, " (+%u %s +%u below)", r->below_a,
			         draw_unicode() ? "→" : "->", r->below_b);
	}
	uint32_t f = m->diff.fingerprints[i];
	if (f != STRTAB_NONE)
		snprintf(fp, sizeof fp, "  "); /* then the fingerprint, dimmed */
	snprintf(name, sizeof name, "%*s%s%s%s", 2 * indent, "", m->diff.labels[i], count, fp);
	name_cells -= 1; /* a gap before the status */
	bool whole = draw_width(name) <= name_cells;
	int used = draw_text(w, name, name_cells);
	if (f != STRTAB_NONE && whole && used < name_cells) { /* after a cut name (…) no fingerprint */
		wattron(w, draw_attr(ROLE_DIM));
		used += draw_text(w, strtab_get(m->source->names, f), name_cells - used);
		wattroff(w, draw_attr(ROLE_DIM));
		wattron(w, draw_attr(role));
	}
	for (; used < name_cells + 1; used++)
		waddch(w, ' ');
	const char *st = r->status == TRACEDIFF_MISSING ? "missing" : r->status == TRACEDIFF_ADDED ? "added" : "";
	draw_fmt(w, STATUS, "%-*s", STATUS, st);
	wattroff(w, draw_attr(role));
	char a[32], b[32], delta[32];
	if (r->count_a)
		draw_duration(a, sizeof a, r->ns_a);
	else
		snprintf(a, sizeof a, "%s", g->dash);
	if (r->count_b)
		draw_duration(b, sizeof b, r->ns_b);
	else
		snprintf(b, sizeof b, "%s", g->dash);
	signed_duration(delta, sizeof delta, tracediff_delta(r));
	draw_right(w, a, FIGURE);
	draw_right(w, b, FIGURE);
	int64_t dd = tracediff_delta(r);
	wattron(w, draw_attr(dd > 0 ? ROLE_WARN : ROLE_NORMAL));
	draw_right(w, delta, FIGURE);
	wattroff(w, draw_attr(dd > 0 ? ROLE_WARN : ROLE_NORMAL));
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	WINDOW *w = p->win;
	const struct pane_list *l = p->priv;
	const struct tracediff *d = &m->diff.rows;
	const struct glyphs *g = draw_glyphs();
	int inner = p->w - 4;
	werase(w);
	char title[96];
	snprintf(title, sizeof title, "Diff %s trace %llu (marked, A) against trace %llu (shown, B)", g->dot,
	         (unsigned long long)m->diff.seq_a, (unsigned long long)m->diff.seq_b);
	draw_frame(w, title, focus);
	wattron(w, A_BOLD);
	draw_at(w, 1, 2, "A ", 2);
	wattroff(w, A_BOLD);
	draw_text(w, m->diff.title_a, inner - 2);
	wattron(w, A_BOLD);
	draw_at(w, 2, 2, "B ", 2);
	wattroff(w, A_BOLD);
	draw_text(w, m->diff.title_b, inner - 2);
	wattron(w, draw_attr(ROLE_DIM));
	wmove(w, 3, 2);
	draw_fmt(w, inner, "%zu span%s missing (only in A), %zu added (only in B) %s j/k scroll %s Esc back", d->missing,
	         d->missing == 1 ? "" : "s", d->added, g->dot, g->dot);
	int name_cells = inner - 2 - STATUS - 3 * FIGURE;
	if (name_cells < 8)
		name_cells = 8;
	if (name_cells > MAX_NAME)
		name_cells = MAX_NAME; /* the figures stay near the names on a wide screen */
	wmove(w, 4, 2);
	draw_fmt(w, 2 + name_cells + STATUS, "  %-*s", name_cells + STATUS, "span");
	draw_right(w, "A", FIGURE);
	draw_right(w, "B", FIGURE);
	draw_right(w, "B-A", FIGURE);
	wattroff(w, draw_attr(ROLE_DIM));
	size_t rows = visible_rows(p);
	size_t i = l->top;
	for (size_t y = 0; y < rows && i < d->nrows; y++, i++)
		draw_row(w, HEAD + (int)y, name_cells, m, i);
	if (i < d->nrows) {
		wattron(w, draw_attr(ROLE_DIM));
		wmove(w, HEAD + (int)rows, 2);
		draw_fmt(w, inner, "%s %zu more row%s (j/k scroll)", g->more, d->nrows - i, d->nrows - i == 1 ? "" : "s");
		wattroff(w, draw_attr(ROLE_DIM));
	}
	wnoutrefresh(w);
}

static struct intent handle(struct pane *p, const struct model *m, enum action action)
{
	return pane_scroll(p->priv, action, m->diff.rows.nrows, visible_rows(p));
}

static void sync(struct pane *p, const struct model *m, unsigned changed)
{
	struct pane_list *l = p->priv;
	if (changed & MODEL_DIFF)
		l->top = 0; /* a new diff, from its first row */
	size_t rows = visible_rows(p), n = m->diff.rows.nrows;
	if (l->top + rows > n)
		l->top = n > rows ? n - rows : 0;
}

const struct pane_ops pane_diff_ops = {
	.name = "diff",
	.private_size = sizeof(struct pane_list),
	.focusable = true,
	.watches = MODEL_DIFF,
	.draw = draw,
	.handle = handle,
	.sync = sync,
};
