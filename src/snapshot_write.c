/*
 * snapshot_write — the JSON writers (native snapshot, OTLP/JSON, Chrome
 * trace events), streaming trace by trace through an atomicfile, with the
 * native format's settings, totals, findings and query statistics
 * (docs/formats.md describes what is written). Foreign spans are written
 * from their otel_span (otel_json.h), placeholders never; the Chrome
 * writer is snapshot_chrome.c (snapshot_writer.h), the SQLite writer
 * snapshot_sqlite.c; where the lab ran, in each, snapshot_database.c; the
 * formats' names snapshot_format.c.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obslab/analysis.h"
#include "obslab/atomicfile.h"
#include "obslab/attrs.h"
#include "obslab/httpinfo.h"
#include "obslab/otel.h"
#include "obslab/otel_json.h"
#include "obslab/snapshot.h"
#include "obslab/snapshot_foreign.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/recent.h"
#include "obslab/xalloc.h"
#include "snapshot_writer.h"

static void af_sink(void *ctx, const char *s, size_t len)
{
	(void)atomicfile_write(ctx, s, len);
}

static void put(struct writer *w, const char *s)
{
	(void)atomicfile_write(&w->af, s, strlen(s));
}

static void putf(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct writer *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	(void)atomicfile_write(&w->af, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A JSON string: quotes, backslashes and control characters escaped, the
 * rest (UTF-8 included) as it is. Runs without escapes go out in one write. */
static void put_str(struct writer *w, const char *s)
{
	put(w, "\"");
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		(void)atomicfile_write(&w->af, run, (size_t)(s - run));
		if (c == '"' || c == '\\')
			putf(w, "\\%c", c);
		else
			putf(w, "\\u%04x", c);
		run = s + 1;
	}
	(void)atomicfile_write(&w->af, run, (size_t)(s - run));
	put(w, "\"");
}

/* A cJSON value, compact, then freed. */
static void put_json(struct writer *w, cJSON *item)
{
	char *text = cJSON_PrintUnformatted(item);
	cJSON_Delete(item);
	put(w, text);
	cJSON_free(text);
}

static void hex64(char out[17], uint64_t v)
{
	snprintf(out, 17, "%016" PRIx64, v);
}

static int64_t unix_ns(const struct writer *w, int64_t t)
{
	return clock_to_unix_ns(&w->meta->anchor, t);
}

/* ---- native ---------------------------------------------------------------- */

static const char *kind_name(uint8_t kind)
{
	return kind == SPAN_KIND_SERVER ? "server" : kind == SPAN_KIND_CLIENT ? "client" : "internal";
}

static const char *status_name(uint8_t flags)
{
	return flags & SPAN_F_CANCELLED ? "cancelled" : flags & SPAN_F_ERROR ? "error" : "ok";
}

/* A foreign span: the native keys from its otel_span, its scope's number
 * and the whole OTLP/JSON span (what the reader builds it from). */
static void native_foreign_span(struct writer *w, const struct otel_set *set, const struct otel_span *sp)
{
	putf(w, "{\"span_id\":\"%016" PRIx64 "\",\"parent_span_id\":", sp->span_id);
	if (sp->parent_span_id)
		putf(w, "\"%016" PRIx64 "\"", sp->parent_span_id);
	else
		put(w, "null");
	put(w, ",\"name\":");
	otel_json_string(&w->jo, otel_text_of(set, sp->name), sp->name.len);
	putf(w, ",\"kind\":\"%s\",\"start_unix_ns\":\"%" PRIu64 "\",\"end_unix_ns\":\"%" PRIu64 "\",\"status\":\"%s\"",
	     otel_kind_name(sp->kind), sp->start_unix_ns, sp->end_unix_ns, otel_status_name(sp->status_code));
	size_t k = otel_bases_find(&w->bases, set);
	putf(w, ",\"scope\":%zu,\"otlp\":", (k < w->bases.n ? w->bases.scope_base[k] : 0) + sp->scope);
	otel_json_span(&w->jo, set, sp);
	put(w, "}");
}

/* A lab span; a served root's parent is its caller's span (http). */
static void native_span(struct writer *w, const struct span_record *s, const struct http_info *http)
{
	uint64_t parent = s->parent_id ? s->parent_id : http ? http->remote_parent_id : 0;
	putf(w, "{\"span_id\":\"%016" PRIx64 "\",\"parent_span_id\":", s->span_id);
	if (parent)
		putf(w, "\"%016" PRIx64 "\"", parent);
	else
		put(w, "null");
	put(w, ",\"name\":");
	put_str(w, strtab_get(w->names, s->name));
	putf(w, ",\"kind\":\"%s\",\"start_unix_ns\":\"%" PRId64 "\",\"end_unix_ns\":\"%" PRId64 "\",\"status\":\"%s\"",
	     kind_name(s->kind), unix_ns(w, s->start_ns), unix_ns(w, s->end_ns), status_name(s->flags));
	if (s->flags & SPAN_F_DB) /* "system" only for PostgreSQL: absent, SQLite (as older files) */
		putf(w, ",\"db\":{\"rows\":%" PRIu32 ",\"net_wait_ns\":%" PRIu32 ",\"fullscan_steps\":%" PRIu32
		        ",\"sort_ops\":%u,\"autoindex_rows\":%" PRIu32 ",\"vm_steps\":%" PRIu32 "%s}",
		     s->u.db.rows, s->u.db.net_wait_ns, s->u.db.fullscan_steps, s->sort_ops, s->u.db.autoindex,
		     s->u.db.vm_steps, s->db_system == SPAN_DB_POSTGRESQL ? ",\"system\":\"postgresql\"" : "");
	put(w, "}");
}

static cJSON *native_attribution(const struct attribution *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "total_ns", (double)a->total_ns);
	cJSON_AddNumberToObject(o, "app_ns", (double)a->app_ns);
	cJSON_AddNumberToObject(o, "db_ns", (double)a->db_ns);
	cJSON_AddNumberToObject(o, "network_ns", (double)a->network_ns);
	cJSON_AddNumberToObject(o, "queries", a->queries);
	return o;
}

static cJSON *native_findings(struct writer *w, const struct trace *t)
{
	findings_detect(&w->findings, t, w->fcfg, w->names);
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < w->findings.n; i++) {
		const struct finding *f = &w->findings.item[i];
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind", finding_key(f->kind));
		cJSON_AddStringToObject(o, "query", strtab_get(w->names, f->fingerprint));
		cJSON_AddNumberToObject(o, "count", f->count);
		cJSON_AddNumberToObject(o, "cost_ns", (double)f->cost_ns);
		cJSON_AddNumberToObject(o, "saving_ns", (double)f->saving_ns);
		if (f->kind == FINDING_FULL_SCAN_LOOP) {
			cJSON_AddStringToObject(o, "index", f->index_hint);
			cJSON_AddNumberToObject(o, "scanned_rows", (double)f->scanned_rows);
		}
		cJSON *evidence = cJSON_AddArrayToObject(o, "evidence");
		for (uint32_t k = 0; k < f->count; k++) {
			char id[17];
			hex64(id, t->spans[w->findings.evidence[f->evidence + k]].span_id);
			cJSON_AddItemToArray(evidence, cJSON_CreateString(id));
		}
		cJSON_AddItemToArray(list, o);
	}
	return list;
}

/* A served request's HTTP exchange (docs/formats.md, "http"): what the
 * reader rebuilds its http_info from. */
static void native_http(struct writer *w, const struct http_info *h)
{
	put(w, ",\"http\":{");
	for (int f = 0; f < HTTP_TEXT_COUNT; f++) {
		putf(w, "%s\"%s\":", f ? "," : "", http_info_text_name((enum http_info_text)f));
		put_str(w, http_info_get_text(h, (enum http_info_text)f));
	}
	put(w, ",\"route\":");
	if (h->route)
		put_str(w, h->route);
	else
		put(w, "null");
	putf(w, ",\"status_code\":%u,\"server_port\":%u,\"trace_flags\":%u,\"remote_parent_span_id\":", h->status_code,
	     h->server_port, h->trace_flags);
	if (h->remote_parent_id)
		putf(w, "\"%016" PRIx64 "\"", h->remote_parent_id);
	else
		put(w, "null");
	put(w, ",\"truncated\":[");
	for (int f = 0, n = 0; f < HTTP_TEXT_COUNT; f++)
		if (h->truncated & (1u << f))
			putf(w, "%s\"%s\"", n++ ? "," : "", http_info_text_name((enum http_info_text)f));
	put(w, "]}");
}

static void native_trace(struct writer *w, const struct trace *t)
{
	const struct span_record *root = &t->spans[0];
	char trace_id[33];
	span_trace_id_hex(t->trace_id, trace_id);
	putf(w, "{\"trace_id\":\"%s\"", trace_id);
	/* the lab's settings: a foreign trace has none, nor a served request that ran no lab work (/health) */
	if (!(root->flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER)) && (!t->http || http_info_ran_lab(t->http)))
		putf(w, ",\"strategy\":\"%s\",\"users\":%" PRIu32 ",\"index\":%s", strategy_name((enum strategy)root->strategy),
		     root->u.root.users, root->flags & SPAN_F_INDEX ? "true" : "false");
	if (t->http)
		native_http(w, t->http);
	put(w, ",\"attribution\":");
	struct attribution a = analysis_attribution(t);
	put_json(w, native_attribution(&a));
	put(w, ",\"findings\":");
	put_json(w, native_findings(w, t));
	put(w, ",\"spans\":[");
	bool first = true;
	for (size_t i = 0; i < t->nspans && !w->af.error; i++) {
		const struct span_record *s = &t->spans[i];
		if (s->flags & SPAN_F_PLACEHOLDER)
			continue;
		put(w, first ? "" : ",");
		first = false;
		const struct otel_span *sp = otel_span_of(t->otel, s);
		if (sp)
			native_foreign_span(w, t->otel, sp);
		else
			native_span(w, s, s->parent_id == 0 ? t->http : NULL);
	}
	put(w, "]}");
}

static void native_settings(struct writer *w)
{
	const struct workload_config *s = &w->meta->settings;
	cJSON *o = cJSON_CreateObject();
	if (!w->meta->served) /* a server's requests ran every strategy: none is the file's */
		cJSON_AddStringToObject(o, "strategy", strategy_name(s->strategy));
	cJSON_AddNumberToObject(o, "users", s->users);
	cJSON_AddNumberToObject(o, "rtt_us", s->rtt_us);
	bool pg = w->meta->has_database && w->meta->database.engine == LABDB_POSTGRESQL;
	cJSON_AddStringToObject(o, "network", pg ? "measured" : "simulated");
	cJSON_AddBoolToObject(o, "index", s->index);
	char seed[24]; /* every digit: a double would round seeds past 2^53 */
	snprintf(seed, sizeof seed, "%" PRIu64, s->seed);
	cJSON_AddRawToObject(o, "seed", seed);
	if (w->meta->has_database)
		cJSON_AddItemToObject(o, "database", snapshot_database_json(&w->meta->database));
	put_json(w, o);
}

static void native_totals(struct writer *w, const struct store *store)
{
	struct recent_stats *win = recent_of_store(store); /* every trace written */
	struct query_stat q[RECENT_MAX_FINGERPRINTS];
	size_t n = recent_query_stats(win, 0, q, RECENT_MAX_FINGERPRINTS);
	cJSON *list = cJSON_CreateArray();
	for (size_t i = 0; i < n && i < RECENT_MAX_FINGERPRINTS; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "query", strtab_get(w->names, q[i].fingerprint));
		cJSON_AddNumberToObject(o, "calls", q[i].calls);
		cJSON_AddNumberToObject(o, "total_ns", (double)q[i].total_ns);
		cJSON_AddNumberToObject(o, "mean_ns", (double)q[i].mean_ns);
		cJSON_AddNumberToObject(o, "min_ns", (double)q[i].min_ns);
		cJSON_AddNumberToObject(o, "p50_ns", (double)q[i].p50_ns);
		cJSON_AddNumberToObject(o, "p95_ns", (double)q[i].p95_ns);
		cJSON_AddNumberToObject(o, "p99_ns", (double)q[i].p99_ns);
		cJSON_AddNumberToObject(o, "max_ns", (double)q[i].max_ns);
		cJSON_AddNumberToObject(o, "rows", (double)q[i].rows);
		cJSON_AddNumberToObject(o, "share", q[i].share);
		cJSON_AddItemToArray(list, o);
	}
	put(w, ",\"query_stats\":");
	put_json(w, list);
	struct recent_attribution a = recent_attribution(win, 0);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "requests", (double)a.requests);
	cJSON_AddNumberToObject(o, "total_ns", (double)a.total_ns);
	cJSON_AddNumberToObject(o, "app_ns", (double)a.app_ns);
	cJSON_AddNumberToObject(o, "db_ns", (double)a.db_ns);
	cJSON_AddNumberToObject(o, "network_ns", (double)a.network_ns);
	put(w, ",\"attribution\":");
	put_json(w, o);
	free(win);
}

/* The resources and scopes of every set the foreign traces name, numbered
 * one after the other (a span's "scope" is its number here). */
static void native_resources_scopes(struct writer *w)
{
	put(w, ",\"resources\":[");
	for (size_t k = 0; k < w->bases.n && !w->af.error; k++) {
		const struct otel_set *set = w->bases.set[k];
		for (size_t i = 0; i < set->nresources; i++) {
			put(w, k || i ? ",\n{" : "\n{");
			otel_json_resource_members(&w->jo, set, &set->resources[i]);
			if (!set->resources[i].attrs.dropped)
				put(w, ",\"droppedAttributesCount\":0");
			put(w, ",\"schemaUrl\":");
			otel_json_string(&w->jo, otel_text_of(set, set->resources[i].schema_url),
			                 set->resources[i].schema_url.len);
			put(w, "}");
		}
	}
	put(w, "],\n\"scopes\":[");
	for (size_t k = 0; k < w->bases.n && !w->af.error; k++) {
		const struct otel_set *set = w->bases.set[k];
		for (size_t i = 0; i < set->nscopes; i++) {
			const struct otel_scope *sc = &set->scopes[i];
			putf(w, "%s{\"resource\":%zu,\"name\":", k || i ? ",\n" : "\n", w->bases.resource_base[k] + sc->resource);
			otel_json_string(&w->jo, otel_text_of(set, sc->name), sc->name.len);
			put(w, ",\"version\":");
			otel_json_string(&w->jo, otel_text_of(set, sc->version), sc->version.len);
			put(w, ",\"attributes\":");
			otel_json_attrs(&w->jo, set, sc->attrs);
			putf(w, ",\"droppedAttributesCount\":%" PRIu32 ",\"schemaUrl\":", sc->attrs.dropped);
			otel_json_string(&w->jo, otel_text_of(set, sc->schema_url), sc->schema_url.len);
			put(w, "}");
		}
	}
	put(w, "]");
}

static void write_native(struct writer *w, const struct store *store)
{
	char created[40];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
	putf(w, "{\"format\":\"%s\",\"version\":%d,\"generator\":\"obslab %s\",\"created\":\"%s\"",
	     SNAPSHOT_FORMAT_NAME, SNAPSHOT_VERSION, OBSLAB_VERSION, created);
	if (w->meta->has_settings) { /* the lab's: a file from elsewhere has none */
		put(w, ",\"settings\":");
		native_settings(w);
	}
	putf(w, ",\"dropped_spans\":%" PRIu64, w->meta->dropped_spans);
	if (w->meta->has_shown) {
		char shown[33];
		span_trace_id_hex(w->meta->shown_trace_id, shown);
		putf(w, ",\"shown_trace\":\"%s\"", shown);
	}
	otel_bases_collect(&w->bases, store);
	if (w->bases.n)
		native_resources_scopes(w);
	put(w, ",\"traces\":[\n");
	for (size_t i = 0; i < store_trace_count(store) && !w->af.error; i++) {
		if (i)
			put(w, ",\n");
		native_trace(w, store_trace(store, i));
	}
	put(w, "\n]");
	native_totals(w, store);
	put(w, "}\n");
}

/* ---- OTLP/JSON --------------------------------------------------------------- */

static void otlp_attribute(struct writer *w, const struct attr *a)
{
	put(w, "{\"key\":");
	put_str(w, a->key);
	if (a->type == ATTR_STRING) {
		put(w, ",\"value\":{\"stringValue\":");
		put_str(w, attr_string(a));
		put(w, "}}");
	} else if (a->type == ATTR_BOOL) {
		putf(w, ",\"value\":{\"boolValue\":%s}}", a->i ? "true" : "false");
	} else { /* OTLP/JSON: 64-bit integers are decimal strings */
		putf(w, ",\"value\":{\"intValue\":\"%" PRId64 "\"}}", a->i);
	}
}

/* A span's display name, through the writer's memo for queries. */
static const char *display_name(struct writer *w, const struct span_record *s)
{
	if (s->flags & SPAN_F_DB)
		return query_names_of(&w->memo, s, w->names)->display;
	return strtab_get(w->names, s->name);
}

/* A lab span. A served root (http given) is the child of its caller's
 * span (parentSpanId; flags: the caller's trace flags, and OTLP's "has
 * is_remote" and "is_remote" bits), with the caller's traceState. */
static void otlp_span(struct writer *w, const char *trace_id, const struct span_record *s, const struct http_info *http)
{
	const char *name = display_name(w, s);
	putf(w, "{\"traceId\":\"%s\",\"spanId\":\"%016" PRIx64 "\",", trace_id, s->span_id);
	if (s->parent_id)
		putf(w, "\"parentSpanId\":\"%016" PRIx64 "\",", s->parent_id);
	if (http && s->parent_id == 0) {
		if (http->tracestate[0]) {
			put(w, "\"traceState\":");
			put_str(w, http->tracestate);
			put(w, ",");
		}
		if (http->remote_parent_id)
			putf(w, "\"parentSpanId\":\"%016" PRIx64 "\",\"flags\":%u,", http->remote_parent_id,
			     0x300u | http->trace_flags);
	}
	put(w, "\"name\":");
	put_str(w, name);
	putf(w, ",\"kind\":%u,\"startTimeUnixNano\":\"%" PRId64 "\",\"endTimeUnixNano\":\"%" PRId64 "\",\"attributes\":[",
	     s->kind, unix_ns(w, s->start_ns), unix_ns(w, s->end_ns));
	struct attr attrs[ATTRS_MAX];
	size_t n = span_attributes_http(s, http, w->names, attrs, &w->memo);
	for (size_t i = 0; i < n; i++) {
		if (i)
			put(w, ",");
		otlp_attribute(w, &attrs[i]);
	}
	if (s->flags & (SPAN_F_ERROR | SPAN_F_CANCELLED)) /* STATUS_CODE_ERROR */
		putf(w, "],\"status\":{\"code\":2,\"message\":\"%s\"}}", status_name(s->flags));
	else
		put(w, "],\"status\":{}}");
}

static bool is_lab_span(const struct trace *t, const struct span_record *s)
{
	return !(s->flags & SPAN_F_PLACEHOLDER) && !otel_span_of(t->otel, s);
}

/* obslab's own spans, every trace's, under the one obslab resource. */
static void otlp_lab_spans(struct writer *w, const struct store *store)
{
	put(w, "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
	        "{\"stringValue\":\"obslab\"}},{\"key\":\"telemetry.sdk.name\",\"value\":{\"stringValue\":"
	        "\"obslab\"}}");
	snapshot_database_otlp_resource(w);
	putf(w, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"obslab\",\"version\":\"%s\"},\"spans\":[\n",
	     OBSLAB_VERSION);
	bool first = true;
	for (size_t i = 0; i < store_trace_count(store) && !w->af.error; i++) {
		const struct trace *t = store_trace(store, i);
		char trace_id[33];
		span_trace_id_hex(t->trace_id, trace_id);
		for (size_t k = 0; k < t->nspans && !w->af.error; k++) {
			if (!is_lab_span(t, &t->spans[k]))
				continue;
			put(w, first ? "" : ",\n");
			first = false;
			otlp_span(w, trace_id, &t->spans[k], t->http);
		}
	}
	put(w, "\n]}]}");
}

/* A foreign trace as it came: one resourceSpans per resource, one
 * scopeSpans per scope, in order of first appearance; every span as read. */
static void otlp_foreign_trace(struct writer *w, const struct trace *t, bool *first)
{
	size_t n;
	uint32_t *order = snapshot_foreign_order(t, &n);
	const struct otel_set *set = t->otel;
	for (size_t i = 0; i < n && !w->af.error; i++) {
		const struct otel_span *sp = &set->spans[order[i]];
		const struct otel_scope *sc = otel_span_scope(set, sp);
		const struct otel_resource *r = otel_span_resource(set, sp);
		const struct otel_span *prev = i ? &set->spans[order[i - 1]] : NULL;
		const struct otel_scope *prev_sc = prev ? otel_span_scope(set, prev) : NULL;
		bool new_scope = !prev || prev->scope != sp->scope;
		bool new_resource = !prev || otel_span_resource(set, prev) != r;
		if (prev && new_scope) { /* close the scope before (its schemaUrl), and its resource */
			put(w, "]");
			if (prev_sc && prev_sc->schema_url.len) {
				put(w, ",\"schemaUrl\":");
				otel_json_string(&w->jo, otel_text_of(set, prev_sc->schema_url), prev_sc->schema_url.len);
			}
			put(w, "}");
		}
		if (prev && new_resource) {
			const struct otel_resource *pr = otel_span_resource(set, prev);
			put(w, "]");
			if (pr && pr->schema_url.len) {
				put(w, ",\"schemaUrl\":");
				otel_json_string(&w->jo, otel_text_of(set, pr->schema_url), pr->schema_url.len);
			}
			put(w, "}");
		}
		if (new_resource) {
			put(w, *first ? "\n{\"resource\":{" : ",\n{\"resource\":{");
			*first = false;
			if (r)
				otel_json_resource_members(&w->jo, set, r);
			put(w, "},\"scopeSpans\":[");
		} else if (new_scope) {
			put(w, ",");
		}
		if (new_scope) {
			put(w, "{\"scope\":");
			if (sc)
				otel_json_scope(&w->jo, set, sc);
			else
				put(w, "{}");
			put(w, ",\"spans\":[\n");
		} else {
			put(w, ",\n");
		}
		otel_json_span(&w->jo, set, sp);
	}
	if (n) {
		const struct otel_span *last = &set->spans[order[n - 1]];
		const struct otel_scope *sc = otel_span_scope(set, last);
		const struct otel_resource *r = otel_span_resource(set, last);
		put(w, "]");
		if (sc && sc->schema_url.len) {
			put(w, ",\"schemaUrl\":");
			otel_json_string(&w->jo, otel_text_of(set, sc->schema_url), sc->schema_url.len);
		}
		put(w, "}]");
		if (r && r->schema_url.len) {
			put(w, ",\"schemaUrl\":");
			otel_json_string(&w->jo, otel_text_of(set, r->schema_url), r->schema_url.len);
		}
		put(w, "}");
	}
	free(order);
}

static void write_otlp(struct writer *w, const struct store *store)
{
	bool lab = false, foreign = false;
	for (size_t i = 0; i < store_trace_count(store) && !(lab && foreign); i++) {
		const struct trace *t = store_trace(store, i);
		for (size_t k = 0; k < t->nspans; k++) {
			lab |= is_lab_span(t, &t->spans[k]);
			foreign |= otel_span_of(t->otel, &t->spans[k]) != NULL;
		}
	}
	put(w, "{\"resourceSpans\":[");
	bool first = true;
	if (lab || !foreign) {
		otlp_lab_spans(w, store);
		first = false;
	}
	for (size_t i = 0; i < store_trace_count(store) && !w->af.error && foreign; i++)
		otlp_foreign_trace(w, store_trace(store, i), &first);
	put(w, "]}\n");
}

bool snapshot_write_to(struct snapshot_target *target, enum snapshot_format format, const struct store *store,
                       const struct strtab *names, const struct snapshot_meta *meta,
                       const struct findings_config *findings, struct obslab_error *err)
{
	struct writer w = { .names = names, .meta = meta, .fcfg = findings };
	target->replaced = false;
	target->error = 0;
	if (format == SNAPSHOT_SQLITE)
		return snapshot_sqlite_write(target, store, names, meta, err);
	w.jo = (struct otel_json_out){ af_sink, &w.af };
	if (!atomicfile_open(&w.af, target->path, target->create_only ? ATOMICFILE_CREATE : 0, err)) {
		target->error = w.af.error;
		return false;
	}
	findings_init(&w.findings);
	query_names_init(&w.memo);
	switch (format) {
	case SNAPSHOT_NATIVE: write_native(&w, store); break;
	case SNAPSHOT_OTLP: write_otlp(&w, store); break;
	case SNAPSHOT_CHROME: snapshot_chrome_write(&w, store); break;
	case SNAPSHOT_SQLITE: break;
	}
	findings_free(&w.findings);
	otel_bases_free(&w.bases);
	bool ok = atomicfile_commit(&w.af, err);
	target->replaced = w.af.replaced;
	target->error = ok ? 0 : w.af.error;
	return ok;
}

bool snapshot_write(const char *path, enum snapshot_format format, const struct store *store,
                    const struct strtab *names, const struct snapshot_meta *meta,
                    const struct findings_config *findings, struct obslab_error *err)
{
	struct snapshot_target target = { .path = path };
	return snapshot_write_to(&target, format, store, names, meta, findings, err);
}
