/*
 * Scale: a 1 GiB OTLP/JSON file (N+1 requests of PostgreSQL spans, as an
 * OpenTelemetry SDK exports them) opened, reported and converted, and the
 * 1.4 M-leaf chain 255 spans deep reported; each by the real binary in a
 * child (the explorer in a pseudo-terminal, for its first frame), its wall time and peak resident memory (wait4), the latter per
 * span. The reference, measured in the same run: reading the same file's
 * bytes whole (read(2) into memory), which no reader can beat.
 */
#include <fcntl.h>
#include <pty.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "obslab/clock.h"

struct outcome {
	double s;       /* wall time */
	double peak_mb; /* peak resident memory, MB (10^6 bytes) */
	int status;     /* exit status; -1: did not run */
};

/* The binary run with args (NULL-terminated, at most 8), stdout and
 * stderr to /dev/null. */
static struct outcome spawn_on(const char *const args[], bool terminal)
{
	struct outcome o = { 0, 0, -1 };
	char *argv[10] = { strdup(OBSLAB_BINARY) };
	for (int i = 0; i < 8 && args[i]; i++)
		argv[i + 1] = strdup(args[i]);
	int64_t t0 = clock_now_ns();
	int master = -1;
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	pid_t pid = terminal ? forkpty(&master, NULL, NULL, &ws) : fork();
	if (pid == 0) {
		if (terminal) {
			setenv("TERM", "xterm-256color", 1);
			setenv("LC_ALL", "C.UTF-8", 1);
		} else {
			int null = open("/dev/null", O_WRONLY);
			dup2(null, 1);
			dup2(null, 2);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	if (pid < 0)
		return o;
	char buf[4096]; /* the explorer's screen, read and thrown away */
	while (master >= 0 && read(master, buf, sizeof buf) > 0)
		;
	if (master >= 0)
		close(master);
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) != pid)
		return o;
	o.s = (double)(clock_now_ns() - t0) / 1e9;
	o.peak_mb = (double)ru.ru_maxrss * 1024 / 1e6;
	o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return o;
}

static struct outcome spawn(const char *const args[])
{
	return spawn_on(args, false);
}

/* The reference: the file's bytes read whole into memory, in seconds. */
static double read_whole_s(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return -1;
	int64_t t0 = clock_now_ns();
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	ssize_t n;
	while (buf && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	double s = (double)(clock_now_ns() - t0) / 1e9;
	free(buf);
	close(fd);
	return s;
}

static double file_mb(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
}

/* A row for one command on a file of spans spans: seconds, MB/s, bytes
 * of peak memory per span. */
static void row(const char *what, struct outcome o, const char *path, size_t spans, double ref_s, double target_s)
{
	double mb = file_mb(path);
	char ref[64], label[80];
	snprintf(ref, sizeof ref, "read(2) alone %.2f s; %.0f MB/s", ref_s, mb / o.s);
	snprintf(label, sizeof label, "%s", what);
	char target[32];
	snprintf(target, sizeof target, "<= %.0f s", target_s);
	bench_row(label, o.s, "s", ref, o.s / ref_s, target, o.status == 0 && o.s <= target_s);
	bench_note("%s: exit %d, peak %.0f MB, %.0f bytes a span (%zu spans, file %.0f MB, %.0f bytes a span)", what,
	           o.status, o.peak_mb, o.peak_mb * 1e6 / (double)spans, spans, mb, mb * 1e6 / (double)spans);
}

static bool has_command(const char *name)
{
	const char *const args[] = { "help", name, NULL };
	return spawn(args).status == 0;
}

int bench_scale(void);
int bench_scale(void)
{
	const char *otlp = "/tmp/obslab-bench-1gib.otlp.json", *chain = "/tmp/obslab-bench-chain.json",
	           *converted = "/tmp/obslab-bench-1gib.native.json";
	size_t spans = bench_write_otlp(otlp, bench_size((size_t)1 << 30, 2 << 20), 100);
	if (!spans)
		return 1;
	double ref = read_whole_s(otlp);

	/* open: the explorer in a pseudo-terminal, until its first frame is drawn */
	const char *const open_file[] = { "open", otlp, "--frames", "1", NULL };
	struct outcome o = spawn_on(open_file, true);
	row("9a. open 1 GiB OTLP/JSON, first frame", o, otlp, spans, ref, 30);
	const char *const report[] = { "report", otlp, NULL };
	o = spawn(report);
	row("9b. report 1 GiB OTLP/JSON", o, otlp, spans, ref, 30);
	if (has_command("convert")) {
		const char *const convert[] = { "convert", otlp, "-o", converted, "--format", "native", NULL };
		o = spawn(convert);
		row("9c. convert 1 GiB OTLP/JSON to native", o, otlp, spans, ref, 30);
		unlink(converted);
	} else {
		printf("| %-44s | %15s | %-34s | %6s | %-18s | %-4s |\n", "9c. convert 1 GiB OTLP/JSON to native",
		       "not built", "obslab has no convert command", "", "<= 30 s", "");
	}
	unlink(otlp);

	size_t leaves = bench_size(1400000, 2000);
	spans = bench_write_chain(chain, 255, leaves);
	if (!spans)
		return 1;
	ref = read_whole_s(chain);
	const char *const chain_report[] = { "report", chain, NULL };
	o = spawn(chain_report);
	row("9d. report a 1.4 M-leaf chain, 255 deep", o, chain, spans, ref, 3);
	bench_note("9: each the real binary in a child: wall time, peak resident memory (wait4's ru_maxrss)");
	unlink(chain);
	return 0;
}
