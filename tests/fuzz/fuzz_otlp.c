/* libFuzzer: an OTLP/HTTP body, as protobuf and as OTLP/JSON (and inflated
 * as gzip), must be refused or read without crashing, leaking, hanging or
 * taking unbounded memory; what the protobuf decoder accepts must encode
 * back and read again the same, in protobuf and in OTLP/JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/gzip.h"
#include "obslab/otel.h"
#include "obslab/otlp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Decodes body; on success encodes every span in enc into out. */
static bool decode_encode(enum otlp_encoding in, enum otlp_encoding enc, const void *body, size_t len,
                          struct otlp_buf *out, size_t *spans)
{
	struct otel_set *set = otel_set_create();
	struct otlp_decode_result res;
	struct obslab_error err;
	bool ok = otlp_decode(in, body, len, set, &res, &err);
	if (ok) {
		if (res.spans != set->nspans)
			__builtin_trap();
		struct otlp_span_ref *refs = malloc((set->nspans ? set->nspans : 1) * sizeof *refs);
		for (size_t i = 0; i < set->nspans; i++)
			refs[i] = (struct otlp_span_ref){ set, (uint32_t)i };
		otlp_encode_request(enc, refs, set->nspans, out);
		free(refs);
		*spans = set->nspans;
	}
	otel_set_destroy(set);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otlp_buf pb = { 0 }, pb2 = { 0 }, json = { 0 }, json2 = { 0 }, raw = { 0 };
	size_t n1 = 0, n2 = 0, n3 = 0;
	if (decode_encode(OTLP_PROTOBUF, OTLP_PROTOBUF, data, size, &pb, &n1)) {
		/* what was accepted reads back whole, and encodes to the same bytes */
		if (!decode_encode(OTLP_PROTOBUF, OTLP_PROTOBUF, pb.data, pb.len, &pb2, &n2) || n2 != n1 ||
		    pb2.len != pb.len || memcmp(pb.data, pb2.data, pb.len) != 0)
			__builtin_trap();
		/* and as OTLP/JSON, through the file reader, the same spans (compared as JSON: the JSON mapping
		 * has one NaN, protobuf keeps a NaN's payload) */
		if (!decode_encode(OTLP_PROTOBUF, OTLP_JSON, pb.data, pb.len, &json, &n2) ||
		    !decode_encode(OTLP_JSON, OTLP_PROTOBUF, json.data, json.len, &pb2, &n3) || n3 != n1 ||
		    !decode_encode(OTLP_PROTOBUF, OTLP_JSON, pb2.data, pb2.len, &json2, &n2) || json2.len != json.len ||
		    memcmp(json.data, json2.data, json.len) != 0)
			__builtin_trap();
	}
	if (decode_encode(OTLP_JSON, OTLP_JSON, data, size, &json, &n1)) {
		if (!decode_encode(OTLP_JSON, OTLP_JSON, json.data, json.len, &json2, &n2) || n2 != n1)
			__builtin_trap();
	}
	if (gzip_inflate(data, size, 1 << 20, &raw) == GZIP_OK && raw.len > 1 << 20)
		__builtin_trap();
	otlp_buf_free(&pb);
	otlp_buf_free(&pb2);
	otlp_buf_free(&json);
	otlp_buf_free(&json2);
	otlp_buf_free(&raw);
	return 0;
}
