/*
 * receiver_http — the receiver's pure decisions on a request's headers
 * (media type, content coding, CORS origin, a preflight's header list) and
 * the bodies of its error answers (a google.rpc.Status in the request's
 * encoding). Internal to receiver.c; unit-tested (test_receiver), but for
 * rx_lengths_agree (a connection's headers: receive_test.sh). No state, any
 * thread.
 */
#ifndef OBSLAB_RECEIVER_HTTP_H
#define OBSLAB_RECEIVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "obslab/otlp.h"

/* Content-Type: application/x-protobuf or application/json, any case, with
 * parameters ("; charset=utf-8") or not. False (415) for anything else or
 * none. */
bool rx_media_type(const char *content_type, enum otlp_encoding *enc);

/* A JSON Content-Type's parameters: false when one is a charset other than
 * utf-8 (any case, quoted or not; "utf8" too), which is 415: OTLP/JSON is
 * UTF-8. No parameter, or other parameters, are fine. */
bool rx_json_charset_ok(const char *content_type);

struct MHD_Connection;

/* Whether the request's Content-Length headers, when it has more than one,
 * all say the same (RFC 9112 6.3: disagreeing ones are a framing error, 400
 * and the connection closed). libmicrohttpd keeps every header line;
 * it frames the body by the first. */
bool rx_lengths_agree(struct MHD_Connection *c);

/* Content-Encoding: none or identity (gzip false), gzip (true). False
 * (415) for any other coding or a list of them. */
bool rx_content_encoding(const char *content_encoding, bool *gzip);

/* An Origin on this machine: http:// or https://, then localhost,
 * 127.0.0.1 or [::1], then nothing or :PORT (1 to 5 digits). */
bool rx_origin_allowed(const char *origin);

/* DNS rebinding: a receiver listening on loopback answers only requests
 * whose Host names loopback (a page on a rebinding domain sends its own
 * name). rx_loopback_address: a bound address (httpd_bound's) in
 * 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. rx_host_allowed: a Host header of
 * localhost or localhost. (any case), a dotted 127.x.y.z, or [::1], then
 * nothing or :PORT (1 to 5 digits); NULL (no Host: HTTP/1.0, never a
 * browser) too. */
bool rx_loopback_address(const char *address);
/* How many Host fields a request has (RFC 9112 3.2: an HTTP/1.1 request
 * exactly one, an HTTP/1.0 one at most; else 400). libmicrohttpd does not
 * check (receive_test.sh). */
unsigned rx_host_count(struct MHD_Connection *c);
bool rx_host_allowed(const char *host);

/* A comma-separated list of header names (RFC 9110 tokens), optional white
 * space around the commas: what a preflight may ask to be allowed. */
bool rx_token_list(const char *s);

/* google.rpc.Status codes the answers use. */
enum rx_rpc_code { RX_RPC_INVALID_ARGUMENT = 3, RX_RPC_NOT_FOUND = 5, RX_RPC_PERMISSION_DENIED = 7, RX_RPC_RESOURCE_EXHAUSTED = 8,
                   RX_RPC_UNIMPLEMENTED = 12, RX_RPC_UNAVAILABLE = 14, RX_RPC_OUT_OF_RANGE = 11 };

/* A google.rpc.Status {code, message} in enc into out (its content replaced):
 * {"code":3,"message":"..."} for JSON, the protobuf message otherwise. */
void rx_status_body(enum otlp_encoding enc, enum rx_rpc_code code, const char *message, struct otlp_buf *out);

/* The Content-Type of an answer in enc. */
const char *rx_content_type(enum otlp_encoding enc);

#endif
