#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
