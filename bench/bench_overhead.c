/*
 * Tracing overhead: the naive workload at 1000 users, RTT 0, index on (the
 * cheapest queries, so the worst case for the hooks), with tracing on
 * against off, one request of each in turn (on off, off on, ...) on two
 * connections to one database. Each request's wall time and the thread's
 * CPU time during it are kept: the figure is the ratio of the medians of
 * the wall times (the request's own median, as a user sees it); the CPU
 * times, which a preemption does not lengthen, are the check on it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

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
	s->ctx = request_ctx_create_sqlite(s->db, &s->tracer, names, NULL);
}

static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * CLOCK_NS_PER_S + ts.tv_nsec;
}

/* One request: its wall time into *wall, the thread's CPU time into *cpu. */
static void one_request(struct side *s, double *wall, double *cpu)
{
	struct obslab_error err;
	int64_t c0 = thread_cpu_ns();
	request_run(s->ctx, STRATEGY_NAIVE, &s->res, &err);
	int64_t c1 = thread_cpu_ns();
	*wall = (double)(s->res.end_ns - s->res.start_ns);
	*cpu = (double)(c1 - c0);
}

/* ns per read of each clock, in alternating rounds; medians. */
enum clock_kind { CK_MONOTONIC, CK_GETTIMEOFDAY, CK_VFS, CK_COARSE, CK_TSC, CK_COUNT };

static double clock_round(enum clock_kind k, size_t n)
{
	volatile int64_t sink = 0;
	struct timeval tv;
	struct timespec ts;
	sqlite3_int64 jd;
	int64_t t0 = clock_now_ns();
	for (size_t i = 0; i < n; i++) {
		switch (k) {
		case CK_MONOTONIC: sink += clock_now_ns(); break;
		case CK_GETTIMEOFDAY: gettimeofday(&tv, NULL), sink += tv.tv_usec; break;
		case CK_VFS: sqltrace_vfs_time(NULL, &jd), sink += jd; break;
		case CK_COARSE: clock_gettime(CLOCK_MONOTONIC_COARSE, &ts), sink += ts.tv_nsec; break;
		case CK_TSC: sink += (int64_t)__rdtsc(); break;
		case CK_COUNT: break;
		}
	}
	(void)sink;
	return (double)(clock_now_ns() - t0) / (double)n;
}

static bool cpu_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;
	size_t len = strlen(flag);
	while (f && !found && fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		for (const char *p = strstr(line, flag); p && !found; p = strstr(p + 1, flag))
			found = p[-1] == ' ' && (p[len] == ' ' || p[len] == '\n');
		break;
	}
	if (f)
		fclose(f);
	return found;
}

/* What a traced statement pays in clock reads: before, obslab's two
 * clock_gettime and SQLite's two gettimeofday (its VFS clock, read once a
 * PROFILE hook is installed); now SQLite's two reads of the lab's VFS
 * clock, whose stamps the spans take. */
static void clock_costs(void)
{
	enum { ROUNDS = 9 };
	size_t n = bench_size(2000000, 20000);
	double ns[CK_COUNT][ROUNDS];
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < CK_COUNT; k++)
			ns[k][r] = clock_round((enum clock_kind)k, n);
	double med[CK_COUNT];
	for (int k = 0; k < CK_COUNT; k++)
		med[k] = bench_median(ns[k], ROUNDS);
	double before = 2 * med[CK_MONOTONIC] + 2 * med[CK_GETTIMEOFDAY], now = 2 * med[CK_VFS];
	char ref[64];
	snprintf(ref, sizeof ref, "before: 4 reads, %.1f ns", before);
	bench_row("3a. clock reads a traced statement pays", now, "ns", ref, now / before, "<= 0.60",
	          now / before <= 0.6);
	struct timespec res;
	clock_getres(CLOCK_MONOTONIC_COARSE, &res);
	bench_note("a read: clock_gettime MONOTONIC %.1f ns, gettimeofday %.1f ns, the lab's VFS clock %.1f ns;",
	           med[CK_MONOTONIC], med[CK_GETTIMEOFDAY], med[CK_VFS]);
	bench_note("not used: MONOTONIC_COARSE %.1f ns but %.0f ms steps; rdtsc %.1f ns (constant_tsc %s, nonstop_tsc %s)",
	           med[CK_COARSE], (double)res.tv_nsec / 1e6, med[CK_TSC], cpu_flag("constant_tsc") ? "yes" : "no",
	           cpu_flag("nonstop_tsc") ? "yes" : "no");
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
	enum { PAIRS = 401 };
	int pairs = (int)bench_size(PAIRS, 3);
	static double wall_on[PAIRS], wall_off[PAIRS], cpu_on[PAIRS], cpu_off[PAIRS];
	for (int i = 0; i < 10; i++) { /* warm both */
		one_request(&on, &wall_on[0], &cpu_on[0]);
		one_request(&off, &wall_off[0], &cpu_off[0]);
	}
	for (int p = 0; p < pairs; p++) {
		if (p % 2 == 0) {
			one_request(&on, &wall_on[p], &cpu_on[p]);
			one_request(&off, &wall_off[p], &cpu_off[p]);
		} else {
			one_request(&off, &wall_off[p], &cpu_off[p]);
			one_request(&on, &wall_on[p], &cpu_on[p]);
		}
	}
	atomic_store(&stop, true);
	pthread_join(t, NULL);
	uint32_t queries = on.res.queries;
	double on_ns = bench_median(wall_on, (size_t)pairs), off_ns = bench_median(wall_off, (size_t)pairs);
	double on_cpu = bench_median(cpu_on, (size_t)pairs), off_cpu = bench_median(cpu_off, (size_t)pairs);
	double rat = on_ns / off_ns;
	bench_row("3. tracing overhead: naive, 1000 users, RTT 0", (rat - 1) * 100, "%", "the same with --trace off", rat,
	          "<= 3 % slower", rat <= 1.03);
	bench_note("median request %.3f ms traced, %.3f ms untraced (%u queries each, %d of each, in turn):",
	           on_ns / 1e6, off_ns / 1e6, queries, pairs);
	bench_note("%+.0f ns a statement; the thread's CPU time: %+.2f %%, %+.0f ns a statement",
	           (on_ns - off_ns) / queries, (on_cpu / off_cpu - 1) * 100, (on_cpu - off_cpu) / queries);
	clock_costs();
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
