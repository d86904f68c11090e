#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "obslab/db.h"
#include "obslab/request.h"
#include "obslab/ring.h"
#include "obslab/span.h"
#include "obslab/sqltrace.h"
#include "obslab/tracer.h"

bool bench_smoke;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n ? v[n / 2] : 0;
}

size_t bench_size(size_t full, size_t smoke)
{
	return bench_smoke ? smoke : full;
}

void bench_row(const char *what, double value, const char *unit, const char *reference, double ratio,
               const char *target, bool met)
{
	char ratio_text[32] = "";
	if (ratio >= 0)
		snprintf(ratio_text, sizeof ratio_text, "%.2f", ratio);
	printf("| %-44s | %10.2f %-4s | %-34s | %6s | %-18s | %-4s |\n", what, value, unit, reference, ratio_text, target,
	       bench_smoke ? "-" : met ? "met" : "MISS");
	fflush(stdout);
}

void bench_note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("  ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

/* One naive request at users users, as the ring delivered it. */
size_t bench_capture(struct strtab *names, uint32_t users, struct span_record **out)
{
	struct ring *ring = ring_create(1u << 17, sizeof(struct span_record));
	sqlite3 *db;
	struct obslab_error err;
	db_open(":memory:", &db, &err);
	db_seed(db, users, 42, NULL, NULL, &err);
	db_set_index(db, true, &err);
	struct tracer tracer;
	tracer_init(&tracer, ring);
	struct sqltrace *st = sqltrace_attach(db, &tracer, names);
	struct request_ctx *ctx = request_ctx_create_sqlite(db, &tracer, names, NULL);
	struct request_result res = { 0 };
	request_run(ctx, STRATEGY_NAIVE, &res, &err);
	*out = malloc((users + 8) * sizeof **out);
	size_t n = ring_pop(ring, *out, users + 8);
	request_ctx_destroy(ctx);
	sqltrace_detach(st);
	sqlite3_close(db);
	request_result_free(&res);
	ring_destroy(ring);
	return n;
}
