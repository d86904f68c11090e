/*
 * attrs — a span's attributes by their OpenTelemetry names, derived from
 * its record: what the details pane lists and what exports write.
 *
 * Database spans: db.system.name, db.query.text (the fingerprint: never a
 * bound value), db.operation.name, db.collection.name,
 * db.response.returned_rows, and obslab's own statement counters and
 * simulated network wait. The request's root: http.request.method,
 * http.route, and the lab's settings. Values are copied into the caller's
 * array; strings point into the string table or static storage.
 *
 * Threads: pure, any thread; the trace and the string table are only read.
 */
#ifndef OBSLAB_ATTRS_H
#define OBSLAB_ATTRS_H

#include <stddef.h>
#include <stdint.h>

struct span_record;
struct strtab;

#define ATTRS_MAX 16
#define ATTRS_TEXT 64

enum attr_type { ATTR_STRING, ATTR_INT, ATTR_BOOL };

struct attr {
	const char *key;
	enum attr_type type;
	const char *s;        /* ATTR_STRING: the strtab's or static text ... */
	char text[ATTRS_TEXT]; /* ... or this, when s is NULL */
	int64_t i;            /* ATTR_INT, ATTR_BOOL */
};

static inline const char *attr_string(const struct attr *a)
{
	return a->s ? a->s : a->text;
}

/* What a query's fingerprint says about it, derived once per fingerprint:
 * pass the same struct for span after span and it is only recomputed when
 * the name changes (the N+1 loop's spans all share one). */
struct query_names {
	uint32_t name; /* the fingerprint these are for; STRTAB_NONE: none yet */
	char operation[32], collection[64], display[128];
};

void query_names_init(struct query_names *q);
const struct query_names *query_names_of(struct query_names *q, const struct span_record *s,
                                         const struct strtab *names);

/* Fills out[0..ATTRS_MAX) and returns how many. memo may be NULL. */
size_t span_attributes(const struct span_record *s, const struct strtab *names, struct attr out[ATTRS_MAX],
                       struct query_names *memo);

/* The name a waterfall shows: "SELECT orders" for a query (operation and
 * collection, as OpenTelemetry names database spans), else the span name. */
void span_display_name(const struct span_record *s, const struct strtab *names, char *buf, size_t cap);

#endif
