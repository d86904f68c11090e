/*
 * session — one live lab, wired as every front end needs it: the database
 * opened (and refused if it is not obslab's), a workload thread that owns
 * the connection from then on, the span and log rings it records into, the
 * string table, and the store that the consumer thread drains into.
 *
 * The thread that calls session_start is the consumer: it alone calls
 * session_drain and reads the store. session_stop stops the thread and frees
 * everything; it is safe on a session that failed to start.
 */
#ifndef OBSLAB_SESSION_H
#define OBSLAB_SESSION_H

#include <stddef.h>

#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/labdb.h"
#include "obslab/store.h"
#include "obslab/workload.h"

struct log_record;
struct ring;
struct strtab;

#define SESSION_SPAN_RING (1u << 17)
#define SESSION_LOG_RING (1u << 10)

struct session {
	struct strtab *names;
	struct ring *spans, *logs;
	struct store *store;
	struct workload *workload;
	struct clock_anchor anchor;
	struct labdb_info db_info; /* where the lab runs (a copy: the workload owns the connection) */
};

/* db_path is --db's value: a SQLite path or a PostgreSQL connection string
 * (labdb.h); on PostgreSQL cfg->rtt_us becomes 0 (nothing is simulated).
 * DB_OK, or the database's error in err. A thread that cannot start is
 * reported as DB_ERROR. While another connection holds the database locked,
 * says so on stderr and waits (as cfg->lock_wait_ms says): call it before a
 * front end takes the terminal. Another obslab driving the database is
 * DB_LOCKED at once, unless cfg->watch (read-only). cfg is updated to the
 * settings the lab starts under: those the command line left to the
 * database (users_from_db...) and, watching, the database's users and index. */
enum db_status session_start(struct session *s, const char *db_path, struct workload_config *cfg,
                             struct store_limits limits, struct obslab_error *err);

typedef void session_log_fn(void *ctx, const struct log_record *rec);

/* Moves what the workload recorded so far: spans into the store, log
 * records to on_log (which may be NULL). Returns the spans moved. */
size_t session_drain(struct session *s, session_log_fn *on_log, void *ctx);

/* Drains until the workload ends by itself (its requests or plan done, or
 * failed), calling on_tick (may be NULL) every couple of milliseconds.
 * A headless front end's: says on stderr when the workload waits for
 * another connection's lock, or reconnects to a lost server, and when it
 * resumes. */
void session_wait(struct session *s, session_log_fn *on_log, void *ctx, void (*on_tick)(void *), void *tick_ctx);

void session_stop(struct session *s);

#endif
