/*
 * source_file — a snapshot file as a source of traces (obslab open): read
 * once at start, whole, into a store; nothing runs, and no control is
 * offered, so the lab's keys say the file is read-only (see source.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "source.h"
#include "obslab/cli.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

struct file {
	const char *path;
};

static int start(struct source *src, const struct cli *cli, const struct workload_config *settings,
                 struct source_start *out)
{
	(void)settings;
	struct file *f = xcalloc(1, sizeof *f);
	f->path = cli->file;
	src->state = f;
	struct snapshot *snap = xcalloc(1, sizeof *snap); /* large: not on the stack */
	struct obslab_error why;
	if (!snapshot_read(cli->file, snap, &why)) {
		textsafe_fprintf(stderr, "obslab: %s\n", why.msg);
		free(snap);
		return CLI_EXIT_FAILURE;
	}
	if (snap->meta.has_settings)
		out->settings = snap->meta.settings;
	src->anchor = snap->meta.anchor; /* the file's span times are already Unix times */
	src->names = snap->names;         /* the source owns them from here */
	src->store = snapshot_take_store(snap); /* the records, not a copy */
	snap->names = NULL;
	/* Show first the trace that was on screen when the file was written. */
	for (size_t i = 0; snap->meta.has_shown && i < store_trace_count(src->store); i++) {
		const struct trace *t = store_trace(src->store, i);
		if (memcmp(t->trace_id, snap->meta.shown_trace_id, SPAN_TRACE_ID_LEN) == 0)
			out->show_seq = t->seq;
	}
	snapshot_free(snap);
	free(snap);
	size_t n = store_trace_count(src->store);
	snprintf(out->note, sizeof out->note, "opened %s: %zu trace%s, read-only", cli->file, n, n == 1 ? "" : "s");
	return CLI_EXIT_OK;
}

static void drain(struct source *src, const struct source_sink *sink)
{
	(void)src; /* everything was read at start */
	(void)sink;
}

static void stop(struct source *src)
{
	store_destroy(src->store);
	strtab_destroy(src->names);
	free(src->state);
	src->state = NULL;
	src->store = NULL;
	src->names = NULL;
}

static void status(const struct source *src, const struct model *m, char *buf, size_t cap)
{
	const struct file *f = src->state;
	const struct glyphs *g = draw_glyphs();
	char traces[32], spans[32];
	draw_count(traces, sizeof traces, store_trace_count(src->store));
	draw_count(spans, sizeof spans, store_spans_held(src->store));
	size_t ntraces = store_trace_count(src->store), nspans = store_spans_held(src->store);
	snprintf(buf, cap, " obslab %s snapshot %s %s %s trace%s %s %s span%s %s read-only %s trace %llu of %s", g->sep,
	         f->path, g->sep, traces, ntraces == 1 ? "" : "s", g->dot, spans, nspans == 1 ? "" : "s", g->sep, g->sep,
	         (unsigned long long)m->shown_seq, traces);
}

static void refusal(const struct source *src, char *buf, size_t cap)
{
	const struct file *f = src->state;
	snprintf(buf, cap, "this is a snapshot (%s), read-only: the lab's keys work in a live obslab", f->path);
}

const struct source_ops source_file_ops = {
	.name = "file",
	.controls = 0,
	.reads_only = true,
	.start = start,
	.drain = drain,
	.stop = stop,
	.status = status,
	.refusal = refusal,
};
