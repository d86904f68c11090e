/*
 * Intake: received spans (decoded OTLP batches of 512 spans, 10 attributes
 * each) copied into live traces, assembled once per tick and put in the
 * store, beside store_ingest of as many of the lab's span records (the
 * path the lab's own spans take) measured in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "obslab/clock.h"
#include "obslab/intake.h"
#include "obslab/otel.h"
#include "obslab/span.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/otlp.h"

#define BATCH_SPANS 512
#define TRACE_SPANS 8      /* a request and 7 database calls */
#define BATCHES_PER_TICK 32 /* ~16 000 spans a frame: 500 000 spans/s at 30 frames/s */

static void kv_str(struct otel_set *set, const char *key, const char *value)
{
	struct otel_value v = { .type = OTEL_VALUE_STRING, .u.s = otel_text(set, value, strlen(value)) };
	otel_kv_push(set, otel_text(set, key, strlen(key)), v);
}

static void kv_int(struct otel_set *set, const char *key, int64_t i)
{
	otel_kv_push(set, otel_text(set, key, strlen(key)), (struct otel_value){ .type = OTEL_VALUE_INT, .u.i = i });
}

/* Batch b: 64 traces of 8 spans, every span with 10 attributes. */
static struct otel_set *make_batch(uint32_t b)
{
	struct otel_set *set = otel_set_create();
	size_t mark = otel_kv_mark(set);
	kv_str(set, "service.name", "orders-api");
	kv_str(set, "service.version", "1.4.2");
	kv_str(set, "telemetry.sdk.language", "nodejs");
	struct otel_resource r = { 0 };
	r.attrs.first = otel_kv_commit(set, mark, &r.attrs.count);
	otel_add_resource(set, &r);
	otel_add_scope(set, &(struct otel_scope){ .name = otel_text(set, "@opentelemetry/instrumentation-pg", 33) });
	for (uint32_t i = 0; i < BATCH_SPANS; i++) {
		uint32_t trace = b * (BATCH_SPANS / TRACE_SPANS) + i / TRACE_SPANS, k = i % TRACE_SPANS;
		struct otel_span sp = { .span_id = k + 1, .parent_span_id = k ? 1 : 0, .kind = k ? 3 : 2,
			                .start_unix_ns = 1000000u * trace + 1000u * k,
			                .end_unix_ns = 1000000u * trace + 1000u * k + (k ? 800u : 9000u) };
		memset(sp.trace_id, 0x5a, SPAN_TRACE_ID_LEN);
		memcpy(sp.trace_id, &trace, sizeof trace);
		mark = otel_kv_mark(set);
		if (k) {
			sp.name = otel_text(set, "SELECT orders", 13);
			kv_str(set, "db.system.name", "postgresql");
			kv_str(set, "db.query.text", "SELECT count(*) FROM orders WHERE user_id = $1");
			kv_str(set, "db.namespace", "shop");
			kv_str(set, "db.operation.name", "SELECT");
			kv_str(set, "db.collection.name", "orders");
			kv_str(set, "server.address", "db.internal");
			kv_int(set, "server.port", 5432);
			kv_int(set, "db.response.returned_rows", 1);
			kv_str(set, "net.peer.name", "db.internal");
			kv_int(set, "thread.id", (int64_t)k);
		} else {
			sp.name = otel_text(set, "GET /users/analytics", 20);
			kv_str(set, "http.request.method", "GET");
			kv_str(set, "http.route", "/users/analytics");
			kv_str(set, "url.path", "/users/analytics");
			kv_str(set, "url.scheme", "http");
			kv_int(set, "http.response.status_code", 200);
			kv_str(set, "server.address", "localhost");
			kv_int(set, "server.port", 8080);
			kv_str(set, "user_agent.original", "curl/8.5.0");
			kv_str(set, "network.protocol.version", "1.1");
			kv_str(set, "client.address", "127.0.0.1");
		}
		sp.attrs.first = otel_kv_commit(set, mark, &sp.attrs.count);
		otel_add_span(set, &sp);
	}
	return set;
}

int bench_intake(void);
int bench_intake(void)
{
	size_t nbatches = bench_size(400, 4);
	struct otel_set **sets = malloc(nbatches * sizeof *sets);
	for (size_t b = 0; b < nbatches; b++)
		sets[b] = make_batch((uint32_t)b);
	size_t total = nbatches * BATCH_SPANS;

	/* The reference: as many lab records through store_ingest. */
	struct strtab *lab_names = strtab_create();
	struct span_record *lab;
	size_t nlab = bench_capture(lab_names, 100, &lab);
	double ref_rates[5], rates[5];
	for (int r = 0; r < 5; r++) {
		struct store *store = store_create((struct store_limits){ STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS, STORE_DEFAULT_MAX_BYTES });
		int64_t t0 = clock_now_ns();
		for (size_t done = 0, k = 0; done < total; done += nlab, k++) {
			for (size_t i = 0; i < nlab; i++)
				lab[i].trace_seq = (uint32_t)(k + 1);
			store_ingest(store, lab, nlab);
		}
		ref_rates[r] = (double)total / ((double)(clock_now_ns() - t0) / 1e9) / 1e6;
		store_destroy(store);
	}

	for (int r = 0; r < 5; r++) {
		struct strtab *names = strtab_create();
		struct store *store = store_create((struct store_limits){ STORE_DEFAULT_MAX_TRACES, STORE_DEFAULT_MAX_SPANS, STORE_DEFAULT_MAX_BYTES });
		struct intake *in = intake_create(store, names, 50 * CLOCK_NS_PER_MS);
		int64_t now = 0, t0 = clock_now_ns();
		for (size_t b = 0; b < nbatches; b++) {
			struct otlp_batch batch = { .set = sets[b], .nspans = BATCH_SPANS, .received_ns = now };
			intake_add(in, &batch, now);
			now += CLOCK_NS_PER_MS; /* 512 spans a millisecond: 512 000 spans/s */
			if ((b + 1) % BATCHES_PER_TICK == 0)
				intake_tick(in, now);
		}
		intake_tick(in, now);
		intake_close_all(in);
		rates[r] = (double)total / ((double)(clock_now_ns() - t0) / 1e9) / 1e6;
		intake_destroy(in);
		store_destroy(store);
		strtab_destroy(names);
	}
	double rate = bench_median(rates, 5), ref = bench_median(ref_rates, 5);
	char reference[64];
	snprintf(reference, sizeof reference, "store_ingest, lab records: %.2f M/s", ref);
	bench_row("intake: received spans into live traces", rate, "M/s", reference, rate / ref, ">= 0.5 M spans/s",
	          rate >= 0.5);
	bench_note("%zu batches of %d spans (10 attributes, traces of %d: a request and its PostgreSQL calls), a tick "
	           "every %d batches: %.0f ns a span",
	           nbatches, BATCH_SPANS, TRACE_SPANS, BATCHES_PER_TICK, 1e3 / rate);
	free(lab);
	strtab_destroy(lab_names);
	for (size_t b = 0; b < nbatches; b++)
		otel_set_destroy(sets[b]);
	free(sets);
	return 0;
}
