/* attrs: a span's OpenTelemetry attributes and display name — database
 * spans, the request's root, errors, plain spans, and the per-fingerprint
 * memo — on constructed records and on a real trace. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/attrs.h"
#include "obslab/httpinfo.h"
#include "obslab/labdb.h"
#include "obslab/request.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

#define COUNT_SQL "SELECT count(*) FROM orders WHERE user_id = ?"

static const struct attr *find(const struct attr *a, size_t n, const char *key)
{
	const struct attr *found = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(a[i].key, key) == 0) {
			if (found)
				fail_msg("attribute %s appears twice", key);
			found = &a[i];
		}
	}
	return found;
}

static void has_string(const struct attr *a, size_t n, const char *key, const char *value)
{
	const struct attr *x = find(a, n, key);
	if (!x)
		fail_msg("no attribute %s", key);
	assert_int_equal(x->type, ATTR_STRING);
	assert_string_equal(attr_string(x), value);
}

static void has_int(const struct attr *a, size_t n, const char *key, enum attr_type type, int64_t value)
{
	const struct attr *x = find(a, n, key);
	if (!x)
		fail_msg("no attribute %s", key);
	assert_int_equal(x->type, type);
	assert_int_equal(x->i, value);
}

static struct span_record db_span(uint32_t name)
{
	struct span_record s = { .span_id = 5, .parent_id = 1, .start_ns = 100, .end_ns = 900, .name = name,
	                         .kind = SPAN_KIND_CLIENT, .flags = SPAN_F_DB, .sort_ops = 2 };
	s.u.db.rows = 3;
	s.u.db.net_wait_ns = 200000;
	s.u.db.fullscan_steps = 4999;
	s.u.db.vm_steps = 123456;
	s.u.db.autoindex = 7;
	return s;
}

static void database_span_by_semantic_conventions(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct span_record s = db_span(strtab_intern_cstr(names, COUNT_SQL));
	struct attr a[ATTRS_MAX];
	size_t n = span_attributes(&s, names, a, NULL);
	assert_int_equal(n, 10);
	has_string(a, n, "db.system.name", "sqlite");
	has_string(a, n, "db.query.text", COUNT_SQL);
	has_string(a, n, "db.operation.name", "SELECT");
	has_string(a, n, "db.collection.name", "orders");
	has_int(a, n, "db.response.returned_rows", ATTR_INT, 3);
	has_int(a, n, "obslab.net_wait_ns", ATTR_INT, 200000);
	has_int(a, n, "obslab.db.fullscan_steps", ATTR_INT, 4999);
	has_int(a, n, "obslab.db.sort_ops", ATTR_INT, 2);
	has_int(a, n, "obslab.db.autoindex_rows", ATTR_INT, 7);
	has_int(a, n, "obslab.db.vm_steps", ATTR_INT, 123456);
	assert_null(find(a, n, "error.type"));
	assert_null(find(a, n, "http.route"));
	/* the query text points into the string table: no copy, never a value */
	assert_ptr_equal(find(a, n, "db.query.text")->s, strtab_get(names, s.name));

	/* A statement with no table, and one that is not SQL at all. */
	s.name = strtab_intern_cstr(names, "BEGIN");
	n = span_attributes(&s, names, a, NULL);
	has_string(a, n, "db.operation.name", "BEGIN");
	has_string(a, n, "db.collection.name", "");
	s.name = STRTAB_NONE;
	n = span_attributes(&s, names, a, NULL);
	assert_int_equal(n, 10);
	has_string(a, n, "db.query.text", "");
	has_string(a, n, "db.operation.name", "");
	strtab_destroy(names);
}

static void root_span_carries_the_request_and_settings(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct span_record root = { .span_id = 1, .parent_id = 0, .name = strtab_intern_cstr(names, REQUEST_SPAN_NAME),
	                            .kind = SPAN_KIND_SERVER, .flags = SPAN_F_INDEX, .strategy = STRATEGY_EAGER };
	root.u.root.users = 1000;
	struct attr a[ATTRS_MAX];
	size_t n = span_attributes(&root, names, a, NULL);
	assert_int_equal(n, 5);
	has_string(a, n, "http.request.method", "GET");
	has_string(a, n, "http.route", REQUEST_ROUTE);
	has_string(a, n, "obslab.strategy", "eager");
	has_int(a, n, "obslab.users", ATTR_INT, 1000);
	has_int(a, n, "obslab.index", ATTR_BOOL, 1);
	assert_null(find(a, n, "db.system.name"));

	root.flags = 0;
	root.strategy = STRATEGY_NAIVE;
	n = span_attributes(&root, names, a, NULL);
	has_int(a, n, "obslab.index", ATTR_BOOL, 0);
	has_string(a, n, "obslab.strategy", "naive");

	/* a server span that is not the root is not the request */
	root.parent_id = 9;
	assert_int_equal(span_attributes(&root, names, a, NULL), 0);
	/* nor is a root of another kind */
	root.parent_id = 0;
	root.kind = SPAN_KIND_INTERNAL;
	assert_int_equal(span_attributes(&root, names, a, NULL), 0);
	strtab_destroy(names);
}

static void errors_are_typed_cancelled_first(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct span_record root = { .span_id = 1, .kind = SPAN_KIND_SERVER, .flags = SPAN_F_CANCELLED,
	                            .strategy = STRATEGY_NAIVE };
	struct attr a[ATTRS_MAX];
	size_t n = span_attributes(&root, names, a, NULL);
	assert_int_equal(n, 6);
	has_string(a, n, "error.type", "cancelled");
	root.flags = SPAN_F_ERROR;
	n = span_attributes(&root, names, a, NULL);
	has_string(a, n, "error.type", "error");
	root.flags = SPAN_F_ERROR | SPAN_F_CANCELLED;
	n = span_attributes(&root, names, a, NULL);
	has_string(a, n, "error.type", "cancelled");

	/* the most a span can have still fits */
	struct span_record s = db_span(strtab_intern_cstr(names, COUNT_SQL));
	s.flags |= SPAN_F_ERROR;
	n = span_attributes(&s, names, a, NULL);
	assert_int_equal(n, 11);
	assert_true(n <= ATTRS_MAX);
	has_string(a, n, "error.type", "error");

	/* a plain span has nothing but its error */
	struct span_record plain = { .span_id = 3, .parent_id = 1, .kind = SPAN_KIND_INTERNAL,
	                             .name = strtab_intern_cstr(names, "serialize response") };
	assert_int_equal(span_attributes(&plain, names, a, NULL), 0);
	plain.flags = SPAN_F_ERROR;
	n = span_attributes(&plain, names, a, NULL);
	assert_int_equal(n, 1);
	has_string(a, n, "error.type", "error");
	strtab_destroy(names);
}

static void names_are_derived_once_per_fingerprint(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct span_record s = db_span(strtab_intern_cstr(names, COUNT_SQL));
	struct query_names memo;
	query_names_init(&memo);
	assert_int_equal(memo.name, STRTAB_NONE);
	const struct query_names *q = query_names_of(&memo, &s, names);
	assert_ptr_equal(q, &memo);
	assert_int_equal(q->name, s.name);
	assert_string_equal(q->operation, "SELECT");
	assert_string_equal(q->collection, "orders");
	assert_string_equal(q->display, "SELECT orders");

	/* Same fingerprint: what is held is returned as it is, not derived again. */
	strcpy(memo.display, "kept");
	assert_string_equal(query_names_of(&memo, &s, names)->display, "kept");
	struct attr a[ATTRS_MAX];
	strcpy(memo.operation, "KEPT");
	size_t n = span_attributes(&s, names, a, &memo);
	has_string(a, n, "db.operation.name", "KEPT");

	/* A new fingerprint: derived afresh. */
	s.name = strtab_intern_cstr(names, "INSERT INTO audit_log (user_id, note) VALUES (?, ?)");
	q = query_names_of(&memo, &s, names);
	assert_int_equal(q->name, s.name);
	assert_string_equal(q->operation, "INSERT");
	assert_string_equal(q->collection, "audit_log");
	assert_string_equal(q->display, "INSERT audit_log");

	/* No fingerprint (STRTAB_NONE) is never taken as "already derived". */
	query_names_init(&memo);
	strcpy(memo.display, "stale");
	s.name = STRTAB_NONE;
	assert_string_equal(query_names_of(&memo, &s, names)->display, "");
	strtab_destroy(names);
}

static void display_names_as_a_waterfall_shows_them(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	char buf[128];
	struct span_record s = db_span(strtab_intern_cstr(names, COUNT_SQL));
	span_display_name(&s, names, buf, sizeof buf);
	assert_string_equal(buf, "SELECT orders");
	s.name = strtab_intern_cstr(names, "COMMIT");
	span_display_name(&s, names, buf, sizeof buf);
	assert_string_equal(buf, "COMMIT");
	/* nothing SQL can say about it: the text itself */
	s.name = strtab_intern_cstr(names, "? ?");
	span_display_name(&s, names, buf, sizeof buf);
	assert_string_equal(buf, "? ?");
	/* not a query: the span's own name, even if it reads like SQL */
	struct span_record plain = { .span_id = 2, .parent_id = 1, .kind = SPAN_KIND_INTERNAL,
	                             .name = strtab_intern_cstr(names, "SELECT something") };
	span_display_name(&plain, names, buf, sizeof buf);
	assert_string_equal(buf, "SELECT something");
	/* cut to the buffer, always terminated */
	char small[5];
	memset(small, 'x', sizeof small);
	s.name = strtab_intern_cstr(names, COUNT_SQL);
	span_display_name(&s, names, small, sizeof small);
	assert_string_equal(small, "SELE");
	span_display_name(&plain, names, small, sizeof small);
	assert_string_equal(small, "SELE");
	/* a table name longer than the attribute's text is cut, not overrun */
	char sql[300];
	strcpy(sql, "SELECT * FROM ");
	memset(sql + 14, 't', 200);
	sql[214] = '\0';
	s.name = strtab_intern_cstr(names, sql);
	struct attr a[ATTRS_MAX];
	size_t n = span_attributes(&s, names, a, NULL);
	const struct attr *coll = find(a, n, "db.collection.name");
	assert_non_null(coll);
	assert_true(strlen(attr_string(coll)) < ATTRS_TEXT);
	assert_true(strspn(attr_string(coll), "t") == strlen(attr_string(coll)));
	strtab_destroy(names);
}

/* Every span of a real naive trace: the root is the request, each query
 * names its table, the serializer has nothing to add. */
static void a_real_trace(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, true);
	lab_request(&lab, STRATEGY_NAIVE);
	const struct trace *t = store_latest(lab.store);
	struct query_names memo;
	query_names_init(&memo);
	struct attr a[ATTRS_MAX];
	size_t queries = 0;
	for (size_t i = 0; i < t->nspans; i++) {
		const struct span_record *s = &t->spans[i];
		size_t n = span_attributes(s, lab.names, a, &memo);
		char display[128];
		span_display_name(s, lab.names, display, sizeof display);
		if (i == 0) {
			has_string(a, n, "obslab.strategy", "naive");
			has_int(a, n, "obslab.users", ATTR_INT, 20);
			has_int(a, n, "obslab.index", ATTR_BOOL, 1);
			assert_string_equal(display, REQUEST_SPAN_NAME);
		} else if (s->flags & SPAN_F_DB) {
			queries++;
			has_string(a, n, "db.operation.name", "SELECT");
			const char *coll = attr_string(find(a, n, "db.collection.name"));
			assert_true(strcmp(coll, "users") == 0 || strcmp(coll, "orders") == 0);
			char want[80];
			snprintf(want, sizeof want, "SELECT %s", coll);
			assert_string_equal(display, want);
			has_int(a, n, "db.response.returned_rows", ATTR_INT, s->u.db.rows);
			assert_null(strchr(attr_string(find(a, n, "db.query.text")), '\'')); /* no bound values */
		} else {
			assert_int_equal(n, 0);
		}
	}
	assert_int_equal(queries, 21);
	lab_close(&lab);
}

/* A served root: OpenTelemetry's HTTP attributes; the lab's settings only
 * when the request ran the lab (its route), never on /health or a 404. */
static void a_served_root_has_the_lab_settings_only_when_it_ran_the_lab(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	struct span_record root = { .span_id = 1, .name = strtab_intern_cstr(names, "GET /health"),
	                            .kind = SPAN_KIND_SERVER, .strategy = STRATEGY_NAIVE };
	struct http_info h;
	http_info_init(&h);
	http_info_set_text(&h, HTTP_TEXT_METHOD, "GET", 3);
	http_info_set_text(&h, HTTP_TEXT_PATH, "/health", 7);
	h.status_code = 200;
	const char *routes[] = { "/health", "/", NULL, "/users/analyticsX", "/users/analytics", "/users/analytics/eager" };
	for (size_t r = 0; r < sizeof routes / sizeof *routes; r++) {
		h.route = routes[r];
		struct attr a[ATTRS_MAX];
		size_t n = span_attributes_http(&root, &h, names, a, NULL);
		bool lab = r >= 4;
		assert_int_equal(http_info_ran_lab(&h), lab);
		has_string(a, n, "http.request.method", "GET");
		if (lab) {
			has_string(a, n, "obslab.strategy", "naive");
			assert_non_null(find(a, n, "obslab.users"));
			assert_non_null(find(a, n, "obslab.index"));
		} else {
			assert_null(find(a, n, "obslab.strategy"));
			assert_null(find(a, n, "obslab.users"));
			assert_null(find(a, n, "obslab.index"));
		}
	}
	assert_false(http_info_ran_lab(NULL));
	strtab_destroy(names);
}

/* A PostgreSQL span: where it ran (attrs_set_lab_database), the measured
 * round trip's share marked as measured, no SQLite counters; a SQLite span
 * beside it keeps its own attributes. */
static void a_postgresql_span_names_its_server(void **state)
{
	(void)state;
	struct strtab *names = strtab_create();
	uint32_t name = strtab_intern_cstr(names, "SELECT count(*) FROM obslab_lab.orders WHERE user_id = ?");
	struct labdb_info info = { .engine = LABDB_POSTGRESQL, .system = "postgresql", .name_space = "lab",
	                           .server_address = "/tmp/sock", .server_port = 5433, .server_version = "15.8" };
	attrs_set_lab_database(&info);
	memset(&info, 0, sizeof info); /* copied */
	struct span_record s = db_span(name);
	s.db_system = SPAN_DB_POSTGRESQL;
	struct attr a[ATTRS_MAX];
	size_t n = span_attributes(&s, names, a, NULL);
	has_string(a, n, ATTR_KEY_DB_SYSTEM, "postgresql");
	has_string(a, n, ATTR_KEY_DB_NAMESPACE, "lab");
	has_string(a, n, ATTR_KEY_SERVER_ADDRESS, "/tmp/sock");
	has_int(a, n, ATTR_KEY_SERVER_PORT, ATTR_INT, 5433);
	has_string(a, n, ATTR_KEY_DB_COLLECTION, "obslab_lab.orders");
	has_int(a, n, ATTR_KEY_NET_WAIT_NS, ATTR_INT, 200000);
	has_string(a, n, ATTR_KEY_NET_WAIT_SOURCE, "measured round trip");
	assert_null(find(a, n, ATTR_KEY_DB_FULLSCAN_STEPS));
	assert_null(find(a, n, ATTR_KEY_DB_VM_STEPS));
	assert_null(find(a, n, ATTR_KEY_DB_SORT_OPS));
	assert_null(find(a, n, ATTR_KEY_DB_AUTOINDEX_ROWS));

	s.db_system = SPAN_DB_SQLITE;
	n = span_attributes(&s, names, a, NULL);
	has_string(a, n, ATTR_KEY_DB_SYSTEM, "sqlite");
	assert_null(find(a, n, ATTR_KEY_DB_NAMESPACE));
	assert_null(find(a, n, ATTR_KEY_SERVER_ADDRESS));
	assert_null(find(a, n, ATTR_KEY_NET_WAIT_SOURCE));
	has_int(a, n, ATTR_KEY_DB_FULLSCAN_STEPS, ATTR_INT, 4999);
	attrs_set_lab_database(NULL);
	strtab_destroy(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(database_span_by_semantic_conventions),
		cmocka_unit_test(root_span_carries_the_request_and_settings),
		cmocka_unit_test(errors_are_typed_cancelled_first),
		cmocka_unit_test(names_are_derived_once_per_fingerprint),
		cmocka_unit_test(display_names_as_a_waterfall_shows_them),
		cmocka_unit_test(a_real_trace),
		cmocka_unit_test(a_postgresql_span_names_its_server),
		cmocka_unit_test(a_served_root_has_the_lab_settings_only_when_it_ran_the_lab),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return rc;
}
