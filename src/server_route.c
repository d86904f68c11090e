/*
 * server_route — the pure part of the server: which route a method and a
 * path make, the status and error body for the rest, the server span's name
 * as OpenTelemetry's HTTP conventions give it, the bodies of / and /health,
 * and the --listen address parsed (see server.h).
 */
#include "obslab/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *path;
	enum server_route route;
} routes[] = {
	{ "/", SERVER_ROUTE_ROOT },
	{ "/health", SERVER_ROUTE_HEALTH },
	{ REQUEST_ROUTE, SERVER_ROUTE_NAIVE },
	{ REQUEST_ROUTE "/optimized", SERVER_ROUTE_OPTIMIZED },
	{ REQUEST_ROUTE "/eager", SERVER_ROUTE_EAGER },
	{ REQUEST_ROUTE "/pipelined", SERVER_ROUTE_PIPELINED },
};

/* The methods OpenTelemetry's http.request.method knows (RFC 9110 and PATCH). */
static const char *const known_methods[] = { "CONNECT", "DELETE", "GET", "HEAD", "OPTIONS",
                                             "PATCH", "POST", "PUT", "TRACE" };

void server_route(const char *method, const char *path, struct server_decision *out)
{
	memset(out, 0, sizeof *out);
	out->method = "_OTHER";
	for (size_t i = 0; i < sizeof known_methods / sizeof known_methods[0]; i++)
		if (strcmp(method, known_methods[i]) == 0)
			out->method = known_methods[i];
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (strcmp(path, routes[i].path) == 0) {
			out->route = routes[i].route;
			out->template = routes[i].path;
		}
	}
	if (out->route == SERVER_ROUTE_NONE) {
		out->status = 404;
		out->error_body = SERVER_BODY_NOT_FOUND;
	} else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		out->status = 200;
		out->head = method[0] == 'H';
	} else {
		out->status = 405;
		out->allow = SERVER_ALLOW;
		out->error_body = SERVER_BODY_NOT_ALLOWED;
	}
}

bool server_route_strategy(enum server_route route, enum strategy *out)
{
	switch (route) {
	case SERVER_ROUTE_NAIVE: *out = STRATEGY_NAIVE; return true;
	case SERVER_ROUTE_OPTIMIZED: *out = STRATEGY_OPTIMIZED; return true;
	case SERVER_ROUTE_EAGER: *out = STRATEGY_EAGER; return true;
	case SERVER_ROUTE_PIPELINED: *out = STRATEGY_PIPELINED; return true;
	case SERVER_ROUTE_NONE:
	case SERVER_ROUTE_ROOT:
	case SERVER_ROUTE_HEALTH:
	case SERVER_ROUTE_COUNT: break;
	}
	return false;
}

void server_span_name(const struct server_decision *d, char *buf, size_t cap)
{
	if (strcmp(d->method, "_OTHER") == 0)
		snprintf(buf, cap, "HTTP");
	else if (d->template)
		snprintf(buf, cap, "%s %s", d->method, d->template);
	else
		snprintf(buf, cap, "%s", d->method);
}

const char *server_root_body(void)
{
	return "{\"service\":\"obslab\",\"version\":\"" OBSLAB_VERSION "\",\"endpoints\":["
	       "{\"path\":\"" REQUEST_ROUTE "\",\"implementation\":\"naive\"},"
	       "{\"path\":\"" REQUEST_ROUTE "/optimized\",\"implementation\":\"optimized\"},"
	       "{\"path\":\"" REQUEST_ROUTE "/eager\",\"implementation\":\"eager\"},"
	       "{\"path\":\"/health\"}]}";
}

const char *server_health_body(void)
{
	return "{\"status\":\"ok\",\"service\":\"obslab\",\"version\":\"" OBSLAB_VERSION "\"}";
}

static bool parse_port(const char *s, uint16_t *port)
{
	if (*s < '0' || *s > '9' || strlen(s) > 5)
		return false;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

bool server_parse_listen(const char *text, char host[SERVER_HOST_MAX], uint16_t *port, struct obslab_error *err)
{
	const char *colon;
	size_t hostlen;
	const char *hoststart = text;
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':') {
			obslab_error_set(err, "--listen takes HOST:PORT or [IPV6]:PORT, not '%s'", text);
			return false;
		}
		hoststart = text + 1;
		hostlen = (size_t)(close - hoststart);
		colon = close + 1;
		if (hostlen == 0 || memchr(hoststart, ':', hostlen) == NULL) {
			obslab_error_set(err, "--listen: brackets hold an IPv6 address, not '%.*s'", (int)hostlen, hoststart);
			return false;
		}
	} else {
		colon = strrchr(text, ':');
		if (!colon) {
			obslab_error_set(err, "--listen takes HOST:PORT (127.0.0.1:8000), not '%s'", text);
			return false;
		}
		hostlen = (size_t)(colon - text);
		if (memchr(text, ':', hostlen)) {
			obslab_error_set(err, "--listen: write an IPv6 address in brackets, [::1]:8000, not '%s'", text);
			return false;
		}
	}
	if (!parse_port(colon + 1, port)) {
		obslab_error_set(err, "--listen takes a port from 0 (any free port) to 65535, not '%s'", colon + 1);
		return false;
	}
	if (hostlen >= SERVER_HOST_MAX) {
		obslab_error_set(err, "--listen: the host is too long (at most %d bytes)", SERVER_HOST_MAX - 1);
		return false;
	}
	for (size_t i = 0; i < hostlen; i++) {
		unsigned char c = (unsigned char)hoststart[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == '[' || c == ']') {
			obslab_error_set(err, "--listen: '%s' is not a host name or address", text);
			return false;
		}
	}
	if (hostlen == 0) {
		snprintf(host, SERVER_HOST_MAX, "%s", SERVER_DEFAULT_HOST);
	} else {
		memcpy(host, hoststart, hostlen);
		host[hostlen] = '\0';
	}
	return true;
}

bool server_all_interfaces(const char *authority, char *buf, size_t cap)
{
	if (strncmp(authority, "0.0.0.0:", 8) != 0 && strncmp(authority, "[::]:", 5) != 0)
		return false;
	snprintf(buf, cap, "listening on all interfaces (%.*s): anyone who can reach this machine can call it",
	         (int)(strrchr(authority, ':') - authority), authority);
	return true;
}
