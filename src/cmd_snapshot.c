/*
 * cmd_snapshot — `obslab export` (check the target first, run the lab,
 * write its traces atomically in the chosen format) and `obslab report`
 * (read a file, then its traces heaviest first, medians, query statistics
 * and findings over all its traces, as text or JSON). The trace list is the
 * traces by root duration, longest first (service, root span's own name,
 * start, duration, spans, errors, findings): the text shows the first
 * REPORT_TEXT_TRACES, JSON ("trace_list") the first REPORT_JSON_TRACES, and
 * both say how many more there are. A foreign trace's attribution is
 * labelled as analysis.h says (own, database incl. network, calls), per
 * service when the file has several. The report's queries are every
 * fingerprint in the file, most total time first: the text shows the first
 * REPORT_TEXT_QUERIES and says how many more there are; JSON lists them all.
 */
#include "obslab/cmd_snapshot.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obslab/analysis.h"
#include "obslab/atomicfile.h"
#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/findings.h"
#include "obslab/labdb.h"
#include "obslab/ring.h"
#include "obslab/session.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/duration.h"
#include "obslab/otel.h"
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
	if (labdb_arg_names_file(cli->db_path, cli->output_path)) { /* before the database is opened */
		textsafe_fprintf(err, "obslab: %s is the lab's database %s: export never writes over it\n",
		                 cli->output_path, cli->db_path);
		return CLI_EXIT_USAGE;
	}
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
			.has_database = true,
			.database = s.db_info,
		};
		struct snapshot_target target = { .path = cli->output_path };
		if (!snapshot_write_to(&target, cli->format, s.store, s.names, &meta, &cli->findings, &why)) {
			textsafe_fprintf(err, "obslab: %s\n", why.msg);
			status = CLI_EXIT_FAILURE;
		} else {
			cmd_print_wrote(out, "", target.replaced, cli->output_path, cli->format, s.store);
		}
	}
	session_stop(&s);
	return status;
}

/* ---- report --------------------------------------------------------------------- */

struct finding_total {
	enum finding_kind kind;
	uint32_t fingerprint;
	bool foreign;
	size_t traces;             /* traces with one or more such loops */
	size_t loops;              /* the loops (findings) over all of them */
	size_t last_trace;         /* the trace counted last, plus 1 */
	double cost_ns, saving_ns; /* summed for a mean: exact below 2^53 ns, and they cannot overflow */
	char index_hint[96];
};

#define REPORT_TEXT_QUERIES 16
#define REPORT_TEXT_TRACES 10
#define REPORT_JSON_TRACES 1000

/* One trace as the list shows it. */
struct trace_row {
	size_t index; /* store_trace's */
	int64_t duration_ns;
	uint32_t errors, findings;
	size_t spans; /* the file's spans: placeholders not counted */
};

#define REPORT_TEXT_SERVICES 10
#define REPORT_JSON_SERVICES 1000

/* The file's spans of a trace: obslab's "missing parent" placeholders are
 * not among them. */
static size_t real_spans(const struct trace *t)
{
	size_t n = 0;
	for (size_t k = 0; k < t->nspans; k++)
		n += !(t->spans[k].flags & SPAN_F_PLACEHOLDER);
	return n;
}

/* One service's part of one foreign trace, summed per service at the end. */
struct service_row {
	const char *name; /* NULL: no service.name */
	struct attribution a;
};

struct report {
	struct snapshot snap;
	struct store *store;
	size_t spans;
	struct attribution_series lab, foreign; /* per trace, one series a kind */
	bool lab_pg;                            /* lab's on PostgreSQL: its network measured */
	struct query_stat *queries;             /* every fingerprint, most total time first */
	size_t nqueries;
	struct finding_total *found; /* one per kind and query, over all traces */
	size_t nfound, cap_found;
	struct trace_row *rows; /* heaviest first */
	size_t nrows;
	struct service_row *services; /* per foreign trace and service, then summed per service */
	size_t nservices, cap_services;
};

/* Trace `trace`'s findings, summed per kind and query: a trace counts once
 * however many loops it has, and its cost a request is all of them. */
static void tally_findings(struct report *r, const struct findings *f, size_t trace)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct finding *x = &f->item[i];
		size_t k = 0;
		while (k < r->nfound && !(r->found[k].kind == x->kind && r->found[k].fingerprint == x->fingerprint &&
		                          r->found[k].foreign == x->foreign))
			k++;
		if (k == r->nfound) {
			if (r->nfound == r->cap_found) {
				r->cap_found = r->cap_found ? r->cap_found * 2 : 16;
				r->found = xrealloc_array(r->found, r->cap_found, sizeof *r->found);
			}
			memset(&r->found[k], 0, sizeof r->found[k]);
			r->found[k].kind = x->kind;
			r->found[k].fingerprint = x->fingerprint;
			r->found[k].foreign = x->foreign;
			snprintf(r->found[k].index_hint, sizeof r->found[k].index_hint, "%s", x->index_hint);
			r->nfound++;
		}
		if (r->found[k].last_trace != trace + 1) {
			r->found[k].traces++;
			r->found[k].last_trace = trace + 1;
		}
		r->found[k].loops++;
		r->found[k].cost_ns += (double)x->cost_ns;
		r->found[k].saving_ns += (double)x->saving_ns;
	}
}

/* Statistics of every fingerprint over every trace, exact (no fingerprint
 * is left out however many there are, and percentiles are nearest rank
 * over all of its calls), most total time first: analysis_calls_group over
 * all the file's database calls. Memory: 32 bytes a call. */
static void all_queries(struct report *r)
{
	size_t n = store_trace_count(r->store), ncalls = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace *t = store_trace(r->store, i);
		for (size_t k = 0; k < t->nspans; k++)
			ncalls += (t->spans[k].flags & SPAN_F_DB) != 0;
	}
	struct query_call *calls = xmalloc_array(ncalls ? ncalls : 1, sizeof *calls);
	size_t c = 0;
	for (size_t i = 0; i < n; i++) {
		const struct trace *t = store_trace(r->store, i);
		bool *nested = analysis_db_nested(t); /* counted once: the outermost database span */
		for (size_t k = 0; k < t->nspans; k++)
			if ((t->spans[k].flags & SPAN_F_DB) && !(nested && nested[k]))
				calls[c++] = analysis_call_of(&t->spans[k]);
		free(nested);
	}
	ncalls = c;
	analysis_calls_sort(calls, ncalls);
	size_t groups = analysis_calls_group(calls, ncalls, 0, NULL, 0);
	r->queries = xmalloc_array(groups ? groups : 1, sizeof *r->queries);
	r->nqueries = analysis_calls_group(calls, ncalls, 0, r->queries, groups);
	free(calls);
	analysis_queries_wall_clock(r->store, r->queries, r->nqueries); /* a pipeline's calls count once */
}

static int heaviest_first(const void *a, const void *b)
{
	const struct trace_row *x = a, *y = b;
	if (x->duration_ns != y->duration_ns)
		return x->duration_ns > y->duration_ns ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

static void add_services(struct report *r, const struct trace *t)
{
	size_t n = 0;
	struct service_attribution *sv = analysis_services(t, &n);
	for (size_t i = 0; i < n; i++) {
		if (r->nservices == r->cap_services) {
			r->cap_services = r->cap_services ? r->cap_services * 2 : 16;
			r->services = xrealloc_array(r->services, r->cap_services, sizeof *r->services);
		}
		r->services[r->nservices++] = (struct service_row){ sv[i].service, sv[i].a };
	}
	free(sv);
}

static int by_service_name(const void *a, const void *b)
{
	const struct service_row *x = a, *y = b;
	if (!x->name || !y->name)
		return (x->name != NULL) - (y->name != NULL);
	return strcmp(x->name, y->name);
}

static int by_busy(const void *a, const void *b)
{
	const struct service_row *x = a, *y = b;
	if (x->a.total_ns != y->a.total_ns)
		return x->a.total_ns > y->a.total_ns ? -1 : 1;
	return by_service_name(a, b);
}

/* The rows of one service summed (its busy time in total_ns; queries counts
 * the traces it appears in); the busiest first. */
static void sum_services(struct report *r)
{
	if (r->nservices > 1)
		qsort(r->services, r->nservices, sizeof *r->services, by_service_name);
	size_t u = 0;
	for (size_t i = 0; i < r->nservices; i++) {
		const struct attribution *a = &r->services[i].a;
		if (u > 0 && by_service_name(&r->services[u - 1], &r->services[i]) == 0) {
			struct attribution *s = &r->services[u - 1].a;
			s->total_ns = duration_add(s->total_ns, a->total_ns);
			s->app_ns = duration_add(s->app_ns, a->app_ns);
			s->db_ns = duration_add(s->db_ns, a->db_ns);
			s->calls_ns = duration_add(s->calls_ns, a->calls_ns);
			s->queries++;
			continue;
		}
		r->services[u] = r->services[i];
		r->services[u].a.queries = 1;
		u++;
	}
	r->nservices = u;
	if (r->nservices > 1)
		qsort(r->services, r->nservices, sizeof *r->services, by_busy);
}

static void analyze(struct report *r, const struct findings_config *cfg)
{
	size_t n = store_trace_count(r->store);
	r->rows = xmalloc_array(n ? n : 1, sizeof *r->rows);
	struct findings f;
	findings_init(&f);
	for (size_t i = 0; i < n; i++) {
		const struct trace *t = store_trace(r->store, i);
		struct attribution a = analysis_attribution(t);
		attribution_series_add(a.kind == ATTRIBUTION_FOREIGN ? &r->foreign : &r->lab, a);
		r->lab_pg |= a.kind == ATTRIBUTION_PG;
		if (a.kind == ATTRIBUTION_FOREIGN)
			add_services(r, t);
		size_t spans = real_spans(t);
		r->spans += spans;
		findings_detect(&f, t, cfg, r->snap.names);
		tally_findings(r, &f, i);
		struct trace_row row = { .index = i, .duration_ns = t->nspans ? span_duration_ns(&t->spans[0]) : 0,
		                         .findings = (uint32_t)f.n, .spans = spans };
		for (size_t k = 0; k < t->nspans; k++)
			row.errors += (t->spans[k].flags & SPAN_F_ERROR) != 0;
		r->rows[r->nrows++] = row;
	}
	findings_free(&f);
	qsort(r->rows, r->nrows, sizeof *r->rows, heaviest_first);
	sum_services(r);
	all_queries(r);
}

/* A sum over n traces as a mean, in range: INT64_MAX as a double is 2^63,
 * which no int64_t holds. */
static int64_t mean_ns(double sum, size_t n)
{
	double mean = n ? sum / (double)n : 0;
	return mean <= 0 ? 0 : mean >= (double)INT64_MAX ? INT64_MAX : (int64_t)mean;
}

/* What the list says of one trace. */
struct trace_info {
	const char *service; /* the root's service.name; "obslab" for the lab's; "-" unknown */
	size_t more_services;
	const char *root;    /* the root span's own name */
	char start[80];      /* UTC, to the millisecond */
	char trace_id[2 * SPAN_TRACE_ID_LEN + 1];
	bool foreign;
};

static void describe_trace(const struct report *r, const struct trace *t, struct trace_info *ti)
{
	memset(ti, 0, sizeof *ti);
	ti->foreign = analysis_trace_foreign(t);
	ti->service = ti->foreign ? "-" : "obslab";
	ti->root = t->nspans ? strtab_get(r->snap.names, t->spans[0].name) : "";
	span_trace_id_hex(t->trace_id, ti->trace_id);
	if (ti->foreign) {
		const struct otel_span *root = t->nspans ? otel_span_of(t->otel, &t->spans[0]) : NULL;
		if (root)
			ti->root = otel_text_of(t->otel, root->name); /* its own name, never the fingerprint */
		/* A placeholder root has no service: the first real span's is named. */
		for (size_t k = 0; k < t->nspans; k++) {
			const struct otel_span *sp = otel_span_of(t->otel, &t->spans[k]);
			if (sp) {
				const char *name = otel_service_name(t->otel, sp);
				ti->service = name ? name : "-";
				break;
			}
		}
		size_t n = 0;
		free(analysis_services(t, &n));
		ti->more_services = n > 1 ? n - 1 : 0;
	}
	int64_t unix_ns = t->nspans ? clock_to_unix_ns(&r->snap.meta.anchor, t->spans[0].start_ns) : 0;
	time_t secs = (time_t)(unix_ns / 1000000000);
	struct tm tm;
	if (unix_ns > 0 && gmtime_r(&secs, &tm))
		snprintf(ti->start, sizeof ti->start, "%04d-%02d-%02d %02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		         (int)(unix_ns % 1000000000 / 1000000));
	else
		snprintf(ti->start, sizeof ti->start, "-");
}

static void print_trace_list(FILE *out, const struct report *r)
{
	if (r->nrows == 0)
		return;
	fprintf(out, "\ntraces, heaviest first:\n  %12s %8s %6s %8s  %-24s  %-16s %s\n", "duration", "spans", "errors",
	        "findings", "start (UTC)", "service", "root");
	for (size_t i = 0; i < r->nrows && i < REPORT_TEXT_TRACES; i++) {
		const struct trace_row *row = &r->rows[i];
		const struct trace *t = store_trace(r->store, row->index);
		struct trace_info ti;
		describe_trace(r, t, &ti);
		char service[128];
		if (ti.more_services)
			snprintf(service, sizeof service, "%s +%zu", ti.service, ti.more_services);
		else
			snprintf(service, sizeof service, "%s", ti.service);
		textsafe_fprintf(out, "  %9.3f ms %8zu %6" PRIu32 " %8" PRIu32 "  %-24s  %-16s %s\n", cmd_ms(row->duration_ns),
		                 row->spans, row->errors, row->findings, ti.start, service, ti.root);
	}
	if (r->nrows > REPORT_TEXT_TRACES) {
		size_t more = r->nrows - REPORT_TEXT_TRACES;
		fprintf(out, "  ... and %zu more trace%s (report --json lists up to %d)\n", more, more == 1 ? "" : "s",
		        REPORT_JSON_TRACES);
	}
}

static void print_attribution_text(FILE *out, const struct report *r)
{
	size_t n = store_trace_count(r->store);
	if (r->lab.n > 0 || n == 0) {
		struct attribution med = attribution_series_medians(&r->lab);
		fprintf(out, "\nattribution, medians per request:\n");
		fprintf(out, "  total %10.3f ms\n  app %12.3f ms\n  database %7.3f ms%s\n  network %8.3f ms (%s)\n",
		        cmd_ms(med.total_ns), cmd_ms(med.app_ns), cmd_ms(med.db_ns),
		        r->lab_pg ? " (client time − measured round trip)" : "", cmd_ms(med.network_ns),
		        r->lab_pg ? "measured round trip" : "simulated");
	}
	if (r->foreign.n > 0) {
		struct attribution med = attribution_series_medians(&r->foreign);
		fprintf(out, "\nattribution, medians per request (%zu recorded trace%s; the network is not told apart):\n",
		        r->foreign.n, r->foreign.n == 1 ? "" : "s");
		fprintf(out, "  total %27.3f ms\n  own %29.3f ms\n  database incl. network %10.3f ms\n  calls %27.3f ms\n",
		        cmd_ms(med.total_ns), cmd_ms(med.app_ns), cmd_ms(med.db_ns), cmd_ms(med.calls_ns));
	}
	if (r->nservices > 1) {
		fprintf(out, "\nservices, busiest first, summed over the traces they appear in (time their spans were open):\n"
		             "  %-24s %6s %12s %12s %12s %12s\n", "service", "traces", "busy", "own", "db incl. net", "calls");
		for (size_t i = 0; i < r->nservices && i < REPORT_TEXT_SERVICES; i++) {
			const struct service_row *s = &r->services[i];
			textsafe_fprintf(out, "  %-24s %6" PRIu32 " %9.3f ms %9.3f ms %9.3f ms %9.3f ms\n",
			                 s->name ? s->name : "(no service.name)", s->a.queries, cmd_ms(s->a.total_ns),
			                 cmd_ms(s->a.app_ns), cmd_ms(s->a.db_ns), cmd_ms(s->a.calls_ns));
		}
		if (r->nservices > REPORT_TEXT_SERVICES) {
			size_t more = r->nservices - REPORT_TEXT_SERVICES;
			fprintf(out, "  ... and %zu more service%s (report --json lists up to %d)\n", more, more == 1 ? "" : "s",
			        REPORT_JSON_SERVICES);
		}
	}
}

/* What the tolerant reading marked, in one line naming only what was
 * ("" when nothing was); the same counts as the explorer's status bar. */
static void print_marks(FILE *out, const struct snapshot *snap)
{
	const struct {
		size_t n;
		const char *one, *many;
	} mark[] = {
		{ snap->norphans, "orphan span", "orphan spans (shown under \"missing parent\")" },
		{ snap->ncycles, "span in a parent cycle", "spans in a parent cycle (shown under \"parent cycle cut\")" },
		{ snap->nskewed, "span with clock skew", "spans with clock skew (outside their parent)" },
		{ snap->nduplicates, "duplicate span id", "duplicate span ids (kept apart)" },
		{ snap->nnegative, "span ending before it starts", "spans ending before they start (shown as 0 long)" },
		{ snap->nmultiroot, "trace with several roots", "traces with several roots (shown under \"missing root\")" },
	};
	const char *sep = "read with warnings: ";
	for (size_t k = 0; k < sizeof mark / sizeof mark[0]; k++) {
		if (!mark[k].n)
			continue;
		/* One: the singular and the parenthesis of the plural ("orphan span (shown ...)"). */
		const char *why = strchr(mark[k].many, '(');
		if (mark[k].n == 1)
			fprintf(out, "%s1 %s %s", sep, mark[k].one, why);
		else
			fprintf(out, "%s%zu %s", sep, mark[k].n, mark[k].many);
		sep = ", ";
	}
	if (sep[0] == ',')
		fputc('\n', out);
}

static void print_text(FILE *out, const struct cli *cli, struct report *r)
{
	size_t n = store_trace_count(r->store);
	const struct snapshot_meta *m = &r->snap.meta;
	textsafe_fprintf(out, "%s: %s, %zu trace%s, %zu span%s\n", cli->file,
	                 r->snap.format == SNAPSHOT_NATIVE ? "obslab snapshot" : "OTLP/JSON", n, n == 1 ? "" : "s", r->spans,
	                 r->spans == 1 ? "" : "s");
	char net[48] = "network measured"; /* PostgreSQL's: nothing simulated */
	if (!r->lab_pg)
		snprintf(net, sizeof net, "RTT %u us (simulated)", m->settings.rtt_us);
	if (m->has_settings) /* a served record names no strategy: each request ran the one it asked for */
		fprintf(out, "settings: %s, %u users, %s, index %s; %" PRIu64 " spans dropped\n",
		        m->served ? "served (naive, optimized, eager on request)" : strategy_name(m->settings.strategy),
		        m->settings.users, net, m->settings.index ? "on" : "off", m->dropped_spans);
	if (m->has_database) /* where the lab ran (absent in older files) */
		cmd_print_database(out, &m->database);
	print_marks(out, &r->snap);
	print_trace_list(out, r);
	print_attribution_text(out, r);
	fprintf(out, "\nqueries, all traces: most total time first\n  %8s %11s %11s %11s %11s %8s  %s\n", "calls", "total",
	        "mean", "p50", "p95", "rows", "query");
	for (size_t i = 0; i < r->nqueries && i < REPORT_TEXT_QUERIES; i++) {
		const struct query_stat *q = &r->queries[i];
		char rows[24] = "-"; /* a file that gave no row counts */
		if (q->rows_known)
			snprintf(rows, sizeof rows, "%" PRIu64, q->rows);
		textsafe_fprintf(out, "  %8u %8.3f ms %8.3f ms %8.3f ms %8.3f ms %8s  %s\n", q->calls, cmd_ms(q->total_ns),
		                 cmd_ms(q->mean_ns), cmd_ms(q->p50_ns), cmd_ms(q->p95_ns), rows,
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
		struct finding one = { .kind = f->kind, .foreign = f->foreign };
		char loops[48] = ""; /* more loops than traces: a trace has several */
		if (f->loops > f->traces)
			snprintf(loops, sizeof loops, " (%zu loops)", f->loops);
		if (f->kind == FINDING_N_PLUS_ONE && f->foreign)
			textsafe_fprintf(out, "  N+1 in %zu of %zu traces%s: \"%s\"; %.3f ms a request, "
			                 "one call instead saves ~%.3f ms (%s)\n", f->traces, n, loops, query, cmd_ms(cost),
			                 cmd_ms(saving), finding_saving_basis(&one));
		else if (f->kind == FINDING_N_PLUS_ONE)
			textsafe_fprintf(out, "  N+1 in %zu of %zu traces%s: \"%s\"; %.3f ms a request, "
			                 "one query saves ~%.3f ms\n", f->traces, n, loops, query, cmd_ms(cost), cmd_ms(saving));
		else
			textsafe_fprintf(out, "  full scan in a loop in %zu of %zu traces%s: \"%s\"; "
			                 "an index on %s saves up to %.3f ms\n", f->traces, n, loops, query, f->index_hint,
			                 cmd_ms(saving));
	}
}

static void json_attribution(cJSON *o, const struct report *r)
{
	if (r->lab.n > 0 || store_trace_count(r->store) == 0) {
		struct attribution med = attribution_series_medians(&r->lab);
		cJSON *a = cJSON_AddObjectToObject(o, "median");
		cJSON_AddNumberToObject(a, "total_ms", cmd_ms(med.total_ns));
		cJSON_AddNumberToObject(a, "app_ms", cmd_ms(med.app_ns));
		cJSON_AddNumberToObject(a, "db_ms", cmd_ms(med.db_ns));
		cJSON_AddNumberToObject(a, "network_ms", cmd_ms(med.network_ns));
	}
	if (r->foreign.n > 0) {
		struct attribution med = attribution_series_medians(&r->foreign);
		cJSON *a = cJSON_AddObjectToObject(o, "median_foreign");
		cJSON_AddNumberToObject(a, "traces", (double)r->foreign.n);
		cJSON_AddNumberToObject(a, "total_ms", cmd_ms(med.total_ns));
		cJSON_AddNumberToObject(a, "own_ms", cmd_ms(med.app_ns));
		cJSON_AddNumberToObject(a, "db_incl_network_ms", cmd_ms(med.db_ns));
		cJSON_AddNumberToObject(a, "calls_ms", cmd_ms(med.calls_ns));
	}
	if (r->nservices > 0) {
		cJSON *ss = cJSON_AddArrayToObject(o, "services");
		for (size_t i = 0; i < r->nservices && i < REPORT_JSON_SERVICES; i++) {
			const struct service_row *s = &r->services[i];
			cJSON *x = cJSON_CreateObject();
			if (s->name)
				cJSON_AddStringToObject(x, "service", s->name);
			else
				cJSON_AddNullToObject(x, "service");
			cJSON_AddNumberToObject(x, "traces", s->a.queries);
			cJSON_AddNumberToObject(x, "busy_ms", cmd_ms(s->a.total_ns));
			cJSON_AddNumberToObject(x, "own_ms", cmd_ms(s->a.app_ns));
			cJSON_AddNumberToObject(x, "db_incl_network_ms", cmd_ms(s->a.db_ns));
			cJSON_AddNumberToObject(x, "calls_ms", cmd_ms(s->a.calls_ns));
			cJSON_AddItemToArray(ss, x);
		}
		cJSON_AddNumberToObject(o, "services_not_listed",
		                        (double)(r->nservices > REPORT_JSON_SERVICES ? r->nservices - REPORT_JSON_SERVICES : 0));
	}
}

static void json_trace_list(cJSON *o, const struct report *r)
{
	cJSON *list = cJSON_AddArrayToObject(o, "trace_list"); /* heaviest first */
	for (size_t i = 0; i < r->nrows && i < REPORT_JSON_TRACES; i++) {
		const struct trace_row *row = &r->rows[i];
		const struct trace *t = store_trace(r->store, row->index);
		struct trace_info ti;
		describe_trace(r, t, &ti);
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "trace_id", ti.trace_id);
		cJSON_AddStringToObject(x, "service", ti.service);
		cJSON_AddNumberToObject(x, "services", (double)(ti.more_services + (strcmp(ti.service, "-") != 0)));
		cJSON *names = cJSON_AddArrayToObject(x, "service_names"); /* every service.name, first seen first */
		size_t nsvc = 0;
		struct service_attribution *svc = analysis_services(t, &nsvc);
		for (size_t k = 0; k < nsvc; k++)
			cJSON_AddItemToArray(names, svc[k].service ? cJSON_CreateString(svc[k].service) : cJSON_CreateNull());
		free(svc);
		cJSON_AddStringToObject(x, "root", ti.root);
		cJSON_AddStringToObject(x, "start", ti.start);
		cJSON_AddNumberToObject(x, "duration_ms", cmd_ms(row->duration_ns));
		cJSON_AddNumberToObject(x, "spans", (double)row->spans);
		cJSON_AddNumberToObject(x, "errors", row->errors);
		cJSON_AddNumberToObject(x, "findings", row->findings);
		cJSON_AddBoolToObject(x, "foreign", ti.foreign);
		cJSON_AddItemToArray(list, x);
	}
	cJSON_AddNumberToObject(o, "traces_not_listed", (double)(r->nrows > REPORT_JSON_TRACES ? r->nrows - REPORT_JSON_TRACES : 0));
}

static void print_json(FILE *out, const struct cli *cli, struct report *r)
{
	size_t n = store_trace_count(r->store);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "file", cli->file);
	cJSON_AddStringToObject(o, "format", snapshot_format_name(r->snap.format));
	cJSON_AddNumberToObject(o, "traces", (double)n);
	cJSON_AddNumberToObject(o, "spans", (double)r->spans);
	cJSON *marks = cJSON_AddObjectToObject(o, "marked"); /* what the tolerant reading marked */
	cJSON_AddNumberToObject(marks, "orphan_spans", (double)r->snap.norphans);
	cJSON_AddNumberToObject(marks, "skewed_spans", (double)r->snap.nskewed);
	cJSON_AddNumberToObject(marks, "duplicate_span_ids", (double)r->snap.nduplicates);
	cJSON_AddNumberToObject(marks, "cycle_spans", (double)r->snap.ncycles);
	cJSON_AddNumberToObject(marks, "ending_before_start", (double)r->snap.nnegative);
	cJSON_AddNumberToObject(marks, "placeholders", (double)r->snap.nplaceholders);
	cJSON_AddNumberToObject(marks, "multiroot_traces", (double)r->snap.nmultiroot);
	json_trace_list(o, r);
	json_attribution(o, r);
	if (r->snap.meta.has_database)
		cmd_add_database(o, &r->snap.meta.database);
	cJSON_AddNumberToObject(o, "fingerprints", (double)r->nqueries);
	cJSON *qs = cJSON_AddArrayToObject(o, "queries"); /* every fingerprint, most total time first */
	for (size_t i = 0; i < r->nqueries; i++) {
		cJSON *q = cJSON_CreateObject();
		cJSON_AddStringToObject(q, "query", strtab_get(r->snap.names, r->queries[i].fingerprint));
		cJSON_AddNumberToObject(q, "calls", r->queries[i].calls);
		cJSON_AddNumberToObject(q, "total_ms", cmd_ms(r->queries[i].total_ns));
		cJSON_AddNumberToObject(q, "mean_ms", cmd_ms(r->queries[i].mean_ns));
		cJSON_AddNumberToObject(q, "p50_ms", cmd_ms(r->queries[i].p50_ns));
		cJSON_AddNumberToObject(q, "p95_ms", cmd_ms(r->queries[i].p95_ns));
		if (r->queries[i].rows_known)
			cJSON_AddNumberToObject(q, "rows", (double)r->queries[i].rows);
		else
			cJSON_AddNullToObject(q, "rows"); /* the file gave no row counts */
		cJSON_AddItemToArray(qs, q);
	}
	cJSON *fs = cJSON_AddArrayToObject(o, "findings");
	for (size_t i = 0; i < r->nfound; i++) {
		const struct finding_total *x = &r->found[i];
		struct finding one = { .kind = x->kind, .foreign = x->foreign };
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "kind", finding_key(x->kind));
		cJSON_AddStringToObject(f, "query", strtab_get(r->snap.names, x->fingerprint));
		cJSON_AddNumberToObject(f, "traces", (double)x->traces);
		cJSON_AddNumberToObject(f, "loops", (double)x->loops);
		cJSON_AddNumberToObject(f, "cost_ms", cmd_ms(mean_ns(x->cost_ns, x->traces)));
		cJSON_AddNumberToObject(f, "saving_ms", cmd_ms(mean_ns(x->saving_ns, x->traces)));
		cJSON_AddStringToObject(f, "saving_basis", finding_saving_basis(&one));
		cJSON_AddBoolToObject(f, "foreign", x->foreign);
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
	attribution_series_free(&r->lab);
	attribution_series_free(&r->foreign);
	free(r->queries);
	free(r->found);
	free(r->rows);
	free(r->services);
	store_destroy(r->store);
	snapshot_free(&r->snap);
	free(r);
	return CLI_EXIT_OK;
}
