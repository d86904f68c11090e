/*
 * otlp_body — writes an OTLP ExportTraceServiceRequest body to stdout,
 * encoded by obslab's own encoder (otlp_encode_request), for the receiver's
 * tests and its benchmark: TRACES traces of SPANS spans in all, each trace
 * a server span "GET /orders/{id}" over database client spans
 * (db.system.name postgresql, the same SELECT repeated: an N+1), every span
 * with ATTRS attributes in all (the semantic ones, then obslab.bench.N of
 * alternating types), SERVICES resources. Every trace id starts with the
 * bytes 0b 51 ab 0b 51 ab 0b 51, for otlp_load to find and renew.
 * --zero-ids K gives the last K spans an all-zero trace id (a span OTLP
 * receivers refuse: partial_success).
 * --trace-seed K: the trace ids and root span ids from K, not from --seed
 * (bodies with one K and other seeds hold spans of the same traces);
 * --no-root 1 leaves the roots out. --tiny-attrs N: instead, one span
 * with N attributes a=1 (the smallest there are: a memory test's body).
 * Usage: otlp_body --format protobuf|json [--spans N] [--traces T]
 *                  [--attrs A] [--services S] [--seed K] [--zero-ids K]
 *                  [--trace-seed K] [--no-root 1] [--tiny-attrs N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/otlp.h"

static uint64_t next_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static struct otel_value str_value(struct otel_set *set, const char *s)
{
	struct otel_value v = { .type = OTEL_VALUE_STRING };
	v.u.s = otel_text(set, s, strlen(s));
	return v;
}

static void push_str(struct otel_set *set, const char *key, const char *value)
{
	otel_kv_push(set, otel_text(set, key, strlen(key)), str_value(set, value));
}

static void push_int(struct otel_set *set, const char *key, int64_t value)
{
	struct otel_value v = { .type = OTEL_VALUE_INT };
	v.u.i = value;
	otel_kv_push(set, otel_text(set, key, strlen(key)), v);
}

/* Filler attributes up to want in all (have already pushed). */
static void pad(struct otel_set *set, unsigned have, unsigned want, uint64_t *rng)
{
	for (unsigned i = have; i < want; i++) {
		char key[32];
		snprintf(key, sizeof key, "obslab.bench.%u", i);
		if (i % 2) {
			push_int(set, key, (int64_t)(next_rand(rng) % 100000));
		} else {
			char val[32];
			snprintf(val, sizeof val, "value-%" PRIu64, next_rand(rng) % 1000);
			push_str(set, key, val);
		}
	}
}

int main(int argc, char **argv)
{
	const char *format = NULL;
	unsigned long spans = 512, traces = 16, attrs = 10, services = 2, zero_ids = 0, no_root = 0, tiny = 0;
	uint64_t seed = 1, trace_seed = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (strcmp(k, "--format") == 0)
			format = v;
		else if (strcmp(k, "--spans") == 0)
			spans = strtoul(v, NULL, 10);
		else if (strcmp(k, "--traces") == 0)
			traces = strtoul(v, NULL, 10);
		else if (strcmp(k, "--attrs") == 0)
			attrs = strtoul(v, NULL, 10);
		else if (strcmp(k, "--services") == 0)
			services = strtoul(v, NULL, 10);
		else if (strcmp(k, "--zero-ids") == 0)
			zero_ids = strtoul(v, NULL, 10);
		else if (strcmp(k, "--seed") == 0)
			seed = strtoull(v, NULL, 10);
		else if (strcmp(k, "--trace-seed") == 0)
			trace_seed = strtoull(v, NULL, 10);
		else if (strcmp(k, "--no-root") == 0)
			no_root = strtoul(v, NULL, 10);
		else if (strcmp(k, "--tiny-attrs") == 0)
			tiny = strtoul(v, NULL, 10);
		else
			break;
	}
	if (!format || (strcmp(format, "protobuf") != 0 && strcmp(format, "json") != 0) || traces == 0 ||
	    spans < traces || services == 0) {
		fputs("usage: otlp_body --format protobuf|json [--spans N] [--traces T (<= N)] [--attrs A] "
		      "[--services S] [--seed K] [--zero-ids K]\n", stderr);
		return 2;
	}
	struct otel_set *set = otel_set_create();
	uint32_t *scope_of = calloc(services, sizeof *scope_of);
	for (unsigned long s = 0; s < services; s++) {
		char name[32];
		snprintf(name, sizeof name, "bench-service-%lu", s + 1);
		size_t mark = otel_kv_mark(set);
		push_str(set, "service.name", name);
		push_str(set, "telemetry.sdk.language", "c");
		struct otel_resource r = { 0 };
		r.attrs.first = otel_kv_commit(set, mark, &r.attrs.count);
		struct otel_scope sc = { .resource = otel_add_resource(set, &r) };
		sc.name = otel_text(set, "obslab-bench", 12);
		scope_of[s] = otel_add_scope(set, &sc);
	}
	uint64_t rng = seed, t0 = 1700000000000000000ULL + (trace_seed ? trace_seed : seed) * 1000000000ULL;
	uint64_t trng = trace_seed, *ids_rng = trace_seed ? &trng : &rng;
	if (tiny) { /* one span, N attributes a=1 */
		struct otel_span sp = { .kind = 2, .scope = scope_of[0], .span_id = next_rand(&rng) | 1 };
		uint64_t a = next_rand(ids_rng), b = next_rand(ids_rng);
		memcpy(sp.trace_id, &a, 8);
		memcpy(sp.trace_id + 8, &b, 8);
		sp.name = otel_text(set, "tiny", 4);
		sp.start_unix_ns = t0;
		sp.end_unix_ns = t0 + 1000;
		size_t mark = otel_kv_mark(set);
		for (unsigned long i = 0; i < tiny; i++)
			push_int(set, "a", 1);
		sp.attrs.first = otel_kv_commit(set, mark, &sp.attrs.count);
		otel_add_span(set, &sp);
		traces = 0;
	}
	for (unsigned long t = 0; t < traces; t++) {
		unsigned long n = spans / traces + (t < spans % traces ? 1 : 0);
		struct otel_span root = { .kind = 2, .scope = scope_of[t % services] };
		/* The first half a fixed mark (OTLP_BODY_MARK) otlp_load finds and renews per request. */
		static const uint8_t mark8[8] = { 0x0b, 0x51, 0xab, 0x0b, 0x51, 0xab, 0x0b, 0x51 };
		uint64_t b = next_rand(ids_rng);
		memcpy(root.trace_id, mark8, 8);
		memcpy(root.trace_id + 8, &b, 8);
		root.span_id = next_rand(ids_rng) | 1;
		root.name = otel_text(set, "GET /orders/{id}", 16);
		root.start_unix_ns = t0 + t * 10000000ULL;
		root.end_unix_ns = root.start_unix_ns + 1000ULL * (n + 1) * 200;
		size_t mark = otel_kv_mark(set);
		push_str(set, "http.request.method", "GET");
		push_str(set, "http.route", "/orders/{id}");
		push_int(set, "http.response.status_code", 200);
		pad(set, 3, (unsigned)attrs, &rng);
		root.attrs.first = otel_kv_commit(set, mark, &root.attrs.count);
		if (!no_root)
			otel_add_span(set, &root);
		for (unsigned long i = 1; i < n; i++) {
			struct otel_span sp = { .kind = 3, .scope = root.scope, .parent_span_id = root.span_id };
			memcpy(sp.trace_id, root.trace_id, sizeof sp.trace_id);
			sp.span_id = next_rand(&rng) | 1;
			sp.name = otel_text(set, "SELECT orders", 13);
			sp.start_unix_ns = root.start_unix_ns + i * 200000ULL;
			sp.end_unix_ns = sp.start_unix_ns + 150000ULL;
			mark = otel_kv_mark(set);
			push_str(set, "db.system.name", "postgresql");
			push_str(set, "db.query.text", "SELECT * FROM orders WHERE user_id = $1");
			push_str(set, "db.operation.name", "SELECT");
			push_str(set, "db.collection.name", "orders");
			pad(set, 4, (unsigned)attrs, &rng);
			sp.attrs.first = otel_kv_commit(set, mark, &sp.attrs.count);
			otel_add_span(set, &sp);
		}
	}
	for (size_t i = set->nspans - (zero_ids < set->nspans ? zero_ids : set->nspans); i < set->nspans; i++)
		memset(set->spans[i].trace_id, 0, sizeof set->spans[i].trace_id);
	struct otlp_span_ref *refs = calloc(set->nspans, sizeof *refs);
	for (size_t i = 0; i < set->nspans; i++)
		refs[i] = (struct otlp_span_ref){ .set = set, .span = (uint32_t)i };
	struct otlp_buf out = { 0 };
	otlp_encode_request(strcmp(format, "json") == 0 ? OTLP_JSON : OTLP_PROTOBUF, refs, set->nspans, &out);
	int rc = fwrite(out.data, 1, out.len, stdout) == out.len && fflush(stdout) == 0 ? 0 : 1;
	otlp_buf_free(&out);
	free(refs);
	free(scope_of);
	otel_set_destroy(set);
	return rc;
}
