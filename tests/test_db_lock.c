/* db, with others at the same database: one driver at a time (a second
 * process is refused with the holder's pid, nothing touched; the lock goes
 * with the process), watching read-only alongside a driver, data_version
 * telling a connection what another one changed, and seeding that rebuilds
 * users another program deleted. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/db.h"

/* What db_open (watch: db_open_watch) says in another process: its status,
 * and its message in msg. */
static enum db_status open_elsewhere(const char *path, bool watch, char *msg, size_t cap)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		sqlite3 *db;
		struct obslab_error err = { "" };
		enum db_status st = watch ? db_open_watch(path, NULL, &db, &err) : db_open(path, &db, &err);
		if (st == DB_OK && watch && fixture_scalar(db, "SELECT count(*) FROM users") <= 0)
			st = DB_ERROR;
		if (write(fds[1], err.msg, strlen(err.msg)) < 0)
			_exit(100);
		sqlite3_close(db);
		_exit((int)st);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], msg, cap - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return (enum db_status)WEXITSTATUS(status);
}

static sqlite3 *open_seeded(const char *path, uint32_t users)
{
	sqlite3 *db;
	struct obslab_error err;
	if (db_open(path, &db, &err) != DB_OK || db_seed(db, users, 42, NULL, NULL, &err) != DB_OK)
		fail_msg("%s", err.msg);
	return db;
}

static void a_second_driver_is_refused_with_the_holders_pid(void **state)
{
	(void)state;
	char path[300], msg[600], want[64];
	fixture_path(path, sizeof path, "driven.db");
	sqlite3 *db = open_seeded(path, 50);
	uint64_t before = file_checksum(path);
	assert_int_equal(open_elsewhere(path, false, msg, sizeof msg), DB_LOCKED);
	snprintf(want, sizeof want, "(pid %d); use --watch to watch it read-only", (int)getpid());
	if (!strstr(msg, want) || !strstr(msg, "is driven by"))
		fail_msg("the refusal said '%s', not '... is driven by ... %s'", msg, want);
	assert_int_equal(file_checksum(path), before);
	/* The same process may open it again: the lock is the process's. */
	sqlite3 *again;
	struct obslab_error err;
	assert_int_equal(db_open(path, &again, &err), DB_OK);
	sqlite3_close(again);
	assert_int_equal(open_elsewhere(path, false, msg, sizeof msg), DB_LOCKED); /* still held */
	/* Watching works alongside, and changes nothing. */
	assert_int_equal(open_elsewhere(path, true, msg, sizeof msg), DB_OK);
	assert_int_equal(file_checksum(path), before);
	/* Closed, the lock is gone. */
	sqlite3_close(db);
	assert_int_equal(open_elsewhere(path, false, msg, sizeof msg), DB_OK);
	fixture_cleanup();
}

/* A driver that dies leaves no lock behind. */
static void a_dead_drivers_lock_is_gone(void **state)
{
	(void)state;
	char path[300], msg[600];
	fixture_path(path, sizeof path, "dead.db");
	sqlite3_close(open_seeded(path, 20));
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *db;
		struct obslab_error err;
		char c = db_open(path, &db, &err) == DB_OK ? 'y' : 'n';
		if (write(go[1], &c, 1) != 1)
			_exit(1);
		pause(); /* until killed, the connection open */
		_exit(0);
	}
	char c = 0;
	assert_int_equal(read(go[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	assert_int_equal(open_elsewhere(path, false, msg, sizeof msg), DB_LOCKED);
	char want[32];
	snprintf(want, sizeof want, "(pid %d)", (int)pid);
	assert_non_null(strstr(msg, want));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_int_equal(open_elsewhere(path, false, msg, sizeof msg), DB_OK);
	close(go[0]);
	close(go[1]);
	fixture_cleanup();
}

static void watching_is_read_only_and_needs_a_lab(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "watched.db");
	sqlite3_close(open_seeded(path, 30));
	uint64_t before = file_checksum(path);
	sqlite3 *db;
	struct obslab_error err;
	assert_int_equal(db_open_watch(path, NULL, &db, &err), DB_OK);
	assert_true(sqlite3_db_readonly(db, "main"));
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users"), 30);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM users", NULL, NULL, NULL) & 0xff, SQLITE_READONLY);
	struct obslab_error seed_err;
	assert_int_not_equal(db_seed(db, 40, 42, NULL, NULL, &seed_err), DB_OK);
	assert_int_not_equal(db_set_index(db, true, &seed_err), DB_OK);
	sqlite3_close(db);
	assert_int_equal(file_checksum(path), before);
	/* Nothing there: refused, and nothing created. */
	char absent[300];
	fixture_path(absent, sizeof absent, "absent.db");
	assert_int_equal(db_open_watch(absent, NULL, &db, &err), DB_CANTOPEN);
	assert_non_null(strstr(err.msg, "nothing to watch"));
	assert_int_equal(access(absent, F_OK), -1);
	/* An empty file: no lab in it yet. */
	fixture_path(absent, sizeof absent, "empty.db");
	fclose(fopen(absent, "w"));
	assert_int_equal(db_open_watch(absent, NULL, &db, &err), DB_CANTOPEN);
	assert_non_null(strstr(err.msg, "no lab"));
	fixture_cleanup();
}

static void data_version_tells_what_another_connection_changed(void **state)
{
	(void)state;
	char path[300];
	fixture_path(path, sizeof path, "versions.db");
	sqlite3 *db = open_seeded(path, 100);
	struct obslab_error err;
	assert_int_equal(db_set_index(db, true, &err), DB_OK);
	int64_t v0, v1;
	assert_true(db_data_version(db, &v0));
	/* Its own changes do not move it. */
	assert_int_equal(db_seed(db, 120, 42, NULL, NULL, &err), DB_OK);
	assert_true(db_data_version(db, &v1));
	assert_int_equal(v1, v0);
	uint32_t pager = db_pager_version(db);
	/* Another connection's do, and the state is read as it now is. */
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "DROP INDEX " DB_INDEX_NAME "; DELETE FROM orders WHERE user_id > 10;"
	                              "DELETE FROM users WHERE id > 10", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(db_pager_version(db), pager); /* nothing read since */
	assert_true(db_data_version(db, &v1));
	assert_int_not_equal(v1, v0);
	assert_int_not_equal(db_pager_version(db), pager);
	uint32_t users;
	bool index;
	assert_true(db_read_state(db, &users, &index));
	assert_int_equal(users, 10);
	assert_false(index);
	assert_int_equal(db_seeded_users(db), 120); /* the stamp is not the truth */
	/* Seeding again rebuilds what another program cut, rather than adding
	 * to it: exactly ids 1..N. */
	assert_int_equal(db_seed(db, 120, 42, NULL, NULL, &err), DB_OK);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) FROM users"), 120);
	assert_int_equal(fixture_scalar(db, "SELECT max(id) FROM users"), 120);
	assert_int_equal(db_seed(db, 200, 42, NULL, NULL, &err), DB_OK);
	assert_int_equal(fixture_scalar(db, "SELECT count(*) || ',' || max(id) = '200,200' FROM users"), 1);
	sqlite3_close(db);
	fixture_cleanup();
}

/* :memory: is no file: no lock, any number of them. */
static void memory_needs_no_lock(void **state)
{
	(void)state;
	sqlite3 *a, *b;
	struct obslab_error err;
	assert_int_equal(db_open(":memory:", &a, &err), DB_OK);
	assert_int_equal(db_open(":memory:", &b, &err), DB_OK);
	sqlite3_close(a);
	sqlite3_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_second_driver_is_refused_with_the_holders_pid),
		cmocka_unit_test(a_dead_drivers_lock_is_gone),
		cmocka_unit_test(watching_is_read_only_and_needs_a_lab),
		cmocka_unit_test(data_version_tells_what_another_connection_changed),
		cmocka_unit_test(memory_needs_no_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
