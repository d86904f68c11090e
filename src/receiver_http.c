/*
 * receiver_http — the receiver's header checks and error bodies (see
 * receiver_http.h).
 */
#include "receiver_http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "google/rpc/status.pb-c.h"
#include "obslab/xalloc.h"

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* s[0..n) with optional white space around, equal (any case) to word. */
static bool trimmed_equals(const char *s, size_t n, const char *word)
{
	while (n > 0 && is_ows(*s))
		s++, n--;
	while (n > 0 && is_ows(s[n - 1]))
		n--;
	return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

bool rx_media_type(const char *content_type, enum otlp_encoding *enc)
{
	if (!content_type)
		return false;
	size_t n = strcspn(content_type, ";");
	if (trimmed_equals(content_type, n, "application/x-protobuf"))
		*enc = OTLP_PROTOBUF;
	else if (trimmed_equals(content_type, n, "application/json"))
		*enc = OTLP_JSON;
	else
		return false;
	return true;
}

bool rx_json_charset_ok(const char *content_type)
{
	const char *p = content_type ? strchr(content_type, ';') : NULL;
	while (p) {
		p++; /* past ';' */
		size_t n = strcspn(p, ";");
		const char *eq = memchr(p, '=', n);
		if (eq && trimmed_equals(p, (size_t)(eq - p), "charset")) {
			const char *v = eq + 1;
			size_t vn = n - (size_t)(v - p);
			while (vn > 0 && is_ows(*v))
				v++, vn--;
			while (vn > 0 && is_ows(v[vn - 1]))
				vn--;
			if (vn >= 2 && v[0] == '"' && v[vn - 1] == '"') /* a quoted-string */
				v++, vn -= 2;
			if (!trimmed_equals(v, vn, "utf-8") && !trimmed_equals(v, vn, "utf8"))
				return false;
		}
		p = strchr(p, ';');
	}
	return true;
}

struct rx_lengths {
	const char *first;
	bool differ;
};

static enum MHD_Result one_length(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	struct rx_lengths *l = cls;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0 || !value)
		return MHD_YES;
	if (!l->first)
		l->first = value;
	else if (strcmp(l->first, value) != 0)
		l->differ = true;
	return MHD_YES;
}

bool rx_lengths_agree(struct MHD_Connection *c)
{
	struct rx_lengths l = { 0 };
	MHD_get_connection_values(c, MHD_HEADER_KIND, one_length, &l);
	return !l.differ;
}

static enum MHD_Result one_host(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind, (void)value;
	if (key && strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0)
		(*(unsigned *)cls)++;
	return MHD_YES;
}

unsigned rx_host_count(struct MHD_Connection *c)
{
	unsigned n = 0;
	MHD_get_connection_values(c, MHD_HEADER_KIND, one_host, &n);
	return n;
}

bool rx_content_encoding(const char *content_encoding, bool *gzip)
{
	*gzip = false;
	if (!content_encoding)
		return true;
	size_t n = strlen(content_encoding);
	if (trimmed_equals(content_encoding, n, "identity"))
		return true;
	if (trimmed_equals(content_encoding, n, "gzip") || trimmed_equals(content_encoding, n, "x-gzip")) {
		*gzip = true;
		return true;
	}
	return false;
}

bool rx_origin_allowed(const char *origin)
{
	if (!origin)
		return false;
	const char *rest;
	if (strncmp(origin, "http://", 7) == 0)
		rest = origin + 7;
	else if (strncmp(origin, "https://", 8) == 0)
		rest = origin + 8;
	else
		return false;
	static const char *const hosts[] = { "localhost", "127.0.0.1", "[::1]" };
	size_t hostlen = 0;
	for (size_t i = 0; i < sizeof hosts / sizeof hosts[0] && !hostlen; i++)
		if (strncmp(rest, hosts[i], strlen(hosts[i])) == 0)
			hostlen = strlen(hosts[i]);
	if (!hostlen)
		return false;
	rest += hostlen;
	if (*rest == ':') {
		size_t digits = strspn(rest + 1, "0123456789");
		if (digits < 1 || digits > 5)
			return false;
		rest += 1 + digits;
	}
	return *rest == '\0';
}

bool rx_loopback_address(const char *address)
{
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, address, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, address, &v6) != 1)
		return false;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(v6.s6_addr, mapped, 12) == 0)
		return v6.s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(&v6);
}

/* A dotted-quad IPv4 address (four decimal octets, no leading zeros) in
 * 127.0.0.0/8: s[0..n). */
static bool loopback_v4(const char *s, size_t n)
{
	char text[16];
	if (n == 0 || n >= sizeof text || strspn(s, "0123456789.") < n)
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	struct in_addr a; /* inet_pton takes only the dotted quad, each part 0 to 255 */
	return inet_pton(AF_INET, text, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

bool rx_host_allowed(const char *host)
{
	if (!host)
		return true;
	size_t n;
	if (host[0] == '[') {
		if (strncmp(host, "[::1]", 5) != 0)
			return false;
		n = 5;
	} else {
		n = strcspn(host, ":");
		if (!((n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
		      (n == 10 && strncasecmp(host, "localhost.", 10) == 0) || loopback_v4(host, n)))
			return false;
	}
	const char *rest = host + n;
	if (*rest == ':') {
		size_t digits = strspn(rest + 1, "0123456789");
		if (digits < 1 || digits > 5)
			return false;
		rest += 1 + digits;
	}
	return *rest == '\0';
}

static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool rx_token_list(const char *s)
{
	if (!s)
		return false;
	bool token = false; /* the current element has a token */
	bool any = false;
	for (const char *p = s;; p++) {
		if (*p == ',' || *p == '\0') {
			if (!token)
				return false; /* an empty element */
			any = true;
			token = false;
			if (*p == '\0')
				break;
			continue;
		}
		if (is_ows(*p))
			continue;
		if (!is_tchar((unsigned char)*p))
			return false;
		if (token && is_ows(p[-1]))
			return false; /* two tokens in one element */
		token = true;
	}
	return any;
}

static void set_buf(struct otlp_buf *out, const void *data, size_t len)
{
	if (out->cap < len + 1) {
		free(out->data);
		out->data = xmalloc(len + 1);
		out->cap = len + 1;
	}
	if (len)
		memcpy(out->data, data, len);
	out->data[len] = '\0';
	out->len = len;
}

void rx_status_body(enum otlp_encoding enc, enum rx_rpc_code code, const char *message, struct otlp_buf *out)
{
	if (enc == OTLP_JSON) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddNumberToObject(doc, "code", (double)code);
		cJSON_AddStringToObject(doc, "message", message);
		char *text = cJSON_PrintUnformatted(doc);
		cJSON_Delete(doc);
		set_buf(out, text, strlen(text));
		cJSON_free(text);
		return;
	}
	char text[512];
	snprintf(text, sizeof text, "%s", message);
	Google__Rpc__Status st;
	google__rpc__status__init(&st);
	st.code = (int32_t)code;
	st.message = text;
	size_t n = google__rpc__status__get_packed_size(&st);
	uint8_t *packed = xmalloc(n + 1);
	google__rpc__status__pack(&st, packed);
	set_buf(out, packed, n);
	free(packed);
}

const char *rx_content_type(enum otlp_encoding enc)
{
	return enc == OTLP_JSON ? "application/json" : "application/x-protobuf";
}
