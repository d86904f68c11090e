/*
 * cmd_snapshot — `obslab export` (check the target first, run the lab,
 * write its traces atomically in the chosen format) and `obslab report`
 * (read a file, then medians, query statistics and findings over all its
 * traces, as text or JSON). The report's queries are every fingerprint in
 * the file, most total time first: the text shows the first
 * REPORT_TEXT_QUERIES and says how many more there are; JSON lists them all.
 */
#include "obslab/cmd_snapshot.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/analysis.h"
#include "obslab/atomicfile.h"
#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/findings.h"
#include "obslab/ring.h"
#include "obslab/session.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/duration.h"
#include "obslab/span.h"
#include "obslab/xalloc.h"

int cmd_export(const struct cli *given, FILE *out, FILE *err)
{
	struct cli effective = *given; /* the settings it really runs under, once the lab has started */
	const struct cli *cli = &effective;
	struct session s;
	struct obslab_error dberr;
	struct store_limits limits = { .max_traces = cli->run.max_requests, .max_spans = SIZE_MAX };
	struct obslab_error why;
	if (!atomicfile_check(cli->output_path, 0, &why)) { /* refused before the lab runs */
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	if (session_start(&s, cli->db_path, &effective.run, limits, &dberr) != DB_OK) {
		textsafe_fprintf(err, "obslab: %s\n", dberr.msg);
		session_stop(&s);
		return CLI_EXIT_FAILURE;
	}
	session_wait(&s, NULL, NULL, NULL, NULL);
	int status = CLI_EXIT_OK;
	if (workload_phase(s.workload) == WORKLOAD_FAILED) {
		textsafe_fprintf(err, "obslab: %s\n", workload_error(s.workload));
		status = CLI_EXIT_FAILURE;
	} else {
		struct snapshot_meta meta = {
			.settings = cli->run,
			.has_settings = true,
			.dropped_spans = ring_dropped(s.spans),
			.anchor = s.anchor,
		};
		struct snapshot_target target = { .path = cli->output_path };
		if (!snapshot_write_to(&target, cli->format, s.store, s.names, &meta, &cli->findings, &why)) {
			textsafe_fprintf(err, "obslab: %s\n", why.msg);
			status = CLI_EXIT_FAILURE;
		} else {
			size_t nt = store_trace_count(s.store), ns = store_spans_held(s.store);
			textsafe_fprintf(out, "%s %s: %s, %zu trace%s, %zu span%s\n", target.replaced ? "replaced" : "wrote",
			                 cli->output_path, snapshot_format_name(cli->format), nt, nt == 1 ? "" : "s", ns,
			                 ns == 1 ? "" : "s");
		}
	}
	session_stop(&s);
	return status;
}

/* ---- report --------------------------------------------------------------------- */

struct finding_total {
	enum finding_kind kind;
	uint32_t fingerprint;
	size_t traces;
	double cost_ns, saving_ns; /* summed for a mean: exact below 2^53 ns, and they cannot overflow */
	char index_hint[96];
};

#define REPORT_TEXT_QUERIES 16

struct report {
	struct snapshot snap;
	struct store *store;
	size_t spans;
	struct attribution_series per_trace;
	struct query_stat *queries; /* every fingerprint, most total time first */
	size_t nqueries;
	struct finding_total found[FINDINGS_MAX * 2];
	size_t nfound;
};

static void tally_findings(struct report *r, const struct findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->item[i];
		size_t k = 0;
		while (k < r->nfound && !(r->found[k].kind == x->kind && r->found[k].fingerprint == x->fingerprint))
			k++;
		if (k == r->nfound) {
			if (r->nfound == sizeof r->found / sizeof r->found[0])
				continue;
			memset(&r->found[k], 0, sizeof r->found[k]);
			r->found[k].kind = x->kind;
			r->found[k].fingerprint = x->fingerprint;
			snprintf(r->found[k].index_hint, sizeof r->found[k].index_hint, "%s", x->index_hint);
			r->nfound++;
		}
		r->found[k].traces++;
		r->found[k].cost_ns += (double)x->cost_ns;
		r->found[k].saving_ns += (double)x->saving_ns;
	}
}

/* One database call, as the report groups them. */
struct report_call {
	uint32_t fingerprint;
	uint32_t rows;
	int64_t duration_ns;
};

static int by_fingerprint_then_duration(const void *a, const void *b)
{
	const struct report_call *x = a, *y = b;
	if (x->fingerprint != y->fingerprint)
		return x->fingerprint < y->fingerprint ? -1 : 1;
	return (x->duration_ns > y->duration_ns) - (x->duration_ns < y->duration_ns);
}

/* Nearest rank over one fingerprint's sorted calls, as analysis.c takes it. */
static int64_t call_percentile(const struct report_call *sorted, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;
	return sorted[rank ? rank - 1 : 0].duration_ns;
}

/* Statistics of every fingerprint over every trace, exact (no fingerprint
 * is left out however many there are, and percentiles are nearest rank
 * over all of its calls), most total time first. Memory: 16 bytes a call. */
static void all_queries(struct report *r)
{
	size_t n = store_trace_count(r->store), ncalls = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace *t = store_trace(r->store, i);
		for (size_t k = 0; k < t->nspans; k++)
			ncalls += (t->spans[k].flags & SPAN_F_DB) != 0;
	}
	struct report_call *calls = xmalloc_array(ncalls ? ncalls : 1, sizeof *calls);
	size_t c = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace *t = store_trace(r->store, i);
		for (size_t k = 0; k < t->nspans; k++)
			if (t->spans[k].flags & SPAN_F_DB)
				calls[c++] = (struct report_call){ t->spans[k].name, t->spans[k].u.db.rows,
				                                   span_duration_ns(&t->spans[k]) };
	}
	qsort(calls, ncalls, sizeof *calls, by_fingerprint_then_duration);
	size_t groups = 0;
	for (size_t i = 0; i < ncalls; i++)
		groups += i == 0 || calls[i].fingerprint != calls[i - 1].fingerprint;
	r->queries = xmalloc_array(groups ? groups : 1, sizeof *r->queries);
	r->nqueries = 0;
	for (size_t i = 0; i < ncalls;) {
		size_t j = i;
		while (j < ncalls && calls[j].fingerprint == calls[i].fingerprint)
			j++;
		struct query_stat q = {
			.fingerprint = calls[i].fingerprint,
			.calls = j - i > UINT32_MAX ? UINT32_MAX : (uint32_t)(j - i),
			.min_ns = calls[i].duration_ns,
			.max_ns = calls[j - 1].duration_ns,
			.p50_ns = call_percentile(&calls[i], j - i, 50),
			.p95_ns = call_percentile(&calls[i], j - i, 95),
			.p99_ns = call_percentile(&calls[i], j - i, 99),
		};
		for (size_t k = i; k < j; k++) {
			q.total_ns = duration_add(q.total_ns, calls[k].duration_ns);
			q.rows += calls[k].rows;
		}
		q.mean_ns = q.total_ns / (int64_t)(j - i);
		r->queries[r->nqueries++] = q;
		i = j;
	}
	analysis_sort_queries(r->queries, r->nqueries);
	free(calls);
}

static void analyze(struct report *r, const struct findings_config *cfg)
{
	size_t n = store_trace_count(r->store);
	struct findings f;
	findings_init(&f);
	for (size_t i = 0; i < n; i++) {
		const struct trace *t = store_trace(r->store, i);
		attribution_series_add(&r->per_trace, analysis_attribution(t));
		r->spans += t->nspans;
		findings_detect(&f, t, cfg, r->snap.names);
		tally_findings(r, &f);
	}
	findings_free(&f);
	all_queries(r);
}

/* A sum over n traces as a mean, in range: INT64_MAX as a double is 2^63,
 * which no int64_t holds. */
static int64_t mean_ns(double sum, size_t n)
{
	double mean = n ? sum / (double)n : 0;
	return mean <= 0 ? 0 : mean >= (double)INT64_MAX ? INT64_MAX : (int64_t)mean;
}

static void print_text(FILE *out, const struct cli *cli, struct report *r)
{
	size_t n = store_trace_count(r->store);
	const struct snapshot_meta *m = &r->snap.meta;
	textsafe_fprintf(out, "%s: %s, %zu trace%s, %zu span%s\n", cli->file,
	                 r->snap.format == SNAPSHOT_NATIVE ? "obslab snapshot" : "OTLP/JSON", n, n == 1 ? "" : "s", r->spans,
	                 r->spans == 1 ? "" : "s");
	if (m->has_settings)
		fprintf(out, "settings: %s, %u users, RTT %u us (simulated), index %s; %" PRIu64 " spans dropped\n",
		        strategy_name(m->settings.strategy), m->settings.users, m->settings.rtt_us,
		        m->settings.index ? "on" : "off", m->dropped_spans);
	struct attribution med = attribution_series_medians(&r->per_trace);
	fprintf(out, "\nattribution, medians per request:\n");
	fprintf(out, "  total %10.3f ms\n  app %12.3f ms\n  database %7.3f ms\n  network %8.3f ms (simulated)\n",
	        cmd_ms(med.total_ns), cmd_ms(med.app_ns), cmd_ms(med.db_ns), cmd_ms(med.network_ns));
	fprintf(out, "\nqueries, all traces: most total time first\n  %8s %11s %11s %11s %11s %8s  %s\n", "calls", "total",
	        "mean", "p50", "p95", "rows", "query");
	for (size_t i = 0; i < r->nqueries && i < REPORT_TEXT_QUERIES; i++) {
		const struct query_stat *q = &r->queries[i];
		textsafe_fprintf(out, "  %8u %8.3f ms %8.3f ms %8.3f ms %8.3f ms %8" PRIu64 "  %s\n", q->calls,
		                 cmd_ms(q->total_ns), cmd_ms(q->mean_ns), cmd_ms(q->p50_ns), cmd_ms(q->p95_ns), q->rows,
		                 strtab_get(r->snap.names, q->fingerprint));
	}
	if (r->nqueries > REPORT_TEXT_QUERIES) {
		size_t more = r->nqueries - REPORT_TEXT_QUERIES;
		fprintf(out, "  ... and %zu more fingerprint%s (report --json lists them all)\n", more, more == 1 ? "" : "s");
	}
	fprintf(out, "\nfindings:%s\n", r->nfound ? "" : " none");
	for (size_t i = 0; i < r->nfound; i++) {
		const struct finding_total *f = &r->found[i];
		const char *query = strtab_get(r->snap.names, f->fingerprint);
		int64_t cost = mean_ns(f->cost_ns, f->traces), saving = mean_ns(f->saving_ns, f->traces);
		if (f->kind == FINDING_N_PLUS_ONE)
			textsafe_fprintf(out, "  N+1 in %zu of %zu traces: \"%s\"; %.3f ms a request, "
			                 "one query saves ~%.3f ms\n", f->traces, n, query, cmd_ms(cost), cmd_ms(saving));
		else
			textsafe_fprintf(out, "  full scan in a loop in %zu of %zu traces: \"%s\"; "
			                 "an index on %s saves up to %.3f ms\n", f->traces, n, query, f->index_hint, cmd_ms(saving));
	}
}

static void print_json(FILE *out, const struct cli *cli, struct report *r)
{
	size_t n = store_trace_count(r->store);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", cli->file);
	cJSON_AddStringToObject(o, "format", snapshot_format_name(r->snap.format));
	cJSON_AddNumberToObject(o, "traces", (double)n);
	cJSON_AddNumberToObject(o, "spans", (double)r->spans);
	struct attribution med = attribution_series_medians(&r->per_trace);
	cJSON *a = cJSON_AddObjectToObject(o, "median");
	cJSON_AddNumberToObject(a, "total_ms", cmd_ms(med.total_ns));
	cJSON_AddNumberToObject(a, "app_ms", cmd_ms(med.app_ns));
	cJSON_AddNumberToObject(a, "db_ms", cmd_ms(med.db_ns));
	cJSON_AddNumberToObject(a, "network_ms", cmd_ms(med.network_ns));
	cJSON_AddNumberToObject(o, "fingerprints", (double)r->nqueries);
	cJSON *qs = cJSON_AddArrayToObject(o, "queries"); /* every fingerprint, most total time first */
	for (size_t i = 0; i < r->nqueries; i++) {
		cJSON *q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "query", strtab_get(r->snap.names, r->queries[i].fingerprint));
		cJSON_AddNumberToObject(q, "calls", r->queries[i].calls);
		cJSON_AddNumberToObject(q, "total_ms", cmd_ms(r->queries[i].total_ns));
		cJSON_AddNumberToObject(q, "p95_ms", cmd_ms(r->queries[i].p95_ns));
		cJSON_AddNumberToObject(q, "rows", (double)r->queries[i].rows);
		cJSON_AddItemToArray(qs, q);
	}
	cJSON *fs = cJSON_AddArrayToObject(o, "findings");
	for (size_t i = 0; i < r->nfound; i++) {
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "kind", finding_key(r->found[i].kind));
		cJSON_AddStringToObject(f, "query", strtab_get(r->snap.names, r->found[i].fingerprint));
		cJSON_AddNumberToObject(f, "traces", (double)r->found[i].traces);
		cJSON_AddItemToArray(fs, f);
	}
	cmd_print_json(out, o);
}

int cmd_report(const struct cli *cli, FILE *out, FILE *err)
{
	struct report *r = xcalloc(1, sizeof *r); /* large for the stack */
	struct obslab_error why;
	if (!snapshot_read(cli->file, &r->snap, &why)) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		free(r);
		return CLI_EXIT_FAILURE;
	}
	r->store = snapshot_take_store(&r->snap); /* the records, not a copy */
	analyze(r, &cli->findings);
	if (cli->output == CLI_OUTPUT_BODY)
		print_json(out, cli, r);
	else
		print_text(out, cli, r);
	attribution_series_free(&r->per_trace);
	free(r->queries);
	store_destroy(r->store);
	snapshot_free(&r->snap);
	free(r);
	return CLI_EXIT_OK;
}
