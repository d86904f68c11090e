/*
 * obslab-bench — every benchmark, one table. Figures are medians of rounds,
 * each beside a reference measured in the same run. --smoke runs tiny sizes
 * (the test command does, to keep this program building and running).
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

int bench_span_cost(void);
int bench_ring_throughput(void);
int bench_overhead(void);
int bench_cpu(void);
int bench_ingest(void);
int bench_render(void);
int bench_memory(void);
int bench_files(void);
int bench_scale(void);
int bench_diff(void);
int bench_tracelist(void);
int bench_search(void);
int bench_intake(void);

int main(int argc, char **argv)
{
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--smoke") == 0)
			bench_smoke = true;
		else
			only = argv[i];
	}
	static const struct {
		const char *name;
		int (*run)(void);
	} benches[] = {
		{ "span", bench_span_cost }, { "ring", bench_ring_throughput }, { "overhead", bench_overhead },
		{ "cpu", bench_cpu },        { "ingest", bench_ingest },         { "render", bench_render },
		{ "memory", bench_memory },  { "files", bench_files },           { "scale", bench_scale },
		{ "diff", bench_diff },
		{ "tracelist", bench_tracelist },
		{ "search", bench_search },
		{ "intake", bench_intake },
	};
	printf("| %-44s | %15s | %-34s | %6s | %-18s | %-4s |\n", "benchmark", "figure", "reference (same run)", "ratio",
	       "target", "");
	printf("|%s|%s|%s|%s|%s|%s|\n", "----------------------------------------------", "-----------------",
	       "------------------------------------", "--------", "--------------------", "------");
	int failed = 0;
	for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
		if (!only || strcmp(only, benches[i].name) == 0)
			failed |= benches[i].run();
	return failed;
}
