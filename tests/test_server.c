/* server: the pure part of obslab serve — the router's status, route and
 * error body for each method and path, the server span's name as
 * OpenTelemetry's HTTP conventions give it, the bodies of / and /health,
 * and --listen's address parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "obslab/server.h"

static void route(const char *method, const char *path, unsigned status, enum server_route r, const char *name)
{
	struct server_decision d;
	server_route(method, path, &d);
	if (d.status != status || d.route != r)
		fail_msg("%s %s: status %u route %d, expected %u %d", method, path, d.status, d.route, status, r);
	char buf[64];
	server_span_name(&d, buf, sizeof buf);
	assert_string_equal(buf, name);
}

static void routes_statuses_and_span_names(void **state)
{
	(void)state;
	route("GET", "/", 200, SERVER_ROUTE_ROOT, "GET /");
	route("GET", "/health", 200, SERVER_ROUTE_HEALTH, "GET /health");
	route("GET", "/users/analytics", 200, SERVER_ROUTE_NAIVE, "GET /users/analytics");
	route("GET", "/users/analytics/optimized", 200, SERVER_ROUTE_OPTIMIZED, "GET /users/analytics/optimized");
	route("HEAD", "/users/analytics/eager", 200, SERVER_ROUTE_EAGER, "HEAD /users/analytics/eager");
	route("GET", "/users/analytics/pipelined", 200, SERVER_ROUTE_PIPELINED, "GET /users/analytics/pipelined");
	/* no route: the method alone names the span */
	route("GET", "/nope", 404, SERVER_ROUTE_NONE, "GET");
	route("GET", "/health/", 404, SERVER_ROUTE_NONE, "GET");
	route("GET", "/users/analytics/", 404, SERVER_ROUTE_NONE, "GET");
	route("GET", "/USERS/ANALYTICS", 404, SERVER_ROUTE_NONE, "GET");
	route("GET", "", 404, SERVER_ROUTE_NONE, "GET");
	route("POST", "/nope", 404, SERVER_ROUTE_NONE, "POST");
	/* a route, another method */
	route("POST", "/users/analytics", 405, SERVER_ROUTE_NAIVE, "POST /users/analytics");
	route("DELETE", "/health", 405, SERVER_ROUTE_HEALTH, "DELETE /health");
	route("get", "/health", 405, SERVER_ROUTE_HEALTH, "HTTP"); /* methods are case-sensitive */
	route("BREW", "/", 405, SERVER_ROUTE_ROOT, "HTTP");        /* unknown to OTel: _OTHER, named HTTP */
}

static void error_bodies_and_headers(void **state)
{
	(void)state;
	struct server_decision d;
	server_route("GET", "/x", &d);
	assert_string_equal(d.error_body, "{\"detail\":\"Not Found\"}");
	assert_null(d.allow);
	assert_null(d.template);
	assert_string_equal(d.method, "GET");
	server_route("PUT", "/health", &d);
	assert_string_equal(d.error_body, "{\"detail\":\"Method Not Allowed\"}");
	assert_string_equal(d.allow, "GET, HEAD");
	assert_string_equal(d.template, "/health");
	server_route("BREW", "/health", &d);
	assert_string_equal(d.method, "_OTHER");
	server_route("HEAD", "/", &d);
	assert_true(d.head);
	assert_null(d.error_body);
	server_route("GET", "/", &d);
	assert_false(d.head);
	enum strategy s;
	assert_true(server_route_strategy(SERVER_ROUTE_NAIVE, &s));
	assert_int_equal(s, STRATEGY_NAIVE);
	assert_true(server_route_strategy(SERVER_ROUTE_EAGER, &s));
	assert_int_equal(s, STRATEGY_EAGER);
	assert_true(server_route_strategy(SERVER_ROUTE_PIPELINED, &s));
	assert_int_equal(s, STRATEGY_PIPELINED);
	assert_false(server_route_strategy(SERVER_ROUTE_HEALTH, &s));
	assert_false(server_route_strategy(SERVER_ROUTE_NONE, &s));
	/* every static body is JSON */
	const char *bodies[] = { server_root_body(), server_health_body(), SERVER_BODY_NOT_FOUND,
	                         SERVER_BODY_NOT_ALLOWED, SERVER_BODY_URI_TOO_LONG, SERVER_BODY_ERROR,
	                         SERVER_BODY_UNAVAILABLE, SERVER_BODY_NO_PIPELINE, SERVER_BODY_RECONNECTING };
	for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		cJSON *doc = cJSON_Parse(bodies[i]);
		if (!doc)
			fail_msg("not JSON: %s", bodies[i]);
		cJSON_Delete(doc);
	}
	cJSON *root = cJSON_Parse(server_root_body());
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "endpoints")), 4);
	cJSON_Delete(root);
}

static void accepts(const char *text, const char *host, uint16_t port)
{
	char h[SERVER_HOST_MAX];
	uint16_t p = 1;
	struct obslab_error err;
	if (!server_parse_listen(text, h, &p, &err))
		fail_msg("%s refused: %s", text, err.msg);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
}

static void refused(const char *text, const char *needle)
{
	char h[SERVER_HOST_MAX];
	uint16_t p;
	struct obslab_error err;
	err.msg[0] = '\0';
	if (server_parse_listen(text, h, &p, &err))
		fail_msg("%s accepted", text);
	if (!strstr(err.msg, needle))
		fail_msg("%s: '%s' lacks '%s'", text, err.msg, needle);
}

static void listen_addresses(void **state)
{
	(void)state;
	accepts("127.0.0.1:8000", "127.0.0.1", 8000);
	accepts("0.0.0.0:0", "0.0.0.0", 0);
	accepts("localhost:65535", "localhost", 65535);
	accepts(":9000", SERVER_DEFAULT_HOST, 9000);
	accepts("[::1]:8000", "::1", 8000);
	accepts("[::]:0", "::", 0);
	refused("127.0.0.1", "HOST:PORT");
	refused("127.0.0.1:", "port");
	refused("127.0.0.1:65536", "port");
	refused("127.0.0.1:-1", "port");
	refused("127.0.0.1:+80", "port");
	refused("127.0.0.1:080000", "port");
	refused("127.0.0.1:8000x", "port");
	refused("::1:8000", "brackets");
	refused("[::1]8000", "[IPV6]:PORT");
	refused("[::1", "[IPV6]:PORT");
	refused("[]:80", "IPv6");
	refused("[127.0.0.1]:80", "IPv6");
	refused("a b:80", "not a host");
	refused("a\x1b[2J:80", "not a host");
	refused("a/b:80", "not a host");
	char longhost[SERVER_HOST_MAX + 16];
	memset(longhost, 'a', SERVER_HOST_MAX + 2);
	strcpy(longhost + SERVER_HOST_MAX + 2, ":80");
	refused(longhost, "too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routes_statuses_and_span_names),
		cmocka_unit_test(error_bodies_and_headers),
		cmocka_unit_test(listen_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
