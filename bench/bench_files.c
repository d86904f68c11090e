/*
 * Export and open: 100 000 spans (one naive request at 100 000 users)
 * written as native and OTLP JSON and read back; each timed, and each one's
 * peak memory measured in a child process (VmHWM after a reset) against the
 * file's size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "obslab/clock.h"
#include "obslab/snapshot.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

static double status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double kib = 0;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kib = strtod(line + n + 1, NULL);
	if (f)
		fclose(f);
	return kib;
}

enum op { WRITE_NATIVE, WRITE_OTLP, READ_NATIVE, READ_OTLP };

struct subject {
	struct store *store;
	struct strtab *names;
	struct snapshot_meta meta;
	const char *path[2];
};

static bool perform(struct subject *s, enum op op)
{
	struct obslab_error err;
	const struct findings_config cfg = { 5, 0 };
	if (op == WRITE_NATIVE || op == WRITE_OTLP)
		return snapshot_write(s->path[op], op == WRITE_NATIVE ? SNAPSHOT_NATIVE : SNAPSHOT_OTLP, s->store, s->names,
		                      &s->meta, &cfg, &err);
	struct snapshot snap;
	if (!snapshot_read(s->path[op - READ_NATIVE], &snap, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return false;
	}
	struct store *store = snapshot_take_store(&snap);
	store_destroy(store);
	snapshot_free(&snap);
	return true;
}

/* The op in a child: its wall time and the memory it added at its peak. */
static bool measure(struct subject *s, enum op op, double *ms, double *peak_mib)
{
	int pipefd[2];
	if (pipe(pipefd) != 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		FILE *f = fopen("/proc/self/clear_refs", "w");
		if (f) {
			fputs("5", f); /* reset VmHWM to the current RSS */
			fclose(f);
		}
		double before = status_kib("VmRSS");
		int64_t t0 = clock_now_ns();
		bool ok = perform(s, op);
		double result[2] = { (double)(clock_now_ns() - t0) / 1e6, (status_kib("VmHWM") - before) / 1024 };
		if (!ok)
			result[0] = -1;
		ssize_t w = write(pipefd[1], result, sizeof result);
		_exit(w == (ssize_t)sizeof result ? 0 : 1);
	}
	close(pipefd[1]);
	double result[2] = { -1, 0 };
	ssize_t r = read(pipefd[0], result, sizeof result);
	close(pipefd[0]);
	waitpid(pid, NULL, 0);
	*ms = result[0];
	*peak_mib = result[1];
	return r == (ssize_t)sizeof result && result[0] >= 0;
}

static double file_mib(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (double)st.st_size / (1 << 20) : 0;
}

int bench_files(void);
int bench_files(void)
{
	uint32_t users = (uint32_t)bench_size(100000, 300);
	struct subject s = { .names = strtab_create(), .path = { "/tmp/obslab-bench.json", "/tmp/obslab-bench.otlp.json" } };
	s.meta.anchor = clock_anchor();
	struct span_record *records;
	size_t n = bench_capture(s.names, users, &records);
	s.store = store_create((struct store_limits){ 4, SIZE_MAX, 0 });
	store_ingest(s.store, records, n);
	free(records);
	size_t spans = store_spans_held(s.store);

	static const char *const names[] = { "7a. export native JSON", "7b. export OTLP/JSON", "7c. open native JSON",
		                             "7d. open OTLP/JSON" };
	for (int op = WRITE_NATIVE; op <= READ_OTLP; op++) {
		double times[3], peaks[3];
		for (int r = 0; r < 3; r++)
			if (!measure(&s, (enum op)op, &times[r], &peaks[r]))
				return 1;
		double t = bench_median(times, 3) / 1000, peak = bench_median(peaks, 3);
		double size = file_mib(s.path[op % 2]);
		char ref[64], what[64];
		snprintf(ref, sizeof ref, "target 0.3 s; peak +%.0f MiB, file %.0f MiB", peak, size);
		snprintf(what, sizeof what, "%s, %zuk spans", names[op], spans / 1000);
		bench_row(what, t, "s", ref, t / 0.3, "<= 0.3 s, peak ~file", t <= 0.3 && peak <= 4 * size + 16);
	}
	bench_note("peak: the memory an operation added at its highest (VmHWM), beside the file's size");
	unlink(s.path[0]);
	unlink(s.path[1]);
	store_destroy(s.store);
	strtab_destroy(s.names);
	return 0;
}
