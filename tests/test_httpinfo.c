/* httpinfo: a served request's HTTP facts — the struct's layout the store
 * relies on, bounded text cut between characters with a mark, hostile
 * bytes replaced, OpenTelemetry's HTTP server attributes, and the
 * Server-Timing header value in the W3C Server Timing grammar. */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/attrs.h"
#include "obslab/httpinfo.h"
#include "obslab/utf8.h"

_Static_assert(offsetof(struct http_info, trace_id) == 0, "the store matches an info by its first 16 bytes");

static const struct attr *find(const struct attr *a, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].key, key) == 0)
			return &a[i];
	return NULL;
}

static void set(struct http_info *h, enum http_info_text f, const char *s)
{
	http_info_set_text(h, f, s, strlen(s));
}

static void fills_the_server_attributes(void **state)
{
	(void)state;
	struct http_info h;
	http_info_init(&h);
	set(&h, HTTP_TEXT_METHOD, "GET");
	set(&h, HTTP_TEXT_PROTOCOL, "1.1");
	set(&h, HTTP_TEXT_PATH, "/users/analytics/optimized");
	set(&h, HTTP_TEXT_CLIENT_ADDRESS, "127.0.0.1");
	set(&h, HTTP_TEXT_SERVER_ADDRESS, "127.0.0.1");
	set(&h, HTTP_TEXT_USER_AGENT, "curl/7.88.1");
	h.route = "/users/analytics/optimized";
	h.status_code = 200;
	h.server_port = 8000;
	struct attr a[HTTP_INFO_ATTRS_MAX];
	size_t n = http_info_attributes(&h, a, HTTP_INFO_ATTRS_MAX);
	assert_int_equal(n, 10);
	assert_string_equal(attr_string(find(a, n, "http.request.method")), "GET");
	assert_null(find(a, n, "http.request.method_original"));
	assert_string_equal(attr_string(find(a, n, "url.scheme")), "http");
	assert_string_equal(attr_string(find(a, n, "url.path")), "/users/analytics/optimized");
	assert_string_equal(attr_string(find(a, n, "http.route")), "/users/analytics/optimized");
	assert_int_equal(find(a, n, "http.response.status_code")->type, ATTR_INT);
	assert_int_equal(find(a, n, "http.response.status_code")->i, 200);
	assert_string_equal(attr_string(find(a, n, "server.address")), "127.0.0.1");
	assert_int_equal(find(a, n, "server.port")->i, 8000);
	assert_string_equal(attr_string(find(a, n, "client.address")), "127.0.0.1");
	assert_string_equal(attr_string(find(a, n, "user_agent.original")), "curl/7.88.1");
	assert_string_equal(attr_string(find(a, n, "network.protocol.version")), "1.1");

	/* what is not known is left out; an unknown method is _OTHER with the original */
	http_info_init(&h);
	set(&h, HTTP_TEXT_METHOD, "BREW");
	set(&h, HTTP_TEXT_PATH, "/nowhere");
	h.status_code = 404;
	n = http_info_attributes(&h, a, HTTP_INFO_ATTRS_MAX);
	assert_int_equal(n, 5);
	assert_string_equal(attr_string(find(a, n, "http.request.method")), "_OTHER");
	assert_string_equal(attr_string(find(a, n, "http.request.method_original")), "BREW");
	assert_null(find(a, n, "http.route"));
	assert_null(find(a, n, "server.port"));
	assert_null(find(a, n, "user_agent.original"));
	/* a smaller array is filled, not overrun */
	assert_int_equal(http_info_attributes(&h, a, 2), 2);
}

static void long_text_is_cut_between_characters_and_marked(void **state)
{
	(void)state;
	struct http_info h;
	http_info_init(&h);
	char ua[1000];
	size_t o = 0;
	while (o + 2 < sizeof ua) { /* "é" is two bytes: a cut can fall inside one */
		ua[o++] = '\xc3';
		ua[o++] = '\xa9';
	}
	ua[o] = '\0';
	set(&h, HTTP_TEXT_USER_AGENT, ua);
	size_t len = strlen(h.user_agent);
	assert_true(len < sizeof h.user_agent);
	assert_int_equal(utf8_valid_len(h.user_agent, len), len);
	assert_string_equal(h.user_agent + len - 3, HTTP_INFO_TRUNCATION_MARK);
	assert_true(h.truncated & (1u << HTTP_TEXT_USER_AGENT));
	assert_false(h.truncated & (1u << HTTP_TEXT_PATH));

	/* exactly the room there is: whole, unmarked; one more byte: cut */
	char path[HTTP_INFO_PATH_CAP + 1];
	memset(path, 'p', sizeof path);
	path[HTTP_INFO_PATH_CAP - 1] = '\0';
	set(&h, HTTP_TEXT_PATH, path);
	assert_string_equal(h.path, path);
	assert_false(h.truncated & (1u << HTTP_TEXT_PATH));
	path[HTTP_INFO_PATH_CAP - 1] = 'p';
	path[HTTP_INFO_PATH_CAP] = '\0';
	set(&h, HTTP_TEXT_PATH, path);
	assert_int_equal(strlen(h.path), HTTP_INFO_PATH_CAP - 1);
	assert_string_equal(h.path + HTTP_INFO_PATH_CAP - 4, HTTP_INFO_TRUNCATION_MARK);
	assert_true(h.truncated & (1u << HTTP_TEXT_PATH));
	/* set again, short: the bit goes */
	set(&h, HTTP_TEXT_PATH, "/");
	assert_false(h.truncated & (1u << HTTP_TEXT_PATH));

	/* a method longer than its field */
	set(&h, HTTP_TEXT_METHOD, "AVERYLONGMETHODNAME");
	assert_true(h.truncated & (1u << HTTP_TEXT_METHOD));
	struct attr a[HTTP_INFO_ATTRS_MAX];
	size_t n = http_info_attributes(&h, a, HTTP_INFO_ATTRS_MAX);
	assert_string_equal(attr_string(find(a, n, "http.request.method")), "_OTHER");
	assert_non_null(strstr(attr_string(find(a, n, "http.request.method_original")), HTTP_INFO_TRUNCATION_MARK));
}

static void hostile_bytes_are_replaced(void **state)
{
	(void)state;
	struct http_info h;
	http_info_init(&h);
	http_info_set_text(&h, HTTP_TEXT_PATH, "/a\xff\xc3(\0b", 7);
	/* U+FFFD for each byte, as README says (not '?') */
	assert_string_equal(h.path, "/a\xef\xbf\xbd\xef\xbf\xbd(\xef\xbf\xbd" "b");
	http_info_set_text(&h, HTTP_TEXT_USER_AGENT, NULL, 5);
	assert_string_equal(h.user_agent, "");
	assert_int_equal(http_info_attributes(&h, (struct attr[HTTP_INFO_ATTRS_MAX]){ 0 }, HTTP_INFO_ATTRS_MAX), 2);
}

static void context_sets_the_caller(void **state)
{
	(void)state;
	struct tracectx c;
	assert_true(tracectx_parse_parent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", &c));
	tracectx_parse_state("rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE", &c);
	struct http_info h;
	http_info_init(&h);
	http_info_set_context(&h, &c);
	assert_memory_equal(h.trace_id, c.trace_id, 16);
	assert_true(h.remote_parent_id == 0x00f067aa0ba902b7u);
	assert_int_equal(h.trace_flags, 1);
	assert_string_equal(h.tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	assert_false(h.truncated);
}

static void server_timing_value(void **state)
{
	(void)state;
	const uint8_t id[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };
	char buf[160];
	size_t n = server_timing_format(buf, sizeof buf, 1234567, 500000, 0, NULL, id);
	/* 1.734567 ms in all: 1.735, the microsecond over the parts' whole ones to app's 567 ns */
	assert_string_equal(buf, "app;dur=1.235, db;dur=0.500, net;dur=0.000, trace;desc=\"4bf92f3577b34da6a3ce929d0e0e4736\"");
	assert_int_equal(n, strlen(buf));
	/* simulated round trips say so */
	n = server_timing_format(buf, sizeof buf, 1234567, 500000, 200000, "simulated", id);
	assert_string_equal(buf, "app;dur=1.235, db;dur=0.500, net;dur=0.200;desc=\"simulated\", "
	                         "trace;desc=\"4bf92f3577b34da6a3ce929d0e0e4736\"");
	assert_int_equal(n, strlen(buf));
	n = server_timing_format(buf, sizeof buf, 12345678901, -5, 999, NULL, id);
	assert_non_null(strstr(buf, "app;dur=12345.679,")); /* 12345.679900 ms in all: 12345.680 */
	assert_non_null(strstr(buf, "db;dur=0.000,"));
	assert_non_null(strstr(buf, "net;dur=0.001,"));
	/* three parts of 1.499 us: 4.497 us in all, rounded 4; truncated they would add up to 3 */
	server_timing_format(buf, sizeof buf, 1499, 1499, 1499, NULL, id);
	assert_non_null(strstr(buf, "app;dur=0.002, db;dur=0.001, net;dur=0.001,"));
	/* 0.4 + 0.4 + 0.4 us: 1.2 us, rounded 1 */
	server_timing_format(buf, sizeof buf, 400, 400, 400, NULL, id);
	assert_non_null(strstr(buf, "app;dur=0.001, db;dur=0.000, net;dur=0.000,"));
	/* too small: the length it needs, a terminated prefix */
	char small[10];
	size_t need = server_timing_format(small, sizeof small, 1, 1, 1, NULL, id);
	assert_true(need >= sizeof small);
	assert_int_equal(strlen(small), sizeof small - 1);
}

/* The hand-written formatting says what printf's "%" PRId64 ".%03" PRId64 says
 * of the rounded parts, for every magnitude up to INT64_MAX, and cuts short
 * like snprintf at any cap. The parts' rounding is worked out here with a
 * 128-bit total: app and db, the microsecond the rounded total has over
 * their whole ones going to the larger remainder (app on a tie). */
static void server_timing_as_printf(void **state)
{
	(void)state;
	const uint8_t id[16] = { 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0xab };
	int64_t v = 1;
	for (int k = 0; k < 64; k++, v = v > INT64_MAX / 3 ? INT64_MAX : v * 3 + k) {
		int64_t db = v % 1000000;
		__int128 total = ((__int128)v + db + 500) / 1000;
		int64_t app_us = v / 1000, db_us = db / 1000;
		int64_t extra = (int64_t)(total - app_us - db_us);
		if (extra > 0 && v % 1000 >= db % 1000)
			app_us++, extra--;
		db_us += extra;
		char want[200], got[200];
		int n = snprintf(want, sizeof want,
		                 "app;dur=%" PRId64 ".%03" PRId64 ", db;dur=%" PRId64 ".%03" PRId64 ", net;dur=0.000, "
		                 "trace;desc=\"ff000102030405060708090a0b0c0dab\"",
		                 app_us / 1000, app_us % 1000, db_us / 1000, db_us % 1000);
		assert_int_equal(server_timing_format(got, sizeof got, v, db, -v, NULL, id), (size_t)n);
		assert_string_equal(got, want);
		for (size_t cap = 1; cap < 40; cap += 7) {
			char cut[40];
			assert_int_equal(server_timing_format(cut, cap, v, db, -v, NULL, id), (size_t)n);
			assert_int_equal(strlen(cut), cap - 1);
			assert_memory_equal(cut, want, cap - 1);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fills_the_server_attributes),
		cmocka_unit_test(long_text_is_cut_between_characters_and_marked),
		cmocka_unit_test(hostile_bytes_are_replaced),
		cmocka_unit_test(context_sets_the_caller),
		cmocka_unit_test(server_timing_value),
		cmocka_unit_test(server_timing_as_printf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
