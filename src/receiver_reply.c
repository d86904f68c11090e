/*
 * receiver_reply — the receiver's answers (see receiver_reply.h): the
 * headers every answer carries (Allow, Retry-After, Connection, CORS), the
 * error answers' google.rpc.Status bodies, the preflight, and the count of
 * answers sent by kind.
 */
#include "receiver_reply.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/xalloc.h"
#include "receiver_http.h"

#define RECEIVER_ALLOW "POST, OPTIONS"
#define RECEIVER_CORS_MAX_AGE "7200" /* seconds; what Chromium caps a preflight's cache at */
#define RECEIVER_RETRY_BUSY "1"      /* seconds, on a 429 */
#define RECEIVER_RETRY_STOPPING "5"  /* seconds, on a 503 */

/* The CORS headers an allowed origin gets on every answer. */
static void add_cors(struct MHD_Response *resp, struct MHD_Connection *c)
{
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	MHD_add_response_header(resp, "Vary", "Origin");
	if (rx_origin_allowed(origin))
		MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
}

static void count(struct rx_answers *counts, unsigned status)
{
	atomic_fetch_add_explicit(&counts->requests, 1, memory_order_relaxed);
	_Atomic uint64_t *which = NULL;
	switch (status) {
	case 400: case 403: which = &counts->bad; break;
	case 404: case 405: case 415: which = &counts->unsupported; break;
	case 413: which = &counts->too_large; break;
	case 429: case 503: which = &counts->busy; break;
	default: break;
	}
	if (which)
		atomic_fetch_add_explicit(which, 1, memory_order_relaxed);
}

enum MHD_Result rx_send_answer_close(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                                     const char *content_type, const void *body, size_t len, bool close)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	if (content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, RECEIVER_ALLOW);
	if (status == 429)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, RECEIVER_RETRY_BUSY);
	if (status == 503)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, RECEIVER_RETRY_STOPPING);
	if (status == 503 || close)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	add_cors(resp, c);
	enum MHD_Result ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	guard_answering(httpd_conn(c));
	count(counts, status);
	return ret;
}

enum MHD_Result rx_send_answer(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                               const char *content_type, const void *body, size_t len)
{
	return rx_send_answer_close(counts, c, status, content_type, body, len, false);
}

enum MHD_Result rx_send_status_close(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                                     enum otlp_encoding enc, enum rx_rpc_code code, const char *message,
                                     bool close)
{
	struct otlp_buf buf = { 0 };
	rx_status_body(enc, code, message, &buf);
	enum MHD_Result ret = rx_send_answer_close(counts, c, status, rx_content_type(enc), buf.data, buf.len, close);
	otlp_buf_free(&buf);
	return ret;
}

enum MHD_Result rx_send_status(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                               enum otlp_encoding enc, enum rx_rpc_code code, const char *message)
{
	return rx_send_status_close(counts, c, status, enc, code, message, false);
}

enum rx_rpc_code rx_code_of(unsigned status)
{
	switch (status) {
	case 403: return RX_RPC_PERMISSION_DENIED;
	case 404: return RX_RPC_NOT_FOUND;
	case 405: case 415: return RX_RPC_UNIMPLEMENTED;
	case 413: return RX_RPC_OUT_OF_RANGE;
	case 429: return RX_RPC_RESOURCE_EXHAUSTED;
	case 503: return RX_RPC_UNAVAILABLE;
	default: return RX_RPC_INVALID_ARGUMENT;
	}
}

enum MHD_Result rx_send_preflight(struct rx_answers *counts, struct MHD_Connection *c)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, RECEIVER_ALLOW);
	const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
	if (rx_origin_allowed(origin)) {
		MHD_add_response_header(resp, "Access-Control-Allow-Methods", RECEIVER_ALLOW);
		const char *asked = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Headers");
		char *headers = NULL;
		if (asked && rx_token_list(asked)) {
			size_t n = strlen(asked) + 64;
			headers = xmalloc(n);
			snprintf(headers, n, "Content-Type, Content-Encoding, %s", asked);
		}
		MHD_add_response_header(resp, "Access-Control-Allow-Headers",
		                        headers ? headers : "Content-Type, Content-Encoding");
		free(headers);
		MHD_add_response_header(resp, "Access-Control-Max-Age", RECEIVER_CORS_MAX_AGE);
	}
	add_cors(resp, c);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NO_CONTENT, resp);
	MHD_destroy_response(resp);
	guard_answering(httpd_conn(c));
	count(counts, MHD_HTTP_NO_CONTENT);
	return ret;
}
