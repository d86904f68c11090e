/* tracectx: W3C Trace Context Level 1 as the specification and its test
 * suite have it: the specification's own examples, every malformed
 * traceparent ignored (wrong lengths, uppercase, non-hex, zeros, version
 * ff, a version 00 with more fields), later versions read leniently,
 * optional whitespace; tracestate's grammar, member limit, duplicate keys
 * and the 512-character limit (whole members removed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/tracectx.h"

#define ID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PARENT "00f067aa0ba902b7"

static const uint8_t spec_id[16] = { 0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
				     0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36 };

static bool parses(const char *v)
{
	struct tracectx c;
	memset(&c, 0xaa, sizeof c);
	struct tracectx before = c;
	bool ok = tracectx_parse_parent(v, &c);
	if (!ok)
		assert_memory_equal(&c, &before, sizeof c); /* untouched when ignored */
	return ok;
}

static void spec_examples(void **state)
{
	(void)state;
	struct tracectx c;
	assert_true(tracectx_parse_parent("00-" ID "-" PARENT "-01", &c));
	assert_memory_equal(c.trace_id, spec_id, 16);
	assert_true(c.parent_id == 0x00f067aa0ba902b7u);
	assert_int_equal(c.flags, 1);
	assert_false(c.has_state);
	assert_true(tracectx_parse_parent("00-" ID "-" PARENT "-00", &c));
	assert_int_equal(c.flags, 0);
	/* the request-header section's example */
	assert_true(tracectx_parse_parent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", &c));
	assert_true(c.parent_id == 0xb7ad6b7169203331u);
	/* a flag byte is a bit field: 09 is sampled with an unknown bit, kept as received */
	assert_true(tracectx_parse_parent("00-" ID "-" PARENT "-09", &c));
	assert_int_equal(c.flags, 9);
}

static void malformed_traceparents_are_ignored(void **state)
{
	(void)state;
	static const char *const bad[] = {
		NULL, "", " ", "00", "00-" ID "-" PARENT, "00-" ID "-" PARENT "-",
		"00-" ID "-" PARENT "-1",                                 /* 54 characters */
		"00-" ID "-" PARENT "-011",                               /* version 00 is exactly 55 */
		"00-" ID "-" PARENT "-01-what-the-future-will-be-like", /* version 00 has no more fields */
		"ff-" ID "-" PARENT "-01",                                /* version ff is forbidden */
		"ff-" ID "-" PARENT "-01-extra",
		"0g-" ID "-" PARENT "-01", "0-" ID "-" PARENT "-011", "000" ID "-" PARENT "-01",
		"00." ID "-" PARENT "-01", "00-" ID "." PARENT "-01", "00-" ID "-" PARENT ".01",
		"0A-" ID "-" PARENT "-01",                                /* uppercase version */
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-" PARENT "-01",      /* uppercase trace id */
		"00-" ID "-00F067AA0BA902B7-01",                          /* uppercase parent id */
		"00-" ID "-" PARENT "-0A",                                /* uppercase flags */
		"00-00000000000000000000000000000000-" PARENT "-01",      /* all-zero trace id */
		"00-" ID "-0000000000000000-01",                          /* all-zero parent id */
		"00-4bf92f3577b34da6a3ce929d0e0e473-" PARENT "0-01",      /* field lengths off by one */
		"00-" ID "0-" PARENT "-1",
		"00-" ID "-" PARENT "-0x", "00-" ID "-" PARENT "-.0", "00-" ID "-" PARENT "-g0",
		"00-4bf92f3577b34da6a3ce929d0e0e47 6-" PARENT "-01",      /* a space inside */
		"00-" ID "-00f067aa0ba902b.-01", "00-" ID "-" PARENT "-01\n",
		"\n00-" ID "-" PARENT "-01",                              /* not optional whitespace */
		"00-" ID "-" PARENT "-01 x",
		"00-+bf92f3577b34da6a3ce929d0e0e4736-" PARENT "-01",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parses(bad[i]))
			fail_msg("accepted: \"%s\"", bad[i] ? bad[i] : "(null)");
	}
}

static void optional_whitespace_around_the_value(void **state)
{
	(void)state;
	assert_true(parses(" 00-" ID "-" PARENT "-01"));
	assert_true(parses("\t00-" ID "-" PARENT "-01"));
	assert_true(parses("00-" ID "-" PARENT "-01 "));
	assert_true(parses("00-" ID "-" PARENT "-01\t"));
	assert_true(parses("\t 00-" ID "-" PARENT "-01 \t"));
}

static void later_versions_are_read_leniently(void **state)
{
	(void)state;
	struct tracectx c;
	assert_true(tracectx_parse_parent("cc-" ID "-" PARENT "-01", &c));
	assert_true(tracectx_parse_parent("cc-" ID "-" PARENT "-01-what-the-future-will-be-like", &c));
	assert_memory_equal(c.trace_id, spec_id, 16);
	assert_true(c.parent_id == 0x00f067aa0ba902b7u);
	assert_int_equal(c.flags, 1);
	assert_true(tracectx_parse_parent("01-" ID "-" PARENT "-ff-", &c));
	assert_int_equal(c.flags, TRACECTX_FLAG_SAMPLED); /* only the sampled bit of a later version */
	assert_false(parses("cc-" ID "-" PARENT "-01.what-the-future-will-be-like"));
	assert_false(parses("cc-" ID "-" PARENT "-012"));
	assert_false(parses("cc-" ID "-" PARENT));
	assert_false(parses("cc-" ID "-" PARENT "-0"));
	assert_false(parses("cc-" ID "-" PARENT "-0z-x"));
	assert_false(parses("cc-00000000000000000000000000000000-" PARENT "-01-x"));
}

static void formats_version_00(void **state)
{
	(void)state;
	char out[56];
	tracectx_format_parent(spec_id, 0x00f067aa0ba902b7u, 0x01, out);
	assert_string_equal(out, "00-" ID "-" PARENT "-01");
	tracectx_format_parent(spec_id, 0xfedcba9876543210u, 0xfe, out); /* other flags are sent as zero */
	assert_string_equal(out, "00-" ID "-fedcba9876543210-00");
	assert_int_equal(strlen(out), TRACECTX_PARENT_LEN);
	struct tracectx c;
	assert_true(tracectx_parse_parent(out, &c));
	assert_true(c.parent_id == 0xfedcba9876543210u);
}

static const char *state_of(const char *v)
{
	static struct tracectx c;
	memset(&c, 0, sizeof c);
	strcpy(c.state, "stale");
	c.has_state = true;
	tracectx_parse_state(v, &c);
	if (!c.has_state) {
		assert_string_equal(c.state, "");
		return NULL;
	}
	return c.state;
}

static void tracestate_examples_and_whitespace(void **state)
{
	(void)state;
	assert_string_equal(state_of("congo=t61rcWkgMzE"), "congo=t61rcWkgMzE");
	assert_string_equal(state_of("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	assert_string_equal(state_of(" rojo=1 ,\t congo=2\t"), "rojo=1,congo=2");
	assert_string_equal(state_of("rojo=1,,  ,congo=2,"), "rojo=1,congo=2"); /* empty members allowed */
	assert_string_equal(state_of("foo=1 2"), "foo=1 2");                     /* inner spaces are value */
	assert_string_equal(state_of("foo= 1"), "foo= 1");                       /* leading spaces too */
	assert_string_equal(state_of("t@vendor=x,0t@v=y"), "t@vendor=x,0t@v=y");
	assert_non_null(state_of("t@vendorvendorvv=1")); /* a system-id of 14 */
	assert_string_equal(state_of("a_-*/b=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~"), "a_-*/b=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~");
	assert_null(state_of(""));
	assert_null(state_of(" , ,"));
	assert_null(state_of(NULL));
}

static void invalid_tracestate_is_dropped(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"foo",        "=bar",      "foo=",        "Foo=1",      "1foo=1",  "foo =1",    "foo=1,bar",
		"foo=a,foo=b", /* a key twice */
		"foo=a=b",    "foo=a\tb",  "foo=\x01",    "foo=\x7f",   "foo=\xc3\xa9", "fo.o=1", "t@=1", "@v=1",
		"t@V=1",      "t@1v=1",    "t@v@w=1",     "_t@v=1",     "t@vendorvendorvvv=1", /* system-id over 14 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (state_of(bad[i]))
			fail_msg("kept: \"%s\"", bad[i]);
}

static void tracestate_lengths_and_member_limit(void **state)
{
	(void)state;
	char buf[4096], key[300], val[300];
	/* keys: 256 characters simple, 241@14 multi-tenant; values 256 */
	memset(key, 'k', 256);
	key[256] = '\0';
	snprintf(buf, sizeof buf, "%s=v", key);
	assert_non_null(state_of(buf));
	snprintf(buf, sizeof buf, "%sk=v", key);
	assert_null(state_of(buf));
	memset(key, 't', 241);
	snprintf(key + 241, sizeof key - 241, "@vvvvvvvvvvvvvv");
	snprintf(buf, sizeof buf, "%s=v", key);
	assert_non_null(state_of(buf));
	key[0] = 'x';
	memmove(key + 1, key, strlen(key) + 1); /* tenant-id of 242 */
	snprintf(buf, sizeof buf, "%s=v", key);
	assert_null(state_of(buf));
	memset(val, 'v', 256);
	val[256] = '\0';
	snprintf(buf, sizeof buf, "k=%s", val);
	assert_non_null(state_of(buf));
	snprintf(buf, sizeof buf, "k=%sv", val);
	assert_null(state_of(buf));

	/* 32 members are kept, 33 drop the header */
	size_t o = 0;
	for (int i = 0; i < 32; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%sk%d=%d", i ? "," : "", i, i);
	assert_string_equal(state_of(buf), buf);
	snprintf(buf + o, sizeof buf - o, ",k32=32");
	assert_null(state_of(buf));
}

static void long_tracestate_loses_whole_members(void **state)
{
	(void)state;
	char buf[4096], val[200];
	/* Over 512: the member over 128 characters goes first, wherever it is. */
	memset(val, 'x', 150);
	val[150] = '\0';
	size_t o = (size_t)snprintf(buf, sizeof buf, "big=%s", val);
	for (int i = 0; i < 10; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, ",m%d=%.40s", i, val);
	const char *s = state_of(buf);
	assert_non_null(s);
	assert_null(strstr(s, "big="));
	assert_true(strncmp(s, "m0=", 3) == 0);
	assert_true(strlen(s) <= TRACECTX_STATE_MAX);
	/* Then members from the end: 20 members of 43 characters, 879 in all. */
	o = 0;
	for (int i = 0; i < 20; i++)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "%sm%02d=%.39s", i ? "," : "", i, val);
	s = state_of(buf);
	assert_non_null(s);
	assert_int_equal(strlen(s), 11 * 43 + 10); /* 11 members fit in 512 */
	assert_true(strncmp(s, buf, strlen(s)) == 0);
	assert_int_equal(buf[strlen(s)], ',');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_examples),
		cmocka_unit_test(malformed_traceparents_are_ignored),
		cmocka_unit_test(optional_whitespace_around_the_value),
		cmocka_unit_test(later_versions_are_read_leniently),
		cmocka_unit_test(formats_version_00),
		cmocka_unit_test(tracestate_examples_and_whitespace),
		cmocka_unit_test(invalid_tracestate_is_dropped),
		cmocka_unit_test(tracestate_lengths_and_member_limit),
		cmocka_unit_test(long_tracestate_loses_whole_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
