/* db — the lab's database: deciding what is obslab's, the schema, the seed,
 * the index, and waiting out other connections' locks (see db.h). */
#include "obslab/db.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db_guard.h"
#include "db_internal.h"
#include "db_lock.h"
#include "db_uri.h"
#include "obslab/clock.h"

#define META_FORMAT "obslab"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS obslab_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS users("
	" id INTEGER PRIMARY KEY, username TEXT UNIQUE, email TEXT UNIQUE);"
	"CREATE TABLE IF NOT EXISTS orders("
	" id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id),"
	" product_name TEXT, quantity INTEGER);";

static enum db_status fail(struct obslab_error *err, enum db_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum db_status fail(struct obslab_error *err, enum db_status status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	obslab_error_vset(err, fmt, ap);
	va_end(ap);
	return status;
}

static enum db_status status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT: return DB_NOTADB;
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: return DB_CANTOPEN;
	default: return DB_ERROR;
	}
}

enum db_status db_sqlite_fail(struct obslab_error *err, sqlite3 *db, int rc, const char *what)
{
	const char *detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
	return fail(err, status_of(rc), "%s: %s", what, detail);
}

/* Runs a query returning one text value into buf; "" if no row. */
int db_query_text(sqlite3 *db, const char *sql, const char *param, char *buf, size_t cap)
{
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (param)
		sqlite3_bind_text(stmt, 1, param, -1, SQLITE_STATIC);
	buf[0] = '\0';
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const unsigned char *text = sqlite3_column_text(stmt, 0);
		snprintf(buf, cap, "%s", text ? (const char *)text : "");
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc;
}

int db_meta_get(sqlite3 *db, const char *key, char *buf, size_t cap)
{
	return db_query_text(db, "SELECT value FROM obslab_meta WHERE key = ?", key, buf, cap);
}

int db_meta_set(sqlite3 *db, const char *key, const char *value)
{
	sqlite3_stmt *stmt;
	int rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO obslab_meta(key, value) VALUES (?, ?)",
	                            -1, &stmt, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* ---- what is obslab's ---------------------------------------------------- */

/* What a database holds, as far as ownership goes. */
struct verdict {
	int64_t objects; /* rows of sqlite_master: tables, views, triggers, indexes */
	int64_t application_id, user_version;
	char stamp[32], version[16];
};

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	char buf[32];
	int rc = db_query_text(db, sql, NULL, buf, sizeof buf);
	*out = rc == SQLITE_OK ? strtoll(buf, NULL, 10) : 0;
	return rc;
}

static int read_verdict(sqlite3 *db, struct verdict *v)
{
	memset(v, 0, sizeof *v);
	int rc = query_int(db, "SELECT count(*) FROM sqlite_master", &v->objects);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA application_id", &v->application_id);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &v->user_version);
	if (rc == SQLITE_OK)
		rc = db_query_text(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?",
		                "obslab_meta", v->stamp, sizeof v->stamp);
	if (rc == SQLITE_OK && v->stamp[0]) {
		rc = db_meta_get(db, "format", v->stamp, sizeof v->stamp);
		if (rc == SQLITE_OK)
			rc = db_meta_get(db, "schema_version", v->version, sizeof v->version);
	}
	return rc;
}

/*
 * obslab's: a database with nothing in it and no other program's stamp in
 * its header, or one carrying obslab's stamp (the obslab_meta row, and no
 * other application_id). Anything else is someone else's.
 */
static enum db_status judge(const struct verdict *v, const char *name, struct obslab_error *err)
{
	bool our_id = v->application_id == 0 || v->application_id == DB_APPLICATION_ID;
	if (v->objects == 0 && (v->application_id == DB_APPLICATION_ID ||
	                        (v->application_id == 0 && v->user_version == 0)))
		return DB_OK;
	if (v->objects == 0)
		return fail(err, DB_FOREIGN,
		            "%s is an empty SQLite database that another program stamped (application_id %" PRId64
		            ", user_version %" PRId64 "); it was left untouched (pass --db with a new path)",
		            name, v->application_id, v->user_version);
	if (strcmp(v->stamp, META_FORMAT) != 0 || !our_id)
		return fail(err, DB_FOREIGN,
		            "%s is a SQLite database that obslab did not create; it was left untouched "
		            "(pass --db with a new path)", name);
	if (v->version[0] && strtol(v->version, NULL, 10) > DB_SCHEMA_VERSION)
		return fail(err, DB_TOO_NEW, "%s was written by a newer obslab (schema %s, this one reads %d)",
		            name, v->version, DB_SCHEMA_VERSION);
	return DB_OK;
}

/* "--db file:x.db" names x.db; a message names both when they differ. */
static void display_name(char *buf, size_t cap, const char *arg, const struct db_guard_facts *f)
{
	struct stat st;
	bool indirect = strncmp(arg, "file:", 5) == 0 || (lstat(arg, &st) == 0 && S_ISLNK(st.st_mode));
	if (indirect && f->path[0])
		snprintf(buf, cap, "%s (%s)", arg, f->path);
	else
		snprintf(buf, cap, "%s", arg);
}

static const char *kind_of(mode_t mode)
{
	return S_ISDIR(mode) ? "a directory" : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
	       : S_ISFIFO(mode) ? "a FIFO" : S_ISSOCK(mode) ? "a socket" : "not a regular file";
}

static enum db_status guard_refusal(const struct db_guard_facts *f, const char *name, struct obslab_error *err)
{
	switch (f->refused) {
	case DB_GUARD_NOT_REGULAR:
		return fail(err, DB_CANTOPEN, "%s is %s; obslab keeps its database in a regular file "
		            "(pass --db with a file path)", name, kind_of(f->mode));
	case DB_GUARD_WAL:
		return fail(err, DB_FOREIGN, "%s is a SQLite database in WAL mode that obslab did not create; "
		            "it was left untouched (pass --db with a new path)", name);
	case DB_GUARD_CHANGED:
		return fail(err, DB_CANTOPEN, "%s changed while obslab was opening it; it was left untouched", name);
	case DB_GUARD_ERROR:
		return fail(err, DB_CANTOPEN, "cannot open %s: %s", name, strerror(f->saved_errno));
	case DB_GUARD_NONE: break;
	}
	return DB_OK;
}

/* Opens arg again through the look, read-only (a WAL database allowed or
 * not): the file the first look found, or SQLITE_CANTOPEN in *rc. */
static sqlite3 *look_again(const char *arg, bool allow_wal, struct db_guard_facts *f, int *rc)
{
	struct db_guard_facts again;
	memset(&again, 0, sizeof again);
	again.allow_wal = allow_wal;
	sqlite3 *db = NULL;
	db_guard_watch(&again);
	*rc = sqlite3_open_v2(arg, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, db_guard_vfs(true));
	db_guard_watch(NULL);
	if (*rc == SQLITE_OK && (!again.seen || again.dev != f->dev || again.ino != f->ino))
		*rc = SQLITE_CANTOPEN;
	f->has_wal = again.has_wal;
	return db;
}

/* Opens the file the look found, as a URI with immutable=1: read without
 * locks or the journal. The same file, or SQLITE_CANTOPEN in *rc. */
static sqlite3 *look_immutable(struct db_guard_facts *f, struct db_wait *wait, struct verdict *v, int *rc)
{
	char uri[3 * PATH_MAX + 32] = "file:";
	size_t n = strlen(uri);
	for (const unsigned char *p = (const unsigned char *)f->path; *p && n + 4 < sizeof uri; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("/._-", *p))
			uri[n++] = (char)*p;
		else
			n += (size_t)snprintf(uri + n, sizeof uri - n, "%%%02X", *p);
	}
	snprintf(uri + n, sizeof uri - n, "?immutable=1");
	sqlite3 *db = look_again(uri, false, f, rc);
	if (*rc == SQLITE_OK) {
		db_wait_attach(db, wait);
		*rc = read_verdict(db, v);
	}
	return db;
}

/* Takes the one-driver lock on the file the guard saw; DB_LOCKED (nothing
 * touched) while another obslab holds it. */
static enum db_status take_lock(const struct db_guard_facts *f, const char *name, struct db_lock **lock,
                                struct obslab_error *err)
{
	struct db_lock_holder holder;
	int saved_errno;
	switch (db_lock_take(f->path, f->dev, f->ino, lock, &holder, &saved_errno)) {
	case DB_LOCK_TAKEN: return DB_OK;
	case DB_LOCK_HELD:
		if (holder.pid)
			return fail(err, DB_LOCKED, "%s is driven by %s (pid %d); use --watch to watch it read-only", name,
			            holder.name[0] ? holder.name : "another process", (int)holder.pid);
		return fail(err, DB_LOCKED, "%s is driven by another obslab; use --watch to watch it read-only", name);
	case DB_LOCK_FAILED: break;
	}
	return fail(err, DB_CANTOPEN, "cannot lock %s: %s", name,
	            saved_errno == EBUSY ? "it changed while obslab was opening it" : strerror(saved_errno));
}

/*
 * Looks at the database SQLite resolves path to, read-only, and decides
 * whether obslab may use it. Writes nothing, creates nothing (not even a
 * journal): a refusal leaves the directory as it was.
 */
static enum db_status look(const char *path, struct db_wait *wait, struct db_guard_facts *f, struct db_lock **lock,
                           sqlite3 **keep, struct obslab_error *err)
{
	memset(f, 0, sizeof *f);
	if (lock)
		*lock = NULL;
	if (db_uri_names_vfs(path))
		return fail(err, DB_CANTOPEN, "%s: a URI that chooses a VFS (vfs=) is not accepted; "
		            "pass --db with a path", path);
	const char *vfs = db_guard_vfs(true);
	if (!vfs)
		return fail(err, DB_ERROR, "cannot open %s: SQLite did not initialise", path);
	sqlite3 *db = NULL;
	db_guard_watch(f);
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, vfs);
	db_guard_watch(NULL);
	/* A WAL database (obslab's lab while driven, or another program's) is
	 * judged without making a -wal or -shm: through its -wal if one is
	 * there (a connection has it open), else as a plain file, immutable. */
	bool wal = f->refused == DB_GUARD_WAL;
	if (wal) {
		f->refused = DB_GUARD_NONE;
		sqlite3_close_v2(db); /* the refused open's handle */
		db = NULL;
		rc = SQLITE_OK;
		if (f->has_wal)
			db = look_again(path, true, f, &rc);
	}
	char name[PATH_MAX + 512];
	display_name(name, sizeof name, path, f);
	enum db_status st = guard_refusal(f, name, err);
	if (st == DB_OK && rc != SQLITE_OK && !f->absent)
		st = fail(err, status_of(rc), "cannot open %s: %s", name, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	const char *opened = rc == SQLITE_OK && db ? sqlite3_db_filename(db, "main") : NULL;
	if (st == DB_OK && rc == SQLITE_OK && !f->seen && opened && *opened) /* past the guard */
		st = fail(err, DB_CANTOPEN, "%s: SQLite opened it in a way obslab cannot check; pass --db with a path",
		          name);
	/* A second driver learns who drives before it waits for any lock. */
	if (st == DB_OK && rc == SQLITE_OK && lock && f->seen && !f->absent)
		st = take_lock(f, name, lock, err);
	if (st == DB_OK && rc == SQLITE_OK) {
		struct verdict v;
		bool plain = wal && !db; /* read as a plain file */
		if (plain) {
			db = look_immutable(f, wait, &v, &rc);
		} else {
			db_wait_attach(db, wait);
			rc = read_verdict(db, &v);
		}
		if (wal)
			; /* no hot journal beside a WAL database */
		else if ((rc & 0xff) == SQLITE_READONLY && f->has_journal && keep) {
			st = fail(err, DB_CANTOPEN, "%s has a journal left by a writer that died: open it once with "
			          "obslab --db to recover it, then watch it", name);
		} else if ((rc & 0xff) == SQLITE_READONLY && f->has_journal) {
			/* A hot journal: someone crashed mid-write (obslab too, killed
			 * while seeding). Judge the file as it is, without rolling back. */
			sqlite3_close_v2(db);
			db = look_immutable(f, wait, &v, &rc);
		}
		if (st != DB_OK)
			; /* said */
		else if (rc == SQLITE_BUSY)
			st = fail(err, DB_ERROR, "gave up after %lld s waiting for another connection's lock on %s",
			          (long long)(wait->limit_ns / CLOCK_NS_PER_S), name);
		else if (rc != SQLITE_OK && status_of(rc) == DB_NOTADB)
			st = fail(err, DB_NOTADB, "%s is not a SQLite database (%s); pass --db with another path", name,
			          sqlite3_errmsg(db));
		else if (rc != SQLITE_OK)
			st = fail(err, status_of(rc), "cannot read %s: %s", name, sqlite3_errmsg(db));
		else if (st == DB_OK && wal && strcmp(v.stamp, META_FORMAT) != 0) {
			f->refused = DB_GUARD_WAL; /* without obslab's stamp (empty too): someone else's */
			st = guard_refusal(f, name, err);
		} else if (st == DB_OK)
			st = judge(&v, name, err);
		if (st == DB_OK && keep && plain) { /* to watch it, a live connection */
			sqlite3_close_v2(db);
			db = look_again(path, true, f, &rc);
			if (rc != SQLITE_OK)
				st = fail(err, status_of(rc), "cannot open %s: %s", name,
				          db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
			else
				db_wait_attach(db, wait);
		}
		if (st == DB_OK && keep && strcmp(v.stamp, META_FORMAT) != 0)
			st = fail(err, DB_CANTOPEN, "%s holds no lab yet: nothing to watch (start one with obslab --db)", name);
	}
	if (st == DB_OK && keep && f->absent)
		st = fail(err, DB_CANTOPEN, "%s does not exist: nothing to watch (start the lab with obslab --db)", name);
	if (st == DB_OK && keep) {
		*keep = db;
		return DB_OK;
	}
	sqlite3_close_v2(db);
	if (st != DB_OK && lock) {
		db_lock_release(*lock);
		*lock = NULL;
	}
	return st;
}

/* Creates obslab's tables and stamp in one transaction, after checking
 * again, under the write lock, that the file is still obslab's. */
static int prepare_schema(sqlite3 *db, const char *name, enum db_status *st, struct obslab_error *err)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return rc;
	struct verdict v;
	rc = read_verdict(db, &v);
	if (rc == SQLITE_OK && (*st = judge(&v, name, err)) != DB_OK) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return SQLITE_OK;
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, schema_sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK && !v.stamp[0]) {
		char sql[64], version[8];
		snprintf(version, sizeof version, "%d", DB_SCHEMA_VERSION);
		snprintf(sql, sizeof sql, "PRAGMA application_id = %d", DB_APPLICATION_ID);
		rc = db_meta_set(db, "format", META_FORMAT);
		if (rc == SQLITE_OK)
			rc = db_meta_set(db, "schema_version", version);
		if (rc == SQLITE_OK && v.objects == 0)
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Puts db's file in WAL mode, so readers (the server's workers, a watcher)
 * and the driver do not block each other. If SQLite cannot (another
 * connection holds a lock past the busy timeout), the lab stays in rollback
 * mode: readers wait for the writer, as correct. */
static void use_wal(sqlite3 *db)
{
	char mode[16];
	if (db_query_text(db, "PRAGMA journal_mode = WAL", NULL, mode, sizeof mode) != SQLITE_OK || strcmp(mode, "wal") != 0)
		return;
	/* A commit need not reach the disk before the next request runs: the
	 * lab's data is reproducible from its seed (WAL keeps it consistent). */
	sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
}

void db_close(sqlite3 *db)
{
	if (!db)
		return;
	char mode[16];
	int64_t version; /* read first: a reader may have switched the mode since this one looked */
	if (!sqlite3_db_readonly(db, "main") && query_int(db, "PRAGMA schema_version", &version) == SQLITE_OK &&
	    db_query_text(db, "PRAGMA journal_mode", NULL, mode, sizeof mode) == SQLITE_OK && strcmp(mode, "wal") == 0) {
		/* Back to rollback mode if no other connection is open, -wal and -shm removed. */
		sqlite3_busy_timeout(db, 0);
		sqlite3_exec(db, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
	}
	sqlite3_close_v2(db);
}

enum db_status db_open_wait(const char *path, struct db_wait *wait, sqlite3 **out, struct obslab_error *err)
{
	*out = NULL;
	struct db_wait fallback;
	if (!wait) {
		db_wait_init(&fallback, DB_LOCK_WAIT_MS * CLOCK_NS_PER_MS, NULL);
		wait = &fallback;
	}
	struct db_guard_facts f;
	struct db_lock *lock;
	enum db_status status = look(path, wait, &f, &lock, NULL, err);
	if (status != DB_OK)
		return status;
	char name[PATH_MAX + 512];
	display_name(name, sizeof name, path, &f);

	sqlite3 *db = NULL;
	f.allow_wal = f.wal; /* judged obslab's by the look */
	db_guard_watch(&f);
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
	                         db_guard_vfs(false));
	db_guard_watch(NULL);
	const char *opened = rc == SQLITE_OK ? sqlite3_db_filename(db, "main") : NULL;
	if ((status = guard_refusal(&f, name, err)) != DB_OK)
		;
	else if (rc == SQLITE_OK && strcmp(opened ? opened : "", f.seen ? f.path : "") != 0)
		status = fail(err, DB_CANTOPEN, "%s changed while obslab was opening it; it was left untouched", name);
	else if (rc != SQLITE_OK)
		status = fail(err, status_of(rc), "cannot open %s: %s", name, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
	struct stat st;
	if (status == DB_OK && f.seen && f.absent) { /* created just now: locked before a byte is written */
		if (stat(f.path, &st) == 0) {
			f.dev = st.st_dev;
			f.ino = st.st_ino;
			status = take_lock(&f, name, &lock, err);
		} else {
			status = fail(err, DB_CANTOPEN, "%s changed while obslab was opening it; it was left untouched", name);
		}
	}
	if (status != DB_OK) {
		db_lock_release(lock);
		sqlite3_close_v2(db);
		return status;
	}
	if (lock)
		db_lock_attach(db, lock); /* released when db is closed */
	sqlite3_extended_result_codes(db, 1);
	db_wait_attach(db, wait);
	rc = prepare_schema(db, name, &status, err);
	if (rc != SQLITE_OK || status != DB_OK) {
		if (rc == SQLITE_BUSY)
			status = fail(err, DB_ERROR, "gave up after %lld s waiting for another connection's lock on %s",
			              (long long)(wait->limit_ns / CLOCK_NS_PER_S), name);
		else if (rc != SQLITE_OK)
			status = fail(err, status_of(rc), "cannot prepare %s: %s", name, sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return status;
	}
	/* The caller's wait may not outlive this call: a plain timeout from here. */
	sqlite3_busy_timeout(db, DB_LOCK_WAIT_MS);
	*out = db;
	return DB_OK;
}

enum db_status db_open(const char *path, sqlite3 **out, struct obslab_error *err)
{
	return db_open_wait(path, NULL, out, err);
}

enum db_status db_open_watch(const char *path, struct db_wait *wait, sqlite3 **out, struct obslab_error *err)
{
	*out = NULL;
	struct db_wait fallback;
	if (!wait) {
		db_wait_init(&fallback, DB_LOCK_WAIT_MS * CLOCK_NS_PER_MS, NULL);
		wait = &fallback;
	}
	struct db_guard_facts f;
	sqlite3 *db = NULL;
	enum db_status status = look(path, wait, &f, NULL, &db, err); /* read-only, whatever the URI asks */
	if (status != DB_OK)
		return status;
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_LOCK_WAIT_MS);
	*out = db;
	return DB_OK;
}

/* The lab this process drives (it holds the driver's lock on the file f
 * names) goes to WAL mode for its readers, through a connection of its own
 * for the moment it takes: the driver's own notices at its next statement. */
static void driven_lab_to_wal(const char *path, const struct db_guard_facts *f)
{
	struct db_lock_holder holder;
	if (!f->seen || f->absent || !db_lock_find_holder(f->dev, f->ino, &holder) || holder.pid != getpid())
		return;
	struct db_guard_facts use = *f;
	use.allow_wal = true;
	sqlite3 *w = NULL;
	db_guard_watch(&use);
	int rc = sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, db_guard_vfs(false));
	db_guard_watch(NULL);
	if (rc == SQLITE_OK && use.refused == DB_GUARD_NONE) {
		sqlite3_busy_timeout(w, DB_LOCK_WAIT_MS);
		use_wal(w);
	}
	sqlite3_close_v2(w); /* not the last connection: the -wal stays */
}

sqlite3 *db_open_reader(const char *path, struct obslab_error *err)
{
	if (db_path_in_memory(path)) {
		fail(err, DB_CANTOPEN, "%s: a reader needs the lab's database file, not one in memory", path);
		return NULL;
	}
	struct db_wait wait;
	db_wait_init(&wait, DB_LOCK_WAIT_MS * CLOCK_NS_PER_MS, NULL);
	struct db_guard_facts f;
	sqlite3 *db = NULL;
	if (look(path, &wait, &f, NULL, &db, err) != DB_OK) /* read-only, judged as a watcher's */
		return NULL;
	char mode[16];
	if (db_query_text(db, "PRAGMA journal_mode", NULL, mode, sizeof mode) == SQLITE_OK && strcmp(mode, "wal") != 0)
		driven_lab_to_wal(path, &f);
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_LOCK_WAIT_MS); /* not wait: it lives on this stack */
	return db;
}

enum db_status db_set_index(sqlite3 *db, bool on, struct obslab_error *err)
{
	/* On: none is added where one serves already. Off: only obslab's own
	 * is dropped; another program's is not obslab's to drop. */
	if (on && db_has_index(db))
		return DB_OK;
	const char *sql = on ? "CREATE INDEX IF NOT EXISTS " DB_INDEX_NAME " ON orders(user_id)"
	                     : "DROP INDEX IF EXISTS " DB_INDEX_NAME;
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_sqlite_fail(err, db, rc, on ? "cannot create the index" : "cannot drop the index");
	return DB_OK;
}
