/*
 * workload_reconnect — getting a lost PostgreSQL connection back: the
 * request that met the loss is already a trace marked with its error
 * (request_run); here the workload says it is reconnecting (any thread reads
 * it: workload_reconnecting), tries pg_reconnect with a growing pause, gives
 * way to a stop, pause or change of settings, and resumes when the server
 * answers again, or gives up after the lock-wait limit (headless commands:
 * never a hang on a dead server).
 */
#include <stdatomic.h>
#include <stdio.h>

#include "obslab/clock.h"
#include "obslab/labdb.h"
#include "obslab/log.h"
#include "obslab/pg.h"
#include "obslab/strtab.h"

#include "workload_internal.h"

/* A server shutting down or starting up refuses connections (DB_ERROR,
 * DB_CANTOPEN) before it is gone or back: those are tried again, as a lost
 * connection is, until the limit. */

/* Whether to stop trying: a stop, or any change of settings or pause. */
static bool interrupted(const struct workload *w, uint32_t generation)
{
	return atomic_load(&w->stop) || atomic_load(&w->generation) != generation;
}

static void say(struct workload *w, enum log_level level, const char *message, const struct obslab_error *why,
                int64_t since)
{
	if (!w->logs)
		return;
	struct log_field f[3];
	size_t n = 0;
	f[n++] = log_str("database", strtab_intern_cstr(w->names, labdb_info(w->db)->display));
	if (why)
		f[n++] = log_text("error", why->msg);
	if (since)
		f[n++] = log_int("after_s", (clock_now_ns() - since + CLOCK_NS_PER_S / 2) / CLOCK_NS_PER_S);
	log_emit(w->logs, level, message, n, f);
}

enum db_status workload_reconnect(struct workload *w, enum db_status status, uint32_t generation)
{
	struct pgdb *pg = labdb_pg(w->db);
	if (status != DB_UNAVAILABLE || !pg)
		return status;
	int64_t since = atomic_load(&w->reconnect_since);
	if (since == 0) { /* a loss, not a retry after an interruption */
		since = clock_now_ns();
		atomic_store(&w->reconnect_attempts, 0);
		atomic_store(&w->reconnect_since, since);
		say(w, LOG_WARN, "connection to the database lost; reconnecting", &w->error, 0);
	}
	int64_t limit = w->wait.limit_ns;
	int64_t pause = WORKLOAD_RECONNECT_FIRST_MS * CLOCK_NS_PER_MS;
	struct obslab_error why = w->error;
	for (;;) {
		if (interrupted(w, generation))
			return DB_INTERRUPTED;
		atomic_fetch_add(&w->reconnect_attempts, 1);
		pg_arm(pg); /* a change from now on cuts the attempt short */
		enum db_status got = pg_reconnect(pg, &why);
		if (got == DB_OK) {
			say(w, LOG_INFO, "reconnected to the database", NULL, since);
			atomic_store(&w->reconnect_since, 0);
			struct obslab_error ignored;
			(void)pg_measure_rtt(pg, PG_RTT_SAMPLES, &ignored); /* a new connection, maybe a new route */
			return DB_OK;
		}
		if (got == DB_FOREIGN || got == DB_TOO_NEW || got == DB_LOCKED || got == DB_NOTADB) {
			/* refused now (the schema another's, another obslab driving it): not a matter of waiting */
			w->error = why;
			atomic_store(&w->reconnect_since, 0);
			return got;
		}
		int64_t now = clock_now_ns();
		if (limit != DB_WAIT_FOREVER && now - since >= limit) {
			obslab_error_set(&w->error, "gave up after %lld s reconnecting to %s: %s",
			                 (long long)((now - since) / CLOCK_NS_PER_S), labdb_info(w->db)->display, why.msg);
			atomic_store(&w->reconnect_since, 0);
			return DB_UNAVAILABLE;
		}
		int64_t deadline = now + pause;
		if (limit != DB_WAIT_FOREVER && deadline > since + limit)
			deadline = since + limit;
		workload_pace_wait(w, deadline, generation);
		pause = pause * 2 > WORKLOAD_RECONNECT_MAX_MS * CLOCK_NS_PER_MS ? WORKLOAD_RECONNECT_MAX_MS * CLOCK_NS_PER_MS
		                                                                : pause * 2;
	}
}

uint64_t workload_failed_requests(const struct workload *w)
{
	return atomic_load(&w->failed_requests);
}

bool workload_reconnecting(const struct workload *w, int64_t *since_ns, uint32_t *attempts)
{
	*since_ns = atomic_load(&w->reconnect_since);
	*attempts = atomic_load(&w->reconnect_attempts);
	return *since_ns != 0;
}
