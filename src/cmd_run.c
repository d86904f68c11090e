/*
 * cmd_run — `obslab run`: run the lab headless for --requests requests,
 * tally every trace's attribution in histograms (memory stays flat), and
 * print the last response body, a JSON report or a summary with the last
 * request's findings; the log goes to --log-file.
 */
#include "obslab/cmd_run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/analysis.h"
#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/findings.h"
#include "obslab/forward_cmd.h"
#include "obslab/histogram.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/pgstat.h"
#include "obslab/ring.h"
#include "obslab/session.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/workload.h"
#include "obslab/xalloc.h"


/* What the run measured, medians over its requests. */
struct figures {
	size_t requests;
	uint64_t failed; /* requests lost to a lost connection (workload_failed_requests) */
	uint32_t queries;
	int64_t total_ns, app_ns, db_ns, network_ns;
	bool attributed; /* false when tracing was off: only totals are known */
	/* PostgreSQL's own clock (pgstat.h): PGSTAT_NONE on SQLite; KNOWN:
	 * the median over the requests it was told for (server_requests). */
	enum pgstat_state server;
	int64_t server_ns;
	size_t server_requests;
	uint64_t spans, dropped_spans;
	struct findings findings; /* of the last request's trace */
	const struct trace *last;
};

/* Every trace's attribution, in fixed memory: the store keeps only the
 * newest trace (for its findings), so memory stays flat however many
 * requests run. Medians come from the histograms (exact below 128 ns and
 * when every request agrees, else within HISTOGRAM_RELATIVE_ERROR). */
struct tally {
	uint64_t traces;
	struct histogram total, app, db, network;
};

/* Traces the store keeps during a run: the newest, for its findings. */
#define RUN_KEPT_TRACES 1

struct run {
	const struct cli *cli;
	struct session s;
	struct tally tally;
	struct log_file *log_file;
	FILE *err; /* where a failed log write is said */
};

static void write_log(void *ctx, const struct log_record *rec)
{
	struct run *r = ctx;
	log_file_write(r->log_file, rec, &r->s.anchor, r->s.names, r->err);
}

/* The store's observer: each trace as it completes, before it is evicted. */
static void tally_trace(void *ctx, const struct trace *t)
{
	struct tally *y = ctx;
	struct attribution a = analysis_attribution(t);
	y->traces++;
	histogram_record(&y->total, a.total_ns);
	histogram_record(&y->app, a.app_ns);
	histogram_record(&y->db, a.db_ns);
	histogram_record(&y->network, a.network_ns);
}

static struct figures measure(const struct run *r)
{
	struct figures f = {
		.spans = store_spans_received(r->s.store),
		.dropped_spans = ring_dropped(r->s.spans),
	};
	size_t nsamples;
	const struct request_sample *samples = workload_samples(r->s.workload, &nsamples);
	f.requests = nsamples;
	f.failed = workload_failed_requests(r->s.workload);
	f.attributed = r->cli->run.trace && r->tally.traces > 0;
	findings_init(&f.findings);
	f.last = store_latest(r->s.store);
	findings_detect(&f.findings, f.last, &r->cli->findings, r->s.names);

	/* Queries per request, exact: the workload counts every request's. */
	struct attribution_series timed = { 0 };
	for (size_t i = 0; i < nsamples; i++)
		attribution_series_add(&timed, (struct attribution){ .total_ns = samples[i].duration_ns,
		                                                     .queries = samples[i].queries });
	struct attribution med = attribution_series_medians(&timed);
	attribution_series_free(&timed);
	if (r->s.db_info.engine == LABDB_POSTGRESQL) {
		struct attribution_series server = { 0 };
		bool loaded = false;
		for (size_t i = 0; i < nsamples; i++) {
			loaded |= samples[i].server_loaded;
			if (samples[i].server_known)
				attribution_series_add(&server, (struct attribution){ .total_ns = samples[i].server_exec_ns });
		}
		f.server = server.n > 0 ? PGSTAT_KNOWN : loaded ? PGSTAT_UNKNOWN : PGSTAT_NOT_LOADED;
		f.server_ns = attribution_series_medians(&server).total_ns;
		f.server_requests = server.n;
		attribution_series_free(&server);
	}
	f.queries = med.queries;
	if (f.attributed) {
		f.total_ns = histogram_percentile(&r->tally.total, 50);
		f.app_ns = histogram_percentile(&r->tally.app, 50);
		f.db_ns = histogram_percentile(&r->tally.db, 50);
		f.network_ns = histogram_percentile(&r->tally.network, 50);
	} else {
		f.total_ns = med.total_ns;
	}
	return f;
}

static void print_report_json(FILE *out, const struct cli *cli, const struct figures *f,
                              const struct strtab *names, const struct labdb_info *db)
{
	cJSON *o = cJSON_CreateObject();
	cmd_add_database(o, db);
	cJSON_AddStringToObject(o, "strategy", strategy_name(cli->run.strategy));
	cJSON_AddNumberToObject(o, "users", cli->run.users);
	cJSON_AddNumberToObject(o, "requests", (double)f->requests);
	cJSON_AddNumberToObject(o, "failed_requests", (double)f->failed);
	if (f->failed)
		cJSON_AddStringToObject(o, "failed_requests_are", CMD_FAILED_REQUESTS_ARE);
	cJSON_AddNumberToObject(o, "rtt_us", cli->run.rtt_us);
	cJSON_AddStringToObject(o, "network", cmd_network_kind(db));
	cJSON_AddStringToObject(o, "index", cli->run.index ? "on" : "off");
	cJSON_AddStringToObject(o, "trace", cli->run.trace ? "on" : "off");
	cJSON_AddNumberToObject(o, "queries_per_request", f->queries);
	cJSON_AddNumberToObject(o, "median_total_ms", cmd_ms(f->total_ns));
	if (f->attributed) {
		cJSON_AddNumberToObject(o, "median_db_ms", cmd_ms(f->db_ns));
		cJSON_AddNumberToObject(o, "median_network_ms", cmd_ms(f->network_ns));
		cJSON_AddNumberToObject(o, "median_app_ms", cmd_ms(f->app_ns));
	} else {
		cJSON_AddNullToObject(o, "median_db_ms");
		cJSON_AddNullToObject(o, "median_network_ms");
		cJSON_AddNullToObject(o, "median_app_ms");
	}
	if (f->server != PGSTAT_NONE) {
		cJSON_AddStringToObject(o, "server_exec", f->server == PGSTAT_NOT_LOADED ? PGSTAT_NOT_LOADED_TEXT
		                                          : f->server == PGSTAT_UNKNOWN  ? "unknown"
		                                                                         : "pg_stat_statements");
		if (f->server == PGSTAT_KNOWN)
			cJSON_AddNumberToObject(o, "median_server_exec_ms", cmd_ms(f->server_ns));
		else
			cJSON_AddNullToObject(o, "median_server_exec_ms");
		cJSON_AddNumberToObject(o, "server_exec_requests", (double)f->server_requests);
		cJSON_AddStringToObject(o, "server_exec_is",
		                        "the median over server_exec_requests requests of their statements' execution time "
		                        "by the server's own clock (" PGSTAT_LABEL "); a request whose calls counted other "
		                        "connections' too is left out. median_db_ms minus it: " PGSTAT_REMAINDER_TEXT);
		if (f->server == PGSTAT_NOT_LOADED)
			cJSON_AddStringToObject(o, "server_exec_enable", PGSTAT_ENABLE_HINT);
	}
	cJSON_AddNumberToObject(o, "spans", (double)f->spans);
	cJSON_AddNumberToObject(o, "dropped_spans", (double)f->dropped_spans);
	cJSON *list = cJSON_AddArrayToObject(o, "findings"); /* of the last request */
	for (size_t i = 0; i < f->findings.n; i++) {
		const struct finding *x = &f->findings.item[i];
		cJSON *item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "kind", finding_key(x->kind));
		cJSON_AddStringToObject(item, "query", strtab_get(names, x->fingerprint));
		cJSON_AddNumberToObject(item, "count", x->count);
		cJSON_AddNumberToObject(item, "cost_ms", cmd_ms(x->cost_ns));
		cJSON_AddNumberToObject(item, "saving_ms", cmd_ms(x->saving_ns));
		if (x->kind == FINDING_FULL_SCAN_LOOP) {
			cJSON_AddStringToObject(item, "index", x->index_hint);
			cJSON_AddNumberToObject(item, "scanned_rows", (double)x->scanned_rows);
		}
		cJSON_AddItemToArray(list, item);
	}
	cmd_print_json(out, o);
}

static void print_share(FILE *out, const char *label, int64_t part, int64_t total)
{
	fprintf(out, "  %-22s %10.3f ms %6.1f%%\n", label, (double)part / 1e6,
	        total > 0 ? 100.0 * (double)part / (double)total : 0.0);
}

/* PostgreSQL's own clock beside the client's figures. */
static void print_server(FILE *out, const struct figures *f)
{
	if (f->server == PGSTAT_NOT_LOADED) {
		fprintf(out, "  %s: %s\n  (%s)\n", PGSTAT_LABEL, PGSTAT_NOT_LOADED_TEXT, PGSTAT_ENABLE_HINT);
		return;
	}
	if (f->server == PGSTAT_UNKNOWN) {
		fprintf(out, "  %s: unknown (it counted other connections' calls of the same statements)\n", PGSTAT_LABEL);
		return;
	}
	fprintf(out, "  %s: %.3f ms, the median over %zu request%s\n", PGSTAT_LABEL, cmd_ms(f->server_ns),
	        f->server_requests, f->server_requests == 1 ? "" : "s");
	if (f->attributed)
		fprintf(out, "  database minus server execution (the two medians): %.3f ms, protocol, parse/bind, client library\n",
		        cmd_ms(f->db_ns) - cmd_ms(f->server_ns));
}

static void print_summary(FILE *out, const struct cli *cli, const struct figures *f, const struct strtab *names,
                          const struct labdb_info *db)
{
	bool pg = db->engine == LABDB_POSTGRESQL;
	char rtt[48];
	if (pg)
		snprintf(rtt, sizeof rtt, "network real (measured round trips)");
	else
		snprintf(rtt, sizeof rtt, "RTT %u us (simulated)", cli->run.rtt_us);
	fprintf(out, "GET " "/users/analytics, %s strategy: %u user%s, %zu request%s, %s, index %s\n",
	        strategy_name(cli->run.strategy), cli->run.users, cli->run.users == 1 ? "" : "s", f->requests,
	        f->requests == 1 ? "" : "s", rtt, cli->run.index ? "on" : "off");
	cmd_print_database(out, db);
	if (f->failed)
		fprintf(out, "  requests failed %llu (connection lost)\n", (unsigned long long)f->failed);
	fprintf(out, "  %-22s %10u\n", "queries per request", f->queries);
	fprintf(out, "  %-22s %10.3f ms\n", "median request", (double)f->total_ns / 1e6);
	if (f->attributed) {
		print_share(out, "app", f->app_ns, f->total_ns);
		print_share(out, "database", f->db_ns, f->total_ns);
		print_share(out, pg ? "network (measured)" : "network (simulated)", f->network_ns, f->total_ns);
		fprintf(out, "  (each a median over the requests, so the three need not sum to the median request)\n");
	}
	if (f->server != PGSTAT_NONE)
		print_server(out, f);
	if (f->attributed) {
		fprintf(out, "  spans recorded %llu, dropped %llu\n", (unsigned long long)f->spans,
		        (unsigned long long)f->dropped_spans);
	} else {
		fprintf(out, "  tracing off: no spans, so no attribution\n");
	}
	for (size_t i = 0; i < f->findings.n; i++) {
		const struct finding *x = &f->findings.item[i];
		if (x->kind == FINDING_N_PLUS_ONE)
			textsafe_fprintf(out, "  finding: N+1, %u sequential \"%s\" cost %.3f ms; one query saves ~%.3f ms\n",
			                 x->count, strtab_get(names, x->fingerprint), cmd_ms(x->cost_ns),
			                 cmd_ms(x->saving_ns));
		else
			textsafe_fprintf(out, "  finding: full scan in a loop, %u x \"%s\" scanned %llu rows; "
			                 "an index on %s saves up to %.3f ms\n", x->count,
			                 strtab_get(names, x->fingerprint), (unsigned long long)x->scanned_rows,
			                 x->index_hint, cmd_ms(x->saving_ns));
	}
}

int cmd_run(const struct cli *given, FILE *out, FILE *err)
{
	struct cli effective = *given; /* the settings it really runs under, once the lab has started */
	const struct cli *cli = &effective;
	struct run r = { .cli = cli, .err = err };
	if (cli->log_file) {
		struct obslab_error why;
		if (labdb_arg_names_file(cli->db_path, cli->log_file)) { /* before the database is opened */
			textsafe_fprintf(err, "obslab: --log-file %s is the lab's database %s: the log never goes into it\n",
			                 cli->log_file, cli->db_path);
			return CLI_EXIT_USAGE;
		}
		r.log_file = log_file_open(cli->log_file, &why);
		if (!r.log_file) {
			textsafe_fprintf(err, "obslab: %s\n", why.msg);
			return CLI_EXIT_FAILURE;
		}
	}
	struct obslab_error dberr;
	struct store_limits limits = { .max_traces = RUN_KEPT_TRACES, .max_spans = STORE_DEFAULT_MAX_SPANS };
	histogram_init(&r.tally.total);
	histogram_init(&r.tally.app);
	histogram_init(&r.tally.db);
	histogram_init(&r.tally.network);
	if (session_start(&r.s, cli->db_path, &effective.run, limits, &dberr) != DB_OK) {
		textsafe_fprintf(err, "obslab: %s\n", dberr.msg);
		session_stop(&r.s);
		log_file_close(r.log_file, NULL);
		return CLI_EXIT_FAILURE;
	}
	struct forward_hook fwd;
	int fwd_status = forward_hook_start(&fwd, cli->forward_url, err);
	if (fwd_status != CLI_EXIT_OK) {
		session_stop(&r.s);
		log_file_close(r.log_file, NULL);
		return fwd_status;
	}
	forward_hook_observe(&fwd, r.s.store, r.s.names, &r.s.anchor, tally_trace, &r.tally);
	session_wait(&r.s, write_log, &r, NULL, NULL);
	forward_hook_stop(&fwd, err); /* everything recorded is in the store by now */
	uint32_t db_users, db_changes;
	workload_db_state(r.s.workload, &db_users, &effective.run.index, &db_changes); /* another's index serves too */

	int status = CLI_EXIT_OK;
	if (workload_phase(r.s.workload) == WORKLOAD_FAILED) {
		textsafe_fprintf(err, "obslab: %s\n", workload_error(r.s.workload));
		status = CLI_EXIT_FAILURE;
	} else if (cli->output == CLI_OUTPUT_BODY) {
		const struct request_result *last = workload_last_result(r.s.workload);
		/* JSON from the database's rows: kept JSON, made safe */
		textsafe_json_fputs(out, last->body ? last->body : "");
		fputc('\n', out);
	} else {
		struct figures f = measure(&r);
		if (cli->output == CLI_OUTPUT_REPORT_JSON)
			print_report_json(out, cli, &f, r.s.names, &r.s.db_info);
		else
			print_summary(out, cli, &f, r.s.names, &r.s.db_info);
		findings_free(&f.findings);
	}
	if (!log_file_close(r.log_file, err)) /* a failed write was said when it failed */
		status = CLI_EXIT_FAILURE;
	session_stop(&r.s);
	return status;
}
