/*
 * cmd_measure — `obslab compare` and `obslab sweep`: start a session on
 * the plan, feed each completed trace to a comparison as the store sees it,
 * show progress on a terminal, and print the comparison's rows as a table
 * or JSON.
 */
#include "obslab/cmd_measure.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/comparison.h"
#include "obslab/ring.h"
#include "obslab/session.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

static void observe(void *ctx, const struct trace *t)
{
	comparison_add(ctx, t);
}

static double rounded(double x, double unit)
{
	return round(x / unit) * unit;
}

static cJSON *row_json(const struct comparison_row *r, bool with_users)
{
	cJSON *o = cJSON_CreateObject();
	if (with_users)
		cJSON_AddNumberToObject(o, "users", r->users);
	cJSON_AddStringToObject(o, "strategy", strategy_name(r->strategy));
	cJSON_AddNumberToObject(o, "requests", (double)r->requests);
	cJSON_AddNumberToObject(o, "queries_per_request", r->queries_per_request);
	cJSON_AddStringToObject(o, "queries_scaling", comparison_scaling(r->strategy));
	cJSON_AddNumberToObject(o, "median_total_ms", cmd_ms(r->median_total_ns));
	cJSON_AddNumberToObject(o, "median_db_ms", cmd_ms(r->median_db_ns));
	cJSON_AddNumberToObject(o, "median_network_ms", cmd_ms(r->median_network_ns));
	cJSON_AddNumberToObject(o, "median_app_ms", cmd_ms(r->median_app_ns));
	cJSON_AddNumberToObject(o, "db_share", rounded(r->db_share, 1e-4));
	if (r->speedup_vs_naive > 0)
		cJSON_AddNumberToObject(o, "speedup_vs_naive", rounded(r->speedup_vs_naive, 1e-3));
	else
		cJSON_AddNullToObject(o, "speedup_vs_naive");
	return o;
}

static void print_json(FILE *out, const struct cli *cli, const struct comparison_row *rows, size_t n,
                       uint64_t dropped)
{
	bool sweep = cli->command == CLI_CMD_SWEEP;
	cJSON *o = cJSON_CreateObject();
	if (sweep) {
		cJSON *list = cJSON_AddArrayToObject(o, "users_list");
		for (size_t i = 0; i < cli->plan.nscales; i++)
			cJSON_AddItemToArray(list, cJSON_CreateNumber(cli->plan.users[i]));
	} else {
		cJSON_AddNumberToObject(o, "users", cli->plan.users[0]);
	}
	cJSON_AddNumberToObject(o, "rtt_us", cli->run.rtt_us);
	cJSON_AddStringToObject(o, "network", "simulated");
	cJSON_AddStringToObject(o, "index", cli->run.index ? "on" : "off");
	cJSON_AddNumberToObject(o, "requests_per_strategy", cli->plan.requests);
	cJSON_AddStringToObject(o, "db_share_is", "the median over requests of (db_ms + network_ms) / total_ms");
	cJSON_AddNumberToObject(o, "dropped_spans", (double)dropped);
	cJSON *list = cJSON_AddArrayToObject(o, sweep ? "rows" : "strategies");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(list, row_json(&rows[i], sweep));
	cmd_print_json(out, o);
}

static void print_table(FILE *out, const struct cli *cli, const struct comparison_row *rows, size_t n)
{
	fprintf(out, "GET /users/analytics: RTT %u us per query (simulated), index %s; medians of %u request%s each\n\n",
	        cli->run.rtt_us, cli->run.index ? "on" : "off", cli->plan.requests, cli->plan.requests == 1 ? "" : "s");
	fprintf(out, "%7s  %-9s %8s %11s %11s %11s %11s %6s %9s  %s\n", "users", "strategy", "queries", "database",
	        "network", "app", "total", "in DB", "vs naive", "queries for N users");
	for (size_t i = 0; i < n; i++) {
		const struct comparison_row *r = &rows[i];
		fprintf(out, "%7u  %-9s %8u %8.3f ms %8.3f ms %8.3f ms %8.3f ms %5.1f%% %8.1fx  %s\n", r->users,
		        strategy_name(r->strategy), r->queries_per_request, cmd_ms(r->median_db_ns),
		        cmd_ms(r->median_network_ns), cmd_ms(r->median_app_ns), cmd_ms(r->median_total_ns), 100.0 * r->db_share,
		        r->speedup_vs_naive, comparison_scaling(r->strategy));
	}
	fprintf(out, "\n\"in DB\": database and network time over total. \"vs naive\": naive's median total\n"
	             "over this one. The network is simulated: --rtt-us 0 measures embedded SQLite alone.\n");
}

struct progress {
	struct session *s;
	FILE *err;
};

static void show_progress(void *ctx)
{
	struct progress *p = ctx;
	uint32_t done, total;
	bool running;
	workload_plan_progress(p->s->workload, &done, &total, &running);
	fprintf(p->err, "\rmeasuring: %u/%u requests", done, total);
}

int cmd_measure(const struct cli *cli, FILE *out, FILE *err)
{
	struct workload_config cfg = cli->run;
	cfg.plan = &cli->plan;
	struct comparison *cmp = xmalloc(sizeof *cmp); /* large for the stack */
	comparison_init(cmp);
	struct session s;
	struct obslab_error dberr;
	if (session_start(&s, cli->db_path, &cfg, (struct store_limits){ 4, SIZE_MAX }, &dberr) != DB_OK) {
		textsafe_fprintf(err, "obslab: %s\n", dberr.msg);
		session_stop(&s);
		free(cmp);
		return CLI_EXIT_FAILURE;
	}
	store_set_observer(s.store, observe, cmp);

	struct progress pr = { .s = &s, .err = err };
	bool tty = isatty(fileno(err));
	session_wait(&s, NULL, NULL, tty ? show_progress : NULL, &pr);
	if (tty)
		fprintf(err, "\r%40s\r", "");

	int status = CLI_EXIT_OK;
	if (workload_phase(s.workload) == WORKLOAD_FAILED) {
		textsafe_fprintf(err, "obslab: %s\n", workload_error(s.workload));
		status = CLI_EXIT_FAILURE;
	} else {
		struct comparison_row rows[COMPARISON_MAX_CELLS];
		size_t n = comparison_rows(cmp, rows, COMPARISON_MAX_CELLS);
		if (cli->output == CLI_OUTPUT_REPORT_JSON)
			print_json(out, cli, rows, n, ring_dropped(s.spans));
		else
			print_table(out, cli, rows, n);
	}
	comparison_clear(cmp);
	session_stop(&s);
	free(cmp);
	return status;
}
