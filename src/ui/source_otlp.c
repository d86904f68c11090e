/*
 * source_otlp — `obslab --otlp ADDR`: an OTLP/HTTP receiver (receiver.h) as
 * the explorer's source, and with --lab the live lab (source_lab.c) beside
 * it, both into one store. Each tick the UI thread takes the batches the
 * receiver decoded, copies them into live traces (intake.h) and publishes
 * the traces that changed: a received trace shows at once, marked open,
 * and closes after INTAKE_DEFAULT_QUIET_NS without a new span.
 *
 * Receiver only, no control is offered (the lab's keys say so); with the
 * lab, the lab's controls, and pausing holds the lab alone (received
 * traces still arrive). The receiver binds before the lab's database is
 * made; the stop quiesces it (503 from then on), then frees what it still
 * queued.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "keys.h"
#include "model.h"
#include "source.h"
#include "obslab/cli.h"
#include "obslab/intake.h"
#include "obslab/otlp.h"
#include "obslab/receiver.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

#define TAKE_BATCH 64

extern const struct source_ops source_lab_ops;

struct received {
	struct source lab; /* --lab: the lab source, as source_lab.c runs it (lab.ops NULL without) */
	struct receiver *rx;
	struct intake *intake;
	char authority[SERVER_HOST_MAX + 16];
	bool announced;
	uint64_t noted_dropped, noted_duplicates; /* the intake's counts the log last told */
};

static struct received *received_of(const struct source *src)
{
	return src->state;
}

static int start(struct source *src, const struct cli *cli, const struct workload_config *settings,
                 struct source_start *out)
{
	struct received *rv = xcalloc(1, sizeof *rv);
	src->state = rv;
	src->inner = NULL; /* the lab's, with --lab */
	struct receiver_config rc = { 0 };
	receiver_config_default(&rc);
	snprintf(rc.host, sizeof rc.host, "%s", cli->listen_host);
	rc.port = cli->listen_port;
	rc.timeout_s = cli->timeout_s;
	rc.forward = src->forward; /* --forward: each accepted batch goes on as it came */
	struct obslab_error err;
	rv->rx = receiver_start(&rc, &err); /* bound first: a port in use leaves no database behind */
	if (!rv->rx) {
		textsafe_fprintf(stderr, "obslab: %s\n", err.msg);
		return CLI_EXIT_FAILURE;
	}
	receiver_authority(rv->rx, rv->authority, sizeof rv->authority);
	if (cli->with_lab) {
		rv->lab.ops = &source_lab_ops;
		src->inner = &rv->lab;
		int status = source_lab_ops.start(&rv->lab, cli, settings, out);
		if (status != CLI_EXIT_OK)
			return status;
		src->store = rv->lab.store;
		src->names = rv->lab.names;
		src->anchor = rv->lab.anchor;
	} else {
		src->store = store_create((struct store_limits){ STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS, STORE_DEFAULT_MAX_BYTES });
		src->names = strtab_create();
		src->anchor = clock_anchor();
	}
	rv->intake = intake_create(src->store, src->names, cli->quiet_ns ? cli->quiet_ns : INTAKE_DEFAULT_QUIET_NS);
	return CLI_EXIT_OK;
}

static void drain(struct source *src, const struct source_sink *sink)
{
	struct received *rv = received_of(src);
	if (!rv->announced) { /* after the lab's own start line, if any */
		char text[LOGBOOK_TEXT];
		/* a bound address's authority ("[v6]:port") is 47 bytes at most: both fit the line */
		snprintf(text, sizeof text,
		         "receiving OTLP on http://%.50s/v1/traces: point OTEL_EXPORTER_OTLP_ENDPOINT at http://%.50s",
		         rv->authority, rv->authority);
		sink->note(sink->ctx, LOG_INFO, text);
		const char *a = rv->authority;
		if (strncmp(a, "0.0.0.0:", 8) == 0 || strncmp(a, "[::]:", 5) == 0) {
			snprintf(text, sizeof text,
			         "listening on all interfaces (%.*s): anyone who can reach this machine can send spans",
			         (int)(strrchr(a, ':') - a), a);
			sink->note(sink->ctx, LOG_WARN, text);
		}
		rv->announced = true;
	}
	if (rv->lab.ops)
		source_lab_ops.drain(&rv->lab, sink);
	struct otlp_batch *batches[TAKE_BATCH];
	int64_t now = clock_now_ns();
	size_t n;
	bool took = false;
	while ((n = receiver_take(rv->rx, batches, TAKE_BATCH)) > 0)
		for (size_t i = 0; i < n; i++) {
			intake_add(rv->intake, batches[i], now);
			otlp_batch_unref(batches[i]);
			took = true;
		}
	intake_tick(rv->intake, now);
	if (!took)
		intake_idle(rv->intake, now); /* memory back to the system once a burst is over */
	struct intake_stats st;
	intake_get_stats(rv->intake, &st);
	char text[LOGBOOK_TEXT];
	if (st.dropped_spans != rv->noted_dropped) {
		snprintf(text, sizeof text, "%llu span%s dropped in all: trace over its size limit",
		         (unsigned long long)st.dropped_spans, st.dropped_spans == 1 ? "" : "s");
		sink->note(sink->ctx, LOG_WARN, text);
		rv->noted_dropped = st.dropped_spans;
	}
	if (st.duplicate_spans != rv->noted_duplicates) {
		snprintf(text, sizeof text, "%llu duplicate span%s dropped in all (sent again)",
		         (unsigned long long)st.duplicate_spans, st.duplicate_spans == 1 ? "" : "s");
		sink->note(sink->ctx, LOG_INFO, text);
		rv->noted_duplicates = st.duplicate_spans;
	}
}

static void stop(struct source *src)
{
	struct received *rv = received_of(src);
	if (rv) {
		if (rv->rx)
			receiver_stop(rv->rx); /* 503 meanwhile; what it queued is freed */
		intake_destroy(rv->intake);
		if (rv->lab.ops) {
			source_lab_ops.stop(&rv->lab);
		} else {
			store_destroy(src->store);
			strtab_destroy(src->names);
		}
	}
	free(rv);
	src->state = NULL;
	src->inner = NULL;
	src->store = NULL;
	src->names = NULL;
}

/* "receiving on http://127.0.0.1:4318 · 12 traces (2 open) · 1,024 spans":
 * the spans last, so that the status bar's narrowing (pane_status.c),
 * which drops a segment with "spans " first, keeps this one. */
static void segment(const struct received *rv, char *buf, size_t cap)
{
	const struct glyphs *g = draw_glyphs();
	struct intake_stats st;
	intake_get_stats(rv->intake, &st);
	char spans[32], traces[32], open[32];
	draw_count(spans, sizeof spans, st.spans);
	draw_count(traces, sizeof traces, st.traces);
	draw_count(open, sizeof open, st.open);
	int k = snprintf(buf, cap, "receiving on http://%.120s %s %s trace%s (%s open)", rv->authority, g->dot, traces,
	                 st.traces == 1 ? "" : "s", open);
	struct receiver_stats rs;
	receiver_get_stats(rv->rx, &rs);
	if (k > 0 && (size_t)k < cap && rs.busy) {
		char busy[32];
		draw_count(busy, sizeof busy, rs.busy);
		k += snprintf(buf + k, cap - (size_t)k, " %s %s refused busy (429/503)", g->dot, busy);
	}
	if (k > 0 && (size_t)k < cap && st.dropped_spans) {
		char n[32];
		draw_count(n, sizeof n, st.dropped_spans);
		k += snprintf(buf + k, cap - (size_t)k, " %s %s dropped: trace over its size limit", g->dot, n);
	}
	if (k > 0 && (size_t)k < cap && st.duplicate_spans) {
		char n[32];
		draw_count(n, sizeof n, st.duplicate_spans);
		k += snprintf(buf + k, cap - (size_t)k, " %s %s duplicate%s dropped (sent again)", g->dot, n,
		              st.duplicate_spans == 1 ? "" : "s");
	}
	if (k > 0 && (size_t)k < cap)
		snprintf(buf + k, cap - (size_t)k, " %s %s span%s", g->dot, spans, st.spans == 1 ? "" : "s");
}

static void status(const struct source *src, const struct model *m, char *buf, size_t cap)
{
	const struct received *rv = received_of(src);
	const struct glyphs *g = draw_glyphs();
	char seg[256];
	segment(rv, seg, sizeof seg);
	if (!rv->lab.ops) {
		if (m->follow)
			snprintf(buf, cap, " obslab %s %s %s %s live", g->sep, seg, g->sep, g->live);
		else
			snprintf(buf, cap, " obslab %s %s %s history %s trace %llu (L for live)", g->sep, seg, g->sep, g->dot,
			         (unsigned long long)m->shown_seq);
		return;
	}
	/* The lab's line with the receiver's segment after the program's name. */
	char lab[512];
	source_lab_ops.status(&rv->lab, m, lab, sizeof lab);
	source_inner_splice(lab, seg, buf, cap);
}

static void refusal(const struct source *src, char *buf, size_t cap)
{
	(void)src;
	snprintf(buf, cap, "receiving OTLP only: the lab's keys work with --lab beside --otlp, or in a plain obslab");
}

static void empty(const struct source *src, char *buf, size_t cap)
{
	const struct received *rv = received_of(src);
	/* Where it does not fit on one line, the pane breaks it at the newline. */
	snprintf(buf, cap, "waiting for OTLP on http://%s/v1/traces %s\npoint OTEL_EXPORTER_OTLP_ENDPOINT at http://%s",
	         rv->authority, draw_unicode() ? "—" : "-", rv->authority);
}

/* The receiver's drops, and with the lab its own. */
static uint64_t dropped(const struct source *src)
{
	const struct received *rv = received_of(src);
	struct intake_stats st;
	intake_get_stats(rv->intake, &st);
	return source_inner_dropped(src) + st.dropped_spans;
}

/* With the lab, its controls and reports come through source_inner_*
 * (source.h): src->inner is the lab source, NULL without --lab. */
const struct source_ops source_otlp_ops = {
	.name = "OTLP receiver",
	.controls = 0,
	.reads_only = false,
	.arrives_paused = true,
	.start = start,
	.drain = drain,
	.stop = stop,
	.status = status,
	.refusal = refusal,
	.empty = empty,
	.dropped = dropped,
	.in_flight = source_inner_in_flight,
	.failure = source_inner_failure,
};

const struct source_ops source_otlp_lab_ops = {
	.name = "lab and OTLP receiver",
	.controls = CONTROL_SETTINGS | CONTROL_PAUSE | CONTROL_MEASURE,
	.reads_only = false,
	.arrives_paused = true,
	.start = start,
	.drain = drain,
	.stop = stop,
	.status = status,
	.empty = empty,
	.dropped = dropped,
	.configure = source_inner_configure,
	.pause = source_inner_pause,
	.start_plan = source_inner_start_plan,
	.cancel_plan = source_inner_cancel_plan,
	.plan_progress = source_inner_plan_progress,
	.database = source_inner_database,
	.in_flight = source_inner_in_flight,
	.failure = source_inner_failure,
};
