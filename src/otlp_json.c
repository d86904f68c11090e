/*
 * otlp_json — OTLP/JSON bodies: an ExportTraceServiceRequest read with the
 * snapshot reader's OTLP/JSON reader (snapshot_otlp_read.c,
 * otel_json_read.c) straight into the caller's set, and requests and
 * responses written with the otel_json_* writers, as the protobuf JSON
 * mapping has them.
 *
 * A span the reader cannot keep (an invalid id, a missing time or one past
 * 2^62 ns, a value of the wrong type) in a body that is well-formed JSON is
 * refused alone and counted in res (partial_success), as over protobuf; a
 * body that is not JSON, or not an ExportTraceServiceRequest, is refused
 * whole (400). Files keep refusing the whole file (snapshot_read.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/jsonpull.h"
#include "obslab/otel.h"
#include "obslab/otel_json.h"
#include "obslab/utf8.h"
#include "otlp_internal.h"
#include "snapshot_reader.h"

bool otlp_json_decode(const void *body, size_t len, struct otel_set *out, struct otlp_decode_result *res,
                      struct obslab_error *err)
{
	const char *buf = body;
	size_t bad = utf8_valid_len(buf, len);
	if (bad < len)
		return obslab_error_set(err, "not UTF-8 JSON (byte %zu)", bad);
	/* The reader fills snap.otel: the caller's set; no names, no records. */
	struct snapshot snap = { .otel = out };
	struct reader r = { .out = &snap, .err = err, .refused = res };
	struct jp jp;
	jp_init(&jp, buf, len);
	r.jp = &jp;
	bool ok = true;
	if (jp_peek(&jp) != JP_OBJECT) {
		ok = jp_skip(&jp) && jp_finish(&jp)
		             ? obslab_error_set(err, "not an OTLP/JSON request: the body is not a JSON object")
		             : false;
	} else {
		const char *key;
		size_t klen;
		jp_object(&jp);
		while (ok && jp_key(&jp, &key, &klen)) {
			if (jp_key_is(key, klen, "resourceSpans") || jp_key_is(key, klen, "resource_spans")) {
				if (jp_peek(&jp) != JP_ARRAY) {
					jp_skip(&jp);
					ok = reader_fail(&r, "\"resourceSpans\" must be an array");
				} else {
					ok = reader_otlp(&r, &jp);
				}
			} else {
				jp_skip(&jp);
			}
		}
		ok = ok && !jp.failed && jp_finish(&jp);
	}
	if (!ok && jp.failed) /* the parser's own complaint */
		obslab_error_set(err, "%s", jp.error);
	jp_free(&jp);
	free(r.spans);
	free(r.fields);
	if (ok)
		res->spans = out->nspans;
	else
		*res = (struct otlp_decode_result){ 0 }; /* the whole body is refused */
	return ok;
}

/* ---- writing --------------------------------------------------------------------------------- */

static void buf_write(void *ctx, const char *s, size_t len)
{
	otlp_buf_append(ctx, s, len);
}

static void put(struct otlp_buf *b, const char *s)
{
	otlp_buf_append(b, s, strlen(s));
}

void otlp_json_encode_request(const struct otlp_span_ref *spans, size_t n, struct otlp_buf *out)
{
	out->len = 0;
	struct otel_json_out o = { .write = buf_write, .ctx = out };
	struct otlp_grouping g;
	otlp_group(spans, n, &g);
	put(out, "{\"resourceSpans\":[");
	for (size_t r = 0; r < g.nresources; r++) {
		const struct otlp_group_resource *gr = &g.resources[r];
		const struct otel_set *set = gr->set;
		const struct otel_resource *res = &set->resources[gr->resource];
		put(out, r ? ",{\"resource\":{" : "{\"resource\":{");
		otel_json_resource_members(&o, set, res);
		put(out, "},\"scopeSpans\":[");
		for (size_t s = 0; s < gr->nscopes; s++) {
			const struct otlp_group_scope *gs = &g.scopes[gr->first_scope + s];
			const struct otel_scope *sc = &set->scopes[gs->scope];
			put(out, s ? ",{\"scope\":" : "{\"scope\":");
			otel_json_scope(&o, set, sc);
			put(out, ",\"spans\":[");
			for (size_t k = 0; k < gs->nspans; k++) {
				if (k)
					put(out, ",");
				otel_json_span(&o, set, &set->spans[spans[g.order[gs->first_span + k]].span]);
			}
			put(out, "]");
			if (sc->schema_url.len) {
				put(out, ",\"schemaUrl\":");
				otel_json_string(&o, otel_text_of(set, sc->schema_url), sc->schema_url.len);
			}
			put(out, "}");
		}
		put(out, "]");
		if (res->schema_url.len) {
			put(out, ",\"schemaUrl\":");
			otel_json_string(&o, otel_text_of(set, res->schema_url), res->schema_url.len);
		}
		put(out, "}");
	}
	put(out, "]}");
	otlp_grouping_free(&g);
}

void otlp_json_encode_response(size_t rejected, const char *message, struct otlp_buf *out)
{
	out->len = 0;
	if (!rejected) {
		put(out, "{}");
		return;
	}
	struct otel_json_out o = { .write = buf_write, .ctx = out };
	char num[64];
	snprintf(num, sizeof num, "{\"partialSuccess\":{\"rejectedSpans\":\"%zu\"", rejected);
	put(out, num);
	if (message && *message) {
		put(out, ",\"errorMessage\":");
		otel_json_string(&o, message, strlen(message));
	}
	put(out, "}}");
}
