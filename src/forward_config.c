/*
 * forward_config — where and how the forwarder sends (forward.h): the
 * --forward flag and the OpenTelemetry exporter variables, as the
 * specification's "OTLP Exporter Configuration" defines them:
 *
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the traces URL, used as it is
 *   OTEL_EXPORTER_OTLP_ENDPOINT         a base URL: "v1/traces" appended
 *                                       (after a '/' added when it has none)
 *   OTEL_EXPORTER_OTLP_[TRACES_]HEADERS k=v,k2=v2 (W3C baggage-like, values
 *                                       percent-decoded)
 *   OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL http/protobuf (default), http/json;
 *                                       grpc is refused: obslab speaks OTLP/HTTP
 *   OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION gzip (obslab's default), none
 *   OTEL_SERVICE_NAME                   the lab's service.name (obslab-lab)
 *
 * An empty variable counts as unset, as the specification says. The queue
 * bound may be lowered with OBSLAB_FORWARD_MAX_QUEUE_SPANS (the tests use
 * it). Pure apart from the variables it reads. The forwarder's figures as
 * text (the summary line, the status bar's phrase) are here too: pure.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "obslab/clock.h"
#include "obslab/forward.h"

void forward_config_defaults(struct forward_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->gzip = true;
	snprintf(cfg->service_name, sizeof cfg->service_name, "%s", FORWARD_DEFAULT_SERVICE_NAME);
	cfg->max_queue_spans = FORWARD_DEFAULT_MAX_QUEUE_SPANS;
	cfg->max_batch_spans = FORWARD_DEFAULT_MAX_BATCH_SPANS;
	cfg->max_delay_ns = FORWARD_DEFAULT_MAX_DELAY_NS;
	cfg->connect_timeout_ms = FORWARD_DEFAULT_CONNECT_TIMEOUT_MS;
	cfg->timeout_ms = FORWARD_DEFAULT_TIMEOUT_MS;
	cfg->backoff_min_ns = FORWARD_DEFAULT_BACKOFF_MIN_NS;
	cfg->backoff_max_ns = FORWARD_DEFAULT_BACKOFF_MAX_NS;
}

static const char *env_of(forward_getenv_fn *fn, void *ctx, const char *name)
{
	const char *v = fn(ctx, name);
	return v && *v ? v : NULL;
}

/* The TRACES_ variant first, then the general one. */
static const char *env_pair(forward_getenv_fn *fn, void *ctx, const char *traces, const char *general,
                            const char **which)
{
	const char *v = env_of(fn, ctx, traces);
	*which = traces;
	if (!v) {
		v = env_of(fn, ctx, general);
		*which = general;
	}
	return v;
}

/* RFC 9110 token characters: what a header name may hold. */
static bool token_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* s[0..n) trimmed of blanks, percent-decoded into out (cap bytes); false
 * when a %XX is malformed, the result holds a control character, or it does
 * not fit. */
static bool decode_part(const char *s, size_t n, char *out, size_t cap)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return false;
			int h = hex_digit(s[i + 1]), l = hex_digit(s[i + 2]);
			if (h < 0 || l < 0)
				return false;
			c = (unsigned char)(h * 16 + l);
			i += 2;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f || k + 1 >= cap)
			return false;
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return true;
}

static bool parse_headers(struct forward_config *cfg, const char *list, const char *what, struct obslab_error *err)
{
	cfg->nheaders = 0;
	const char *p = list;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		char name[256], value[FORWARD_HEADER_MAX];
		bool blank = true;
		for (size_t i = 0; i < len; i++)
			blank &= p[i] == ' ' || p[i] == '\t';
		if (blank) { /* "a=1,,b=2" or a trailing comma: nothing there */
			p += len + (end ? 1 : 0);
			continue;
		}
		if (!eq)
			return obslab_error_set(err, "%s takes name=value pairs separated by commas: an entry has no '='", what);
		if (!decode_part(p, (size_t)(eq - p), name, sizeof name) || !*name)
			return obslab_error_set(err, "%s has an empty, too long or undecodable header name", what);
		for (const char *c = name; *c; c++)
			if (!token_char((unsigned char)*c))
				return obslab_error_set(err, "%s: '%.60s' is not a valid HTTP header name", what, name);
		if (!decode_part(eq + 1, len - (size_t)(eq + 1 - p), value, sizeof value))
			return obslab_error_set(err, "%s: header '%.60s' has a value with a control character (CR, LF), "
			                             "a bad %%XX escape, or too long", what, name);
		if (cfg->nheaders == FORWARD_MAX_HEADERS)
			return obslab_error_set(err, "%s has more than %d headers", what, FORWARD_MAX_HEADERS);
		int w = snprintf(cfg->headers[cfg->nheaders], FORWARD_HEADER_MAX, "%s: %s", name, value);
		if (w < 0 || w >= FORWARD_HEADER_MAX)
			return obslab_error_set(err, "%s: header '%.60s' is too long", what, name);
		cfg->nheaders++;
		p += len + (end ? 1 : 0);
	}
	return true;
}

static const char *real_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

bool forward_config_load_from(struct forward_config *cfg, const char *flag_url, bool *enabled,
                              forward_getenv_fn *getenv_fn, void *ctx, struct obslab_error *err)
{
	forward_config_defaults(cfg);
	*enabled = false;
	const char *which;
	if (flag_url) {
		if (!forward_url_check(flag_url, "--forward", err))
			return false;
		snprintf(cfg->url, sizeof cfg->url, "%s", flag_url);
	} else {
		const char *traces = env_of(getenv_fn, ctx, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
		const char *base = env_of(getenv_fn, ctx, "OTEL_EXPORTER_OTLP_ENDPOINT");
		if (traces) {
			if (!forward_url_check(traces, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", err))
				return false;
			snprintf(cfg->url, sizeof cfg->url, "%s", traces);
		} else if (base) {
			if (!forward_url_check(base, "OTEL_EXPORTER_OTLP_ENDPOINT", err))
				return false;
			size_t n = strlen(base);
			const char *sep = n && base[n - 1] == '/' ? "" : "/";
			int w = snprintf(cfg->url, sizeof cfg->url, "%s%sv1/traces", base, sep);
			if (w < 0 || (size_t)w >= sizeof cfg->url)
				return obslab_error_set(err, "OTEL_EXPORTER_OTLP_ENDPOINT is too long");
		} else {
			return true; /* nothing asks for forwarding */
		}
	}
	const char *v = env_pair(getenv_fn, ctx, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL", &which);
	if (v) {
		if (strcmp(v, "http/protobuf") == 0)
			cfg->json = false;
		else if (strcmp(v, "http/json") == 0)
			cfg->json = true;
		else if (strcmp(v, "grpc") == 0)
			return obslab_error_set(err, "%s=grpc: obslab forwards over OTLP/HTTP only; use http/protobuf or "
			                             "http/json (port 4318)", which);
		else
			return obslab_error_set(err, "%s takes http/protobuf or http/json, not '%.60s'", which, v);
	}
	v = env_pair(getenv_fn, ctx, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION", &which);
	if (v) {
		if (strcmp(v, "gzip") == 0)
			cfg->gzip = true;
		else if (strcmp(v, "none") == 0)
			cfg->gzip = false;
		else
			return obslab_error_set(err, "%s takes gzip or none, not '%.60s'", which, v);
	}
	v = env_pair(getenv_fn, ctx, "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS", &which);
	if (v && !parse_headers(cfg, v, which, err))
		return false;
	v = env_of(getenv_fn, ctx, "OTEL_SERVICE_NAME");
	if (v) {
		if (strlen(v) >= sizeof cfg->service_name)
			return obslab_error_set(err, "OTEL_SERVICE_NAME is too long: at most %d bytes", FORWARD_SERVICE_MAX - 1);
		snprintf(cfg->service_name, sizeof cfg->service_name, "%s", v);
	}
	v = env_of(getenv_fn, ctx, "OBSLAB_FORWARD_MAX_QUEUE_SPANS");
	if (v) {
		char *end;
		unsigned long long q = strtoull(v, &end, 10);
		if (*end || q < 1 || q > (1ull << 24) || *v == '-')
			return obslab_error_set(err, "OBSLAB_FORWARD_MAX_QUEUE_SPANS takes spans from 1 to %u, not '%.40s'",
			                        1u << 24, v);
		cfg->max_queue_spans = (size_t)q;
	}
	*enabled = true;
	return true;
}

bool forward_config_load(struct forward_config *cfg, const char *flag_url, bool *enabled, struct obslab_error *err)
{
	return forward_config_load_from(cfg, flag_url, enabled, real_getenv, NULL, err);
}

/* ---- the figures as text (forward.h) ---------------------------------------- */

/* 999, 1.2k, 34k, 1.2M */
static void count_text(uint64_t n, char *buf, size_t cap)
{
	if (n < 1000)
		snprintf(buf, cap, "%" PRIu64, n);
	else if (n < 10000)
		snprintf(buf, cap, "%.1fk", (double)(n / 100) / 10.0);
	else if (n < 1000000)
		snprintf(buf, cap, "%" PRIu64 "k", n / 1000);
	else
		snprintf(buf, cap, "%.1fM", (double)(n / 100000) / 10.0);
}

void forward_summary(const struct forward_stats *st, const char *url, char *buf, size_t cap)
{
	char timed_out[96] = "";
	if (st->timed_out_spans)
		snprintf(timed_out, sizeof timed_out, "; %" PRIu64 " span%s timed out (the endpoint may have received them)",
		         st->timed_out_spans, st->timed_out_spans == 1 ? "" : "s");
	bool lost = st->dropped_spans || st->timed_out_spans;
	snprintf(buf, cap, "obslab: forwarded %" PRIu64 " span%s to %s; dropped %" PRIu64 "; retried %" PRIu64 "%s%s%s",
	         st->sent_spans, st->sent_spans == 1 ? "" : "s", url, st->dropped_spans, st->retries, timed_out,
	         st->last_error[0] && lost ? "; last error: " : "", lost ? st->last_error : "");
}

/* Seconds until the next retry, rounded up. */
static long retry_seconds(const struct forward_stats *st, int64_t now_ns)
{
	int64_t left = st->retry_at_ns - now_ns;
	return left <= 0 ? 0 : (long)((left + CLOCK_NS_PER_S - 1) / CLOCK_NS_PER_S);
}

/* " · dropped 37 · timed out 46" after the state's n bytes in buf. */
static void state_losses(const struct forward_stats *st, const char *dot, int n, char *buf, size_t cap)
{
	char dropped[16];
	count_text(st->dropped_spans, dropped, sizeof dropped);
	if (st->dropped_spans && n >= 0 && (size_t)n < cap)
		n += snprintf(buf + n, cap - (size_t)n, " %s dropped %s", dot, dropped);
	if (st->timed_out_spans && n >= 0 && (size_t)n < cap) {
		char timed_out[16];
		count_text(st->timed_out_spans, timed_out, sizeof timed_out);
		snprintf(buf + n, cap - (size_t)n, " %s timed out %s", dot, timed_out);
	}
}

void forward_state_short(const struct forward_stats *st, int64_t now_ns, const char *dot, char *buf, size_t cap)
{
	char sent[16];
	count_text(st->sent_spans, sent, sizeof sent);
	int n = 0;
	switch (st->state) {
	case FORWARD_IDLE: n = snprintf(buf, cap, "idle"); break;
	case FORWARD_CONNECTED: n = snprintf(buf, cap, "%s sent", sent); break;
	case FORWARD_RETRYING: n = snprintf(buf, cap, "retrying %lds", retry_seconds(st, now_ns)); break;
	case FORWARD_FAILING: n = snprintf(buf, cap, "failing"); break;
	}
	state_losses(st, dot, n, buf, cap);
}

void forward_state_text(const struct forward_stats *st, int64_t now_ns, const char *dot, char *buf, size_t cap)
{
	char sent[16];
	count_text(st->sent_spans, sent, sizeof sent);
	int n = 0;
	switch (st->state) {
	case FORWARD_IDLE: n = snprintf(buf, cap, "idle"); break;
	case FORWARD_CONNECTED: n = snprintf(buf, cap, "connected %s %s sent", dot, sent); break;
	case FORWARD_RETRYING:
		n = snprintf(buf, cap, "retrying in %lds (%s)", retry_seconds(st, now_ns), st->last_error);
		break;
	case FORWARD_FAILING: n = snprintf(buf, cap, "failing: %s", st->last_error); break;
	}
	state_losses(st, dot, n, buf, cap);
}
