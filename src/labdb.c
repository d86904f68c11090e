/*
 * labdb — the lab's database by --db's value: a SQLite file (db.h) or a
 * PostgreSQL connection (pg.h), opened, seeded, indexed and described
 * through one set of calls, so the workload, the session and the server
 * never ask which engine they run on except where the engines differ
 * (tracing, the simulated round trip, change detection).
 */
#include "obslab/labdb.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/xalloc.h"

/* pg.c's words when the lab's statements cannot be prepared on obslab's
 * own schema. */
#define PREPARE_FAILED "cannot prepare the lab's statements"

void labdb_explain_damage(struct obslab_error *err)
{
	if (!err || strncmp(err->msg, PG_SCHEMA " was changed", strlen(PG_SCHEMA " was changed")) == 0)
		return;
	char why[OBSLAB_ERROR_MAX - 128];
	int n = snprintf(why, sizeof why, "%s", err->msg);
	if (n < 0 || (size_t)n >= sizeof why)
		why[sizeof why - 1] = '\0';
	obslab_error_set(err, LABDB_DAMAGED_FMT, why);
}

struct labdb {
	enum labdb_engine engine;
	sqlite3 *sqlite;
	struct pgdb *pg;
	struct labdb_info info; /* SQLite's; PostgreSQL's is pg_info's */
};

bool labdb_arg_is_postgresql(const char *db_arg)
{
	return db_arg && pg_is_conninfo(db_arg);
}

bool labdb_arg_names_file(const char *db_arg, const char *path)
{
	return !labdb_arg_is_postgresql(db_arg) && db_path_names_file(db_arg, path);
}

void labdb_arg_display(const char *db_arg, char *buf, size_t cap)
{
	if (!cap)
		return;
	if (labdb_arg_is_postgresql(db_arg))
		pg_conninfo_masked(db_arg, buf, cap);
	else
		snprintf(buf, cap, "%s", db_arg ? db_arg : "");
}

/* Cuts src into dst at a UTF-8 character's start. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* SQLite's: the file as --db gave it (or ":memory:"), the library's version. */
static void sqlite_info(struct labdb_info *info, const char *db_arg)
{
	memset(info, 0, sizeof *info);
	info->engine = LABDB_SQLITE;
	info->system = "sqlite";
	bool memory = db_path_in_memory(db_arg);
	copy_cut(info->name_space, sizeof info->name_space, memory ? ":memory:" : db_arg);
	copy_cut(info->server_version, sizeof info->server_version, sqlite3_libversion());
	char line[sizeof info->display + 64];
	int n = memory ? snprintf(line, sizeof line, "SQLite %s in memory", info->server_version)
	               : snprintf(line, sizeof line, "SQLite %s file %.280s", info->server_version, db_arg);
	if (n < 0)
		line[0] = '\0';
	copy_cut(info->display, sizeof info->display, line);
}

static struct labdb *wrap_sqlite(sqlite3 *handle, const char *db_arg)
{
	struct labdb *db = xcalloc(1, sizeof *db);
	db->engine = LABDB_SQLITE;
	db->sqlite = handle;
	sqlite_info(&db->info, db_arg);
	return db;
}

struct labdb *labdb_from_sqlite(sqlite3 *handle, const char *db_arg)
{
	return wrap_sqlite(handle, db_arg);
}

static struct labdb *wrap_pg(struct pgdb *handle)
{
	struct labdb *db = xcalloc(1, sizeof *db);
	db->engine = LABDB_POSTGRESQL;
	db->pg = handle;
	return db;
}

enum db_status labdb_open(const char *db_arg, const struct labdb_options *opt, struct labdb **out,
                          struct obslab_error *err)
{
	static const struct labdb_options none;
	if (!opt)
		opt = &none;
	*out = NULL;
	if (labdb_arg_is_postgresql(db_arg)) {
		/* The lab's lock-wait, for another session's lock on its tables. */
		struct pg_options pgo = opt->pg;
		if (pgo.lock_timeout_ms == 0 && opt->wait) {
			int64_t ms = opt->wait->limit_ns / CLOCK_NS_PER_MS;
			pgo.lock_timeout_ms = opt->wait->limit_ns == DB_WAIT_FOREVER ? -1 : ms > INT_MAX ? INT_MAX : (int)ms;
		}
		struct pgdb *pg = NULL;
		enum db_status status = opt->watch ? pg_open_reader(db_arg, &pgo, &pg, err) : pg_open(db_arg, &pgo, &pg, err);
		if (status == DB_OK)
			*out = wrap_pg(pg);
		else if (status == DB_ERROR && err && strncmp(err->msg, PREPARE_FAILED, strlen(PREPARE_FAILED)) == 0)
			labdb_explain_damage(err); /* obslab's schema, but its statements do not fit it */
		return status;
	}
	sqlite3 *handle = NULL;
	enum db_status status = opt->watch ? db_open_watch(db_arg, opt->wait, &handle, err)
	                                   : db_open_wait(db_arg, opt->wait, &handle, err);
	if (status == DB_OK)
		*out = wrap_sqlite(handle, db_arg);
	return status;
}

struct labdb *labdb_open_reader(const char *db_arg, const struct pg_options *pg, struct obslab_error *err)
{
	if (labdb_arg_is_postgresql(db_arg)) {
		static const struct pg_options none;
		struct pgdb *handle = NULL;
		if (pg_open_reader(db_arg, pg ? pg : &none, &handle, err) != DB_OK)
			return NULL;
		return wrap_pg(handle);
	}
	sqlite3 *handle = db_open_reader(db_arg, err);
	return handle ? wrap_sqlite(handle, db_arg) : NULL;
}

void labdb_close(struct labdb *db)
{
	if (!db)
		return;
	if (db->engine == LABDB_POSTGRESQL)
		pg_close(db->pg);
	else
		db_close(db->sqlite);
	free(db);
}

enum labdb_engine labdb_engine(const struct labdb *db)
{
	return db->engine;
}

sqlite3 *labdb_sqlite(struct labdb *db)
{
	return db->sqlite;
}

struct pgdb *labdb_pg(struct labdb *db)
{
	return db->pg;
}

const struct labdb_info *labdb_info(const struct labdb *db)
{
	return db->engine == LABDB_POSTGRESQL ? pg_info(db->pg) : &db->info;
}

enum db_status labdb_seed(struct labdb *db, uint32_t users, uint64_t seed, db_progress_fn *progress, void *ctx,
                          struct obslab_error *err)
{
	return db->engine == LABDB_POSTGRESQL ? pg_seed(db->pg, users, seed, progress, ctx, err)
	                                      : db_seed(db->sqlite, users, seed, progress, ctx, err);
}

enum db_status labdb_set_index(struct labdb *db, bool on, struct obslab_error *err)
{
	return db->engine == LABDB_POSTGRESQL ? pg_set_index(db->pg, on, err) : db_set_index(db->sqlite, on, err);
}

bool labdb_index_serving(struct labdb *db, char *name, size_t cap)
{
	return db->engine == LABDB_POSTGRESQL ? pg_index_serving(db->pg, name, cap)
	                                      : db_index_serving(db->sqlite, name, cap);
}

bool labdb_read_state(struct labdb *db, uint32_t *users, bool *index)
{
	return db->engine == LABDB_POSTGRESQL ? pg_read_state(db->pg, users, index)
	                                      : db_read_state(db->sqlite, users, index);
}

uint32_t labdb_seeded_users(struct labdb *db)
{
	return db->engine == LABDB_POSTGRESQL ? pg_seeded_users(db->pg) : db_seeded_users(db->sqlite);
}

uint64_t labdb_seeded_seed(struct labdb *db)
{
	return db->engine == LABDB_POSTGRESQL ? pg_seeded_seed(db->pg) : db_seeded_seed(db->sqlite);
}

bool labdb_data_version(struct labdb *db, int64_t *out)
{
	if (db->engine == LABDB_POSTGRESQL)
		return false; /* not available: another connection's changes go unseen */
	return db_data_version(db->sqlite, out);
}

bool labdb_detects_changes(struct labdb *db)
{
	if (db->engine == LABDB_POSTGRESQL)
		return false;
	const char *file = sqlite3_db_filename(db->sqlite, "main");
	return file && *file;
}
