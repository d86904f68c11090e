/*
 * sqltrace — automatic instrumentation of one SQLite connection, the way
 * instrument_sqlalchemy(engine) instruments an engine: a sqlite3_trace_v2
 * hook turns every statement run inside a request into a client span, with
 * no code at call sites.
 *
 * A span's name is the statement's fingerprint (sqlite3_sql through sqlfp;
 * never the expanded SQL, so no bound value is ever recorded), its times
 * come from clock_now_ns(), and it carries the rows returned and the
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
uint32_t sqltrace_rtt_us(const struct sqltrace *st);

#endif
