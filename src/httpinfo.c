/*
 * httpinfo — a served request's HTTP facts: bounded, checked text fields,
 * OpenTelemetry's HTTP server attributes built from them, and the
 * Server-Timing header value (httpinfo.h).
 */
#include "obslab/httpinfo.h"

#include <inttypes.h>
#include <stdio.h>
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

/* ns as milliseconds with three decimals, "1.234": whole microseconds, no floating point. */
static void ms3(char out[32], int64_t ns)
{
	int64_t us = ns > 0 ? ns / 1000 : 0;
	snprintf(out, 32, "%" PRId64 ".%03" PRId64, us / 1000, us % 1000);
}

size_t server_timing_format(char *buf, size_t cap, int64_t app_ns, int64_t db_ns, int64_t net_ns,
                            const uint8_t trace_id[16])
{
	char app[32], db[32], net[32];
	static const char digits[] = "0123456789abcdef";
	char id[33];
	for (int i = 0; i < 16; i++) {
		id[2 * i] = digits[trace_id[i] >> 4];
		id[2 * i + 1] = digits[trace_id[i] & 15];
	}
	id[32] = '\0';
	ms3(app, app_ns);
	ms3(db, db_ns);
	ms3(net, net_ns);
	int n = snprintf(buf, cap, "app;dur=%s, db;dur=%s, net;dur=%s, trace;desc=\"%s\"", app, db, net, id);
	return n < 0 ? 0 : (size_t)n;
}

bool http_info_ran_lab(const struct http_info *h)
{
	static const char lab[] = "/users/analytics";
	size_t n = sizeof lab - 1;
	return h && h->route && strncmp(h->route, lab, n) == 0 && (h->route[n] == '\0' || h->route[n] == '/');
}
