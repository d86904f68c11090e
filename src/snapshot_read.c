#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "obslab/snapshot.h"
#include "obslab/span.h"
#include "obslab/sqlfp.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define NAME_MAX_BYTES 1024

/* A span as read, before its trace is checked and assembled. */
struct raw {
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	struct span_record rec;
};

struct reader {
	struct snapshot *out;
	struct raw *spans;
	size_t n, cap;
	char *err;
	size_t cap_err;
};

static bool fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->cap_err, fmt, ap);
	va_end(ap);
	return false;
}

/* ---- values -------------------------------------------------------------------- */

static bool hex_bytes(const char *s, uint8_t *out, size_t n)
{
	if (!s || strlen(s) != 2 * n)
		return false;
	for (size_t i = 0; i < 2 * n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (v < 0)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return true;
}

static bool hex_u64(const char *s, uint64_t *out)
{
	uint8_t b[8];
	if (!hex_bytes(s, b, 8))
		return false;
	*out = 0;
	for (int i = 0; i < 8; i++)
		*out = *out << 8 | b[i];
	return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Nanoseconds since the epoch, as a decimal string (or a whole number):
 * not negative, not past INT64_MAX. */
static bool time_ns(const cJSON *v, int64_t *out)
{
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		if (!*s || strlen(s) > 19)
			return false;
		uint64_t x = 0;
		for (; *s; s++) {
			if (*s < '0' || *s > '9')
				return false;
			x = x * 10 + (uint64_t)(*s - '0');
		}
		if (x > INT64_MAX)
			return false;
		*out = (int64_t)x;
		return true;
	}
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9.2e18 &&
	    v->valuedouble == (double)(int64_t)v->valuedouble) {
		*out = (int64_t)v->valuedouble;
		return true;
	}
	return false;
}

static bool whole(const cJSON *v, int64_t max, int64_t *out)
{
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= (double)max &&
	    v->valuedouble == (double)(int64_t)v->valuedouble) {
		*out = (int64_t)v->valuedouble;
		return true;
	}
	if (cJSON_IsString(v)) { /* OTLP's intValue */
		char *end;
		errno = 0;
		long long x = strtoll(v->valuestring, &end, 10);
		if (!errno && *v->valuestring && !*end && x >= 0 && x <= max) {
			*out = x;
			return true;
		}
	}
	return false;
}

static uint32_t u32_of(int64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* A name as the string table will hold it: SQL is fingerprinted, so a
 * literal another tool left in its spans never reaches the screen. */
static uint32_t intern_name(struct reader *r, const char *s, bool sql)
{
	size_t len = strnlen(s, NAME_MAX_BYTES);
	if (!sql)
		return strtab_intern(r->out->names, s, len);
	char fp[NAME_MAX_BYTES];
	size_t n = sqlfp_normalize(s, len, fp, sizeof fp);
	return strtab_intern(r->out->names, fp, n < sizeof fp ? n : sizeof fp - 1);
}

static struct raw *new_span(struct reader *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->spans = realloc(r->spans, r->cap * sizeof *r->spans);
		if (!r->spans)
			abort(); /* out of memory */
	}
	struct raw *s = &r->spans[r->n++];
	memset(s, 0, sizeof *s);
	return s;
}

static bool ids(struct reader *r, struct raw *s, const char *trace, const char *span, const cJSON *parent,
                const char *where)
{
	if (!hex_bytes(trace, s->trace_id, SPAN_TRACE_ID_LEN) || all_zero(s->trace_id, SPAN_TRACE_ID_LEN))
		return fail(r, "%s: the trace id must be 32 hex digits, not all zero", where);
	if (!hex_u64(span, &s->rec.span_id) || s->rec.span_id == 0)
		return fail(r, "%s: the span id must be 16 hex digits, not all zero", where);
	s->rec.parent_id = 0;
	if (cJSON_IsString(parent) && parent->valuestring[0]) {
		if (!hex_u64(parent->valuestring, &s->rec.parent_id))
			return fail(r, "%s: the parent span id must be 16 hex digits", where);
	} else if (parent && !cJSON_IsNull(parent) && !cJSON_IsString(parent)) {
		return fail(r, "%s: the parent span id must be a string", where);
	}
	return true;
}

static bool times(struct reader *r, struct raw *s, const cJSON *start, const cJSON *end, const char *where)
{
	if (!time_ns(start, &s->rec.start_ns) || !time_ns(end, &s->rec.end_ns))
		return fail(r, "%s: times must be nanoseconds since 1970 as whole numbers, 0 to 2^63-1", where);
	if (s->rec.end_ns < s->rec.start_ns)
		return fail(r, "%s: the span ends before it starts", where);
	return true;
}

/* ---- native ----------------------------------------------------------------------- */

static bool native_span(struct reader *r, const cJSON *t, const cJSON *o, const char *trace_id,
                        const char *where)
{
	struct raw *s = new_span(r);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(o, "status");
	const cJSON *db = cJSON_GetObjectItemCaseSensitive(o, "db");
	if (!cJSON_IsObject(o) || !cJSON_IsString(name) || !cJSON_IsString(kind))
		return fail(r, "%s: a span needs a name and a kind (strings)", where);
	if (!ids(r, s, trace_id, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "span_id")),
	         cJSON_GetObjectItemCaseSensitive(o, "parent_span_id"), where) ||
	    !times(r, s, cJSON_GetObjectItemCaseSensitive(o, "start_unix_ns"),
	           cJSON_GetObjectItemCaseSensitive(o, "end_unix_ns"), where))
		return false;
	const char *k = kind->valuestring;
	s->rec.kind = strcmp(k, "server") == 0 ? SPAN_KIND_SERVER : strcmp(k, "client") == 0 ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL;
	if (cJSON_IsString(status))
		s->rec.flags |= strcmp(status->valuestring, "cancelled") == 0 ? SPAN_F_CANCELLED
		              : strcmp(status->valuestring, "error") == 0    ? SPAN_F_ERROR : 0;
	s->rec.name = intern_name(r, name->valuestring, cJSON_IsObject(db));
	if (cJSON_IsObject(db)) {
		int64_t v[6] = { 0 };
		static const char *const keys[6] = { "rows", "net_wait_ns", "fullscan_steps", "sort_ops", "autoindex_rows", "vm_steps" };
		for (int i = 0; i < 6; i++) {
			const cJSON *item = cJSON_GetObjectItemCaseSensitive(db, keys[i]);
			if (item && !whole(item, INT64_MAX, &v[i]))
				return fail(r, "%s: db.%s must be a whole number >= 0", where, keys[i]);
		}
		s->rec.flags |= SPAN_F_DB;
		s->rec.u.db.rows = u32_of(v[0]);
		s->rec.u.db.net_wait_ns = u32_of(v[1]);
		s->rec.u.db.fullscan_steps = u32_of(v[2]);
		s->rec.sort_ops = (uint8_t)(v[3] > 255 ? 255 : v[3]);
		s->rec.u.db.autoindex = u32_of(v[4]);
		s->rec.u.db.vm_steps = u32_of(v[5]);
	} else if (s->rec.parent_id == 0) {
		enum strategy st = STRATEGY_NAIVE;
		const char *name_st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "strategy"));
		if (name_st && strategy_parse(name_st, &st))
			s->rec.strategy = (uint8_t)st;
		int64_t users = 0;
		if (whole(cJSON_GetObjectItemCaseSensitive(t, "users"), UINT32_MAX, &users))
			s->rec.u.root.users = (uint32_t)users;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "index")))
			s->rec.flags |= SPAN_F_INDEX;
	}
	return true;
}

static bool read_native(struct reader *r, const cJSON *doc)
{
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "version");
	const char *format = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "format"));
	if (!format || strcmp(format, SNAPSHOT_FORMAT_NAME) != 0)
		return fail(r, "\"format\" is not \"%s\": not an obslab snapshot", SNAPSHOT_FORMAT_NAME);
	if (!cJSON_IsNumber(version) || version->valuedouble != SNAPSHOT_VERSION)
		return fail(r, "snapshot version %g is not one this obslab reads (%d)",
		            cJSON_IsNumber(version) ? version->valuedouble : -1.0, SNAPSHOT_VERSION);
	const cJSON *traces = cJSON_GetObjectItemCaseSensitive(doc, "traces");
	if (!cJSON_IsArray(traces))
		return fail(r, "\"traces\" must be an array");
	struct snapshot_meta *meta = &r->out->meta;
	const cJSON *settings = cJSON_GetObjectItemCaseSensitive(doc, "settings");
	if (cJSON_IsObject(settings)) {
		int64_t v;
		meta->has_settings = true;
		const char *st = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(settings, "strategy"));
		if (st)
			strategy_parse(st, &meta->settings.strategy);
		if (whole(cJSON_GetObjectItemCaseSensitive(settings, "users"), UINT32_MAX, &v))
			meta->settings.users = (uint32_t)v;
		if (whole(cJSON_GetObjectItemCaseSensitive(settings, "rtt_us"), UINT32_MAX, &v))
			meta->settings.rtt_us = (uint32_t)v;
		meta->settings.index = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(settings, "index"));
	}
	int64_t dropped;
	if (whole(cJSON_GetObjectItemCaseSensitive(doc, "dropped_spans"), INT64_MAX, &dropped))
		meta->dropped_spans = (uint64_t)dropped;
	int ti = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, traces) {
		const char *trace_id = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "trace_id"));
		const cJSON *spans = cJSON_GetObjectItemCaseSensitive(t, "spans");
		if (!cJSON_IsObject(t) || !trace_id || !cJSON_IsArray(spans))
			return fail(r, "traces[%d]: a trace needs a trace_id (string) and spans (array)", ti);
		int si = 0;
		const cJSON *o;
		cJSON_ArrayForEach(o, spans) {
			char where[64];
			snprintf(where, sizeof where, "traces[%d].spans[%d]", ti, si++);
			if (!native_span(r, t, o, trace_id, where))
				return false;
		}
		ti++;
	}
	return true;
}

/* ---- OTLP/JSON --------------------------------------------------------------------- */

static const cJSON *attr_value(const cJSON *attrs, const char *key)
{
	const cJSON *kv;
	cJSON_ArrayForEach(kv, attrs) {
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(kv, "key"));
		if (k && strcmp(k, key) == 0)
			return cJSON_GetObjectItemCaseSensitive(kv, "value");
	}
	return NULL;
}

static const char *attr_str(const cJSON *attrs, const char *key)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(attr_value(attrs, key), "stringValue"));
}

static int64_t attr_int(const cJSON *attrs, const char *key)
{
	int64_t v = 0;
	const cJSON *value = attr_value(attrs, key);
	if (!whole(cJSON_GetObjectItemCaseSensitive(value, "intValue"), INT64_MAX, &v))
		v = 0;
	return v;
}

static bool otlp_span(struct reader *r, const cJSON *o, const char *where)
{
	struct raw *s = new_span(r);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
	if (!cJSON_IsObject(o) || !cJSON_IsString(name))
		return fail(r, "%s: a span needs a name (string)", where);
	if (!ids(r, s, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "traceId")),
	         cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "spanId")),
	         cJSON_GetObjectItemCaseSensitive(o, "parentSpanId"), where) ||
	    !times(r, s, cJSON_GetObjectItemCaseSensitive(o, "startTimeUnixNano"),
	           cJSON_GetObjectItemCaseSensitive(o, "endTimeUnixNano"), where))
		return false;
	int64_t kind = SPAN_KIND_INTERNAL;
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "kind");
	if (k && !whole(k, 5, &kind))
		return fail(r, "%s: kind must be a number from 0 to 5", where);
	s->rec.kind = kind == SPAN_KIND_SERVER || kind == 4 ? SPAN_KIND_SERVER
	            : kind == SPAN_KIND_CLIENT || kind == 5 ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL;
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(o, "attributes");
	if (attrs && !cJSON_IsArray(attrs))
		return fail(r, "%s: attributes must be an array", where);
	const char *system = attr_str(attrs, "db.system.name");
	if (!system)
		system = attr_str(attrs, "db.system");
	const char *sql = attr_str(attrs, "db.query.text");
	if (!sql)
		sql = attr_str(attrs, "db.statement");
	if (system || sql) {
		s->rec.flags |= SPAN_F_DB;
		s->rec.name = intern_name(r, sql ? sql : name->valuestring, true);
		s->rec.u.db.rows = u32_of(attr_int(attrs, "db.response.returned_rows"));
		s->rec.u.db.net_wait_ns = u32_of(attr_int(attrs, "obslab.net_wait_ns"));
		s->rec.u.db.fullscan_steps = u32_of(attr_int(attrs, "obslab.db.fullscan_steps"));
		int64_t sorts = attr_int(attrs, "obslab.db.sort_ops");
		s->rec.sort_ops = (uint8_t)(sorts > 255 ? 255 : sorts);
		s->rec.u.db.autoindex = u32_of(attr_int(attrs, "obslab.db.autoindex_rows"));
		s->rec.u.db.vm_steps = u32_of(attr_int(attrs, "obslab.db.vm_steps"));
	} else {
		s->rec.name = intern_name(r, name->valuestring, false);
		enum strategy st;
		const char *strategy = attr_str(attrs, "obslab.strategy");
		if (strategy && strategy_parse(strategy, &st))
			s->rec.strategy = (uint8_t)st;
		s->rec.u.root.users = u32_of(attr_int(attrs, "obslab.users"));
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(attr_value(attrs, "obslab.index"), "boolValue")))
			s->rec.flags |= SPAN_F_INDEX;
	}
	const char *error = attr_str(attrs, "error.type");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(o, "status");
	int64_t code = 0;
	whole(cJSON_GetObjectItemCaseSensitive(status, "code"), 2, &code);
	if (error && strcmp(error, "cancelled") == 0)
		s->rec.flags |= SPAN_F_CANCELLED;
	else if (error || code == 2)
		s->rec.flags |= SPAN_F_ERROR;
	return true;
}

static bool read_otlp(struct reader *r, const cJSON *doc)
{
	const cJSON *resources = cJSON_GetObjectItemCaseSensitive(doc, "resourceSpans");
	if (!cJSON_IsArray(resources))
		return fail(r, "\"resourceSpans\" must be an array");
	int ri = 0;
	const cJSON *res;
	cJSON_ArrayForEach(res, resources) {
		const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(res, "scopeSpans");
		if (scopes && !cJSON_IsArray(scopes))
			return fail(r, "resourceSpans[%d].scopeSpans must be an array", ri);
		int si = 0;
		const cJSON *scope;
		cJSON_ArrayForEach(scope, scopes) {
			const cJSON *spans = cJSON_GetObjectItemCaseSensitive(scope, "spans");
			if (spans && !cJSON_IsArray(spans))
				return fail(r, "resourceSpans[%d].scopeSpans[%d].spans must be an array", ri, si);
			int k = 0;
			const cJSON *o;
			cJSON_ArrayForEach(o, spans) {
				char where[96];
				snprintf(where, sizeof where, "resourceSpans[%d].scopeSpans[%d].spans[%d]", ri, si, k++);
				if (!otlp_span(r, o, where))
					return false;
			}
			si++;
		}
		ri++;
	}
	return true;
}

/* ---- traces: grouped, checked, assembled ---------------------------------------------- */

static int by_trace_then_start(const void *a, const void *b)
{
	const struct raw *x = a, *y = b;
	int c = memcmp(x->trace_id, y->trace_id, SPAN_TRACE_ID_LEN);
	if (c)
		return c;
	if (x->rec.start_ns != y->rec.start_ns)
		return x->rec.start_ns < y->rec.start_ns ? -1 : 1;
	return (x->rec.span_id > y->rec.span_id) - (x->rec.span_id < y->rec.span_id);
}

struct id_index {
	uint64_t id;
	size_t at;
};

static int by_id(const void *a, const void *b)
{
	const struct id_index *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

static size_t find_id(const struct id_index *ix, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix[mid].id < id)
			lo = mid + 1;
		else if (ix[mid].id > id)
			hi = mid;
		else
			return ix[mid].at;
	}
	return SIZE_MAX;
}

/* Checks one trace's spans [first, last) and appends its records, root last. */
static bool assemble(struct reader *r, size_t first, size_t last, uint32_t seq, struct id_index *ix)
{
	size_t n = last - first;
	char trace[33];
	for (int i = 0; i < SPAN_TRACE_ID_LEN; i++)
		snprintf(trace + 2 * i, 3, "%02x", r->spans[first].trace_id[i]);
	size_t root = SIZE_MAX, roots = 0;
	for (size_t i = 0; i < n; i++) {
		ix[i] = (struct id_index){ r->spans[first + i].rec.span_id, first + i };
		if (r->spans[first + i].rec.parent_id == 0) {
			root = first + i;
			roots++;
		}
	}
	if (roots != 1)
		return fail(r, "trace %s has %zu root spans; it needs exactly one", trace, roots);
	qsort(ix, n, sizeof *ix, by_id);
	for (size_t i = 1; i < n; i++)
		if (ix[i].id == ix[i - 1].id)
			return fail(r, "trace %s: span id %016" PRIx64 " appears twice", trace, ix[i].id);
	for (size_t i = first; i < last; i++) {
		const struct span_record *s = &r->spans[i].rec;
		if (i == root)
			continue;
		size_t p = find_id(ix, n, s->parent_id);
		if (p == SIZE_MAX)
			return fail(r, "trace %s: span %016" PRIx64 "'s parent %016" PRIx64 " is not in the file", trace,
			            s->span_id, s->parent_id);
		const struct span_record *parent = &r->spans[p].rec;
		if (s->start_ns < parent->start_ns || s->end_ns > parent->end_ns)
			return fail(r, "trace %s: span %016" PRIx64 " runs outside its parent %016" PRIx64, trace, s->span_id,
			            parent->span_id);
	}
	/* Every span reaches the root within SNAPSHOT_MAX_DEPTH steps. Walking up
	 * with a second pointer at twice the pace tells a cycle (they meet)
	 * from mere depth, in bounded time. */
	for (size_t i = first; i < last; i++) {
		size_t slow = i, fast = i;
		int depth = 0;
		while (slow != root && depth <= SNAPSHOT_MAX_DEPTH) {
			slow = find_id(ix, n, r->spans[slow].rec.parent_id);
			for (int k = 0; k < 2 && fast != root; k++)
				fast = find_id(ix, n, r->spans[fast].rec.parent_id);
			depth++;
			if (slow == fast && slow != root)
				return fail(r, "trace %s: span %016" PRIx64 "'s parents form a cycle", trace,
				            r->spans[i].rec.span_id);
		}
		if (slow != root)
			return fail(r, "trace %s: span %016" PRIx64 "'s parents nest deeper than %d levels", trace,
			            r->spans[i].rec.span_id, SNAPSHOT_MAX_DEPTH);
	}
	struct snapshot *out = r->out;
	for (size_t i = first; i < last; i++) {
		if (i == root)
			continue;
		r->spans[i].rec.trace_seq = seq;
		out->records[out->nrecords++] = r->spans[i].rec;
	}
	struct span_record rec = r->spans[root].rec;
	rec.trace_seq = seq;
	memcpy(rec.u.root.trace_id, r->spans[root].trace_id, SPAN_TRACE_ID_LEN);
	out->records[out->nrecords++] = rec;
	return true;
}

struct group {
	size_t first, last;
	int64_t start; /* the trace's earliest span: its order in the file's story */
};

static int by_start(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (x->first > y->first) - (x->first < y->first);
}

/* Groups the spans by trace, then assembles the traces in time order. */
static bool assemble_all(struct reader *r)
{
	qsort(r->spans, r->n, sizeof *r->spans, by_trace_then_start);
	struct snapshot *out = r->out;
	out->records = malloc((r->n ? r->n : 1) * sizeof *out->records);
	struct id_index *ix = malloc((r->n ? r->n : 1) * sizeof *ix);
	struct group *groups = malloc((r->n ? r->n : 1) * sizeof *groups);
	if (!out->records || !ix || !groups)
		abort();
	size_t ngroups = 0;
	for (size_t first = 0; first < r->n;) {
		size_t last = first + 1;
		while (last < r->n && memcmp(r->spans[last].trace_id, r->spans[first].trace_id, SPAN_TRACE_ID_LEN) == 0)
			last++;
		groups[ngroups++] = (struct group){ first, last, r->spans[first].rec.start_ns };
		first = last;
	}
	qsort(groups, ngroups, sizeof *groups, by_start);
	bool ok = true;
	for (size_t g = 0; ok && g < ngroups; g++)
		ok = assemble(r, groups[g].first, groups[g].last, (uint32_t)++out->ntraces, ix);
	free(groups);
	free(ix);
	return ok;
}

/* ---- entry points --------------------------------------------------------------------- */

/* Offset of the first byte that is not well-formed UTF-8 (or is NUL), or len. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (c == 0 || n == 0 || (n == 2 && c < 0xc2) || i + n > len)
			return i;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		if ((n == 3 && c == 0xe0 && s[i + 1] < 0xa0) || (n == 4 && c == 0xf0 && s[i + 1] < 0x90) ||
		    (n == 4 && c > 0xf4) || (n == 3 && c == 0xed && s[i + 1] >= 0xa0))
			return i; /* overlong, past U+10FFFF, or a surrogate */
		i += n;
	}
	return len;
}

bool snapshot_parse(const char *buf, size_t len, struct snapshot *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	struct reader r = { .out = out, .err = err, .cap_err = cap };
	out->names = strtab_create();
	if (!out->names)
		abort();
	size_t bad = utf8_invalid_at((const unsigned char *)buf, len);
	if (bad < len) {
		fail(&r, "not UTF-8 text (byte %zu)", bad);
		snapshot_free(out);
		return false;
	}
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
	bool ok;
	if (!doc) {
		size_t at = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
		ok = fail(&r, "not valid JSON (at byte %zu of %zu%s)", at, len, at + 1 >= len ? ": the file ends early" : "");
	} else {
		while (end < buf + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
			end++;
		if (end < buf + len)
			ok = fail(&r, "not valid JSON: more data after the document (byte %zu)", (size_t)(end - buf));
		else if (!cJSON_IsObject(doc))
			ok = fail(&r, "not a snapshot: the document is not a JSON object");
		else if (cJSON_GetObjectItemCaseSensitive(doc, "format")) {
			out->format = SNAPSHOT_NATIVE;
			ok = read_native(&r, doc);
		} else if (cJSON_GetObjectItemCaseSensitive(doc, "resourceSpans")) {
			out->format = SNAPSHOT_OTLP;
			ok = read_otlp(&r, doc);
		} else if (cJSON_GetObjectItemCaseSensitive(doc, "traceEvents")) {
			ok = fail(&r, "a Chrome trace (for Perfetto): obslab opens its native snapshots and OTLP/JSON");
		} else {
			ok = fail(&r, "neither an obslab snapshot (\"format\") nor OTLP/JSON (\"resourceSpans\")");
		}
	}
	cJSON_Delete(doc);
	if (ok && r.n == 0)
		ok = fail(&r, "the file holds no spans");
	if (ok)
		ok = assemble_all(&r);
	free(r.spans);
	if (!ok)
		snapshot_free(out);
	return ok;
}

bool snapshot_read(const char *path, struct snapshot *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, cap, "%s is not a regular file", path);
		return false;
	}
	if ((uint64_t)st.st_size > SNAPSHOT_MAX_FILE) {
		close(fd);
		snprintf(err, cap, "%s is too large (%lld MiB; obslab opens files up to %u MiB)", path,
		         (long long)(st.st_size >> 20), SNAPSHOT_MAX_FILE >> 20);
		return false;
	}
	size_t len = (size_t)st.st_size;
	char *buf = malloc(len + 1);
	if (!buf)
		abort();
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	char why[200];
	bool ok = snapshot_parse(buf, got, out, why, sizeof why);
	free(buf);
	if (!ok)
		snprintf(err, cap, "%s: %s", path, why);
	return ok;
}

void snapshot_free(struct snapshot *s)
{
	strtab_destroy(s->names);
	free(s->records);
	memset(s, 0, sizeof *s);
}

struct store *snapshot_store(const struct snapshot *s)
{
	struct store *store = store_create((struct store_limits){ .max_traces = s->ntraces ? s->ntraces : 1,
	                                                          .max_spans = SIZE_MAX });
	if (!store)
		abort();
	store_ingest(store, s->records, s->nrecords);
	return store;
}
