/*
 * Tracing overhead: the naive workload at 1000 users, RTT 0, index on (the
 * cheapest queries, so the worst case for the hooks), with tracing on
 * against off, in alternating rounds on two connections to one database.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "obslab/clock.h"
#include "obslab/db.h"
#include "obslab/request.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/sqltrace.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"

struct side {
	sqlite3 *db;
	struct tracer tracer;
	struct sqltrace *st;
	struct request_ctx *ctx;
	struct request_result res;
};

static struct ring *ring;
static _Atomic bool stop;

static void *drain(void *arg)
{
	(void)arg;
	static struct span_record batch[1024];
	const struct timespec nap = { 0, 1000000 };
	while (!atomic_load(&stop)) {
		while (ring_pop(ring, batch, 1024) > 0)
			;
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static void open_side(struct side *s, const char *path, struct strtab *names, bool trace)
{
	struct obslab_error err;
	if (db_open(path, &s->db, &err) != DB_OK) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	tracer_init(&s->tracer, trace ? ring : NULL);
	s->st = sqltrace_attach(s->db, &s->tracer, names);
	s->ctx = request_ctx_create(s->db, &s->tracer, names, NULL);
}

static double round_ns(struct side *s, int requests)
{
	struct obslab_error err;
	int64_t t0 = clock_now_ns();
	for (int i = 0; i < requests; i++)
		request_run(s->ctx, STRATEGY_NAIVE, &s->res, &err);
	return (double)(clock_now_ns() - t0) / requests;
}

int bench_overhead(void);
int bench_overhead(void)
{
	char path[] = "/tmp/obslab-bench-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	struct obslab_error err;
	sqlite3 *db;
	if (db_open(path, &db, &err) != DB_OK || db_seed(db, 1000, 42, NULL, NULL, &err) != DB_OK ||
	    db_set_index(db, true, &err) != DB_OK) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	sqlite3_close(db);
	ring = ring_create(1u << 17, sizeof(struct span_record));
	struct strtab *on_names = strtab_create(), *off_names = strtab_create();
	struct side on = { 0 }, off = { 0 };
	open_side(&on, path, on_names, true);
	open_side(&off, path, off_names, false);
	pthread_t t;
	pthread_create(&t, NULL, drain, NULL);
	enum { ROUNDS = 41 };
	int requests = (int)bench_size(12, 2);
	double with[ROUNDS], without[ROUNDS], ratio[ROUNDS];
	round_ns(&on, requests); /* warm both */
	round_ns(&off, requests);
	for (int r = 0; r < ROUNDS; r++) {
		with[r] = round_ns(&on, requests);
		without[r] = round_ns(&off, requests);
		ratio[r] = with[r] / without[r];
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	double on_ns = bench_median(with, ROUNDS), off_ns = bench_median(without, ROUNDS), rat = bench_median(ratio, ROUNDS);
	bench_row("3. tracing overhead: naive, 1000 users, RTT 0", (rat - 1) * 100, "%", "the same with --trace off", rat,
	          "<= 3 % slower", rat <= 1.03);
	bench_note("traced %.0f requests/s, untraced %.0f requests/s (1001 queries each; medians of %d rounds)",
	           1e9 / on_ns, 1e9 / off_ns, ROUNDS);
	struct side *sides[2] = { &on, &off };
	for (int i = 0; i < 2; i++) {
		request_ctx_destroy(sides[i]->ctx);
		sqltrace_detach(sides[i]->st);
		sqlite3_close(sides[i]->db);
		request_result_free(&sides[i]->res);
	}
	strtab_destroy(on_names);
	strtab_destroy(off_names);
	ring_destroy(ring);
	unlink(path);
	return 0;
}
