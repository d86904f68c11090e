/*
 * snapshot_chrome — the Chrome trace event writer (chrome://tracing,
 * Perfetto): the lab's spans as process 1 ("obslab"), foreign spans as one
 * process per service.name with one thread per lane of a trace, laid out
 * so that spans which overlap without nesting never share a thread
 * (docs/formats.md, "Chrome trace events").
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/httpinfo.h"
#include "obslab/otel.h"
#include "obslab/span.h"
#include "obslab/xalloc.h"
#include "snapshot_writer.h"

#define CHROME_MAX_LANES 64 /* per trace and service; beyond, the last lane */

/* A service: its name (NULL: the resource has no service.name), its pid,
 * the next free tid in it. */
struct chrome_service {
	char *name;
	uint32_t pid, next_tid;
};

/* A foreign span of the trace being laid out. */
struct chrome_item {
	uint32_t pid;
	size_t k; /* index in the trace's spans */
	int64_t start, end;
};

struct chrome {
	struct writer *w;
	bool any_event; /* an event was written: the next one needs a comma */
	bool lab_named; /* pid 1's metadata is written */
	int64_t origin;
	struct chrome_service *services;
	size_t nservices, cap_services;
	size_t *slots; /* open addressing over services: index + 1, 0 empty */
	size_t nslots;
	const struct otel_set *pid_set; /* the set res_pid maps */
	uint32_t *res_pid;              /* per resource of pid_set: its pid, 0 not yet known */
	struct chrome_item *items;
	size_t cap_items;
	int64_t *stack[CHROME_MAX_LANES]; /* per lane: the end times of its open spans */
	size_t top[CHROME_MAX_LANES], cap[CHROME_MAX_LANES];
};

static void put(struct chrome *c, const char *s)
{
	(void)atomicfile_write(&c->w->af, s, strlen(s));
}

static void putf(struct chrome *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(struct chrome *c, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	(void)atomicfile_write(&c->w->af, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void put_text(struct chrome *c, const char *s)
{
	otel_json_string(&c->w->jo, s, strlen(s));
}

/* The start of an event: a comma after the one before. */
static void event(struct chrome *c)
{
	put(c, c->any_event ? ",\n" : "\n");
	c->any_event = true;
}

static void put_us(struct chrome *c, const char *key, int64_t ns)
{
	/* microseconds, to the nanosecond, without a float's rounding */
	putf(c, ",\"%s\":%" PRId64 ".%03" PRId64, key, ns / 1000, ns % 1000);
}

static void metadata(struct chrome *c, uint32_t pid, uint32_t tid, const char *what, const char *name)
{
	event(c);
	putf(c, "{\"ph\":\"M\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"name\":\"%s\",\"args\":{\"name\":", pid, tid, what);
	put_text(c, name);
	put(c, "}}");
}

/* ---- services ------------------------------------------------------------------ */

static uint64_t name_hash(const char *name)
{
	uint64_t h = name ? 1469598103934665603u : 7;
	for (const char *p = name; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211u;
	return h;
}

static bool same_name(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The pid of a service name, a new process (with its process_name) the
 * first time. Foreign processes count from 2. */
static uint32_t service_pid(struct chrome *c, const char *name)
{
	if (2 * (c->nservices + 1) > c->nslots) {
		size_t n = c->nslots ? 2 * c->nslots : 64;
		free(c->slots);
		c->slots = xcalloc(n, sizeof *c->slots);
		c->nslots = n;
		for (size_t i = 0; i < c->nservices; i++) {
			size_t at = name_hash(c->services[i].name) & (n - 1);
			while (c->slots[at])
				at = (at + 1) & (n - 1);
			c->slots[at] = i + 1;
		}
	}
	size_t at = name_hash(name) & (c->nslots - 1);
	for (; c->slots[at]; at = (at + 1) & (c->nslots - 1))
		if (same_name(c->services[c->slots[at] - 1].name, name))
			return c->services[c->slots[at] - 1].pid;
	if (c->nservices == c->cap_services) {
		c->cap_services = c->cap_services ? 2 * c->cap_services : 8;
		c->services = xrealloc(c->services, c->cap_services * sizeof *c->services);
	}
	uint32_t pid = (uint32_t)c->nservices + 2;
	char *copy = NULL;
	if (name) {
		size_t len = strlen(name) + 1;
		copy = memcpy(xmalloc(len), name, len);
	}
	c->services[c->nservices] = (struct chrome_service){ copy, pid, 1 };
	c->slots[at] = ++c->nservices;
	metadata(c, pid, 0, "process_name", name ? name : "(no service.name)");
	return pid;
}

static uint32_t span_pid(struct chrome *c, const struct otel_set *set, const struct otel_span *sp)
{
	if (set != c->pid_set) {
		free(c->res_pid);
		c->res_pid = xcalloc(set->nresources ? set->nresources : 1, sizeof *c->res_pid);
		c->pid_set = set;
	}
	uint32_t r = set->scopes[sp->scope].resource;
	if (!c->res_pid[r])
		c->res_pid[r] = service_pid(c, otel_service_name(set, sp));
	return c->res_pid[r];
}

/* ---- lanes ----------------------------------------------------------------------- */

static int item_order(const void *pa, const void *pb)
{
	const struct chrome_item *a = pa, *b = pb;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end) /* the longer first: a parent before a child starting with it */
		return a->end > b->end ? -1 : 1;
	return a->k < b->k ? -1 : a->k > b->k;
}

/* The lane of a span (spans come in start order): the first lane whose
 * open span it nests in, or that has none open; past the last, the last. */
static size_t lane_of(struct chrome *c, int64_t start, int64_t end, size_t *nlanes)
{
	for (size_t l = 0; l < CHROME_MAX_LANES; l++) {
		if (l == *nlanes) {
			c->top[l] = 0;
			(*nlanes)++;
		}
		while (c->top[l] && c->stack[l][c->top[l] - 1] <= start)
			c->top[l]--;
		if (c->top[l] && c->stack[l][c->top[l] - 1] < end)
			continue;
		if (c->top[l] == c->cap[l]) {
			c->cap[l] = c->cap[l] ? 2 * c->cap[l] : 16;
			c->stack[l] = xrealloc(c->stack[l], c->cap[l] * sizeof *c->stack[l]);
		}
		c->stack[l][c->top[l]++] = end;
		return l;
	}
	return CHROME_MAX_LANES - 1; /* overlaps there: documented */
}

/* ---- events ---------------------------------------------------------------------- */

/* A foreign span: its own name, its kind as the category, its attributes
 * as args (typed, plain JSON; a repeated key gets " (n)"). */
static void foreign_span(struct chrome *c, const struct otel_set *set, const struct otel_span *sp,
                         const struct span_record *s, uint32_t pid, uint32_t tid)
{
	event(c);
	putf(c, "{\"ph\":\"X\",\"pid\":%" PRIu32 ",\"tid\":%" PRIu32 ",\"cat\":\"%s\",\"name\":", pid, tid,
	     s->flags & SPAN_F_DB ? "db" : otel_kind_name(sp->kind));
	otel_json_string(&c->w->jo, otel_text_of(set, sp->name), sp->name.len);
	put_us(c, "ts", s->start_ns - c->origin);
	put_us(c, "dur", span_duration_ns(s));
	put(c, ",\"args\":{");
	uint32_t *occ = snapshot_key_occurrences(set, sp->attrs);
	for (uint32_t i = 0; i < sp->attrs.count; i++) {
		const struct otel_kv *kv = &set->kvs[sp->attrs.first + i];
		if (i)
			put(c, ",");
		if (occ && occ[i] > 1) {
			char *key = xmalloc(kv->key.len + 16);
			int len = snprintf(key, kv->key.len + 16, "%.*s (%" PRIu32 ")", (int)kv->key.len,
			                   otel_text_of(set, kv->key), occ[i]);
			otel_json_string(&c->w->jo, key, (size_t)len);
			free(key);
		} else {
			otel_json_string(&c->w->jo, otel_text_of(set, kv->key), kv->key.len);
		}
		put(c, ":");
		otel_json_plain_value(&c->w->jo, set, &kv->value);
	}
	free(occ);
	put(c, "}}");
}

/* A lab span: process 1, thread 1, the attributes obslab gives it; a
 * served root (http set) also its HTTP attributes, and the caller's span
 * and tracestate as "parentSpanId" and "traceState". */
static void lab_span(struct chrome *c, const struct span_record *s, const struct http_info *http)
{
	struct writer *w = c->w;
	if (!c->lab_named) {
		metadata(c, 1, 1, "process_name", "obslab");
		metadata(c, 1, 1, "thread_name", "workload");
		if (w->meta->has_database) { /* where it ran, as the trace viewers label a process */
			event(c);
			put(c, "{\"ph\":\"M\",\"pid\":1,\"tid\":1,\"name\":\"process_labels\",\"args\":{\"labels\":");
			put_text(c, w->meta->database.display);
			put(c, "}}");
		}
		c->lab_named = true;
	}
	const char *kind = s->kind == SPAN_KIND_SERVER ? "server" : s->kind == SPAN_KIND_CLIENT ? "client" : "internal";
	event(c);
	putf(c, "{\"ph\":\"X\",\"pid\":1,\"tid\":1,\"cat\":\"%s\",\"name\":", s->flags & SPAN_F_DB ? "db" : kind);
	put_text(c, s->flags & SPAN_F_DB ? query_names_of(&w->memo, s, w->names)->display : strtab_get(w->names, s->name));
	put_us(c, "ts", s->start_ns - c->origin);
	put_us(c, "dur", s->end_ns - s->start_ns);
	put(c, ",\"args\":{");
	struct attr attrs[ATTRS_MAX];
	size_t n = span_attributes_http(s, http, w->names, attrs, &w->memo);
	for (size_t a = 0; a < n; a++) {
		if (a)
			put(c, ",");
		put_text(c, attrs[a].key);
		put(c, ":");
		if (attrs[a].type == ATTR_STRING)
			put_text(c, attr_string(&attrs[a]));
		else if (attrs[a].type == ATTR_BOOL)
			put(c, attrs[a].i ? "true" : "false");
		else
			putf(c, "%" PRId64, attrs[a].i);
	}
	if (http && s->parent_id == 0) {
		if (http->remote_parent_id)
			putf(c, "%s\"parentSpanId\":\"%016" PRIx64 "\"", n ? "," : "", http->remote_parent_id);
		if (http->tracestate[0]) {
			put(c, n || http->remote_parent_id ? ",\"traceState\":" : "\"traceState\":");
			put_text(c, http->tracestate);
		}
	}
	put(c, "}}");
}

/* The foreign spans items[0..n) of one trace and service (in start
 * order): their lanes, a thread per lane, then the spans. */
static void foreign_group(struct chrome *c, const struct trace *t, const struct chrome_item *items, size_t n,
                          uint32_t *lanes)
{
	size_t nlanes = 0;
	for (size_t i = 0; i < n; i++)
		lanes[i] = (uint32_t)lane_of(c, items[i].start, items[i].end, &nlanes);
	struct chrome_service *svc = &c->services[items[0].pid - 2]; /* pids count from 2 */
	uint32_t base = svc->next_tid;
	svc->next_tid += (uint32_t)nlanes;
	const struct otel_span *first = otel_span_of(t->otel, &t->spans[items[0].k]);
	for (size_t l = 0; l < nlanes; l++) {
		char name[64];
		int len = snprintf(name, sizeof name, "trace %02x%02x%02x%02x", first->trace_id[0], first->trace_id[1],
		                   first->trace_id[2], first->trace_id[3]);
		if (l)
			snprintf(name + len, sizeof name - (size_t)len, " lane %zu", l);
		metadata(c, items[0].pid, base + (uint32_t)l, "thread_name", name);
	}
	for (size_t i = 0; i < n && !c->w->af.error; i++) {
		const struct span_record *s = &t->spans[items[i].k];
		foreign_span(c, t->otel, otel_span_of(t->otel, s), s, items[i].pid, base + lanes[i]);
	}
}

static void chrome_trace(struct chrome *c, const struct trace *t, uint32_t **lanes, size_t *cap_lanes)
{
	size_t n = 0;
	for (size_t k = 0; k < t->nspans && !c->w->af.error; k++) {
		const struct span_record *s = &t->spans[k];
		if (s->flags & SPAN_F_PLACEHOLDER)
			continue;
		const struct otel_span *sp = otel_span_of(t->otel, s);
		if (!sp) {
			lab_span(c, s, t->http);
			continue;
		}
		if (n == c->cap_items) {
			c->cap_items = c->cap_items ? 2 * c->cap_items : 256;
			c->items = xrealloc(c->items, c->cap_items * sizeof *c->items);
		}
		c->items[n++] = (struct chrome_item){ span_pid(c, t->otel, sp), k, s->start_ns, s->start_ns + span_duration_ns(s) };
	}
	if (!n)
		return;
	if (n > *cap_lanes) {
		*cap_lanes = c->cap_items;
		*lanes = xrealloc(*lanes, *cap_lanes * sizeof **lanes);
	}
	qsort(c->items, n, sizeof *c->items, item_order);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && c->items[j].pid == c->items[i].pid; j++)
			;
		foreign_group(c, t, c->items + i, j - i, *lanes);
	}
}

/* Timestamps count from the first span: microseconds since 1970 need more
 * digits than a JSON reader's double keeps (0.25 µs steps), and nesting
 * would blur. The origin's Unix time is in the metadata. */
void snapshot_chrome_write(struct writer *w, const struct store *store)
{
	struct chrome c = { .w = w };
	if (store_trace_count(store) > 0)
		c.origin = store_trace(store, 0)->spans[0].start_ns;
	putf(&c, "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"origin_unix_ns\":\"%" PRId64 "\"",
	     clock_to_unix_ns(&w->meta->anchor, c.origin));
	if (w->meta->has_database) {
		put(&c, ",\"database\":");
		snapshot_database_put(w, &w->meta->database);
	}
	put(&c, "},\"traceEvents\":[");
	uint32_t *lanes = NULL;
	size_t cap_lanes = 0;
	for (size_t i = 0; i < store_trace_count(store) && !w->af.error; i++)
		chrome_trace(&c, store_trace(store, i), &lanes, &cap_lanes);
	put(&c, "\n]}\n");
	free(lanes);
	for (size_t i = 0; i < c.nservices; i++)
		free(c.services[i].name);
	free(c.services);
	free(c.slots);
	free(c.res_pid);
	free(c.items);
	for (size_t l = 0; l < CHROME_MAX_LANES; l++)
		free(c.stack[l]);
}
