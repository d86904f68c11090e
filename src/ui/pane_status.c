/* pane_status — the status bar: the model's status line, in one row; a
 * message that reports an error stands out. A line wider than the terminal
 * loses its least important segments first (as htop drops meters), or
 * shows their short forms: the last segment (live, paused or history,
 * reconnecting; a prompt's keys) always stays, in its short form if need be. */
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "pane.h"

#define MAX_SEGMENTS 16

/* What gives way first, in order: a segment holding the text is dropped,
 * or only the text itself is cut out of its segment, or what follows the
 * text loses its start ("snapshot …/dir/file.json"), or the segment gives
 * way to its short form (which a later rule on the same text may drop), or
 * a segment starting with the text loses it up to its first " · ".
 * Segments not named here are kept as long as anything else can go. */
/* REWRITE: the segment rewritten shorter by its function, the last one too. */
enum give { DROP, DROP_WHOLE, CUT, SHORTEN, SWAP, LEAD, REWRITE }; /* DROP_WHOLE: the segment is just the text */

static void database_short(const struct model *m, char *buf, size_t cap);
static void reconnect_short_server(const struct model *m, char *seg, size_t cap);
static void reconnect_shortest(const struct model *m, char *seg, size_t cap);

static const struct {
	const char *text;
	enum give how;
	void (*short_form)(const struct model *m, char *buf, size_t cap); /* SWAP's, REWRITE's */
} give_way[] = {
	{ "SQLite ", DROP, NULL },      /* the lab's SQLite file: the line as it was without it */
	{ "spans ", DROP, NULL },       /* spans received, dropped */
	{ " (simulated)", CUT, NULL },  /* "RTT 200µs (simulated)": RTT 200µs */
	{ "req/s", DROP, NULL },        /* the request rate */
	{ "reconnecting to ", REWRITE, reconnect_short_server }, /* "reconnecting to pg host:port/db (attempt …)" */
	{ "PostgreSQL ", SWAP, database_short }, /* where the lab runs: "pg /tmp/obslab-pg…:5432/lab" */
	{ " (measured)", CUT, NULL },   /* "network real (measured)" */
	{ "reconnecting to ", REWRITE, reconnect_shortest }, /* "reconnecting · attempt 3 · 4s" */
	{ "collector: ", SWAP, model_forward_short }, /* the forwarder's state, its cause in the log: "→ retrying 4s" */
	{ "receiving on ", CUT, NULL }, /* "receiving on http://…": the address and the counts stay */
	{ " (429/503)", CUT, NULL },    /* the receiver's counts keep their numbers and names */
	{ ": trace over its size limit", CUT, NULL },
	{ " (sent again)", CUT, NULL },
	{ "http://", LEAD, NULL },      /* the receiver's address: its counts stay */
	{ "obslab", DROP_WHOLE, NULL }, /* the program's name (a path may hold it too) */
	{ "collector: ", DROP, NULL },  /* the forwarder's short form */
	{ "snapshot ", SHORTEN, NULL }, /* an opened file's path */
	{ "file ", SHORTEN, NULL },     /* an opened OTLP file's path */
	{ "read-only", DROP_WHOLE, NULL }, /* an opened file: its services and marks matter more */
};
#define SHORTEST 12 /* cells a shortened path keeps */

#define HOST_CELLS 18 /* a server's host in the short form: longer ones lose their middle */

/* `text` in at most `cells` cells (ASCII counted as one each), its middle
 * given way to an ellipsis: "/tmp/obslab…review". */
static void cut_middle(const char *text, int cells, char *buf, size_t cap)
{
	size_t len = strlen(text);
	if (draw_width(text) <= cells || len < (size_t)cells) {
		snprintf(buf, cap, "%s", text);
		return;
	}
	size_t head = (size_t)(cells - 1) / 2 + (size_t)(cells - 1) % 2, tail = (size_t)(cells - 1) / 2;
	while (head > 0 && (text[head] & 0xc0) == 0x80)
		head--; /* whole characters */
	const char *end = text + len - tail;
	while (*end && (*end & 0xc0) == 0x80)
		end++;
	snprintf(buf, cap, "%.*s%s%s", (int)head, text, draw_glyphs()->ellipsis, end);
}

/* Where a PostgreSQL lab runs, for a narrow bar: "pg HOST:PORT/DB", the
 * host (or socket directory) cut in its middle; the long form otherwise. */
static void database_short(const struct model *m, char *buf, size_t cap)
{
	const struct labdb_info *db = &m->database;
	if (!m->has_database || db->engine != LABDB_POSTGRESQL) {
		snprintf(buf, cap, "%s", db->display);
		return;
	}
	char host[96], name[64];
	cut_middle(db->server_address[0] ? db->server_address : "?", HOST_CELLS, host, sizeof host);
	cut_middle(db->name_space, 16, name, sizeof name);
	bool v6 = strchr(host, ':') != NULL;
	snprintf(buf, cap, "pg %s%s%s:%d/%s", v6 ? "[" : "", host, v6 ? "]" : "", db->server_port, name);
}

/* "reconnecting to LONG (attempt N, since Ns)": the server in its short form. */
static void reconnect_short_server(const struct model *m, char *seg, size_t cap)
{
	const char *rest = strstr(seg, " (attempt ");
	if (!rest || !m->has_database || m->database.engine != LABDB_POSTGRESQL)
		return;
	char where[160], out[256];
	database_short(m, where, sizeof where);
	snprintf(out, sizeof out, "reconnecting to %s%s", where, rest);
	snprintf(seg, cap, "%s", out);
}

/* "reconnecting · attempt N · Ns": what matters while the server is away. */
static void reconnect_shortest(const struct model *m, char *seg, size_t cap)
{
	(void)m;
	const char *rest = strstr(seg, " (attempt ");
	unsigned attempt;
	long long since;
	if (!rest || sscanf(rest, " (attempt %u, since %llds)", &attempt, &since) != 2)
		return;
	const char *dot = draw_glyphs()->dot;
	snprintf(seg, cap, "reconnecting %s attempt %u %s %llds", dot, attempt, dot, since);
}

/* The text after `at` loses its start, with an ellipsis, until the
 * segments are `excess` cells narrower (or only SHORTEST are left). */
static void shorten(char *at, size_t cap, int excess)
{
	const char *ell = draw_glyphs()->ellipsis;
	int cells = draw_width(at), keep = cells - excess - 1;
	keep = keep < SHORTEST ? SHORTEST : keep;
	if (cells <= keep + 1)
		return;
	const char *from = at;
	while (*from && draw_width(from) > keep) {
		from++;
		while ((*from & 0xc0) == 0x80)
			from++; /* whole characters */
	}
	char rest[256];
	snprintf(rest, sizeof rest, "%s%s", ell, from);
	snprintf(at, cap, "%s", rest);
}

struct segments {
	size_t n;
	const char *sep;
	char text[MAX_SEGMENTS][256];
	bool dropped[MAX_SEGMENTS];
	const char *was[MAX_SEGMENTS]; /* a SWAP's text, once the segment is its short form */
};

static int segments_width(const struct segments *s)
{
	int cells = 0, shown = 0, sep = draw_width(s->sep);
	for (size_t i = 0; i < s->n; i++) {
		if (s->dropped[i])
			continue;
		cells += draw_width(s->text[i]) + (shown++ ? sep : 0);
	}
	return cells;
}

static void segments_join(const struct segments *s, char *out, size_t cap)
{
	size_t o = 0;
	bool any = false;
	out[0] = '\0';
	for (size_t i = 0; i < s->n && o + 1 < cap; i++) {
		if (s->dropped[i])
			continue;
		int k = snprintf(out + o, cap - o, "%s%s", any ? s->sep : "", s->text[i]);
		any = true;
		o = k > 0 && (size_t)k < cap - o ? o + (size_t)k : cap - 1;
	}
}

/* Splits the line at " │ "; false if it has no separator (a message). */
static bool segments_split(const char *line, struct segments *s)
{
	const char *sep = s->sep;
	size_t seplen = strlen(sep);
	s->n = 0;
	for (const char *p = line; s->n < MAX_SEGMENTS;) {
		const char *next = strstr(p, sep);
		size_t len = next && s->n + 1 < MAX_SEGMENTS ? (size_t)(next - p) : strlen(p);
		snprintf(s->text[s->n], sizeof s->text[s->n], "%.*s", (int)len, p);
		s->was[s->n] = NULL;
		s->dropped[s->n++] = false;
		if (!next || s->n == MAX_SEGMENTS)
			break;
		p = next + seplen;
	}
	return s->n > 1;
}

/* The line as it fits: head (cut to head_cells when it is not -1), then
 * the last segment whole. */
struct fitted {
	char head[512];
	int head_cells;
	char tail[288];
};

/* Where segment i holds give_way[g]'s text (the start of a segment that
 * gave way to its short form under it); NULL when it does not. */
static char *give_way_at(struct segments *s, size_t i, size_t g)
{
	const char *text = give_way[g].text;
	char *at = s->dropped[i] ? NULL : strstr(s->text[i], text);
	if (!at && !s->dropped[i] && s->was[i] && strcmp(s->was[i], text) == 0)
		at = s->text[i];
	if (at && give_way[g].how == DROP_WHOLE && strcmp(s->text[i] + strspn(s->text[i], " "), text))
		return NULL;
	if (at && give_way[g].how == LEAD && at != s->text[i])
		return NULL;
	return at;
}

/* Segment i gives way by give_way[g]'s rule at `at`. */
static void give(struct segments *s, size_t i, size_t g, char *at, const struct model *m, int width)
{
	char *after = at + strlen(give_way[g].text), dot[16];
	switch (give_way[g].how) {
	case CUT: memmove(at, after, strlen(after) + 1); break;
	case SHORTEN:
		shorten(after, sizeof s->text[i] - (size_t)(after - s->text[i]), segments_width(s) - width);
		break;
	case SWAP:
		if (s->was[i])
			break;
		give_way[g].short_form(m, s->text[i], sizeof s->text[i]);
		s->was[i] = give_way[g].text;
		s->dropped[i] = !s->text[i][0];
		break;
	case REWRITE: give_way[g].short_form(m, s->text[i], sizeof s->text[i]); break;
	case LEAD:
		snprintf(dot, sizeof dot, " %s ", draw_glyphs()->dot);
		if ((after = strstr(at, dot)) != NULL)
			memmove(at, after + strlen(dot), strlen(after + strlen(dot)) + 1);
		break;
	case DROP:
	case DROP_WHOLE: s->dropped[i] = true; break;
	}
}

/* Segments give way in give_way's order, never the last; what still does
 * not fit is cut before the last segment. */
static void status_fit(const struct model *m, const char *line, int width, struct fitted *f)
{
	static struct segments s; /* UI thread only; too big for the stack */
	char sep[16];
	snprintf(sep, sizeof sep, " %s ", draw_glyphs()->sep);
	s.sep = sep;
	f->head_cells = -1;
	f->tail[0] = '\0';
	if (draw_width(line) <= width || !segments_split(line, &s)) {
		snprintf(f->head, sizeof f->head, "%s", line);
		return;
	}
	for (size_t g = 0; g < sizeof give_way / sizeof give_way[0] && segments_width(&s) > width; g++) {
		for (size_t i = 0; (i + 1 < s.n || (i < s.n && give_way[g].how == REWRITE)) && segments_width(&s) > width;
		     i++) {
			char *at = give_way_at(&s, i, g);
			if (at)
				give(&s, i, g, at, m, width);
		}
	}
	size_t last = s.n - 1;
	int tail = draw_width(s.text[last]) + draw_width(sep);
	if (segments_width(&s) <= width || width - tail < 8) {
		segments_join(&s, f->head, sizeof f->head);
		return;
	}
	s.dropped[last] = true;
	segments_join(&s, f->head, sizeof f->head);
	f->head_cells = width - tail;
	snprintf(f->tail, sizeof f->tail, "%s%s", sep, s.text[last]);
}

/* The search prompt: " /", the text with its end in sight (draw_edit),
 * then a message made while it is open, else its keys: the keys give way
 * to the text, a message keeps up to half of the line. */
static void draw_search_prompt(struct pane *p, const struct model *m)
{
	char after[sizeof m->message + 8];
	model_search_prompt_after(m, after, sizeof after);
	bool message = model_message_shown(m);
	int room = p->w - 2, need = draw_width(m->search.input) + 1, tail = draw_width(after);
	int cells = need; /* all of it fits */
	if (need + tail > room)
		cells = !message ? room : room - tail > room / 2 ? room - tail : room / 2;
	int used = draw_at(p->win, 0, 0, " /", p->w);
	used += draw_edit(p->win, m->search.input, cells);
	draw_text(p->win, after, p->w - used);
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	char line[512];
	static struct fitted fitted;
	model_status_line(m, line, sizeof line);
	status_fit(m, line, p->w, &fitted);
	werase(p->win);
	wbkgdset(p->win, ' ' | draw_attr(ROLE_STATUS));
	werase(p->win);
	attr_t attr = draw_attr(m->message_error && model_message_shown(m) ? ROLE_ERROR : ROLE_STATUS);
	wattron(p->win, attr | A_REVERSE * (attr != draw_attr(ROLE_STATUS)));
	if (m->search.prompt) {
		draw_search_prompt(p, m);
	} else {
		int used = draw_at(p->win, 0, 0, fitted.head, fitted.head_cells >= 0 ? fitted.head_cells : p->w);
		draw_text(p->win, fitted.tail, p->w - used);
	}
	wattroff(p->win, attr | A_REVERSE);
	wnoutrefresh(p->win);
}
const struct pane_ops pane_status_ops = {
	.name = "status",
	.watches = MODEL_STATUS,
	.focusable = false,
	.draw = draw,
};
