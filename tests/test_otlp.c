/* otlp: the codec's round trips (a set with every kind of field encoded as a
 * protobuf and as an OTLP/JSON request, decoded, compared field by field),
 * grouping by resource and scope, spans refused one by one with partial
 * success counted, the responses in both encodings, gzip, and batches.
 * Hostile bodies are in test_otlp_hostile.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/gzip.h"
#include "obslab/otlp.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"
#include "otlp_fixture.h"

static struct otel_set *round_trip(enum otlp_encoding enc, const struct otel_set *set, struct otlp_buf *body)
{
	struct otlp_span_ref refs[16];
	assert_true(set->nspans <= 16);
	for (uint32_t i = 0; i < set->nspans; i++)
		refs[i] = (struct otlp_span_ref){ set, i };
	otlp_encode_request(enc, refs, set->nspans, body);
	struct otel_set *out = otel_set_create();
	struct otlp_decode_result res;
	struct obslab_error err = { "" };
	bool ok = otlp_decode(enc, body->data, body->len, out, &res, &err);
	if (!ok)
		fail_msg("decode: %s", err.msg);
	assert_int_equal(res.spans, set->nspans);
	assert_int_equal(res.rejected, 0);
	assert_string_equal(res.message, "");
	return out;
}

static void check_same(const struct otel_set *a, const struct otel_set *b)
{
	assert_int_equal(a->nspans, b->nspans);
	for (uint32_t i = 0; i < a->nspans; i++) {
		const char *d = span_diff(a, i, b, i);
		if (d)
			fail_msg("span %u differs: %s", i, d);
	}
}

static void protobuf_round_trip_keeps_every_field(void **state)
{
	(void)state;
	struct otel_set *set = rich_set();
	struct otlp_buf body = { 0 };
	struct otel_set *back = round_trip(OTLP_PROTOBUF, set, &body);
	check_same(set, back);
	/* resources and scopes: one each per group, nothing added */
	assert_int_equal(back->nresources, 2);
	assert_int_equal(back->nscopes, 3);
	/* encoding what was decoded gives the same bytes */
	struct otlp_buf again = { 0 };
	struct otel_set *third = round_trip(OTLP_PROTOBUF, back, &again);
	assert_int_equal(again.len, body.len);
	assert_memory_equal(again.data, body.data, body.len);
	otel_set_destroy(third);
	otlp_buf_free(&again);
	otlp_buf_free(&body);
	otel_set_destroy(back);
	otel_set_destroy(set);
}

static void json_round_trip_keeps_every_field(void **state)
{
	(void)state;
	struct otel_set *set = rich_set();
	struct otlp_buf body = { 0 };
	struct otel_set *back = round_trip(OTLP_JSON, set, &body);
	check_same(set, back);
	assert_non_null(strstr(body.data, "\"resourceSpans\":[{\"resource\":{\"attributes\":"));
	assert_non_null(strstr(body.data, "\"doubleValue\":\"NaN\""));
	assert_non_null(strstr(body.data, "\"flags\":0")); /* present, though 0 */
	/* JSON then protobuf then JSON: the same text */
	struct otlp_buf pb = { 0 }, json2 = { 0 };
	struct otel_set *via_pb = round_trip(OTLP_PROTOBUF, back, &pb);
	struct otel_set *last = round_trip(OTLP_JSON, via_pb, &json2);
	assert_string_equal(json2.data, body.data);
	otel_set_destroy(last);
	otel_set_destroy(via_pb);
	otlp_buf_free(&pb);
	otlp_buf_free(&json2);
	otlp_buf_free(&body);
	otel_set_destroy(back);
	otel_set_destroy(set);
}

/* Spans of two sets, interleaved: one ResourceSpans per (set, resource), one ScopeSpans per scope, in
 * order of first appearance, spans in the order given. */
static void requests_group_by_resource_and_scope(void **state)
{
	(void)state;
	struct otel_set *a = rich_set(), *b = rich_set();
	/* a.2 (scope 1, resource 1), b.1 (scope 2, resource 0), a.0 (scope 0, resource 0), a.1 (scope 2), b.0 (scope 0) */
	const struct otlp_span_ref refs[] = { { a, 2 }, { b, 1 }, { a, 0 }, { a, 1 }, { b, 0 } };
	struct otlp_buf body = { 0 };
	otlp_encode_request(OTLP_PROTOBUF, refs, 5, &body);
	Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceRequest *req =
	        opentelemetry__proto__collector__trace__v1__export_trace_service_request__unpack(
	                NULL, body.len, (const uint8_t *)body.data);
	assert_non_null(req);
	assert_int_equal(req->n_resource_spans, 3); /* (a,1) (b,0) (a,0) */
	assert_int_equal(req->resource_spans[0]->n_scope_spans, 1);
	assert_memory_equal(req->resource_spans[0]->scope_spans[0]->scope->name.data, "other", 5);
	assert_int_equal(req->resource_spans[1]->n_scope_spans, 2); /* scope 2 (b.1), then scope 0 (b.0) */
	assert_memory_equal(req->resource_spans[1]->scope_spans[0]->scope->name.data, "second", 6);
	assert_memory_equal(req->resource_spans[1]->scope_spans[0]->spans[0]->name.data, "SELECT", 6);
	assert_memory_equal(req->resource_spans[1]->scope_spans[1]->scope->name.data, "lib", 3);
	assert_int_equal(req->resource_spans[2]->n_scope_spans, 2); /* scope 0 (a.0), then scope 2 (a.1) */
	assert_memory_equal(req->resource_spans[2]->scope_spans[0]->scope->name.data, "lib", 3);
	opentelemetry__proto__collector__trace__v1__export_trace_service_request__free_unpacked(req, NULL);
	/* decoded: five spans in that grouped order */
	struct otel_set *out = otel_set_create();
	struct otlp_decode_result res;
	struct obslab_error err;
	assert_true(otlp_decode(OTLP_PROTOBUF, body.data, body.len, out, &res, &err));
	assert_int_equal(res.spans, 5);
	assert_int_equal(out->nresources, 3);
	assert_int_equal(out->nscopes, 5);
	assert_null(span_diff(a, 2, out, 0));
	assert_null(span_diff(b, 1, out, 1));
	assert_null(span_diff(b, 0, out, 2));
	assert_null(span_diff(a, 0, out, 3));
	assert_null(span_diff(a, 1, out, 4));
	/* no spans: an empty request */
	otlp_encode_request(OTLP_JSON, refs, 0, &body);
	assert_string_equal(body.data, "{\"resourceSpans\":[]}");
	otlp_encode_request(OTLP_PROTOBUF, refs, 0, &body);
	assert_int_equal(body.len, 0);
	otel_set_destroy(out);
	otlp_buf_free(&body);
	otel_set_destroy(a);
	otel_set_destroy(b);
}

/* Each bad span refused alone, counted, the first one's why kept; the good ones kept. */
static void bad_spans_are_refused_one_by_one(void **state)
{
	(void)state;
	struct wire spans[9];
	spans[0] = span_base(1); /* good */
	spans[1] = (struct wire){ 0 };
	w_len(&spans[1], 1, "0123456789abcde", 15); /* trace id of 15 bytes */
	w_len(&spans[1], 2, "\1\1\1\1\1\1\1\1", 8);
	spans[2] = span_base(3);
	w_len(&spans[2], 2, "\0\0\0\0\0\0\0\0", 8); /* span id of zeros (the last one given wins) */
	spans[3] = span_base(4);
	w_len(&spans[3], 4, "\4\4\4\4", 4); /* parent of 4 bytes */
	spans[4] = span_base(5);
	w_varint(&spans[4], 6 << 3); /* kind 9 */
	w_varint(&spans[4], 9);
	spans[5] = span_base(6);
	w_len(&spans[5], 5, "bad \xff name", 10); /* not UTF-8 */
	spans[6] = span_base(7);
	w_len(&spans[6], 4, "\0\0\0\0\0\0\0\0", 8); /* parent of 8 zero bytes: a root, kept */
	spans[7] = span_base(8);
	w_len(&spans[7], 5, "nul\0inside", 10); /* U+0000 is UTF-8: kept */
	spans[8] = span_base(9); /* a string not UTF-8 deep in an attribute: {"k": {"kvlist": {"in": "\xed\xa0\x80"}}} */
	struct wire any = { 0 }, kv = { 0 }, list = { 0 }, any2 = { 0 }, kv2 = { 0 };
	w_len(&any, 1, "\xed\xa0\x80", 3); /* a surrogate */
	w_len(&kv, 1, "in", 2);
	w_msg(&kv, 2, &any);
	w_msg(&list, 1, &kv);
	w_msg(&any2, 6, &list);
	w_len(&kv2, 1, "k", 1);
	w_msg(&kv2, 2, &any2);
	w_msg(&spans[8], 9, &kv2);
	free(any.p), free(kv.p), free(list.p), free(any2.p), free(kv2.p);
	struct wire req = request_of(spans, 9);
	struct otel_set *out = otel_set_create();
	struct otlp_decode_result res;
	struct obslab_error err;
	assert_true(otlp_decode(OTLP_PROTOBUF, req.p, req.len, out, &res, &err));
	assert_int_equal(res.spans, 3);
	assert_int_equal(res.rejected, 6);
	assert_int_equal(out->nspans, 3);
	assert_non_null(strstr(res.message, "spans[1]: the trace id must be 16 bytes"));
	assert_true(out->spans[1].marks & OTEL_MARK_ZERO_PARENT);
	assert_int_equal(out->spans[2].name.len, 10);
	/* the response: partial_success with the count and the first why */
	struct otlp_buf resp = { 0 };
	otlp_encode_response(OTLP_PROTOBUF, res.rejected, res.message, &resp);
	Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *r =
	        opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
	                NULL, resp.len, (const uint8_t *)resp.data);
	assert_non_null(r);
	assert_non_null(r->partial_success);
	assert_int_equal(r->partial_success->rejected_spans, 6);
	assert_int_equal(r->partial_success->error_message.len, strlen(res.message));
	opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(r, NULL);
	otlp_encode_response(OTLP_JSON, res.rejected, "why \"quoted\"", &resp);
	assert_string_equal(resp.data, "{\"partialSuccess\":{\"rejectedSpans\":\"6\",\"errorMessage\":\"why \\\"quoted\\\"\"}}");
	otlp_encode_response(OTLP_JSON, 0, "", &resp);
	assert_string_equal(resp.data, "{}");
	otlp_encode_response(OTLP_PROTOBUF, 0, "", &resp);
	assert_int_equal(resp.len, 0); /* an empty ExportTraceServiceResponse */
	otlp_buf_free(&resp);
	for (int i = 0; i < 9; i++)
		free(spans[i].p);
	free(req.p);
	otel_set_destroy(out);
}

/* Text of a resource or a scope that is not UTF-8: their spans are refused (counted). */
static void bad_resource_text_refuses_its_spans(void **state)
{
	(void)state;
	struct wire span = span_base(1), ss = { 0 }, rs = { 0 }, req = { 0 }, res = { 0 }, kv = { 0 };
	w_len(&kv, 1, "k\xc0", 2);
	w_msg(&res, 1, &kv);
	w_msg(&ss, 2, &span);
	w_msg(&ss, 2, &span);
	w_msg(&rs, 1, &res);
	w_msg(&rs, 2, &ss);
	w_msg(&req, 1, &rs);
	struct wire good = request_of(&span, 1);
	w_bytes(&req, good.p, good.len); /* a second ResourceSpans, good */
	struct otel_set *out = otel_set_create();
	struct otlp_decode_result r;
	struct obslab_error err;
	assert_true(otlp_decode(OTLP_PROTOBUF, req.p, req.len, out, &r, &err));
	assert_int_equal(r.spans, 1);
	assert_int_equal(r.rejected, 2);
	assert_non_null(strstr(r.message, "resourceSpans[0]: resource text that is not UTF-8"));
	otel_set_destroy(out);
	free(span.p), free(ss.p), free(rs.p), free(req.p), free(res.p), free(kv.p), free(good.p);
}

/* OTLP/JSON: the snapshot reader's rules; a span it cannot keep is refused alone (partial_success), a
 * body that is not an ExportTraceServiceRequest whole (400); {} is no spans. */
static void json_bodies(void **state)
{
	(void)state;
	struct otlp_decode_result res;
	struct obslab_error err;
	struct otel_set *out = otel_set_create();
	assert_true(otlp_decode(OTLP_JSON, "{}", 2, out, &res, &err));
	assert_int_equal(res.spans, 0);
	assert_true(otlp_decode(OTLP_JSON, "{\"resourceSpans\":[]}", 20, out, &res, &err));
	const char *one = "{\"resource_spans\":[{\"scope_spans\":[{\"spans\":[{\"trace_id\":\"0102030405060708090a0b0c0d0e0f10\","
	                  "\"span_id\":\"0102030405060708\",\"name\":\"x\",\"kind\":\"SPAN_KIND_SERVER\",\"start_time_unix_nano\":\"1\","
	                  "\"end_time_unix_nano\":\"2\"}]}]}]}";
	assert_true(otlp_decode(OTLP_JSON, one, strlen(one), out, &res, &err));
	assert_int_equal(res.spans, 1);
	assert_int_equal(out->spans[0].kind, 2);
	otel_set_destroy(out);
	static const char *const bad[] = {
		"", "[]", "{\"resourceSpans\":{}}", "{\"resourceSpans\":[]} x", "{\"resourceSpans\":[\xff]}",
		/* a bad span in a body cut short: the body is refused, not the span */
		"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"00\",\"spanId\":",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		out = otel_set_create();
		err.msg[0] = '\0';
		if (otlp_decode(OTLP_JSON, bad[i], strlen(bad[i]), out, &res, &err))
			fail_msg("accepted: %s", bad[i]);
		assert_true(err.msg[0] != '\0');
		otel_set_destroy(out);
	}
}

#define JSPAN(tid, sid, start, rest)                                                                          \
	"{\"traceId\":\"" tid "\",\"spanId\":\"" sid "\",\"startTimeUnixNano\":\"" start "\",\"endTimeUnixNano\":\"9\"" rest "}"
#define TID "0102030405060708090a0b0c0d0e0f10"

/* OTLP/JSON spans refused one by one: what the refused ones had added (events, attributes) is taken out
 * again, the kept ones are whole, the first refusal's line is the message. */
static void json_spans_refused_one_by_one(void **state)
{
	(void)state;
	const char *body =
	        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":["
	        JSPAN(TID, "0000000000000001", "1", ",\"events\":[{\"name\":\"a\",\"timeUnixNano\":\"2\"}]") ","
	        JSPAN("00", "0000000000000002", "1", "") ","
	        /* refused after its attributes and an event were read: a kind past 5 */
	        JSPAN(TID, "0000000000000003", "1",
	              ",\"attributes\":[{\"key\":\"k\",\"value\":{\"arrayValue\":{\"values\":[{\"intValue\":\"1\"}]}}}],"
	              "\"events\":[{\"name\":\"b\",\"timeUnixNano\":\"3\"}],\"kind\":9,\"links\":[{}]") ","
	        /* the year 2300 */
	        JSPAN(TID, "0000000000000004", "10413792000000000000", "") ","
	        JSPAN(TID, "0000000000000005", "1",
	              ",\"attributes\":[{\"key\":\"j\",\"value\":{\"stringValue\":\"v\"}}],"
	              "\"events\":[{\"name\":\"c\",\"timeUnixNano\":\"4\"}]")
	        "]}]}]}";
	struct otel_set *out = otel_set_create();
	struct otlp_decode_result res;
	struct obslab_error err;
	assert_true(otlp_decode(OTLP_JSON, body, strlen(body), out, &res, &err));
	assert_int_equal(res.spans, 2);
	assert_int_equal(out->nspans, 2);
	assert_int_equal(res.rejected, 3);
	assert_non_null(strstr(res.message, "spans[1]"));
	assert_non_null(strstr(res.message, "traceId must be"));
	assert_int_equal(out->nevents, 2);
	assert_int_equal(out->nlinks, 0);
	assert_int_equal(out->nkvs, 1);
	assert_int_equal(out->nvalues, 0);
	assert_int_equal(out->kv_top, 0);
	assert_int_equal(out->value_top, 0);
	const struct otel_span *sp = &out->spans[1];
	assert_int_equal(sp->span_id, 5);
	assert_int_equal(sp->events_first, 1);
	assert_int_equal(sp->nevents, 1);
	assert_string_equal(otel_text_of(out, out->events[sp->events_first].name), "c");
	assert_int_equal(sp->attrs.count, 1);
	assert_string_equal(otel_text_of(out, out->kvs[sp->attrs.first].key), "j");
	otel_set_destroy(out);
	/* every span refused: a success with no spans */
	const char *none = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" JSPAN("00", "00", "1", "") "]}]}]}";
	out = otel_set_create();
	assert_true(otlp_decode(OTLP_JSON, none, strlen(none), out, &res, &err));
	assert_int_equal(res.spans, 0);
	assert_int_equal(res.rejected, 1);
	otel_set_destroy(out);
}

static void gzip_round_trip_and_members(void **state)
{
	(void)state;
	struct otel_set *set = rich_set();
	struct otlp_span_ref refs[] = { { set, 0 }, { set, 1 }, { set, 2 } };
	struct otlp_buf body = { 0 }, gz = { 0 }, back = { 0 };
	otlp_encode_request(OTLP_PROTOBUF, refs, 3, &body);
	gzip_deflate(body.data, body.len, &gz);
	assert_true(gz.len > 18 && (unsigned char)gz.data[0] == 0x1f && (unsigned char)gz.data[1] == 0x8b);
	assert_int_equal(gzip_inflate(gz.data, gz.len, body.len, &back), GZIP_OK); /* exactly the limit */
	assert_int_equal(back.len, body.len);
	assert_memory_equal(back.data, body.data, body.len);
	assert_int_equal(gzip_inflate(gz.data, gz.len, body.len - 1, &back), GZIP_TOO_LARGE);
	assert_int_equal(back.len, 0);
	/* two members, one after another: one body */
	struct otlp_buf two = { .data = malloc(2 * gz.len), .len = 2 * gz.len };
	memcpy(two.data, gz.data, gz.len);
	memcpy(two.data + gz.len, gz.data, gz.len);
	assert_int_equal(gzip_inflate(two.data, two.len, 1 << 20, &back), GZIP_OK);
	assert_int_equal(back.len, 2 * body.len);
	/* empty */
	gzip_deflate("", 0, &gz);
	assert_int_equal(gzip_inflate(gz.data, gz.len, 0, &back), GZIP_OK);
	assert_int_equal(back.len, 0);
	otlp_buf_free(&two);
	otlp_buf_free(&body);
	otlp_buf_free(&gz);
	otlp_buf_free(&back);
	otel_set_destroy(set);
}

static void batches_are_shared_and_freed_by_the_last(void **state)
{
	(void)state;
	struct otel_set *set = rich_set();
	struct otlp_batch *b = otlp_batch_new(set, 12345);
	assert_int_equal(b->nspans, 3);
	assert_int_equal(b->received_ns, 12345);
	assert_ptr_equal(otlp_batch_ref(b), b);
	assert_int_equal(b->refs, 2);
	otlp_batch_unref(b);
	assert_int_equal(b->refs, 1);
	otlp_batch_unref(b); /* frees the set too (ASan tells a leak) */
	otlp_batch_unref(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(protobuf_round_trip_keeps_every_field),
		cmocka_unit_test(json_round_trip_keeps_every_field),
		cmocka_unit_test(requests_group_by_resource_and_scope),
		cmocka_unit_test(bad_spans_are_refused_one_by_one),
		cmocka_unit_test(bad_resource_text_refuses_its_spans),
		cmocka_unit_test(json_bodies),
		cmocka_unit_test(json_spans_refused_one_by_one),
		cmocka_unit_test(gzip_round_trip_and_members),
		cmocka_unit_test(batches_are_shared_and_freed_by_the_last),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
