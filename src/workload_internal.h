/*
 * workload_internal — the workload's state, shared by workload.c (the
 * thread and its control) and workload_reconnect.c (getting a lost
 * PostgreSQL connection back). Internal to those two files.
 */
#ifndef OBSLAB_WORKLOAD_INTERNAL_H
#define OBSLAB_WORKLOAD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "obslab/db.h"
#include "obslab/error.h"
#include "obslab/pgstat.h"
#include "obslab/tracer.h"
#include "obslab/workload.h"

struct labdb;

struct workload {
	/* Owned by the worker thread once started. */
	struct labdb *db;
	struct ring *spans, *logs;
	struct strtab *names;
	struct tracer tracer;
	struct request_result last;
	struct request_sample *samples;
	size_t nsamples;
	uint64_t max_requests;
	uint64_t seed;
	bool trace;
	bool watch;            /* read-only: never seeds, never toggles the index */
	bool check_changes;    /* a file another connection can change */
	int64_t data_version;  /* PRAGMA data_version when last checked */
	int64_t state_read_ns; /* PostgreSQL: when the users and index were last read */
	bool exit_after_plan;
	struct plan plan;      /* guarded by lock until taken by the worker */
	struct obslab_error error; /* written before the phase becomes FAILED */
	struct db_wait wait;   /* for locks held by other connections */

	/* Control: written by any thread, read by the worker. */
	_Atomic int strategy;
	_Atomic uint32_t users, rtt_us, pace_hz;
	_Atomic bool index, stop, paused, plan_pending, plan_running;
	_Atomic uint32_t generation; /* bumped by every change */
	_Atomic uint32_t cancel;     /* bumped by changes that void the request in flight */

	/* Status: written by the worker. */
	_Atomic int phase;
	_Atomic uint64_t requests;
	_Atomic uint32_t seed_done, seed_total;
	_Atomic uint32_t plan_done, plan_total;
	_Atomic uint32_t db_users, db_changes; /* the database as it is */
	_Atomic bool db_index;
	_Atomic int64_t in_flight_since;   /* 0: no request running */
	_Atomic int64_t reconnect_since;   /* 0: connected (workload_reconnect.c) */
	_Atomic uint32_t reconnect_attempts;
	_Atomic uint64_t failed_requests;  /* lost to a lost connection (workload_reconnect.c) */
	_Atomic uint32_t in_flight_queries; /* kept by the request (request_ctx_set_progress) */
	_Atomic int server_clock;          /* enum pgstat_state: the last reading's */
	struct pgstat_reading server;      /* the last request's reading (worker only) */

	pthread_mutex_t lock; /* guards nothing but the wake-up */
	pthread_cond_t wake;
	pthread_t thread;
	bool started, joined;
};

/* Moves the generation (and, cancel, the cancel counter: the request in
 * flight gives way) and wakes the worker from its pace sleep. */
void workload_wake(struct workload *w, bool cancel);

/* Sleeps until deadline (INT64_MAX: no deadline), or until a control change
 * or stop wakes it. */
void workload_pace_wait(struct workload *w, int64_t deadline_ns, uint32_t generation);

/*
 * After a statement failed with DB_UNAVAILABLE (PostgreSQL: the connection
 * was lost): pg_reconnect, again and again with a back-off from
 * WORKLOAD_RECONNECT_FIRST_MS to WORKLOAD_RECONNECT_MAX_MS, while
 * workload_reconnecting says so. DB_OK once connected (logged: "reconnected
 * to ... after N s"); DB_INTERRUPTED when a stop, pause or change of
 * settings (a new generation) comes first (the caller's loop applies it and
 * meets the lost connection again); DB_UNAVAILABLE with w->error set once
 * the lock-wait limit passed since the connection was lost. Any other
 * status, and every status on SQLite, is returned as it is.
 */
#define WORKLOAD_RECONNECT_FIRST_MS 200
#define WORKLOAD_RECONNECT_MAX_MS 2000
/* PostgreSQL: another program's changes to the users and the index are
 * looked for (pg_read_state, between requests) at most this often. */
#define WORKLOAD_STATE_POLL_MS 1000
enum db_status workload_reconnect(struct workload *w, enum db_status status, uint32_t generation);

#endif
