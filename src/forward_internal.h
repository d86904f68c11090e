/*
 * forward_internal — the forwarder's answer reading, shared by forward.c
 * and forward_answer.c (pure functions, any thread).
 */
#ifndef OBSLAB_FORWARD_INTERNAL_H
#define OBSLAB_FORWARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FORWARD_RETRY_AFTER_MAX_NS (300LL * 1000 * 1000 * 1000)

/* The spans a 2xx answer's partial_success says were rejected (0: none),
 * with its message in why; body is the answer (protobuf, or JSON). */
uint64_t forward_partial_rejected(bool json, const char *body, size_t len, char *why, size_t cap);

/* A header line's Retry-After (delay-seconds or an HTTP date) in ns, at
 * most FORWARD_RETRY_AFTER_MAX_NS; 0 for a date past; -1 when the line is
 * not a Retry-After or says nothing readable. */
int64_t forward_retry_after_ns(const char *line, size_t len);

#endif
