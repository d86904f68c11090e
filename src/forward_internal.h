/*
 * forward_internal — the forwarder's answer reading, shared by forward.c
 * and forward_answer.c (pure functions, any thread), and its transfer
 * (forward_perform.c, the sending thread's).
 */
#ifndef OBSLAB_FORWARD_INTERNAL_H
#define OBSLAB_FORWARD_INTERNAL_H

#include <curl/curl.h>
#include <stdatomic.h>
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

/* curl_easy_perform of curl on multi (curl not in it), ended at *abort_at_ns
 * (CLOCK_MONOTONIC ns; INT64_MAX: never) with CURLE_ABORTED_BY_CALLBACK:
 * its poll waits no later than that, and curl_multi_wakeup(multi) from the
 * thread that moves *abort_at_ns makes it look again at once. (curl's
 * progress callback alone comes up to 1 s late while the endpoint is
 * silent.) */
CURLcode forward_perform(CURLM *multi, CURL *curl, _Atomic int64_t *abort_at_ns);

#endif
