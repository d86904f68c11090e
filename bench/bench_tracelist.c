/*
 * The trace list of 100 000 traces (an OpenTelemetry file of that many
 * requests): a frame of the full-screen list at 200 x 60, beside a frame of
 * the main screen of the same file measured in the same run, and the time
 * one sort of the whole list takes (what < or > costs).
 */
#include <stdio.h>
#include <unistd.h>

#include "bench.h"
#include "obslab/clock.h"
#include "obslab/tracelist.h"
#include "ui/app.h"
#include "ui/layout.h"

int bench_tracelist(void);
int bench_tracelist(void)
{
	const char *file = "/tmp/obslab-bench-tracelist.json";
	size_t traces = bench_size(100000, 2000);
	if (bench_write_otlp_traces(file, traces, 1) != traces)
		return 1;
	enum { FRAMES = 60 };
	double list[FRAMES], main_ns[FRAMES];
	int frames = (int)bench_size(FRAMES, 3);
	if (app_bench_frames_on(file, 200, 60, SCREEN_TRACES, frames, list) != 0 ||
	    app_bench_frames_on(file, 200, 60, SCREEN_MAIN, frames, main_ns) != 0) {
		unlink(file);
		return 1;
	}
	double frame = bench_median(list, (size_t)frames) / 1e6, ref = bench_median(main_ns, (size_t)frames) / 1e6;
	char what[64], reference[64];
	snprintf(what, sizeof what, "5t. frame: trace list, %zu traces, 200x60", traces);
	snprintf(reference, sizeof reference, "main screen, same file: %.3f ms", ref);
	bench_row(what, frame, "ms", reference, ref > 0 ? frame / ref : -1, "<= 2 ms", frame <= 2);
	bench_note("the list redrawn whole each frame (only its visible rows are drawn); median of %d frames", frames);

	/* One sort of the whole list, by duration: the cost of < or >. */
	struct tracelist l;
	tracelist_init(&l);
	struct tracelist_row row = { 0 };
	for (size_t i = 0; i < traces; i++) {
		row.seq = i + 1;
		row.start_ns = (int64_t)i * 1000;
		row.duration_ns = (int64_t)((i * 2654435761u) % 1000003);
		tracelist_add(&l, &row);
	}
	tracelist_set_sort(&l, TRACELIST_DURATION);
	int64_t t0 = clock_now_ns();
	tracelist_refresh(&l, NULL);
	double sort_ms = (double)(clock_now_ns() - t0) / 1e6;
	tracelist_free(&l);
	snprintf(what, sizeof what, "5u. sort: trace list, %zu traces, duration", traces);
	bench_row(what, sort_ms, "ms", "one key press (< or >)", -1, "<= 50 ms", sort_ms <= 50);
	unlink(file);
	return 0;
}
