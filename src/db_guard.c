/* db_guard — checks the main database file SQLite resolved, in xOpen, before
 * the default VFS opens it (see db_guard.h). */
#include "db_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obslab/sqltrace.h"

#define LOOK_NAME "obslab-look"
#define USE_NAME "obslab-use"

static sqlite3_vfs *real_vfs;
static sqlite3_vfs look_vfs, use_vfs;
static bool registered;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static _Thread_local struct db_guard_facts *watched;

void db_guard_watch(struct db_guard_facts *f)
{
	watched = f;
}

static int refuse(sqlite3_file *file, struct db_guard_facts *f, enum db_guard_refusal why, int err)
{
	file->pMethods = NULL; /* nothing for SQLite to close */
	if (f) {
		f->refused = why;
		f->saved_errno = err;
	}
	return SQLITE_CANTOPEN;
}

static bool exists(const char *path)
{
	struct stat st;
	return path && lstat(path, &st) == 0;
}

/* True when the first bytes of the file say "WAL" (format bytes 18-19). */
static bool wal_header(const char *path, const struct stat *seen)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	unsigned char hdr[20];
	struct stat st;
	bool wal = fstat(fd, &st) == 0 && st.st_ino == seen->st_ino && st.st_dev == seen->st_dev &&
	           pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr && (hdr[18] == 2 || hdr[19] == 2);
	close(fd);
	return wal;
}

static int guard_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	bool look = vfs == &look_vfs;
	if (!(flags & SQLITE_OPEN_MAIN_DB) || !name) /* journals, temporary files */
		return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);

	struct db_guard_facts *f = watched;
	struct stat st;
	if (stat(name, &st) != 0) {
		int err = errno;
		if (err != ENOENT)
			return refuse(file, f, DB_GUARD_ERROR, err);
		if (look) { /* nothing there: the look never creates it */
			if (f) {
				f->seen = true;
				f->absent = true;
				snprintf(f->path, sizeof f->path, "%s", name);
			}
			file->pMethods = NULL;
			return SQLITE_CANTOPEN;
		}
		if (f && f->seen && !f->absent)
			return refuse(file, f, DB_GUARD_CHANGED, 0); /* gone since the look */
	} else {
		if (f && look) {
			f->seen = true;
			f->mode = st.st_mode;
			f->dev = st.st_dev;
			f->ino = st.st_ino;
			f->size = (int64_t)st.st_size;
			snprintf(f->path, sizeof f->path, "%s", name);
		}
		if (!S_ISREG(st.st_mode))
			return refuse(file, f, DB_GUARD_NOT_REGULAR, 0);
		if (!look && f && f->seen && (f->absent || f->dev != st.st_dev || f->ino != st.st_ino))
			return refuse(file, f, DB_GUARD_CHANGED, 0);
		bool has_wal = exists(sqlite3_filename_wal(name));
		if (has_wal || wal_header(name, &st)) {
			if (f) {
				f->wal = true;
				f->has_wal = has_wal;
			}
			if (!(f && f->allow_wal) && !sqlite3_uri_boolean(name, "immutable", 0))
				return refuse(file, f, DB_GUARD_WAL, 0);
		}
		if (f && look)
			f->has_journal = exists(sqlite3_filename_journal(name));
	}
	if (look) /* read-only, whatever the flags or the URI's mode asked */
		flags = (flags & ~(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
	return real_vfs->xOpen(real_vfs, name, file, flags, out_flags);
}

static void register_guards(void)
{
	if (sqlite3_initialize() != SQLITE_OK)
		return;
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs)
		return;
	/* Everything but xOpen and the clock is the default VFS's own, with its own pAppData. */
	look_vfs = *real_vfs;
	look_vfs.pNext = NULL;
	look_vfs.zName = LOOK_NAME;
	look_vfs.xOpen = guard_open;
	if (look_vfs.iVersion >= 2) /* SQLite's statement times become the spans' stamps */
		look_vfs.xCurrentTimeInt64 = sqltrace_vfs_time;
	use_vfs = look_vfs;
	use_vfs.zName = USE_NAME;
	registered = sqlite3_vfs_register(&look_vfs, 0) == SQLITE_OK &&
	             sqlite3_vfs_register(&use_vfs, 0) == SQLITE_OK;
}

const char *db_guard_vfs(bool look)
{
	pthread_once(&once, register_guards);
	if (!registered)
		return NULL;
	return look ? LOOK_NAME : USE_NAME;
}
