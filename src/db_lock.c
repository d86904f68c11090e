/* db_lock — the lab's one-driver lock: flock on the database file, its
 * holder from /proc/locks, its life tied to the connection (see db_lock.h). */
#include "db_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "obslab/xalloc.h"

#define LOCK_FUNCTION "obslab_driver_pid"

static void holder_name(pid_t pid, char *buf, size_t cap)
{
	char path[64];
	buf[0] = '\0';
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)cap, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
	for (char *p = buf; *p; p++) /* a name from elsewhere: printable ASCII only */
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
}

bool db_lock_find_holder(dev_t dev, ino_t ino, struct db_lock_holder *holder)
{
	memset(holder, 0, sizeof *holder);
	FILE *f = fopen("/proc/locks", "re");
	if (!f)
		return false;
	char line[256];
	pid_t by_inode = 0;
	while (fgets(line, sizeof line, f)) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:5316861 0 EOF"; waiters
		 * begin with "->" and are not holders. */
		char type[16], mode[16];
		int pid;
		unsigned maj, min;
		unsigned long long inode;
		if (strstr(line, "->") ||
		    sscanf(line, "%*d: %15s %*s %15s %d %x:%x:%llu", type, mode, &pid, &maj, &min, &inode) != 6)
			continue;
		if (strcmp(type, "FLOCK") != 0 || strcmp(mode, "WRITE") != 0 || pid <= 0 || inode != (unsigned long long)ino)
			continue;
		if (maj == major(dev) && min == minor(dev)) {
			holder->pid = pid;
			break;
		}
		by_inode = pid; /* a stacked filesystem may report another device */
	}
	fclose(f);
	if (!holder->pid)
		holder->pid = by_inode;
	if (holder->pid)
		holder_name(holder->pid, holder->name, sizeof holder->name);
	return holder->pid != 0;
}

/* The locks this process holds, one per file. */
struct db_lock {
	dev_t dev;
	ino_t ino;
	int fd;
	unsigned users;
	struct db_lock *next;
};

static pthread_mutex_t held_lock = PTHREAD_MUTEX_INITIALIZER;
static struct db_lock *held;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* A forked child is another process: it holds none of its parent's locks
 * (closing the inherited descriptors leaves the parent's lock in place). */
static void forget_in_child(void)
{
	for (struct db_lock *l = held, *next; l; l = next) {
		next = l->next;
		close(l->fd);
		free(l);
	}
	held = NULL;
	pthread_mutex_init(&held_lock, NULL);
}

static void watch_forks(void)
{
	pthread_atfork(NULL, NULL, forget_in_child);
}

static enum db_lock_result lock_file(const char *path, dev_t dev, ino_t ino, int *fd,
                                     struct db_lock_holder *holder, int *saved_errno)
{
	int f = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (f < 0) {
		*saved_errno = errno;
		return DB_LOCK_FAILED;
	}
	struct stat st;
	if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode) || st.st_dev != dev || st.st_ino != ino) {
		*saved_errno = EBUSY; /* not the file SQLite opened */
		close(f);
		return DB_LOCK_FAILED;
	}
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(f);
		if (e != EWOULDBLOCK) {
			*saved_errno = e;
			return DB_LOCK_FAILED;
		}
		db_lock_find_holder(dev, ino, holder);
		return DB_LOCK_HELD;
	}
	*fd = f;
	return DB_LOCK_TAKEN;
}

enum db_lock_result db_lock_take(const char *path, dev_t dev, ino_t ino, struct db_lock **lock,
                                 struct db_lock_holder *holder, int *saved_errno)
{
	*lock = NULL;
	*saved_errno = 0;
	memset(holder, 0, sizeof *holder);
	pthread_once(&fork_once, watch_forks);
	pthread_mutex_lock(&held_lock);
	struct db_lock *l = held;
	while (l && (l->dev != dev || l->ino != ino))
		l = l->next;
	enum db_lock_result r = DB_LOCK_TAKEN;
	if (l) {
		l->users++;
	} else {
		int fd;
		r = lock_file(path, dev, ino, &fd, holder, saved_errno);
		if (r == DB_LOCK_TAKEN) {
			l = xcalloc(1, sizeof *l);
			*l = (struct db_lock){ .dev = dev, .ino = ino, .fd = fd, .users = 1, .next = held };
			held = l;
		}
	}
	pthread_mutex_unlock(&held_lock);
	*lock = l;
	return r;
}

void db_lock_release(struct db_lock *lock)
{
	if (!lock)
		return;
	pthread_mutex_lock(&held_lock);
	if (--lock->users == 0) {
		struct db_lock **p = &held;
		while (*p != lock)
			p = &(*p)->next;
		*p = lock->next;
		close(lock->fd);
		free(lock);
	}
	pthread_mutex_unlock(&held_lock);
}

static void release(void *arg)
{
	db_lock_release(arg);
}

/* SELECT obslab_driver_pid(): the process that drives this connection. */
static void driver_pid(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	sqlite3_result_int64(c, (sqlite3_int64)getpid());
}

void db_lock_attach(sqlite3 *db, struct db_lock *lock)
{
	/* SQLite calls release when the connection closes, after its own file
	 * is closed; on failure it calls it at once. */
	sqlite3_create_function_v2(db, LOCK_FUNCTION, 0, SQLITE_UTF8, lock, driver_pid, NULL, NULL, release);
}
