/*
 * details_otel — the details pane's text for a foreign span (everything its
 * otel_span, resource and scope carry, typed) and for a placeholder (what
 * is missing and what hangs under it). See details_otel.h.
 */
#include "details_otel.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/spantree.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

#define TEXT 1024  /* a line before the pane wraps it (longer: cut with "…") */
#define VALUE 512  /* a value's text before it is made safe (then cut to VALUE + 128) */

struct out {
	details_line_fn *line;
	void *ctx;
};

static void say(const struct out *o, enum draw_role role, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(const struct out *o, enum draw_role role, const char *fmt, ...)
{
	char text[TEXT];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	o->line(o->ctx, role, text);
}

char *details_safe(const char *text, size_t len, char *out, size_t cap)
{
	const char *ell = draw_glyphs()->ellipsis;
	size_t o = 0, ell_len = strlen(ell);
	if (cap == 0)
		return out;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		bool safe;
		size_t n = textsafe_next(text + i, len - i, &cp, &safe);
		char esc[TEXTSAFE_ESCAPE_MAX];
		const char *piece = text + i;
		size_t plen = n;
		if (!safe) {
			plen = textsafe_escape_bytes(esc, text + i, n);
			piece = esc;
		}
		if (o + plen + ell_len + 1 > cap) {
			if (o + ell_len + 1 <= cap) {
				memcpy(out + o, ell, ell_len);
				o += ell_len;
			}
			break;
		}
		memcpy(out + o, piece, plen);
		o += plen;
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* An otel string, safe. */
static const char *str(const struct otel_set *set, struct otel_str s, char *buf, size_t cap)
{
	return details_safe(otel_text_of(set, s), s.len, buf, cap);
}

static const char *type_name(uint8_t type)
{
	static const char *const names[] = { "empty", "string", "bool", "int", "double", "bytes", "array", "kvlist" };
	return type < sizeof names / sizeof *names ? names[type] : "?";
}

/* A value as it reads on a line, with its type: "\"GET\" (string)". */
static void value_text(const struct otel_set *set, const struct otel_value *v, char *out, size_t cap)
{
	char raw[VALUE], safe[VALUE + 128];
	if (v->type == OTEL_VALUE_STRING) {
		/* Whole, with any NUL it holds escaped (otel_value_format would end it there). */
		details_safe(otel_text_of(set, v->u.s), v->u.s.len, safe, sizeof safe);
		snprintf(out, cap, "\"%s\" (string)", safe);
		return;
	}
	otel_value_format(set, v, raw, sizeof raw);
	details_safe(raw, strlen(raw), safe, sizeof safe);
	if (v->type == OTEL_VALUE_ARRAY || v->type == OTEL_VALUE_KVLIST)
		snprintf(out, cap, "%s (%s of %" PRIu32 ")", safe, type_name(v->type), v->count);
	else if (v->type == OTEL_VALUE_BYTES)
		snprintf(out, cap, "%s (bytes, %" PRIu32 ")", safe, v->u.s.len);
	else
		snprintf(out, cap, "%s (%s)", safe, type_name(v->type));
}

static void say_kv(const struct out *o, const struct otel_set *set, const struct otel_kv *kv, const char *indent)
{
	char key[256], value[TEXT];
	str(set, kv->key, key, sizeof key);
	value_text(set, &kv->value, value, sizeof value);
	say(o, ROLE_DIM, "%s%s = %s", indent, key, value);
}

/* "… first 64 of 3,611,761 attributes shown", when a list is longer than the pane lists. */
static void say_first(const struct out *o, const char *indent, uint32_t shown, uint32_t count, const char *what)
{
	if (shown >= count)
		return;
	char n[32];
	draw_count(n, sizeof n, count);
	say(o, ROLE_DIM, "%s%s first %" PRIu32 " of %s %s shown", indent, draw_glyphs()->ellipsis, shown, n, what);
}

/* A list's items, `first_key` (if present) before the others; the first
 * DETAILS_MAX_ITEMS of them, then how many there are. */
static void say_attrs(const struct out *o, const struct otel_set *set, struct otel_attrs a, const char *indent,
                      const char *first_key)
{
	size_t flen = first_key ? strlen(first_key) : 0;
	uint32_t shown = 0, first_at = UINT32_MAX;
	for (uint32_t i = 0; first_key && i < a.count; i++) {
		const struct otel_kv *kv = &set->kvs[a.first + i];
		if (kv->key.len == flen && memcmp(otel_text_of(set, kv->key), first_key, flen) == 0) {
			say_kv(o, set, kv, indent);
			first_at = i;
			shown++;
			break;
		}
	}
	for (uint32_t i = 0; i < a.count && shown < DETAILS_MAX_ITEMS; i++)
		if (i != first_at) {
			say_kv(o, set, &set->kvs[a.first + i], indent);
			shown++;
		}
	say_first(o, indent, shown, a.count, "attributes");
	if (a.dropped)
		say(o, ROLE_DIM, "%s(%" PRIu32 " attribute%s dropped by the sender)", indent, a.dropped,
		    a.dropped == 1 ? "" : "s");
}

/* "+1.25ms", "-80ns": t from t0, either way. */
static void offset(char *buf, size_t cap, int64_t t, int64_t t0)
{
	char d[16];
	bool before = t < t0;
	draw_duration(d, sizeof d, before ? t0 - t : t - t0);
	snprintf(buf, cap, "%s%s", before ? "-" : "+", d);
}

static const struct span_record *find_span(const struct trace *t, uint64_t id)
{
	for (size_t i = 0; id && i < t->nspans; i++)
		if (t->spans[i].span_id == id)
			return &t->spans[i];
	return NULL;
}

static void say_marks(const struct out *o, const struct trace *t, const struct span_record *s,
                      const struct otel_span *sp)
{
	const char *warn = draw_glyphs()->warn;
	char id[17];
	snprintf(id, sizeof id, "%016" PRIx64, sp->parent_span_id);
	if (sp->marks & OTEL_MARK_CYCLE)
		say(o, ROLE_WARN, "%s cycle: its parent chain (parent %s) loops back to it; shown as an orphan", warn, id);
	else if (sp->marks & OTEL_MARK_ORPHAN)
		say(o, ROLE_WARN, "%s orphan: parent %s not in the file; shown under \"missing parent\"", warn, id);
	if (sp->marks & OTEL_MARK_SKEW) {
		const struct span_record *parent = find_span(t, s->parent_id);
		char early[16] = "", late[16] = "";
		if (parent && s->start_ns < parent->start_ns)
			draw_duration(early, sizeof early, parent->start_ns - s->start_ns);
		if (parent && s->end_ns > parent->end_ns)
			draw_duration(late, sizeof late, s->end_ns - parent->end_ns);
		char how[80] = "starts before or ends after";
		if (early[0] && late[0])
			snprintf(how, sizeof how, "starts %s before and ends %s after", early, late);
		else if (early[0])
			snprintf(how, sizeof how, "starts %s before", early);
		else if (late[0])
			snprintf(how, sizeof how, "ends %s after", late);
		say(o, ROLE_WARN, "%s clock skew: %s its parent (shown as the file says)", warn, how);
	}
	if (sp->marks & OTEL_MARK_DUPLICATE) {
		char own[17];
		snprintf(id, sizeof id, "%016" PRIx64, sp->span_id);
		snprintf(own, sizeof own, "%016" PRIx64, s->span_id);
		say(o, ROLE_WARN, "%s duplicate span id %s: another span of this trace has it; this one is kept apart "
		    "(as %s here)", warn, id, own);
	}
}

void details_foreign_span(const struct trace *t, const struct span_record *s, const struct strtab *names,
                          details_line_fn *line, void *ctx)
{
	const struct out out = { line, ctx }, *o = &out;
	const struct otel_set *set = t->otel;
	const struct otel_span *sp = otel_span_of(set, s);
	if (!sp)
		return;
	const char *dot = draw_glyphs()->dot;
	char a[TEXT], b[256], dur[16], at[16];

	say(o, ROLE_TITLE, "%s  (%s span)", str(set, sp->name, a, sizeof a), otel_kind_name(sp->kind));
	if (s->flags & SPAN_F_DB) {
		const char *fp = strtab_get(names, s->name);
		say(o, ROLE_DB, "fingerprint %s", details_safe(fp, strlen(fp), a, sizeof a));
	}
	say_marks(o, t, s, sp);
	if (sp->status_code == 2)
		say(o, ROLE_ERROR, "status error%s%s", sp->status_message.len ? ": " : "",
		    str(set, sp->status_message, a, sizeof a));
	else
		say(o, ROLE_NORMAL, "status %s%s%s", otel_status_name(sp->status_code), sp->status_message.len ? ": " : "",
		    str(set, sp->status_message, a, sizeof a));

	const struct otel_resource *res = otel_span_resource(set, sp);
	const struct otel_scope *scope = otel_span_scope(set, sp);
	const char *service = otel_service_name(set, sp);
	details_safe(service ? service : "(no service.name)", service ? strlen(service) : 17, a, sizeof a);
	if (scope && (scope->name.len || scope->version.len)) {
		char name[256], version[128];
		str(set, scope->name, name, sizeof name);
		str(set, scope->version, version, sizeof version);
		say(o, ROLE_NORMAL, "service %s %s scope %s%s%s", a, dot, name, version[0] ? " " : "", version);
	} else {
		say(o, ROLE_NORMAL, "service %s", a);
	}
	draw_duration(dur, sizeof dur, span_duration_ns(s));
	draw_duration(at, sizeof at, s->start_ns - t->spans[0].start_ns);
	say(o, ROLE_NORMAL, "duration %s %s starts at +%s", dur, dot, at);

	say(o, ROLE_NORMAL, "attributes (%" PRIu32 ")", sp->attrs.count);
	say_attrs(o, set, sp->attrs, "  ", NULL);

	if (sp->nevents || sp->dropped_events)
		say(o, ROLE_NORMAL, "events (%" PRIu32 ")", sp->nevents);
	uint32_t i = 0;
	for (; i < sp->nevents && i < DETAILS_MAX_ITEMS && sp->events_first + i < set->nevents; i++) {
		const struct otel_event *e = &set->events[sp->events_first + i];
		char when[24];
		offset(when, sizeof when, (int64_t)(e->time_unix_ns - sp->start_unix_ns), 0);
		say(o, ROLE_NORMAL, "  %s %s", when, str(set, e->name, a, sizeof a));
		say_attrs(o, set, e->attrs, "    ", NULL);
	}
	say_first(o, "  ", i, sp->nevents, "events");
	if (sp->dropped_events)
		say(o, ROLE_DIM, "  (%" PRIu32 " event%s dropped by the sender)", sp->dropped_events,
		    sp->dropped_events == 1 ? "" : "s");

	if (sp->nlinks || sp->dropped_links)
		say(o, ROLE_NORMAL, "links (%" PRIu32 ")", sp->nlinks);
	for (i = 0; i < sp->nlinks && i < DETAILS_MAX_ITEMS && sp->links_first + i < set->nlinks; i++) {
		const struct otel_link *l = &set->links[sp->links_first + i];
		char trace[33];
		span_trace_id_hex(l->trace_id, trace);
		say(o, ROLE_NORMAL, "  trace %s span %016" PRIx64, trace, l->span_id);
		if (l->trace_state.len)
			say(o, ROLE_DIM, "    trace state %s", str(set, l->trace_state, a, sizeof a));
		if (l->flags)
			say(o, ROLE_DIM, "    flags 0x%08" PRIx32, l->flags);
		say_attrs(o, set, l->attrs, "    ", NULL);
	}
	say_first(o, "  ", i, sp->nlinks, "links");
	if (sp->dropped_links)
		say(o, ROLE_DIM, "  (%" PRIu32 " link%s dropped by the sender)", sp->dropped_links,
		    sp->dropped_links == 1 ? "" : "s");

	if (res) {
		say(o, ROLE_NORMAL, "resource (%" PRIu32 " attribute%s)", res->attrs.count, res->attrs.count == 1 ? "" : "s");
		say_attrs(o, set, res->attrs, "  ", "service.name");
		if (res->schema_url.len)
			say(o, ROLE_DIM, "  schema %s", str(set, res->schema_url, a, sizeof a));
	}
	if (scope) {
		str(set, scope->name, a, sizeof a);
		str(set, scope->version, b, sizeof b);
		say(o, ROLE_NORMAL, "scope %s%s%s", a[0] ? a : "(unnamed)", b[0] ? " " : "", b);
		say_attrs(o, set, scope->attrs, "  ", NULL);
		if (scope->schema_url.len)
			say(o, ROLE_DIM, "  schema %s", str(set, scope->schema_url, a, sizeof a));
	}

	if (sp->trace_state.len)
		say(o, ROLE_DIM, "trace state %s", str(set, sp->trace_state, a, sizeof a));
	if (sp->has_flags)
		say(o, ROLE_DIM, "flags 0x%08" PRIx32 "%s", sp->flags, sp->flags & 1 ? " (sampled)" : "");
	char trace[33];
	span_trace_id_hex(sp->trace_id, trace);
	say(o, ROLE_DIM, "trace %s", trace);
	if (sp->parent_span_id && (sp->marks & OTEL_MARK_REMOTE_PARENT))
		say(o, ROLE_DIM, "span %016" PRIx64 " %s parent %016" PRIx64 " (remote: in the caller's process)", sp->span_id,
		    dot, sp->parent_span_id);
	else if (sp->parent_span_id)
		say(o, ROLE_DIM, "span %016" PRIx64 " %s parent %016" PRIx64, sp->span_id, dot, sp->parent_span_id);
	else
		say(o, ROLE_DIM, "span %016" PRIx64 " %s parent (root)", sp->span_id, dot);
}

const struct span_record *details_cycle_cut(const struct trace *t, const struct span_record *s)
{
	if (!(s->flags & SPAN_F_PLACEHOLDER) || !t->otel)
		return NULL;
	for (size_t i = 0; i < t->nspans; i++) {
		const struct span_record *c = &t->spans[i];
		const struct otel_span *sp = c->parent_id == s->span_id && c != s ? otel_span_of(t->otel, c) : NULL;
		if (sp && (sp->marks & OTEL_MARK_CYCLE))
			return c;
	}
	return NULL;
}

/* The spans of the loop cut at placeholder s: the spans under it marked as
 * in a cycle (the loop's earliest hangs under s, the rest under it; a span
 * merely hanging from the loop is not one of them). */
static size_t loop_spans(const struct trace *t, const struct span_record *s)
{
	struct spantree tree;
	spantree_init(&tree);
	spantree_build(&tree, t);
	uint32_t *walk = xmalloc_array(t->nspans, sizeof *walk);
	size_t n = 0, top = 0;
	uint32_t at = (uint32_t)(s - t->spans);
	if (tree.first_child[at] != SPANTREE_NONE)
		walk[top++] = tree.first_child[at];
	while (top > 0) { /* each entry: a span, then its later siblings */
		uint32_t x = walk[--top];
		const struct otel_span *sp = otel_span_of(t->otel, &t->spans[x]);
		n += sp && (sp->marks & OTEL_MARK_CYCLE);
		if (tree.next_sibling[x] != SPANTREE_NONE)
			walk[top++] = tree.next_sibling[x];
		if (tree.first_child[x] != SPANTREE_NONE)
			walk[top++] = tree.first_child[x];
	}
	free(walk);
	spantree_free(&tree);
	return n;
}

void details_placeholder(const struct trace *t, const struct span_record *s, const struct strtab *names,
                         details_line_fn *line, void *ctx)
{
	const struct out out = { line, ctx }, *o = &out;
	const struct glyphs *g = draw_glyphs();
	const char *name = strtab_get(names, s->name);
	size_t under = 0;
	for (size_t i = 0; i < t->nspans; i++)
		under += t->spans[i].parent_id == s->span_id && &t->spans[i] != s;
	char from[16], to[16];
	draw_duration(from, sizeof from, s->start_ns - t->spans[0].start_ns);
	draw_duration(to, sizeof to, s->end_ns - t->spans[0].start_ns);
	char safe[256];
	details_safe(name, strlen(name), safe, sizeof safe);
	const struct span_record *cut;
	if (s->parent_id == 0 && &t->spans[0] == s) {
		say(o, ROLE_WARN, "%s %s", g->warn, safe);
		say(o, ROLE_NORMAL, "not a span: this trace has no single root in the file, so its %zu top span%s "
		    "and missing parents are shown under this node", under, under == 1 ? "" : "s");
	} else if ((cut = details_cycle_cut(t, s)) != NULL) {
		/* The id under it is obslab's own: name what the file says instead. */
		const struct otel_span *sp = otel_span_of(t->otel, cut);
		size_t loop = loop_spans(t, s);
		char child[256];
		details_safe(otel_text_of(t->otel, sp->name), sp->name.len, child, sizeof child);
		say(o, ROLE_WARN, "%s parent cycle cut here", g->warn);
		say(o, ROLE_NORMAL, "not a span: the file's parent chain loops: \"%s\" (span %016" PRIx64 ") names "
		    "%016" PRIx64 " as its parent, whose own parents lead back to it; the loop is cut here and its %zu "
		    "span%s shown under this node", child, sp->span_id, sp->parent_span_id, loop, loop == 1 ? " is" : "s are");
	} else {
		say(o, ROLE_WARN, "%s %s %016" PRIx64, g->warn, safe, s->span_id);
		say(o, ROLE_NORMAL, "not a span: the file has no span %016" PRIx64 ", which %zu span%s name%s as "
		    "their parent (orphans, shown under it)", s->span_id, under, under == 1 ? "" : "s",
		    under == 1 ? "s" : "");
	}
	say(o, ROLE_DIM, "shown from +%s to +%s: the extent of what hangs under it", from, to);
}
