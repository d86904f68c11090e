/*
 * db_guard — a SQLite VFS shim that sees the file SQLite actually opens.
 *
 * db.c opens every database through one of two guard VFSs, registered once
 * on top of the default (unix) VFS. Whatever form --db takes (a path, a
 * symlink, a file: URI with parameters), SQLite resolves it and hands the
 * real path to xOpen; the guard checks the main database file there, before
 * the real VFS touches it:
 *   look: refuses a non-regular file (device, FIFO, directory) without
 *         opening it, records what it found (a missing file, a WAL header, a
 *         -wal or -journal beside it, the header's stamps), and opens the
 *         file read-only, whatever flags or URI mode were asked for.
 *   use:  refuses a non-regular file, and a file that is not the one the
 *         look saw (another inode, or one that appeared meanwhile).
 * Both refuse a WAL database (DB_GUARD_WAL: nothing opened, no -wal or -shm
 * made) unless the open is immutable=1 (read as a plain file) or the facts
 * say allow_wal: db.c allows it once it has judged the file obslab's.
 * The facts go to the calling thread's current db_guard_facts (set with
 * db_guard_watch); the guard keeps no other state. Journals and temporary
 * files pass straight through.
 */
#ifndef OBSLAB_DB_GUARD_H
#define OBSLAB_DB_GUARD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum db_guard_refusal {
	DB_GUARD_NONE,
	DB_GUARD_NOT_REGULAR, /* a device, FIFO, socket or directory: never opened */
	DB_GUARD_WAL,         /* a WAL database, or a -wal file beside it */
	DB_GUARD_CHANGED,     /* not the file the look saw */
	DB_GUARD_ERROR,       /* stat or open failed: errno in saved_errno */
};

struct db_guard_facts {
	bool seen;       /* the main database file went through the guard */
	bool absent;     /* no file there (the look does not create it) */
	enum db_guard_refusal refused;
	int saved_errno;
	mode_t mode;     /* st_mode of what is there */
	dev_t dev;
	ino_t ino;
	int64_t size;
	bool has_journal; /* a -journal beside it */
	bool wal;         /* in WAL mode (its header), or a -wal beside it */
	bool has_wal;     /* a -wal beside it: a connection has it open, or had */
	bool allow_wal;   /* set by the caller: open a WAL database */
	char path[PATH_MAX]; /* the path SQLite resolved */
};

/* The name of the VFS to pass to sqlite3_open_v2: the look (read-only) or
 * the use. Registers both on first call; NULL if SQLite could not. */
const char *db_guard_vfs(bool look);

/* Facts of the next opens on this thread go to f (NULL: nowhere). The use
 * VFS compares against what f holds from the look. */
void db_guard_watch(struct db_guard_facts *f);

#endif
