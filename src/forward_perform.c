/*
 * forward_perform — the forwarder's one transfer at a time, run on a multi
 * handle so that a stop's deadline ends it on time (forward_internal.h).
 */
#include "forward_internal.h"

#include "obslab/clock.h"

CURLcode forward_perform(CURLM *multi, CURL *curl, _Atomic int64_t *abort_at_ns)
{
	CURLcode rc = CURLE_ABORTED_BY_CALLBACK;
	if (curl_multi_add_handle(multi, curl) != CURLM_OK)
		return CURLE_FAILED_INIT;
	for (;;) {
		int running = 0, left = 0;
		if (curl_multi_perform(multi, &running) != CURLM_OK) {
			rc = CURLE_FAILED_INIT;
			break;
		}
		CURLMsg *m = curl_multi_info_read(multi, &left);
		if (m && m->msg == CURLMSG_DONE) {
			rc = m->data.result;
			break;
		}
		int64_t wait_ms = (atomic_load(abort_at_ns) - clock_now_ns()) / CLOCK_NS_PER_MS;
		if (wait_ms < 0)
			break; /* the stop's deadline */
		curl_multi_poll(multi, NULL, 0, wait_ms < 1000 ? (int)wait_ms + 1 : 1000, NULL);
	}
	curl_multi_remove_handle(multi, curl);
	return rc;
}
