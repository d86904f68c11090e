/*
 * snapshot_sqlite — --format sqlite: a store's spans as SQLite tables
 * (resources, scopes, spans, events, links and each one's typed
 * attributes, with indexes; docs/formats.md describes the schema), for
 * questions no pane answers. Foreign spans are written as read, obslab's
 * own with the attributes attrs.h gives them; placeholders never.
 *
 * The database is written into atomicfile's named temporary beside the
 * target ("OUT.XXXXXX": SQLite opens files by name, and resolves a
 * /proc/self/fd link to a name that no longer exists), with no journal:
 * nothing is visible under the target's name until the commit puts the
 * whole file in place, and a failure or a signal leaves nothing behind.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/atomicfile.h"
#include "obslab/attrs.h"
#include "obslab/otel.h"
#include "obslab/otel_json.h"
#include "obslab/snapshot.h"
#include "obslab/snapshot_foreign.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/httpinfo.h"
#include "obslab/strtab.h"
#include "obslab/xalloc.h"
#include "snapshot_writer.h"

#define ATTR_COLUMNS                                                                                          \
	"key TEXT NOT NULL, type TEXT NOT NULL, string_value TEXT, int_value INTEGER, double_value REAL, " \
	"bool_value INTEGER, bytes_value BLOB, json_value TEXT"

static const char schema[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE resources(id INTEGER PRIMARY KEY, service_name TEXT, schema_url TEXT,"
    " dropped_attributes_count INTEGER NOT NULL);"
    "CREATE TABLE resource_attributes(resource INTEGER NOT NULL REFERENCES resources(id), " ATTR_COLUMNS ");"
    "CREATE TABLE scopes(id INTEGER PRIMARY KEY, resource INTEGER NOT NULL REFERENCES resources(id), name TEXT,"
    " version TEXT, schema_url TEXT, dropped_attributes_count INTEGER NOT NULL);"
    "CREATE TABLE scope_attributes(scope INTEGER NOT NULL REFERENCES scopes(id), " ATTR_COLUMNS ");"
    "CREATE TABLE spans(id INTEGER PRIMARY KEY, trace_id TEXT NOT NULL, span_id TEXT NOT NULL,"
    " parent_span_id TEXT, resource INTEGER REFERENCES resources(id), scope INTEGER REFERENCES scopes(id),"
    " service_name TEXT, name TEXT NOT NULL, fingerprint TEXT, kind INTEGER NOT NULL,"
    " start_unix_ns INTEGER NOT NULL, end_unix_ns INTEGER NOT NULL, duration_ns INTEGER NOT NULL,"
    " status_code INTEGER NOT NULL, status_message TEXT, trace_state TEXT, flags INTEGER,"
    " dropped_attributes_count INTEGER NOT NULL, dropped_events_count INTEGER NOT NULL,"
    " dropped_links_count INTEGER NOT NULL, foreign_span INTEGER NOT NULL);"
    "CREATE TABLE span_attributes(span INTEGER NOT NULL REFERENCES spans(id), " ATTR_COLUMNS ");"
    "CREATE TABLE events(id INTEGER PRIMARY KEY, span INTEGER NOT NULL REFERENCES spans(id),"
    " time_unix_ns INTEGER NOT NULL, name TEXT NOT NULL, dropped_attributes_count INTEGER NOT NULL);"
    "CREATE TABLE event_attributes(event INTEGER NOT NULL REFERENCES events(id), " ATTR_COLUMNS ");"
    "CREATE TABLE links(id INTEGER PRIMARY KEY, span INTEGER NOT NULL REFERENCES spans(id),"
    " linked_trace_id TEXT NOT NULL, linked_span_id TEXT NOT NULL, trace_state TEXT, flags INTEGER NOT NULL,"
    " dropped_attributes_count INTEGER NOT NULL);"
    "CREATE TABLE link_attributes(link INTEGER NOT NULL REFERENCES links(id), " ATTR_COLUMNS ");";

static const char indexes[] =
    "CREATE INDEX spans_trace ON spans(trace_id, start_unix_ns);"
    "CREATE INDEX spans_name ON spans(name);"
    "CREATE INDEX spans_fingerprint ON spans(fingerprint);"
    "CREATE INDEX spans_service ON spans(service_name, name);"
    "CREATE INDEX span_attributes_span ON span_attributes(span);"
    "CREATE INDEX span_attributes_key ON span_attributes(key, string_value);"
    "CREATE INDEX resource_attributes_resource ON resource_attributes(resource);"
    "CREATE INDEX scope_attributes_scope ON scope_attributes(scope);"
    "CREATE INDEX events_span ON events(span);"
    "CREATE INDEX event_attributes_event ON event_attributes(event);"
    "CREATE INDEX links_span ON links(span);"
    "CREATE INDEX link_attributes_link ON link_attributes(link);";

enum { ATTRS_RESOURCE, ATTRS_SCOPE, ATTRS_SPAN, ATTRS_EVENT, ATTRS_LINK, ATTR_TABLES };
static const char *const attr_tables[ATTR_TABLES][2] = {
	{ "resource_attributes", "resource" }, { "scope_attributes", "scope" }, { "span_attributes", "span" },
	{ "event_attributes", "event" },       { "link_attributes", "link" },
};

struct sqlw {
	sqlite3 *db;
	bool failed;
	sqlite3_stmt *attr[ATTR_TABLES], *resource, *scope, *span, *event, *link;
	struct otel_bases bases;
	int64_t lab_resource; /* the obslab resource's row, 0 until a lab span needs it */
	const struct strtab *names;
	const struct snapshot_meta *meta;
	struct query_names memo;
	char *json; /* a list value's plain JSON */
	size_t json_len, json_cap;
};

static void json_sink(void *ctx, const char *s, size_t len)
{
	struct sqlw *w = ctx;
	if (w->json_len + len + 1 > w->json_cap) {
		w->json_cap = (w->json_len + len + 1) * 2;
		w->json = xrealloc(w->json, w->json_cap);
	}
	memcpy(w->json + w->json_len, s, len);
	w->json_len += len;
	w->json[w->json_len] = '\0';
}

static sqlite3_stmt *prepare(struct sqlw *w, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(w->db, sql, -1, &st, NULL) != SQLITE_OK)
		w->failed = true;
	return st;
}

/* Runs a prepared insert; its row id. */
static int64_t step(struct sqlw *w, sqlite3_stmt *st)
{
	if (!st || w->failed)
		return 0;
	if (sqlite3_step(st) != SQLITE_DONE)
		w->failed = true;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return sqlite3_last_insert_rowid(w->db);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s, size_t len)
{
	sqlite3_bind_text64(st, i, s, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

static void bind_str(sqlite3_stmt *st, int i, const struct otel_set *set, struct otel_str s)
{
	if (s.len)
		bind_text(st, i, otel_text_of(set, s), s.len);
}

static void bind_hex64(sqlite3_stmt *st, int i, uint64_t id)
{
	char hex[17];
	snprintf(hex, sizeof hex, "%016" PRIx64, id);
	bind_text(st, i, hex, 16);
}

static void bind_trace_id(sqlite3_stmt *st, int i, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	char hex[2 * SPAN_TRACE_ID_LEN + 1];
	span_trace_id_hex(id, hex);
	bind_text(st, i, hex, 2 * SPAN_TRACE_ID_LEN);
}

static const char *const type_names[] = { "empty", "string", "bool", "int", "double", "bytes", "array", "kvlist" };

static void insert_value(struct sqlw *w, int table, int64_t owner, const char *key, size_t klen,
                         const struct otel_set *set, const struct otel_value *v)
{
	sqlite3_stmt *st = w->attr[table];
	if (!st)
		return;
	sqlite3_bind_int64(st, 1, owner);
	bind_text(st, 2, key, klen);
	sqlite3_bind_text(st, 3, v->type < 8 ? type_names[v->type] : "empty", -1, SQLITE_STATIC);
	switch ((enum otel_value_type)v->type) {
	case OTEL_VALUE_STRING: bind_str(st, 4, set, v->u.s); if (!v->u.s.len) bind_text(st, 4, "", 0); break;
	case OTEL_VALUE_INT: sqlite3_bind_int64(st, 5, v->u.i); break;
	case OTEL_VALUE_DOUBLE:
		if (isnan(v->u.d))
			sqlite3_bind_text(st, 9, "\"NaN\"", -1, SQLITE_STATIC); /* SQLite keeps no NaN */
		else
			sqlite3_bind_double(st, 6, v->u.d);
		break;
	case OTEL_VALUE_BOOL: sqlite3_bind_int(st, 7, v->u.b); break;
	case OTEL_VALUE_BYTES:
		sqlite3_bind_blob64(st, 8, otel_text_of(set, v->u.s), v->u.s.len, SQLITE_TRANSIENT);
		break;
	case OTEL_VALUE_ARRAY:
	case OTEL_VALUE_KVLIST: {
		w->json_len = 0;
		struct otel_json_out o = { json_sink, w };
		otel_json_value(&o, set, v); /* OTLP/JSON: every element's type kept */
		bind_text(st, 9, w->json ? w->json : "", w->json_len);
		break;
	}
	case OTEL_VALUE_EMPTY:
	default: break;
	}
	step(w, st);
}

static void insert_attrs(struct sqlw *w, int table, int64_t owner, const struct otel_set *set, struct otel_attrs a)
{
	for (uint32_t i = 0; i < a.count && !w->failed; i++) {
		const struct otel_kv *kv = &set->kvs[a.first + i];
		insert_value(w, table, owner, otel_text_of(set, kv->key), kv->key.len, set, &kv->value);
	}
}

/* Every set's resources and scopes; row ids are their numbers + 1. */
static void insert_resources_scopes(struct sqlw *w)
{
	for (size_t k = 0; k < w->bases.n && !w->failed; k++) {
		const struct otel_set *set = w->bases.set[k];
		for (size_t i = 0; i < set->nresources; i++) {
			const struct otel_resource *r = &set->resources[i];
			int64_t id = (int64_t)(w->bases.resource_base[k] + i + 1);
			const char *service = otel_attrs_string(set, r->attrs, "service.name");
			sqlite3_bind_int64(w->resource, 1, id);
			if (service)
				bind_text(w->resource, 2, service, strlen(service));
			bind_str(w->resource, 3, set, r->schema_url);
			sqlite3_bind_int64(w->resource, 4, r->attrs.dropped);
			step(w, w->resource);
			insert_attrs(w, ATTRS_RESOURCE, id, set, r->attrs);
		}
		for (size_t i = 0; i < set->nscopes; i++) {
			const struct otel_scope *sc = &set->scopes[i];
			int64_t id = (int64_t)(w->bases.scope_base[k] + i + 1);
			sqlite3_bind_int64(w->scope, 1, id);
			sqlite3_bind_int64(w->scope, 2, (int64_t)(w->bases.resource_base[k] + sc->resource + 1));
			bind_str(w->scope, 3, set, sc->name);
			bind_str(w->scope, 4, set, sc->version);
			bind_str(w->scope, 5, set, sc->schema_url);
			sqlite3_bind_int64(w->scope, 6, sc->attrs.dropped);
			step(w, w->scope);
			insert_attrs(w, ATTRS_SCOPE, id, set, sc->attrs);
		}
	}
}

static void insert_foreign_span(struct sqlw *w, const struct trace *t, const struct span_record *rec,
                                const struct otel_span *sp)
{
	const struct otel_set *set = t->otel;
	size_t k = otel_bases_find(&w->bases, set);
	sqlite3_stmt *st = w->span;
	bind_trace_id(st, 1, sp->trace_id);
	bind_hex64(st, 2, sp->span_id);
	if (sp->parent_span_id)
		bind_hex64(st, 3, sp->parent_span_id);
	const struct otel_scope *sc = otel_span_scope(set, sp);
	if (sc && k < w->bases.n) {
		sqlite3_bind_int64(st, 4, (int64_t)(w->bases.resource_base[k] + sc->resource + 1));
		sqlite3_bind_int64(st, 5, (int64_t)(w->bases.scope_base[k] + sp->scope + 1));
	}
	const char *service = otel_service_name(set, sp);
	if (service)
		bind_text(st, 6, service, strlen(service));
	bind_str(st, 7, set, sp->name);
	if (!sp->name.len)
		bind_text(st, 7, "", 0);
	if (rec->flags & SPAN_F_DB) {
		const char *fp = strtab_get(w->names, rec->name);
		bind_text(st, 8, fp, strlen(fp));
	}
	sqlite3_bind_int(st, 9, sp->kind);
	sqlite3_bind_int64(st, 10, (int64_t)sp->start_unix_ns);
	sqlite3_bind_int64(st, 11, (int64_t)sp->end_unix_ns);
	sqlite3_bind_int64(st, 12, sp->end_unix_ns >= sp->start_unix_ns ? (int64_t)(sp->end_unix_ns - sp->start_unix_ns) : 0);
	sqlite3_bind_int(st, 13, sp->status_code);
	bind_str(st, 14, set, sp->status_message);
	bind_str(st, 15, set, sp->trace_state);
	if (sp->has_flags)
		sqlite3_bind_int64(st, 16, sp->flags);
	sqlite3_bind_int64(st, 17, sp->attrs.dropped);
	sqlite3_bind_int64(st, 18, sp->dropped_events);
	sqlite3_bind_int64(st, 19, sp->dropped_links);
	sqlite3_bind_int(st, 20, 1);
	int64_t id = step(w, st);
	insert_attrs(w, ATTRS_SPAN, id, set, sp->attrs);
	for (uint32_t i = 0; i < sp->nevents && !w->failed; i++) {
		const struct otel_event *e = &set->events[sp->events_first + i];
		sqlite3_bind_int64(w->event, 1, id);
		sqlite3_bind_int64(w->event, 2, (int64_t)e->time_unix_ns);
		bind_str(w->event, 3, set, e->name);
		if (!e->name.len)
			bind_text(w->event, 3, "", 0);
		sqlite3_bind_int64(w->event, 4, e->attrs.dropped);
		int64_t eid = step(w, w->event);
		insert_attrs(w, ATTRS_EVENT, eid, set, e->attrs);
	}
	for (uint32_t i = 0; i < sp->nlinks && !w->failed; i++) {
		const struct otel_link *l = &set->links[sp->links_first + i];
		sqlite3_bind_int64(w->link, 1, id);
		bind_trace_id(w->link, 2, l->trace_id);
		bind_hex64(w->link, 3, l->span_id);
		bind_str(w->link, 4, set, l->trace_state);
		sqlite3_bind_int64(w->link, 5, l->flags);
		sqlite3_bind_int64(w->link, 6, l->attrs.dropped);
		int64_t lid = step(w, w->link);
		insert_attrs(w, ATTRS_LINK, lid, set, l->attrs);
	}
}

/* The obslab resource and scope, as the OTLP writer names them, once. */
static void lab_resource(struct sqlw *w)
{
	if (w->lab_resource)
		return;
	w->lab_resource = (int64_t)w->bases.nresources + 1;
	sqlite3_bind_int64(w->resource, 1, w->lab_resource);
	bind_text(w->resource, 2, "obslab", 6);
	sqlite3_bind_int64(w->resource, 4, 0);
	step(w, w->resource);
	struct otel_value v = { .type = OTEL_VALUE_STRING };
	static const char *const keys[] = { "service.name", "telemetry.sdk.name" };
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *st = w->attr[ATTRS_RESOURCE];
		sqlite3_bind_int64(st, 1, w->lab_resource);
		bind_text(st, 2, keys[i], strlen(keys[i]));
		sqlite3_bind_text(st, 3, type_names[v.type], -1, SQLITE_STATIC);
		bind_text(st, 4, "obslab", 6);
		step(w, st);
	}
	sqlite3_bind_int64(w->scope, 1, (int64_t)w->bases.nscopes + 1);
	sqlite3_bind_int64(w->scope, 2, w->lab_resource);
	bind_text(w->scope, 3, "obslab", 6);
	bind_text(w->scope, 4, OBSLAB_VERSION, strlen(OBSLAB_VERSION));
	sqlite3_bind_int64(w->scope, 6, 0);
	step(w, w->scope);
}

static void insert_lab_span(struct sqlw *w, const struct trace *t, const struct span_record *s)
{
	lab_resource(w);
	sqlite3_stmt *st = w->span;
	bind_trace_id(st, 1, t->trace_id);
	bind_hex64(st, 2, s->span_id);
	const struct http_info *served = s->parent_id == 0 ? t->http : NULL; /* a served root: its caller */
	if (s->parent_id)
		bind_hex64(st, 3, s->parent_id);
	else if (served && served->remote_parent_id)
		bind_hex64(st, 3, served->remote_parent_id);
	sqlite3_bind_int64(st, 4, w->lab_resource);
	sqlite3_bind_int64(st, 5, (int64_t)w->bases.nscopes + 1);
	bind_text(st, 6, "obslab", 6);
	const char *fp = strtab_get(w->names, s->name);
	const char *name = s->flags & SPAN_F_DB ? query_names_of(&w->memo, s, w->names)->display : fp;
	bind_text(st, 7, name, strlen(name));
	if (s->flags & SPAN_F_DB)
		bind_text(st, 8, fp, strlen(fp));
	sqlite3_bind_int(st, 9, s->kind);
	sqlite3_bind_int64(st, 10, clock_to_unix_ns(&w->meta->anchor, s->start_ns));
	sqlite3_bind_int64(st, 11, clock_to_unix_ns(&w->meta->anchor, s->end_ns));
	sqlite3_bind_int64(st, 12, span_duration_ns(s));
	bool failed = s->flags & (SPAN_F_ERROR | SPAN_F_CANCELLED);
	sqlite3_bind_int(st, 13, failed ? 2 : 0);
	if (failed)
		sqlite3_bind_text(st, 14, s->flags & SPAN_F_CANCELLED ? "cancelled" : "error", -1, SQLITE_STATIC);
	if (served && served->tracestate[0])
		bind_text(st, 15, served->tracestate, strlen(served->tracestate));
	for (int i = 17; i <= 20; i++)
		sqlite3_bind_int(st, i, 0);
	int64_t id = step(w, st);
	struct attr attrs[ATTRS_MAX];
	size_t n = span_attributes_http(s, t->http, w->names, attrs, &w->memo);
	sqlite3_stmt *at = w->attr[ATTRS_SPAN];
	for (size_t i = 0; i < n && !w->failed; i++) {
		sqlite3_bind_int64(at, 1, id);
		bind_text(at, 2, attrs[i].key, strlen(attrs[i].key));
		if (attrs[i].type == ATTR_STRING) {
			sqlite3_bind_text(at, 3, "string", -1, SQLITE_STATIC);
			bind_text(at, 4, attr_string(&attrs[i]), strlen(attr_string(&attrs[i])));
		} else if (attrs[i].type == ATTR_BOOL) {
			sqlite3_bind_text(at, 3, "bool", -1, SQLITE_STATIC);
			sqlite3_bind_int(at, 7, attrs[i].i != 0);
		} else {
			sqlite3_bind_text(at, 3, "int", -1, SQLITE_STATIC);
			sqlite3_bind_int64(at, 5, attrs[i].i);
		}
		step(w, at);
	}
}

static void write_tables(struct sqlw *w, const struct store *store)
{
	char sql[256];
	if (sqlite3_exec(w->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY;"
	                        "BEGIN;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(w->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		w->failed = true;
		return;
	}
	snprintf(sql, sizeof sql,
	         "INSERT INTO meta VALUES('format','obslab.sqlite'),('version','1'),('generator','obslab %s')",
	         OBSLAB_VERSION);
	if (sqlite3_exec(w->db, sql, NULL, NULL, NULL) != SQLITE_OK || !snapshot_database_sqlite_meta(w->db, w->meta))
		w->failed = true;
	for (int i = 0; i < ATTR_TABLES; i++) {
		snprintf(sql, sizeof sql, "INSERT INTO %s(%s, key, type, string_value, int_value, double_value,"
		         " bool_value, bytes_value, json_value) VALUES(?,?,?,?,?,?,?,?,?)", attr_tables[i][0], attr_tables[i][1]);
		w->attr[i] = prepare(w, sql);
	}
	w->resource = prepare(w, "INSERT INTO resources VALUES(?,?,?,?)");
	w->scope = prepare(w, "INSERT INTO scopes VALUES(?,?,?,?,?,?)");
	w->span = prepare(w, "INSERT INTO spans(trace_id, span_id, parent_span_id, resource, scope, service_name,"
	                     " name, fingerprint, kind, start_unix_ns, end_unix_ns, duration_ns, status_code,"
	                     " status_message, trace_state, flags, dropped_attributes_count, dropped_events_count,"
	                     " dropped_links_count, foreign_span) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	w->event = prepare(w, "INSERT INTO events(span, time_unix_ns, name, dropped_attributes_count) VALUES(?,?,?,?)");
	w->link = prepare(w, "INSERT INTO links(span, linked_trace_id, linked_span_id, trace_state, flags,"
	                     " dropped_attributes_count) VALUES(?,?,?,?,?,?)");
	insert_resources_scopes(w);
	for (size_t i = 0; i < store_trace_count(store) && !w->failed; i++) {
		const struct trace *t = store_trace(store, i);
		for (size_t k = 0; k < t->nspans && !w->failed; k++) {
			const struct span_record *s = &t->spans[k];
			const struct otel_span *sp = otel_span_of(t->otel, s);
			if (sp)
				insert_foreign_span(w, t, s, sp);
			else if (!(s->flags & SPAN_F_PLACEHOLDER))
				insert_lab_span(w, t, s);
		}
	}
	if (!w->failed && (sqlite3_exec(w->db, indexes, NULL, NULL, NULL) != SQLITE_OK ||
	                   sqlite3_exec(w->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK))
		w->failed = true;
}

bool snapshot_sqlite_write(struct snapshot_target *target, const struct store *store, const struct strtab *names,
                           const struct snapshot_meta *meta, struct obslab_error *err)
{
	struct atomicfile af;
	target->replaced = false;
	target->error = 0;
	if (!atomicfile_open(&af, target->path, ATOMICFILE_NAMED | (target->create_only ? ATOMICFILE_CREATE : 0), err)) {
		target->error = af.error;
		return false;
	}
	const char *path = af.tmp;
	struct sqlw w = { .names = names, .meta = meta };
	query_names_init(&w.memo);
	otel_bases_collect(&w.bases, store);
	if (sqlite3_open_v2(path, &w.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		w.failed = true;
	else
		write_tables(&w, store);
	char why[200] = "";
	if (w.failed)
		snprintf(why, sizeof why, "%s", w.db ? sqlite3_errmsg(w.db) : "cannot open the database");
	for (int i = 0; i < ATTR_TABLES; i++)
		sqlite3_finalize(w.attr[i]);
	sqlite3_finalize(w.resource);
	sqlite3_finalize(w.scope);
	sqlite3_finalize(w.span);
	sqlite3_finalize(w.event);
	sqlite3_finalize(w.link);
	if (sqlite3_close(w.db) != SQLITE_OK && !w.failed) {
		w.failed = true;
		snprintf(why, sizeof why, "the database did not close");
	}
	otel_bases_free(&w.bases);
	free(w.json);
	if (w.failed) {
		atomicfile_abort(&af);
		target->error = EIO;
		return obslab_error_set(err, "%s: SQLite could not write it: %s", target->path, why);
	}
	bool ok = atomicfile_commit(&af, err);
	target->replaced = af.replaced;
	target->error = ok ? 0 : af.error;
	return ok;
}
