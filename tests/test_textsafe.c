/* textsafe: which bytes may reach a terminal raw, and how the rest is
 * written, in plain text and in JSON. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/textsafe.h"

/* What f(stream) wrote, NUL-terminated (the caller frees). */
static char *captured(FILE *f)
{
	fflush(f);
	long n = ftell(f);
	assert_true(n >= 0);
	char *buf = test_malloc((size_t)n + 1);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void escaped(const char *in, const char *want)
{
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(textsafe_fputs(f, in), 0);
	char *got = captured(f);
	assert_string_equal(got, want);
	test_free(got);
}

static void controls_are_escaped(void **state)
{
	(void)state;
	escaped("plain text", "plain text");
	escaped("\x1b]0;title\x07", "\\x1b]0;title\\x07");            /* OSC: retitles */
	escaped("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H");                  /* CSI: clears */
	escaped("a\nb\tc\rd\x01", "a\\x0ab\\x09c\\x0dd\\x01");       /* every C0 */
	escaped("del\x7f", "del\\x7f");
	escaped("c1 \xc2\x9b" "2J \xc2\x9d", "c1 \\xc2\\x9b2J \\xc2\\x9d"); /* 8-bit CSI and OSC */
	escaped("\xc2\x80\xc2\x9f\xc2\xa0", "\\xc2\\x80\\xc2\\x9f\xc2\xa0"); /* U+00A0 is printable */
}

static void invalid_utf8_is_escaped_bytewise(void **state)
{
	(void)state;
	escaped("bad \xff\xfe end", "bad \\xff\\xfe end");
	escaped("cut \xe2\x94", "cut \\xe2\\x94");                 /* a character cut short */
	escaped("\x9b" "2J", "\\x9b2J");                            /* a raw C1 byte */
	escaped("\xc0\xaf \xe0\x80\xaf", "\\xc0\\xaf \\xe0\\x80\\xaf"); /* overlong '/' */
	escaped("\xed\xa0\x80", "\\xed\\xa0\\x80");                 /* a surrogate */
	escaped("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");        /* past U+10FFFF */
	escaped("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

/* The bidirectional controls reorder what follows them ("Trojan Source"):
 * each is written as its code point; their neighbours pass. */
static void bidi_controls_are_escaped(void **state)
{
	(void)state;
	escaped("a\xe2\x80\xae" "b", "a\\u202eb");                                /* RLO */
	escaped("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad",         /* LRE RLE PDF LRO */
	        "\\u202a\\u202b\\u202c\\u202d");
	escaped("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",         /* LRI RLI FSI PDI */
	        "\\u2066\\u2067\\u2068\\u2069");
	escaped("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c"); /* LRM RLM ALM */
	/* the characters next to them are printable: U+2029, U+202F, U+2065, U+206A, U+061B */
	escaped("\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b",
	        "\xe2\x80\xa9\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b");
	uint32_t cp;
	bool safe;
	assert_int_equal(textsafe_next("\xe2\x81\xa9x", 4, &cp, &safe), 3);
	assert_false(safe);
	assert_int_equal(cp, 0x2069);
	char esc[TEXTSAFE_ESCAPE_MAX];
	assert_int_equal(textsafe_escape_bytes(esc, "\xe2\x80\xae", 3), 6);
	assert_string_equal(esc, "\\u202e");
	/* JSON keeps them as escapes that decode to the same characters */
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(textsafe_json_fputs(f, "{\"n\":\"x\xe2\x80\xae\xd8\x9c\"}"), 0);
	char *got = captured(f);
	assert_string_equal(got, "{\"n\":\"x\\u202e\\u061c\"}");
	test_free(got);
}

static void next_decodes_one_character(void **state)
{
	(void)state;
	uint32_t cp;
	bool safe;
	assert_int_equal(textsafe_next("\xe2\x82\xac!", 4, &cp, &safe), 3);
	assert_true(safe);
	assert_int_equal(cp, 0x20ac);
	assert_int_equal(textsafe_next("\xe2\x82\xac", 2, &cp, &safe), 1); /* cut by len */
	assert_false(safe);
	assert_int_equal(textsafe_next("\xc2\x85", 2, &cp, &safe), 2); /* NEL, a C1 control */
	assert_false(safe);
	assert_int_equal(cp, 0x85);
	char esc[TEXTSAFE_ESCAPE_MAX];
	assert_int_equal(textsafe_escape_bytes(esc, "\xf0\x9f\x98\x80", 4), 16);
	assert_string_equal(esc, "\\xf0\\x9f\\x98\\x80");
}

static void fprintf_keeps_only_its_own_line_end(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	assert_non_null(f);
	assert_int_equal(textsafe_fprintf(f, "obslab: %s: %d\n", "a\nb\x1b[2J", 7), 19);
	assert_true(textsafe_fprintf(f, "%s", "no line end\n\n") > 0);
	char *got = captured(f);
	assert_string_equal(got, "obslab: a\\x0ab\\x1b[2J: 7\nno line end\\x0a\n");
	test_free(got);
	/* longer than the stack buffer */
	char *big = test_malloc(5000);
	memset(big, '\x1b', 4999);
	big[4999] = '\0';
	f = tmpfile();
	assert_non_null(f);
	textsafe_fprintf(f, "[%s]\n", big);
	got = captured(f);
	assert_int_equal(strlen(got), 4999 * 4 + 3);
	assert_null(strchr(got, '\x1b'));
	test_free(got);
	test_free(big);
}

static void json_stays_json(void **state)
{
	(void)state;
	FILE *f = tmpfile();
	assert_non_null(f);
	/* as cJSON prints it: C0 already \u-escaped, the rest raw */
	const char *in = "{\n\t\"q\":\t\"a\\u001b[2J\x7f\xc2\x9b\xff\xe2\x94 \xc3\xa9\"\n}";
	assert_int_equal(textsafe_json_fputs(f, in), 0);
	char *got = captured(f);
	assert_string_equal(got, "{\n\t\"q\":\t\"a\\u001b[2J\\u007f\\u009b\\ufffd\\ufffd\\ufffd \xc3\xa9\"\n}");
	test_free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(controls_are_escaped),
		cmocka_unit_test(invalid_utf8_is_escaped_bytewise),
		cmocka_unit_test(bidi_controls_are_escaped),
		cmocka_unit_test(next_decodes_one_character),
		cmocka_unit_test(fprintf_keeps_only_its_own_line_end),
		cmocka_unit_test(json_stays_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
