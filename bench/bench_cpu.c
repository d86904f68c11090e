/*
 * Whole-process CPU: the real program, `obslab run --strategy naive --users
 * 1000 --rtt-us 0 --index on --requests 300`, with --trace on against
 * --trace off. Each run is a child process; its user + system CPU comes
 * from wait4's rusage, so recording, ingest and analysis (and the drain
 * loop, the start and the exit) are all counted. Runs alternate on, off,
 * off, on... on one database seeded beforehand; the figure is the median of
 * the pairs' ratios. OBSLAB_BENCH_BINARY runs another build (an older one,
 * for a before and after in the same run).
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

/* CPU seconds of one child run, or a negative number if it failed. */
static double child_cpu(const char *binary, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int rc = posix_spawn(&pid, binary, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return -1;
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

int bench_cpu(void);
int bench_cpu(void)
{
	const char *binary = getenv("OBSLAB_BENCH_BINARY");
	if (!binary || !*binary)
		binary = OBSLAB_BINARY;
	char db[] = "/tmp/obslab-bench-cpu-XXXXXX";
	int fd = mkstemp(db);
	if (fd < 0)
		return 1;
	close(fd);
	unlink(db);
	char requests[16];
	snprintf(requests, sizeof requests, "%zu", bench_size(300, 3));
	char name[] = "obslab", run[] = "run", strategy_opt[] = "--strategy", naive[] = "naive", users_opt[] = "--users",
	     users[] = "1000", rtt_opt[] = "--rtt-us", zero[] = "0", index_opt[] = "--index", on[] = "on",
	     requests_opt[] = "--requests", db_opt[] = "--db", trace_opt[] = "--trace", off[] = "off";
	char *argv[] = { name, run, strategy_opt, naive, users_opt, users, rtt_opt, zero, index_opt, on,
		         requests_opt, requests, db_opt, db, trace_opt, on, NULL };
	char **trace = &argv[15];
	if (child_cpu(binary, argv) < 0) { /* seeds the database, warms the caches */
		fprintf(stderr, "bench: %s run failed\n", binary);
		unlink(db);
		return 1;
	}
	enum { PAIRS = 15 };
	int pairs = (int)bench_size(PAIRS, 1);
	double with[PAIRS], without[PAIRS], ratio[PAIRS];
	for (int p = 0; p < pairs; p++) {
		for (int k = 0; k < 2; k++) {
			bool traced = (k == 0) == (p % 2 == 0); /* on off, off on, ... */
			*trace = traced ? on : off;
			double cpu = child_cpu(binary, argv);
			if (cpu < 0) {
				fprintf(stderr, "bench: %s run failed\n", binary);
				unlink(db);
				return 1;
			}
			(traced ? with : without)[p] = cpu;
		}
		ratio[p] = with[p] / without[p];
	}
	unlink(db);
	double rat = bench_median(ratio, (size_t)pairs), on_s = bench_median(with, (size_t)pairs),
	       off_s = bench_median(without, (size_t)pairs);
	bench_row("3b. whole-process CPU, run naive 1000 users", (rat - 1) * 100, "%", "the same run with --trace off", rat,
	          "<= 5 % more CPU", rat <= 1.05);
	bench_note("`run --strategy naive --users 1000 --rtt-us 0 --index on --requests %s`, user + system CPU of", requests);
	bench_note("each child (wait4): median %.3f s traced, %.3f s untraced; median of %d interleaved pairs' ratios", on_s,
	           off_s, pairs);
	if (strcmp(binary, OBSLAB_BINARY) != 0)
		bench_note("binary: %s", binary);
	return 0;
}
