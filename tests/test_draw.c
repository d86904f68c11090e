/* draw: what reaches the terminal from data is always safe and fits. The
 * screen is a real curses screen writing to /dev/null; what was drawn is
 * read back from the window. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>

#include "ui/draw.h"

static WINDOW *win;

/* The window's row 0 as UTF-8, trailing blanks removed. */
static void row_text(char *out, size_t cap)
{
	wchar_t wide[256];
	cchar_t cells[128];
	size_t n = 0;
	int width = getmaxx(win);
	mvwin_wchnstr(win, 0, 0, cells, width);
	for (int x = 0; x < width; x++) {
		wchar_t wc[CCHARW_MAX + 1];
		attr_t attrs;
		short pair;
		getcchar(&cells[x], wc, &attrs, &pair, NULL);
		if (wc[0] != L'\0' && n < 255)
			wide[n++] = wc[0];
	}
	while (n > 0 && wide[n - 1] == L' ')
		n--;
	wide[n] = L'\0';
	wcstombs(out, wide, cap);
}

static void drawn(const char *text, int cells, const char *expect)
{
	char got[512];
	werase(win);
	draw_at(win, 0, 0, text, cells);
	row_text(got, sizeof got);
	assert_string_equal(got, expect);
}

static void escapes_control_characters(void **state)
{
	(void)state;
	drawn("a\x1b[31mred\x07", 40, "a\\x1b[31mred\\x07");
	drawn("tab\there\r\n", 40, "tab\\x09here\\x0d\\x0a");
	drawn("del\x7f", 40, "del\\x7f");
	drawn("c1 \xc2\x9b" "2J", 40, "c1 \\xc2\\x9b2J"); /* U+009B, the 8-bit CSI: each byte */
}

static void escapes_invalid_utf8(void **state)
{
	(void)state;
	drawn("bad \xff\xfe end", 40, "bad \\xff\\xfe end");
	drawn("cut \xe2\x94", 40, "cut \\xe2\\x94");
}

static void keeps_printable_unicode_and_counts_cells(void **state)
{
	(void)state;
	drawn("µs × … 漢字", 40, "µs × … 漢字");
	assert_int_equal(draw_width("漢字"), 4);
	assert_int_equal(draw_width("a\x1b"), 5);
}

static void cuts_to_the_cells_given(void **state)
{
	(void)state;
	drawn("SELECT count(*) FROM orders", 10, "SELECT co…");
	drawn("exactly10!", 10, "exactly10!");
	drawn("\x1b\x1b\x1b", 6, "\\x1b…"); /* an escape is never cut in half */
	drawn("anything", 0, "");
}

/* Where a line of text breaks: between characters, by cells. */
static void fits_whole_characters_by_cells(void **state)
{
	(void)state;
	const char *cjk = "GET /中文中文"; /* 5 cells, then four of 2 cells (3 bytes each) */
	size_t len = strlen(cjk);
	int used = -1;
	assert_int_equal(draw_fit(cjk, len, 9, &used), 5 + 6); /* 5 + 2 + 2; not half of the third */
	assert_int_equal(used, 9);
	assert_int_equal(draw_fit(cjk, len, 10, &used), 5 + 6); /* the third needs 2 cells */
	assert_int_equal(used, 9);
	assert_int_equal(draw_fit(cjk, len, 11, &used), 5 + 9);
	assert_int_equal(used, 11);
	assert_int_equal(draw_fit(cjk, len, 100, &used), len);
	assert_int_equal(used, 13);
	assert_int_equal(draw_fit(cjk, len, 0, &used), 0);
	/* an escape is one piece of 4 cells per byte */
	assert_int_equal(draw_fit("ab\x1b" "c", 4, 5, NULL), 2);
	assert_int_equal(draw_fit("ab\x1b" "c", 4, 6, NULL), 3);
	assert_int_equal(draw_fit("a\xe2\x80\xae" "b", 5, 6, NULL), 1); /* RLO: \\u202e, 6 cells */
	assert_int_equal(draw_fit("a\xe2\x80\xae" "b", 5, 7, NULL), 4);
}

static void formats_durations_and_counts(void **state)
{
	(void)state;
	char buf[32];
	draw_duration(buf, sizeof buf, 512);
	assert_string_equal(buf, "512ns");
	draw_duration(buf, sizeof buf, 206000);
	assert_string_equal(buf, "206µs");
	draw_duration(buf, sizeof buf, 4420000);
	assert_string_equal(buf, "4.42ms");
	draw_duration(buf, sizeof buf, 53400000);
	assert_string_equal(buf, "53.4ms");
	draw_duration(buf, sizeof buf, 2500000000);
	assert_string_equal(buf, "2.50s");
	/* at every step, a figure that rounds up to the next step is written there */
	static const struct { int64_t ns; const char *want; } edges[] = {
		{ 999, "999ns" },            { 1000, "1.00µs" },          { 9994, "9.99µs" },
		{ 9995, "10µs" },            { 999499, "999µs" },         { 999500, "1.00ms" },
		{ 999990, "1.00ms" },        { 9994999, "9.99ms" },       { 9995000, "10.0ms" },
		{ 99949999, "99.9ms" },      { 99950000, "100ms" },       { 999499999, "999ms" },
		{ 999500000, "1.00s" },      { 59994999999, "59.99s" },   { 59995000000, "60.00s" },
		{ 1005000, "1.01ms" },       { 1004999, "1.00ms" },
	};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		draw_duration(buf, sizeof buf, edges[i].ns);
		assert_string_equal(buf, edges[i].want);
	}
	/* the trace list's start: seconds below 100 as written, then minutes, never "+100.00s" */
	static const struct { int64_t ns; const char *want; } starts[] = {
		{ 0, "+0ns" },                { 99994999999, "+99.99s" },  { 99995000000, "+1m40s" },
		{ 99999999999, "+1m40s" },    { 100000000000, "+1m40s" },  { 100400000000, "+1m40s" },
		{ 100500000000, "+1m41s" },   { 5999500000000, "+1h40m" }, { 7200000000000, "+2h00m" },
	};
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		draw_start_offset(buf, sizeof buf, starts[i].ns);
		assert_string_equal(buf, starts[i].want);
	}
	draw_count(buf, sizeof buf, 1234567);
	assert_string_equal(buf, "1,234,567");
	draw_count(buf, sizeof buf, 999);
	assert_string_equal(buf, "999");
}

static int setup(void **state)
{
	(void)state;
	setlocale(LC_ALL, "");
	FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
	if (!out || !in || !newterm(NULL, out, in))
		return -1;
	draw_init();
	win = newwin(1, 80, 0, 0);
	return win && draw_unicode() ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	delwin(win);
	endwin();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escapes_control_characters),
		cmocka_unit_test(escapes_invalid_utf8),
		cmocka_unit_test(keeps_printable_unicode_and_counts_cells),
		cmocka_unit_test(cuts_to_the_cells_given),
		cmocka_unit_test(fits_whole_characters_by_cells),
		cmocka_unit_test(formats_durations_and_counts),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
