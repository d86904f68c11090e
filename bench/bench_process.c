/*
 * What only the real program can show: a frame of a 10 000-span trace
 * drawn into a real curses screen (200 x 60), the CPU the explorer uses
 * while paused, and its resident memory through a long run at full pace.
 * The binary runs in a pseudo-terminal (forkpty); a thread reads its output.
 */
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "obslab/clock.h"
#include "ui/app.h"

static void nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static int run(const char *cmd)
{
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 1;
}

int bench_render(void);
int bench_render(void)
{
	const char *file = "/tmp/obslab-bench-render.json";
	char cmd[512];
	snprintf(cmd, sizeof cmd, "%s export --format native -o %s --db :memory: --users %zu --requests 1 --index on "
	         "--rtt-us 0 >/dev/null", OBSLAB_BINARY, file, bench_size(10000, 200));
	if (run(cmd) != 0)
		return 1;
	enum { FRAMES = 60 };
	double ns[FRAMES];
	int frames = (int)bench_size(FRAMES, 3);
	if (app_bench_frames(file, 200, 60, frames, ns) != 0)
		return 1;
	double frame = bench_median(ns, (size_t)frames) / 1e6;
	bench_row("5a. frame: 10 000-span naive trace, 200x60", frame, "ms", "target 2 ms", frame / 2, "<= 2 ms",
	          frame <= 2);
	bench_note("every pane redrawn each frame (the worst case); median of %d frames", frames);
	unlink(file);
	return 0;
}

/* The explorer in a pseudo-terminal, its output read and thrown away. */
struct child {
	pid_t pid;
	int master;
	pthread_t reader;
	_Atomic bool done;
};

static void *read_output(void *arg)
{
	struct child *c = arg;
	char buf[65536];
	while (!atomic_load(&c->done) && read(c->master, buf, sizeof buf) > 0)
		;
	return NULL;
}

static bool spawn(struct child *c, char *const argv[])
{
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	c->pid = forkpty(&c->master, NULL, NULL, &ws);
	if (c->pid < 0)
		return false;
	if (c->pid == 0) {
		setenv("TERM", "xterm-256color", 1);
		setenv("LC_ALL", "C.UTF-8", 1);
		execv(OBSLAB_BINARY, argv);
		_exit(127);
	}
	atomic_init(&c->done, false);
	pthread_create(&c->reader, NULL, read_output, c);
	return true;
}

static void press(struct child *c, const char *keys)
{
	for (const char *k = keys; *k; k++) {
		if (write(c->master, k, 1) != 1)
			return;
		nap_ms(200);
	}
}

static void finish(struct child *c)
{
	press(c, "q");
	for (int i = 0; i < 50 && waitpid(c->pid, NULL, WNOHANG) == 0; i++)
		nap_ms(100);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	atomic_store(&c->done, true);
	close(c->master);
	pthread_join(c->reader, NULL);
}

/* CPU seconds the process has used. */
static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof buf, f)) {
		if (f)
			fclose(f);
		return 0;
	}
	fclose(f);
	const char *p = strrchr(buf, ')');
	unsigned long utime = 0, stime = 0;
	/* fields after the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
	sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static double rss_mib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	double kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %lf kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib / 1024;
}

int bench_memory(void);
int bench_memory(void)
{
	/* paused: next to nothing */
	char db[] = "/tmp/obslab-bench-db-XXXXXX";
	int fd = mkstemp(db);
	close(fd);
	unlink(db);
	struct child c;
	char name[] = "obslab", db_opt[] = "--db", users_opt[] = "--users", users[] = "10000", index_opt[] = "--index",
	     on[] = "on", rtt_opt[] = "--rtt-us", zero[] = "0";
	char *live[] = { name, db_opt, db, NULL };
	if (!spawn(&c, live))
		return 1;
	nap_ms(2000);
	long window_ms = (long)bench_size(10000, 1000);
	double live0 = cpu_seconds(c.pid);
	nap_ms(window_ms);
	double live1 = cpu_seconds(c.pid);
	press(&c, " ");
	nap_ms(1000);
	double paused0 = cpu_seconds(c.pid);
	nap_ms(window_ms);
	double paused1 = cpu_seconds(c.pid);
	finish(&c);
	double paused = 100 * (paused1 - paused0) / ((double)window_ms / 1000);
	double active = 100 * (live1 - live0) / ((double)window_ms / 1000);
	char ref[64];
	snprintf(ref, sizeof ref, "live at 5 req/s: %.2f %% of a core", active);
	bench_row("5b. CPU while paused", paused, "%", ref, -1, "<= 0.5 % of a core", paused <= 0.5);
	bench_note("CPU time from /proc over %.0f s; the kernel counts it in %ld ms ticks", (double)window_ms / 1000,
	           1000 / sysconf(_SC_CLK_TCK));

	/* memory: 10 000 users at full pace for a while */
	char *full[] = { name, db_opt, db, users_opt, users, index_opt, on, rtt_opt, zero, NULL };
	if (!spawn(&c, full))
		return 1;
	nap_ms(3000);
	press(&c, "ff"); /* 5/s, then 50/s, then as fast as possible */
	enum { SAMPLES = 6 };
	double rss[SAMPLES];
	long every = (long)bench_size(15000, 500);
	for (int i = 0; i < SAMPLES; i++) {
		nap_ms(every);
		rss[i] = rss_mib(c.pid);
	}
	finish(&c);
	unlink(db);
	double last = rss[SAMPLES - 1], after_minute = rss[3], grew = last - after_minute;
	char series[160];
	snprintf(series, sizeof series, "%.1f %.1f %.1f %.1f %.1f %.1f", rss[0], rss[1], rss[2], rss[3], rss[4], rss[5]);
	bench_row("6. resident memory, 10000 users, full pace", last, "MiB", "target 64 MiB", last / 64,
	          "<= 64 MiB, flat", last <= 64 && grew <= 2);
	bench_note("RSS every %ld s (MiB): %s; after the first minute it moved %+.1f MiB", every / 1000, series, grew);
	return 0;
}
