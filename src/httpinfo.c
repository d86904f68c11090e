/*
 * httpinfo — a served request's HTTP facts: bounded, checked text fields,
 * OpenTelemetry's HTTP server attributes built from them, and the
 * Server-Timing header value (httpinfo.h).
 */
#include "obslab/httpinfo.h"

#include <string.h>

#include "obslab/attrs.h"
#include "obslab/utf8.h"

/* U+FFFD, as the rest of obslab writes a byte that is not UTF-8. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

void http_info_init(struct http_info *h)
{
	memset(h, 0, sizeof *h);
}

static const struct {
	size_t offset, cap;
	const char *name;
} text_fields[HTTP_TEXT_COUNT] = {
	[HTTP_TEXT_METHOD] = { offsetof(struct http_info, method), HTTP_INFO_METHOD_CAP, "method" },
	[HTTP_TEXT_PROTOCOL] = { offsetof(struct http_info, protocol), HTTP_INFO_PROTOCOL_CAP, "protocol" },
	[HTTP_TEXT_PATH] = { offsetof(struct http_info, path), HTTP_INFO_PATH_CAP, "path" },
	[HTTP_TEXT_CLIENT_ADDRESS] = { offsetof(struct http_info, client_address), HTTP_INFO_ADDRESS_CAP, "client_address" },
	[HTTP_TEXT_SERVER_ADDRESS] = { offsetof(struct http_info, server_address), HTTP_INFO_ADDRESS_CAP, "server_address" },
	[HTTP_TEXT_USER_AGENT] = { offsetof(struct http_info, user_agent), HTTP_INFO_USER_AGENT_CAP, "user_agent" },
	[HTTP_TEXT_TRACESTATE] = { offsetof(struct http_info, tracestate), HTTP_INFO_TRACESTATE_CAP, "tracestate" },
};

char *http_info_text(struct http_info *h, enum http_info_text field, size_t *cap)
{
	if ((unsigned)field >= HTTP_TEXT_COUNT) {
		*cap = 0;
		return NULL;
	}
	*cap = text_fields[field].cap;
	return (char *)h + text_fields[field].offset;
}

const char *http_info_get_text(const struct http_info *h, enum http_info_text field)
{
	return (unsigned)field < HTTP_TEXT_COUNT ? (const char *)h + text_fields[field].offset : "";
}

const char *http_info_text_name(enum http_info_text field)
{
	return (unsigned)field < HTTP_TEXT_COUNT ? text_fields[field].name : NULL;
}

void http_info_set_text(struct http_info *h, enum http_info_text field, const char *value, size_t len)
{
	size_t cap;
	char *out = http_info_text(h, field, &cap);
	if (!out)
		return;
	h->truncated &= (uint8_t) ~(1u << field);
	if (!value)
		len = 0;
	const size_t mark = sizeof HTTP_INFO_TRUNCATION_MARK - 1;
	size_t o = 0, i = 0;
	bool cut = false;
	while (i < len) {
		unsigned char c = (unsigned char)value[i];
		if (c - 1u < 0x7fu && o < cap - 1) { /* ASCII but NUL: itself (utf8_char_len would say 1) */
			out[o++] = (char)c;
			i++;
			continue;
		}
		size_t n = utf8_char_len(value + i, len - i);
		const char *from = n ? value + i : UTF8_REPLACEMENT; /* not UTF-8, or NUL: U+FFFD for the byte */
		size_t used = n ? n : sizeof UTF8_REPLACEMENT - 1;
		if (used > cap - 1 - o) {
			cut = true;
			break;
		}
		memcpy(out + o, from, used);
		o += used;
		i += n ? n : 1;
	}
	if (cut) { /* whole characters, then the mark */
		if (o > cap - 1 - mark)
			o = utf8_cut(out, cap - 1 - mark);
		memcpy(out + o, HTTP_INFO_TRUNCATION_MARK, mark);
		o += mark;
		h->truncated |= (uint8_t)(1u << field);
	}
	out[o] = '\0';
}

void http_info_set_context(struct http_info *h, const struct tracectx *ctx)
{
	memcpy(h->trace_id, ctx->trace_id, sizeof h->trace_id);
	h->remote_parent_id = ctx->parent_id;
	h->trace_flags = ctx->flags;
	if (ctx->has_state)
		http_info_set_text(h, HTTP_TEXT_TRACESTATE, ctx->state, strlen(ctx->state));
	else
		http_info_set_text(h, HTTP_TEXT_TRACESTATE, NULL, 0);
}

static struct attr *add(struct attr *out, size_t *n, size_t cap, const char *key, enum attr_type type)
{
	if (*n >= cap)
		return NULL;
	struct attr *a = &out[(*n)++];
	memset(a, 0, sizeof *a);
	a->key = key;
	a->type = type;
	return a;
}

static void add_str(struct attr *out, size_t *n, size_t cap, const char *key, const char *value)
{
	struct attr *a;
	if (value && value[0] && (a = add(out, n, cap, key, ATTR_STRING)))
		a->s = value;
}

static void add_int(struct attr *out, size_t *n, size_t cap, const char *key, int64_t value)
{
	struct attr *a = add(out, n, cap, key, ATTR_INT);
	if (a)
		a->i = value;
}

/* HTTP's own methods (RFC 9110, RFC 5789): OpenTelemetry's known set. */
static const char *known_method(const char *m)
{
	static const char *const known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcmp(m, known[i]) == 0)
			return known[i];
	return NULL;
}

size_t http_info_attributes(const struct http_info *h, struct attr *out, size_t cap)
{
	size_t n = 0;
	if (h->method[0]) {
		const char *m = known_method(h->method);
		add_str(out, &n, cap, ATTR_KEY_HTTP_METHOD, m ? m : "_OTHER");
		if (!m)
			add_str(out, &n, cap, ATTR_KEY_HTTP_METHOD_ORIGINAL, h->method);
	}
	add_str(out, &n, cap, ATTR_KEY_URL_SCHEME, "http");
	add_str(out, &n, cap, ATTR_KEY_URL_PATH, h->path);
	add_str(out, &n, cap, ATTR_KEY_HTTP_ROUTE, h->route);
	if (h->status_code)
		add_int(out, &n, cap, ATTR_KEY_HTTP_STATUS_CODE, h->status_code);
	add_str(out, &n, cap, ATTR_KEY_SERVER_ADDRESS, h->server_address);
	if (h->server_port)
		add_int(out, &n, cap, ATTR_KEY_SERVER_PORT, h->server_port);
	add_str(out, &n, cap, ATTR_KEY_CLIENT_ADDRESS, h->client_address);
	add_str(out, &n, cap, ATTR_KEY_USER_AGENT, h->user_agent);
	add_str(out, &n, cap, ATTR_KEY_NET_PROTOCOL_VERSION, h->protocol);
	return n;
}

/* The three parts rounded to microseconds so that they add up to their
 * total rounded (largest remainder): each part's whole microseconds, then
 * the microseconds the rounded total has over their sum go one each to the
 * parts with the largest remainders (the first on a tie). Negative parts
 * count as 0. */
static void round_parts(const int64_t ns[3], int64_t us[3])
{
	int64_t rem[3], rems = 0;
	for (int i = 0; i < 3; i++) {
		int64_t v = ns[i] > 0 ? ns[i] : 0;
		us[i] = v / 1000;
		rem[i] = v % 1000;
		rems += rem[i];
	}
	/* the rounded total less the parts' whole microseconds, without adding
	 * the parts themselves (which may be as large as INT64_MAX) */
	for (int64_t extra = (rems + 500) / 1000; extra > 0; extra--) {
		int best = 0;
		for (int i = 1; i < 3; i++)
			if (rem[i] > rem[best])
				best = i;
		us[best]++;
		rem[best] = -1;
	}
}

/* Decimal digits of v at out (no terminator); returns how many. */
static size_t put_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Microseconds as milliseconds with three decimals, "1.234", no floating
 * point. Returns the bytes written (at most 24). */
static size_t put_ms3(char *out, int64_t us_signed)
{
	uint64_t us = us_signed > 0 ? (uint64_t)us_signed : 0;
	size_t o = put_u64(out, us / 1000);
	unsigned frac = (unsigned)(us % 1000);
	out[o++] = '.';
	out[o++] = (char)('0' + frac / 100);
	out[o++] = (char)('0' + frac / 10 % 10);
	out[o++] = (char)('0' + frac % 10);
	return o;
}

static size_t put_lit(char *out, const char *lit)
{
	size_t n = strlen(lit);
	memcpy(out, lit, n);
	return n;
}

/* Written by hand rather than with snprintf: it runs on every traced
 * response, and the formatted-output machinery was most of its cost. */
size_t server_timing_format(char *buf, size_t cap, int64_t app_ns, int64_t db_ns, int64_t net_ns,
                            const char *net_desc, const uint8_t trace_id[16])
{
	static const char digits[] = "0123456789abcdef";
	char text[3 * 24 + 96 + 64]; /* the longest value: three 20-digit millisecond counts, a desc */
	const int64_t ns[3] = { app_ns, db_ns, net_ns };
	int64_t us[3];
	round_parts(ns, us);
	size_t n = put_lit(text, "app;dur=");
	n += put_ms3(text + n, us[0]);
	n += put_lit(text + n, ", db;dur=");
	n += put_ms3(text + n, us[1]);
	n += put_lit(text + n, ", net;dur=");
	n += put_ms3(text + n, us[2]);
	if (net_desc && strlen(net_desc) < 64 - 10) {
		n += put_lit(text + n, ";desc=\"");
		n += put_lit(text + n, net_desc);
		text[n++] = '"';
	}
	n += put_lit(text + n, ", trace;desc=\"");
	for (int i = 0; i < 16; i++) {
		text[n++] = digits[trace_id[i] >> 4];
		text[n++] = digits[trace_id[i] & 15];
	}
	text[n++] = '"';
	if (cap > 0) {
		size_t k = n < cap ? n : cap - 1;
		memcpy(buf, text, k);
		buf[k] = '\0';
	}
	return n;
}

bool http_info_ran_lab(const struct http_info *h)
{
	static const char lab[] = "/users/analytics";
	size_t n = sizeof lab - 1;
	return h && h->route && strncmp(h->route, lab, n) == 0 && (h->route[n] == '\0' || h->route[n] == '/');
}
