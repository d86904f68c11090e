/*
 * db_lock — one driver per lab database: an exclusive flock(2) on the
 * database file itself, on an open file description of obslab's own.
 *
 * On Linux flock is independent of the fcntl locks SQLite takes, so it
 * never blocks a statement, and the kernel drops it when the holder exits
 * however it ends: no stale lock, no sidecar file. The holder is found in
 * /proc/locks (its pid and, from /proc/PID/comm, its name); where that is
 * not readable the refusal names no pid.
 *
 * The lock is the process's: connections of one process to one file share
 * it (a count), and it lives as long as the last of them (db_lock_attach):
 * SQLite releases it after the connection's own file is closed, so closing
 * it never drops a fcntl lock SQLite still holds (POSIX drops a process's
 * fcntl locks on any close of the file). Thread-safe.
 */
#ifndef OBSLAB_DB_LOCK_H
#define OBSLAB_DB_LOCK_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum db_lock_result {
	DB_LOCK_TAKEN, /* *fd holds the lock */
	DB_LOCK_HELD,  /* another open file description holds it: holder filled */
	DB_LOCK_FAILED, /* open or flock failed: errno in *saved_errno */
};

struct db_lock_holder {
	pid_t pid;      /* 0: not known */
	char name[32];  /* its command name, or "" */
};

struct db_lock;

/* Locks the regular file at path, which must be the file (dev, ino) SQLite
 * opened; a file that is not is DB_LOCK_FAILED with EBUSY. A lock this
 * process holds already is shared. */
enum db_lock_result db_lock_take(const char *path, dev_t dev, ino_t ino, struct db_lock **lock,
                                 struct db_lock_holder *holder, int *saved_errno);
/* Gives a taken lock back (the last user closes it). NULL is a no-op. */
void db_lock_release(struct db_lock *lock);

/* The holder of an exclusive flock on (dev, ino), from /proc/locks. */
bool db_lock_find_holder(dev_t dev, ino_t ino, struct db_lock_holder *holder);

/* Hands a taken lock to db: released when db is closed (or now, if SQLite
 * refuses). */
void db_lock_attach(sqlite3 *db, struct db_lock *lock);

#endif
