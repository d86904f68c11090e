/*
 * workload_control — the workload's control and status from any thread:
 * settings written to atomics (and the worker woken), plans started and
 * cancelled, and what the worker publishes read back.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "obslab/workload.h"

#include "workload_internal.h"

/* The generation moves before the cancel counter: a worker that armed its
 * request after the cancel (request_ctx_arm) sees the new generation too. */
void workload_wake(struct workload *w, bool cancel)
{
	pthread_mutex_lock(&w->lock);
	atomic_fetch_add(&w->generation, 1);
	if (cancel)
		atomic_fetch_add(&w->cancel, 1);
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void workload_set_strategy(struct workload *w, enum strategy s)
{
	atomic_store(&w->strategy, (int)s);
	workload_wake(w, true);
}

void workload_set_users(struct workload *w, uint32_t users)
{
	atomic_store(&w->users, users);
	workload_wake(w, true);
}

void workload_set_rtt_us(struct workload *w, uint32_t rtt_us)
{
	atomic_store(&w->rtt_us, rtt_us);
	workload_wake(w, false);
}

void workload_set_index(struct workload *w, bool on)
{
	atomic_store(&w->index, on);
	workload_wake(w, true);
}

void workload_set_pace(struct workload *w, uint32_t pace_hz)
{
	atomic_store(&w->pace_hz, pace_hz);
	workload_wake(w, false);
}

void workload_set_paused(struct workload *w, bool paused)
{
	atomic_store(&w->paused, paused);
	workload_wake(w, paused);
}

enum workload_phase workload_phase(const struct workload *w)
{
	return (enum workload_phase)atomic_load(&w->phase);
}

uint64_t workload_requests(const struct workload *w)
{
	return atomic_load(&w->requests);
}

void workload_seed_progress(const struct workload *w, uint32_t *done, uint32_t *total)
{
	*total = atomic_load(&w->seed_total);
	*done = atomic_load(&w->seed_done);
}

void workload_db_state(const struct workload *w, uint32_t *users, bool *index, uint32_t *changes)
{
	*users = atomic_load(&w->db_users);
	*index = atomic_load(&w->db_index);
	*changes = atomic_load(&w->db_changes);
}

int64_t workload_lock_wait_since(const struct workload *w)
{
	return db_wait_since(&w->wait);
}

bool workload_in_flight(const struct workload *w, int64_t *started_ns, uint32_t *queries)
{
	*started_ns = atomic_load(&w->in_flight_since);
	*queries = atomic_load(&w->in_flight_queries);
	return *started_ns != 0;
}

const char *workload_error(const struct workload *w)
{
	return workload_phase(w) == WORKLOAD_FAILED ? w->error.msg : "";
}

const struct request_sample *workload_samples(const struct workload *w, size_t *n)
{
	*n = w->nsamples;
	return w->samples;
}

const struct request_result *workload_last_result(const struct workload *w)
{
	return &w->last;
}

void workload_start_plan(struct workload *w, const struct plan *plan)
{
	pthread_mutex_lock(&w->lock);
	w->plan = *plan;
	if (w->plan.nscales > PLAN_MAX_SCALES)
		w->plan.nscales = PLAN_MAX_SCALES;
	atomic_store(&w->plan_done, 0);
	atomic_store(&w->plan_total, 0);
	atomic_store(&w->plan_running, true);
	/* The generation moves with the plan, under the lock the worker takes
	 * it with: the plan never sees its own start as a change. */
	atomic_fetch_add(&w->generation, 1);
	atomic_store(&w->plan_pending, true);
	atomic_fetch_add(&w->cancel, 1); /* last, as in wake: the request in flight gives way */
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void workload_cancel_plan(struct workload *w)
{
	workload_wake(w, true); /* a change of generation ends the plan */
}

void workload_plan_progress(const struct workload *w, uint32_t *done, uint32_t *total, bool *running)
{
	*done = atomic_load(&w->plan_done);
	*total = atomic_load(&w->plan_total);
	*running = atomic_load(&w->plan_running);
}

int workload_server_clock(const struct workload *w)
{
	return atomic_load(&w->server_clock);
}
