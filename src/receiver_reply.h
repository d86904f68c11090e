/*
 * receiver_reply — how the OTLP receiver answers a request: the answer
 * queued on the connection with the headers its status needs (Allow on a
 * 405, Retry-After on a 429 or 503, Connection: close on a 503 or when
 * asked, the CORS headers for an allowed origin), an error answer's
 * google.rpc.Status body in the request's encoding, and the CORS preflight.
 * Internal to receiver.c. Called on libmicrohttpd's pool threads, from a
 * request's handler. Each answer is counted in the receiver's rx_answers
 * (atomic, relaxed) unless its response could not be made; MHD_NO when it
 * could not be made or queued.
 */
#ifndef OBSLAB_RECEIVER_REPLY_H
#define OBSLAB_RECEIVER_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "httpd.h"
#include "obslab/otlp.h"
#include "receiver_http.h"

/* The answers sent, by kind (what receiver_get_stats reports). */
struct rx_answers {
	_Atomic uint64_t requests;    /* every answer */
	_Atomic uint64_t busy;        /* 429, 503 */
	_Atomic uint64_t bad;         /* 400, 403 */
	_Atomic uint64_t too_large;   /* 413 */
	_Atomic uint64_t unsupported; /* 404, 405, 415 */
};

/* close: the connection closes after the answer (its framing is in doubt).
 * body is copied. */
enum MHD_Result rx_send_answer_close(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                                     const char *content_type, const void *body, size_t len, bool close);
enum MHD_Result rx_send_answer(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                               const char *content_type, const void *body, size_t len);

/* An error answer: a google.rpc.Status in enc saying why. */
enum MHD_Result rx_send_status_close(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                                     enum otlp_encoding enc, enum rx_rpc_code code, const char *message,
                                     bool close);
enum MHD_Result rx_send_status(struct rx_answers *counts, struct MHD_Connection *c, unsigned status,
                               enum otlp_encoding enc, enum rx_rpc_code code, const char *message);

/* The google.rpc code that goes with an HTTP status. */
enum rx_rpc_code rx_code_of(unsigned status);

/* The preflight: 204 with what may be sent (CORS headers only for an allowed origin). */
enum MHD_Result rx_send_preflight(struct rx_answers *counts, struct MHD_Connection *c);

#endif
