/* receiver: the pure part of the OTLP receiver — media types and content
 * codings accepted or refused (415), the CORS origins allowed (localhost,
 * 127.0.0.1, [::1] only), the Host values a loopback receiver answers (DNS
 * rebinding) and the addresses that are loopback, a preflight's header list,
 * and the error bodies (a google.rpc.Status in the request's encoding). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "google/rpc/status.pb-c.h"
#include "receiver_http.h"

static void media_types(void **state)
{
	(void)state;
	enum otlp_encoding enc;
	assert_true(rx_media_type("application/x-protobuf", &enc));
	assert_int_equal(enc, OTLP_PROTOBUF);
	assert_true(rx_media_type("application/json", &enc));
	assert_int_equal(enc, OTLP_JSON);
	assert_true(rx_media_type("Application/JSON; charset=utf-8", &enc));
	assert_int_equal(enc, OTLP_JSON);
	assert_true(rx_media_type(" application/x-protobuf ;x=y", &enc));
	assert_int_equal(enc, OTLP_PROTOBUF);
	assert_false(rx_media_type(NULL, &enc));
	assert_false(rx_media_type("", &enc));
	assert_false(rx_media_type("text/plain", &enc));
	assert_false(rx_media_type("application/jsonx", &enc));
	assert_false(rx_media_type("application/protobuf", &enc));
	assert_false(rx_media_type("application/json, text/plain", &enc));
}

/* OTLP/JSON is UTF-8: any other charset is 415, any case, quoted or not. */
static void json_charsets(void **state)
{
	(void)state;
	assert_true(rx_json_charset_ok(NULL));
	assert_true(rx_json_charset_ok("application/json"));
	assert_true(rx_json_charset_ok("application/json; charset=utf-8"));
	assert_true(rx_json_charset_ok("application/json;CHARSET=UTF-8"));
	assert_true(rx_json_charset_ok("application/json; charset=\"utf-8\"; x=y"));
	assert_true(rx_json_charset_ok("application/json; charset = utf8 "));
	assert_true(rx_json_charset_ok("application/json; x=latin1"));
	assert_false(rx_json_charset_ok("application/json; charset=latin1"));
	assert_false(rx_json_charset_ok("application/json; Charset=ISO-8859-1"));
	assert_false(rx_json_charset_ok("application/json; x=y; charset=\"utf-16\""));
	assert_false(rx_json_charset_ok("application/json; charset="));
	assert_false(rx_json_charset_ok("application/json; charset=utf-8; charset=latin1"));
}

static void content_codings(void **state)
{
	(void)state;
	bool gz;
	assert_true(rx_content_encoding(NULL, &gz));
	assert_false(gz);
	assert_true(rx_content_encoding("identity", &gz));
	assert_false(gz);
	assert_true(rx_content_encoding("gzip", &gz));
	assert_true(gz);
	assert_true(rx_content_encoding(" GZIP ", &gz));
	assert_true(gz);
	assert_false(rx_content_encoding("br", &gz));
	assert_false(rx_content_encoding("deflate", &gz));
	assert_false(rx_content_encoding("gzip, gzip", &gz));
	assert_false(rx_content_encoding("", &gz));
}

static void origins(void **state)
{
	(void)state;
	const char *yes[] = { "http://localhost", "http://localhost:3000", "https://localhost:65535",
	                      "http://127.0.0.1", "http://127.0.0.1:8080", "http://[::1]", "https://[::1]:443" };
	const char *no[] = { NULL, "", "null", "http://evil.example", "http://localhost.evil.example",
	                     "http://localhost:3000.evil.example", "http://127.0.0.1.nip.io", "ftp://localhost",
	                     "http://localhost:", "http://localhost:123456", "http://localhost/", "http://[::1",
	                     "http://127.0.0.2", "HTTP://evil", "http://localhost:80x" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!rx_origin_allowed(yes[i]))
			fail_msg("%s refused", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (rx_origin_allowed(no[i]))
			fail_msg("%s allowed", no[i] ? no[i] : "NULL");
}

static void hosts(void **state)
{
	(void)state;
	const char *yes[] = { NULL, "localhost", "localhost:4318", "LocalHost:1", "localhost.", "localhost.:4318",
	                      "127.0.0.1", "127.0.0.1:4318", "127.1.2.3:80", "127.255.255.255", "[::1]", "[::1]:4318" };
	const char *no[] = { "", "evil.example", "evil.example:4318", "localhost.evil.example", "evil.localhost",
	                     "localhost..", "localhost:", "localhost:123456", "localhost:80x", "localhost:4318:1",
	                     "127.0.0.1.nip.io", "127.0.0.1.nip.io:4318", "128.0.0.1", "10.0.0.1:4318", "127.0.0",
	                     "127.0.0.256", "0127.0.0.1", "127.0.0.1 ", " localhost", "[::1", "[::2]:4318",
	                     "[::ffff:7f00:1]", "::1", "[::1]x", "0.0.0.0:4318", "2130706433" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!rx_host_allowed(yes[i]))
			fail_msg("Host %s refused", yes[i] ? yes[i] : "(none)");
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		if (rx_host_allowed(no[i]))
			fail_msg("Host '%s' allowed", no[i]);
	const char *loop[] = { "127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1" };
	const char *reachable[] = { "0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "::ffff:10.0.0.1", "fe80::1", "" };
	for (size_t i = 0; i < sizeof loop / sizeof loop[0]; i++)
		if (!rx_loopback_address(loop[i]))
			fail_msg("%s not loopback", loop[i]);
	for (size_t i = 0; i < sizeof reachable / sizeof reachable[0]; i++)
		if (rx_loopback_address(reachable[i]))
			fail_msg("%s taken for loopback", reachable[i]);
}

static void token_lists(void **state)
{
	(void)state;
	assert_true(rx_token_list("content-type"));
	assert_true(rx_token_list("content-type, x-app-id"));
	assert_true(rx_token_list("a,b , c"));
	assert_false(rx_token_list(NULL));
	assert_false(rx_token_list(""));
	assert_false(rx_token_list("a,,b"));
	assert_false(rx_token_list("a b"));
	assert_false(rx_token_list("bad header("));
	assert_false(rx_token_list("x\r\nSet-Cookie: y"));
	assert_false(rx_token_list("a,"));
}

static void status_bodies(void **state)
{
	(void)state;
	struct otlp_buf b = { 0 };
	rx_status_body(OTLP_JSON, RX_RPC_INVALID_ARGUMENT, "bad \"body\"\n", &b);
	cJSON *doc = cJSON_ParseWithLength(b.data, b.len);
	assert_non_null(doc);
	assert_int_equal(cJSON_GetObjectItem(doc, "code")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItem(doc, "message")->valuestring, "bad \"body\"\n");
	cJSON_Delete(doc);
	rx_status_body(OTLP_PROTOBUF, RX_RPC_RESOURCE_EXHAUSTED, "busy", &b);
	Google__Rpc__Status *st = google__rpc__status__unpack(NULL, b.len, (const uint8_t *)b.data);
	assert_non_null(st);
	assert_int_equal(st->code, 8);
	assert_string_equal(st->message, "busy");
	google__rpc__status__free_unpacked(st, NULL);
	otlp_buf_free(&b);
	assert_string_equal(rx_content_type(OTLP_JSON), "application/json");
	assert_string_equal(rx_content_type(OTLP_PROTOBUF), "application/x-protobuf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(media_types), cmocka_unit_test(json_charsets), cmocka_unit_test(content_codings), cmocka_unit_test(origins), cmocka_unit_test(hosts),
		cmocka_unit_test(token_lists), cmocka_unit_test(status_bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
