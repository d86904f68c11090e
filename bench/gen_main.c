/*
 * obslab-gen — writes the scale benchmarks' big files for a look by hand
 * (profiling, the explorer):
 *   obslab-gen chain PATH [DEPTH [LEAVES]]   default 255 and 1 400 000
 *   obslab-gen otlp PATH [MIB [CALLS]]       default 1024 MiB, 100 calls
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

bool bench_smoke;

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "chain") == 0) {
		int depth = argc > 3 ? atoi(argv[3]) : 255;
		size_t leaves = argc > 4 ? strtoul(argv[4], NULL, 10) : 1400000;
		size_t n = bench_write_chain(argv[2], depth, leaves);
		printf("%s: %zu spans\n", argv[2], n);
		return n ? 0 : 1;
	}
	if (argc >= 3 && strcmp(argv[1], "otlp") == 0) {
		size_t mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 1024;
		int calls = argc > 4 ? atoi(argv[4]) : 100;
		size_t n = bench_write_otlp(argv[2], mib << 20, calls);
		printf("%s: %zu spans\n", argv[2], n);
		return n ? 0 : 1;
	}
	fprintf(stderr, "usage: obslab-gen chain PATH [DEPTH [LEAVES]] | otlp PATH [MIB [CALLS]]\n");
	return 2;
}
