/* db: schema, deterministic and idempotent seeding, scale changes, the
 * index toggle, and refusing files that are not obslab's. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/db.h"

static int64_t scalar(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

/* A digest of the data: every user and order, in order. */
static uint64_t data_digest(sqlite3 *db)
{
	sqlite3_stmt *stmt;
	uint64_t h = 1469598103934665603u;
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT u.id || u.username || u.email || o.id || o.product_name "
	                                    "|| o.quantity FROM users u JOIN orders o ON o.user_id = u.id "
	                                    "ORDER BY o.id", -1, &stmt, NULL), SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const unsigned char *s = sqlite3_column_text(stmt, 0);
		for (; *s; s++)
			h = (h ^ *s) * 1099511628211u;
	}
	sqlite3_finalize(stmt);
	return h;
}

static sqlite3 *open_seeded(const char *path, uint32_t users, uint64_t seed)
{
	sqlite3 *db;
	struct db_error err;
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	assert_int_equal(db_seed(db, users, seed, NULL, NULL, &err), DB_OK);
	return db;
}

static void seeds_the_original_data(void **state)
{
	(void)state;
	sqlite3 *db = open_seeded(":memory:", 20, 42);
	assert_int_equal(scalar(db, "SELECT count(*) FROM users"), 20);
	assert_int_equal(scalar(db, "SELECT count(*) FROM users WHERE username = 'user_01' AND email = 'user01@example.com'"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM users WHERE username = 'user_20' AND email = 'user20@example.com'"), 1);
	assert_int_equal(scalar(db, "SELECT min(n) >= 2 AND max(n) <= 5 FROM (SELECT count(*) AS n FROM orders GROUP BY user_id)"), 1);
	assert_int_equal(scalar(db, "SELECT min(quantity) >= 1 AND max(quantity) <= 5 FROM orders"), 1);
	assert_int_equal(scalar(db, "SELECT count(DISTINCT user_id) FROM orders"), 20);
	/* No index on orders.user_id until asked for, as the original's models. */
	assert_false(db_has_index(db));
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'"), 0);
	assert_int_equal(db_seeded_users(db), 20);
	assert_int_equal(db_seeded_seed(db), 42);
	sqlite3_close(db);
}

static void product_names_come_from_the_asset(void **state)
{
	(void)state;
	assert_true(db_product_count >= 10);
	sqlite3 *db = open_seeded(":memory:", 100, 1);
	sqlite3_stmt *stmt;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT DISTINCT product_name FROM orders", -1, &stmt, NULL), SQLITE_OK);
	int distinct = 0;
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(stmt, 0);
		bool known = false;
		for (size_t i = 0; i < db_product_count; i++)
			known |= strcmp(name, db_product_names[i]) == 0;
		assert_true(known);
		distinct++;
	}
	sqlite3_finalize(stmt);
	assert_true(distinct > 5);
	sqlite3_close(db);
}

static void same_seed_same_data_other_seed_other_data(void **state)
{
	(void)state;
	sqlite3 *a = open_seeded(":memory:", 200, 7), *b = open_seeded(":memory:", 200, 7);
	sqlite3 *c = open_seeded(":memory:", 200, 8);
	assert_int_equal(data_digest(a), data_digest(b));
	assert_int_not_equal(data_digest(a), data_digest(c));
	sqlite3_close(a);
	sqlite3_close(b);
	sqlite3_close(c);
}

static void restart_is_idempotent(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "idempotent.db");
	sqlite3 *db = open_seeded(path, 20, 42);
	uint64_t digest = data_digest(db);
	int64_t orders = scalar(db, "SELECT count(*) FROM orders");
	sqlite3_close(db);
	db = open_seeded(path, 20, 42); /* a second start on the same file */
	assert_int_equal(scalar(db, "SELECT count(*) FROM users"), 20);
	assert_int_equal(scalar(db, "SELECT count(*) FROM orders"), orders);
	assert_int_equal(data_digest(db), digest);
	sqlite3_close(db);
}

static void scale_changes_match_a_fresh_seed(void **state)
{
	(void)state;
	sqlite3 *grown = open_seeded(":memory:", 20, 42);
	struct db_error err;
	assert_int_equal(db_seed(grown, 1000, 42, NULL, NULL, &err), DB_OK);
	sqlite3 *fresh = open_seeded(":memory:", 1000, 42);
	assert_int_equal(scalar(grown, "SELECT count(*) FROM users"), 1000);
	assert_int_equal(data_digest(grown), data_digest(fresh));

	assert_int_equal(db_seed(grown, 100, 42, NULL, NULL, &err), DB_OK);
	sqlite3 *small = open_seeded(":memory:", 100, 42);
	assert_int_equal(scalar(grown, "SELECT count(*) FROM users"), 100);
	assert_int_equal(scalar(grown, "SELECT count(*) FROM orders WHERE user_id > 100"), 0);
	assert_int_equal(data_digest(grown), data_digest(small));

	assert_int_equal(db_seed(grown, 100, 43, NULL, NULL, &err), DB_OK); /* new seed: rebuilt */
	assert_int_not_equal(data_digest(grown), data_digest(small));
	assert_int_equal(db_seeded_seed(grown), 43);
	sqlite3_close(grown);
	sqlite3_close(fresh);
	sqlite3_close(small);
}

static void index_toggles(void **state)
{
	(void)state;
	sqlite3 *db = open_seeded(":memory:", 20, 42);
	struct db_error err;
	assert_int_equal(db_set_index(db, true, &err), DB_OK);
	assert_true(db_has_index(db));
	assert_int_equal(db_set_index(db, true, &err), DB_OK); /* twice is fine */
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql LIKE '%orders(user_id)%'"), 1);
	assert_int_equal(db_set_index(db, false, &err), DB_OK);
	assert_false(db_has_index(db));
	sqlite3_close(db);
}

static void refuses_a_foreign_database_untouched(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "foreign.db");
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other,
	                              "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);"
	                              "INSERT INTO users(name) VALUES ('alice'), ('bob');",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	uint64_t before = file_checksum(path);

	sqlite3 *db;
	struct db_error err;
	assert_int_equal(db_open(path, &db, &err), DB_FOREIGN);
	assert_null(db);
	assert_non_null(strstr(err.msg, "did not create"));
	assert_int_equal(file_checksum(path), before);
}

static void refuses_a_file_that_is_not_a_database(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "notes.db");
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 200; i++)
		fputs("this is not a database, just some text\n", f);
	fclose(f);
	uint64_t before = file_checksum(path);
	sqlite3 *db;
	struct db_error err;
	assert_int_equal(db_open(path, &db, &err), DB_NOTADB);
	assert_non_null(strstr(err.msg, "not a SQLite database"));
	assert_int_equal(file_checksum(path), before);
}

static void reports_paths_it_cannot_use(void **state)
{
	(void)state;
	sqlite3 *db;
	struct db_error err;
	assert_int_equal(db_open("/nonexistent-dir/x/lab.db", &db, &err), DB_CANTOPEN);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x/lab.db"));
	assert_int_equal(db_open(fixture_dir(), &db, &err), DB_CANTOPEN);
	assert_non_null(strstr(err.msg, "directory"));
}

static void refuses_a_newer_schema(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "newer.db");
	sqlite3 *db = open_seeded(path, 20, 42);
	assert_int_equal(sqlite3_exec(db, "UPDATE obslab_meta SET value = '99' WHERE key = 'schema_version'",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct db_error err;
	assert_int_equal(db_open(path, &db, &err), DB_TOO_NEW);
}

static int teardown(void **state)
{
	(void)state;
	fixture_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(seeds_the_original_data),
		cmocka_unit_test(product_names_come_from_the_asset),
		cmocka_unit_test(same_seed_same_data_other_seed_other_data),
		cmocka_unit_test(restart_is_idempotent),
		cmocka_unit_test(scale_changes_match_a_fresh_seed),
		cmocka_unit_test(index_toggles),
		cmocka_unit_test(refuses_a_foreign_database_untouched),
		cmocka_unit_test(refuses_a_file_that_is_not_a_database),
		cmocka_unit_test(reports_paths_it_cannot_use),
		cmocka_unit_test(refuses_a_newer_schema),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
