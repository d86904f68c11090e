/*
 * source_file — a snapshot file as a source of traces (obslab open): read
 * once at start, whole, into a store; nothing runs, and no control is
 * offered, so the lab's keys say the file is read-only (see source.h).
 * A file of someone else's spans keeps their otel_set (the store's traces
 * point into it) until stop; the status bar names its services and what
 * the reader marked (orphans, clock skew, duplicate ids).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "model.h"
#include "source.h"
#include "obslab/cli.h"
#include "obslab/otel.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

struct file {
	const char *path;
	struct otel_set *otel; /* the foreign spans' details, or NULL */
	char services[160];    /* "services checkout, payments", or "" */
	size_t marked[4];      /* spans marked orphan (not in a cycle), skewed, duplicate, in a cycle */
	size_t nspans;         /* the file's spans: placeholders are not counted */
	size_t ntraces;
};

/* Appends to buf (holding *used bytes) as snprintf would. */
static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
	if (*used + 1 >= cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(buf + *used, cap - *used, fmt, ap);
	va_end(ap);
	*used = k > 0 && (size_t)k < cap - *used ? *used + (size_t)k : cap - 1;
}

/* A resource's service name and where it first appears, sorted by name
 * then place: one sort finds each distinct name's first resource. */
struct named {
	const char *name;
	size_t at;
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* The file's service names in order of first appearance ("services
 * checkout, payments", four at most, then "+N more") and how many spans the
 * reader marked ("1 orphan · 2 skewed"). O(n log n) in the resources: a
 * file of 200 000 services opens at once. */
static void describe_otel(struct file *f, const struct otel_set *set)
{
	enum { NAMED = 4 };
	size_t first[NAMED]; /* the earliest first appearances, in order */
	size_t n = 0, distinct = 0, used = 0, nnamed = 0;
	struct named *all = xcalloc(set->nresources ? set->nresources : 1, sizeof *all);
	for (size_t r = 0; r < set->nresources; r++) {
		const char *name = otel_attrs_string(set, set->resources[r].attrs, "service.name");
		if (name)
			all[nnamed++] = (struct named){ name, r };
	}
	qsort(all, nnamed, sizeof *all, named_cmp);
	for (size_t i = 0; i < nnamed; i++) {
		if (i && strcmp(all[i].name, all[i - 1].name) == 0)
			continue; /* not the name's first resource */
		distinct++;
		size_t at = all[i].at, k = n < NAMED ? n++ : NAMED;
		if (k == NAMED && at > first[NAMED - 1])
			continue;
		if (k == NAMED)
			k--;
		for (; k > 0 && first[k - 1] > at; k--)
			first[k] = first[k - 1];
		first[k] = at;
	}
	free(all);
	f->services[0] = '\0';
	for (size_t k = 0; k < n; k++)
		append(f->services, sizeof f->services, &used, "%s%s", k ? ", " : distinct == 1 ? "service " : "services ",
		       otel_attrs_string(set, set->resources[first[k]].attrs, "service.name"));
	if (distinct > n)
		append(f->services, sizeof f->services, &used, " +%zu more", distinct - n);

	/* A span cut out of a parent cycle is counted there, not as an orphan. */
	for (size_t i = 0; i < set->nspans; i++) {
		uint8_t marks = set->spans[i].marks;
		f->marked[0] += (marks & OTEL_MARK_ORPHAN) && !(marks & OTEL_MARK_CYCLE);
		f->marked[1] += (marks & OTEL_MARK_SKEW) != 0;
		f->marked[2] += (marks & OTEL_MARK_DUPLICATE) != 0;
		f->marked[3] += (marks & OTEL_MARK_CYCLE) != 0;
	}
}

/* " │ ⚠ 1 orphan · 2 skewed", or "" (composed when drawn: the glyphs are
 * known once the terminal is). */
static void marked_text(const struct file *f, char *buf, size_t cap)
{
	static const char *const one[] = { "orphan", "skewed", "duplicate id", "in a parent cycle" };
	static const char *const many[] = { "orphans", "skewed", "duplicate ids", "in a parent cycle" };
	const struct glyphs *g = draw_glyphs();
	size_t used = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < 4; k++)
		if (f->marked[k] && used)
			append(buf, cap, &used, " %s %zu %s", g->dot, f->marked[k], f->marked[k] == 1 ? one[k] : many[k]);
		else if (f->marked[k])
			append(buf, cap, &used, " %s %s %zu %s", g->sep, g->warn, f->marked[k],
			       f->marked[k] == 1 ? one[k] : many[k]);
}

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
	f->otel = snap->otel; /* the store's traces point into it: kept until stop */
	snap->otel = NULL;
	if (f->otel)
		describe_otel(f, f->otel);
	/* Show first the trace that was on screen when the file was written;
	 * a file without one opens on its heaviest trace (the longest root). */
	size_t n = store_trace_count(src->store);
	const struct trace *heaviest = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct trace *t = store_trace(src->store, i);
		if (snap->meta.has_shown && memcmp(t->trace_id, snap->meta.shown_trace_id, SPAN_TRACE_ID_LEN) == 0)
			out->show_seq = t->seq;
		for (size_t k = 0; k < t->nspans; k++)
			f->nspans += !(t->spans[k].flags & SPAN_F_PLACEHOLDER);
		if (t->nspans && (!heaviest || t->spans[0].end_ns - t->spans[0].start_ns >
		                                       heaviest->spans[0].end_ns - heaviest->spans[0].start_ns))
			heaviest = t;
	}
	bool shown = snap->meta.has_shown && out->show_seq;
	snapshot_free(snap);
	free(snap);
	f->ntraces = n;
	if (!shown && heaviest && n > 1) {
		out->show_seq = heaviest->seq;
		char took[16];
		draw_duration(took, sizeof took, heaviest->spans[0].end_ns - heaviest->spans[0].start_ns);
		snprintf(out->note, sizeof out->note,
		         "opened %s: %zu traces, read-only; showing the heaviest, trace %llu (%s; [ and ] step)", cli->file,
		         n, (unsigned long long)heaviest->seq, took);
	} else
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
	if (src->state)
		otel_set_destroy(((struct file *)src->state)->otel);
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
	draw_count(spans, sizeof spans, f->nspans);
	size_t ntraces = store_trace_count(src->store), nspans = f->nspans;
	/* Someone else's file: its services, and what was marked on reading it. */
	char services[sizeof f->services + 8] = "", marked[200];
	if (f->services[0])
		snprintf(services, sizeof services, " %s %s", g->sep, f->services);
	marked_text(f, marked, sizeof marked);
	snprintf(buf, cap, " obslab %s %s %s%s%s %s %s trace%s %s %s span%s %s read-only %s trace %llu of %s", g->sep,
	         f->otel ? "file" : "snapshot", f->path, services, marked, g->sep, traces, ntraces == 1 ? "" : "s", g->dot,
	         spans, nspans == 1 ? "" : "s", g->sep, g->sep, (unsigned long long)m->shown_seq, traces);
}

static void refusal(const struct source *src, char *buf, size_t cap)
{
	const struct file *f = src->state;
	snprintf(buf, cap, "this is a %s (%s), read-only: the lab's keys work in a live obslab",
	         f->otel ? "file" : "snapshot", f->path);
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
