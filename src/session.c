#include "obslab/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "obslab/log.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/strtab.h"

#define LOG_DRAIN_BATCH 64

enum db_status session_start(struct session *s, const char *db_path, const struct workload_config *cfg,
                             struct store_limits limits, struct db_error *err)
{
	memset(s, 0, sizeof *s);
	sqlite3 *db;
	enum db_status status = db_open(db_path, &db, err);
	if (status != DB_OK)
		return status;
	s->anchor = clock_anchor();
	s->names = strtab_create();
	s->spans = ring_create(SESSION_SPAN_RING, sizeof(struct span_record));
	s->logs = ring_create(SESSION_LOG_RING, sizeof(struct log_record));
	s->store = store_create(limits);
	if (!s->names || !s->spans || !s->logs || !s->store)
		abort(); /* out of memory */
	s->workload = workload_create(db, cfg, s->spans, s->logs, s->names);
	if (!s->workload)
		abort();
	int rc = workload_start(s->workload);
	if (rc != 0) {
		snprintf(err->msg, sizeof err->msg, "cannot start the workload thread: %s", strerror(rc));
		return DB_ERROR;
	}
	return DB_OK;
}

size_t session_drain(struct session *s, session_log_fn *on_log, void *ctx)
{
	if (!s->spans) /* a session opened on a snapshot: nothing runs */
		return 0;
	size_t spans = store_drain(s->store, s->spans);
	struct log_record batch[LOG_DRAIN_BATCH];
	size_t n;
	while ((n = ring_pop(s->logs, batch, LOG_DRAIN_BATCH)) > 0) {
		for (size_t i = 0; on_log && i < n; i++)
			on_log(ctx, &batch[i]);
	}
	return spans;
}

void session_wait(struct session *s, session_log_fn *on_log, void *ctx, void (*on_tick)(void *), void *tick_ctx)
{
	const struct timespec nap = { .tv_sec = 0, .tv_nsec = 2000000 };
	for (;;) {
		enum workload_phase phase = workload_phase(s->workload);
		session_drain(s, on_log, ctx);
		if (phase == WORKLOAD_DONE || phase == WORKLOAD_FAILED)
			break; /* the phase was read before the drain: nothing is left behind */
		if (on_tick)
			on_tick(tick_ctx);
		nanosleep(&nap, NULL);
	}
	workload_join(s->workload);
	session_drain(s, on_log, ctx);
}

void session_stop(struct session *s)
{
	workload_destroy(s->workload);
	store_destroy(s->store);
	ring_destroy(s->spans);
	ring_destroy(s->logs);
	strtab_destroy(s->names);
	memset(s, 0, sizeof *s);
}
