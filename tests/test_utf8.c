/* utf8: checking and cutting, and every place obslab cuts text to fit (span
 * names and attributes read from files, fingerprints, index hints, log
 * text) keeps whole characters, so that what it writes it reads back; the
 * lab's users come back whole, whatever their length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fixture.h"
#include "obslab/log.h"
#include "obslab/snapshot.h"
#include "obslab/sqlfp.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"

static bool valid(const char *s)
{
	return utf8_valid_len(s, strlen(s)) == strlen(s);
}

/* n copies of a character, NUL-terminated, in a buffer the caller frees. */
static char *repeat(const char *ch, size_t n, const char *tail)
{
	size_t w = strlen(ch), t = strlen(tail);
	char *s = malloc(w * n + t + 1);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		memcpy(s + i * w, ch, w);
	memcpy(s + w * n, tail, t + 1);
	return s;
}

static void checks_well_formed_utf8(void **state)
{
	(void)state;
	assert_int_equal(utf8_valid_len("plain ascii text", 16), 16);
	assert_int_equal(utf8_valid_len("é日𝄞", 9), 9);
	assert_int_equal(utf8_valid_len("ab\xc3", 3), 2);             /* cut short */
	assert_int_equal(utf8_valid_len("a\xc0\xaf", 3), 1);          /* overlong */
	assert_int_equal(utf8_valid_len("a\xed\xa0\x80", 4), 1);      /* a surrogate */
	assert_int_equal(utf8_valid_len("a\xf4\x90\x80\x80", 5), 1);  /* past U+10FFFF */
	assert_int_equal(utf8_valid_len("abcdefgh\0ij", 11), 8);      /* NUL */
	assert_int_equal(utf8_valid_len("\x80", 1), 0);
	assert_int_equal(utf8_char_len("日x", 4), 3);
	assert_int_equal(utf8_char_len("日", 2), 0);
}

static void cuts_between_characters(void **state)
{
	(void)state;
	const char *s = "aé日𝄞b"; /* 1 + 2 + 3 + 4 + 1 bytes */
	const size_t keep[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11 };
	for (size_t n = 0; n <= 11; n++)
		assert_int_equal(utf8_cut(s, n), keep[n]);
	/* bytes that are not UTF-8 are left as they are */
	assert_int_equal(utf8_cut("a\x80\x80\x80\x80", 5), 5);
	assert_int_equal(utf8_cut("ab\xff", 3), 3);
}

static void log_text_keeps_whole_characters(void **state)
{
	(void)state;
	char *s = repeat("日", LOG_TEXT_MAX, ""); /* 3 bytes each: longer than a field holds */
	struct log_field f = log_text("k", s);
	assert_true(valid(f.v.text));
	/* as many whole characters of 3 bytes as LOG_TEXT_MAX - 1 bytes hold */
	assert_int_equal(strlen(f.v.text), (LOG_TEXT_MAX - 1) / 3 * 3);
	free(s);
}

/* A native snapshot of one trace: a root with a long name, and six
 * full-scanning queries on a table whose name is longer than a hint holds. */
static char *long_names_document(void)
{
	char *root = repeat("é", 600, "x");              /* 1201 bytes; the cut at 1023 is inside an é */
	char *child = repeat("日", 500, "");             /* 1500 bytes */
	char *emoji = repeat("𝄞", 300, "");              /* 1200 bytes of 4-byte characters */
	char *table = repeat("表", 20, "");              /* 60 bytes: a 40-byte cut is inside one */
	char *sql = malloc(4096);
	assert_non_null(sql);
	snprintf(sql, 4096, "SELECT * FROM \\\"%s\\\" WHERE \\\"%s\\\" = ?", table, emoji);
	size_t cap = 64 * 1024;
	char *doc = malloc(cap);
	assert_non_null(doc);
	int n = snprintf(doc, cap,
	                 "{\"format\":\"obslab.snapshot\",\"version\":1,\"traces\":[{\"trace_id\":"
	                 "\"0123456789abcdef0123456789abcdef\",\"spans\":["
	                 "{\"span_id\":\"00000000000000a1\",\"parent_span_id\":null,\"name\":\"%s\",\"kind\":\"server\","
	                 "\"start_unix_ns\":\"1000\",\"end_unix_ns\":\"90000\",\"status\":\"ok\"},"
	                 "{\"span_id\":\"00000000000000a2\",\"parent_span_id\":\"00000000000000a1\",\"name\":\"x%s\","
	                 "\"kind\":\"internal\",\"start_unix_ns\":\"2000\",\"end_unix_ns\":\"3000\",\"status\":\"ok\"},"
	                 "{\"span_id\":\"00000000000000a3\",\"parent_span_id\":\"00000000000000a1\",\"name\":\"xy%s\","
	                 "\"kind\":\"internal\",\"start_unix_ns\":\"3000\",\"end_unix_ns\":\"4000\",\"status\":\"ok\"}",
	                 root, child, emoji);
	for (int i = 0; i < 6; i++)
		n += snprintf(doc + n, cap - (size_t)n,
		              ",{\"span_id\":\"00000000000000b%d\",\"parent_span_id\":\"00000000000000a1\",\"name\":\"%s\","
		              "\"kind\":\"client\",\"db\":{\"rows\":1,\"fullscan_steps\":500},\"start_unix_ns\":\"%d\","
		              "\"end_unix_ns\":\"%d\",\"status\":\"ok\"}",
		              i + 1, sql, 10000 + i * 1000, 10900 + i * 1000);
	snprintf(doc + n, cap - (size_t)n, "]}]}");
	free(root);
	free(child);
	free(emoji);
	free(table);
	free(sql);
	return doc;
}

static void assert_all_names_valid(const struct snapshot *snap)
{
	for (uint32_t id = 0; id < strtab_count(snap->names); id++)
		assert_true(valid(strtab_get(snap->names, id)));
}

static void long_names_survive_a_round_trip(void **state)
{
	(void)state;
	char *doc = long_names_document();
	struct snapshot snap;
	struct obslab_error err;
	assert_true(snapshot_parse(doc, strlen(doc), &snap, &err));
	assert_all_names_valid(&snap);
	/* each name kept as much as fits, less at most one character */
	for (size_t i = 0; i < snap.nrecords; i++)
		if (!(snap.records[i].flags & SPAN_F_DB))
			assert_in_range(strtab_len(snap.names, snap.records[i].name), 1020, 1023);

	/* written as x writes it, then read back: the same names, and the
	 * index hint (cut at 40 bytes) valid too */
	struct store *store = snapshot_store(&snap);
	const struct findings_config fcfg = { 5, 0 };
	for (int format = SNAPSHOT_NATIVE; format <= SNAPSHOT_OTLP; format++) {
		char path[512];
		fixture_path(path, sizeof path, format == SNAPSHOT_NATIVE ? "long.json" : "long.otlp.json");
		assert_true(snapshot_write(path, (enum snapshot_format)format, store, snap.names, &snap.meta, &fcfg, &err));
		struct snapshot back;
		if (!snapshot_read(path, &back, &err))
			fail_msg("%s", err.msg);
		assert_int_equal(back.nrecords, snap.nrecords);
		for (size_t i = 0; i < snap.nrecords; i++)
			assert_string_equal(strtab_get(back.names, back.records[i].name),
			                    strtab_get(snap.names, snap.records[i].name));
		snapshot_free(&back);
	}
	store_destroy(store);
	snapshot_free(&snap);
	free(doc);
}

static void tokens_and_fingerprints_cut_between_characters(void **state)
{
	(void)state;
	char *table = repeat("表", 20, ""); /* "x" and 60 bytes: 39 bytes end inside the 13th */
	char sql[4096], out[40];
	snprintf(sql, sizeof sql, "SELECT * FROM x%s WHERE x%s = ?", table, table);
	assert_int_equal(sqlfp_collection(sql, out, sizeof out), 61);
	assert_true(valid(out));
	assert_int_equal(strlen(out), 37);
	assert_int_equal(sqlfp_where_column(sql, out, sizeof out), 61);
	assert_true(valid(out));

	/* a fingerprint longer than SQLFP_MAX_LEN */
	char *col = repeat("ü", SQLFP_MAX_LEN, "");
	char *big = malloc(3 * SQLFP_MAX_LEN);
	assert_non_null(big);
	snprintf(big, 3 * SQLFP_MAX_LEN, "SELECT a%s FROM t", col);
	struct strtab *names = strtab_create();
	uint32_t id = sqlfp_intern(names, big, strlen(big));
	assert_true(valid(strtab_get(names, id)));
	assert_in_range(strtab_len(names, id), SQLFP_MAX_LEN - 4, SQLFP_MAX_LEN - 1);
	strtab_destroy(names);
	free(big);
	free(col);
	free(table);
}

static void users_come_back_whole(void **state)
{
	(void)state;
	struct lab lab;
	lab_open(&lab, ":memory:", 3, false);
	char *name = repeat("ü", 40, "");               /* 80 bytes: once cut at 31 */
	char *email = repeat("日", 30, "@example.com"); /* 102 bytes: once cut at 47 */
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(lab.db, "UPDATE users SET username = ?, email = ? WHERE id = ?", -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, email, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, 2);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_reset(st);
	/* bytes that are not UTF-8 come back as U+FFFD, not raw */
	sqlite3_bind_text(st, 1, "a\xff" "b\xe6\x97", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, "", -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, 3);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);

	char want[512];
	snprintf(want, sizeof want, "{\"id\":2,\"username\":\"%s\",\"email\":\"%s\",", name, email);
	for (int s = 0; s < STRATEGY_SQLITE_COUNT; s++) {
		lab_request(&lab, (enum strategy)s);
		const char *body = lab.result.body;
		assert_true(valid(body));
		assert_non_null(strstr(body, want));
		assert_non_null(strstr(body, "{\"id\":3,\"username\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd\",\"email\":\"\","));
		assert_non_null(strstr(body, "{\"id\":1,\"username\":\"user_01\",\"email\":\"user01@example.com\","));
	}
	free(name);
	free(email);
	lab_close(&lab);
}

static int teardown(void **state)
{
	(void)state;
	fixture_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(checks_well_formed_utf8),
		cmocka_unit_test(cuts_between_characters),
		cmocka_unit_test(log_text_keeps_whole_characters),
		cmocka_unit_test(long_names_survive_a_round_trip),
		cmocka_unit_test(tokens_and_fingerprints_cut_between_characters),
		cmocka_unit_test(users_come_back_whole),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
