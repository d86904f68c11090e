/* db: schema, deterministic and idempotent seeding, scale changes, the
 * index toggle, refusing what is not obslab's (whatever form the path
 * takes) without touching it, and waiting out other connections' locks. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "obslab/clock.h"

#include "fixture.h"
#include "obslab/db.h"

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
	struct obslab_error err;
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	assert_int_equal(db_seed(db, users, seed, NULL, NULL, &err), DB_OK);
	return db;
}

static void seeds_the_original_data(void **state)
{
	(void)state;
	sqlite3 *db = open_seeded(":memory:", 20, 42);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users"), 20);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users WHERE username = 'user_01' AND email = 'user01@example.com'"), 1);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users WHERE username = 'user_20' AND email = 'user20@example.com'"), 1);
	assert_int_equal(fixture_scalar(db, "SELECT min(n) >= 2 AND max(n) <= 5 FROM (SELECT count(*) AS n FROM orders GROUP BY user_id)"), 1);
	assert_int_equal(fixture_scalar(db, "SELECT min(quantity) >= 1 AND max(quantity) <= 5 FROM orders"), 1);
	assert_int_equal(fixture_scalar(db, "SELECT count(DISTINCT user_id) FROM orders"), 20);
	/* No index on orders.user_id until asked for, as the original's models. */
	assert_false(db_has_index(db));
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'"), 0);
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
	int64_t orders = fixture_scalar(db, "SELECT count(*) FROM orders");
	sqlite3_close(db);
	db = open_seeded(path, 20, 42); /* a second start on the same file */
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users"), 20);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM orders"), orders);
	assert_int_equal(data_digest(db), digest);
	sqlite3_close(db);
}

static void scale_changes_match_a_fresh_seed(void **state)
{
	(void)state;
	sqlite3 *grown = open_seeded(":memory:", 20, 42);
	struct obslab_error err;
	assert_int_equal(db_seed(grown, 1000, 42, NULL, NULL, &err), DB_OK);
	sqlite3 *fresh = open_seeded(":memory:", 1000, 42);
	assert_int_equal(fixture_scalar(grown, "SELECT count(*) FROM users"), 1000);
	assert_int_equal(data_digest(grown), data_digest(fresh));

	assert_int_equal(db_seed(grown, 100, 42, NULL, NULL, &err), DB_OK);
	sqlite3 *small = open_seeded(":memory:", 100, 42);
	assert_int_equal(fixture_scalar(grown, "SELECT count(*) FROM users"), 100);
	assert_int_equal(fixture_scalar(grown, "SELECT count(*) FROM orders WHERE user_id > 100"), 0);
	assert_int_equal(data_digest(grown), data_digest(small));

	assert_int_equal(db_seed(grown, 100, 43, NULL, NULL, &err), DB_OK); /* new seed: rebuilt */
	assert_int_not_equal(data_digest(grown), data_digest(small));
	assert_int_equal(db_seeded_seed(grown), 43);
	sqlite3_close(grown);
	sqlite3_close(fresh);
	sqlite3_close(small);
}

/* Orders another program emptied, deleted, moved or changed, users left
 * as they were: seeding again (same users, or grown) rebuilds them, judged
 * by seeddata_totals' figures, not kept because the users table looks right. */
static void changed_orders_are_rebuilt(void **state)
{
	(void)state;
	static const char *const changes[] = {
		"DELETE FROM orders", "DELETE FROM orders WHERE id = 5", "UPDATE orders SET user_id = 1 WHERE user_id = 2",
		"UPDATE orders SET quantity = quantity + 1 WHERE id = 3", "UPDATE orders SET product_name = 'x' WHERE id = 7",
	};
	sqlite3 *fresh20 = open_seeded(":memory:", 20, 42), *fresh30 = open_seeded(":memory:", 30, 42);
	struct obslab_error err;
	for (size_t i = 0; i < sizeof changes / sizeof changes[0]; i++) {
		for (uint32_t users = 20; users <= 30; users += 10) {
			sqlite3 *db = open_seeded(":memory:", 20, 42);
			assert_int_equal(sqlite3_exec(db, changes[i], NULL, NULL, NULL), SQLITE_OK);
			assert_int_not_equal(data_digest(db), data_digest(fresh20));
			assert_int_equal(db_seed(db, users, 42, NULL, NULL, &err), DB_OK);
			if (data_digest(db) != data_digest(users == 20 ? fresh20 : fresh30))
				fail_msg("%s, seeded again with %u users: kept", changes[i], users);
			sqlite3_close(db);
		}
	}
	sqlite3_close(fresh20);
	sqlite3_close(fresh30);
}

static void index_toggles(void **state)
{
	(void)state;
	sqlite3 *db = open_seeded(":memory:", 20, 42);
	struct obslab_error err;
	assert_int_equal(db_set_index(db, true, &err), DB_OK);
	assert_true(db_has_index(db));
	assert_int_equal(db_set_index(db, true, &err), DB_OK); /* twice is fine */
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND sql LIKE '%orders(user_id)%'"), 1);
	assert_int_equal(db_set_index(db, false, &err), DB_OK);
	assert_false(db_has_index(db));
	sqlite3_close(db);
}

/* An index another program made on orders(user_id) is the index: on adds
 * no second one, off leaves it (not obslab's), and db_index_serving names
 * it; a partial one or one on another first column does not serve. */
static void another_programs_index_serves(void **state)
{
	(void)state;
	sqlite3 *db = open_seeded(":memory:", 20, 42);
	struct obslab_error err;
	char name[64];
	assert_int_equal(sqlite3_exec(db, "CREATE INDEX idx_p ON orders(user_id) WHERE quantity > 1;"
	                              "CREATE INDEX idx_q ON orders(quantity, user_id);", NULL, NULL, NULL), SQLITE_OK);
	assert_false(db_index_serving(db, name, sizeof name));
	assert_string_equal(name, "");
	assert_int_equal(sqlite3_exec(db, "CREATE INDEX idx_o ON orders(user_id, quantity)", NULL, NULL, NULL), SQLITE_OK);
	assert_true(db_has_index(db));
	assert_true(db_index_serving(db, name, sizeof name));
	assert_string_equal(name, "idx_o");
	assert_int_equal(db_set_index(db, true, &err), DB_OK); /* served: none added */
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = '" DB_INDEX_NAME "'"), 0);
	assert_int_equal(db_set_index(db, false, &err), DB_OK); /* not obslab's to drop */
	assert_true(db_index_serving(db, name, sizeof name));
	assert_string_equal(name, "idx_o");
	assert_int_equal(sqlite3_exec(db, "DROP INDEX idx_o; CREATE INDEX " DB_INDEX_NAME " ON orders(user_id);"
	                              "CREATE INDEX idx_a ON orders(user_id);", NULL, NULL, NULL), SQLITE_OK);
	assert_true(db_index_serving(db, name, sizeof name));
	assert_string_equal(name, DB_INDEX_NAME); /* obslab's first */
	assert_int_equal(db_set_index(db, false, &err), DB_OK);
	assert_true(db_index_serving(db, name, sizeof name));
	assert_string_equal(name, "idx_a");
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
	struct obslab_error err;
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
	struct obslab_error err;
	assert_int_equal(db_open(path, &db, &err), DB_NOTADB);
	assert_non_null(strstr(err.msg, "not a SQLite database"));
	assert_int_equal(file_checksum(path), before);
}

static void reports_paths_it_cannot_use(void **state)
{
	(void)state;
	sqlite3 *db;
	struct obslab_error err;
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
	struct obslab_error err;
	assert_int_equal(db_open(path, &db, &err), DB_TOO_NEW);
}

/* ---- ownership: decided on the file SQLite opens, nothing touched ---- */

/* A scratch directory of its own per test, and what is in it: names,
 * sizes, modification times and a checksum of every file. */
static void subdir(char *out, size_t cap, const char *name)
{
	fixture_path(out, cap, name);
	assert_int_equal(mkdir(out, 0700), 0);
}

#define LISTING_CAP 65536

static void listing(const char *dir, char *out, size_t cap)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	assert_true(n >= 0);
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		char path[600];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (lstat(path, &st) == 0 && len < cap)
			len += (size_t)snprintf(out + len, cap - len, "%s %o %lld %lld.%09ld %llx\\n", names[i]->d_name,
			                        (unsigned)st.st_mode, (long long)st.st_size, (long long)st.st_mtim.tv_sec,
			                        st.st_mtim.tv_nsec,
			                        S_ISREG(st.st_mode) ? (unsigned long long)file_checksum(path) : 0ull);
		free(names[i]);
	}
	free(names);
}

/* Another program's database at dir/name, made by the SQL given. */
static void other_db(char *path, size_t cap, const char *dir, const char *name, const char *sql)
{
	snprintf(path, cap, "%s/%s", dir, name);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
}

/* db_open on arg must refuse with want, leaving dir exactly as it was. */
static void expect_refused(const char *dir, const char *arg, enum db_status want, const char *says)
{
	static char before[LISTING_CAP], after[LISTING_CAP];
	listing(dir, before, sizeof before);
	sqlite3 *db = (sqlite3 *)1;
	struct obslab_error err = { "" };
	enum db_status got = db_open(arg, &db, &err);
	if (got != want)
		fail_msg("db_open(%s) gave %d, expected %d: %s", arg, got, want, err.msg);
	assert_null(db);
	if (!strstr(err.msg, says))
		fail_msg("db_open(%s) said '%s', expected it to say '%s'", arg, err.msg, says);
	listing(dir, after, sizeof after);
	assert_string_equal(before, after);
}

static void refuses_a_foreign_database_in_every_form_of_its_path(void **state)
{
	(void)state;
	char dir[300], path[400], arg[600];
	subdir(dir, sizeof dir, "forms");
	other_db(path, sizeof path, dir, "shop.db",
	         "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);"
	         "INSERT INTO customers(name) VALUES ('alice'), ('bob');");
	const char *forms[] = { "file:%s", "file:%s?mode=rwc", "file:%s?cache=private&psow=1&nolock=0",
	                        "file://localhost%s", "file:%s#fragment", "%s" };
	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		snprintf(arg, sizeof arg, forms[i], path);
		expect_refused(dir, arg, DB_FOREIGN, "did not create");
	}
	/* Relative, and through a symlink. */
	char cwd[400];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(symlink("shop.db", "link.db"), 0);
	expect_refused(dir, "file:shop.db", DB_FOREIGN, "did not create");
	expect_refused(dir, "file:./shop.db?mode=rw", DB_FOREIGN, "did not create");
	expect_refused(dir, "file:link.db", DB_FOREIGN, "shop.db");
	expect_refused(dir, "link.db", DB_FOREIGN, "did not create");
	assert_int_equal(chdir(cwd), 0);
}

static void refuses_a_uri_that_picks_its_vfs(void **state)
{
	(void)state;
	char dir[300], path[400], arg[600];
	subdir(dir, sizeof dir, "vfs");
	other_db(path, sizeof path, dir, "shop.db", "CREATE TABLE t(a); INSERT INTO t VALUES (1);");
	snprintf(arg, sizeof arg, "file:%s?vfs=unix-none", path);
	expect_refused(dir, arg, DB_CANTOPEN, "vfs=");
	snprintf(arg, sizeof arg, "file:%s?mode=rw&v%%66s=unix-dotfile", path);
	expect_refused(dir, arg, DB_CANTOPEN, "vfs=");
}

static void refuses_views_triggers_and_stamps_of_others(void **state)
{
	(void)state;
	char dir[300], path[400];
	subdir(dir, sizeof dir, "objects");
	other_db(path, sizeof path, dir, "view.db", "CREATE VIEW answer AS SELECT 42 AS value;");
	expect_refused(dir, path, DB_FOREIGN, "did not create");
	other_db(path, sizeof path, dir, "trigger.db",
	         "CREATE VIEW v AS SELECT 1 AS a;"
	         "CREATE TRIGGER t INSTEAD OF INSERT ON v BEGIN SELECT 1; END;");
	expect_refused(dir, path, DB_FOREIGN, "did not create");
	/* An index of its own on a table named like obslab's, and no stamp. */
	other_db(path, sizeof path, dir, "index.db",
	         "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX by_name ON users(name);");
	expect_refused(dir, path, DB_FOREIGN, "did not create");
	other_db(path, sizeof path, dir, "app.db", "PRAGMA application_id = 42;");
	expect_refused(dir, path, DB_FOREIGN, "application_id 42");
	other_db(path, sizeof path, dir, "version.db", "PRAGMA user_version = 7;");
	expect_refused(dir, path, DB_FOREIGN, "user_version 7");
	/* obslab's tables and stamp, under another program's application_id. */
	other_db(path, sizeof path, dir, "claimed.db",
	         "CREATE TABLE obslab_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	         "INSERT INTO obslab_meta VALUES ('format', 'obslab'), ('schema_version', '1');"
	         "PRAGMA application_id = 1234;");
	expect_refused(dir, path, DB_FOREIGN, "did not create");
}

static void refuses_what_is_not_a_regular_file(void **state)
{
	(void)state;
	char dir[300], fifo[400];
	/* what this test must not create in /dev (another program may have) */
	bool null_journal = access("/dev/null-journal", F_OK) == 0;
	bool zero_journal = access("/dev/zero-journal", F_OK) == 0;
	subdir(dir, sizeof dir, "special");
	snprintf(fifo, sizeof fifo, "%s/pipe.db", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(20); /* a FIFO opened for reading would block: fail, never hang */
	expect_refused(dir, fifo, DB_CANTOPEN, "a FIFO");
	alarm(0);
	expect_refused(dir, dir, DB_CANTOPEN, "a directory");
	expect_refused("/dev", "/dev/null", DB_CANTOPEN, "a character device");
	expect_refused("/dev", "/dev/zero", DB_CANTOPEN, "a character device");
	expect_refused("/dev", "file:/dev/null?mode=rwc", DB_CANTOPEN, "a character device");
	struct stat st;
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(access("/dev/null-journal", F_OK) == 0, null_journal);
	assert_int_equal(access("/dev/zero-journal", F_OK) == 0, zero_journal);
}

static void refuses_a_wal_database_without_creating_its_files(void **state)
{
	(void)state;
	char dir[300], path[400];
	subdir(dir, sizeof dir, "wal");
	other_db(path, sizeof path, dir, "wal.db",
	         "PRAGMA journal_mode = WAL; CREATE TABLE t(a); INSERT INTO t VALUES (1);");
	expect_refused(dir, path, DB_FOREIGN, "WAL");
	/* Even an empty one: a WAL database without obslab's stamp is someone else's. */
	other_db(path, sizeof path, dir, "empty-wal.db", "PRAGMA journal_mode = WAL;");
	expect_refused(dir, path, DB_FOREIGN, "WAL");
}

static int64_t application_id(const char *path)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	int64_t id = fixture_scalar(db, "PRAGMA application_id");
	sqlite3_close(db);
	return id;
}

static void takes_what_is_its_own(void **state)
{
	(void)state;
	char dir[300], path[400];
	subdir(dir, sizeof dir, "own");
	struct obslab_error err;
	sqlite3 *db;
	/* A new path: created and stamped, the header too. */
	snprintf(path, sizeof path, "%s/new.db", dir);
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	sqlite3_close(db);
	assert_int_equal(application_id(path), DB_APPLICATION_ID);
	/* A 0-byte file. */
	snprintf(path, sizeof path, "%s/zero.db", dir);
	fclose(fopen(path, "w"));
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	sqlite3_close(db);
	/* A database whose last table was dropped: nothing in it, no stamp. */
	other_db(path, sizeof path, dir, "emptied.db", "CREATE TABLE t(a); DROP TABLE t;");
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	sqlite3_close(db);
	/* One stamped by an obslab from before application_id. */
	other_db(path, sizeof path, dir, "older.db", "PRAGMA application_id = 0;");
	db = open_seeded(path, 20, 42);
	assert_int_equal(sqlite3_exec(db, "PRAGMA application_id = 0", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	assert_int_equal(db_seeded_users(db), 20);
	sqlite3_close(db);
	/* The same, as a URI. */
	char arg[600];
	snprintf(arg, sizeof arg, "file:%s?cache=private", path);
	assert_int_equal(db_open(arg, &db, &err), DB_OK);
	sqlite3_close(db);
}

/* A writer that dies mid-transaction leaves a hot journal. */
static void crash_mid_write(const char *path, const char *sql)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;
		if (sqlite3_open(path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "PRAGMA cache_size = 1; BEGIN;", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			_exit(1);
		_exit(0); /* no COMMIT, no close */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	char journal[500];
	snprintf(journal, sizeof journal, "%s-journal", path);
	assert_int_equal(access(journal, F_OK), 0);
}

static void a_hot_journal_is_rolled_back_only_in_its_own(void **state)
{
	(void)state;
	char dir[300], path[400];
	subdir(dir, sizeof dir, "hot");
	snprintf(path, sizeof path, "%s/lab.db", dir);
	sqlite3 *db = open_seeded(path, 200, 42);
	uint64_t digest = data_digest(db);
	sqlite3_close(db);
	crash_mid_write(path, "DELETE FROM orders; UPDATE users SET email = 'x' || email;");
	struct obslab_error err;
	if (db_open(path, &db, &err) != DB_OK)
		fail_msg("obslab's own database after a crash: %s", err.msg);
	assert_int_equal(data_digest(db), digest);
	sqlite3_close(db);

	other_db(path, sizeof path, dir, "other.db",
	         "CREATE TABLE t(a); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)"
	         " INSERT INTO t SELECT randomblob(100) FROM n;");
	crash_mid_write(path, "DELETE FROM t;");
	expect_refused(dir, path, DB_FOREIGN, "did not create");
}

/* ---- locks held by another connection ---------------------------------- */

struct holder {
	sqlite3 *db;
	int hold_ms;
};

static void *release_later(void *arg)
{
	struct holder *h = arg;
	struct timespec ts = { h->hold_ms / 1000, (long)(h->hold_ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	assert_int_equal(sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	return NULL;
}

static sqlite3 *lock_exclusively(const char *path)
{
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	return other;
}

static void count_begin(void *ctx)
{
	(*(int *)ctx)++;
}

static void waits_for_a_lock_then_opens(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "locked.db");
	sqlite3 *db = open_seeded(path, 20, 42);
	sqlite3_close(db);
	struct holder h = { lock_exclusively(path), 400 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, release_later, &h), 0);
	struct db_wait wait;
	int begun = 0;
	db_wait_init(&wait, 10 * CLOCK_NS_PER_S, NULL);
	wait.on_begin = count_begin;
	wait.ctx = &begun;
	int64_t t0 = clock_now_ns();
	struct obslab_error err;
	if (db_open_wait(path, &wait, &db, &err) != DB_OK)
		fail_msg("db_open_wait: %s", err.msg);
	assert_true(clock_now_ns() - t0 >= 300 * CLOCK_NS_PER_MS);
	assert_int_equal(begun, 1);
	assert_false(wait.gave_up);
	int64_t waited;
	assert_true(db_wait_end(&wait, &waited));
	assert_true(waited >= 300 * CLOCK_NS_PER_MS);
	assert_int_equal(db_wait_since(&wait), 0);
	pthread_join(t, NULL);
	sqlite3_close(h.db);
	sqlite3_close(db);
}

static void gives_up_after_its_limit(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "held.db");
	sqlite3 *db = open_seeded(path, 20, 42);
	sqlite3_close(db);
	sqlite3 *other = lock_exclusively(path);
	uint64_t before = file_checksum(path);
	struct db_wait wait;
	db_wait_init(&wait, 200 * CLOCK_NS_PER_MS, NULL);
	struct obslab_error err;
	int64_t t0 = clock_now_ns();
	assert_int_equal(db_open_wait(path, &wait, &db, &err), DB_ERROR);
	assert_null(db);
	assert_true(clock_now_ns() - t0 < 5 * CLOCK_NS_PER_S);
	assert_true(wait.gave_up);
	assert_non_null(strstr(err.msg, "gave up"));
	assert_int_equal(file_checksum(path), before);
	sqlite3_close(other);
}

struct stopper {
	_Atomic bool stop;
};

static void *stop_later(void *arg)
{
	struct stopper *s = arg;
	struct timespec ts = { 0, 150 * 1000000L };
	nanosleep(&ts, NULL);
	atomic_store(&s->stop, true);
	return NULL;
}

static void a_stop_ends_a_wait_that_never_gives_up(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "stop.db");
	sqlite3 *db = open_seeded(path, 20, 42);
	sqlite3 *other = lock_exclusively(path);
	struct stopper s;
	atomic_init(&s.stop, false);
	struct db_wait wait;
	db_wait_init(&wait, DB_WAIT_FOREVER, &s.stop);
	db_wait_attach(db, &wait);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, stop_later, &s), 0);
	assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM users", NULL, NULL, NULL), SQLITE_BUSY);
	assert_false(wait.gave_up); /* stopped, not timed out */
	assert_true(db_wait_since(&wait) != 0);
	pthread_join(t, NULL);
	sqlite3_close(other);
	sqlite3_close(db);
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
		cmocka_unit_test(changed_orders_are_rebuilt),
		cmocka_unit_test(index_toggles),
		cmocka_unit_test(another_programs_index_serves),
		cmocka_unit_test(refuses_a_foreign_database_untouched),
		cmocka_unit_test(refuses_a_file_that_is_not_a_database),
		cmocka_unit_test(reports_paths_it_cannot_use),
		cmocka_unit_test(refuses_a_newer_schema),
		cmocka_unit_test(refuses_a_foreign_database_in_every_form_of_its_path),
		cmocka_unit_test(refuses_a_uri_that_picks_its_vfs),
		cmocka_unit_test(refuses_views_triggers_and_stamps_of_others),
		cmocka_unit_test(refuses_what_is_not_a_regular_file),
		cmocka_unit_test(refuses_a_wal_database_without_creating_its_files),
		cmocka_unit_test(takes_what_is_its_own),
		cmocka_unit_test(a_hot_journal_is_rolled_back_only_in_its_own),
		cmocka_unit_test(waits_for_a_lock_then_opens),
		cmocka_unit_test(gives_up_after_its_limit),
		cmocka_unit_test(a_stop_ends_a_wait_that_never_gives_up),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
