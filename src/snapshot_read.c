#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "obslab/jsonpull.h"
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
	const struct jp *jp; /* when the parser has failed, its message is the one to give */
	struct raw *spans;
	size_t n, cap;
	char *err;
	size_t cap_err;
};

static bool fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct reader *r, const char *fmt, ...)
{
	if (r->jp && r->jp->failed)
		return false;
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



/* ---- reading spans with the pull parser ------------------------------------------ */

/* Copies a string value into buf (cut to cap - 1); false if it was not a string. */
static bool take_string(struct jp *jp, char *buf, size_t cap)
{
	const char *s;
	size_t len;
	if (jp_peek(jp) != JP_STRING) {
		jp_skip(jp);
		return false;
	}
	if (!jp_string(jp, &s, &len))
		return false;
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

/* The fields a span can have, in either format, before they are checked. */
struct fields {
	char span_id[40], parent[40], trace_id[72], name[NAME_MAX_BYTES], kind[16], status[16];
	bool has_span_id, has_name, has_kind, parent_bad;
	int64_t start, end;
	bool start_ok, end_ok;
	bool db;             /* a database span */
	char sql[NAME_MAX_BYTES];
	bool has_sql;
	int64_t counters[6]; /* rows, net_wait_ns, fullscan_steps, sort_ops, autoindex_rows, vm_steps */
	int64_t otlp_kind;
	bool kind_bad;
	char strategy[16], error_type[16];
	int64_t users, status_code;
	bool index;
};

static const char *const counter_keys[6] = { "rows", "net_wait_ns", "fullscan_steps", "sort_ops", "autoindex_rows", "vm_steps" };
static const char *const otlp_counter_keys[6] = { "db.response.returned_rows", "obslab.net_wait_ns", "obslab.db.fullscan_steps",
	                                          "obslab.db.sort_ops", "obslab.db.autoindex_rows", "obslab.db.vm_steps" };

static void take_parent(struct jp *jp, struct fields *f)
{
	enum jp_type t = jp_peek(jp);
	if (t == JP_STRING)
		take_string(jp, f->parent, sizeof f->parent);
	else if (t == JP_NULL)
		jp_skip(jp);
	else {
		f->parent_bad = true;
		jp_skip(jp);
	}
}

/* The span, checked and added; its trace id and root attributes may still be
 * set by the caller. */
static bool add_span(struct reader *r, const struct fields *f, bool native, const char *where)
{
	if (native && (!f->has_name || !f->has_kind))
		return fail(r, "%s: a span needs a name and a kind (strings)", where);
	if (!native && !f->has_name)
		return fail(r, "%s: a span needs a name (string)", where);
	struct raw *s = new_span(r);
	if (!f->has_span_id || !hex_u64(f->span_id, &s->rec.span_id) || s->rec.span_id == 0)
		return fail(r, "%s: the span id must be 16 hex digits, not all zero", where);
	if (f->parent_bad || (f->parent[0] && !hex_u64(f->parent, &s->rec.parent_id)))
		return fail(r, "%s: the parent span id must be 16 hex digits", where);
	if (!f->start_ok || !f->end_ok)
		return fail(r, "%s: times must be nanoseconds since 1970 as whole numbers, 0 to 2^63-1", where);
	if (f->end < f->start)
		return fail(r, "%s: the span ends before it starts", where);
	if (f->kind_bad)
		return fail(r, "%s: kind must be a number from 0 to 5", where);
	if (!native && f->trace_id[0] &&
	    (!hex_bytes(f->trace_id, s->trace_id, SPAN_TRACE_ID_LEN) || all_zero(s->trace_id, SPAN_TRACE_ID_LEN)))
		return fail(r, "%s: the trace id must be 32 hex digits, not all zero", where);
	if (!native && !f->trace_id[0])
		return fail(r, "%s: the trace id must be 32 hex digits, not all zero", where);
	s->rec.start_ns = f->start;
	s->rec.end_ns = f->end;
	if (native) {
		s->rec.kind = strcmp(f->kind, "server") == 0 ? SPAN_KIND_SERVER
		            : strcmp(f->kind, "client") == 0 ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL;
		s->rec.flags |= strcmp(f->status, "cancelled") == 0 ? SPAN_F_CANCELLED
		              : strcmp(f->status, "error") == 0    ? SPAN_F_ERROR : 0;
	} else {
		int64_t k = f->otlp_kind;
		s->rec.kind = k == SPAN_KIND_SERVER || k == 4 ? SPAN_KIND_SERVER
		            : k == SPAN_KIND_CLIENT || k == 5 ? SPAN_KIND_CLIENT : SPAN_KIND_INTERNAL;
		if (strcmp(f->error_type, "cancelled") == 0)
			s->rec.flags |= SPAN_F_CANCELLED;
		else if (f->error_type[0] || f->status_code == 2)
			s->rec.flags |= SPAN_F_ERROR;
	}
	if (f->db) {
		s->rec.flags |= SPAN_F_DB;
		s->rec.name = intern_name(r, f->has_sql ? f->sql : f->name, true);
		s->rec.u.db.rows = u32_of(f->counters[0]);
		s->rec.u.db.net_wait_ns = u32_of(f->counters[1]);
		s->rec.u.db.fullscan_steps = u32_of(f->counters[2]);
		s->rec.sort_ops = (uint8_t)(f->counters[3] > 255 ? 255 : f->counters[3]);
		s->rec.u.db.autoindex = u32_of(f->counters[4]);
		s->rec.u.db.vm_steps = u32_of(f->counters[5]);
	} else {
		s->rec.name = intern_name(r, f->name, false);
		enum strategy st;
		if (f->strategy[0] && strategy_parse(f->strategy, &st))
			s->rec.strategy = (uint8_t)st;
		s->rec.u.root.users = u32_of(f->users);
		if (f->index)
			s->rec.flags |= SPAN_F_INDEX;
	}
	return true;
}

/* ---- native ----------------------------------------------------------------------- */

static bool native_db(struct reader *r, struct jp *jp, struct fields *f, const char *where)
{
	if (jp_peek(jp) != JP_OBJECT)
		return jp_skip(jp);
	f->db = true;
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		int i = 0;
		while (i < 6 && !jp_key_is(key, len, counter_keys[i]))
			i++;
		if (i == 6) {
			jp_skip(jp);
		} else if (!jp_whole(jp, INT64_MAX, &f->counters[i]) && !jp->failed) {
			return fail(r, "%s: db.%s must be a whole number >= 0", where, counter_keys[i]);
		}
	}
	return !jp->failed;
}

static bool native_span(struct reader *r, struct jp *jp, const char *where)
{
	static struct fields f; /* large; one span at a time */
	memset(&f, 0, sizeof f);
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return fail(r, "%s: a span needs a name and a kind (strings)", where);
	}
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (jp_key_is(key, len, "span_id"))
			f.has_span_id = take_string(jp, f.span_id, sizeof f.span_id);
		else if (jp_key_is(key, len, "parent_span_id"))
			take_parent(jp, &f);
		else if (jp_key_is(key, len, "name"))
			f.has_name = take_string(jp, f.name, sizeof f.name);
		else if (jp_key_is(key, len, "kind"))
			f.has_kind = take_string(jp, f.kind, sizeof f.kind);
		else if (jp_key_is(key, len, "start_unix_ns"))
			f.start_ok = jp_whole(jp, INT64_MAX, &f.start);
		else if (jp_key_is(key, len, "end_unix_ns"))
			f.end_ok = jp_whole(jp, INT64_MAX, &f.end);
		else if (jp_key_is(key, len, "status"))
			take_string(jp, f.status, sizeof f.status);
		else if (jp_key_is(key, len, "db")) {
			if (!native_db(r, jp, &f, where))
				return false;
		} else
			jp_skip(jp);
	}
	return !jp->failed && add_span(r, &f, true, where);
}

struct trace_fields {
	char trace_id[72], strategy[16];
	int64_t users;
	bool has_id, has_spans, index;
};

static bool native_trace(struct reader *r, struct jp *jp, int ti)
{
	struct trace_fields t = { 0 };
	size_t first = r->n;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return fail(r, "traces[%d]: a trace needs a trace_id (string) and spans (array)", ti);
	}
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (jp_key_is(key, len, "trace_id"))
			t.has_id = take_string(jp, t.trace_id, sizeof t.trace_id);
		else if (jp_key_is(key, len, "strategy"))
			take_string(jp, t.strategy, sizeof t.strategy);
		else if (jp_key_is(key, len, "users"))
			jp_whole(jp, UINT32_MAX, &t.users);
		else if (jp_key_is(key, len, "index"))
			jp_bool(jp, &t.index);
		else if (jp_key_is(key, len, "spans") && jp_peek(jp) == JP_ARRAY) {
			t.has_spans = true;
			jp_array(jp);
			for (int si = 0; jp_item(jp); si++) {
				char where[64];
				snprintf(where, sizeof where, "traces[%d].spans[%d]", ti, si);
				if (!native_span(r, jp, where))
					return false;
			}
		} else
			jp_skip(jp);
	}
	if (jp->failed)
		return false;
	if (!t.has_id || !t.has_spans)
		return fail(r, "traces[%d]: a trace needs a trace_id (string) and spans (array)", ti);
	uint8_t id[SPAN_TRACE_ID_LEN];
	if (!hex_bytes(t.trace_id, id, SPAN_TRACE_ID_LEN) || all_zero(id, SPAN_TRACE_ID_LEN))
		return fail(r, "traces[%d]: the trace id must be 32 hex digits, not all zero", ti);
	/* The trace's id, and its settings on its root, whatever the key order was. */
	enum strategy st = STRATEGY_NAIVE;
	bool has_strategy = t.strategy[0] && strategy_parse(t.strategy, &st);
	for (size_t i = first; i < r->n; i++) {
		struct raw *s = &r->spans[i];
		memcpy(s->trace_id, id, SPAN_TRACE_ID_LEN);
		if (s->rec.parent_id == 0 && !(s->rec.flags & SPAN_F_DB)) {
			if (has_strategy)
				s->rec.strategy = (uint8_t)st;
			s->rec.u.root.users = u32_of(t.users);
			if (t.index)
				s->rec.flags |= SPAN_F_INDEX;
		}
	}
	return true;
}

static void native_settings(struct jp *jp, struct snapshot_meta *meta)
{
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return;
	}
	meta->has_settings = true;
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		int64_t v;
		char st[16];
		if (jp_key_is(key, len, "strategy") && take_string(jp, st, sizeof st))
			strategy_parse(st, &meta->settings.strategy);
		else if (jp_key_is(key, len, "users") && jp_whole(jp, UINT32_MAX, &v))
			meta->settings.users = (uint32_t)v;
		else if (jp_key_is(key, len, "rtt_us") && jp_whole(jp, UINT32_MAX, &v))
			meta->settings.rtt_us = (uint32_t)v;
		else if (jp_key_is(key, len, "index"))
			jp_bool(jp, &meta->settings.index);
		else if (!jp->failed)
			jp_skip(jp);
	}
}

/* ---- OTLP/JSON --------------------------------------------------------------------- */

/* Copies src into dst, cut to fit: the short fields hold short words. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* One attribute, {"key": ..., "value": {...}}, kept if it is one obslab reads. */
static void otlp_attribute(struct jp *jp, struct fields *f)
{
	static char text[NAME_MAX_BYTES]; /* one attribute at a time */
	char key[64] = "";
	text[0] = '\0';
	int64_t integer = 0;
	bool boolean = false, has_text = false, has_int = false;
	const char *k;
	size_t len;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return;
	}
	jp_object(jp);
	while (jp_key(jp, &k, &len)) {
		if (jp_key_is(k, len, "key")) {
			take_string(jp, key, sizeof key);
		} else if (jp_key_is(k, len, "value") && jp_peek(jp) == JP_OBJECT) {
			const char *vk;
			size_t vlen;
			jp_object(jp);
			while (jp_key(jp, &vk, &vlen)) {
				if (jp_key_is(vk, vlen, "stringValue") && (!key[0] || strncmp(key, "db.", 3) == 0 ||
				                                           strncmp(key, "obslab.", 7) == 0 ||
				                                           strcmp(key, "error.type") == 0))
					has_text = take_string(jp, text, sizeof text); /* wanted, or not known yet */
				else if (jp_key_is(vk, vlen, "intValue"))
					has_int = jp_whole(jp, INT64_MAX, &integer);
				else if (jp_key_is(vk, vlen, "boolValue"))
					jp_bool(jp, &boolean);
				else
					jp_skip(jp);
			}
		} else {
			jp_skip(jp);
		}
	}
	if (has_text && (strcmp(key, "db.system.name") == 0 || strcmp(key, "db.system") == 0))
		f->db = true;
	else if (has_text && (strcmp(key, "db.query.text") == 0 || (strcmp(key, "db.statement") == 0 && !f->has_sql))) {
		f->db = true;
		f->has_sql = true;
		memcpy(f->sql, text, sizeof f->sql);
	} else if (has_text && strcmp(key, "obslab.strategy") == 0)
		copy_cut(f->strategy, sizeof f->strategy, text);
	else if (has_text && strcmp(key, "error.type") == 0)
		copy_cut(f->error_type, sizeof f->error_type, text);
	else if (has_int && strcmp(key, "obslab.users") == 0)
		f->users = integer;
	else if (strcmp(key, "obslab.index") == 0)
		f->index = boolean;
	else if (has_int)
		for (int i = 0; i < 6; i++)
			if (strcmp(key, otlp_counter_keys[i]) == 0)
				f->counters[i] = integer;
}

static bool otlp_span(struct reader *r, struct jp *jp, const char *where)
{
	static struct fields f;
	memset(&f, 0, sizeof f);
	f.otlp_kind = SPAN_KIND_INTERNAL;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return fail(r, "%s: a span needs a name (string)", where);
	}
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (jp_key_is(key, len, "traceId"))
			take_string(jp, f.trace_id, sizeof f.trace_id);
		else if (jp_key_is(key, len, "spanId"))
			f.has_span_id = take_string(jp, f.span_id, sizeof f.span_id);
		else if (jp_key_is(key, len, "parentSpanId"))
			take_parent(jp, &f);
		else if (jp_key_is(key, len, "name"))
			f.has_name = take_string(jp, f.name, sizeof f.name);
		else if (jp_key_is(key, len, "kind"))
			f.kind_bad = !jp_whole(jp, 5, &f.otlp_kind);
		else if (jp_key_is(key, len, "startTimeUnixNano"))
			f.start_ok = jp_whole(jp, INT64_MAX, &f.start);
		else if (jp_key_is(key, len, "endTimeUnixNano"))
			f.end_ok = jp_whole(jp, INT64_MAX, &f.end);
		else if (jp_key_is(key, len, "attributes")) {
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return fail(r, "%s: attributes must be an array", where);
			}
			jp_array(jp);
			while (jp_item(jp))
				otlp_attribute(jp, &f);
		} else if (jp_key_is(key, len, "status") && jp_peek(jp) == JP_OBJECT) {
			const char *sk;
			size_t slen;
			jp_object(jp);
			while (jp_key(jp, &sk, &slen))
				if (!(jp_key_is(sk, slen, "code") && jp_whole(jp, 2, &f.status_code)) && !jp->failed)
					jp_skip(jp);
		} else
			jp_skip(jp);
	}
	return !jp->failed && add_span(r, &f, false, where);
}

/* resourceSpans[] > scopeSpans[] > spans[] */
static bool read_otlp(struct reader *r, struct jp *jp)
{
	jp_array(jp);
	for (int ri = 0; jp_item(jp); ri++) {
		const char *key;
		size_t len;
		if (jp_peek(jp) != JP_OBJECT) {
			jp_skip(jp);
			continue;
		}
		jp_object(jp);
		while (jp_key(jp, &key, &len)) {
			if (!jp_key_is(key, len, "scopeSpans")) {
				jp_skip(jp);
				continue;
			}
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return fail(r, "resourceSpans[%d].scopeSpans must be an array", ri);
			}
			jp_array(jp);
			for (int si = 0; jp_item(jp); si++) {
				if (jp_peek(jp) != JP_OBJECT) {
					jp_skip(jp);
					continue;
				}
				const char *k2;
				size_t len2;
				jp_object(jp);
				while (jp_key(jp, &k2, &len2)) {
					if (!jp_key_is(k2, len2, "spans")) {
						jp_skip(jp);
						continue;
					}
					if (jp_peek(jp) != JP_ARRAY) {
						jp_skip(jp);
						return fail(r, "resourceSpans[%d].scopeSpans[%d].spans must be an array", ri, si);
					}
					jp_array(jp);
					for (int k = 0; jp_item(jp); k++) {
						char where[96];
						snprintf(where, sizeof where, "resourceSpans[%d].scopeSpans[%d].spans[%d]", ri, si, k);
						if (!otlp_span(r, jp, where))
							return false;
					}
				}
			}
		}
	}
	return !jp->failed;
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
		/* Plain ASCII without NUL, eight bytes at a time. */
		uint64_t v;
		if (len - i >= 8 && (memcpy(&v, s + i, 8), (v & UINT64_C(0x8080808080808080)) == 0) &&
		    ((v - UINT64_C(0x0101010101010101)) & ~v & UINT64_C(0x8080808080808080)) == 0) {
			i += 8;
			continue;
		}
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

/* The document's top level: which format it is, its settings, its spans. */
static bool read_document(struct reader *r, struct jp *jp)
{
	struct snapshot *out = r->out;
	if (jp_peek(jp) != JP_OBJECT) {
		if (jp_skip(jp) && jp_finish(jp))
			return fail(r, "not a snapshot: the document is not a JSON object");
		return false; /* not JSON: the parser's message */
	}
	char format[64] = "";
	double version = -1;
	bool has_format = false, native = false, otlp = false, chrome = false;
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (jp_key_is(key, len, "format")) {
			has_format = true;
			take_string(jp, format, sizeof format);
		} else if (jp_key_is(key, len, "version")) {
			jp_double(jp, &version);
		} else if (jp_key_is(key, len, "settings")) {
			native_settings(jp, &out->meta);
		} else if (jp_key_is(key, len, "dropped_spans")) {
			int64_t v;
			if (jp_whole(jp, INT64_MAX, &v))
				out->meta.dropped_spans = (uint64_t)v;
		} else if (jp_key_is(key, len, "traces")) {
			native = true;
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return fail(r, "\"traces\" must be an array");
			}
			jp_array(jp);
			for (int ti = 0; jp_item(jp); ti++)
				if (!native_trace(r, jp, ti))
					return false;
		} else if (jp_key_is(key, len, "resourceSpans")) {
			otlp = true;
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return fail(r, "\"resourceSpans\" must be an array");
			}
			if (!read_otlp(r, jp))
				return false;
		} else {
			chrome |= jp_key_is(key, len, "traceEvents");
			jp_skip(jp);
		}
	}
	if (!jp_finish(jp))
		return false;
	if (has_format || native) {
		out->format = SNAPSHOT_NATIVE;
		if (strcmp(format, SNAPSHOT_FORMAT_NAME) != 0)
			return fail(r, "\"format\" is not \"%s\": not an obslab snapshot", SNAPSHOT_FORMAT_NAME);
		if (version != SNAPSHOT_VERSION)
			return fail(r, "snapshot version %g is not one this obslab reads (%d)", version, SNAPSHOT_VERSION);
		return true;
	}
	if (otlp) {
		out->format = SNAPSHOT_OTLP;
		return true;
	}
	if (chrome)
		return fail(r, "a Chrome trace (for Perfetto): obslab opens its native snapshots and OTLP/JSON");
	return fail(r, "neither an obslab snapshot (\"format\") nor OTLP/JSON (\"resourceSpans\")");
}

bool snapshot_parse(const char *buf, size_t len, struct snapshot *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	struct reader r = { .out = out, .err = err, .cap_err = cap };
	out->names = strtab_create();
	if (!out->names)
		abort();
	err[0] = '\0';
	size_t bad = utf8_invalid_at((const unsigned char *)buf, len);
	bool ok;
	if (bad < len) {
		ok = fail(&r, "not UTF-8 text (byte %zu)", bad);
	} else {
		struct jp jp;
		jp_init(&jp, buf, len);
		r.jp = &jp;
		ok = read_document(&r, &jp);
		r.jp = NULL;
		if (!ok && jp.failed) /* the parser's own complaint */
			snprintf(err, cap, "%s", jp.error);
		jp_free(&jp);
	}
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
	/* Mapped, not read: no copy, and the pages come in at once. */
	size_t len = (size_t)st.st_size;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : NULL;
	close(fd);
	if (len && map == MAP_FAILED) {
		snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	char why[200];
	bool ok = snapshot_parse(map ? map : "", len, out, why, sizeof why);
	if (map)
		munmap(map, len);
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
