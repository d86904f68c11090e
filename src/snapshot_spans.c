/* Spans from native snapshots and OTLP/JSON, read field by field with the
 * pull parser, checked, and added to the reader. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/attrs.h"
#include "obslab/duration.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"
#include "obslab/xalloc.h"
#include "snapshot_reader.h"

/* ---- values -------------------------------------------------------------------- */

bool reader_hex_bytes(const char *s, uint8_t *out, size_t n)
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
	if (!reader_hex_bytes(s, b, 8))
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

static uint32_t u32_of(int64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* The value the parser has just passed over, [at, jp->p), for a message:
 * short, and in plain printable ASCII whatever the file holds. */
static void value_text(const struct jp *jp, const char *at, char *buf, size_t cap)
{
	size_t len = at && jp->p > at ? (size_t)(jp->p - at) : 0, o = 0;
	bool cut = len > 40;
	if (cut)
		len = 37;
	for (size_t i = 0; i < len && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)at[i];
		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (cut)
		for (int i = 0; i < 3 && o + 1 < cap; i++)
			buf[o++] = '.';
	buf[o] = '\0';
}

/* Any value that is not a whole number in [0, max] is refused, named with
 * where it is and what it held: "settings.rtt_us must be microseconds, a
 * whole number from 0 to 4294967295, got -1". */
bool reader_whole(struct reader *r, struct jp *jp, int64_t max, int64_t *out, const char *where, const char *field,
                  const char *rule)
{
	if (jp_peek(jp) == JP_NONE)
		return jp_whole(jp, max, out); /* the parser's own complaint */
	const char *at = jp->p;
	if (jp_whole(jp, max, out))
		return true;
	if (jp->failed)
		return false;
	char got[48];
	value_text(jp, at, got, sizeof got);
	if (max == DURATION_MAX_TIME_NS)
		return reader_fail(r, "%s%s%s must be %s, a whole number from 0 to 2^62, got %s", where ? where : "",
		                   where ? ": " : "", field, rule ? rule : "a time", got);
	return reader_fail(r, "%s%s%s must be %s%sa whole number from 0 to %" PRId64 ", got %s", where ? where : "",
	                   where ? ": " : "", field, rule ? rule : "", rule ? ", " : "", max, got);
}

/* A value of the wrong type or out of its set: one line saying what it must be. */
static bool wrong_value(struct reader *r, struct jp *jp, const char *at, const char *where, const char *field,
                        const char *must)
{
	if (jp->failed)
		return false;
	char got[48];
	value_text(jp, at, got, sizeof got);
	return reader_fail(r, "%s%s%s must be %s, got %s", where ? where : "", where ? ": " : "", field, must, got);
}

/* A strategy's name, or a refusal. */
static bool take_strategy(struct reader *r, struct jp *jp, const char *where, const char *field, enum strategy *out)
{
	jp_peek(jp);
	const char *at = jp->p;
	char name[16];
	if (reader_take_string(jp, name, sizeof name) && strategy_parse(name, out))
		return true;
	return wrong_value(r, jp, at, where, field, "\"naive\", \"optimized\" or \"eager\"");
}

static bool take_bool(struct reader *r, struct jp *jp, const char *where, const char *field, bool *out)
{
	jp_peek(jp);
	const char *at = jp->p;
	if (jp_bool(jp, out))
		return true;
	return wrong_value(r, jp, at, where, field, "true or false");
}

static uint32_t intern_name(struct reader *r, const char *s)
{
	return strtab_intern(r->out->names, s, strnlen(s, NAME_MAX_BYTES));
}

/* A database span's name: its SQL fingerprinted in the dialect its
 * db.system names (any dialect when none), so no literal another tool left
 * in its spans is kept: not on screen, not in an export. */
static uint32_t intern_sql(struct reader *r, const char *sql, enum sqlfp_dialect dialect)
{
	return sqlfp_intern_dialect(r->out->names, sql, strnlen(sql, NAME_MAX_BYTES), dialect);
}

static struct raw *new_span(struct reader *r)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->spans = xrealloc_array(r->spans, r->cap, sizeof *r->spans);
	}
	struct raw *s = &r->spans[r->n++];
	memset(s, 0, sizeof *s);
	return s;
}



/* ---- reading spans with the pull parser ------------------------------------------ */

/* Copies a string value into buf (cut to at most cap - 1 bytes, between
 * characters); false if it was not a string. */
bool reader_take_string(struct jp *jp, char *buf, size_t cap)
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
		len = utf8_cut(s, cap - 1);
	memcpy(buf, s, len);
	buf[len] = '\0';
	return true;
}

/* The fields a span can have, in either format, before they are checked. */
struct span_fields {
	char span_id[40], parent[40], trace_id[72], name[NAME_MAX_BYTES], kind[16], status[16];
	bool has_span_id, has_name, has_kind, parent_bad;
	int64_t start, end;
	bool start_ok, end_ok;
	bool db;             /* a database span */
	char sql[NAME_MAX_BYTES];
	bool has_sql;
	enum sqlfp_dialect dialect; /* as db.system(.name) say, the span's and its resource's */
	bool has_dialect;
	int64_t counters[6]; /* rows, net_wait_ns, fullscan_steps, sort_ops, autoindex_rows, vm_steps */
	int64_t otlp_kind;
	bool kind_bad;
	char strategy[16], error_type[16];
	int64_t users, status_code;
	bool index, db_changed;
	char attr_text[NAME_MAX_BYTES]; /* OTLP: the attribute being read */
};

/* The reader's one span_fields, cleared for the next span: large, so kept
 * in the reader (not on the stack, not in a static) and reused. */
static struct span_fields *fresh_fields(struct reader *r)
{
	if (!r->fields)
		r->fields = xmalloc(sizeof *r->fields);
	memset(r->fields, 0, sizeof *r->fields);
	return r->fields;
}

static const char *const counter_keys[6] = { "rows", "net_wait_ns", "fullscan_steps", "sort_ops", "autoindex_rows", "vm_steps" };
static const char *const otlp_counter_keys[6] = { ATTR_KEY_DB_ROWS, ATTR_KEY_NET_WAIT_NS, ATTR_KEY_DB_FULLSCAN_STEPS,
	                                          ATTR_KEY_DB_SORT_OPS, ATTR_KEY_DB_AUTOINDEX_ROWS, ATTR_KEY_DB_VM_STEPS };

static void take_parent(struct jp *jp, struct span_fields *f)
{
	enum jp_type t = jp_peek(jp);
	if (t == JP_STRING)
		reader_take_string(jp, f->parent, sizeof f->parent);
	else if (t == JP_NULL)
		jp_skip(jp);
	else {
		f->parent_bad = true;
		jp_skip(jp);
	}
}

/* The span, checked and added; its trace id and root attributes may still be
 * set by the caller. */
static bool add_span(struct reader *r, const struct span_fields *f, bool native, const char *where)
{
	if (native && (!f->has_name || !f->has_kind))
		return reader_fail(r, "%s: a span needs a name and a kind (strings)", where);
	if (!native && !f->has_name)
		return reader_fail(r, "%s: a span needs a name (string)", where);
	struct raw *s = new_span(r);
	if (!f->has_span_id || !hex_u64(f->span_id, &s->rec.span_id) || s->rec.span_id == 0)
		return reader_fail(r, "%s: the span id must be 16 hex digits, not all zero", where);
	if (f->parent_bad || (f->parent[0] && !hex_u64(f->parent, &s->rec.parent_id)))
		return reader_fail(r, "%s: the parent span id must be 16 hex digits", where);
	if (!f->start_ok || !f->end_ok)
		return reader_fail(r, "%s: a span needs its start and end times (nanoseconds since 1970)", where);
	if (f->end < f->start)
		return reader_fail(r, "%s: the span ends before it starts (start %" PRId64 ", end %" PRId64 ")", where, f->start,
		                   f->end);
	if (f->db && f->counters[1] > f->end - f->start)
		return reader_fail(r, "%s: the network wait (%" PRId64 " ns) is longer than the span (%" PRId64 " ns)", where,
		                   f->counters[1], f->end - f->start);
	if (f->kind_bad)
		return reader_fail(r, "%s: kind must be a number from 0 to 5", where);
	if (!native && f->trace_id[0] &&
	    (!reader_hex_bytes(f->trace_id, s->trace_id, SPAN_TRACE_ID_LEN) || all_zero(s->trace_id, SPAN_TRACE_ID_LEN)))
		return reader_fail(r, "%s: the trace id must be 32 hex digits, not all zero", where);
	if (!native && !f->trace_id[0])
		return reader_fail(r, "%s: the trace id must be 32 hex digits, not all zero", where);
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
		s->rec.name = intern_sql(r, f->has_sql ? f->sql : f->name, f->has_dialect ? f->dialect : SQLFP_ANY);
		s->rec.u.db.rows = u32_of(f->counters[0]);
		s->rec.u.db.net_wait_ns = u32_of(f->counters[1]);
		s->rec.u.db.fullscan_steps = u32_of(f->counters[2]);
		s->rec.sort_ops = (uint8_t)(f->counters[3] > 255 ? 255 : f->counters[3]);
		s->rec.u.db.autoindex = u32_of(f->counters[4]);
		s->rec.u.db.vm_steps = u32_of(f->counters[5]);
	} else {
		s->rec.name = intern_name(r, f->name);
		enum strategy st;
		if (f->strategy[0] && strategy_parse(f->strategy, &st))
			s->rec.strategy = (uint8_t)st;
		s->rec.u.root.users = u32_of(f->users);
		if (f->index)
			s->rec.flags |= SPAN_F_INDEX;
		if (f->db_changed)
			s->rec.flags |= SPAN_F_DB_CHANGED;
	}
	return true;
}

/* ---- native ----------------------------------------------------------------------- */

static bool native_db(struct reader *r, struct jp *jp, struct span_fields *f, const char *where)
{
	if (jp_peek(jp) == JP_NULL)
		return jp_skip(jp); /* not a database span */
	if (jp_peek(jp) != JP_OBJECT) {
		const char *at = jp->p;
		jp_skip(jp);
		return wrong_value(r, jp, at, where, "db", "an object");
	}
	f->db = true;
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		int i = 0;
		while (i < 6 && !jp_key_is(key, len, counter_keys[i]))
			i++;
		char field[32];
		snprintf(field, sizeof field, "db.%s", i < 6 ? counter_keys[i] : "");
		if (i == 6)
			jp_skip(jp);
		else if (!reader_whole(r, jp, UINT32_MAX, &f->counters[i], where, field, NULL))
			return false;
	}
	return !jp->failed;
}

static bool native_span(struct reader *r, struct jp *jp, const char *where)
{
	struct span_fields *f = fresh_fields(r);
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_fail(r, "%s: a span needs a name and a kind (strings)", where);
	}
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (jp_key_is(key, len, "span_id"))
			f->has_span_id = reader_take_string(jp, f->span_id, sizeof f->span_id);
		else if (jp_key_is(key, len, "parent_span_id"))
			take_parent(jp, f);
		else if (jp_key_is(key, len, "name"))
			f->has_name = reader_take_string(jp, f->name, sizeof f->name);
		else if (jp_key_is(key, len, "kind"))
			f->has_kind = reader_take_string(jp, f->kind, sizeof f->kind);
		else if (jp_key_is(key, len, "start_unix_ns") || jp_key_is(key, len, "end_unix_ns")) {
			bool start = jp_key_is(key, len, "start_unix_ns");
			if (!reader_whole(r, jp, DURATION_MAX_TIME_NS, start ? &f->start : &f->end, where,
			                  start ? "start_unix_ns" : "end_unix_ns", "nanoseconds since 1970"))
				return false;
			*(start ? &f->start_ok : &f->end_ok) = true;
		} else if (jp_key_is(key, len, "status")) {
			jp_peek(jp);
			const char *at = jp->p;
			if (!reader_take_string(jp, f->status, sizeof f->status))
				return wrong_value(r, jp, at, where, "status", "a string (\"ok\", \"error\" or \"cancelled\")");
		} else if (jp_key_is(key, len, "db")) {
			if (!native_db(r, jp, f, where))
				return false;
		} else
			jp_skip(jp);
	}
	return !jp->failed && add_span(r, f, true, where);
}

struct trace_fields {
	char trace_id[72];
	enum strategy strategy;
	int64_t users;
	bool has_id, has_spans, has_strategy, index;
};

bool reader_native_trace(struct reader *r, struct jp *jp, int ti)
{
	struct trace_fields t = { 0 };
	size_t first = r->n;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_fail(r, "traces[%d]: a trace needs a trace_id (string) and spans (array)", ti);
	}
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (jp_key_is(key, len, "trace_id"))
			t.has_id = reader_take_string(jp, t.trace_id, sizeof t.trace_id);
		else if (jp_key_is(key, len, "strategy") || jp_key_is(key, len, "users") || jp_key_is(key, len, "index")) {
			char field[48];
			snprintf(field, sizeof field, "traces[%d].%.*s", ti, (int)len, key);
			bool ok = key[0] == 's'   ? take_strategy(r, jp, NULL, field, &t.strategy)
			        : key[0] == 'u' ? reader_whole(r, jp, UINT32_MAX, &t.users, NULL, field, "a count of users")
			                        : take_bool(r, jp, NULL, field, &t.index);
			if (!ok)
				return false;
			t.has_strategy |= key[0] == 's';
		} else if (jp_key_is(key, len, "spans") && jp_peek(jp) == JP_ARRAY) {
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
		return reader_fail(r, "traces[%d]: a trace needs a trace_id (string) and spans (array)", ti);
	uint8_t id[SPAN_TRACE_ID_LEN];
	if (!reader_hex_bytes(t.trace_id, id, SPAN_TRACE_ID_LEN) || all_zero(id, SPAN_TRACE_ID_LEN))
		return reader_fail(r, "traces[%d]: the trace id must be 32 hex digits, not all zero", ti);
	/* The trace's id, and its settings on its root, whatever the key order was. */
	for (size_t i = first; i < r->n; i++) {
		struct raw *s = &r->spans[i];
		memcpy(s->trace_id, id, SPAN_TRACE_ID_LEN);
		if (s->rec.parent_id == 0 && !(s->rec.flags & SPAN_F_DB)) {
			if (t.has_strategy)
				s->rec.strategy = (uint8_t)t.strategy;
			s->rec.u.root.users = u32_of(t.users);
			if (t.index)
				s->rec.flags |= SPAN_F_INDEX;
		}
	}
	return true;
}

bool reader_native_settings(struct reader *r, struct jp *jp, struct snapshot_meta *meta)
{
	if (jp_peek(jp) != JP_OBJECT) {
		const char *at = jp->p;
		jp_skip(jp);
		return wrong_value(r, jp, at, NULL, "settings", "an object");
	}
	meta->has_settings = true;
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		int64_t v = 0;
		bool ok = true;
		if (jp_key_is(key, len, "strategy")) {
			ok = take_strategy(r, jp, NULL, "settings.strategy", &meta->settings.strategy);
		} else if (jp_key_is(key, len, "users")) {
			ok = reader_whole(r, jp, UINT32_MAX, &v, NULL, "settings.users", "a count of users");
			meta->settings.users = (uint32_t)v;
		} else if (jp_key_is(key, len, "rtt_us")) {
			ok = reader_whole(r, jp, UINT32_MAX, &v, NULL, "settings.rtt_us", "microseconds");
			meta->settings.rtt_us = (uint32_t)v;
		} else if (jp_key_is(key, len, "index")) {
			ok = take_bool(r, jp, NULL, "settings.index", &meta->settings.index);
		} else if (jp_key_is(key, len, "seed")) {
			jp_peek(jp);
			const char *at = jp->p;
			if (!jp_whole_u64(jp, UINT64_MAX, &meta->settings.seed))
				ok = wrong_value(r, jp, at, NULL, "settings.seed", "a whole number from 0 to 2^64 - 1");
		} else {
			jp_skip(jp);
		}
		if (!ok)
			return false;
	}
	return !jp->failed;
}

/* ---- OTLP/JSON --------------------------------------------------------------------- */

/* Copies src into dst, cut to fit: the short fields hold short words. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* One attribute, {"key": ..., "value": {...}}, kept if it is one obslab reads;
 * false (refused) if it is one of obslab's counters and out of range. */
static bool otlp_attribute(struct reader *r, struct jp *jp, struct span_fields *f, const char *where)
{
	char *text = f->attr_text; /* one attribute at a time */
	char key[64] = "";
	text[0] = '\0';
	int64_t integer = 0;
	bool boolean = false, has_text = false, has_int = false, bad_int = false;
	char got[48] = "";
	const char *k;
	size_t len;
	if (jp_peek(jp) != JP_OBJECT)
		return jp_skip(jp);
	jp_object(jp);
	while (jp_key(jp, &k, &len)) {
		if (jp_key_is(k, len, "key")) {
			reader_take_string(jp, key, sizeof key);
		} else if (jp_key_is(k, len, "value") && jp_peek(jp) == JP_OBJECT) {
			const char *vk;
			size_t vlen;
			jp_object(jp);
			while (jp_key(jp, &vk, &vlen)) {
				if (jp_key_is(vk, vlen, "stringValue") && (!key[0] || strncmp(key, "db.", 3) == 0 ||
				                                           strncmp(key, "obslab.", 7) == 0 ||
				                                           strcmp(key, ATTR_KEY_ERROR_TYPE) == 0))
					has_text = reader_take_string(jp, text, sizeof f->attr_text); /* wanted, or not known yet */
				else if (jp_key_is(vk, vlen, "intValue")) {
					jp_peek(jp);
					const char *at = jp->p;
					has_int = jp_whole(jp, UINT32_MAX, &integer);
					bad_int = !has_int && !jp->failed;
					if (bad_int)
						value_text(jp, at, got, sizeof got);
				}
				else if (jp_key_is(vk, vlen, "boolValue"))
					jp_bool(jp, &boolean);
				else
					jp_skip(jp);
			}
		} else {
			jp_skip(jp);
		}
	}
	if (has_text && (strcmp(key, ATTR_KEY_DB_SYSTEM) == 0 || strcmp(key, ATTR_KEY_DB_SYSTEM_OLD) == 0)) {
		f->db = true;
		/* Declarations that disagree are read as the one that hides more. */
		enum sqlfp_dialect d = sqlfp_dialect_of(text);
		f->dialect = f->has_dialect ? sqlfp_dialect_wider(f->dialect, d) : d;
		f->has_dialect = true;
	} else if (has_text && (strcmp(key, ATTR_KEY_DB_QUERY_TEXT) == 0 || (strcmp(key, ATTR_KEY_DB_STATEMENT_OLD) == 0 && !f->has_sql))) {
		f->db = true;
		f->has_sql = true;
		memcpy(f->sql, text, sizeof f->sql);
	} else if (has_text && strcmp(key, ATTR_KEY_STRATEGY) == 0)
		copy_cut(f->strategy, sizeof f->strategy, text);
	else if (has_text && strcmp(key, ATTR_KEY_ERROR_TYPE) == 0)
		copy_cut(f->error_type, sizeof f->error_type, text);
	else if (strcmp(key, ATTR_KEY_USERS) == 0 && (has_int || bad_int))
		f->users = integer;
	else if (strcmp(key, ATTR_KEY_INDEX) == 0)
		f->index = boolean;
	else if (strcmp(key, ATTR_KEY_DB_CHANGED) == 0)
		f->db_changed = boolean;
	else
		for (int i = 0; i < 6 && (has_int || bad_int); i++)
			if (strcmp(key, otlp_counter_keys[i]) == 0)
				f->counters[i] = integer;
	bool ours = strcmp(key, ATTR_KEY_USERS) == 0;
	for (int i = 0; i < 6; i++)
		ours |= strcmp(key, otlp_counter_keys[i]) == 0;
	if (ours && bad_int)
		return reader_fail(r, "%s: attribute %s must be a whole number from 0 to %" PRIu32 ", got %s", where, key,
		                   UINT32_MAX, got);
	return !jp->failed;
}

static bool otlp_span(struct reader *r, struct jp *jp, const char *where, const struct span_fields *resource)
{
	struct span_fields *f = fresh_fields(r);
	f->otlp_kind = SPAN_KIND_INTERNAL;
	f->dialect = resource->dialect; /* a resource's db.system is its spans' too */
	f->has_dialect = resource->has_dialect;
	if (jp_peek(jp) != JP_OBJECT) {
		jp_skip(jp);
		return reader_fail(r, "%s: a span needs a name (string)", where);
	}
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (jp_key_is(key, len, "traceId"))
			reader_take_string(jp, f->trace_id, sizeof f->trace_id);
		else if (jp_key_is(key, len, "spanId"))
			f->has_span_id = reader_take_string(jp, f->span_id, sizeof f->span_id);
		else if (jp_key_is(key, len, "parentSpanId"))
			take_parent(jp, f);
		else if (jp_key_is(key, len, "name"))
			f->has_name = reader_take_string(jp, f->name, sizeof f->name);
		else if (jp_key_is(key, len, "kind"))
			f->kind_bad = !jp_whole(jp, 5, &f->otlp_kind);
		else if (jp_key_is(key, len, "startTimeUnixNano") || jp_key_is(key, len, "endTimeUnixNano")) {
			bool start = jp_key_is(key, len, "startTimeUnixNano");
			if (!reader_whole(r, jp, DURATION_MAX_TIME_NS, start ? &f->start : &f->end, where,
			                  start ? "startTimeUnixNano" : "endTimeUnixNano", "nanoseconds since 1970"))
				return false;
			*(start ? &f->start_ok : &f->end_ok) = true;
		} else if (jp_key_is(key, len, "attributes")) {
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return reader_fail(r, "%s: attributes must be an array", where);
			}
			jp_array(jp);
			while (jp_item(jp))
				if (!otlp_attribute(r, jp, f, where))
					return false;
		} else if (jp_key_is(key, len, "status") && jp_peek(jp) == JP_OBJECT) {
			const char *sk;
			size_t slen;
			jp_object(jp);
			while (jp_key(jp, &sk, &slen)) {
				if (!jp_key_is(sk, slen, "code"))
					jp_skip(jp);
				else if (!reader_whole(r, jp, 2, &f->status_code, where, "status.code", "a status (0 unset, 1 ok, 2 error)"))
					return false;
			}
		} else
			jp_skip(jp);
	}
	return !jp->failed && add_span(r, f, false, where);
}

/* A resource's attributes, for what its spans inherit (db.system). OTLP
 * encoders write "resource" before "scopeSpans"; one written after them
 * comes too late to change how their SQL was read. */
static bool otlp_resource(struct reader *r, struct jp *jp, struct span_fields *resource, int ri)
{
	char where[48];
	snprintf(where, sizeof where, "resourceSpans[%d].resource", ri);
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		if (!jp_key_is(key, len, "attributes") || jp_peek(jp) != JP_ARRAY) {
			jp_skip(jp);
			continue;
		}
		jp_array(jp);
		while (jp_item(jp))
			if (!otlp_attribute(r, jp, resource, where))
				return false;
	}
	return !jp->failed;
}

/* resourceSpans[] > scopeSpans[] > spans[] */
bool reader_otlp(struct reader *r, struct jp *jp)
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
		struct span_fields resource = { .dialect = SQLFP_ANY };
		while (jp_key(jp, &key, &len)) {
			if (jp_key_is(key, len, "resource") && jp_peek(jp) == JP_OBJECT) {
				if (!otlp_resource(r, jp, &resource, ri))
					return false;
				continue;
			}
			if (!jp_key_is(key, len, "scopeSpans")) {
				jp_skip(jp);
				continue;
			}
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return reader_fail(r, "resourceSpans[%d].scopeSpans must be an array", ri);
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
						return reader_fail(r, "resourceSpans[%d].scopeSpans[%d].spans must be an array", ri, si);
					}
					jp_array(jp);
					for (int k = 0; jp_item(jp); k++) {
						char where[96];
						snprintf(where, sizeof where, "resourceSpans[%d].scopeSpans[%d].spans[%d]", ri, si, k);
						if (!otlp_span(r, jp, where, &resource))
							return false;
					}
				}
			}
		}
	}
	return !jp->failed;
}
