/* draw — text, glyphs, bars and colours on a curses window (see draw.h). */
#include "draw.h"

#include "obslab/search.h"

#include <inttypes.h>
#include <langinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "obslab/textsafe.h"

static const char *const utf8_eighths[] = { "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
static const char *const ascii_eighths[] = { "|", "|", "[", "[", "[", "#", "#" };

static const struct glyphs utf8_glyphs = {
	.tee = "├", .corner = "└", .vline = "│", .tee_left = "┤", .open = "▾", .closed = "▸", .times = "×",
	.full = "█", .light = "░", .eighths = utf8_eighths, .tick = "┬", .sep = "│",
	.dot = "·", .live = "●", .paused = "‖", .ellipsis = "…", .mu = "µ", .warn = "⚠", .dash = "—", .more = "↓",
};

static const struct glyphs ascii_glyphs = {
	.tee = "+", .corner = "`", .vline = "|", .tee_left = "+", .open = "v", .closed = ">", .times = "x",
	.full = "#", .light = ".", .eighths = ascii_eighths, .tick = "+", .sep = "|",
	.dot = "-", .live = "*", .paused = "=", .ellipsis = "~", .mu = "u", .warn = "!", .dash = "-", .more = "v",
};

static bool unicode, color;
static attr_t roles[ROLE_COUNT];

void draw_init(void)
{
	const char *codeset = nl_langinfo(CODESET);
	unicode = codeset && strcmp(codeset, "UTF-8") == 0;
	const char *no_color = getenv("NO_COLOR");
	color = has_colors() && !(no_color && *no_color);

	/* Monochrome first: attributes alone tell the roles apart. */
	roles[ROLE_NORMAL] = A_NORMAL;
	roles[ROLE_TITLE] = A_BOLD;
	roles[ROLE_FOCUS] = A_BOLD | A_REVERSE;
	roles[ROLE_STATUS] = A_REVERSE;
	roles[ROLE_DIM] = A_DIM;
	roles[ROLE_APP] = A_NORMAL;
	roles[ROLE_DB] = A_BOLD;
	roles[ROLE_NET] = A_DIM;
	roles[ROLE_WARN] = A_BOLD;
	roles[ROLE_ERROR] = A_BOLD | A_UNDERLINE;
	roles[ROLE_SELECTED] = A_REVERSE;
	roles[ROLE_MATCH] = A_REVERSE | A_UNDERLINE;
	if (!color)
		return;
	start_color();
	use_default_colors();
	static const struct {
		enum draw_role role;
		short fg, bg;
		attr_t extra;
	} palette[] = {
		{ ROLE_FOCUS, COLOR_BLACK, COLOR_CYAN, A_BOLD },
		{ ROLE_STATUS, COLOR_BLACK, COLOR_CYAN, 0 },
		{ ROLE_APP, COLOR_CYAN, -1, 0 },
		{ ROLE_DB, COLOR_YELLOW, -1, 0 },
		{ ROLE_NET, COLOR_MAGENTA, -1, 0 },
		{ ROLE_WARN, COLOR_YELLOW, -1, A_BOLD },
		{ ROLE_ERROR, COLOR_RED, -1, A_BOLD },
		{ ROLE_TITLE, COLOR_CYAN, -1, A_BOLD },
		{ ROLE_MATCH, COLOR_BLACK, COLOR_YELLOW, A_BOLD },
	};
	for (size_t i = 0; i < sizeof palette / sizeof palette[0]; i++) {
		short pair = (short)(i + 1);
		init_pair(pair, palette[i].fg, palette[i].bg);
		roles[palette[i].role] = COLOR_PAIR(pair) | palette[i].extra;
	}
}

bool draw_unicode(void) { return unicode; }
bool draw_color(void) { return color; }
const struct glyphs *draw_glyphs(void) { return unicode ? &utf8_glyphs : &ascii_glyphs; }
attr_t draw_attr(enum draw_role role) { return roles[role]; }

/* Decodes one character (textsafe decides what may reach the terminal raw):
 * its escaped form in esc, or esc empty; its width in cells. A character the
 * locale cannot show (not UTF-8, or no width) is escaped too. Returns the
 * bytes consumed. */
static size_t next_char(const char *s, size_t len, char esc[TEXTSAFE_ESCAPE_MAX], int *width)
{
	uint32_t cp;
	bool safe;
	size_t n = textsafe_next(s, len, &cp, &safe);
	esc[0] = '\0';
	int w = cp < 0x80 ? 1 : unicode ? wcwidth((wchar_t)cp) : -1;
	if (!safe || w < 0) {
		*width = (int)textsafe_escape_bytes(esc, s, n);
		return n;
	}
	*width = w;
	return n;
}

int draw_width(const char *text)
{
	int cells = 0;
	size_t len = strlen(text);
	for (size_t i = 0; i < len;) {
		char esc[TEXTSAFE_ESCAPE_MAX];
		int w;
		i += next_char(text + i, len - i, esc, &w);
		cells += w;
	}
	return cells;
}

size_t draw_fit(const char *text, size_t len, int cells, int *used)
{
	int taken = 0;
	size_t i = 0;
	while (i < len) {
		char esc[TEXTSAFE_ESCAPE_MAX];
		int cw;
		size_t n = next_char(text + i, len - i, esc, &cw);
		if (taken + cw > cells)
			break;
		taken += cw;
		i += n;
	}
	if (used)
		*used = taken;
	return i;
}

size_t draw_tail(const char *text, int cells)
{
	size_t len = strlen(text), i = 0;
	int total = draw_width(text);
	while (i < len && total > cells) {
		char esc[TEXTSAFE_ESCAPE_MAX];
		int cw;
		i += next_char(text + i, len - i, esc, &cw);
		total -= cw;
	}
	return i;
}

int draw_edit(WINDOW *w, const char *text, int cells)
{
	if (cells <= 0)
		return 0;
	int used = 0;
	size_t from = 0;
	if (draw_width(text) + 1 > cells) { /* the start gives way: the end, where keys go, stays */
		used = draw_text(w, draw_glyphs()->ellipsis, cells);
		from = draw_tail(text, cells - used - 1);
	}
	used += draw_text(w, text + from, cells - used - 1);
	return used + draw_text(w, "_", cells - used);
}

int draw_text(WINDOW *w, const char *text, int max_cells)
{
	if (max_cells <= 0)
		return 0;
	int total = draw_width(text);
	int budget = total > max_cells ? max_cells - 1 : max_cells; /* room for … */
	int cells = 0;
	size_t len = strlen(text);
	for (size_t i = 0; i < len;) {
		char esc[TEXTSAFE_ESCAPE_MAX];
		int cw;
		size_t n = next_char(text + i, len - i, esc, &cw);
		if (cells + cw > budget)
			break;
		if (esc[0])
			waddstr(w, esc);
		else if (cw > 0)
			waddnstr(w, text + i, (int)n);
		cells += cw;
		i += n;
	}
	if (total > max_cells) {
		waddstr(w, draw_glyphs()->ellipsis);
		cells++;
	}
	return cells;
}

int draw_text_match(WINDOW *w, const char *text, int max_cells, const struct search *s)
{
	if (!s || s->qlen == 0)
		return draw_text(w, text, max_cells);
	if (max_cells <= 0)
		return 0;
	attr_t saved;
	short pair;
	wattr_get(w, &saved, &pair, NULL);
	int total = draw_width(text);
	int budget = total > max_cells ? max_cells - 1 : max_cells; /* room for … */
	int cells = 0;
	size_t len = strlen(text), hit = search_find(s, text, len, 0);
	bool lit = false;
	for (size_t i = 0; i < len;) {
		if (hit != SIZE_MAX && i >= hit + s->qlen)
			hit = search_find(s, text, len, i);
		bool in = hit != SIZE_MAX && i >= hit && i < hit + s->qlen;
		if (in != lit) {
			if (in)
				wattron(w, draw_attr(ROLE_MATCH));
			else
				wattr_set(w, saved, pair, NULL);
			lit = in;
		}
		char esc[TEXTSAFE_ESCAPE_MAX];
		int cw;
		size_t n = next_char(text + i, len - i, esc, &cw);
		if (cells + cw > budget)
			break;
		if (esc[0])
			waddstr(w, esc);
		else if (cw > 0)
			waddnstr(w, text + i, (int)n);
		cells += cw;
		i += n;
	}
	wattr_set(w, saved, pair, NULL);
	if (total > max_cells) {
		waddstr(w, draw_glyphs()->ellipsis);
		cells++;
	}
	return cells;
}

int draw_right(WINDOW *w, const char *text, int cells)
{
	int pad = cells - draw_width(text);
	for (int i = 0; i < pad; i++)
		waddch(w, ' ');
	return (pad > 0 ? pad : 0) + draw_text(w, text, pad >= 0 ? cells - pad : cells);
}

int draw_at(WINDOW *w, int y, int x, const char *text, int max_cells)
{
	wmove(w, y, x);
	return draw_text(w, text, max_cells);
}

int draw_wrapped(WINDOW *w, int y, int x, const char *text, int width, int max_rows)
{
	int rows = 0;
	if (width < 1)
		return 0;
	for (const char *line = text; rows < max_rows;) {
		size_t len = strcspn(line, "\n");
		const char *p = line, *end = line + len;
		do {
			while (p < end && *p == ' ' && p != line)
				p++; /* a break's spaces are not drawn */
			size_t fit = draw_fit(p, (size_t)(end - p), width, NULL);
			size_t take = fit;
			if (p + fit < end && p[fit] != ' ') { /* back to the last space, unless the word is wider than the line */
				size_t at = fit;
				while (at > 0 && p[at - 1] != ' ')
					at--;
				if (at > 0)
					take = at;
			}
			if (take == 0)
				take = fit ? fit : (size_t)(end - p); /* nothing fits: the next character, cut */
			char buf[1024];
			snprintf(buf, sizeof buf, "%.*s", (int)take, p);
			size_t n = strlen(buf);
			while (n > 0 && buf[n - 1] == ' ')
				buf[--n] = '\0';
			draw_at(w, y + rows++, x, buf, width);
			p += take;
		} while (p < end && rows < max_rows);
		if (!*end)
			break;
		line = end + 1;
	}
	return rows;
}

int draw_fmt(WINDOW *w, int max_cells, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	return draw_text(w, buf, max_cells);
}

void draw_bar(WINDOW *w, int y, int x, int64_t a8, int64_t b8, attr_t attr)
{
	const struct glyphs *g = draw_glyphs();
	if (b8 <= a8)
		b8 = a8 + 1; /* a sliver, so even the shortest span is seen */
	int64_t first = a8 / 8, last = (b8 - 1) / 8;
	wattron(w, attr);
	for (int64_t cell = first; cell <= last; cell++) {
		int64_t lo = cell * 8 > a8 ? cell * 8 : a8;
		int64_t hi = cell * 8 + 8 < b8 ? cell * 8 + 8 : b8;
		int64_t fill = hi - lo; /* eighths of this cell covered, 1..8 */
		const char *glyph = fill >= 8 ? g->full : g->eighths[fill - 1];
		mvwaddstr(w, y, x + (int)cell, glyph);
	}
	wattroff(w, attr);
}

void draw_frame(WINDOW *w, const char *title, bool focused)
{
	box(w, 0, 0);
	if (!title)
		return;
	int width = getmaxx(w);
	wmove(w, 0, 2);
	wattron(w, draw_attr(focused ? ROLE_FOCUS : ROLE_TITLE));
	waddch(w, ' ');
	draw_text(w, title, width - 6);
	waddch(w, ' ');
	wattroff(w, draw_attr(focused ? ROLE_FOCUS : ROLE_TITLE));
}

/* The units draw_duration steps through: ns divided by `per` and rounded
 * half up to `decimals` places, while that stays below 1000 (in units of
 * the last place); else the next step. So a figure that rounds up to the
 * next step is written there (999 990ns: 1.00ms, never 1000µs). */
static const struct duration_step {
	int64_t per;     /* ns in one unit of the last place written */
	int decimals;
	const char *unit; /* NULL: the glyph for micro, then "s" */
} duration_steps[] = {
	{ 10, 2, NULL },          /* 1.00µs - 9.99µs */
	{ 1000, 0, NULL },        /* 10µs - 999µs */
	{ 10000, 2, "ms" },       /* 1.00ms - 9.99ms */
	{ 100000, 1, "ms" },      /* 10.0ms - 99.9ms */
	{ 1000000, 0, "ms" },     /* 100ms - 999ms */
};

void draw_duration(char *buf, size_t cap, int64_t ns)
{
	const char *mu = draw_glyphs()->mu;
	if (ns < 1000) {
		snprintf(buf, cap, "%" PRId64 "ns", ns);
		return;
	}
	for (size_t i = 0; i < sizeof duration_steps / sizeof duration_steps[0]; i++) {
		const struct duration_step *st = &duration_steps[i];
		int64_t r = ns / st->per + ((ns % st->per) * 2 >= st->per); /* half up */
		if (r >= 1000)
			continue;
		const char *u = st->unit ? st->unit : "s";
		const char *pre = st->unit ? "" : mu;
		if (st->decimals == 0)
			snprintf(buf, cap, "%" PRId64 "%s%s", r, pre, u);
		else if (st->decimals == 1)
			snprintf(buf, cap, "%" PRId64 ".%01" PRId64 "%s%s", r / 10, r % 10, pre, u);
		else
			snprintf(buf, cap, "%" PRId64 ".%02" PRId64 "%s%s", r / 100, r % 100, pre, u);
		return;
	}
	int64_t r = ns / 10000000 + (ns % 10000000 >= 5000000); /* hundredths of a second, half up */
	snprintf(buf, cap, "%" PRId64 ".%02" PRId64 "s", r / 100, r % 100);
}

/* "+1.20s", "+12m03s", "+3h07m", "+120h": an offset in 7 cells (up to
 * 100 000 hours), where draw_duration would write "+4000.00s". Seconds
 * while draw_duration writes fewer than 100 (99.994s; 99.995s rounds to
 * 100.00s, so it is +1m40s, as 100.0s is), then whole seconds, rounded. */
#define START_SECONDS_BELOW INT64_C(99995000000)
void draw_start_offset(char *buf, size_t cap, int64_t ns)
{
	int64_t s = ns < START_SECONDS_BELOW ? 0 : ns / 1000000000 + (ns % 1000000000 >= 500000000);
	if (ns < START_SECONDS_BELOW) {
		char d[24];
		draw_duration(d, sizeof d, ns);
		snprintf(buf, cap, "+%s", d);
	} else if (s < 100 * 60) {
		snprintf(buf, cap, "+%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	} else if (s < 100 * 3600) {
		snprintf(buf, cap, "+%" PRId64 "h%02" PRId64 "m", s / 3600, s / 60 % 60);
	} else {
		snprintf(buf, cap, "+%" PRId64 "h", s / 3600);
	}
}

void draw_count(char *buf, size_t cap, uint64_t n)
{
	char digits[32];
	int len = snprintf(digits, sizeof digits, "%" PRIu64, n);
	size_t o = 0;
	for (int i = 0; i < len && o + 1 < cap; i++) {
		if (i > 0 && (len - i) % 3 == 0 && o + 2 < cap)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
}
