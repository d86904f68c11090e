/*
 * otel_lab — a lab or served trace's own spans as otel_spans (otel_lab.h):
 * what the OTLP writer (snapshot_write.c, otlp_span) writes, built into a
 * set instead of a file, for the forwarder.
 */
#include <string.h>

#include "obslab/attrs.h"
#include "obslab/clock.h"
#include "obslab/httpinfo.h"
#include "obslab/labdb.h"
#include "obslab/otel.h"
#include "obslab/otel_lab.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static struct otel_str text(struct otel_set *set, const char *s)
{
	return otel_text(set, s, strlen(s));
}

static void push_string(struct otel_set *set, const char *key, const char *value)
{
	struct otel_value v = { .type = OTEL_VALUE_STRING };
	v.u.s = text(set, value);
	otel_kv_push(set, text(set, key), v);
}

uint32_t otel_lab_scope(struct otel_set *set, const char *service_name)
{
	struct otel_resource r = { 0 };
	size_t mark = otel_kv_mark(set);
	push_string(set, "service.name", service_name);
	push_string(set, "service.version", OBSLAB_VERSION);
	push_string(set, "telemetry.sdk.name", OTEL_LAB_SDK_NAME);
	push_string(set, "telemetry.sdk.language", OTEL_LAB_SDK_LANGUAGE);
	push_string(set, "telemetry.sdk.version", OBSLAB_VERSION);
	const struct labdb_info *db = attrs_lab_database(); /* where the lab runs, as the export's resource says */
	if (db)
		push_string(set, ATTR_KEY_DB_DISPLAY, db->display);
	r.attrs.first = otel_kv_commit(set, mark, &r.attrs.count);
	struct otel_scope sc = { .resource = otel_add_resource(set, &r) };
	sc.name = text(set, OTEL_LAB_SCOPE);
	sc.version = text(set, OBSLAB_VERSION);
	return otel_add_scope(set, &sc);
}

static void push_attr(struct otel_set *set, const struct attr *a)
{
	struct otel_value v = { 0 };
	switch (a->type) {
	case ATTR_STRING:
		v.type = OTEL_VALUE_STRING;
		v.u.s = text(set, attr_string(a));
		break;
	case ATTR_BOOL:
		v.type = OTEL_VALUE_BOOL;
		v.u.b = a->i != 0;
		break;
	case ATTR_INT:
		v.type = OTEL_VALUE_INT;
		v.u.i = a->i;
		break;
	}
	otel_kv_push(set, text(set, a->key), v);
}

static const char *status_name(uint8_t flags)
{
	return flags & SPAN_F_CANCELLED ? "cancelled" : "error";
}

size_t otel_lab_add_trace(struct otel_set *set, uint32_t scope, const struct trace *t, const struct strtab *names,
                          const struct clock_anchor *anchor)
{
	struct query_names memo;
	query_names_init(&memo);
	size_t added = 0;
	for (size_t i = 0; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		if (s->flags & (SPAN_F_FOREIGN | SPAN_F_PLACEHOLDER))
			continue;
		const struct http_info *http = s->parent_id == 0 ? t->http : NULL;
		struct otel_span sp = { .scope = scope, .kind = s->kind, .span_id = s->span_id };
		memcpy(sp.trace_id, t->trace_id, sizeof sp.trace_id);
		sp.parent_span_id = s->parent_id;
		if (http) {
			if (http->tracestate[0])
				sp.trace_state = text(set, http->tracestate);
			if (http->remote_parent_id) {
				sp.parent_span_id = http->remote_parent_id;
				sp.has_flags = true;
				sp.flags = OTEL_FLAGS_HAS_IS_REMOTE | OTEL_FLAGS_IS_REMOTE | http->trace_flags;
			}
		}
		const char *name = s->flags & SPAN_F_DB ? query_names_of(&memo, s, names)->display : strtab_get(names, s->name);
		sp.name = text(set, name);
		sp.start_unix_ns = (uint64_t)clock_to_unix_ns(anchor, s->start_ns);
		sp.end_unix_ns = (uint64_t)clock_to_unix_ns(anchor, s->end_ns);
		struct attr attrs[ATTRS_MAX];
		size_t n = span_attributes_http(s, http, names, attrs, &memo);
		size_t mark = otel_kv_mark(set);
		for (size_t k = 0; k < n; k++)
			push_attr(set, &attrs[k]);
		sp.attrs.first = otel_kv_commit(set, mark, &sp.attrs.count);
		if (s->flags & (SPAN_F_ERROR | SPAN_F_CANCELLED)) { /* STATUS_CODE_ERROR, as the OTLP writer */
			sp.status_code = 2;
			sp.status_message = text(set, status_name(s->flags));
		}
		otel_add_span(set, &sp);
		added++;
	}
	return added;
}
