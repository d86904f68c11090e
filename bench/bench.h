/*
 * bench — what the benchmarks share: a clock, statistics over rounds, and
 * the table every benchmark prints its rows into.
 *
 * A row is: what was measured, the figure, the reference measured in the
 * same run, their ratio, and the target. Machines here are shared and
 * noisy, so figures are medians of rounds and targets are judged on ratios.
 * BENCH_SMOKE (set by --smoke) shrinks every size: the tests run that mode
 * to keep the benchmarks building and running, and check no figure.
 */
#ifndef OBSLAB_BENCH_H
#define OBSLAB_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

extern bool bench_smoke;

double bench_median(double *v, size_t n);
/* Scales a size down in smoke mode. */
size_t bench_size(size_t full, size_t smoke);

/* One row of the table. unit: "ns", "M/s", "%", "ms", "MiB"... ratio < 0:
 * no ratio. */
void bench_row(const char *what, double value, const char *unit, const char *reference, double ratio,
               const char *target, bool met);
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct span_record;
struct strtab;
/* One naive request at users users (index on, RTT 0), its span records as
 * the ring delivered them, root last, into a malloc'd *out (the caller
 * frees it). Returns how many. */
size_t bench_capture(struct strtab *names, uint32_t users, struct span_record **out);

/* Big files for the scale rows (bench_gen.c); each returns the spans it
 * wrote, 0 on failure. A native snapshot: one trace, a chain of depth
 * nested spans and leaves database spans under the deepest. An OTLP/JSON
 * file of at least bytes: requests of one server span and calls
 * PostgreSQL spans each. */
size_t bench_write_chain(const char *path, int depth, size_t leaves);
size_t bench_write_otlp(const char *path, size_t bytes, int calls);
size_t bench_write_otlp_traces(const char *path, size_t traces, int calls);

#endif
