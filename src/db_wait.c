/* db_wait — waiting out another connection's lock: SQLite's busy handler,
 * with a limit, a stop flag and a start any thread can read (see db.h). */
#include "obslab/db.h"

#include <string.h>
#include <time.h>

#include "obslab/clock.h"

void db_wait_init(struct db_wait *w, int64_t limit_ns, const _Atomic bool *stop)
{
	memset(w, 0, sizeof *w);
	w->limit_ns = limit_ns;
	w->stop = stop;
	atomic_init(&w->since_ns, 0);
}

int64_t db_wait_limit_ns(int64_t ms)
{
	return ms < 0 ? DB_WAIT_FOREVER : (ms ? ms : DB_LOCK_WAIT_MS) * CLOCK_NS_PER_MS;
}

/* SQLite's busy handler: called while another connection holds the lock
 * this one needs; 1 tries again, 0 gives up (the statement then fails with
 * SQLITE_BUSY). */
static int on_busy(void *arg, int count)
{
	struct db_wait *w = arg;
	int64_t now = clock_now_ns();
	int64_t since = atomic_load(&w->since_ns);
	if (since == 0) {
		since = now;
		atomic_store(&w->since_ns, now);
		if (w->on_begin)
			w->on_begin(w->ctx);
	}
	if (w->stop && atomic_load(w->stop))
		return 0;
	if (w->limit_ns != DB_WAIT_FOREVER && now - since >= w->limit_ns) {
		w->gave_up = true;
		return 0;
	}
	/* Short naps first, then a few a second: resumes soon after the lock goes. */
	struct timespec nap = { 0, (count < 20 ? 5 : 40) * CLOCK_NS_PER_MS };
	nanosleep(&nap, NULL);
	return 1;
}

void db_wait_attach(sqlite3 *db, struct db_wait *w)
{
	sqlite3_busy_handler(db, on_busy, w);
}

int64_t db_wait_since(const struct db_wait *w)
{
	return atomic_load(&w->since_ns);
}

bool db_wait_end(struct db_wait *w, int64_t *waited_ns)
{
	int64_t since = atomic_load(&w->since_ns);
	if (since == 0)
		return false;
	atomic_store(&w->since_ns, 0);
	*waited_ns = clock_now_ns() - since;
	return true;
}
