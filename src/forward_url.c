/*
 * forward_url — the forwarder's URL and loop checks (forward.h): a URL
 * obslab can send to (libcurl's parser has the last word, an empty port or
 * port 0 refused), the URL as it may be shown (credentials masked), whether
 * a URL names the receiver itself, and the Via list a request came with
 * (RFC 9110 §7.6.3): its entries counted, this process's found.
 * Pure, apart from getifaddrs(3) (the machine's addresses) in
 * forward_url_is_self and forward_via_self's id.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "obslab/forward.h"
#include "obslab/server.h"

/* ---- the URL as shown ---------------------------------------------------------- */

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n && o->len + 1 < o->cap; i++)
		o->buf[o->len++] = s[i];
	if (o->cap)
		o->buf[o->len] = '\0';
}

void forward_url_mask(const char *url, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0 };
	if (cap)
		buf[0] = '\0';
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : url;
	put(&o, url, (size_t)(auth - url));
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			at = auth + i; /* the last: a password may hold '@' unescaped */
	if (at) {
		put(&o, "***", 3);
		put(&o, at, (size_t)(auth + alen - at));
	} else {
		put(&o, auth, alen);
	}
	const char *p = auth + alen;
	size_t plen = strcspn(p, "?#");
	put(&o, p, plen);
	p += plen;
	if (*p == '?') { /* each value masked: ?key=***&other=*** */
		put(&o, "?", 1);
		p++;
		while (*p && *p != '#') {
			size_t n = strcspn(p, "&#");
			const char *eq = memchr(p, '=', n);
			if (eq) {
				put(&o, p, (size_t)(eq - p) + 1);
				put(&o, "***", 3);
			} else {
				put(&o, p, n);
			}
			p += n;
			if (*p == '&')
				put(&o, p++, 1);
		}
	}
	if (*p == '#' && p[1]) /* a fragment is never sent; what it holds is not shown either */
		put(&o, "#***", 4);
	else
		put(&o, p, strlen(p));
}

/* ---- a URL obslab can send to ------------------------------------------------------ */

/* The port part of url's authority ("" after a bare ':'), or NULL when it names none. */
static const char *port_part(const char *url, char *buf, size_t cap)
{
	const char *scheme = strstr(url, "://");
	const char *auth = scheme ? scheme + 3 : url;
	size_t alen = strcspn(auth, "/?#");
	const char *host = auth;
	for (size_t i = 0; i < alen; i++)
		if (auth[i] == '@')
			host = auth + i + 1;
	const char *end = auth + alen;
	if (*host == '[') { /* an IPv6 literal: the port after ']' */
		const char *close = memchr(host, ']', (size_t)(end - host));
		host = close ? close + 1 : end;
	}
	const char *colon = memchr(host, ':', (size_t)(end - host));
	if (!colon)
		return NULL;
	snprintf(buf, cap, "%.*s", (int)(end - colon - 1), colon + 1);
	return buf;
}

bool forward_url_check(const char *url, const char *what, struct obslab_error *err)
{
	size_t n = strlen(url);
	if (n >= FORWARD_URL_MAX)
		return obslab_error_set(err, "%s is too long: at most %d bytes", what, FORWARD_URL_MAX - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return obslab_error_set(err, "%s must be a URL without blanks or control characters", what);
	char shown[FORWARD_URL_MAX];
	forward_url_mask(url, shown, sizeof shown);
	if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		return obslab_error_set(err, "%s takes an http:// or https:// URL (OTLP/HTTP), not '%.200s'", what, shown);
	char portbuf[64];
	const char *port = port_part(url, portbuf, sizeof portbuf);
	if (port && !*port) /* libcurl would use 80 or 443 without a word */
		return obslab_error_set(err, "%s has an empty port after ':' in '%.200s': write the port, or no ':'", what,
		                        shown);
	if (port && strspn(port, "0") == strlen(port))
		return obslab_error_set(err, "%s names port 0 in '%.200s': no server listens there", what, shown);
	CURLU *u = curl_url();
	bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
	char *host = NULL;
	if (ok && (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host))
		ok = false;
	curl_free(host);
	curl_url_cleanup(u);
	if (!ok)
		return obslab_error_set(err, "%s is not a URL obslab can send to: '%.200s'", what, shown);
	return true;
}

/* ---- the receiver itself? ----------------------------------------------------------- */

struct addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char a[16];
};

/* What a host names as addresses: up to two, or every address of this
 * machine of a family (*any: AF_INET, AF_INET6) for a listening wildcard.
 * False for a name (other than localhost). connect(2) takes 0.0.0.0 and
 * :: for the loopback address (url_side). */
static bool host_addrs(const char *host, bool url_side, struct addr out[2], size_t *n, int *any)
{
	char h[SERVER_HOST_MAX];
	size_t len = strlen(host);
	if (len > 2 && host[0] == '[' && host[len - 1] == ']')
		snprintf(h, sizeof h, "%.*s", (int)(len - 2), host + 1);
	else
		snprintf(h, sizeof h, "%s", host[0] ? host : SERVER_DEFAULT_HOST);
	*n = 0;
	*any = 0;
	if (strcasecmp(h, "localhost") == 0 || strcasecmp(h, "localhost.") == 0) {
		out[0] = (struct addr){ AF_INET, { 127, 0, 0, 1 } };
		out[1] = (struct addr){ AF_INET6, { 0 } };
		out[1].a[15] = 1;
		*n = 2;
		return true;
	}
	struct addr a = { AF_INET, { 0 } };
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char zero[16] = { 0 };
	if (inet_pton(AF_INET6, h, a.a) == 1) {
		a.family = AF_INET6;
		if (memcmp(a.a, mapped, 12) == 0) { /* ::ffff:a.b.c.d is a.b.c.d */
			memmove(a.a, a.a + 12, 4);
			memset(a.a + 4, 0, 12);
			a.family = AF_INET;
		}
	} else if (inet_pton(AF_INET, h, a.a) != 1) {
		return false;
	}
	if (memcmp(a.a, zero, a.family == AF_INET ? 4 : 16) == 0) {
		if (!url_side) {
			*any = a.family;
			return true;
		}
		if (a.family == AF_INET)
			a.a[0] = 127, a.a[3] = 1;
		else
			a.a[15] = 1;
	}
	out[(*n)++] = a;
	return true;
}

static bool same_addr(const struct addr *x, const struct addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, x->family == AF_INET ? 4 : 16) == 0;
}

/* A loopback address, or one of this machine's interfaces'. */
static bool local_addr(const struct addr *a)
{
	static const unsigned char one6[16] = { [15] = 1 };
	if ((a->family == AF_INET && a->a[0] == 127) || (a->family == AF_INET6 && memcmp(a->a, one6, 16) == 0))
		return true;
	struct ifaddrs *list = NULL;
	if (getifaddrs(&list) != 0)
		return false;
	bool found = false;
	for (struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != a->family)
			continue;
		struct addr b = { a->family, { 0 } };
		if (a->family == AF_INET)
			memcpy(b.a, &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr, 4);
		else
			memcpy(b.a, &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr, 16);
		found = same_addr(a, &b);
	}
	freeifaddrs(list);
	return found;
}

bool forward_url_is_self(const char *url, const char *host, uint16_t port)
{
	if (port == 0)
		return false; /* any free port: never the one a URL names */
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;
	bool self = false;
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK && strtoul(p, NULL, 10) == port) {
		struct addr ua[2], la[2];
		size_t un, ln;
		int uany, lany;
		bool unum = host_addrs(h, true, ua, &un, &uany);
		bool lnum = host_addrs(host, false, la, &ln, &lany);
		if (!unum || !lnum) { /* a name: only the same name is known to be the same */
			char bare[SERVER_HOST_MAX];
			size_t n = strlen(host);
			snprintf(bare, sizeof bare, "%.*s", (int)(n > 2 && host[0] == '[' ? n - 2 : n), host + (n > 2 && host[0] == '['));
			self = !unum && !lnum && strcasecmp(h, bare) == 0;
		} else {
			for (size_t i = 0; i < un && !self; i++) {
				if (lany)
					self = ua[i].family == lany && local_addr(&ua[i]);
				for (size_t k = 0; k < ln && !self; k++)
					self = same_addr(&ua[i], &la[k]);
			}
		}
	}
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return self;
}

/* ---- Via ------------------------------------------------------------------------------- */

/* Each entry of a Via list (the elements between commas outside comments):
 * fn(entry, len, ctx) until it returns false. The number of entries. */
static size_t via_each(const char *via, bool (*fn)(const char *, size_t, void *), void *ctx)
{
	size_t count = 0;
	const char *p = via ? via : "";
	while (*p) {
		const char *start = p;
		int depth = 0;
		for (; *p && !(depth == 0 && *p == ','); p++) {
			if (*p == '\\' && depth && p[1])
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && depth)
				depth--;
		}
		const char *end = p;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (end > start) {
			count++;
			if (fn && !fn(start, (size_t)(end - start), ctx))
				return count;
		}
		if (*p == ',')
			p++;
	}
	return count;
}

size_t forward_via_hops(const char *via)
{
	return via_each(via, NULL, NULL);
}

/* Whether an entry's received-by (its second word) is this process's. */
static bool not_self(const char *e, size_t n, void *ctx)
{
	bool *found = ctx;
	const char *mine = strchr(forward_via_self(), ' ') + 1;
	size_t i = 0;
	while (i < n && e[i] != ' ' && e[i] != '\t')
		i++;
	while (i < n && (e[i] == ' ' || e[i] == '\t'))
		i++;
	size_t k = i;
	while (k < n && e[k] != ' ' && e[k] != '\t' && e[k] != '(')
		k++;
	*found = k - i == strlen(mine) && memcmp(e + i, mine, k - i) == 0;
	return !*found;
}

enum forward_via forward_via_check(const char *via)
{
	if (!via)
		return FORWARD_VIA_OK;
	bool found = false;
	size_t hops = via_each(via, not_self, &found);
	if (found)
		return FORWARD_VIA_LOOP;
	if (hops > FORWARD_VIA_MAX_HOPS || strlen(via) > FORWARD_VIA_MAX)
		return FORWARD_VIA_TOO_MANY;
	return FORWARD_VIA_OK;
}
