/*
 * forward_answer — what the forwarder reads of an endpoint's answer
 * (forward_internal.h): partial_success's rejected spans and Retry-After;
 * and this process's Via entry (forward.h), made once.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "forward_internal.h"
#include "obslab/clock.h"
#include "obslab/forward.h"
#include "obslab/rng.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb-c.h"

uint64_t forward_partial_rejected(bool json, const char *body, size_t len, char *why, size_t cap)
{
	uint64_t n = 0;
	why[0] = '\0';
	if (!len)
		return 0;
	if (json) {
		cJSON *doc = cJSON_ParseWithLength(body, len);
		const cJSON *ps = cJSON_GetObjectItemCaseSensitive(doc, "partialSuccess");
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(ps, "rejectedSpans"); /* int64: a string, or a number */
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(ps, "errorMessage");
		if (cJSON_IsString(r))
			n = strtoull(r->valuestring, NULL, 10);
		else if (cJSON_IsNumber(r) && r->valuedouble > 0)
			n = (uint64_t)r->valuedouble;
		if (cJSON_IsString(m))
			snprintf(why, cap, "%s", m->valuestring);
		cJSON_Delete(doc);
	} else {
		Opentelemetry__Proto__Collector__Trace__V1__ExportTraceServiceResponse *r =
		    opentelemetry__proto__collector__trace__v1__export_trace_service_response__unpack(
		        NULL, len, (const uint8_t *)body);
		if (r && r->partial_success && r->partial_success->rejected_spans > 0) {
			n = (uint64_t)r->partial_success->rejected_spans;
			ProtobufCBinaryData msg = r->partial_success->error_message;
			snprintf(why, cap, "%.*s", (int)(msg.len < 200 ? msg.len : 200), msg.data ? (const char *)msg.data : "");
		}
		if (r)
			opentelemetry__proto__collector__trace__v1__export_trace_service_response__free_unpacked(r, NULL);
	}
	return n;
}

int64_t forward_retry_after_ns(const char *data, size_t len)
{
	static const char name[] = "retry-after:";
	if (!(len > sizeof name - 1 && len < 256 && strncasecmp(data, name, sizeof name - 1) == 0))
		return -1;
	char value[256];
	memcpy(value, data + sizeof name - 1, len - (sizeof name - 1));
	value[len - (sizeof name - 1)] = '\0';
	char *v = value + strspn(value, " \t");
	v[strcspn(v, "\r\n")] = '\0';
	int64_t ns = 0;
	if (*v >= '0' && *v <= '9') {
		char *end;
		unsigned long long s = strtoull(v, &end, 10);
		if (*end == '\0' || *end == ' ')
			ns = s > 300 ? FORWARD_RETRY_AFTER_MAX_NS : (int64_t)s * CLOCK_NS_PER_S;
	} else {
		time_t when = curl_getdate(v, NULL);
		time_t now = time(NULL);
		if (when != (time_t)-1)
			ns = when <= now ? 0 : when - now > 300 ? FORWARD_RETRY_AFTER_MAX_NS : (int64_t)(when - now) * CLOCK_NS_PER_S;
	}
	return ns;
}

static pthread_once_t via_once = PTHREAD_ONCE_INIT;
static char via_self[32];

static void via_init_once(void)
{
	struct rng r;
	rng_seed_random(&r);
	snprintf(via_self, sizeof via_self, "1.1 obslab-%016llx", (unsigned long long)rng_next(&r));
}

const char *forward_via_self(void)
{
	pthread_once(&via_once, via_init_once);
	return via_self;
}
