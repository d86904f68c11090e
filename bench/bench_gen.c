/*
 * Big files for the scale benchmarks, written directly (no store, no
 * writer): a native snapshot holding one trace that is a chain of `depth`
 * nested spans with `leaves` leaves under its deepest span, and an OTLP/JSON
 * file of N+1 requests (PostgreSQL spans with their attributes, as an
 * OpenTelemetry SDK exports them) grown to a given size.
 */
#include <inttypes.h>
#include <stdio.h>

#include "bench.h"

#define T0 INT64_C(1700000000000000000)

/* The deepest chain span is chain[depth - 1]; leaf i runs [2i + 1, 2i + 2] µs
 * after T0; the chain encloses them all. */
size_t bench_write_chain(const char *path, int depth, size_t leaves)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	int64_t end = T0 + (int64_t)(2 * leaves + 2 + 2 * (size_t)depth) * 1000;
	fprintf(f, "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[{\"trace_id\":"
	           "\"0123456789abcdef0123456789abcdef\",\"spans\":[\n");
	for (int d = 0; d < depth; d++) {
		fprintf(f, "{\"span_id\":\"%016x\",\"parent_span_id\":", d + 1);
		if (d == 0)
			fprintf(f, "null");
		else
			fprintf(f, "\"%016x\"", d);
		fprintf(f, ",\"name\":\"level %d\",\"kind\":\"internal\",\"start_unix_ns\":%" PRId64 ",\"end_unix_ns\":%" PRId64
		           ",\"status\":\"ok\"},\n",
		        d, T0 + d, end - d);
	}
	for (size_t i = 0; i < leaves; i++) {
		int64_t s = T0 + (int64_t)(2 * i + 1 + (size_t)depth) * 1000;
		fprintf(f, "%s{\"span_id\":\"%016zx\",\"parent_span_id\":\"%016x\",\"name\":\"SELECT * FROM t\","
		           "\"kind\":\"client\",\"start_unix_ns\":%" PRId64 ",\"end_unix_ns\":%" PRId64 ",\"db\":{}}\n",
		        i ? "," : "", (size_t)depth + 1 + i, depth, s, s + 1000);
	}
	fprintf(f, "]}]}\n");
	return fclose(f) == 0 ? (size_t)depth + leaves : 0;
}

/* One request: a server root and `calls` PostgreSQL client spans, one per
 * user, as the OpenTelemetry JS SDK writes them (attributes typed). */
static void otlp_request(FILE *f, uint64_t t, int calls, int64_t start)
{
	fprintf(f, "%s{\"traceId\":\"%032" PRIx64 "\",\"spanId\":\"%016" PRIx64 "\",\"name\":\"GET /users\",\"kind\":2,"
	           "\"startTimeUnixNano\":\"%" PRId64 "\",\"endTimeUnixNano\":\"%" PRId64 "\",\"attributes\":["
	           "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}},"
	           "{\"key\":\"http.route\",\"value\":{\"stringValue\":\"/users\"}},"
	           "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}],\"status\":{}}",
	        t ? ",\n" : "", t + 1, (t + 1) << 20, start, start + (int64_t)(calls + 1) * 1000);
	for (int i = 0; i < calls; i++) {
		int64_t s = start + (int64_t)(i + 1) * 1000;
		fprintf(f, ",\n{\"traceId\":\"%032" PRIx64 "\",\"spanId\":\"%016" PRIx64 "\",\"parentSpanId\":\"%016" PRIx64
		           "\",\"name\":\"SELECT shop.orders\",\"kind\":3,\"startTimeUnixNano\":\"%" PRId64
		           "\",\"endTimeUnixNano\":\"%" PRId64 "\",\"attributes\":["
		           "{\"key\":\"db.system.name\",\"value\":{\"stringValue\":\"postgresql\"}},"
		           "{\"key\":\"db.query.text\",\"value\":{\"stringValue\":\"SELECT count(*) FROM orders WHERE user_id "
		           "= $1\"}},{\"key\":\"db.operation.name\",\"value\":{\"stringValue\":\"SELECT\"}},"
		           "{\"key\":\"server.address\",\"value\":{\"stringValue\":\"db.internal\"}},"
		           "{\"key\":\"db.response.returned_rows\",\"value\":{\"intValue\":\"1\"}}],\"status\":{}}",
		        t + 1, ((t + 1) << 20) + (uint64_t)i + 1, (t + 1) << 20, s, s + 900);
	}
}

/* The same requests, `traces` of them (the trace list's row). */
size_t bench_write_otlp_traces(const char *path, size_t traces, int calls)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	fprintf(f, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
	           "{\"stringValue\":\"users\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"@opentelemetry/"
	           "instrumentation-pg\",\"version\":\"0.50.0\"},\"spans\":[\n");
	for (uint64_t t = 0; t < traces; t++) /* durations vary, so sorting by them moves rows */
		otlp_request(f, t, calls + (int)(t % 3), T0 + (int64_t)t * 10000000);
	fprintf(f, "]}]}]}\n");
	return fclose(f) == 0 ? traces : 0;
}

size_t bench_write_otlp(const char *path, size_t bytes, int calls)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return 0;
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	fprintf(f, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
	           "{\"stringValue\":\"users\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":\"@opentelemetry/"
	           "instrumentation-pg\",\"version\":\"0.50.0\"},\"spans\":[\n");
	size_t spans = 0;
	for (uint64_t t = 0; ftell(f) < (long)bytes; t++) {
		otlp_request(f, t, calls, T0 + (int64_t)t * 10000000);
		spans += (size_t)calls + 1;
	}
	fprintf(f, "]}]}]}\n");
	return fclose(f) == 0 ? spans : 0;
}
