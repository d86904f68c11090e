/* test_osc52 — base64 (RFC 4648's test vectors) and the OSC 52 sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/osc52.h"

static void b64(const char *in, const char *want)
{
	char out[64];
	size_t n = osc52_base64(in, strlen(in), out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(osc52_base64_len(strlen(in)), strlen(want));
}

static void test_rfc4648_vectors(void **state)
{
	(void)state;
	b64("", "");
	b64("f", "Zg==");
	b64("fo", "Zm8=");
	b64("foo", "Zm9v");
	b64("foob", "Zm9vYg==");
	b64("fooba", "Zm9vYmE=");
	b64("foobar", "Zm9vYmFy");
}

static void test_high_bytes_and_alphabet_ends(void **state)
{
	(void)state;
	const unsigned char in[] = { 0xfb, 0xff, 0xbf, 0x00, 0x10, 0x83 };
	char out[16];
	osc52_base64(in, sizeof in, out);
	assert_string_equal(out, "+/+/ABCD");
	b64("µs", "wrVz"); /* UTF-8 passes as bytes */
}

static void test_sequence(void **state)
{
	(void)state;
	size_t len = 0;
	char *seq = osc52_sequence("SELECT 1", 8, &len);
	assert_non_null(seq);
	assert_string_equal(seq, "\033]52;c;U0VMRUNUIDE=\007");
	assert_int_equal(len, strlen(seq));
	free(seq);
	seq = osc52_sequence("", 0, &len);
	assert_string_equal(seq, "\033]52;c;\007");
	free(seq);
}

static void test_refused(void **state)
{
	(void)state;
	size_t len = 0;
	assert_null(osc52_sequence("a\0b", 3, &len));
	char *big = malloc(OSC52_MAX_TEXT + 1);
	memset(big, 'x', OSC52_MAX_TEXT + 1);
	assert_null(osc52_sequence(big, OSC52_MAX_TEXT + 1, &len));
	char *seq = osc52_sequence(big, OSC52_MAX_TEXT, &len); /* the limit itself fits */
	assert_non_null(seq);
	assert_int_equal(len, 7 + osc52_base64_len(OSC52_MAX_TEXT) + 1);
	free(seq);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_high_bytes_and_alphabet_ends),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
