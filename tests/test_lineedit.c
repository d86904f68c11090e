/* lineedit: a prompt's line typed, pasted (controls made spaces or
 * dropped; a paste too long refused whole, a typed byte past the limit
 * refused between whole characters), erased by
 * character, word and line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/lineedit.h"

static void typing_and_erasing(void **state)
{
	(void)state;
	char buf[16] = "";
	assert_true(lineedit_type(buf, sizeof buf, 'a'));
	assert_false(lineedit_type(buf, sizeof buf, '\n')); /* a control is no text */
	assert_false(lineedit_type(buf, sizeof buf, 0x7f));
	assert_false(lineedit_type(buf, sizeof buf, 27));
	assert_string_equal(buf, "a");
	strcpy(buf, "ab \xc3\xa9");
	lineedit_erase_char(buf); /* é, both bytes */
	assert_string_equal(buf, "ab ");
	strcpy(buf, "one two  ");
	lineedit_erase_word(buf); /* the spaces, then "two" */
	assert_string_equal(buf, "one ");
	lineedit_erase_word(buf);
	assert_string_equal(buf, "");
	lineedit_erase_word(buf); /* nothing left: nothing happens */
	lineedit_erase_char(buf);
	assert_string_equal(buf, "");
	strcpy(buf, "x y");
	lineedit_clear(buf);
	assert_string_equal(buf, "");
}

static void a_full_line_keeps_whole_characters(void **state)
{
	(void)state;
	char buf[6] = "abcd"; /* room for one more byte */
	assert_true(lineedit_type(buf, sizeof buf, 0xc3)); /* é's first byte fits */
	assert_false(lineedit_type(buf, sizeof buf, 0xa9)); /* its second does not: both go */
	assert_string_equal(buf, "abcd");
}

static void a_paste_is_text(void **state)
{
	(void)state;
	char buf[32] = "ord";
	const char paste[] = "ers\r\nq\033[201~\tx\x7f";
	assert_int_equal(lineedit_paste(buf, sizeof buf, paste, sizeof paste - 1), 0);
	assert_string_equal(buf, "orders  q[201~ x"); /* CR, LF, tab: spaces; ESC, DEL: gone */
	/* too long for the buffer: refused whole, never cut into another text */
	char small[7] = "ab"; /* six bytes of text */
	assert_int_equal(lineedit_paste(small, sizeof small, "cde\xc3\xa9", 5), 1); /* one byte too many */
	assert_string_equal(small, "ab");
	assert_int_equal(lineedit_paste(small, sizeof small, "c\x1b\x1b\x1b\x1b" "d", 6), 0); /* ESCs take no room */
	assert_string_equal(small, "abcd");
	char exact[4] = "";
	assert_int_equal(lineedit_paste(exact, sizeof exact, "abc", 3), 0);
	assert_string_equal(exact, "abc");
}

/* A paste its reader cut (more bytes sent than it kept) is refused whole,
 * even where the bytes kept would fit: 1023 'a' and an é cut after its
 * first byte must not leave a lone 0xc3 in the prompt. */
static void a_paste_cut_by_its_reader_is_refused(void **state)
{
	(void)state;
	char buf[1025] = "";
	char kept[1024];
	memset(kept, 'a', 1023);
	kept[1023] = '\xc3'; /* é's first byte; its second was dropped */
	assert_int_not_equal(lineedit_paste_more(buf, sizeof buf, kept, sizeof kept, 1), 0);
	assert_string_equal(buf, "");
	char small[8] = "ab";
	assert_int_not_equal(lineedit_paste_more(small, sizeof small, "cd", 2, 3976), 0);
	assert_string_equal(small, "ab");
	assert_int_equal(lineedit_paste_more(small, sizeof small, "cd", 2, 0), 0); /* nothing dropped: taken */
	assert_string_equal(small, "abcd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(typing_and_erasing),
		cmocka_unit_test(a_full_line_keeps_whole_characters),
		cmocka_unit_test(a_paste_is_text),
		cmocka_unit_test(a_paste_cut_by_its_reader_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
