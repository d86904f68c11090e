/* otlp: hostile bodies. A truncated message, wrong wire types, a length
 * prefix past the end, nesting past OTLP_MAX_DEPTH (and a megabyte of it),
 * a body that would take more than OTLP_ARENA_FACTOR times its size to
 * unpack, a million attributes in one span, gzip bombs and corrupt gzip:
 * each gets its answer (refused in one line, or kept), never a crash, a
 * stack overflow (ASan runs this too) or unbounded memory. */
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
#include "otlp_fixture.h"

static bool decode(const void *body, size_t len, struct otlp_decode_result *res, struct obslab_error *err)
{
	struct otel_set *set = otel_set_create();
	err->msg[0] = '\0';
	bool ok = otlp_decode(OTLP_PROTOBUF, body, len, set, res, err);
	assert_true(ok || err->msg[0]); /* a refusal always says why */
	otel_set_destroy(set);
	return ok;
}

static void empty_body_is_a_request_of_no_spans(void **state)
{
	(void)state;
	struct otlp_decode_result res;
	struct obslab_error err;
	assert_true(decode("", 0, &res, &err));
	assert_int_equal(res.spans, 0);
	assert_int_equal(res.rejected, 0);
}

/* Every prefix of a real request: refused or (cut between whole fields) read, never a crash; the
 * last byte missing is always refused. */
static void truncated_messages(void **state)
{
	(void)state;
	struct otel_set *set = rich_set();
	struct otlp_span_ref refs[] = { { set, 0 }, { set, 1 }, { set, 2 } };
	struct otlp_buf body = { 0 };
	otlp_encode_request(OTLP_PROTOBUF, refs, 3, &body);
	struct otlp_decode_result res;
	struct obslab_error err;
	size_t refused = 0;
	for (size_t cut = 1; cut < body.len; cut++)
		refused += !decode(body.data, cut, &res, &err);
	assert_true(refused > body.len / 2);
	assert_false(decode(body.data, body.len - 1, &res, &err));
	assert_true(decode(body.data, body.len, &res, &err));
	assert_int_equal(res.spans, 3);
	otlp_buf_free(&body);
	otel_set_destroy(set);
}

static void wrong_wire_types_and_lengths(void **state)
{
	(void)state;
	struct otlp_decode_result res;
	struct obslab_error err;
	/* resource_spans (a message) sent as a varint */
	assert_false(decode("\x08\x01", 2, &res, &err));
	/* a length prefix past the end */
	assert_false(decode("\x0a\x05\x00", 3, &res, &err));
	assert_false(decode("\x0a\xff\xff\xff\xff\x0f", 6, &res, &err));
	/* a varint that never ends */
	assert_false(decode("\x0a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80", 12, &res, &err));
	/* a group (wire type 3), and wire type 7 */
	assert_false(decode("\x0b", 1, &res, &err));
	assert_false(decode("\x0f", 1, &res, &err));
	/* inside a span: the trace id (bytes) as a fixed64, the kind (varint) as a length */
	struct wire span = span_base(1);
	w_fixed64(&span, 1, 7);
	struct wire req = request_of(&span, 1);
	assert_false(decode(req.p, req.len, &res, &err));
	free(span.p);
	free(req.p);
	span = span_base(1);
	w_len(&span, 6, "xx", 2);
	req = request_of(&span, 1);
	assert_false(decode(req.p, req.len, &res, &err));
	free(span.p);
	free(req.p);
	/* a field obslab does not know: passed over, the span kept */
	span = span_base(1);
	w_len(&span, 99, "future", 6);
	req = request_of(&span, 1);
	assert_true(decode(req.p, req.len, &res, &err));
	assert_int_equal(res.spans, 1);
	free(span.p);
	free(req.p);
}

/* A span whose one attribute holds arrays nested levels deep (built inside out). */
static struct wire nested_request(size_t levels)
{
	struct wire v = { 0 };
	w_varint(&v, 3 << 3); /* the innermost AnyValue: int_value 1 */
	w_varint(&v, 1);
	for (size_t i = 0; i < levels; i++) {
		struct wire arr = { 0 }, any = { 0 };
		w_msg(&arr, 1, &v);  /* ArrayValue.values */
		w_msg(&any, 5, &arr); /* AnyValue.array_value */
		free(v.p);
		free(arr.p);
		v = any;
	}
	struct wire kv = { 0 }, span = span_base(1);
	w_len(&kv, 1, "k", 1);
	w_msg(&kv, 2, &v);
	w_msg(&span, 9, &kv);
	struct wire req = request_of(&span, 1);
	free(v.p), free(kv.p), free(span.p);
	return req;
}

static void nesting_is_bounded_before_unpacking(void **state)
{
	(void)state;
	struct otlp_decode_result res;
	struct obslab_error err;
	/* request > resource spans > scope spans > span > key value > any value: 6 levels, then 2 an array */
	size_t fits = (OTLP_MAX_DEPTH - 6) / 2;
	struct wire ok = nested_request(fits), deep = nested_request(fits + 1);
	assert_true(decode(ok.p, ok.len, &res, &err));
	assert_int_equal(res.spans, 1);
	assert_false(decode(deep.p, deep.len, &res, &err));
	assert_non_null(strstr(err.msg, "nested more than"));
	free(ok.p);
	free(deep.p);
	/* a megabyte of nesting (about 250 000 levels) where OTLP has messages: refused by the scan, the stack
	 * untouched. Built back to front: AnyValue { array_value (5) { values (1) { AnyValue ... } } }, then
	 * KeyValue.value (2), Span.attributes (9), ScopeSpans.spans (2), ResourceSpans.scope_spans (2),
	 * ExportTraceServiceRequest.resource_spans (1). */
	size_t cap = 1 << 20, at = cap;
	uint8_t *buf = malloc(cap);
	buf[--at] = 0x01;
	buf[--at] = 0x18; /* int_value 1 */
	static const unsigned outer[] = { 2, 9, 2, 2, 1 };
	unsigned field = 1, k = 0;
	for (;;) {
		size_t inner = cap - at;
		uint8_t len[10];
		size_t n = 0;
		for (size_t v = inner; n == 0 || v; v >>= 7)
			len[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
		for (size_t i = n; i > 0; i--)
			buf[--at] = len[i - 1];
		bool any = field == 5; /* an AnyValue was just closed */
		buf[--at] = (uint8_t)(field << 3 | 2);
		if (k == 5) /* the request's field: done */
			break;
		if (at > 64)
			field = any ? 1 : 5;
		else if (any || k > 0)
			field = outer[k++];
		else
			field = 5;
	}
	assert_false(decode(buf + at, cap - at, &res, &err));
	assert_non_null(strstr(err.msg, "nested more than"));
	free(buf);
}

/* Unpacking is bounded by OTLP_ARENA_FACTOR times the body: a body of empty spans (2 bytes on the wire,
 * a few hundred unpacked) is refused; so is a body of empty attributes. */
static void unpacking_memory_is_bounded(void **state)
{
	(void)state;
	struct otlp_decode_result res;
	struct obslab_error err;
	struct wire ss = { 0 }, rs = { 0 }, req = { 0 };
	for (int i = 0; i < 100000; i++)
		w_bytes(&ss, "\x12\x00", 2); /* ScopeSpans.spans: an empty Span */
	w_msg(&rs, 2, &ss);
	w_msg(&req, 1, &rs);
	assert_false(decode(req.p, req.len, &res, &err));
	assert_non_null(strstr(err.msg, "times its"));
	free(ss.p), free(rs.p), free(req.p);
	/* but a few empty spans are merely refused one by one (no ids) */
	struct wire few = { 0 };
	w_bytes(&few, "\x12\x00\x12\x00", 4);
	rs = (struct wire){ 0 };
	req = (struct wire){ 0 };
	w_msg(&rs, 2, &few);
	w_msg(&req, 1, &rs);
	assert_true(decode(req.p, req.len, &res, &err));
	assert_int_equal(res.rejected, 2);
	assert_non_null(strstr(res.message, "trace id"));
	free(few.p), free(rs.p), free(req.p);
}

/* A million attributes in one span (9 MB): kept, every one, within the arena's bound. */
static void a_million_attributes(void **state)
{
	(void)state;
	struct wire span = span_base(1);
	static const uint8_t attr[] = { 0x4a, 0x07, 0x0a, 0x01, 'k', 0x12, 0x02, 0x18, 0x01 }; /* k = 1 */
	for (int i = 0; i < 1000000; i++)
		w_bytes(&span, attr, sizeof attr);
	struct wire req = request_of(&span, 1);
	struct otel_set *set = otel_set_create();
	struct otlp_decode_result res;
	struct obslab_error err;
	assert_true(otlp_decode(OTLP_PROTOBUF, req.p, req.len, set, &res, &err));
	assert_int_equal(res.spans, 1);
	assert_int_equal(set->spans[0].attrs.count, 1000000);
	assert_int_equal(set->kvs[set->spans[0].attrs.first + 999999].value.u.i, 1);
	otel_set_destroy(set);
	free(span.p);
	free(req.p);
}

static void gzip_bombs_stop_at_the_limit(void **state)
{
	(void)state;
	size_t big = 64u << 20; /* 64 MiB of zeros: about 64 KiB of gzip */
	char *zeros = calloc(1, big);
	struct otlp_buf gz = { 0 }, out = { 0 };
	gzip_deflate(zeros, big, &gz);
	free(zeros);
	assert_true(gz.len < big / 500);
	size_t limit = 1u << 20;
	assert_int_equal(gzip_inflate(gz.data, gz.len, limit, &out), GZIP_TOO_LARGE);
	assert_true(out.cap <= limit + 1); /* never more than the limit allocated */
	assert_int_equal(out.len, 0);
	assert_int_equal(gzip_inflate(gz.data, gz.len, 0, &out), GZIP_TOO_LARGE);
	otlp_buf_free(&out);
	otlp_buf_free(&gz);
}

static void corrupt_gzip_is_bad(void **state)
{
	(void)state;
	const char *text = "an ExportTraceServiceRequest, or close enough";
	struct otlp_buf gz = { 0 }, out = { 0 };
	gzip_deflate(text, strlen(text), &gz);
	assert_int_equal(gzip_inflate(gz.data, gz.len, 1024, &out), GZIP_OK);
	assert_int_equal(out.len, strlen(text));
	/* the CRC (the trailer's first 4 bytes) */
	gz.data[gz.len - 6] ^= 0x55;
	assert_int_equal(gzip_inflate(gz.data, gz.len, 1024, &out), GZIP_BAD);
	gz.data[gz.len - 6] ^= 0x55;
	/* cut short, at every length */
	for (size_t cut = 0; cut < gz.len; cut++)
		assert_int_equal(gzip_inflate(gz.data, cut, 1024, &out), GZIP_BAD);
	/* bytes after the stream */
	char *extra = malloc(gz.len + 3);
	memcpy(extra, gz.data, gz.len);
	memcpy(extra + gz.len, "xyz", 3);
	assert_int_equal(gzip_inflate(extra, gz.len + 3, 1024, &out), GZIP_BAD);
	free(extra);
	/* not gzip: plain text, a zlib stream's header, a bad method */
	assert_int_equal(gzip_inflate("hello", 5, 1024, &out), GZIP_BAD);
	assert_int_equal(gzip_inflate("\x78\x9c\x03\x00\x00\x00\x00\x01", 8, 1024, &out), GZIP_BAD);
	gz.data[2] = 7;
	assert_int_equal(gzip_inflate(gz.data, gz.len, 1024, &out), GZIP_BAD);
	assert_int_equal(out.len, 0);
	otlp_buf_free(&out);
	otlp_buf_free(&gz);
}

/* OTLP/JSON: the pull parser's depth bound and the UTF-8 check hold for requests too. */
static void hostile_json(void **state)
{
	(void)state;
	size_t levels = 100000;
	char *deep = malloc(levels * 2 + 64);
	size_t n = (size_t)sprintf(deep, "{\"resourceSpans\":");
	memset(deep + n, '[', levels);
	memset(deep + n + levels, ']', levels);
	strcpy(deep + n + 2 * levels, "}");
	struct otel_set *set = otel_set_create();
	struct otlp_decode_result res;
	struct obslab_error err;
	assert_false(otlp_decode(OTLP_JSON, deep, strlen(deep), set, &res, &err));
	assert_non_null(strstr(err.msg, "nested deeper"));
	otel_set_destroy(set);
	free(deep);
	set = otel_set_create();
	assert_false(otlp_decode(OTLP_JSON, "{\"resourceSpans\":[],\"x\":\"\xc3\x28\"}", 31, set, &res, &err));
	assert_non_null(strstr(err.msg, "UTF-8"));
	otel_set_destroy(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_body_is_a_request_of_no_spans),
		cmocka_unit_test(truncated_messages),
		cmocka_unit_test(wrong_wire_types_and_lengths),
		cmocka_unit_test(nesting_is_bounded_before_unpacking),
		cmocka_unit_test(unpacking_memory_is_bounded),
		cmocka_unit_test(a_million_attributes),
		cmocka_unit_test(gzip_bombs_stop_at_the_limit),
		cmocka_unit_test(corrupt_gzip_is_bad),
		cmocka_unit_test(hostile_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
