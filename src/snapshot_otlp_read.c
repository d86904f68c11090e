/* OTLP/JSON read with the pull parser: resourceSpans > scopeSpans > spans,
 * every span foreign (its otel_span first, then a raw span for the store);
 * native version 2's resources and scopes; and, once the whole file is
 * read, every foreign span's working record derived from its otel_span. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/attrs.h"
#include "obslab/otel.h"
#include "obslab/otlp.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"
#include "obslab/xalloc.h"
#include "snapshot_reader.h"

/* ---- OTLP/JSON --------------------------------------------------------------------- */

/* Room for one more resource or scope (their fields are filled as read:
 * "resource" may follow "scopeSpans" in the object). */
static bool new_resource(struct reader *r, uint32_t *index)
{
	struct otel_set *set = reader_otel(r);
	*index = otel_add_resource(set, &(struct otel_resource){ 0 });
	return !otel_full(set) || reader_fail(r, "more than %" PRIu32 " resources", (uint32_t)OTEL_MAX_ITEMS);
}

static bool new_scope(struct reader *r, uint32_t resource, uint32_t *index)
{
	struct otel_set *set = reader_otel(r);
	*index = otel_add_scope(set, &(struct otel_scope){ .resource = resource });
	return !otel_full(set) || reader_fail(r, "more than %" PRIu32 " scopes", (uint32_t)OTEL_MAX_ITEMS);
}

/* One span for a reader that refuses spans one by one (r->refused): a span
 * refused for what it holds, not for the JSON's syntax, is taken out again
 * (the set's arrays back to where they were; text it added stays, unused),
 * passed over whole and counted; *index is then UINT32_MAX. False only when
 * the body cannot be read on (the parser failed, the set is full). */
static bool read_span_or_refuse(struct reader *r, struct jp *jp, uint32_t scope, const char *where,
                                uint32_t *index)
{
	struct otel_set *set = reader_otel(r);
	const size_t nspans = set->nspans, nevents = set->nevents, nlinks = set->nlinks, nkvs = set->nkvs,
	             nvalues = set->nvalues, kv_top = set->kv_top, value_top = set->value_top;
	jp_peek(jp);
	const struct jp at = *jp; /* the span's start */
	if (otel_json_read_span(r, jp, scope, where, index))
		return true;
	if (jp->failed || otel_full(set))
		return false;
	if (r->refused->rejected++ == 0)
		snprintf(r->refused->message, sizeof r->refused->message, "%.159s", r->err ? r->err->msg : "");
	if (r->err)
		r->err->msg[0] = '\0';
	set->nspans = nspans;
	set->nevents = nevents;
	set->nlinks = nlinks;
	set->nkvs = nkvs;
	set->nvalues = nvalues;
	set->kv_top = kv_top;
	set->value_top = value_top;
	/* Back to the span's start (the scratch buffer stays the one in use)
	 * and over the whole span. */
	char *scratch = jp->scratch;
	size_t scratch_cap = jp->scratch_cap;
	*jp = at;
	jp->scratch = scratch;
	jp->scratch_cap = scratch_cap;
	*index = UINT32_MAX;
	return jp_skip(jp);
}

/* A ResourceSpans' or ScopeSpans' "schemaUrl": a string into the set's text. */
static bool read_schema_url(struct reader *r, struct jp *jp, const char *where, struct otel_str *out)
{
	jp_peek(jp);
	const char *at = jp->p, *s;
	size_t n;
	if (jp_peek(jp) != JP_STRING) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, where, "schemaUrl", "a string");
	}
	if (!jp_string(jp, &s, &n))
		return false;
	*out = otel_text(r->out->otel, s, n);
	return true;
}

static bool otlp_scope_spans(struct reader *r, struct jp *jp, uint32_t resource, const char *where)
{
	uint32_t scope;
	if (!new_scope(r, resource, &scope))
		return false;
	char w[160];
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
		reader_camel(&key, &len, ck, sizeof ck);
		bool ok = true;
		if (jp_key_is(key, len, "scope")) {
			snprintf(w, sizeof w, "%s.scope", where);
			ok = otel_json_read_scope(r, jp, scope, w, false);
		} else if (jp_key_is(key, len, "schemaUrl")) {
			struct otel_str url;
			if (!read_schema_url(r, jp, where, &url))
				return false;
			r->out->otel->scopes[scope].schema_url = url;
		} else if (jp_key_is(key, len, "spans")) {
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return reader_fail(r, "%s.spans must be an array", where);
			}
			jp_array(jp);
			for (int k = 0; ok && jp_item(jp); k++) {
				uint32_t detail;
				reader_path(w, sizeof w, where, "spans", k);
				ok = r->refused ? read_span_or_refuse(r, jp, scope, w, &detail)
				                : otel_json_read_span(r, jp, scope, w, &detail);
				if (ok && detail != UINT32_MAX)
					reader_add_foreign(r, detail);
			}
		} else {
			jp_skip(jp);
		}
		if (!ok)
			return false;
	}
	return !jp->failed;
}

/* resourceSpans[] > scopeSpans[] > spans[]: every span foreign, each
 * resourceSpans one resource, each scopeSpans one scope. */
bool reader_otlp(struct reader *r, struct jp *jp)
{
	reader_otel(r);
	jp_array(jp);
	for (int ri = 0; jp_item(jp); ri++) {
		char where[96];
		snprintf(where, sizeof where, "resourceSpans[%d]", ri);
		if (jp_peek(jp) != JP_OBJECT) {
			const char *at = jp->p;
			jp_skip(jp);
			return reader_wrong_value(r, jp, at, NULL, where, "an object");
		}
		uint32_t resource;
		if (!new_resource(r, &resource))
			return false;
		const char *key;
		size_t len;
		jp_object(jp);
		while (jp_key(jp, &key, &len)) {
			char ck[64]; /* snake_case names too (protobuf's JSON mapping) */
			reader_camel(&key, &len, ck, sizeof ck);
			char w[128];
			bool ok = true;
			if (jp_key_is(key, len, "resource")) {
				snprintf(w, sizeof w, "%s.resource", where);
				ok = otel_json_read_resource(r, jp, resource, w);
			} else if (jp_key_is(key, len, "schemaUrl")) {
				struct otel_str url;
				if (!read_schema_url(r, jp, where, &url))
					return false;
				r->out->otel->resources[resource].schema_url = url;
			} else if (jp_key_is(key, len, "scopeSpans")) {
				if (jp_peek(jp) != JP_ARRAY) {
					jp_skip(jp);
					return reader_fail(r, "%s.scopeSpans must be an array", where);
				}
				jp_array(jp);
				for (int si = 0; ok && jp_item(jp); si++) {
					snprintf(w, sizeof w, "%s.scopeSpans[%d]", where, si);
					if (jp_peek(jp) != JP_OBJECT) {
						const char *at = jp->p;
						jp_skip(jp);
						return reader_wrong_value(r, jp, at, NULL, w, "an object");
					}
					ok = otlp_scope_spans(r, jp, resource, w);
				}
			} else {
				jp_skip(jp);
			}
			if (!ok)
				return false;
		}
	}
	return !jp->failed;
}

/* ---- native version 2: resources and scopes ---------------------------------------- */

bool reader_native_resources(struct reader *r, struct jp *jp, bool scopes)
{
	const char *field = scopes ? "scopes" : "resources";
	if (jp_peek(jp) != JP_ARRAY) {
		const char *at = jp->p;
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, NULL, field, "an array");
	}
	reader_otel(r);
	jp_array(jp);
	for (int i = 0; jp_item(jp); i++) {
		char where[48];
		snprintf(where, sizeof where, "%s[%d]", field, i);
		uint32_t index;
		bool ok = scopes ? new_scope(r, 0, &index) && otel_json_read_scope(r, jp, index, where, true)
		                 : new_resource(r, &index) && otel_json_read_resource(r, jp, index, where);
		if (!ok)
			return false;
	}
	return !jp->failed;
}

/* ---- records of foreign spans ------------------------------------------------------ */

/* db.system.name or db.system, on the span or its resource. */
static bool db_system(const struct otel_set *set, const struct otel_span *sp, enum sqlfp_dialect *dialect)
{
	const struct otel_resource *res = otel_span_resource(set, sp);
	const struct otel_attrs lists[2] = { sp->attrs, res ? res->attrs : (struct otel_attrs){ 0 } };
	static const char *const keys[2] = { ATTR_KEY_DB_SYSTEM, ATTR_KEY_DB_SYSTEM_OLD };
	bool found = false;
	for (int l = 0; l < 2; l++)
		for (int k = 0; k < 2; k++) {
			const char *sys = otel_attrs_string(set, lists[l], keys[k]);
			if (!sys)
				continue;
			/* Declarations that disagree are read as the one that hides more. */
			enum sqlfp_dialect d = sqlfp_dialect_of(sys);
			*dialect = found ? sqlfp_dialect_wider(*dialect, d) : d;
			found = true;
		}
	return found;
}

/* Whether the span itself says db.system.name (or db.system) "postgresql":
 * obslab's own PostgreSQL spans, and any other tool's. */
static bool says_postgresql(const struct otel_set *set, const struct otel_span *sp)
{
	const char *sys = otel_attrs_string(set, sp->attrs, ATTR_KEY_DB_SYSTEM);
	if (!sys)
		sys = otel_attrs_string(set, sp->attrs, ATTR_KEY_DB_SYSTEM_OLD);
	return sys && strcmp(sys, "postgresql") == 0;
}

/* A name for the string table: cut at a NUL and between characters. */
static uint32_t intern_text(struct strtab *names, const char *s, size_t len)
{
	const char *nul = memchr(s, '\0', len);
	if (nul)
		len = (size_t)(nul - s);
	if (len >= NAME_MAX_BYTES)
		len = utf8_cut(s, NAME_MAX_BYTES - 1);
	return strtab_intern(names, s, len);
}

bool assemble_foreign_raw(const struct otel_set *set, uint32_t detail, struct raw *out)
{
	const struct otel_span *sp = &set->spans[detail];
	memset(out, 0, sizeof *out);
	memcpy(out->trace_id, sp->trace_id, SPAN_TRACE_ID_LEN);
	out->rec.span_id = sp->span_id;
	out->rec.parent_id = sp->parent_span_id;
	out->rec.start_ns = (int64_t)sp->start_unix_ns;
	out->rec.end_ns = (int64_t)sp->end_unix_ns;
	out->rec.flags = SPAN_F_FOREIGN;
	out->rec.u.foreign.detail = detail;
	if (!(sp->marks & OTEL_MARK_NEGATIVE))
		return false;
	out->rec.end_ns = out->rec.start_ns;
	return true;
}

void assemble_fp_cache_free(struct assemble_fp_cache *c)
{
	for (size_t i = 0; c && i < ASSEMBLE_FP_SLOTS; i++)
		free(c->slot[i].text);
}

static uint32_t fingerprint(struct strtab *names, struct assemble_fp_cache *c, const char *sql, size_t len,
                            enum sqlfp_dialect dialect)
{
	if (!c || len > ASSEMBLE_FP_TEXT)
		return sqlfp_intern_dialect(names, sql, len, dialect);
	uint64_t h = strtab_hash(sql, len) ^ (uint64_t)dialect;
	__typeof__(c->slot[0]) *e = &c->slot[h & (ASSEMBLE_FP_SLOTS - 1)];
	if (e->text && e->hash == h && e->len == len && e->dialect == dialect && memcmp(e->text, sql, len) == 0)
		return e->name;
	uint32_t name = sqlfp_intern_dialect(names, sql, len, dialect);
	e->text = xrealloc(e->text, len ? len : 1);
	memcpy(e->text, sql, len);
	e->hash = h;
	e->len = (uint32_t)len;
	e->dialect = (uint8_t)dialect;
	e->name = name;
	return name;
}

void assemble_derive_foreign(const struct otel_set *set, struct strtab *names, struct assemble_fp_cache *cache,
                             struct span_record *rec)
{
	const struct otel_span *sp = &set->spans[rec->u.foreign.detail];
	rec->kind = sp->kind;
	if (sp->status_code == 2)
		rec->flags |= SPAN_F_ERROR;
	enum sqlfp_dialect dialect = SQLFP_ANY;
	const struct otel_value *q = otel_attrs_find(set, sp->attrs, ATTR_KEY_DB_QUERY_TEXT);
	if (!q || q->type != OTEL_VALUE_STRING)
		q = otel_attrs_find(set, sp->attrs, ATTR_KEY_DB_STATEMENT_OLD);
	if (q && q->type == OTEL_VALUE_STRING && db_system(set, sp, &dialect)) {
		rec->flags |= SPAN_F_DB;
		rec->db_system = says_postgresql(set, sp) ? SPAN_DB_POSTGRESQL : SPAN_DB_SQLITE;
		rec->name = fingerprint(names, cache, otel_text_of(set, q->u.s), q->u.s.len, dialect);
		const struct otel_value *rows = otel_attrs_find(set, sp->attrs, ATTR_KEY_DB_ROWS);
		if (rows && rows->type == OTEL_VALUE_INT && rows->u.i >= 0 && rows->u.i <= UINT32_MAX) {
			rec->u.foreign.rows = (uint32_t)rows->u.i;
			rec->u.foreign.known |= SPAN_KNOWN_ROWS;
		}
		/* obslab's own statement counter, as its OTLP export writes it:
		 * the full scan in a loop survives the round trip. */
		const struct otel_value *scan = otel_attrs_find(set, sp->attrs, ATTR_KEY_DB_FULLSCAN_STEPS);
		if (scan && scan->type == OTEL_VALUE_INT && scan->u.i > 0 && scan->u.i <= UINT32_MAX)
			rec->u.foreign.fullscan_steps = (uint32_t)scan->u.i;
	} else {
		rec->name = intern_text(names, otel_text_of(set, sp->name), sp->name.len);
	}
}

/* Every foreign span's record, from its otel_span and nothing else. */
void reader_derive_foreign(struct reader *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->spans[i].rec.flags & SPAN_F_FOREIGN)
			assemble_derive_foreign(r->out->otel, r->out->names, NULL, &r->spans[i].rec);
}
