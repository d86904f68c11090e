/*
 * attrs — a span's attributes by their OpenTelemetry names, derived from
 * its record: what the details pane lists and what exports write.
 *
 * Database spans: db.system.name, db.query.text (the fingerprint: never a
 * bound value), db.operation.name, db.collection.name,
 * db.response.returned_rows, and obslab's own statement counters and
 * simulated network wait. A PostgreSQL span (db_system SPAN_DB_POSTGRESQL)
 * says db.system.name "postgresql" with db.namespace, server.address and
 * server.port of the lab's database (attrs_set_lab_database), has no SQLite
 * counters, and its obslab.net_wait_ns is the measured round trip's share
 * of the statement (min(round trip, duration), pg.h), marked so by
 * obslab.net_wait_source = "measured round trip"; nothing is simulated. The request's root: http.request.method,
 * http.route, and the settings the request really ran under (the users and
 * index the database had), and obslab.db_changed when another connection
 * changed the database during it; a served request's root also has the
 * HTTP server attributes of its http_info (span_attributes_http). Values are copied into the caller's
 * array; strings point into the string table or static storage.
 *
 * Foreign spans (SPAN_F_FOREIGN, read from someone else's file) and
 * placeholders get nothing here: their attributes are the ones their
 * otel_span carries (otel.h), and nothing is derived for them. Their name
 * is their own (span_display_name_in), never one made from a fingerprint.
 *
 * Threads: pure, any thread; the trace and the string table are only read.
 */
#ifndef OBSLAB_ATTRS_H
#define OBSLAB_ATTRS_H

#include <stddef.h>
#include <stdint.h>

struct http_info;
struct labdb_info;
struct otel_set;
struct span_record;
struct strtab;

#define ATTRS_MAX 24
#define ATTRS_TEXT 64

/*
 * The attribute names, the one list: span_attributes writes them (and so
 * every export), the snapshot reader reads them back. OpenTelemetry's
 * semantic conventions where one exists, obslab's own under "obslab.".
 */
#define ATTR_KEY_DB_SYSTEM "db.system.name"
#define ATTR_KEY_DB_SYSTEM_OLD "db.system"       /* read: older conventions */
#define ATTR_KEY_DB_QUERY_TEXT "db.query.text"
#define ATTR_KEY_DB_STATEMENT_OLD "db.statement" /* read: older conventions */
#define ATTR_KEY_DB_OPERATION "db.operation.name"
#define ATTR_KEY_DB_COLLECTION "db.collection.name"
#define ATTR_KEY_DB_ROWS "db.response.returned_rows"
#define ATTR_KEY_NET_WAIT_NS "obslab.net_wait_ns" /* SQLite: simulated; PostgreSQL: measured round trip */
#define ATTR_KEY_NET_WAIT_SOURCE "obslab.net_wait_source" /* PostgreSQL spans: "measured round trip" */
#define ATTR_KEY_DB_NAMESPACE "db.namespace"
#define ATTR_KEY_DB_DISPLAY "obslab.db.display" /* the lab resource's: labdb_info.display */
#define ATTR_KEY_DB_FULLSCAN_STEPS "obslab.db.fullscan_steps"
#define ATTR_KEY_DB_SORT_OPS "obslab.db.sort_ops"
#define ATTR_KEY_DB_AUTOINDEX_ROWS "obslab.db.autoindex_rows"
#define ATTR_KEY_DB_VM_STEPS "obslab.db.vm_steps"
#define ATTR_KEY_HTTP_METHOD "http.request.method"
#define ATTR_KEY_HTTP_ROUTE "http.route"
/* A served request's (httpinfo.h): OpenTelemetry's HTTP server conventions. */
#define ATTR_KEY_HTTP_METHOD_ORIGINAL "http.request.method_original"
#define ATTR_KEY_HTTP_STATUS_CODE "http.response.status_code"
#define ATTR_KEY_URL_SCHEME "url.scheme"
#define ATTR_KEY_URL_PATH "url.path"
#define ATTR_KEY_SERVER_ADDRESS "server.address"
#define ATTR_KEY_SERVER_PORT "server.port"
#define ATTR_KEY_CLIENT_ADDRESS "client.address"
#define ATTR_KEY_USER_AGENT "user_agent.original"
#define ATTR_KEY_NET_PROTOCOL_VERSION "network.protocol.version"
#define ATTR_KEY_STRATEGY "obslab.strategy"
#define ATTR_KEY_USERS "obslab.users"
#define ATTR_KEY_INDEX "obslab.index"
#define ATTR_KEY_DB_CHANGED "obslab.db_changed" /* only when true */
#define ATTR_KEY_ERROR_TYPE "error.type"

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

/* Where the lab's PostgreSQL spans ran (pg_info): copied, process-wide.
 * Set once, before the lab's first span is recorded or read (NULL clears:
 * PostgreSQL spans then carry no namespace or server). */
void attrs_set_lab_database(const struct labdb_info *info);
/* What attrs_set_lab_database last set (either engine), or NULL: none. */
const struct labdb_info *attrs_lab_database(void);

/* Fills out[0..ATTRS_MAX) and returns how many. memo may be NULL. */
size_t span_attributes(const struct span_record *s, const struct strtab *names, struct attr out[ATTRS_MAX],
                       struct query_names *memo);

/* The same, for a span of a trace that may have been served (trace->http):
 * on a lab root with http set, OpenTelemetry's HTTP server attributes
 * (http_info_attributes) take the place of the lab's method and route, and
 * the lab's own settings follow; any other span, or http NULL, gets what
 * span_attributes gives. Strings may point into *http. */
size_t span_attributes_http(const struct span_record *s, const struct http_info *http, const struct strtab *names,
                            struct attr out[ATTRS_MAX], struct query_names *memo);

/* The name a waterfall shows: "SELECT orders" for a lab query (operation
 * and collection, as OpenTelemetry names database spans), else the span
 * name. A foreign span's record name is shown as it is (without its set the
 * span's own name is not known: prefer span_display_name_in). */
void span_display_name(const struct span_record *s, const struct strtab *names, char *buf, size_t cap);
/* The same, knowing the otel set the trace's foreign spans are details of
 * (trace->otel; NULL for the lab's): a foreign span shows its own name as
 * the file gave it (a NUL in it ends it), a database one too, never its
 * fingerprint. */
void span_display_name_in(const struct otel_set *set, const struct span_record *s, const struct strtab *names,
                          char *buf, size_t cap);

#endif
