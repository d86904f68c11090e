/*
 * cmd_receive — `obslab receive`: the receiver bound first, then the
 * consumer loop on this thread (batches taken, fed to the intake, the
 * intake ticked every INTAKE_TICK_NS), and on SIGINT or SIGTERM the stop:
 * no new connection, requests in flight answered 503 (SERVER_STOP_GRACE_MS
 * at most), what was queued taken, every open trace closed, --record
 * written. At the stop one line on stderr sums it up (a test and the
 * benchmark read it):
 * "obslab: received N requests, N spans in N traces; rejected N spans;
 *  refused N requests (N busy, N bad, N too large, N unsupported)", then,
 * only when some were, "; N spans dropped: trace over its size limit" and
 * "; N duplicate spans dropped (sent again)", and "; N traces evicted, the
 * oldest first (...)" when the store's limits let some go. With --record and nothing
 * received, no file: "obslab: nothing received; FILE not written".
 * A batch that comes back through a forwarding loop (its Via names this
 * process, forward.h) is said once when it happens and counted at the stop:
 * "obslab: N batches (N spans) not kept or forwarded again: they had passed
 *  through here (Via)"; "obslab: N batches not forwarded: their Via names
 *  more than 8 proxies or passes 1024 bytes".
 * For tests only: with OBSLAB_TEST_RECEIVE_HOLD set in the environment the
 * loop takes nothing until the stop, so a test fills the queue (429)
 * without racing the consumer.
 */
#include "obslab/cmd_receive.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "obslab/atomicfile.h"
#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/clock.h"
#include "obslab/forward.h"
#include "obslab/forward_cmd.h"
#include "obslab/intake.h"
#include "obslab/receiver.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"

#define RECEIVE_WAIT_NS (5 * CLOCK_NS_PER_MS)   /* the longest the loop sleeps waiting for a signal */
#define INTAKE_TICK_NS (50 * CLOCK_NS_PER_MS)   /* how often traces are published and closed */
#define TAKE_BATCH 64

struct consumer {
	struct receiver *receiver;
	struct intake *intake;
	int64_t next_tick;
	FILE *err;
	bool loop_said; /* the first batch back through a forwarding loop was said */
};

/* Said once, when a forwarding loop first brings spans back. */
static void loop_note(struct consumer *k)
{
	if (k->loop_said)
		return;
	struct receiver_stats rs;
	receiver_get_stats(k->receiver, &rs);
	if (!rs.looped)
		return;
	k->loop_said = true;
	fprintf(k->err, "obslab: spans came back through a forwarding loop (their Via names this receiver): "
	                "not kept or forwarded again\n");
	fflush(k->err);
}

/* The batches queued into the intake, and the intake ticked every
 * INTAKE_TICK_NS: under a steady load the queue is never empty, so taking
 * stops at the tick (traces must close, or the open ones would pile up). */
static bool consume(struct consumer *k)
{
	struct otlp_batch *batch[TAKE_BATCH];
	size_t n;
	bool took = false;
	int64_t now = clock_now_ns();
	while (now < k->next_tick && (n = receiver_take(k->receiver, batch, TAKE_BATCH)) > 0) {
		for (size_t i = 0; i < n; i++) {
			intake_add(k->intake, batch[i], now);
			otlp_batch_unref(batch[i]);
		}
		took = true;
		now = clock_now_ns();
	}
	if (now >= k->next_tick) {
		loop_note(k);
		intake_tick(k->intake, now);
		k->next_tick = now + INTAKE_TICK_NS;
	}
	return took;
}

/* Waits up to one tick for SIGINT or SIGTERM; true if one came. */
static bool signalled(const sigset_t *stop, int64_t wait_ns)
{
	const struct timespec tick = { 0, (long)wait_ns };
	return sigtimedwait(stop, NULL, &tick) > 0;
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* Nothing received (or nothing kept: every span over its trace's limit)
 * writes nothing: a file without a span is one obslab cannot read back. */
static int write_record(const struct cli *cli, const struct store *store, const struct strtab *names, uint64_t received,
                        FILE *err)
{
	if (cmd_real_spans(store) == 0) {
		textsafe_fprintf(err, "obslab: %s; %s not written\n", received ? "no span kept" : "nothing received",
		                 cli->record_path);
		return CLI_EXIT_OK;
	}
	struct snapshot_meta meta = { .has_settings = false, .anchor = clock_anchor() };
	struct snapshot_target target = { .path = cli->record_path };
	struct obslab_error why;
	if (!snapshot_write_to(&target, cli->format, store, names, &meta, &cli->findings, &why)) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	cmd_print_wrote(err, "obslab: ", target.replaced, cli->record_path, cli->format, store);
	return CLI_EXIT_OK;
}

static void summary(const struct receiver_stats *rs, const struct intake_stats *is, uint64_t evicted, FILE *err)
{
	uint64_t refused = rs->busy + rs->bad + rs->too_large + rs->unsupported;
	fprintf(err,
	        "obslab: received %llu request%s, %llu span%s in %llu trace%s; rejected %llu span%s; "
	        "refused %llu request%s (%llu busy, %llu bad, %llu too large, %llu unsupported)",
	        (unsigned long long)rs->requests, plural(rs->requests), (unsigned long long)rs->spans, plural(rs->spans),
	        (unsigned long long)is->traces, plural(is->traces), (unsigned long long)rs->rejected_spans,
	        plural(rs->rejected_spans), (unsigned long long)refused, plural(refused), (unsigned long long)rs->busy,
	        (unsigned long long)rs->bad, (unsigned long long)rs->too_large, (unsigned long long)rs->unsupported);
	/* The intake's drops, only when there were some. */
	if (is->dropped_spans)
		fprintf(err, "; %llu span%s dropped: trace over its size limit", (unsigned long long)is->dropped_spans,
		        plural(is->dropped_spans));
	if (is->duplicate_spans)
		fprintf(err, "; %llu duplicate span%s dropped (sent again)", (unsigned long long)is->duplicate_spans,
		        plural(is->duplicate_spans));
	if (evicted) /* the record then holds fewer traces than were received */
		fprintf(err, "; %llu trace%s evicted, the oldest first (the store keeps %zu traces, %zu spans, %zu MiB)",
		        (unsigned long long)evicted, plural(evicted), (size_t)STORE_DEFAULT_MAX_TRACES,
		        (size_t)STORE_DEFAULT_MAX_SPANS, (size_t)STORE_DEFAULT_MAX_BYTES >> 20);
	fputc('\n', err);
	if (rs->looped)
		fprintf(err, "obslab: %llu batch%s (%llu span%s) not kept or forwarded again: they had passed through here (Via)\n",
		        (unsigned long long)rs->looped, rs->looped == 1 ? "" : "es", (unsigned long long)rs->looped_spans,
		        plural(rs->looped_spans));
	if (rs->too_many_hops)
		fprintf(err, "obslab: %llu batch%s not forwarded: their Via names more than %d proxies or passes %d bytes\n",
		        (unsigned long long)rs->too_many_hops, rs->too_many_hops == 1 ? "" : "es", FORWARD_VIA_MAX_HOPS,
		        FORWARD_VIA_MAX);
}

/* The forwarder's queue gets its FORWARD_STOP_FLUSH_NS; the user is told,
 * and a second SIGINT or SIGTERM drops what is left at once (counted). */
static void drain_forwarder(struct forwarder *f, const sigset_t *stop, FILE *err)
{
	if (!f)
		return;
	forward_stop_begin(f, FORWARD_STOP_FLUSH_NS);
	bool told = false;
	for (;;) {
		struct forward_stats st;
		forward_get_stats(f, &st);
		if (st.stop_done)
			return;
		size_t n = st.queued_spans + st.sending_spans;
		if (!told && n > 0) {
			textsafe_fprintf(err, "obslab: sending %zu queued span%s to %s (Ctrl-C again drops them)\n", n,
			                 plural(n), forward_url(f));
			told = true;
		}
		if (signalled(stop, RECEIVE_WAIT_NS)) {
			forward_stop(f, 0);
			return;
		}
	}
}

int cmd_receive(const struct cli *cli, FILE *out, FILE *err)
{
	(void)out;
	struct obslab_error why;
	if (cli->record_path && !atomicfile_check(cli->record_path, 0, &why)) { /* refused before receiving */
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	struct receiver_config rc;
	receiver_config_default(&rc);
	snprintf(rc.host, sizeof rc.host, "%s", cli->listen_host);
	rc.port = cli->listen_port;
	rc.timeout_s = cli->timeout_s;
	rc.max_queued_spans = cli->max_queued_spans;
	struct forward_hook fwd; /* a bad forwarding set-up is refused before anything is bound */
	int fwd_status = forward_hook_start(&fwd, cli->forward_url, err);
	if (fwd_status != CLI_EXIT_OK)
		return fwd_status;
	if (fwd.f && forward_url_is_self(forward_url(fwd.f), rc.host, rc.port)) {
		textsafe_fprintf(err, "obslab: --forward %s is this receiver's own address: every span would come back\n",
		                 forward_url(fwd.f));
		forward_hook_stop(&fwd, NULL);
		return CLI_EXIT_USAGE;
	}
	rc.forward = fwd.f; /* each accepted batch goes on as it came */
	/* Blocked here before the pool starts, so only sigtimedwait takes them. */
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	struct receiver *receiver = receiver_start(&rc, &why); /* bound before anything else is made */
	if (!receiver) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		forward_hook_stop(&fwd, NULL);
		return CLI_EXIT_FAILURE;
	}
	char authority[SERVER_HOST_MAX + 16], warning[SERVER_HOST_MAX + 96];
	receiver_authority(receiver, authority, sizeof authority);
	textsafe_fprintf(err, "obslab: receiving OTLP on http://%s" RECEIVER_PATH "; Ctrl-C stops\n", authority);
	if (server_all_interfaces(authority, warning, sizeof warning))
		textsafe_fprintf(err, "obslab: %s\n", warning);
	fflush(err);

	struct strtab *names = strtab_create();
	struct store *store = store_create((struct store_limits){ STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS, STORE_DEFAULT_MAX_BYTES });
	struct consumer k = {
		.receiver = receiver,
		.intake = intake_create(store, names, cli->quiet_ns ? cli->quiet_ns : INTAKE_DEFAULT_QUIET_NS),
		.next_tick = clock_now_ns() + INTAKE_TICK_NS,
		.err = err,
	};
	bool hold = getenv("OBSLAB_TEST_RECEIVE_HOLD") != NULL;
	/* After a pass that took batches the signals are only looked at (no
	 * wait): under load the consumer never sleeps while the queue fills. */
	bool busy = false;
	while (!signalled(&stop, busy ? 0 : RECEIVE_WAIT_NS)) {
		busy = !hold && consume(&k);
		if (!busy)
			intake_idle(k.intake, clock_now_ns()); /* memory back to the system once a burst is over */
	}
	/* The stop: nothing new is queued; requests in flight get their 503
	 * (a second signal cuts it short); what was queued is taken. */
	receiver_quiesce(receiver);
	int64_t deadline = clock_now_ns() + SERVER_STOP_GRACE_MS * CLOCK_NS_PER_MS;
	while (receiver_in_flight(receiver) > 0 && clock_now_ns() < deadline && !signalled(&stop, RECEIVE_WAIT_NS))
		consume(&k);
	struct otlp_batch *batch[TAKE_BATCH];
	size_t n;
	while ((n = receiver_take(receiver, batch, TAKE_BATCH)) > 0) /* the rest: nothing more comes */
		for (size_t i = 0; i < n; i++) {
			intake_add(k.intake, batch[i], clock_now_ns());
			otlp_batch_unref(batch[i]);
		}
	struct receiver_stats rs;
	receiver_get_stats(receiver, &rs);
	receiver_stop(receiver);
	drain_forwarder(fwd.f, &stop, err);
	forward_hook_stop(&fwd, err); /* every accepted batch was given to it */
	intake_close_all(k.intake);
	struct intake_stats is;
	intake_get_stats(k.intake, &is);
	summary(&rs, &is, store_traces_evicted(store), err);
	int status = cli->record_path ? write_record(cli, store, names, rs.spans, err) : CLI_EXIT_OK;
	intake_destroy(k.intake);
	store_destroy(store);
	strtab_destroy(names);
	/* The signals stay blocked until the summary and the record are out:
	 * one that came meanwhile (a second Ctrl-C, timeout(1)'s) is taken
	 * here, not left to end the process with its default action. */
	while (signalled(&stop, 0))
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return status;
}
