/* db in WAL mode (issue 15): a driven lab file goes to WAL mode when its
 * first reader opens, and is back in rollback mode after a clean close, its
 * -wal and -shm gone; readers for the
 * server's workers (db_open_reader) read while the driver writes without
 * SQLITE_BUSY, through the VFS that gives sqltrace its stamps; what is not
 * obslab's is refused by readers as by the driver; a lab left in WAL mode is
 * still obslab's, to drive and to watch. Threads: labelled, run under TSan. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/db.h"
#include "obslab/sqltrace.h"

static bool beside(const char *path, const char *suffix)
{
	char p[600];
	snprintf(p, sizeof p, "%s%s", path, suffix);
	return access(p, F_OK) == 0;
}

static sqlite3 *drive(const char *path, uint32_t users)
{
	sqlite3 *db;
	struct obslab_error err;
	if (db_open(path, &db, &err) != DB_OK)
		fail_msg("db_open: %s", err.msg);
	assert_int_equal(db_seed(db, users, 42, NULL, NULL, &err), DB_OK);
	return db;
}

static void journal_mode(sqlite3 *db, char *out, size_t cap)
{
	sqlite3_stmt *stmt;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	snprintf(out, cap, "%s", (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
}

/* The mode the file is in at rest, from its header, opening nothing. */
static void mode_at_rest(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	unsigned char hdr[20];
	assert_int_equal(fread(hdr, 1, sizeof hdr, f), sizeof hdr);
	fclose(f);
	snprintf(out, cap, "%s", hdr[18] == 2 ? "wal" : "delete"); /* the header's read version */
}

static void wal_while_driven_clean_after(void **state)
{
	(void)state;
	char path[300], mode[16];
	fixture_path(path, sizeof path, "driven.db");
	sqlite3 *db = drive(path, 20);
	journal_mode(db, mode, sizeof mode);
	assert_string_equal(mode, "delete"); /* no reader: as it always was */
	struct obslab_error err;
	sqlite3 *reader = db_open_reader(path, &err);
	if (!reader)
		fail_msg("db_open_reader: %s", err.msg);
	assert_int_equal(fixture_scalar(reader, "SELECT count(*) FROM users"), 20);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users"), 20);
	journal_mode(db, mode, sizeof mode); /* the driver's connection too, from its next statement */
	assert_string_equal(mode, "wal");
	assert_true(beside(path, "-wal"));
	assert_true(beside(path, "-shm"));
	db_close(reader);
	db_close(db);
	assert_false(beside(path, "-wal")); /* SQLite removed them */
	assert_false(beside(path, "-shm"));
	assert_false(beside(path, "-journal"));
	mode_at_rest(path, mode, sizeof mode);
	assert_string_equal(mode, "delete");

	/* In memory: no file, no WAL. */
	db = drive(":memory:", 20);
	journal_mode(db, mode, sizeof mode);
	assert_string_equal(mode, "memory");
	db_close(db);
}

/* A lab left in WAL mode (a reader was open at the driver's close, or the
 * driver died) is obslab's: driven and watched again. */
static void a_lab_left_in_wal_mode_is_still_obslabs(void **state)
{
	(void)state;
	char path[300], mode[16];
	fixture_path(path, sizeof path, "left.db");
	sqlite3 *db = drive(path, 20);
	struct obslab_error err;
	sqlite3 *reader = db_open_reader(path, &err);
	assert_non_null(reader);
	assert_int_equal(fixture_scalar(reader, "SELECT count(*) FROM users"), 20);
	db_close(db); /* the reader is open: it stays in WAL mode */
	mode_at_rest(path, mode, sizeof mode);
	assert_string_equal(mode, "wal");
	db_close(reader);
	assert_true(beside(path, "-wal")); /* a reader cannot remove them */

	sqlite3 *watch;
	assert_int_equal(db_open_watch(path, NULL, &watch, &err), DB_OK);
	assert_int_equal(fixture_scalar(watch, "SELECT count(*) FROM users"), 20);
	sqlite3_close_v2(watch);
	db = drive(path, 30);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users"), 30);
	db_close(db);
	assert_false(beside(path, "-wal"));
	assert_false(beside(path, "-shm"));

	/* Left in WAL mode without its -wal (as another program's close leaves
	 * it): judged as a plain file, then driven. */
	sqlite3 *plain;
	assert_int_equal(sqlite3_open(path, &plain), SQLITE_OK);
	assert_int_equal(sqlite3_exec(plain, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(plain), SQLITE_OK);
	mode_at_rest(path, mode, sizeof mode);
	assert_string_equal(mode, "wal");
	assert_false(beside(path, "-wal"));
	assert_int_equal(db_open(path, &db, &err), DB_OK);
	assert_int_equal(db_seeded_users(db), 30);
	db_close(db);
}

struct toggler {
	sqlite3 *db;
	int rounds;
	int failures;
};

static void *toggle_index(void *arg)
{
	struct toggler *t = arg;
	struct obslab_error err;
	for (int i = 0; i < t->rounds; i++)
		if (db_set_index(t->db, i % 2 == 0, &err) != DB_OK)
			t->failures++;
	return NULL;
}

static void a_reader_reads_while_the_driver_writes(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "served.db");
	sqlite3 *db = drive(path, 200);
	struct obslab_error err;
	sqlite3 *reader = db_open_reader(path, &err);
	if (!reader)
		fail_msg("db_open_reader: %s", err.msg);
	assert_int_equal(sqlite3_db_readonly(reader, "main"), 1);
	/* The lab's VFS, whose clock is sqltrace's: the reader's statements are
	 * stamped as the driver's. */
	sqlite3_vfs *vfs = NULL;
	assert_int_equal(sqlite3_file_control(reader, "main", SQLITE_FCNTL_VFS_POINTER, &vfs), SQLITE_OK);
	assert_non_null(vfs);
	assert_true(vfs->iVersion >= 2 && vfs->xCurrentTimeInt64 == sqltrace_vfs_time);
	/* Never waiting: a read that had to would fail at once. */
	sqlite3_busy_timeout(reader, 0);

	struct toggler t = { db, 200, 0 };
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, toggle_index, &t), 0);
	sqlite3_stmt *stmt;
	assert_int_equal(sqlite3_prepare_v2(reader, "SELECT count(*) FROM orders WHERE user_id = ?", -1, &stmt, NULL),
	                 SQLITE_OK);
	int reads = 0, busy = 0, wrong = 0;
	for (int i = 0; i < 2000; i++) {
		sqlite3_bind_int(stmt, 1, 1 + i % 200);
		int rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW && sqlite3_column_int(stmt, 0) >= DB_MIN_ORDERS_PER_USER &&
		    sqlite3_column_int(stmt, 0) <= DB_MAX_ORDERS_PER_USER)
			reads++;
		else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
			busy++;
		else
			wrong++;
		sqlite3_reset(stmt);
	}
	pthread_join(thread, NULL);
	sqlite3_finalize(stmt);
	assert_int_equal(t.failures, 0);
	assert_int_equal(busy, 0);
	assert_int_equal(wrong, 0);
	assert_int_equal(reads, 2000);
	/* A reader never writes. */
	assert_int_not_equal(sqlite3_exec(reader, "DELETE FROM orders", NULL, NULL, NULL), SQLITE_OK);
	db_close(reader);
	db_close(db);
	assert_false(beside(path, "-wal"));
}

/* What the driver refuses, a reader refuses: another program's database (in
 * WAL mode too, making no -wal or -shm), and a database in memory. */
static void a_reader_refuses_what_is_not_obslabs(void **state)
{
	(void)state;
	char path[300];
	struct obslab_error err = { "" };
	assert_null(db_open_reader(":memory:", &err));
	assert_non_null(strstr(err.msg, "memory"));

	fixture_path(path, sizeof path, "theirs.db");
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "PRAGMA journal_mode = WAL; CREATE TABLE t(a); INSERT INTO t VALUES (1);",
	                              NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	assert_false(beside(path, "-wal"));
	err.msg[0] = '\0';
	assert_null(db_open_reader(path, &err));
	assert_non_null(strstr(err.msg, "WAL mode"));
	assert_false(beside(path, "-wal"));
	assert_false(beside(path, "-shm"));

	/* The same while the other program has it open (its -wal there). */
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "INSERT INTO t VALUES (2)", NULL, NULL, NULL), SQLITE_OK);
	assert_true(beside(path, "-wal"));
	err.msg[0] = '\0';
	assert_null(db_open_reader(path, &err));
	assert_non_null(strstr(err.msg, "WAL mode"));
	sqlite3 *db = (sqlite3 *)1;
	assert_int_equal(db_open(path, &db, &err), DB_FOREIGN);
	assert_null(db);
	assert_int_equal(fixture_scalar(other, "SELECT count(*) FROM t"), 2);
	sqlite3_close(other);
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
		cmocka_unit_test(wal_while_driven_clean_after),
		cmocka_unit_test(a_lab_left_in_wal_mode_is_still_obslabs),
		cmocka_unit_test(a_reader_reads_while_the_driver_writes),
		cmocka_unit_test(a_reader_refuses_what_is_not_obslabs),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
