/*
 * sqltrace — automatic instrumentation of one SQLite connection, the way
 * instrument_sqlalchemy(engine) instruments an engine: a sqlite3_trace_v2
 * hook turns every statement run inside a request into a client span, with
 * no code at call sites.
 *
 * A span's name is the statement's fingerprint (sqlite3_sql through sqlfp;
 * never the expanded SQL, so no bound value is ever recorded), its times
 * are clock_now_ns() stamps, and it carries the rows returned and the
 * statement's counters (full-scan steps, sorts, auto-index rows, VM steps),
 * read with a reset at the end of each run. The simulated network round trip is waited here too, at
 * the start of each statement, and recorded as the time actually waited.
 * Statements outside a request (tracer_in_trace false: seeding, DDL) are
 * neither traced nor delayed. Belongs to the connection's thread; the tracer
 * and string table are borrowed and must outlive it.
 */
#ifndef OBSLAB_SQLTRACE_H
#define OBSLAB_SQLTRACE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

struct tracer;
struct strtab;

#define SQLTRACE_MAX_RTT_US 100000u

struct sqltrace;

/* Never NULL (xalloc.h). The hook is installed only while it has work:
 * tracing on, or a round trip to simulate. */
struct sqltrace *sqltrace_attach(sqlite3 *db, struct tracer *tracer, struct strtab *names);
void sqltrace_detach(struct sqltrace *st); /* removes the hook, frees */

void sqltrace_set_rtt_us(struct sqltrace *st, uint32_t rtt_us);

/* The clock for a VFS's xCurrentTimeInt64 (db.c's VFSs use it): the wall
 * time SQLite asks for, in Julian-day milliseconds, read from clock_now_ns()
 * through an anchor taken once per process (so it never steps with the
 * system clock), and the clock_now_ns() stamp kept for the calling thread.
 * On a connection whose VFS has it, the stamps SQLite takes as a traced
 * statement starts and ends (a PROFILE hook makes it take them) are the
 * span's start and end: two clock reads a statement, not four. Any thread. */
int sqltrace_vfs_time(sqlite3_vfs *vfs, sqlite3_int64 *now);
/* True while the spans take SQLite's stamps (tracing on, and the
 * connection's VFS reads sqltrace_vfs_time); else the hook reads
 * clock_now_ns() itself, as a statement starts and as it ends. */
bool sqltrace_uses_vfs_stamps(const struct sqltrace *st);
uint32_t sqltrace_rtt_us(const struct sqltrace *st);

/* The traced statements' figures since the last call (then zeroed): the sum
 * of their spans' durations and of their simulated waits (each at most its
 * span's duration), from the very stamps their spans carry. A request's
 * statements run one after another on its connection, so these are what
 * analysis_attribution finds in its trace: database time = query_ns -
 * wait_ns, network = wait_ns (obslab serve's Server-Timing). */
void sqltrace_take_totals(struct sqltrace *st, int64_t *query_ns, int64_t *wait_ns);

#endif
