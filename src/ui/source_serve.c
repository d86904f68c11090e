/*
 * source_serve — `obslab --serve ADDR`: the live lab (source_lab.c) with the
 * lab's endpoints served over HTTP beside it (server.h). The lab's session
 * drives the database (WAL while it runs); the server's workers read it
 * through connections of their own. Each tick the UI thread drains the lab,
 * then every server worker into the same store (producers 1 and up), so a
 * served request is one more trace in the list and the waterfall.
 *
 * Pausing pauses the lab's own workload only: the server keeps serving and
 * its traces keep arriving (arrives_paused). The stop quiesces the server,
 * lets requests in flight finish (SERVER_STOP_GRACE_MS, then cancels them)
 * and closes its readers before the lab's session, whose connection, the
 * last, puts the database back in rollback mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "draw.h"
#include "keys.h"
#include "model.h"
#include "source.h"
#include "obslab/cli.h"
#include "obslab/server.h"
#include "obslab/store.h"
#include "obslab/textsafe.h"
#include "obslab/xalloc.h"

/* After the grace period, how long cancelled requests get to answer. */
#define SERVE_CANCEL_WAIT_MS 1000

extern const struct source_ops source_lab_ops;

struct served {
	struct source lab; /* the lab source, as source_lab.c runs it */
	struct server *server;
	char authority[SERVER_HOST_MAX + 16];
	int listen_fd;        /* bound before the lab's database is made; -1 once taken */
	bool announced;       /* the server's start is in the log */
	uint64_t dropped_said; /* the drops the log has reported so far */
};

static struct served *served_of(const struct source *src)
{
	return src->state;
}

static int start(struct source *src, const struct cli *cli, const struct workload_config *settings,
                 struct source_start *out)
{
	struct served *sv = xcalloc(1, sizeof *sv);
	src->state = sv;
	struct obslab_error err;
	/* Bound first: a port in use or a host that does not resolve leaves no
	 * database behind (as `obslab serve`). */
	sv->listen_fd = server_listen(cli->listen_host, cli->listen_port, &err);
	if (sv->listen_fd < 0) {
		textsafe_fprintf(stderr, "obslab: %s\n", err.msg);
		return CLI_EXIT_FAILURE;
	}
	sv->lab.ops = &source_lab_ops;
	src->inner = &sv->lab;
	int status = source_lab_ops.start(&sv->lab, cli, settings, out);
	if (status != CLI_EXIT_OK)
		return status;
	src->store = sv->lab.store;
	src->names = sv->lab.names;
	src->anchor = sv->lab.anchor;
	struct server_config sc = {
		.host = cli->listen_host,
		.port = cli->listen_port,
		.db_path = cli->db_path,
		.users = out->settings.users, /* as the database has them; workers follow its changes */
		.index = out->settings.index,
		.rtt_us = out->settings.rtt_us,
		.trace = true,
		.timeout_s = cli->timeout_s,
		.listen_fd = sv->listen_fd,
	};
	sv->server = server_start(&sc, src->names, &err);
	sv->listen_fd = -1; /* taken, closed on failure too */
	if (!sv->server) {
		textsafe_fprintf(stderr, "obslab: %s\n", err.msg);
		return CLI_EXIT_FAILURE;
	}
	server_authority(sv->server, sv->authority, sizeof sv->authority);
	return CLI_EXIT_OK;
}

static void drain(struct source *src, const struct source_sink *sink)
{
	struct served *sv = served_of(src);
	if (!sv->announced) { /* after the lab's own start line */
		char text[LOGBOOK_TEXT];
		snprintf(text, sizeof text, "serving http://%.120s/ : curl it (Space pauses the lab, not the server)",
		         sv->authority);
		sink->note(sink->ctx, LOG_INFO, text);
		if (server_all_interfaces(sv->authority, text, sizeof text)) /* as `obslab serve` says it */
			sink->note(sink->ctx, LOG_WARN, text);
		sv->announced = true;
	}
	source_lab_ops.drain(&sv->lab, sink);
	server_drain(sv->server, src->store, sink->log, sink->ctx);
	uint64_t dropped = server_dropped(sv->server, SERVER_ALL_WORKERS);
	if (dropped != sv->dropped_said) {
		char text[LOGBOOK_TEXT];
		snprintf(text, sizeof text, "the server's workers dropped %llu spans so far (a ring was full)",
		         (unsigned long long)dropped);
		sink->note(sink->ctx, LOG_WARN, text);
		sv->dropped_said = dropped;
	}
}

static void nap_ms(long ms)
{
	const struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&t, NULL);
}

/* No new connections; requests in flight get the grace period, then are
 * cancelled; what they traced goes into the store (nobody logs it now). */
static void stop_server(struct served *sv)
{
	struct server *s = sv->server;
	server_quiesce(s);
	int64_t deadline = clock_now_ns() + SERVER_STOP_GRACE_MS * CLOCK_NS_PER_MS;
	while (server_in_flight(s) > 0 && clock_now_ns() < deadline) {
		server_drain(s, sv->lab.store, NULL, NULL);
		nap_ms(2);
	}
	if (server_in_flight(s) > 0) {
		server_cancel(s);
		deadline = clock_now_ns() + SERVE_CANCEL_WAIT_MS * CLOCK_NS_PER_MS;
		while (server_in_flight(s) > 0 && clock_now_ns() < deadline) {
			server_drain(s, sv->lab.store, NULL, NULL);
			nap_ms(2);
		}
	}
	server_drain(s, sv->lab.store, NULL, NULL);
	server_stop(s); /* its readers closed: the lab's connection is the last */
	sv->server = NULL;
}

static void stop(struct source *src)
{
	struct served *sv = served_of(src);
	if (sv) {
		if (sv->server)
			stop_server(sv);
		if (sv->lab.ops)
			source_lab_ops.stop(&sv->lab);
		if (sv->listen_fd >= 0)
			close(sv->listen_fd); /* never handed to a server */
	}
	free(sv);
	src->state = NULL;
	src->inner = NULL;
	src->store = NULL;
	src->names = NULL;
}

/* The lab's line with the server's segment after the program's name, and
 * the lab's pause said as the lab's alone: the view still follows. */
static void status(const struct source *src, const struct model *m, char *buf, size_t cap)
{
	const struct served *sv = served_of(src);
	const struct glyphs *g = draw_glyphs();
	char lab[512], seg[192], requests[32];
	source_lab_ops.status(&sv->lab, m, lab, sizeof lab);
	uint64_t served = server_requests(sv->server);
	draw_count(requests, sizeof requests, served);
	int n = snprintf(seg, sizeof seg, "serving http://%.120s/ %s %s request%s", sv->authority, g->dot, requests,
	                 served == 1 ? "" : "s");
	unsigned workers = server_workers(sv->server);
	for (unsigned i = 0; i < workers && n > 0 && (size_t)n < sizeof seg; i++) {
		uint64_t d = server_dropped(sv->server, i);
		if (d)
			n += snprintf(seg + n, sizeof seg - (size_t)n, " %s worker %u dropped %llu", g->dot, i + 1,
			              (unsigned long long)d);
	}
	char paused[48];
	snprintf(paused, sizeof paused, "%s paused", g->paused);
	size_t len = strlen(lab), plen = strlen(paused);
	if (m->paused && len >= plen && strcmp(lab + len - plen, paused) == 0) /* the lab's "‖ paused" */
		snprintf(lab + len - plen, sizeof lab - (len - plen), "%s lab paused %s %s", g->paused, g->dot,
		         m->follow ? "live" : "history");
	source_inner_splice(lab, seg, buf, cap);
}

/* The lab's drops and the server's workers'. */
static uint64_t dropped(const struct source *src)
{
	const struct served *sv = served_of(src);
	return source_inner_dropped(src) + server_dropped(sv->server, SERVER_ALL_WORKERS);
}

/* The lab's controls and reports come through source_inner_* (source.h). */
const struct source_ops source_serve_ops = {
	.name = "lab and server",
	.controls = CONTROL_SETTINGS | CONTROL_PAUSE | CONTROL_MEASURE,
	.reads_only = false,
	.arrives_paused = true,
	.start = start,
	.drain = drain,
	.stop = stop,
	.status = status,
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
