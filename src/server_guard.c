/*
 * server_guard — the register of the server's open connections, their
 * deadlines, and the reaper thread that shuts the ones past theirs (see
 * server_guard.h).
 */
#include "server_guard.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "obslab/clock.h"
#include "obslab/xalloc.h"

#define GUARD_TICK_MS 100 /* how often the reaper looks */

enum guard_state { GUARD_NEW, GUARD_WAITING, GUARD_READING, GUARD_HANDLING, GUARD_ANSWERING };

struct guard_conn {
	int fd;
	_Atomic int state;      /* enum guard_state */
	_Atomic int64_t since;  /* clock_now_ns() when the state began */
	bool shut;              /* under the mutex */
	struct guard_conn *prev, *next;
};

struct server_guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t reaper;
	struct guard_conn *head; /* under lock */
	unsigned open;           /* under lock */
	unsigned crowded;        /* this many open: a new one shuts the longest waiting */
	int64_t deadline_ns;
	bool stop;               /* under lock */
	_Atomic bool quiesced;
	_Atomic uint64_t reaped;
};

static void set_state(struct guard_conn *c, enum guard_state st)
{
	if (!c)
		return;
	atomic_store_explicit(&c->since, clock_now_ns(), memory_order_relaxed);
	atomic_store_explicit(&c->state, (int)st, memory_order_release);
}

void guard_waiting(struct guard_conn *c)
{
	set_state(c, GUARD_WAITING);
}

void guard_reading(struct guard_conn *c)
{
	set_state(c, GUARD_READING);
}

void guard_handling(struct guard_conn *c)
{
	set_state(c, GUARD_HANDLING);
}

void guard_answering(struct guard_conn *c)
{
	set_state(c, GUARD_ANSWERING);
}

/* Under the lock. */
static void shut(struct server_guard *g, struct guard_conn *c)
{
	if (c->shut)
		return;
	c->shut = true;
	shutdown(c->fd, SHUT_RDWR);
	atomic_fetch_add(&g->reaped, 1);
}

/* Under the lock: shuts what is past its deadline, and, quiesced, what
 * waits between requests (keep-alive). A new connection is left to send
 * its request (it may be in, not yet parsed), to be answered 503. */
static void reap(struct server_guard *g)
{
	int64_t now = clock_now_ns();
	bool quiesced = atomic_load(&g->quiesced);
	for (struct guard_conn *c = g->head; c; c = c->next) {
		int st = atomic_load_explicit(&c->state, memory_order_acquire);
		int64_t since = atomic_load_explicit(&c->since, memory_order_relaxed);
		if (st == GUARD_HANDLING)
			continue;
		if (now - since > g->deadline_ns || (quiesced && st == GUARD_WAITING))
			shut(g, c);
	}
}

static void *reaper_main(void *arg)
{
	struct server_guard *g = arg;
	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += GUARD_TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &until);
		if (!g->stop)
			reap(g);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

struct server_guard *guard_create(unsigned deadline_s, unsigned max_connections)
{
	struct server_guard *g = xcalloc(1, sizeof *g);
	g->deadline_ns = (int64_t)deadline_s * 1000 * CLOCK_NS_PER_MS;
	g->crowded = max_connections - max_connections / 10;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	if (pthread_create(&g->reaper, NULL, reaper_main, g) != 0) {
		pthread_cond_destroy(&g->wake);
		pthread_mutex_destroy(&g->lock);
		free(g);
		return NULL;
	}
	return g;
}

void guard_destroy(struct server_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stop = true;
	pthread_cond_signal(&g->wake);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->reaper, NULL);
	while (g->head) { /* none if the daemon stopped cleanly */
		struct guard_conn *c = g->head;
		g->head = c->next;
		free(c);
	}
	pthread_cond_destroy(&g->wake);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

void guard_opened(struct server_guard *g, int fd, void **socket_context)
{
	struct guard_conn *c = xcalloc(1, sizeof *c);
	c->fd = fd;
	set_state(c, GUARD_NEW);
	pthread_mutex_lock(&g->lock);
	if (++g->open > g->crowded) {
		/* Crowded: the connection that has waited longest for a complete request goes. */
		struct guard_conn *oldest = NULL;
		int64_t oldest_since = 0;
		for (struct guard_conn *o = g->head; o; o = o->next) {
			int st = atomic_load_explicit(&o->state, memory_order_acquire);
			int64_t since = atomic_load_explicit(&o->since, memory_order_relaxed);
			if (o->shut || st == GUARD_HANDLING || st == GUARD_ANSWERING)
				continue;
			if (!oldest || since < oldest_since) {
				oldest = o;
				oldest_since = since;
			}
		}
		if (oldest)
			shut(g, oldest);
	}
	c->next = g->head;
	if (g->head)
		g->head->prev = c;
	g->head = c;
	pthread_mutex_unlock(&g->lock);
	*socket_context = c;
}

void guard_closed(struct server_guard *g, void **socket_context)
{
	struct guard_conn *c = *socket_context;
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	g->open--;
	pthread_mutex_unlock(&g->lock);
	*socket_context = NULL;
	free(c);
}

void guard_quiesce(struct server_guard *g)
{
	atomic_store(&g->quiesced, true);
	pthread_mutex_lock(&g->lock);
	reap(g);
	pthread_mutex_unlock(&g->lock);
}

uint64_t guard_reaped(const struct server_guard *g)
{
	return atomic_load(&g->reaped);
}
