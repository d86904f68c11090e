#include "obslab/attrs.h"

#include <stdio.h>
#include <string.h>

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

size_t span_attributes(const struct span_record *s, const struct strtab *names, struct attr out[ATTRS_MAX])
{
	size_t n = 0;
	if (s->flags & SPAN_F_DB) {
		const char *sql = strtab_get(names, s->name);
		add_str(out, &n, "db.system.name", "sqlite");
		add_str(out, &n, "db.query.text", sql);
		struct attr *op = add(out, &n, "db.operation.name", ATTR_STRING);
		sqlfp_operation(sql, op->text, sizeof op->text);
		struct attr *coll = add(out, &n, "db.collection.name", ATTR_STRING);
		sqlfp_collection(sql, coll->text, sizeof coll->text);
		add_int(out, &n, "db.response.returned_rows", s->u.db.rows);
		add_int(out, &n, "obslab.net_wait_ns", s->u.db.net_wait_ns);
		add_int(out, &n, "obslab.db.fullscan_steps", s->u.db.fullscan_steps);
		add_int(out, &n, "obslab.db.sort_ops", s->sort_ops);
		add_int(out, &n, "obslab.db.autoindex_rows", s->u.db.autoindex);
		add_int(out, &n, "obslab.db.vm_steps", s->u.db.vm_steps);
	} else if (s->parent_id == 0 && s->kind == SPAN_KIND_SERVER) {
		add_str(out, &n, "http.request.method", "GET");
		add_str(out, &n, "http.route", REQUEST_ROUTE);
		add_str(out, &n, "obslab.strategy", strategy_name((enum strategy)s->strategy));
		add_int(out, &n, "obslab.users", s->u.root.users);
		add(out, &n, "obslab.index", ATTR_BOOL)->i = (s->flags & SPAN_F_INDEX) != 0;
	}
	if (s->flags & SPAN_F_CANCELLED)
		add_str(out, &n, "error.type", "cancelled");
	else if (s->flags & SPAN_F_ERROR)
		add_str(out, &n, "error.type", "error");
	return n;
}

void span_display_name(const struct span_record *s, const struct strtab *names, char *buf, size_t cap)
{
	const char *name = strtab_get(names, s->name);
	if (!(s->flags & SPAN_F_DB)) {
		snprintf(buf, cap, "%s", name);
		return;
	}
	char op[32], coll[64];
	sqlfp_operation(name, op, sizeof op);
	sqlfp_collection(name, coll, sizeof coll);
	if (!op[0])
		snprintf(buf, cap, "%s", name);
	else if (coll[0])
		snprintf(buf, cap, "%s %s", op, coll);
	else
		snprintf(buf, cap, "%s", op);
}
