/*
 * tracectx — W3C Trace Context (Level 1): the traceparent and tracestate
 * request headers read as the specification says, and a traceparent
 * written for the next hop.
 *
 * traceparent: "00-<32 hex>-<16 hex>-<2 hex>", lowercase hex only; an
 * all-zero trace-id or parent-id, version ff, a version that is not two
 * lowercase hex digits followed by '-', or a wrong length is invalid and the
 * header is ignored (parse returns false, *out untouched). Version 00 is
 * exactly 55 characters. A higher version is read leniently as the
 * specification's "Versioning of traceparent" asks: at least 55
 * characters, the first three fields checked, then either the end or a '-'
 * (what follows is not read); of its flags only the sampled bit is kept.
 * Spaces and tabs around the value (HTTP's optional whitespace) are
 * ignored.
 *
 * tracestate: a comma-separated list of key=value members (Level 1 key and
 * value grammar), spaces and tabs around members ignored, empty members
 * allowed and dropped. A list that breaks the grammar, has more than 32
 * members or names a key twice is dropped whole (has_state false), as the
 * specification allows. The state kept is the list rewritten without its
 * optional whitespace; when that is longer than 512 characters, whole
 * members are removed as the specification asks (members longer than 128
 * characters first, then from the end) until it fits: obslab keeps and
 * propagates at most 512 characters. Call tracectx_parse_state only after
 * tracectx_parse_parent succeeded (the specification forbids reading
 * tracestate without a valid traceparent); several tracestate header
 * fields are joined with ',' by the caller first (RFC 9110 field order).
 *
 * Ids: the parent-id is a uint64_t read big-endian, so "%016" PRIx64 gives
 * the header's hex back, as every writer hexes span ids.
 *
 * Threads: pure functions on caller-owned memory, any thread.
 */
#ifndef OBSLAB_TRACECTX_H
#define OBSLAB_TRACECTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRACECTX_STATE_MAX 512  /* characters of tracestate kept */
#define TRACECTX_MAX_MEMBERS 32 /* list-members in a tracestate */
#define TRACECTX_FLAG_SAMPLED 0x01
#define TRACECTX_PARENT_LEN 55 /* a version 00 traceparent's length */

struct tracectx {
	uint8_t trace_id[16];
	uint64_t parent_id;
	uint8_t flags;
	char state[TRACECTX_STATE_MAX + 1];
	bool has_state;
};

/* A traceparent value; true and *out filled (its state cleared) when valid,
 * false and *out untouched otherwise. value NULL is invalid. */
bool tracectx_parse_parent(const char *value, struct tracectx *out);

/* A tracestate value into io->state (normalized, see above) with
 * io->has_state true; an invalid, empty or NULL one leaves has_state false
 * and state empty. */
void tracectx_parse_state(const char *value, struct tracectx *io);

/* "00-<trace id>-<span id>-<flags>" and a NUL: version 00, only the sampled
 * flag kept (the specification's other flags must be sent as zero). */
void tracectx_format_parent(const uint8_t trace_id[16], uint64_t span_id, uint8_t flags, char out[56]);

#endif
