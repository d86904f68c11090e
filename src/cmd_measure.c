/*
 * cmd_measure — `obslab compare` and `obslab sweep`: start a session on
 * the plan, feed each completed trace to a comparison as the store sees it,
 * show progress on a terminal, and print the comparison's rows (each its
 * median request's figures) as a table or JSON. Progress goes to stderr
 * (see struct progress); stdout holds the figures alone.
 */
#include "obslab/cmd_measure.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "obslab/forward_cmd.h"
#include "obslab/analysis.h"
#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/labdb.h"
#include "obslab/pgstat.h"
#include "obslab/clock.h"
#include "obslab/comparison.h"
#include "obslab/duration.h"
#include "obslab/ring.h"
#include "obslab/session.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

static double rounded(double x, double unit)
{
	return round(x / unit) * unit;
}

/* The median request's parts in milliseconds (to the microsecond), rounded
 * so that they still add up to its total as printed. */
static void parts_ms(const struct comparison_row *r, double *db, double *network, double *app)
{
	int64_t parts[3] = { r->median_db_ns, r->median_network_ns, r->median_app_ns }, us[3];
	analysis_apportion(parts, 3, (int64_t)llround((double)r->median_total_ns / 1e3), us);
	*db = (double)us[0] / 1e3;
	*network = (double)us[1] / 1e3;
	*app = (double)us[2] / 1e3;
}

/* The server's clock (PostgreSQL): each row's median request's execution
 * by it, and what client-measured database time it leaves over; null when
 * not loaded or not told for that request. */
static void server_json(cJSON *o, const struct comparison_row *r, bool loaded, double db)
{
	if (!loaded || !r->server_known) { /* the report's "server_exec" says which */
		cJSON_AddNullToObject(o, "median_server_exec_ms");
		cJSON_AddNullToObject(o, "median_db_minus_server_exec_ms");
	} else {
		struct comparison_remainder rest = comparison_server_remainder(db, r->median_server_ns);
		cJSON_AddNumberToObject(o, "median_server_exec_ms", cmd_ms(r->median_server_ns));
		cJSON_AddNumberToObject(o, "median_db_minus_server_exec_ms", rest.ms);
		if (rest.negative)
			cJSON_AddStringToObject(o, "median_db_minus_server_exec_note", "below 0: " COMPARISON_BELOW_ZERO_NOTE);
	}
}

static cJSON *row_json(const struct comparison_row *r, bool with_users, int server_clock)
{
	cJSON *o = cJSON_CreateObject();
	if (with_users)
		cJSON_AddNumberToObject(o, "users", r->users);
	cJSON_AddStringToObject(o, "strategy", strategy_name(r->strategy));
	cJSON_AddNumberToObject(o, "requests", (double)r->requests);
	cJSON_AddNumberToObject(o, "queries_per_request", r->queries_per_request);
	cJSON_AddStringToObject(o, "queries_scaling", comparison_scaling(r->strategy));
	double db, network, app;
	parts_ms(r, &db, &network, &app);
	cJSON_AddNumberToObject(o, "median_total_ms", cmd_ms(r->median_total_ns));
	cJSON_AddNumberToObject(o, "median_db_ms", db);
	cJSON_AddNumberToObject(o, "median_network_ms", network);
	cJSON_AddNumberToObject(o, "median_app_ms", app);
	if (server_clock != PGSTAT_NONE)
		server_json(o, r, server_clock != PGSTAT_NOT_LOADED, db);
	cJSON_AddNumberToObject(o, "db_share", rounded(r->db_share, 1e-4));
	if (r->speedup_vs_naive > 0)
		cJSON_AddNumberToObject(o, "speedup_vs_naive", rounded(r->speedup_vs_naive, 1e-3));
	else
		cJSON_AddNullToObject(o, "speedup_vs_naive");
	return o;
}

/* Whether the server's clock is there (a PostgreSQL lab's), as the
 * reports say it: PGSTAT_NONE on SQLite, which reports nothing of it. */
static int server_clock_of(const struct session *s)
{
	if (s->db_info.engine != LABDB_POSTGRESQL)
		return PGSTAT_NONE;
	return workload_server_clock(s->workload) == PGSTAT_NOT_LOADED ? PGSTAT_NOT_LOADED : PGSTAT_KNOWN;
}

static void print_json(FILE *out, const struct cli *cli, const struct comparison_row *rows, size_t n,
                       uint64_t dropped, const struct labdb_info *db, int server_clock, uint64_t failed)
{
	bool sweep = cli->command == CLI_CMD_SWEEP;
	cJSON *o = cJSON_CreateObject();
	cmd_add_database(o, db);
	if (sweep) {
		cJSON *list = cJSON_AddArrayToObject(o, "users_list");
		for (size_t i = 0; i < cli->plan.nscales; i++)
			cJSON_AddItemToArray(list, cJSON_CreateNumber(cli->plan.users[i]));
	} else {
		cJSON_AddNumberToObject(o, "users", cli->plan.users[0]);
	}
	cJSON_AddNumberToObject(o, "rtt_us", cli->run.rtt_us);
	cJSON_AddStringToObject(o, "network", cmd_network_kind(db));
	cJSON_AddStringToObject(o, "index", cli->run.index ? "on" : "off");
	cJSON_AddNumberToObject(o, "requests_per_strategy", cli->plan.requests);
	cJSON_AddNumberToObject(o, "failed_requests", (double)failed);
	if (failed)
		cJSON_AddStringToObject(o, "failed_requests_are", CMD_FAILED_REQUESTS_ARE);
	cJSON_AddStringToObject(o, "figures_are",
	                        "each row's median request by total_ms: db_ms + network_ms + app_ms == total_ms");
	cJSON_AddStringToObject(o, "db_share_is", "that request's (db_ms + network_ms) / total_ms");
	if (server_clock != PGSTAT_NONE) {
		cJSON_AddStringToObject(o, "server_exec", server_clock == PGSTAT_NOT_LOADED ? PGSTAT_NOT_LOADED_TEXT
		                                                                            : "pg_stat_statements");
		cJSON_AddStringToObject(o, "server_exec_is",
		                        "median_server_exec_ms: that request's statements' execution time by the server's "
		                        "own clock (" PGSTAT_LABEL "), null where it counted other connections' calls too; "
		                        "median_db_minus_server_exec_ms: " PGSTAT_REMAINDER_TEXT);
		if (server_clock == PGSTAT_NOT_LOADED)
			cJSON_AddStringToObject(o, "server_exec_enable", PGSTAT_ENABLE_HINT);
	}
	cJSON_AddNumberToObject(o, "dropped_spans", (double)dropped);
	cJSON *list = cJSON_AddArrayToObject(o, sweep ? "rows" : "strategies");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(list, row_json(&rows[i], sweep, server_clock));
	cmd_print_json(out, o);
}

/* The table's two PostgreSQL columns: the server's clock and what it
 * leaves of the database time ("<0 *" below zero: *below says so). */
static void print_server_cells(FILE *out, const struct comparison_row *r, int server_clock, double db, bool *below)
{
	if (server_clock == PGSTAT_NONE)
		return;
	if (server_clock == PGSTAT_NOT_LOADED) {
		fprintf(out, " %11s %11s", PGSTAT_NOT_LOADED_TEXT, "-");
	} else if (!r->server_known) {
		fprintf(out, " %11s %11s", "unknown", "-");
	} else {
		struct comparison_remainder rest = comparison_server_remainder(db, r->median_server_ns);
		fprintf(out, " %8.3f ms %11s", cmd_ms(r->median_server_ns), rest.cell);
		*below |= rest.negative;
	}
}

/* "* <0": which rows, by how much as measured, and why. */
static void print_below_zero(FILE *out, const struct comparison_row *rows, size_t n)
{
	fprintf(out, "* \"db - server\" below 0 (");
	const char *sep = "";
	for (size_t i = 0; i < n; i++) {
		double db, network, app;
		parts_ms(&rows[i], &db, &network, &app);
		struct comparison_remainder rest = comparison_server_remainder(db, rows[i].median_server_ns);
		if (!rows[i].server_known || !rest.negative)
			continue;
		fprintf(out, "%s%u users %s %.3f ms", sep, rows[i].users, strategy_name(rows[i].strategy), rest.ms);
		sep = ", ";
	}
	fprintf(out, " as measured): %s.\n", COMPARISON_BELOW_ZERO_NOTE);
}

static void print_server_notes(FILE *out, int server_clock)
{
	if (server_clock == PGSTAT_NONE)
		return;
	fprintf(out, "\"database\": client time - measured round trip, per statement. \"server exec\": server execution\n");
	if (server_clock == PGSTAT_NOT_LOADED) {
		fprintf(out, "(pg_stat_statements): not loaded in this database. To enable it: shared_preload_libraries =\n"
		             "'pg_stat_statements' in postgresql.conf, restart the server, then CREATE EXTENSION\n"
		             "pg_stat_statements in the database.\n");
		return;
	}
	fprintf(out, "(pg_stat_statements): the request's statements' execution time by the server's own clock\n"
	             "(\"unknown\": it counted other connections' calls of the same statements too). \"db - server\":\n"
	             "protocol, parse/bind and the client library, which the server's clock does not count.\n");
}

static void print_table(FILE *out, const struct cli *cli, const struct comparison_row *rows, size_t n,
                        const struct labdb_info *where, int server_clock)
{
	bool pg = where->engine == LABDB_POSTGRESQL;
	char rtt[48];
	if (pg)
		snprintf(rtt, sizeof rtt, "network real (measured round trips)");
	else
		snprintf(rtt, sizeof rtt, "RTT %u us per query (simulated)", cli->run.rtt_us);
	fprintf(out, "GET /users/analytics: %s, index %s; the median of %u request%s each\n", rtt,
	        cli->run.index ? "on" : "off", cli->plan.requests, cli->plan.requests == 1 ? "" : "s");
	cmd_print_database(out, where);
	fputc('\n', out);
	fprintf(out, "%7s  %-9s %8s %11s", "users", "strategy", "queries", "database");
	if (server_clock != PGSTAT_NONE)
		fprintf(out, " %11s %11s", "server exec", "db - server");
	fprintf(out, " %11s %11s %11s %6s %9s  %s\n", "network", "app", "total", "in DB", "vs naive",
	        "queries for N users");
	bool below = false;
	for (size_t i = 0; i < n; i++) {
		const struct comparison_row *r = &rows[i];
		double db, network, app;
		parts_ms(r, &db, &network, &app);
		fprintf(out, "%7u  %-9s %8u %8.3f ms", r->users, strategy_name(r->strategy), r->queries_per_request, db);
		print_server_cells(out, r, server_clock, db, &below);
		fprintf(out, " %8.3f ms %8.3f ms %8.3f ms %5.1f%% %8.1fx  %s\n", network, app, cmd_ms(r->median_total_ns),
		        100.0 * r->db_share, r->speedup_vs_naive, comparison_scaling(r->strategy));
	}
	fprintf(out, "\nEach row is one request, the median by total: its parts add up to its total.\n"
	             "\"in DB\": database and network time over total. \"vs naive\": naive's median total\n"
	             "over this one. %s\n", pg ? "The network is real: each statement's round trip, measured over its connection."
	                                       : "The network is simulated: --rtt-us 0 measures embedded SQLite alone.");
	print_server_notes(out, server_clock);
	if (below)
		print_below_zero(out, rows, n);
}

/* Progress on stderr, stdout left to the figures. A run of fast requests
 * says nothing (but a terminal's \r line); once a request passes a second,
 * one line says what the run is and why it takes long, and each request
 * over a second gets a line as it completes. */
#define SLOW_NS CLOCK_NS_PER_S

struct progress {
	struct session *s;
	struct comparison *cmp;
	const struct cli *cli;
	FILE *err;
	bool tty;
	bool line_shown;   /* the terminal's \r line is on screen */
	bool announced;
	uint32_t completed; /* measured requests seen */
};

static void clear_line(struct progress *p)
{
	if (p->line_shown)
		fprintf(p->err, "\r%72s\r", "");
	p->line_shown = false;
}

static void announce(struct progress *p)
{
	const struct cli *cli = p->cli;
	const struct plan *plan = &cli->plan;
	uint32_t most = 0;
	for (size_t i = 0; i < plan->nscales; i++)
		most = plan->users[i] > most ? plan->users[i] : most;
	uint32_t total = (uint32_t)plan->nscales * 3 * plan->requests, users, changes;
	bool index; /* as the database has it: another program's index serves too */
	workload_db_state(p->s->workload, &users, &index, &changes);
	clear_line(p);
	if (cli->command == CLI_CMD_SWEEP)
		fprintf(p->err, "obslab: sweep over %zu size%s up to %u users", plan->nscales,
		        plan->nscales == 1 ? "" : "s", most);
	else
		fprintf(p->err, "obslab: compare at %u users", most);
	fprintf(p->err, ", index %s, RTT %u us: 3 strategies x %u request%s (%u in all); requests are taking over a second",
	        index ? "on" : "off", cli->run.rtt_us, plan->requests, plan->requests == 1 ? "" : "s", total);
	/* What makes naive slow: one query per user, each waiting the simulated
	 * round trip and, without the index, scanning every order. */
	fprintf(p->err, ": naive runs %llu queries, each waiting the RTT%s (smaller with --users, --rtt-us%s)",
	        (unsigned long long)most + 1, index ? "" : " and scanning orders without the index",
	        index ? "" : ", --index on");
	fprintf(p->err, "; a line follows each request over a second\n");
	p->announced = true;
}

/* The workload's log: each request's reading of the server's clock, kept
 * by trace id for its row. */
static void take_log(void *ctx, const struct log_record *rec)
{
	struct progress *p = ctx;
	enum pgstat_state state;
	uint8_t id[SPAN_TRACE_ID_LEN];
	int64_t ns;
	uint32_t statements;
	if (pgstat_from_log(rec, &state, id, &ns, &statements) && state == PGSTAT_KNOWN)
		comparison_add_server(p->cmp, id, ns);
}

static void observe(void *ctx, const struct trace *t)
{
	struct progress *p = ctx;
	comparison_add(p->cmp, t);
	if (!t || t->nspans == 0)
		return;
	const struct span_record *root = &t->spans[0];
	if (!(root->flags & SPAN_F_MEASURED) || root->strategy >= STRATEGY_COUNT)
		return;
	p->completed++;
	int64_t took = duration_sub(root->end_ns, root->start_ns);
	if (took < SLOW_NS)
		return;
	if (!p->announced)
		announce(p);
	clear_line(p);
	uint32_t done, total;
	bool running;
	workload_plan_progress(p->s->workload, &done, &total, &running);
	fprintf(p->err, "obslab: request %u of %u, %s at %u users: %.1f s%s\n", p->completed, total,
	        strategy_name((enum strategy)root->strategy), root->u.root.users, (double)took / 1e9,
	        (root->flags & (SPAN_F_CANCELLED | SPAN_F_ERROR)) ? " (did not complete)" : "");
	fflush(p->err);
}

static void show_progress(void *ctx)
{
	struct progress *p = ctx;
	int64_t started;
	uint32_t queries;
	bool in_flight = workload_in_flight(p->s->workload, &started, &queries);
	int64_t elapsed = in_flight ? duration_sub(clock_now_ns(), started) : 0;
	if (elapsed >= SLOW_NS && !p->announced) {
		announce(p);
		fflush(p->err);
	}
	if (!p->tty)
		return;
	uint32_t done, total;
	bool running;
	workload_plan_progress(p->s->workload, &done, &total, &running);
	if (elapsed >= SLOW_NS)
		fprintf(p->err, "\rmeasuring: %u/%u requests; this one %.0f s, %u queries so far   ", done, total,
		        (double)elapsed / 1e9, queries);
	else
		fprintf(p->err, "\rmeasuring: %u/%u requests%30s", done, total, "");
	p->line_shown = true;
}

int cmd_measure(const struct cli *given, FILE *out, FILE *err)
{
	struct cli effective = *given; /* the settings it really measures under, once the lab has started */
	const struct cli *cli = &effective;
	struct workload_config cfg = cli->run;
	cfg.plan = &cli->plan;
	struct comparison *cmp = xmalloc(sizeof *cmp); /* large for the stack */
	comparison_init(cmp);
	struct session s;
	struct obslab_error dberr;
	if (session_start(&s, cli->db_path, &cfg, (struct store_limits){ 4, SIZE_MAX, 0 }, &dberr) != DB_OK) {
		textsafe_fprintf(err, "obslab: %s\n", dberr.msg);
		session_stop(&s);
		free(cmp);
		return CLI_EXIT_FAILURE;
	}
	effective.run = cfg;
	if (effective.plan.nscales == 1 && effective.plan.users[0] == 0)
		effective.plan.users[0] = cfg.users; /* the database's size */
	struct progress pr = { .s = &s, .cmp = cmp, .cli = cli, .err = err, .tty = isatty(fileno(err)) };
	struct forward_hook fwd;
	int fwd_status = forward_hook_start(&fwd, cli->forward_url, err);
	if (fwd_status != CLI_EXIT_OK) {
		comparison_clear(cmp);
		session_stop(&s);
		free(cmp);
		return fwd_status;
	}
	forward_hook_observe(&fwd, s.store, s.names, &s.anchor, observe, &pr);
	session_wait(&s, take_log, &pr, show_progress, &pr);
	clear_line(&pr);
	forward_hook_stop(&fwd, err);

	int status = CLI_EXIT_OK;
	if (workload_phase(s.workload) == WORKLOAD_FAILED) {
		textsafe_fprintf(err, "obslab: %s\n", workload_error(s.workload));
		status = CLI_EXIT_FAILURE;
	} else {
		struct comparison_row rows[COMPARISON_MAX_CELLS];
		size_t n = comparison_rows(cmp, rows, COMPARISON_MAX_CELLS);
		uint64_t failed = workload_failed_requests(s.workload);
		if (cli->output == CLI_OUTPUT_REPORT_JSON) {
			print_json(out, cli, rows, n, ring_dropped(s.spans), &s.db_info, server_clock_of(&s), failed);
		} else {
			print_table(out, cli, rows, n, &s.db_info, server_clock_of(&s));
			if (failed) /* measured again after reconnecting: not in the rows */
				fprintf(out, "requests failed %llu (connection lost): not in the rows, each measured again\n",
				        (unsigned long long)failed);
		}
	}
	comparison_clear(cmp);
	session_stop(&s);
	free(cmp);
	return status;
}
