/* pane_attribution — where the shown request's time went: app, database,
 * network (simulated), with figures that add up to its duration (on
 * PostgreSQL, beside the server's own clock for it); and the
 * same over the last minute (a file: over all its traces). A foreign trace
 * (someone else's file) is split as analysis.h says: own, database incl.
 * network, calls; per service when it has several. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "model.h"
#include "pane.h"
#include "draw.h"
#include "obslab/duration.h"
#include "obslab/store.h"

/* A foreign trace's note, from row 6 to last: its services' parts, one a
 * row (or all on row 6 when there is only that one), or, with one service,
 * why the database includes the network. */
static void draw_services(WINDOW *w, const struct model *m, int last, int cells)
{
	size_t n = 0;
	struct service_attribution *sv = analysis_services(m->shown, &n);
	if (n < 2) {
		draw_at(w, 6, 2, "network: not told apart from the database", cells);
		free(sv);
		return;
	}
	char line[512];
	size_t len = 0;
	int y = 6;
	for (size_t i = 0; i < n; i++) {
		char own[16], db[16], calls[16];
		draw_duration(own, sizeof own, sv[i].a.app_ns);
		draw_duration(db, sizeof db, sv[i].a.db_ns);
		draw_duration(calls, sizeof calls, sv[i].a.calls_ns);
		const char *name = sv[i].service ? sv[i].service : "(no service.name)";
		if (last > 6) { /* a row each, while rows last */
			if (y > last)
				break;
			draw_at(w, y++, 2, "", 0);
			draw_fmt(w, cells, "%s: own %s, db+net %s, calls %s", name, own, db, calls);
			continue;
		}
		int k = snprintf(line + len, sizeof line - len, "%s%s: own %s db+net %s calls %s", i ? "; " : "", name, own,
		                 db, calls);
		if (k < 0 || (size_t)k >= sizeof line - len)
			break;
		len += (size_t)k;
	}
	if (last <= 6)
		draw_at(w, 6, 2, line, cells);
	free(sv);
}

/* Whether the server's clock has anything to say of the shown trace: the
 * live lab logged its reading, or said pg_stat_statements is not loaded.
 * A trace opened from a file has neither. */
static bool has_server_clock(const struct model *m)
{
	int64_t ns;
	uint32_t statements;
	return m->pgstat.clock == PGSTAT_NOT_LOADED ||
	       pgstat_table_find(&m->pgstat, m->shown->trace_id, &ns, &statements) != PGSTAT_NONE;
}

/* A PostgreSQL lab trace's execution time by the server's own clock, as
 * the workload logged it after the request (pgstat.h). */
static void draw_server_clock(WINDOW *w, const struct model *m, int y, int cells)
{
	int64_t ns;
	uint32_t statements;
	enum pgstat_state st = pgstat_table_find(&m->pgstat, m->shown->trace_id, &ns, &statements);
	draw_at(w, y, 2, "", 0);
	if (st == PGSTAT_KNOWN) {
		char d[16];
		draw_duration(d, sizeof d, ns);
		draw_fmt(w, cells, "server clock: %s, %" PRIu32 " stmt%s (pg_stat_statements)", d, statements,
		         statements == 1 ? "" : "s");
	} else if (st == PGSTAT_UNKNOWN) {
		draw_fmt(w, cells, "server clock: unknown (other connections' calls counted)");
	} else if (m->pgstat.clock == PGSTAT_NOT_LOADED) {
		draw_fmt(w, cells, "server clock: pg_stat_statements not loaded");
	} else {
		draw_fmt(w, cells, "server clock: not recorded for this trace");
	}
}

static void draw(struct pane *p, const struct model *m, bool focus)
{
	(void)focus;
	WINDOW *w = p->win;
	werase(w);
	const struct glyphs *g = draw_glyphs();
	char title[64] = "Attribution";
	if (m->shown)
		snprintf(title, sizeof title, "Attribution %s trace #%llu", g->dot,
		         (unsigned long long)m->shown->seq);
	draw_frame(w, title, false);
	if (!m->shown) {
		wnoutrefresh(w);
		return;
	}
	const struct attribution *a = &m->attr;
	bool foreign = a->kind == ATTRIBUTION_FOREIGN;
	/* A foreign trace has no network part: its third row is its calls. */
	int64_t parts[3] = { a->app_ns, a->db_ns, foreign ? a->calls_ns : a->network_ns };
	int64_t us[3], tenths[3];
	analysis_apportion(parts, 3, duration_add(a->total_ns, 500) / 1000, us);
	analysis_apportion(parts, 3, a->total_ns > 0 ? 1000 : 0, tenths);
	const char *labels[3] = { "app", "database", "network" };
	static const enum draw_role roles[3] = { ROLE_APP, ROLE_DB, ROLE_NET };

	int64_t total_us = us[0] + us[1] + us[2];
	/* The figures (ms and %) are what the pane is for: sized by the widest,
	 * right-aligned against the border; the label and the bar give way. */
	char ms[4][32], share[4][32];
	int ms_cells = 0;
	for (int i = 0; i < 4; i++) {
		int64_t v = i < 3 ? us[i] : total_us;
		snprintf(ms[i], sizeof ms[i], "%" PRId64 ".%03" PRId64 " ms", v / 1000, v % 1000);
		if (i < 3)
			snprintf(share[i], sizeof share[i], "%" PRId64 ".%" PRId64 "%%", tenths[i] / 10, tenths[i] % 10);
		else
			snprintf(share[i], sizeof share[i], "%d.0%%", a->total_ns > 0 ? 100 : 0);
		ms_cells = draw_width(ms[i]) > ms_cells ? draw_width(ms[i]) : ms_cells;
	}
	int inner = p->w - 2;
	int figures = ms_cells + 1 + 6;             /* "4.600 ms 100.0%" */
	int fig_x = 1 + inner - 1 - figures;        /* one space before the border */
	int label = fig_x - 2 - 1 >= 9 ? 9 : fig_x - 3; /* "database " */
	if (foreign) {
		/* The database label says what it holds, in the words that fit. */
		int room = fig_x - 3;
		labels[0] = "own";
		labels[1] = room >= 23 ? "database incl. network" : room >= 17 ? "db incl. network" : "db+network";
		labels[2] = "calls";
		label = draw_width(labels[1]) + 1;
		if (label > room)
			label = room;
	}
	int bar = fig_x - (2 + label) - 1;         /* a bar only where it has room */
	if (bar < 3)
		bar = 0;
	for (int i = 0; i < 4; i++) {
		int y = 1 + i;
		attr_t attr = i < 3 ? draw_attr(roles[i]) : A_BOLD;
		wattron(w, attr);
		draw_at(w, y, 2, i < 3 ? labels[i] : "total", label > 0 ? label : 0);
		wattroff(w, attr);
		if (i < 3 && bar > 0) {
			int64_t cells8 = a->total_ns > 0 ? (int64_t)((double)parts[i] / (double)a->total_ns * bar * 8) : 0;
			wattron(w, draw_attr(ROLE_DIM));
			for (int x = 0; x < bar; x++)
				mvwaddstr(w, y, 2 + label + x, g->light);
			wattroff(w, draw_attr(ROLE_DIM));
			if (cells8 > 0)
				draw_bar(w, y, 2 + label, 0, cells8, draw_attr(roles[i]));
		}
		if (i == 3)
			wattron(w, A_BOLD);
		wmove(w, y, fig_x);
		draw_right(w, ms[i], ms_cells);
		waddch(w, ' ');
		draw_right(w, share[i], 6);
		if (i == 3)
			wattroff(w, A_BOLD);
	}
	wattron(w, draw_attr(ROLE_DIM));
	if (p->h > 7) {
		const struct recent_attribution *wa = &m->window_attr;
		if (wa->requests > 0 && wa->foreign == wa->requests) {
			int64_t sum[3] = { wa->app_ns, wa->db_ns, wa->calls_ns }, pct[3];
			analysis_apportion(sum, 3, 1000, pct);
			draw_at(w, 5, 2, "", 0);
			/* a file's window is all of it; a live one's (received traces) the last minute */
			draw_fmt(w, inner - 2, "%s %llu trace%s: own %" PRId64 ".%" PRId64 "%% db+net %" PRId64 ".%" PRId64
			         "%% calls %" PRId64 ".%" PRId64 "%%", m->whole_file ? "all" : "last min,",
			         (unsigned long long)wa->requests, wa->requests == 1 ? "" : "s", pct[0] / 10, pct[0] % 10,
			         pct[1] / 10, pct[1] % 10, pct[2] / 10, pct[2] % 10);
		} else if (wa->requests > 0) {
			int64_t sum[3] = { wa->app_ns, wa->db_ns, wa->network_ns }, pct[3];
			analysis_apportion(sum, 3, 1000, pct);
			char over[48]; /* what the window is: a file's is all of it */
			if (m->whole_file)
				snprintf(over, sizeof over, "all %llu trace%s", (unsigned long long)wa->requests,
				         wa->requests == 1 ? "" : "s");
			else
				snprintf(over, sizeof over, "last min, %llu req", (unsigned long long)wa->requests);
			draw_at(w, 5, 2, "", 0);
			draw_fmt(w, inner - 2, "%s: app %" PRId64 ".%" PRId64 "%% db %" PRId64 ".%" PRId64
			         "%% net %" PRId64 ".%" PRId64 "%%", over, pct[0] / 10,
			         pct[0] % 10, pct[1] / 10, pct[1] % 10, pct[2] / 10, pct[2] % 10);
		} else {
			/* Received traces (no lab beside them: no settings that change)
			 * count in the window once closed (their quiet period over). */
			draw_at(w, 5, 2, m->whole_file ? "the file holds no complete trace"
			                 : !source_offers(m->source, CONTROL_SETTINGS) ? "last min: no trace closed"
			                                                               : "last min: no requests since the last change",
			        inner - 2);
		}
		if (foreign)
			draw_services(w, m, p->h - 2, inner - 2);
		else if (a->kind == ATTRIBUTION_PG && p->h <= 8 && has_server_clock(m)) /* the labels say how; the clock is news */
			draw_server_clock(w, m, 6, inner - 2);
		else
			draw_at(w, 6, 2, a->kind == ATTRIBUTION_PG ? "network: measured round trips; database: the rest of each query"
			                 : a->network_ns > 0 ? "network: simulated round trips"
			                 : a->queries == 0 ? "network: none (no queries in this trace)"
			                                   : "network: none (RTT 0)",
			        inner - 2);
		if (a->kind == ATTRIBUTION_PG && p->h > 8 && has_server_clock(m))
			draw_server_clock(w, m, 7, inner - 2);
	}
	wattroff(w, draw_attr(ROLE_DIM));
	wnoutrefresh(w);
}

const struct pane_ops pane_attribution_ops = {
	.name = "attribution",
	.watches = MODEL_TRACE | MODEL_WINDOW,
	.focusable = false,
	.draw = draw,
};
