/*
 * attrs — a span's OpenTelemetry attributes built from its record (the
 * names are attrs.h's one list), and the short name a waterfall shows for
 * a query ("SELECT orders"), derived once per fingerprint.
 */
#include "obslab/attrs.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "obslab/httpinfo.h"
#include "obslab/labdb.h"
#include "obslab/otel.h"
#include "obslab/request.h"
#include "obslab/span.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"

static struct attr *add(struct attr *out, size_t *n, const char *key, enum attr_type type)
{
	struct attr *a = &out[(*n)++];
	memset(a, 0, sizeof *a);
	a->key = key;
	a->type = type;
	return a;
}

static void add_str(struct attr *out, size_t *n, const char *key, const char *value)
{
	add(out, n, key, ATTR_STRING)->s = value;
}

static void add_int(struct attr *out, size_t *n, const char *key, int64_t value)
{
	add(out, n, key, ATTR_INT)->i = value;
}

/* The lab's PostgreSQL database, as attrs_set_lab_database copied it. */
static struct labdb_info lab_database;
static _Atomic bool lab_database_set;

void attrs_set_lab_database(const struct labdb_info *info)
{
	atomic_store_explicit(&lab_database_set, false, memory_order_release);
	if (!info)
		return;
	lab_database = *info;
	atomic_store_explicit(&lab_database_set, true, memory_order_release);
}

const struct labdb_info *attrs_lab_database(void)
{
	return atomic_load_explicit(&lab_database_set, memory_order_acquire) ? &lab_database : NULL;
}

void query_names_init(struct query_names *q)
{
	memset(q, 0, sizeof *q);
	q->name = STRTAB_NONE;
}

const struct query_names *query_names_of(struct query_names *q, const struct span_record *s,
                                         const struct strtab *names)
{
	if (q->name == s->name && s->name != STRTAB_NONE)
		return q;
	const char *sql = strtab_get(names, s->name);
	q->name = s->name;
	sqlfp_operation(sql, q->operation, sizeof q->operation);
	sqlfp_collection(sql, q->collection, sizeof q->collection);
	if (!q->operation[0])
		snprintf(q->display, sizeof q->display, "%s", sql);
	else if (q->collection[0])
		snprintf(q->display, sizeof q->display, "%s %s", q->operation, q->collection);
	else
		snprintf(q->display, sizeof q->display, "%s", q->operation);
	return q;
}

size_t span_attributes(const struct span_record *s, const struct strtab *names, struct attr out[ATTRS_MAX],
                       struct query_names *memo)
{
	size_t n = 0;
	if (s->flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER))
		return 0; /* a foreign span's attributes are its otel_span's; a placeholder is no span */
	if (s->flags & SPAN_F_DB) {
		struct query_names local;
		if (!memo) {
			query_names_init(&local);
			memo = &local;
		}
		const struct query_names *q = query_names_of(memo, s, names);
		bool pg = s->db_system == SPAN_DB_POSTGRESQL;
		add_str(out, &n, ATTR_KEY_DB_SYSTEM, pg ? "postgresql" : "sqlite");
		if (pg && atomic_load_explicit(&lab_database_set, memory_order_acquire)) {
			add_str(out, &n, ATTR_KEY_DB_NAMESPACE, lab_database.name_space);
			add_str(out, &n, ATTR_KEY_SERVER_ADDRESS, lab_database.server_address);
			add_int(out, &n, ATTR_KEY_SERVER_PORT, lab_database.server_port);
		}
		add_str(out, &n, ATTR_KEY_DB_QUERY_TEXT, strtab_get(names, s->name));
		struct attr *op = add(out, &n, ATTR_KEY_DB_OPERATION, ATTR_STRING);
		snprintf(op->text, sizeof op->text, "%s", q->operation);
		struct attr *coll = add(out, &n, ATTR_KEY_DB_COLLECTION, ATTR_STRING);
		snprintf(coll->text, sizeof coll->text, "%s", q->collection);
		add_int(out, &n, ATTR_KEY_DB_ROWS, s->u.db.rows);
		add_int(out, &n, ATTR_KEY_NET_WAIT_NS, s->u.db.net_wait_ns);
		if (pg) { /* PostgreSQL keeps no statement counters obslab reads */
			add_str(out, &n, ATTR_KEY_NET_WAIT_SOURCE, "measured round trip");
		} else {
			add_int(out, &n, ATTR_KEY_DB_FULLSCAN_STEPS, s->u.db.fullscan_steps);
			add_int(out, &n, ATTR_KEY_DB_SORT_OPS, s->sort_ops);
			add_int(out, &n, ATTR_KEY_DB_AUTOINDEX_ROWS, s->u.db.autoindex);
			add_int(out, &n, ATTR_KEY_DB_VM_STEPS, s->u.db.vm_steps);
		}
	} else if (s->parent_id == 0 && s->kind == SPAN_KIND_SERVER) {
		add_str(out, &n, ATTR_KEY_HTTP_METHOD, "GET");
		add_str(out, &n, ATTR_KEY_HTTP_ROUTE, REQUEST_ROUTE);
		add_str(out, &n, ATTR_KEY_STRATEGY, strategy_name((enum strategy)s->strategy));
		add_int(out, &n, ATTR_KEY_USERS, s->u.root.users);
		add(out, &n, ATTR_KEY_INDEX, ATTR_BOOL)->i = (s->flags & SPAN_F_INDEX) != 0;
		if (s->flags & SPAN_F_DB_CHANGED)
			add(out, &n, ATTR_KEY_DB_CHANGED, ATTR_BOOL)->i = 1;
	}
	if (s->flags & SPAN_F_CANCELLED)
		add_str(out, &n, ATTR_KEY_ERROR_TYPE, "cancelled");
	else if (s->flags & SPAN_F_ERROR)
		add_str(out, &n, ATTR_KEY_ERROR_TYPE, "error");
	return n;
}

size_t span_attributes_http(const struct span_record *s, const struct http_info *http, const struct strtab *names,
                            struct attr out[ATTRS_MAX], struct query_names *memo)
{
	if (!http || s->parent_id != 0 || (s->flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER | SPAN_F_DB)))
		return span_attributes(s, names, out, memo);
	struct attr lab[ATTRS_MAX];
	size_t nlab = span_attributes(s, names, lab, memo);
	size_t n = http_info_attributes(http, out, ATTRS_MAX);
	bool ran_lab = http_info_ran_lab(http); /* else its root's strategy and users mean nothing */
	for (size_t i = 0; i < nlab && n < ATTRS_MAX; i++) {
		const char *k = lab[i].key;
		if (strcmp(k, ATTR_KEY_HTTP_METHOD) == 0 || strcmp(k, ATTR_KEY_HTTP_ROUTE) == 0)
			continue;
		if (!ran_lab && (strcmp(k, ATTR_KEY_STRATEGY) == 0 || strcmp(k, ATTR_KEY_USERS) == 0 ||
		                 strcmp(k, ATTR_KEY_INDEX) == 0 || strcmp(k, ATTR_KEY_DB_CHANGED) == 0))
			continue;
		out[n++] = lab[i];
	}
	return n;
}

void span_display_name(const struct span_record *s, const struct strtab *names, char *buf, size_t cap)
{
	if (!(s->flags & SPAN_F_DB) || (s->flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER))) {
		snprintf(buf, cap, "%s", strtab_get(names, s->name));
		return;
	}
	struct query_names q;
	query_names_init(&q);
	snprintf(buf, cap, "%s", query_names_of(&q, s, names)->display);
}

void span_display_name_in(const struct otel_set *set, const struct span_record *s, const struct strtab *names,
                          char *buf, size_t cap)
{
	const struct otel_span *sp = otel_span_of(set, s);
	if (sp && cap > 0)
		snprintf(buf, cap, "%s", otel_text_of(set, sp->name));
	else
		span_display_name(s, names, buf, cap);
}
