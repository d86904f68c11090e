/* forward: the forwarder's configuration from --forward and the OTLP
 * exporter variables (precedence, the base endpoint's slash rules, headers
 * with hostile CR/LF, protocols, compression, bad URLs), and the lab's
 * spans as otel_spans (otel_lab): each written with otel_json_span is the
 * very object `obslab export --format otlp` writes for it, for a lab trace
 * with an N+1 and for a served one (the caller's parent, flags and
 * tracestate); the resource names the service and a non-SDK producer.
 * The URL checks: the receiver itself by address, an empty port refused,
 * credentials masked; Via lists (loops, hops). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/clock.h"
#include "obslab/forward.h"
#include "obslab/httpinfo.h"
#include "obslab/otel.h"
#include "obslab/otel_json.h"
#include "obslab/otel_lab.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"

/* ---- a fake environment ------------------------------------------------------ */

struct env {
	const char *kv[16][2];
};

static const char *env_get(void *ctx, const char *name)
{
	struct env *e = ctx;
	for (int i = 0; i < 16 && e->kv[i][0]; i++)
		if (strcmp(e->kv[i][0], name) == 0)
			return e->kv[i][1];
	return NULL;
}

static bool load(struct forward_config *cfg, const char *flag, struct env *e, bool *enabled, struct obslab_error *err)
{
	return forward_config_load_from(cfg, flag, enabled, env_get, e, err);
}

static void nothing_asks(void **state)
{
	(void)state;
	struct env e = { { { "OTEL_EXPORTER_OTLP_HEADERS", "a=b" }, { "OTEL_EXPORTER_OTLP_ENDPOINT", "" } } };
	struct forward_config cfg;
	struct obslab_error err;
	bool on = true;
	assert_true(load(&cfg, NULL, &e, &on, &err)); /* an empty variable is unset */
	assert_false(on);
}

static void flag_wins(void **state)
{
	(void)state;
	struct env e = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318" },
	                   { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4318/v1/traces" } } };
	struct forward_config cfg;
	struct obslab_error err;
	bool on = false;
	assert_true(load(&cfg, "https://flag.example:4318/custom", &e, &on, &err));
	assert_true(on);
	assert_string_equal(cfg.url, "https://flag.example:4318/custom");
	/* the defaults: protobuf, gzip, the lab's service name, the bounds */
	assert_false(cfg.json);
	assert_true(cfg.gzip);
	assert_string_equal(cfg.service_name, "obslab-lab");
	assert_int_equal(cfg.max_queue_spans, 65536);
	assert_int_equal(cfg.max_batch_spans, 512);
}

static void endpoint_rules(void **state)
{
	(void)state;
	struct forward_config cfg;
	struct obslab_error err;
	bool on;
	struct env traces = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318" },
	                        { "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4318/my/traces" } } };
	assert_true(load(&cfg, NULL, &traces, &on, &err));
	assert_string_equal(cfg.url, "http://tempo:4318/my/traces"); /* as it is */
	static const char *const cases[][2] = {
		{ "http://collector:4318", "http://collector:4318/v1/traces" },
		{ "http://collector:4318/", "http://collector:4318/v1/traces" },
		{ "https://example.com/otlp", "https://example.com/otlp/v1/traces" },
		{ "https://example.com/otlp/", "https://example.com/otlp/v1/traces" },
		{ "HTTP://[::1]:4318", "HTTP://[::1]:4318/v1/traces" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct env e = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", cases[i][0] } } };
		assert_true(load(&cfg, NULL, &e, &on, &err));
		assert_true(on);
		assert_string_equal(cfg.url, cases[i][1]);
	}
}

static void bad_urls(void **state)
{
	(void)state;
	static const char *const bad[] = { "ftp://x/v1/traces", "collector:4318", "http://", "http://a b/",
		                           "http://x/\r\nX-Evil: 1", "", "file:///etc/passwd", "grpc://x:4317" };
	struct forward_config cfg;
	struct obslab_error err;
	bool on;
	struct env none = { { { NULL, NULL } } };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.msg[0] = '\0';
		assert_false(load(&cfg, bad[i], &none, &on, &err));
		assert_non_null(strstr(err.msg, "--forward"));
		assert_null(strchr(err.msg, '\n'));
		assert_null(strchr(err.msg, '\r'));
	}
	struct env e = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318" } } };
	assert_false(load(&cfg, NULL, &e, &on, &err));
	assert_non_null(strstr(err.msg, "OTEL_EXPORTER_OTLP_ENDPOINT"));
}

static void headers(void **state)
{
	(void)state;
	struct forward_config cfg;
	struct obslab_error err;
	bool on;
	struct env e = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318" },
	                   { "OTEL_EXPORTER_OTLP_HEADERS", " api-key = secret%20value ,x-tenant=a%2Cb,,Authorization=Basic%20dXNlcjpw%3D" } } };
	assert_true(load(&cfg, NULL, &e, &on, &err));
	assert_int_equal(cfg.nheaders, 3);
	assert_string_equal(cfg.headers[0], "api-key: secret value");
	assert_string_equal(cfg.headers[1], "x-tenant: a,b");
	assert_string_equal(cfg.headers[2], "Authorization: Basic dXNlcjpw=");
	/* the TRACES_ variant replaces the general one */
	struct env t = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318" }, { "OTEL_EXPORTER_OTLP_HEADERS", "a=1" },
	                   { "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "b=2" } } };
	assert_true(load(&cfg, NULL, &t, &on, &err));
	assert_int_equal(cfg.nheaders, 1);
	assert_string_equal(cfg.headers[0], "b: 2");
	/* hostile: CR/LF raw or escaped, a bad name, no '=', a bad escape */
	static const char *const hostile[] = { "a=1%0D%0AX-Evil: yes", "a=1\r\nX-Evil: yes", "a=%0a", "bad name=1",
		                               "x:y=1", "novalue", "a=%zz", "a=%4", "=v", "a=\x01" };
	for (size_t i = 0; i < sizeof hostile / sizeof hostile[0]; i++) {
		struct env h = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318" }, { "OTEL_EXPORTER_OTLP_HEADERS", hostile[i] } } };
		err.msg[0] = '\0';
		assert_false(load(&cfg, NULL, &h, &on, &err));
		assert_non_null(strstr(err.msg, "OTEL_EXPORTER_OTLP_HEADERS"));
		assert_null(strchr(err.msg, '\n'));
		assert_null(strchr(err.msg, '\r'));
	}
}

static void protocols_and_compression(void **state)
{
	(void)state;
	struct forward_config cfg;
	struct obslab_error err;
	bool on;
	struct env j = { { { "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json" }, { "OTEL_EXPORTER_OTLP_COMPRESSION", "none" } } };
	assert_true(load(&cfg, "http://c:4318/v1/traces", &j, &on, &err));
	assert_true(cfg.json);
	assert_false(cfg.gzip);
	struct env t = { { { "OTEL_EXPORTER_OTLP_PROTOCOL", "http/json" },
	                   { "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf" },
	                   { "OTEL_EXPORTER_OTLP_COMPRESSION", "none" },
	                   { "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip" },
	                   { "OTEL_SERVICE_NAME", "checkout" } } };
	assert_true(load(&cfg, "http://c:4318/v1/traces", &t, &on, &err));
	assert_false(cfg.json);
	assert_true(cfg.gzip);
	assert_string_equal(cfg.service_name, "checkout");
	struct env g = { { { "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc" } } };
	assert_false(load(&cfg, "http://c:4318/v1/traces", &g, &on, &err));
	assert_non_null(strstr(err.msg, "OTLP/HTTP only"));
	struct env b = { { { "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/xml" } } };
	assert_false(load(&cfg, "http://c:4318/v1/traces", &b, &on, &err));
	assert_non_null(strstr(err.msg, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"));
	struct env c = { { { "OTEL_EXPORTER_OTLP_COMPRESSION", "zstd" } } };
	assert_false(load(&cfg, "http://c:4318/v1/traces", &c, &on, &err));
	struct env q = { { { "OBSLAB_FORWARD_MAX_QUEUE_SPANS", "10" } } };
	assert_true(load(&cfg, "http://c:4318/v1/traces", &q, &on, &err));
	assert_int_equal(cfg.max_queue_spans, 10);
	struct env q0 = { { { "OBSLAB_FORWARD_MAX_QUEUE_SPANS", "0" } } };
	assert_false(load(&cfg, "http://c:4318/v1/traces", &q0, &on, &err));
}

/* ---- otel_lab against the OTLP export ------------------------------------------ */

static char *read_all(const char *path)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *text = malloc((size_t)n + 1);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	text[n] = '\0';
	return text;
}

struct membuf {
	char *text;
	size_t len, cap;
};

static void mem_sink(void *ctx, const char *s, size_t len)
{
	struct membuf *b = ctx;
	if (b->len + len + 1 > b->cap) {
		b->cap = (b->len + len + 1) * 2;
		b->text = realloc(b->text, b->cap);
	}
	memcpy(b->text + b->len, s, len);
	b->len += len;
	b->text[b->len] = '\0';
}

static const char *attr_string(const cJSON *attrs, const char *key)
{
	const cJSON *a;
	cJSON_ArrayForEach(a, attrs) {
		if (strcmp(cJSON_GetObjectItemCaseSensitive(a, "key")->valuestring, key) == 0)
			return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a, "value"), "stringValue")
			    ->valuestring;
	}
	return NULL;
}

/* Every lab span of the store, converted, equals the exported one. */
static void check_against_export(struct lab *lab)
{
	struct snapshot_meta meta = { .anchor = clock_anchor() };
	static const struct findings_config fcfg = { .n1_min_count = 5, .n1_min_ns = 0 };
	char path[512];
	fixture_path(path, sizeof path, "export.otlp.json");
	struct obslab_error err;
	assert_true(snapshot_write(path, SNAPSHOT_OTLP, lab->store, lab->names, &meta, &fcfg, &err));
	char *text = read_all(path);
	cJSON *doc = cJSON_Parse(text);
	assert_non_null(doc);
	const cJSON *spans = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	                           cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "resourceSpans"), 0), "scopeSpans"),
	                       0),
	    "spans");
	const cJSON *exported = spans ? spans->child : NULL;
	size_t compared = 0;
	for (size_t i = 0; i < store_trace_count(lab->store); i++) {
		const struct trace *t = store_trace(lab->store, i);
		struct otel_set *set = otel_set_create();
		uint32_t scope = otel_lab_scope(set, "checkout");
		assert_int_equal(otel_lab_add_trace(set, scope, t, lab->names, &meta.anchor), t->nspans);
		assert_int_equal(set->nspans, t->nspans);
		for (size_t k = 0; k < set->nspans; k++, exported = exported->next) {
			assert_non_null(exported);
			struct membuf b = { 0 };
			struct otel_json_out o = { mem_sink, &b };
			otel_json_span(&o, set, &set->spans[k]);
			cJSON *mine = cJSON_Parse(b.text);
			assert_non_null(mine);
			if (!cJSON_Compare(mine, exported, true)) {
				char *e = cJSON_PrintUnformatted(exported);
				fprintf(stderr, "converted: %s\nexported:  %s\n", b.text, e);
				free(e);
				fail();
			}
			cJSON_Delete(mine);
			free(b.text);
			compared++;
		}
		/* the resource: the service, obslab's version, a producer that is no OpenTelemetry SDK */
		assert_int_equal(set->nresources, 1);
		assert_int_equal(set->nscopes, 1);
		struct membuf rb = { 0 };
		struct otel_json_out ro = { mem_sink, &rb };
		mem_sink(&rb, "{", 1);
		otel_json_resource_members(&ro, set, &set->resources[0]);
		mem_sink(&rb, "}", 1);
		cJSON *res = cJSON_Parse(rb.text);
		assert_non_null(res);
		const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(res, "attributes");
		assert_string_equal(attr_string(attrs, "service.name"), "checkout");
		assert_string_equal(attr_string(attrs, "service.version"), OBSLAB_VERSION);
		assert_string_equal(attr_string(attrs, "telemetry.sdk.name"), "obslab");
		assert_string_equal(attr_string(attrs, "telemetry.sdk.language"), "c");
		assert_string_equal(attr_string(attrs, "telemetry.sdk.version"), OBSLAB_VERSION);
		assert_string_equal(otel_text_of(set, set->scopes[0].name), "obslab");
		assert_string_equal(otel_text_of(set, set->scopes[0].version), OBSLAB_VERSION);
		cJSON_Delete(res);
		free(rb.text);
		otel_set_destroy(set);
	}
	assert_null(exported);
	assert_true(compared > 20); /* the N+1: 1 + 20 queries and more */
	cJSON_Delete(doc);
	free(text);
}

static void lab_equals_export(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	lab_request(&lab, STRATEGY_OPTIMIZED);
	lab_request(&lab, STRATEGY_EAGER);
	check_against_export(&lab);
	lab_close(&lab);
}

static void served_equals_export(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 20, false);
	lab_request(&lab, STRATEGY_NAIVE);
	struct http_info h;
	http_info_init(&h);
	struct trace *t = (struct trace *)store_latest(lab.store);
	memcpy(h.trace_id, t->trace_id, 16);
	h.remote_parent_id = 0x00f067aa0ba902b7u;
	h.trace_flags = 1;
	h.status_code = 200;
	h.server_port = 8000;
	h.route = "/users/analytics";
	http_info_set_text(&h, HTTP_TEXT_METHOD, "GET", 3);
	http_info_set_text(&h, HTTP_TEXT_PROTOCOL, "1.1", 3);
	http_info_set_text(&h, HTTP_TEXT_PATH, "/users/analytics", 16);
	http_info_set_text(&h, HTTP_TEXT_CLIENT_ADDRESS, "127.0.0.1", 9);
	http_info_set_text(&h, HTTP_TEXT_SERVER_ADDRESS, "localhost", 9);
	http_info_set_text(&h, HTTP_TEXT_TRACESTATE, "rojo=00f067aa0ba902b7", 21);
	t->http = &h;
	check_against_export(&lab);
	t->http = NULL;
	lab_close(&lab);
}

static void self_forwarding(void **state)
{
	(void)state;
	assert_true(forward_url_is_self("http://127.0.0.1:4318/v1/traces", "127.0.0.1", 4318));
	assert_true(forward_url_is_self("http://localhost:4318/v1/traces", "127.0.0.1", 4318));
	assert_true(forward_url_is_self("http://LOCALHOST:4318", "0.0.0.0", 4318));
	assert_true(forward_url_is_self("http://[::1]:4318/v1/traces", "[::1]", 4318));
	assert_true(forward_url_is_self("http://collector.lan/v1/traces", "collector.lan", 80));
	assert_false(forward_url_is_self("http://127.0.0.1:4319/v1/traces", "127.0.0.1", 4318));
	assert_false(forward_url_is_self("http://collector.lan:4318/v1/traces", "127.0.0.1", 4318));
	assert_false(forward_url_is_self("http://127.0.0.1:4318/v1/traces", "127.0.0.1", 0));
	/* the unspecified address, a v4-mapped one and localhost reach the receiver */
	assert_true(forward_url_is_self("http://0.0.0.0:4318/v1/traces", "127.0.0.1", 4318));
	assert_true(forward_url_is_self("http://[::]:4318/v1/traces", "::1", 4318));
	assert_true(forward_url_is_self("http://[::ffff:127.0.0.1]:4318/v1/traces", "127.0.0.1", 4318));
	assert_true(forward_url_is_self("http://[::ffff:127.0.0.1]:4318/v1/traces", "0.0.0.0", 4318));
	assert_true(forward_url_is_self("http://localhost:4318/v1/traces", "::1", 4318));
	assert_true(forward_url_is_self("http://127.0.0.1:4318/v1/traces", "localhost", 4318));
	/* listening on every interface: any address of this machine */
	assert_true(forward_url_is_self("http://0.0.0.0:4318/v1/traces", "0.0.0.0", 4318));
	assert_true(forward_url_is_self("http://127.0.0.2:4318/v1/traces", "0.0.0.0", 4318));
	assert_true(forward_url_is_self("http://[::1]:4318/v1/traces", "::", 4318));
	assert_false(forward_url_is_self("http://[::1]:4318/v1/traces", "0.0.0.0", 4318)); /* v6 does not reach it */
	assert_false(forward_url_is_self("http://192.0.2.7:4318/v1/traces", "0.0.0.0", 4318)); /* not this machine */
	/* another loopback address is another receiver */
	assert_false(forward_url_is_self("http://127.0.0.2:4318/v1/traces", "127.0.0.1", 4318));
	assert_false(forward_url_is_self("http://[::1]:4318/v1/traces", "127.0.0.1", 4318));
	assert_false(forward_url_is_self("http://localhost:4318/v1/traces", "127.0.0.2", 4318));
}

static void url_ports(void **state)
{
	(void)state;
	struct forward_config cfg;
	struct obslab_error err;
	bool on;
	struct env none = { { { NULL, NULL } } };
	static const char *const refused[] = { "http://127.0.0.1:/v1/traces", "http://h:/", "http://u:p@h:/v1/traces",
		                                "http://[::1]:/v1/traces", "http://h:0/v1/traces", "https://h:000" };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		assert_false(load(&cfg, refused[i], &none, &on, &err));
		assert_non_null(strstr(err.msg, "--forward"));
		assert_true(strstr(err.msg, "empty port") || strstr(err.msg, "port 0"));
	}
	static const char *const fine[] = { "http://127.0.0.1:4318/v1/traces", "http://h/v1/traces", "http://u:p@h/x",
		                             "http://[::1]:4318/", "https://h:443/a:b?c=d:" };
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++)
		assert_true(load(&cfg, fine[i], &none, &on, &err));
	struct env e = { { { "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:" } } };
	assert_false(load(&cfg, NULL, &e, &on, &err));
	assert_non_null(strstr(err.msg, "OTEL_EXPORTER_OTLP_ENDPOINT has an empty port"));
}

static void url_masked(void **state)
{
	(void)state;
	char buf[256];
	forward_url_mask("http://user:s3cret@127.0.0.1:1/v1/traces", buf, sizeof buf);
	assert_string_equal(buf, "http://***@127.0.0.1:1/v1/traces");
	forward_url_mask("https://tok@en:p@ss@c.example/v1/traces?api_key=abc&x=1&flag#frag", buf, sizeof buf);
	assert_string_equal(buf, "https://***@c.example/v1/traces?api_key=***&x=***&flag#***");
	forward_url_mask("http://c:4318/v1/traces", buf, sizeof buf);
	assert_string_equal(buf, "http://c:4318/v1/traces");
	forward_url_mask("http://c:4318/v1/traces#frag=s3cret", buf, sizeof buf); /* a fragment is never sent */
	assert_string_equal(buf, "http://c:4318/v1/traces#***");
	forward_url_mask("http://c:4318/v1/traces#", buf, sizeof buf);
	assert_string_equal(buf, "http://c:4318/v1/traces#");
	forward_url_mask("http://u:p@c/v1/traces", buf, 12); /* cut, never past cap */
	assert_string_equal(buf, "http://***@");
	/* and in the errors */
	struct forward_config cfg;
	struct obslab_error err;
	bool on;
	struct env none = { { { NULL, NULL } } };
	assert_false(load(&cfg, "ftp://user:s3cret@h/", &none, &on, &err));
	assert_null(strstr(err.msg, "s3cret"));
	assert_false(load(&cfg, "http://user:s3cret@h:/v1/traces?k=s3cret", &none, &on, &err));
	assert_null(strstr(err.msg, "s3cret"));
	/* the forwarder shows the masked URL */
	assert_true(load(&cfg, "http://user:s3cret@127.0.0.1:1/v1/traces?key=s3cret", &none, &on, &err));
	struct forwarder *f = forward_start(&cfg, &err);
	assert_non_null(f);
	assert_string_equal(forward_url(f), "http://***@127.0.0.1:1/v1/traces?key=***");
	forward_destroy(f);
}

static void via_lists(void **state)
{
	(void)state;
	const char *self = forward_via_self();
	assert_int_equal(strlen(self), strlen("1.1 obslab-") + 16);
	assert_ptr_equal(forward_via_self(), self); /* once per process */
	char buf[512];
	assert_int_equal(forward_via_check(NULL), FORWARD_VIA_OK);
	assert_int_equal(forward_via_hops(""), 0);
	assert_int_equal(forward_via_hops("1.0 fred, 1.1 p.example.net"), 2);
	assert_int_equal(forward_via_hops("1.1 a (a, comment, with commas), HTTP/1.1 b ,, "), 2);
	assert_int_equal(forward_via_check("1.1 obslab-0000000000000000, 1.1 vegur"), FORWARD_VIA_OK);
	snprintf(buf, sizeof buf, "1.1 vegur, %s", self);
	assert_int_equal(forward_via_check(buf), FORWARD_VIA_LOOP);
	snprintf(buf, sizeof buf, "%s (obslab)", self);
	assert_int_equal(forward_via_check(buf), FORWARD_VIA_LOOP);
	snprintf(buf, sizeof buf, "1.1 x (%s)", self + 4); /* in a comment: not an entry's name */
	assert_int_equal(forward_via_check(buf), FORWARD_VIA_OK);
	assert_int_equal(forward_via_check("1.1 a, 1.1 b, 1.1 c, 1.1 d, 1.1 e, 1.1 f, 1.1 g, 1.1 h"), FORWARD_VIA_OK);
	assert_int_equal(forward_via_check("1.1 a, 1.1 b, 1.1 c, 1.1 d, 1.1 e, 1.1 f, 1.1 g, 1.1 h, 1.1 i"),
	                 FORWARD_VIA_TOO_MANY);
	memset(buf, 'x', sizeof buf - 1);
	buf[sizeof buf - 1] = '\0';
	memcpy(buf, "1.1 ", 4);
	char *longer = malloc(FORWARD_VIA_MAX + 8);
	memset(longer, 'x', FORWARD_VIA_MAX + 7);
	longer[FORWARD_VIA_MAX + 7] = '\0';
	memcpy(longer, "1.1 ", 4);
	assert_int_equal(forward_via_check(buf), FORWARD_VIA_OK);
	assert_int_equal(forward_via_check(longer), FORWARD_VIA_TOO_MANY);
	free(longer);
}

static void summary_and_state(void **state)
{
	(void)state;
	struct forward_stats st = { .state = FORWARD_CONNECTED, .sent_spans = 1234, .dropped_spans = 37, .retries = 2 };
	char buf[256];
	forward_summary(&st, "http://c:4318/v1/traces", buf, sizeof buf);
	assert_non_null(strstr(buf, "obslab: forwarded 1234 spans to http://c:4318/v1/traces; dropped 37; retried 2"));
	forward_state_text(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "connected · 1.2k sent · dropped 37");
	st = (struct forward_stats){ .state = FORWARD_RETRYING, .retry_at_ns = 4 * CLOCK_NS_PER_S - 1 };
	snprintf(st.last_error, sizeof st.last_error, "HTTP 503");
	forward_state_text(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "retrying in 4s (HTTP 503)");
	/* spans given up after a time-out are counted apart, with why */
	st = (struct forward_stats){ .state = FORWARD_FAILING, .sent_spans = 5, .timed_out_spans = 46 };
	snprintf(st.last_error, sizeof st.last_error, "timed out after 10 s (the endpoint may have received them)");
	forward_summary(&st, "http://c/v1/traces", buf, sizeof buf);
	assert_string_equal(buf, "obslab: forwarded 5 spans to http://c/v1/traces; dropped 0; retried 0; 46 spans timed out "
	                         "(the endpoint may have received them); last error: timed out after 10 s (the endpoint "
	                         "may have received them)");
	forward_state_text(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "failing: timed out after 10 s (the endpoint may have received them) · timed out 46");
	forward_state_short(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "failing · timed out 46");
}

/* The status bar's short form: the state and its figures, never the cause. */
static void short_state(void **state)
{
	(void)state;
	char buf[96];
	struct forward_stats st = { .state = FORWARD_CONNECTED, .sent_spans = 1234 };
	forward_state_short(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "1.2k sent");
	st.dropped_spans = 37;
	forward_state_short(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "1.2k sent · dropped 37");
	st = (struct forward_stats){ .state = FORWARD_RETRYING, .retry_at_ns = 10 * CLOCK_NS_PER_S + 1 };
	snprintf(st.last_error, sizeof st.last_error, "Couldn't connect to server");
	forward_state_short(&st, 6 * CLOCK_NS_PER_S, "·", buf, sizeof buf);
	assert_string_equal(buf, "retrying 5s");
	forward_state_short(&st, 11 * CLOCK_NS_PER_S, "·", buf, sizeof buf);
	assert_string_equal(buf, "retrying 0s");
	st = (struct forward_stats){ .state = FORWARD_FAILING, .dropped_spans = 12345 };
	snprintf(st.last_error, sizeof st.last_error, "HTTP 401");
	forward_state_short(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "failing · dropped 12k");
	st = (struct forward_stats){ .state = FORWARD_IDLE };
	forward_state_short(&st, 0, "·", buf, sizeof buf);
	assert_string_equal(buf, "idle");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nothing_asks),
		cmocka_unit_test(flag_wins),
		cmocka_unit_test(endpoint_rules),
		cmocka_unit_test(bad_urls),
		cmocka_unit_test(headers),
		cmocka_unit_test(protocols_and_compression),
		cmocka_unit_test(lab_equals_export),
		cmocka_unit_test(served_equals_export),
		cmocka_unit_test(self_forwarding),
		cmocka_unit_test(url_ports),
		cmocka_unit_test(url_masked),
		cmocka_unit_test(via_lists),
		cmocka_unit_test(summary_and_state),
		cmocka_unit_test(short_state),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	fixture_cleanup();
	return failed;
}
