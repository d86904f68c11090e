/* sqlfp: a table of statements and the fingerprints they must give. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/sqlfp.h"

static const struct {
	const char *sql, *fingerprint;
} cases[] = {
	/* the lab's own statements */
	{ "SELECT count(*) FROM orders WHERE user_id = ?", "SELECT count(*) FROM orders WHERE user_id = ?" },
	{ "SELECT count(*) FROM orders WHERE user_id = 17", "SELECT count(*) FROM orders WHERE user_id = ?" },
	{ "SELECT user_id, count(*) FROM orders WHERE user_id IN (?, ?, ?) GROUP BY user_id",
	  "SELECT user_id, count(*) FROM orders WHERE user_id IN (?) GROUP BY user_id" },
	/* strings, with '' escapes and embedded comment markers */
	{ "SELECT * FROM users WHERE username = 'user_01'", "SELECT * FROM users WHERE username = ?" },
	{ "SELECT * FROM t WHERE a = 'it''s' AND b = ''", "SELECT * FROM t WHERE a = ? AND b = ?" },
	{ "SELECT 'a -- not a comment' FROM t", "SELECT ? FROM t" },
	{ "SELECT '/* nor this */', x FROM t", "SELECT ?, x FROM t" },
	/* numbers: negative, float, exponent, hex, leading dot */
	{ "SELECT * FROM t WHERE a = -5", "SELECT * FROM t WHERE a = ?" },
	{ "SELECT * FROM t WHERE a = 3.25 OR b < -0.5e-3", "SELECT * FROM t WHERE a = ? OR b < ?" },
	{ "SELECT 0x1F, .5, 1e10 FROM t", "SELECT ?, ?, ? FROM t" },
	{ "SELECT a-1, a - 2, (-3) FROM t", "SELECT a - ?, a - ?, (?) FROM t" },
	{ "UPDATE t SET n = n + 1 WHERE id = 9", "UPDATE t SET n = n + ? WHERE id = ?" },
	/* blobs, NULL, TRUE, FALSE */
	{ "INSERT INTO t VALUES (X'DEADbeef', x'00')", "INSERT INTO t VALUES (?, ?)" },
	{ "SELECT * FROM t WHERE a IS NULL AND b = TRUE AND c = false",
	  "SELECT * FROM t WHERE a IS ? AND b = ? AND c = ?" },
	/* IN lists */
	{ "SELECT * FROM t WHERE id IN (1, 2, 3, 4)", "SELECT * FROM t WHERE id IN (?)" },
	{ "SELECT * FROM t WHERE id in (1)", "SELECT * FROM t WHERE id IN (?)" },
	{ "SELECT * FROM t WHERE id IN ('a','b') AND k NOT IN (?1, ?2)",
	  "SELECT * FROM t WHERE id IN (?) AND k NOT IN (?)" },
	{ "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE v = 2)",
	  "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE v = ?)" },
	{ "SELECT * FROM t WHERE (a, b) IN (VALUES (1, 2))", "SELECT * FROM t WHERE (a, b) IN (VALUES (?, ?))" },
	/* comments and white space */
	{ "SELECT a -- the a column\nFROM t", "SELECT a FROM t" },
	{ "SELECT /* hint */ a\n\t FROM   t  ;", "SELECT a FROM t" },
	{ "  select\ta,b from t where c=1;;  ", "SELECT a, b FROM t WHERE c = ?" },
	/* identifiers with digits, quoted identifiers, qualified names */
	{ "SELECT t1.col2, \"user 3\".x FROM t1 JOIN \"user 3\" ON t1.id = \"user 3\".id",
	  "SELECT t1.col2, \"user 3\".x FROM t1 JOIN \"user 3\" ON t1.id = \"user 3\".id" },
	{ "SELECT [weird name], `b2` FROM tbl9 WHERE c3 = 4", "SELECT [weird name], `b2` FROM tbl9 WHERE c3 = ?" },
	/* named parameters */
	{ "SELECT * FROM t WHERE a = :a AND b = @b AND c = $c AND d = ?7",
	  "SELECT * FROM t WHERE a = ? AND b = ? AND c = ? AND d = ?" },
	/* operators */
	{ "SELECT a||'x', b<>2, c>=3, d!=4, j->>'$.k' FROM t",
	  "SELECT a || ?, b <> ?, c >= ?, d != ?, j ->> ? FROM t" },
	/* the optimized query, folded from a multi-line literal */
	{ "SELECT users.id, count(orders.id) AS order_count\n  FROM users LEFT OUTER JOIN orders\n"
	  "    ON users.id = orders.user_id\n GROUP BY users.id",
	  "SELECT users.id, count(orders.id) AS order_count FROM users LEFT OUTER JOIN orders ON "
	  "users.id = orders.user_id GROUP BY users.id" },
	/* degenerate input */
	{ "", "" },
	{ "   -- only a comment", "" },
	{ "SELECT 'unterminated", "SELECT ?" },
	/* an unclosed quoted identifier may be a string: hidden to the end */
	{ "SELECT \"unclosed secret", "SELECT ?" },
	{ "SELECT [unclosed secret", "SELECT ?" },
};

/* SQL from other tools' files, in their dialects: every literal hidden,
 * the shape kept where the dialect says unambiguously where a literal ends. */
static const struct {
	enum sqlfp_dialect dialect;
	const char *sql, *fingerprint;
} dialect_cases[] = {
	/* the four leaks */
	{ SQLFP_MYSQL, "SELECT * FROM users WHERE pw = \"hunter2\"", "SELECT * FROM users WHERE pw = ?" },
	{ SQLFP_MYSQL, "SELECT * FROM people WHERE note = 'I\\'m John, SSN 123-45-6789' AND id = 7",
	  "SELECT * FROM people WHERE note = ? AND id = ?" },
	{ SQLFP_POSTGRESQL, "SELECT $$my secret token$$, $tok$other secret$tok$ FROM t", "SELECT ?, ? FROM t" },
	{ SQLFP_POSTGRESQL, "SELECT E'esc\\'aped secret' FROM t", "SELECT ? FROM t" },
	/* MySQL: backslash escapes in both quotes, '' too, # and executable comments */
	{ SQLFP_MYSQL, "SELECT * FROM t WHERE name = 'O\\'Brien' AND age > 30", "SELECT * FROM t WHERE name = ? AND age > ?" },
	{ SQLFP_MYSQL, "INSERT INTO t VALUES (\"a\\\"b\", 'c''d', N'e', _utf8mb4'f', b'0101', 0b11, X'AB', 0xCD)",
	  "INSERT INTO t VALUES (?, ?, ?, _utf8mb4 ?, ?, ?, ?, ?)" },
	{ SQLFP_MYSQL, "SELECT a # secret one\nFROM t /*! secret two */ WHERE b = 1 -- secret three", "SELECT a FROM t WHERE b = ?" },
	{ SQLFP_MYSQL, "SELECT `weird``name` FROM t", "SELECT `weird``name` FROM t" },
	/* a server without backslash escapes: the reading that closes wins, or all is hidden */
	{ SQLFP_MYSQL, "SELECT 'C:\\' , 'secret'", "SELECT ?" },
	/* PostgreSQL: "..." is an identifier, nested comments, casts, arrays */
	{ SQLFP_POSTGRESQL, "SELECT \"Name\" FROM \"Users\" WHERE a = 'x'::text", "SELECT \"Name\" FROM \"Users\" WHERE a = ? :: text" },
	{ SQLFP_POSTGRESQL, "SELECT 1 /* outer /* inner */ still a secret */ FROM t", "SELECT ? FROM t" },
	{ SQLFP_POSTGRESQL, "SELECT ARRAY['secret', 'other'], arr[12345678] FROM t WHERE id = $1",
	  "SELECT ARRAY [ ?, ? ], arr [ ? ] FROM t WHERE id = ?" },
	{ SQLFP_POSTGRESQL, "SELECT U&'d\\0061t', B'1010', X'1F', 0x1F, 1_000_000 FROM t", "SELECT ?, ?, ?, ?, ? FROM t" },
	{ SQLFP_POSTGRESQL, "SELECT 'C:\\' AS path, 'secret'", "SELECT ?" },
	/* unclosed: the rest of the text is the literal */
	{ SQLFP_POSTGRESQL, "SELECT $t$ never closed secret", "SELECT ?" },
	{ SQLFP_POSTGRESQL, "SELECT 1 /* never closed secret", "SELECT ?" },
	{ SQLFP_MYSQL, "SELECT \"never closed secret", "SELECT ?" },
	/* any dialect: every quoting at once, "..." an identifier, [x] one when it looks like one */
	{ SQLFP_ANY, "SELECT \"col\", [Order Details] FROM t WHERE a = 'it\\'s secret' AND b = 1", "SELECT \"col\", [Order Details] FROM t WHERE a = ?" },
	{ SQLFP_ANY, "SELECT \"it\\\"s a secret\" FROM t", "SELECT ?" },
	{ SQLFP_ANY, "SELECT $$a$$, E'b\\'c', N'd', x # secret\n FROM t", "SELECT ?, ?, ?, x FROM t" },
	/* the dialect changes nothing in the lab's own statements */
	{ SQLFP_MYSQL, "SELECT count(*) FROM orders WHERE user_id IN (?, ?, ?)", "SELECT count(*) FROM orders WHERE user_id IN (?)" },
	{ SQLFP_ANY, "SELECT users.id, count(orders.id) AS order_count FROM users LEFT OUTER JOIN orders ON users.id = orders.user_id",
	  "SELECT users.id, count(orders.id) AS order_count FROM users LEFT OUTER JOIN orders ON users.id = orders.user_id" },
};

static void hides_literals_of_each_dialect(void **state)
{
	(void)state;
	char out[512], again[512];
	for (size_t i = 0; i < sizeof dialect_cases / sizeof dialect_cases[0]; i++) {
		const char *sql = dialect_cases[i].sql;
		enum sqlfp_dialect d = dialect_cases[i].dialect;
		size_t len = sqlfp_normalize_dialect(sql, strlen(sql), d, out, sizeof out);
		if (strcmp(out, dialect_cases[i].fingerprint) != 0)
			fail_msg("dialect case %zu: '%s'\n  gave     '%s'\n  expected '%s'", i, sql, out,
			         dialect_cases[i].fingerprint);
		assert_int_equal(len, strlen(out));
		sqlfp_normalize_dialect(out, len, d, again, sizeof again);
		assert_string_equal(out, again);
	}
}

static void names_the_dialect_of_db_system(void **state)
{
	(void)state;
	assert_int_equal(sqlfp_dialect_of("mysql"), SQLFP_MYSQL);
	assert_int_equal(sqlfp_dialect_of("MariaDB"), SQLFP_MYSQL);
	assert_int_equal(sqlfp_dialect_of("postgresql"), SQLFP_POSTGRESQL);
	assert_int_equal(sqlfp_dialect_of("sqlite"), SQLFP_ANY); /* a file's text, not SQLite's */
	assert_int_equal(sqlfp_dialect_of("oracle.db"), SQLFP_ANY);
	assert_int_equal(sqlfp_dialect_of(""), SQLFP_ANY);
	assert_int_equal(sqlfp_dialect_of(NULL), SQLFP_ANY);
	assert_int_equal(sqlfp_dialect_of(" MySQL "), SQLFP_MYSQL); /* space around it */
	assert_int_equal(sqlfp_dialect_of("mysqlx"), SQLFP_ANY);
	/* declarations that disagree: the dialect that hides more */
	assert_int_equal(sqlfp_dialect_wider(SQLFP_ANY, SQLFP_MYSQL), SQLFP_MYSQL);
	assert_int_equal(sqlfp_dialect_wider(SQLFP_MYSQL, SQLFP_POSTGRESQL), SQLFP_MYSQL);
	assert_int_equal(sqlfp_dialect_wider(SQLFP_POSTGRESQL, SQLFP_SQLITE), SQLFP_ANY);
	assert_int_equal(sqlfp_dialect_wider(SQLFP_POSTGRESQL, SQLFP_POSTGRESQL), SQLFP_POSTGRESQL);
}

/* Quotes no server reads as quotes, and Oracle's q'...', still hide what
 * they hold. */
static void hides_typographic_and_oracle_quotes(void **state)
{
	(void)state;
	static const struct {
		const char *sql, *fingerprint;
	} any[] = {
		{ "SELECT a FROM u WHERE n = \u2018S08cret\u2019", "SELECT a FROM u WHERE n = ?" },
		{ "SELECT a FROM u WHERE n = \u201cS09cret\u201d AND m = 1", "SELECT a FROM u WHERE n = ? AND m = ?" },
		{ "SELECT a FROM u WHERE n = \uff07S43cret\uff07", "SELECT a FROM u WHERE n = ?" },
		{ "SELECT a FROM u WHERE n = \u2018never closed S10cret", "SELECT a FROM u WHERE n = ?" },
		{ "SELECT a FROM u WHERE n = Q'{S06 it's cret}' AND m = 2", "SELECT a FROM u WHERE n = ? AND m = ?" },
		{ "SELECT a FROM u WHERE n = nq'[S07 ] cret]' AND m = q'!S11!'", "SELECT a FROM u WHERE n = ? AND m = ?" },
		{ "SELECT a FROM u WHERE n = q'<S12 never closed", "SELECT a FROM u WHERE n = ?" },
	};
	char out[256];
	for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
		sqlfp_normalize_dialect(any[i].sql, strlen(any[i].sql), SQLFP_ANY, out, sizeof out);
		if (strcmp(out, any[i].fingerprint) != 0)
			fail_msg("'%s'\n  gave     '%s'\n  expected '%s'", any[i].sql, out, any[i].fingerprint);
	}
	/* A word that starts with q is still a word. */
	sqlfp_normalize_dialect("SELECT qty FROM q WHERE quota = 1", 33, SQLFP_ANY, out, sizeof out);
	assert_string_equal(out, "SELECT qty FROM q WHERE quota = ?");
}

static void normalizes_every_case(void **state)
{
	(void)state;
	char out[512];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len = sqlfp_normalize(cases[i].sql, strlen(cases[i].sql), out, sizeof out);
		if (strcmp(out, cases[i].fingerprint) != 0)
			fail_msg("case %zu: '%s'\n  gave     '%s'\n  expected '%s'", i, cases[i].sql, out,
			         cases[i].fingerprint);
		assert_int_equal(len, strlen(cases[i].fingerprint));
	}
	assert_true(sizeof cases / sizeof cases[0] >= 25);
}

static void is_stable_under_its_own_output(void **state)
{
	(void)state;
	char once[512], twice[512];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sqlfp_normalize(cases[i].sql, strlen(cases[i].sql), once, sizeof once);
		sqlfp_normalize(once, strlen(once), twice, sizeof twice);
		assert_string_equal(once, twice);
	}
}

static void cuts_safely_and_reports_full_length(void **state)
{
	(void)state;
	const char *sql = "SELECT count(*) FROM orders WHERE user_id = 42";
	char small[10];
	size_t len = sqlfp_normalize(sql, strlen(sql), small, sizeof small);
	assert_int_equal(len, strlen("SELECT count(*) FROM orders WHERE user_id = ?"));
	assert_string_equal(small, "SELECT co");
	/* a long IN list collapses even when the input is larger than the output */
	char big[4096] = "SELECT * FROM t WHERE id IN (";
	for (int i = 0; i < 500; i++)
		strcat(big, i ? ", 123456" : "1");
	strcat(big, ")");
	char out[64];
	sqlfp_normalize(big, strlen(big), out, sizeof out);
	assert_string_equal(out, "SELECT * FROM t WHERE id IN (?)");
	/* a NUL ends the text (found by the fuzzer: it used to be copied through) */
	static const char nul[] = "SELECT coun\0\0\0 FROM t";
	assert_int_equal(sqlfp_normalize(nul, sizeof nul - 1, out, sizeof out), strlen("SELECT coun"));
	assert_string_equal(out, "SELECT coun");
}

static void names_operation_and_collection(void **state)
{
	(void)state;
	char op[16], coll[32];
	sqlfp_operation("SELECT count(*) FROM orders WHERE user_id = ?", op, sizeof op);
	sqlfp_collection("SELECT count(*) FROM orders WHERE user_id = ?", coll, sizeof coll);
	assert_string_equal(op, "SELECT");
	assert_string_equal(coll, "orders");
	sqlfp_collection("SELECT users.id FROM users LEFT OUTER JOIN orders ON users.id = orders.user_id",
	                 coll, sizeof coll);
	assert_string_equal(coll, "users");
	sqlfp_operation("INSERT INTO orders(user_id) VALUES (?)", op, sizeof op);
	sqlfp_collection("INSERT INTO orders(user_id) VALUES (?)", coll, sizeof coll);
	assert_string_equal(op, "INSERT");
	assert_string_equal(coll, "orders");
	sqlfp_collection("UPDATE t2 SET a = ?", coll, sizeof coll);
	assert_string_equal(coll, "t2");
	sqlfp_operation("t.x", op, sizeof op);
	assert_string_equal(op, "");
	sqlfp_collection("SELECT count(*) FROM obslab_lab.orders WHERE user_id = ?", coll, sizeof coll);
	assert_string_equal(coll, "obslab_lab.orders");
	sqlfp_collection("SELECT ?", coll, sizeof coll);
	assert_string_equal(coll, "");
	char col[32];
	sqlfp_where_column("SELECT count(*) FROM orders WHERE user_id = ?", col, sizeof col);
	assert_string_equal(col, "user_id");
	sqlfp_where_column("SELECT a FROM t WHERE t.b2 IN (?)", col, sizeof col);
	assert_string_equal(col, "b2");
	sqlfp_where_column("SELECT a FROM t", col, sizeof col);
	assert_string_equal(col, "");
}

/* A list of values as the fingerprint renders it, from the SQL itself. */
static void tells_a_list_from_one_value(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		bool list;
	} lists[] = {
		{ "select user_id, count(*) from orders where user_id in (?, ?, ?) group by user_id", true },
		{ "SELECT * FROM t WHERE a = ? AND b IN (1)", true },
		{ "SELECT * FROM t WHERE id = ANY($1)", true },
		{ "SELECT * FROM t WHERE id = some (?)", true },
		{ "SELECT count(*) FROM orders WHERE user_id = ?", false },
		{ "SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x = ?)", false },
		{ "SELECT * FROM t WHERE id IN (a, b)", false },
		{ "SELECT \"IN (?)\" FROM t WHERE x = ?", false },
		{ "SELECT in_list FROM t", false },
	};
	char fp[256];
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
		sqlfp_normalize(lists[i].sql, strlen(lists[i].sql), fp, sizeof fp);
		if (sqlfp_takes_list(fp) != lists[i].list)
			fail_msg("%s (%s): expected %d", lists[i].sql, fp, lists[i].list);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normalizes_every_case),
		cmocka_unit_test(is_stable_under_its_own_output),
		cmocka_unit_test(cuts_safely_and_reports_full_length),
		cmocka_unit_test(names_operation_and_collection),
		cmocka_unit_test(hides_literals_of_each_dialect),
		cmocka_unit_test(names_the_dialect_of_db_system),
		cmocka_unit_test(tells_a_list_from_one_value),
		cmocka_unit_test(hides_typographic_and_oracle_quotes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
