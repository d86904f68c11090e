/* sqlfp, as a property: statements built from templates, with a random
 * secret in every literal and comment position, written the way each
 * dialect quotes it, never show any piece of the secret in their
 * fingerprint, whole or cut anywhere (as a long attribute is cut). The
 * seeds are fixed, so a failure names a case that can be run again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "obslab/sqlfp.h"

#define STATEMENTS 3000 /* per dialect */
#define CUTS 4          /* cut copies of each statement */
#define WINDOW 6        /* a leak is any 6 characters of a secret's segment */
#define MAX_SEGMENTS 96

static uint64_t rng_state;

static uint64_t rng_next(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rng_below(size_t n)
{
	return (size_t)(rng_next() % n);
}

/* The statement being built, and every segment of secret put into it. */
struct build {
	char sql[4096];
	size_t len;
	char segments[MAX_SEGMENTS][24];
	size_t n_segments;
	enum sqlfp_dialect dialect;
	bool mysql_dq; /* it holds a MySQL "..." string */
};

static void emit(struct build *b, const char *s, size_t n)
{
	assert_true(b->len + n < sizeof b->sql);
	memcpy(b->sql + b->len, s, n);
	b->len += n;
	b->sql[b->len] = '\0';
}

static void emits(struct build *b, const char *s)
{
	emit(b, s, strlen(s));
}

/* A fresh segment of 10 to 14 characters from alphabet, remembered. */
static const char *new_segment(struct build *b, const char *alphabet)
{
	assert_true(b->n_segments < MAX_SEGMENTS);
	char *seg = b->segments[b->n_segments++];
	size_t n = 10 + rng_below(5), k = strlen(alphabet);
	for (size_t i = 0; i < n; i++)
		seg[i] = alphabet[rng_below(k)];
	seg[n] = '\0';
	return seg;
}

static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";

/* What may sit between a secret's segments: quotes, escapes, dollars and
 * comment markers. Each literal or comment form rules out what would end it. */
static const char *const separators[] = {
	"'", "\"", "\\", "\\'", "''", "$", "$$", "\\\\", " ", ", ", "--", "#", "/*", "*/", ";",
	"\n", "`", "?", ")", "('", "e'", "$tg$", "\\\"", "%", ":x", "@", "[", "]",
};

enum limits {
	NO_NEWLINE = 1,      /* a line comment */
	NO_BLOCK_MARKS = 2,  /* a block comment: neither opener nor closer */
	NO_DOUBLE_DOLLAR = 4 /* $$...$$ */
};

/* A secret of three segments and two separators, into s. */
static void new_secret(struct build *b, char *s, size_t cap, unsigned limits)
{
	s[0] = '\0';
	for (int i = 0; i < 3; i++) {
		strncat(s, new_segment(b, alnum), cap - strlen(s) - 1);
		if (i == 2)
			break;
		const char *sep;
		do
			sep = separators[rng_below(sizeof separators / sizeof separators[0])];
		while (((limits & NO_NEWLINE) && strchr(sep, '\n')) ||
		       ((limits & NO_BLOCK_MARKS) && (strstr(sep, "/*") || strstr(sep, "*/"))) ||
		       ((limits & NO_DOUBLE_DOLLAR) && strstr(sep, "$$")));
		strncat(s, sep, cap - strlen(s) - 1);
	}
}

/* How a string's quote and backslash are written inside it. */
enum style { STANDARD, BACKSLASH };

static void quoted(struct build *b, const char *prefix, char q, enum style style, bool backslash_escapes_quote)
{
	char secret[128];
	new_secret(b, secret, sizeof secret, 0);
	emits(b, prefix);
	emit(b, &q, 1);
	for (const char *p = secret; *p; p++) {
		if (*p == q)
			emits(b, backslash_escapes_quote && rng_below(2) ? (q == '"' ? "\\\"" : "\\'") : (q == '"' ? "\"\"" : "''"));
		else if (*p == '\\' && style == BACKSLASH)
			emits(b, "\\\\");
		else
			emit(b, p, 1);
	}
	emit(b, &q, 1);
}

static void digits(struct build *b, const char *prefix, const char *alphabet, const char *between, const char *suffix)
{
	emits(b, prefix);
	emits(b, new_segment(b, alphabet));
	if (between) {
		emits(b, between);
		emits(b, new_segment(b, alphabet));
	}
	emits(b, suffix);
}

/* The literal forms, and the dialects that write each. */
enum form {
	F_STRING, F_MYSQL_DQ, F_E, F_N, F_CHARSET, F_DOLLAR, F_DOLLAR_TAG, F_UNICODE, F_BLOB, F_HEX,
	F_BITS, F_BINARY, F_INT, F_NEG, F_DECIMAL, F_EXPONENT, F_FORMS
};

static bool writes_form(enum sqlfp_dialect d, enum form f)
{
	switch (f) {
	case F_STRING: case F_BLOB: case F_HEX: case F_INT: case F_NEG: case F_DECIMAL: case F_EXPONENT:
		return true;
	case F_MYSQL_DQ: return d == SQLFP_MYSQL;
	case F_CHARSET: case F_BINARY: return d == SQLFP_MYSQL || d == SQLFP_ANY;
	case F_E: case F_DOLLAR: case F_DOLLAR_TAG: case F_UNICODE:
		return d == SQLFP_POSTGRESQL || d == SQLFP_ANY;
	case F_N: case F_BITS: return d != SQLFP_SQLITE;
	case F_FORMS: break;
	}
	return false;
}

/* A string in the dialect's plain style: MySQL escapes with backslashes,
 * SQLite and PostgreSQL double quotes and keep backslashes; a file of
 * unknown dialect may hold either. */
static enum style plain_style(enum sqlfp_dialect d)
{
	return d == SQLFP_MYSQL || (d == SQLFP_ANY && rng_below(2)) ? BACKSLASH : STANDARD;
}

static void literal(struct build *b)
{
	enum form f;
	do
		f = (enum form)rng_below(F_FORMS);
	while (!writes_form(b->dialect, f));
	enum style plain = plain_style(b->dialect);
	char secret[128];
	switch (f) {
	case F_STRING: quoted(b, "", '\'', plain, plain == BACKSLASH); break;
	case F_MYSQL_DQ:
		quoted(b, "", '"', BACKSLASH, true);
		b->mysql_dq = true;
		break;
	case F_E: quoted(b, rng_below(2) ? "E" : "e", '\'', BACKSLASH, true); break;
	case F_N: quoted(b, "N", '\'', plain, plain == BACKSLASH); break;
	case F_CHARSET: quoted(b, "_utf8mb4", '\'', BACKSLASH, true); break;
	case F_UNICODE: quoted(b, "U&", '\'', BACKSLASH, false); break;
	case F_DOLLAR:
		new_secret(b, secret, sizeof secret, NO_DOUBLE_DOLLAR);
		emits(b, "$$");
		emits(b, secret);
		emits(b, "$$");
		break;
	case F_DOLLAR_TAG:
		new_secret(b, secret, sizeof secret, 0);
		emits(b, "$q$");
		emits(b, secret);
		emits(b, "$q$");
		break;
	case F_BLOB: digits(b, rng_below(2) ? "X'" : "x'", "0123456789abcdef", NULL, "'"); break;
	case F_HEX: digits(b, "0x", "0123456789abcdef", NULL, ""); break;
	case F_BITS: digits(b, "B'", "01", NULL, "'"); break;
	case F_BINARY: digits(b, "0b", "01", NULL, ""); break;
	case F_INT: digits(b, "", "0123456789", NULL, ""); break;
	case F_NEG: digits(b, "-", "0123456789", NULL, ""); break;
	case F_DECIMAL: digits(b, "", "0123456789", ".", ""); break;
	case F_EXPONENT: digits(b, "", "0123456789", "e-", ""); break;
	case F_FORMS: break;
	}
}

enum comment { C_BLOCK, C_LINE, C_HASH, C_NESTED, C_BANG, C_HINT, C_COMMENTS };

static bool writes_comment(enum sqlfp_dialect d, enum comment c)
{
	switch (c) {
	case C_BLOCK: case C_LINE: return true;
	case C_HASH: case C_BANG: case C_HINT: return d == SQLFP_MYSQL || d == SQLFP_ANY;
	case C_NESTED: return d == SQLFP_POSTGRESQL || d == SQLFP_ANY;
	case C_COMMENTS: break;
	}
	return false;
}

static void comment(struct build *b)
{
	enum comment c;
	do
		c = (enum comment)rng_below(C_COMMENTS);
	while (!writes_comment(b->dialect, c));
	char secret[128], inner[128];
	bool line = c == C_LINE || c == C_HASH;
	new_secret(b, secret, sizeof secret, line ? NO_NEWLINE : NO_BLOCK_MARKS);
	static const char *const open[] = { "/* ", "-- ", "# ", "/* ", "/*! ", "/*+ " };
	emits(b, open[c]);
	emits(b, secret);
	if (c == C_NESTED) {
		new_secret(b, inner, sizeof inner, NO_BLOCK_MARKS);
		emits(b, " /* ");
		emits(b, inner);
		emits(b, " */ ");
		new_secret(b, inner, sizeof inner, NO_BLOCK_MARKS);
		emits(b, inner);
	}
	emits(b, line ? "\n" : " */");
}

/* {L}: a literal, {C}: a comment. */
static const char *const templates[] = {
	"SELECT * FROM users WHERE name = {L} AND age > {L}",
	"INSERT INTO orders (user_id, note, total) VALUES ({L}, {L}, {L})",
	"UPDATE accounts SET secret = {L} {C} WHERE id IN ({L}, {L}, {L})",
	"{C} SELECT a, {L} AS x FROM t WHERE b LIKE {L} {C}",
	"SELECT * FROM t WHERE a = {L} OR b = ({L}) ORDER BY c LIMIT {L}",
	"DELETE FROM sessions WHERE token = {L}; {C}",
	"SELECT f({L}, g({L})) FROM t {C} WHERE x BETWEEN {L} AND {L}",
	"SELECT CASE WHEN a = {L} THEN {L} ELSE {L} END FROM t",
	"{C} {C} SELECT {L}",
	"SELECT a FROM t WHERE b = {L} {C} AND c = {L} {C}",
	"INSERT INTO t VALUES ({L}, {L}), ({L}, {L}) {C}",
	"SELECT count(*) FROM orders WHERE user_id = {L} GROUP BY status HAVING count(*) > {L}",
	"SELECT u.id FROM users u JOIN orders o ON o.user_id = u.id WHERE o.note = {L} AND u.email = {L}",
	"WITH x AS (SELECT {L} AS v) SELECT v, {L} FROM x WHERE v <> {L}",
};

static void build_statement(struct build *b, enum sqlfp_dialect d)
{
	b->len = 0;
	b->sql[0] = '\0';
	b->n_segments = 0;
	b->dialect = d;
	b->mysql_dq = false;
	for (const char *p = templates[rng_below(sizeof templates / sizeof templates[0])]; *p; p++) {
		if (strncmp(p, "{L}", 3) == 0) {
			literal(b);
			p += 2;
		} else if (strncmp(p, "{C}", 3) == 0) {
			comment(b);
			p += 2;
		} else {
			emit(b, p, 1);
		}
	}
}

static bool contains_nocase(const char *hay, const char *needle, size_t n)
{
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] && (hay[i] | 0x20) == (needle[i] | 0x20))
			i++;
		if (i == n)
			return true;
	}
	return false;
}

/* The first piece of a segment the fingerprint shows, or NULL. */
static const char *leak(const struct build *b, const char *fingerprint, char *piece)
{
	for (size_t s = 0; s < b->n_segments; s++) {
		const char *seg = b->segments[s];
		for (size_t i = 0; i + WINDOW <= strlen(seg); i++) {
			if (contains_nocase(fingerprint, seg + i, WINDOW)) {
				memcpy(piece, seg + i, WINDOW);
				piece[WINDOW] = '\0';
				return piece;
			}
		}
	}
	return NULL;
}

static const char *const dialect_names[] = { "sqlite", "mysql", "postgresql", "any" };

static void check_dialect(enum sqlfp_dialect d, uint64_t seed)
{
	static struct build b;
	char out[8192], again[8192], piece[WINDOW + 1];
	rng_state = seed;
	for (int i = 0; i < STATEMENTS; i++) {
		build_statement(&b, d);
		for (int cut = 0; cut <= CUTS; cut++) {
			size_t len = cut == 0 ? b.len : 1 + rng_below(b.len - 1);
			sqlfp_normalize_dialect(b.sql, len, d, out, sizeof out);
			if (leak(&b, out, piece))
				fail_msg("%s, seed %llu, statement %d, cut at %zu of %zu: '%s' shows in\n  %.*s\n  -> %s",
				         dialect_names[d], (unsigned long long)seed, i, len, b.len, piece, (int)len, b.sql, out);
			sqlfp_normalize_dialect(out, strlen(out), d, again, sizeof again);
			if (strcmp(out, again) != 0)
				fail_msg("%s, statement %d: not stable:\n  %s\n  -> %s", dialect_names[d], i, out, again);
		}
	}
}

static void sqlite_literals_never_show(void **state)
{
	(void)state;
	check_dialect(SQLFP_SQLITE, 1);
}

static void mysql_literals_never_show(void **state)
{
	(void)state;
	check_dialect(SQLFP_MYSQL, 2);
}

static void postgresql_literals_never_show(void **state)
{
	(void)state;
	check_dialect(SQLFP_POSTGRESQL, 3);
}

static void unknown_dialect_literals_never_show(void **state)
{
	(void)state;
	check_dialect(SQLFP_ANY, 4);
}

/* A file of no (or another) dialect may hold any dialect's statement:
 * MySQL's and PostgreSQL's statements read as SQLFP_ANY show no secret. */
static void any_dialect_reads_the_others(void **state)
{
	(void)state;
	static struct build b;
	char out[8192], piece[WINDOW + 1];
	rng_state = 5;
	for (int i = 0; i < STATEMENTS; i++) {
		enum sqlfp_dialect written = i % 2 ? SQLFP_POSTGRESQL : SQLFP_MYSQL;
		build_statement(&b, written);
		/* MySQL's "..." strings are the one form read as an identifier elsewhere */
		if (b.mysql_dq)
			continue;
		sqlfp_normalize_dialect(b.sql, b.len, SQLFP_ANY, out, sizeof out);
		if (leak(&b, out, piece))
			fail_msg("%s statement %d read as any: '%s' shows in\n  %s\n  -> %s", dialect_names[written], i,
			         piece, b.sql, out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sqlite_literals_never_show),
		cmocka_unit_test(mysql_literals_never_show),
		cmocka_unit_test(postgresql_literals_never_show),
		cmocka_unit_test(unknown_dialect_literals_never_show),
		cmocka_unit_test(any_dialect_reads_the_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
