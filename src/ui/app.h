/*
 * app — the trace explorer's entry points, for main.c and bench/. The
 * explorer itself is a shell (shell.h: curses, layout, focus, input) around
 * a model (model.h: what is shown) fed by a source (source.h: where traces
 * come from), drawn by panes (pane.h); docs/ui.md describes the shape.
 */
#ifndef OBSLAB_UI_APP_H
#define OBSLAB_UI_APP_H

struct cli;

/* Runs the explorer until q or a signal; returns the exit status. */
int app_main(const struct cli *cli);

/* For bench/: draws frames of a snapshot's latest trace at cols x lines
 * into a real curses screen that writes to /dev/null, every pane redrawn
 * each frame (the worst case); each frame's time goes to frame_ns[i].
 * Returns 0, or an exit status. */
int app_bench_frames(const char *snapshot, int cols, int lines, int frames, double *frame_ns);
/* The same on another screen (enum screen_mode: SCREEN_TRACES, the trace list). */
int app_bench_frames_on(const char *snapshot, int cols, int lines, int mode, int frames, double *frame_ns);

#endif
