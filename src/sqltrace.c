/*
 * sqltrace — SQLite's trace hook turned into client spans: each statement's
 * SQL fingerprinted (cached by raw text and by statement), timed, and
 * given its counters (rows, full-scan steps, sorts, VM steps) and the
 * simulated network wait. Also the VFS clock whose reads, SQLite's own at
 * each statement's start and end, become the spans' stamps.
 */
#include "obslab/sqltrace.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/clock.h"
#include "obslab/sqlfp.h"
#include "obslab/strtab.h"
#include "obslab/tracer.h"
#include "obslab/xalloc.h"

/* Statements may interleave (a cursor still open while another runs), so
 * each running statement has a slot; this many at once are traced. */
#define MAX_RUNNING 8

struct running {
	sqlite3_stmt *stmt;
	struct span_record rec;
};

/* The last fingerprint found for a statement object. A hit is trusted only
 * if the statement's text is byte for byte the one cached, so a statement
 * finalized and another prepared at the same address cannot be mistaken. */
#define RECENT 8
struct recent {
	const sqlite3_stmt *stmt;
	const char *text; /* the private copy in st->raw */
	size_t len;
	uint32_t fingerprint;
};

struct sqltrace {
	sqlite3 *db;
	struct tracer *tracer;
	struct strtab *names; /* shared with the consumer: fingerprints */
	struct strtab *raw;   /* private: raw SQL texts seen so far */
	uint32_t *fingerprint_of_raw; /* raw id -> names id */
	size_t fingerprint_cap;
	int64_t rtt_ns;
	bool stamped; /* the connection's VFS reads sqltrace_vfs_time: its reads are the stamps */
	struct recent recent[RECENT];
	int nrunning;
	struct running running[MAX_RUNNING];
	int64_t query_ns, wait_ns; /* sqltrace_take_totals */
};

/*
 * The statement clock. Once a PROFILE hook is installed, SQLite reads its
 * VFS's clock (xCurrentTimeInt64) as a statement starts, just before the
 * STMT event, and as it ends, just before the PROFILE event. The VFS's own
 * clock is gettimeofday in milliseconds, useless for a span and as costly
 * as clock_now_ns(); so the lab's VFS reads clock_now_ns() instead, keeps
 * the stamp for this thread, and answers SQLite with the same moment in
 * milliseconds. The hook then takes its stamps from there: two clock reads
 * a statement instead of four.
 */
static _Thread_local int64_t vfs_stamp_ns;
static struct clock_anchor vfs_wall;
static _Atomic bool vfs_wall_taken;
static pthread_once_t vfs_wall_once = PTHREAD_ONCE_INIT;

/* 2440587.5, the Julian day of the Unix epoch, in milliseconds */
#define JULIAN_UNIX_EPOCH_MS INT64_C(210866760000000)

static void take_vfs_wall(void)
{
	vfs_wall = clock_anchor();
	atomic_store_explicit(&vfs_wall_taken, true, memory_order_release);
}

/* A stamp as SQLite's time: Julian day milliseconds, rounded down (times
 * after 1970: unix_ns is positive). */
static int64_t julian_ms(int64_t mono_ns)
{
	return JULIAN_UNIX_EPOCH_MS + clock_to_unix_ns(&vfs_wall, mono_ns) / CLOCK_NS_PER_MS;
}

int sqltrace_vfs_time(sqlite3_vfs *vfs, sqlite3_int64 *now)
{
	(void)vfs;
	if (!atomic_load_explicit(&vfs_wall_taken, memory_order_acquire))
		pthread_once(&vfs_wall_once, take_vfs_wall);
	int64_t stamp = clock_now_ns();
	vfs_stamp_ns = stamp;
	*now = julian_ms(stamp);
	return SQLITE_OK;
}

static bool reads_vfs_time(sqlite3 *db)
{
	sqlite3_vfs *vfs = NULL;
	return sqlite3_file_control(db, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) == SQLITE_OK && vfs &&
	       vfs->iVersion >= 2 && vfs->xCurrentTimeInt64 == sqltrace_vfs_time;
}

/* The fingerprint id for a statement's SQL: normalized once per distinct
 * text, then found by one hash lookup, or (a statement run again, as the
 * N+1 loop's is) by one comparison with the text it had last time. */
static uint32_t fingerprint_id(struct sqltrace *st, const sqlite3_stmt *stmt, const char *sql)
{
	size_t len = strlen(sql);
	struct recent *r = &st->recent[((uintptr_t)stmt >> 4) % RECENT];
	if (r->stmt == stmt && r->len == len && memcmp(r->text, sql, len) == 0)
		return r->fingerprint;
	uint32_t raw = strtab_intern(st->raw, sql, len);
	if (raw == STRTAB_NONE)
		return STRTAB_NONE;
	if (raw >= st->fingerprint_cap) {
		size_t cap = st->fingerprint_cap * 2 > raw ? st->fingerprint_cap * 2 : (size_t)raw + 64;
		uint32_t *grown = xrealloc_array(st->fingerprint_of_raw, cap, sizeof *grown);
		memset(grown + st->fingerprint_cap, 0, (cap - st->fingerprint_cap) * sizeof *grown);
		st->fingerprint_of_raw = grown;
		st->fingerprint_cap = cap;
	}
	if (st->fingerprint_of_raw[raw] == STRTAB_NONE)
		st->fingerprint_of_raw[raw] = sqlfp_intern(st->names, sql, len);
	*r = (struct recent){ stmt, strtab_get(st->raw, raw), len, st->fingerprint_of_raw[raw] };
	return r->fingerprint;
}

static struct running *find_running(struct sqltrace *st, const sqlite3_stmt *stmt)
{
	for (int i = st->nrunning - 1; i >= 0; i--) {
		if (st->running[i].stmt == stmt)
			return &st->running[i];
	}
	return NULL;
}

static uint32_t counter(sqlite3_stmt *stmt, int op)
{
	return (uint32_t)sqlite3_stmt_status(stmt, op, 1);
}

/* The STMT and PROFILE handlers are kept out of the hook, so that the ROW
 * event (one per row) pays for no more than it uses. */
static __attribute__((noinline)) void on_stmt(struct sqltrace *st, sqlite3_stmt *stmt)
{
	const char *sql = sqlite3_sql(stmt);
	if (!sql || (sql[0] == '-' && sql[1] == '-'))
		return; /* a trigger's sub-program: part of its statement's span */

	/* stamped: SQLite read the clock as this statement started, just now */
	int64_t start = st->stamped ? vfs_stamp_ns : clock_now_ns();
	int64_t waited = st->rtt_ns > 0 ? clock_wait_until(start + st->rtt_ns) - start : 0;
	if (!tracer_enabled(st->tracer) || st->nrunning == MAX_RUNNING)
		return;
	/* The counters need no reset here: on_profile reads them with a reset,
	 * so each traced run starts from zero (statements of requests run only
	 * inside requests; if one ran outside, its next span would include it). */
	struct running *r = &st->running[st->nrunning++];
	r->stmt = stmt;
	tracer_open_leaf(st->tracer, &r->rec, fingerprint_id(st, stmt, sql), SPAN_KIND_CLIENT, start);
	r->rec.flags = SPAN_F_DB;
	r->rec.u.db.net_wait_ns = (uint32_t)waited;
}

static void on_row(struct sqltrace *st, const sqlite3_stmt *stmt)
{
	struct running *r = find_running(st, stmt);
	if (r)
		r->rec.u.db.rows++;
}

static __attribute__((noinline)) void on_profile(struct sqltrace *st, sqlite3_stmt *stmt,
                                                 const sqlite3_int64 *elapsed)
{
	struct running *r = find_running(st, stmt);
	if (!r)
		return;
	int64_t end;
	if (st->stamped && julian_ms(vfs_stamp_ns) - julian_ms(r->rec.start_ns) == *elapsed / CLOCK_NS_PER_MS) {
		end = vfs_stamp_ns; /* read by SQLite as the statement ended, just now */
	} else {
		/* SQLite's times are not the stamps (never seen): this span ends
		 * now, and the hook reads its own clock from here on. */
		end = clock_now_ns();
		st->stamped = false;
	}
	uint32_t sorts = counter(stmt, SQLITE_STMTSTATUS_SORT);
	r->rec.sort_ops = (uint8_t)(sorts > UINT8_MAX ? UINT8_MAX : sorts);
	r->rec.u.db.fullscan_steps = counter(stmt, SQLITE_STMTSTATUS_FULLSCAN_STEP);
	r->rec.u.db.autoindex = counter(stmt, SQLITE_STMTSTATUS_AUTOINDEX);
	r->rec.u.db.vm_steps = counter(stmt, SQLITE_STMTSTATUS_VM_STEP);
	(void)tracer_close_leaf_at(st->tracer, &r->rec, end);
	int64_t took = end > r->rec.start_ns ? end - r->rec.start_ns : 0;
	int64_t waited = r->rec.u.db.net_wait_ns;
	st->query_ns += took;
	st->wait_ns += waited < took ? waited : took;
	struct running *last = &st->running[--st->nrunning];
	if (r != last)
		*r = *last;
}

static int trace_hook(unsigned event, void *ctx, void *p, void *x)
{
	struct sqltrace *st = ctx;
	if (!tracer_in_trace(st->tracer))
		return 0;
	switch (event) {
	case SQLITE_TRACE_STMT: on_stmt(st, p); break;
	case SQLITE_TRACE_ROW: on_row(st, p); break;
	case SQLITE_TRACE_PROFILE: on_profile(st, p, x); break;
	default: break;
	}
	return 0;
}

static void install(struct sqltrace *st)
{
	unsigned mask = 0;
	if (tracer_enabled(st->tracer))
		mask = SQLITE_TRACE_STMT | SQLITE_TRACE_ROW | SQLITE_TRACE_PROFILE;
	else if (st->rtt_ns > 0)
		mask = SQLITE_TRACE_STMT;
	st->stamped = (mask & SQLITE_TRACE_PROFILE) && reads_vfs_time(st->db);
	sqlite3_trace_v2(st->db, mask, mask ? trace_hook : NULL, mask ? st : NULL);
}

struct sqltrace *sqltrace_attach(sqlite3 *db, struct tracer *tracer, struct strtab *names)
{
	struct sqltrace *st = xcalloc(1, sizeof *st);
	st->raw = strtab_create();
	st->db = db;
	st->tracer = tracer;
	st->names = names;
	install(st);
	return st;
}

void sqltrace_detach(struct sqltrace *st)
{
	if (!st)
		return;
	sqlite3_trace_v2(st->db, 0, NULL, NULL);
	strtab_destroy(st->raw);
	free(st->fingerprint_of_raw);
	free(st);
}

void sqltrace_set_rtt_us(struct sqltrace *st, uint32_t rtt_us)
{
	if (rtt_us > SQLTRACE_MAX_RTT_US)
		rtt_us = SQLTRACE_MAX_RTT_US;
	st->rtt_ns = (int64_t)rtt_us * CLOCK_NS_PER_US;
	install(st);
}

bool sqltrace_uses_vfs_stamps(const struct sqltrace *st)
{
	return st->stamped;
}

uint32_t sqltrace_rtt_us(const struct sqltrace *st)
{
	return (uint32_t)(st->rtt_ns / CLOCK_NS_PER_US);
}

void sqltrace_take_totals(struct sqltrace *st, int64_t *query_ns, int64_t *wait_ns)
{
	*query_ns = st->query_ns;
	*wait_ns = st->wait_ns;
	st->query_ns = st->wait_ns = 0;
}
