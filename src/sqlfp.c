/* sqlfp: a lexer that knows SQLite's, MySQL's and PostgreSQL's ways of
 * quoting and commenting, and the fingerprint written from its tokens. */
#include "obslab/sqlfp.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "obslab/strtab.h"
#include "obslab/utf8.h"

enum tok_type {
	TOK_END,
	TOK_WORD,    /* identifier */
	TOK_KEYWORD, /* identifier that SQLite reserves */
	TOK_QUOTED,  /* "identifier", `identifier`, [identifier] */
	TOK_VALUE,   /* literal or parameter: printed as ? */
	TOK_LPAREN,
	TOK_RPAREN,
	TOK_COMMA,
	TOK_DOT,
	TOK_SEMI,
	TOK_OP,
};

struct token {
	enum tok_type type;
	const char *start;
	size_t len;
};

/* How a backslash inside a quoted string is read. ESC_EITHER is for text
 * whose server setting is unknown (standard_conforming_strings, MySQL's
 * NO_BACKSLASH_ESCAPES): a string that ends in the same place both ways is
 * one literal; one that does not is a literal to the end of the text. */
enum escapes { ESC_NONE, ESC_BACKSLASH, ESC_EITHER };

struct lexer {
	const char *p, *end;
	enum tok_type prev; /* type of the previous token, for unary minus */
	enum sqlfp_dialect dialect;
	enum escapes esc; /* for '...' strings (and MySQL's "...") */
	bool cut;         /* a quote or a comment ran unclosed to the end */
};

static bool is_ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static bool starts_with(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* Past a block comment opened at p, NULL when it never closes. PostgreSQL's
 * nest; MySQL's do not, but reading them nested only hides more (a valid
 * MySQL statement has no comment opener inside a comment). */
static const char *skip_block_comment(const char *p, const char *end, bool nested)
{
	size_t depth = 1;
	for (p += 2; p < end; p++) {
		if (starts_with(p, end, "*/")) {
			p++;
			if (--depth == 0)
				return p + 1;
		} else if (nested && starts_with(p, end, "/*")) {
			p++;
			depth++;
		}
	}
	return NULL;
}

/* Skips white space and comments: -- and / * * / everywhere, # in MySQL
 * and in an unknown dialect. A comment is never printed, whatever it holds. */
static void skip_space(struct lexer *lx)
{
	bool hash = lx->dialect == SQLFP_MYSQL || lx->dialect == SQLFP_ANY;
	bool nested = lx->dialect != SQLFP_SQLITE;
	while (lx->p < lx->end) {
		if (isspace((unsigned char)*lx->p)) {
			lx->p++;
		} else if (starts_with(lx->p, lx->end, "--") || (hash && *lx->p == '#')) {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (starts_with(lx->p, lx->end, "/*")) {
			const char *past = skip_block_comment(lx->p, lx->end, nested);
			lx->cut |= past == NULL;
			lx->p = past ? past : lx->end;
		} else {
			return;
		}
	}
}

/* Past a run quoted by q (opened at p), where a doubled q stands for
 * itself and, with backslash, \ takes the next byte as it is. NULL when it
 * never closes. */
static const char *scan_quoted(const char *p, const char *end, char q, bool backslash)
{
	for (p++; p < end; p++) {
		if (backslash && *p == '\\') {
			if (++p == end)
				break;
		} else if (*p == q) {
			if (p + 1 < end && p[1] == q)
				p++;
			else
				return p + 1;
		}
	}
	return NULL;
}

/* Past a quoted run read with esc; NULL when it never closes, or when
 * ESC_EITHER's two readings end it in different places. */
static const char *scan_escaped(const char *p, const char *end, char q, enum escapes esc)
{
	switch (esc) {
	case ESC_NONE: return scan_quoted(p, end, q, false);
	case ESC_BACKSLASH: return scan_quoted(p, end, q, true);
	case ESC_EITHER: {
		const char *plain = scan_quoted(p, end, q, false);
		return plain == scan_quoted(p, end, q, true) ? plain : NULL;
	}
	}
	return NULL;
}

/* Where a token scanned to ends: past, or, unclosed, the end of the text. */
static const char *close_or_cut(struct lexer *lx, const char *past)
{
	if (past)
		return past;
	lx->cut = true;
	return lx->end;
}

/* The length of PostgreSQL's $tag$ (or $$) at p, or 0. */
static size_t dollar_tag(const char *p, const char *end)
{
	const char *q = p + 1;
	if (q < end && is_ident_start((unsigned char)*q))
		for (q++; q < end && *q != '$' && is_ident_char((unsigned char)*q); q++)
			;
	return q < end && *q == '$' ? (size_t)(q + 1 - p) : 0;
}

/* Past a dollar-quoted body opened by the tag at p, or NULL. */
static const char *skip_dollar_quoted(const char *p, const char *end, size_t tag)
{
	for (const char *q = p + tag; (size_t)(end - q) >= tag; q++)
		if (*q == '$' && memcmp(q, p, tag) == 0)
			return q + tag;
	return NULL;
}

/* An unknown dialect's [x] is an identifier (SQLite's, SQL Server's) only
 * when it looks like one; PostgreSQL's arr[1] or ARRAY['a'] is not. */
static const char *bracket_identifier(const char *p, const char *end)
{
	const char *q = p + 1;
	if (q >= end || !is_ident_start((unsigned char)*q))
		return NULL;
	while (q < end && (is_ident_char((unsigned char)*q) || *q == ' '))
		q++;
	return q < end && *q == ']' ? q + 1 : NULL;
}

static const char *skip_number(const char *p, const char *end)
{
	if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (p += 2; p < end && isxdigit((unsigned char)*p); p++)
			;
	} else {
		while (p < end && (isdigit((unsigned char)*p) || *p == '.'))
			p++;
		if (p < end && (*p == 'e' || *p == 'E')) {
			const char *q = p + 1;
			if (q < end && (*q == '+' || *q == '-'))
				q++;
			if (q < end && isdigit((unsigned char)*q)) {
				for (p = q; p < end && isdigit((unsigned char)*p); p++)
					;
			}
		}
	}
	/* 0b101, 0o17, 1_000, 12abc: SQLite calls these one illegal token;
	 * the digits belong to the value either way. */
	while (p < end && is_ident_char((unsigned char)*p))
		p++;
	return p;
}
/* A sign is part of a number when it cannot be a binary operator: at the
 * start, or after an operator, an opening parenthesis, a comma or a keyword. */
static bool sign_is_unary(enum tok_type prev)
{
	switch (prev) {
	case TOK_END:
	case TOK_KEYWORD:
	case TOK_LPAREN:
	case TOK_COMMA:
	case TOK_OP:
		return true;
	case TOK_WORD:
	case TOK_QUOTED:
	case TOK_VALUE:
	case TOK_RPAREN:
	case TOK_DOT:
	case TOK_SEMI:
		return false;
	}
	return false;
}

static bool starts_number(const char *p, const char *end)
{
	return p < end && (isdigit((unsigned char)*p) ||
	                   (*p == '.' && p + 1 < end && isdigit((unsigned char)p[1])));
}

static bool is_word(const struct token *t, const char *w)
{
	return (t->type == TOK_WORD || t->type == TOK_KEYWORD) && strlen(w) == t->len &&
	       strncasecmp(t->start, w, t->len) == 0;
}

/* How many characters after the first belong to the operator at p:
 * <= >= <> != == || << >> -> :: (one more) and ->> (two more). */
static size_t operator_tail(const char *p, const char *end)
{
	static const char *const longer[] = { "->>", "<=", ">=", "<>", "!=", "==", "||", "<<", ">>", "->", "::" };
	for (size_t i = 0; i < sizeof longer / sizeof longer[0]; i++) {
		size_t n = strlen(longer[i]);
		if ((size_t)(end - p) >= n && memcmp(p, longer[i], n) == 0)
			return n - 1;
	}
	return 0;
}

/* A string's prefix letter: X'..' everywhere; E'..' (always backslash
 * escapes), N'..', B'..' and U&'..' in every dialect but SQLite's. The
 * length of the prefix, or 0. */
static size_t string_prefix(const struct lexer *lx, const char *p, bool *backslash)
{
	const char *end = lx->end;
	char c = (char)toupper((unsigned char)*p);
	*backslash = false;
	if (c == 'X' && starts_with(p + 1, end, "'"))
		return 1;
	if (lx->dialect == SQLFP_SQLITE)
		return 0;
	if ((c == 'E' || c == 'N' || c == 'B') && starts_with(p + 1, end, "'")) {
		*backslash = c == 'E';
		return 1;
	}
	return c == 'U' && starts_with(p + 1, end, "&'") ? 2 : 0;
}

/* A quoted identifier ("x", `x`, [x]); unclosed (or, in an unknown
 * dialect, read differently with and without escapes) it is a value to
 * the end of the text: it may be a string another server read. */
static const char *lex_quoted_identifier(struct lexer *lx, struct token *t, const char *p, char q)
{
	enum escapes esc = q == '"' && lx->dialect == SQLFP_ANY ? lx->esc : ESC_NONE;
	const char *past = q == ']' ? memchr(p, ']', (size_t)(lx->end - p)) : scan_escaped(p, lx->end, q, esc);
	if (q == ']' && past)
		past++;
	t->type = past ? TOK_QUOTED : TOK_VALUE;
	return close_or_cut(lx, past);
}

/* A typographic or fullwidth quote (U+2018-U+201F, U+2032-U+2037,
 * U+FF02, U+FF07) at p: its length in bytes, or 0. No server reads these as
 * quotes, but SQL pasted from a document holds them around what was a
 * string, so they are read as one: from one to the next, or to the end. */
static size_t unicode_quote(const char *p, const char *end)
{
	uint32_t cp;
	size_t n = (unsigned char)*p >= 0x80 ? utf8_decode(p, (size_t)(end - p), &cp) : 0;
	if (n && ((cp >= 0x2018 && cp <= 0x201f) || (cp >= 0x2032 && cp <= 0x2037) || cp == 0xff02 || cp == 0xff07))
		return n;
	return 0;
}

static const char *skip_unicode_quoted(const char *p, const char *end)
{
	for (p += unicode_quote(p, end); p < end; p++) {
		size_t n = unicode_quote(p, end);
		if (n)
			return p + n;
	}
	return NULL;
}

/* Oracle's alternative quoting, q'X...X' or nq'X...X', X any character
 * but space, with [ { ( < closed by ] } ) >: the prefix's length, or 0. */
static size_t q_quote_prefix(const char *p, const char *end)
{
	size_t n = (*p == 'n' || *p == 'N') ? 1 : 0;
	if ((size_t)(end - p) < n + 3 || (p[n] != 'q' && p[n] != 'Q') || p[n + 1] != '\'')
		return 0;
	return isspace((unsigned char)p[n + 2]) ? 0 : n + 2;
}

static const char *skip_q_quoted(const char *p, const char *end)
{
	static const char open[] = "[{(<", close[] = "]})>";
	char delim = *p;
	const char *pair = strchr(open, delim);
	char closing = delim && pair ? close[pair - open] : delim;
	for (p++; p + 1 < end; p++)
		if (*p == closing && p[1] == '\'')
			return p + 2;
	return NULL;
}

static void lex_next(struct lexer *lx, struct token *t)
{
	skip_space(lx);
	const char *p = lx->p, *end = lx->end;
	bool sqlite = lx->dialect == SQLFP_SQLITE;
	t->start = p;
	if (p >= end) {
		t->type = TOK_END;
		t->len = 0;
		return;
	}
	unsigned char c = (unsigned char)*p;
	bool backslash;
	size_t prefix = is_ident_start(c) ? string_prefix(lx, p, &backslash) : 0;
	size_t tag = !sqlite && c == '$' ? dollar_tag(p, end) : 0;
	const char *bracket = c == '[' && lx->dialect == SQLFP_ANY ? bracket_identifier(p, end) : NULL;
	size_t qprefix = lx->dialect == SQLFP_ANY && is_ident_start(c) ? q_quote_prefix(p, end) : 0;
	if (qprefix) {
		t->type = TOK_VALUE; /* q'[...]', nq'{...}' */
		p = close_or_cut(lx, skip_q_quoted(p + qprefix, end));
	} else if (unicode_quote(p, end)) {
		t->type = TOK_VALUE; /* ‘...’, “...”, ＇...＇ */
		p = close_or_cut(lx, skip_unicode_quoted(p, end));
	} else if (prefix) {
		t->type = TOK_VALUE; /* X'blob', E'escaped', N'national', B'bits', U&'unicode' */
		p = close_or_cut(lx, scan_escaped(p + prefix, end, '\'', backslash ? ESC_BACKSLASH : lx->esc));
	} else if (is_ident_start(c)) {
		while (p < end && is_ident_char((unsigned char)*p))
			p++;
		t->len = (size_t)(p - t->start);
		t->type = sqlite3_keyword_check(t->start, (int)t->len) ? TOK_KEYWORD : TOK_WORD;
		if (is_word(t, "NULL") || is_word(t, "TRUE") || is_word(t, "FALSE"))
			t->type = TOK_VALUE;
	} else if (c == '\'' || (c == '"' && lx->dialect == SQLFP_MYSQL)) {
		t->type = TOK_VALUE;
		p = close_or_cut(lx, scan_escaped(p, end, (char)c, lx->esc));
	} else if (tag) {
		t->type = TOK_VALUE; /* $$...$$, $tag$...$tag$ */
		p = close_or_cut(lx, skip_dollar_quoted(p, end, tag));
	} else if (c == '"' || c == '`' || (c == '[' && sqlite)) {
		p = lex_quoted_identifier(lx, t, p, c == '[' ? ']' : (char)c);
	} else if (bracket) {
		t->type = TOK_QUOTED;
		p = bracket;
	} else if (starts_number(p, end) ||
	           ((c == '-' || c == '+') && sign_is_unary(lx->prev) && starts_number(p + 1, end))) {
		t->type = TOK_VALUE;
		p = skip_number(c == '-' || c == '+' ? p + 1 : p, end);
	} else if (c == '?' || ((c == ':' || c == '@' || c == '$') && p + 1 < end &&
	                        is_ident_char((unsigned char)p[1]))) {
		t->type = TOK_VALUE; /* parameter: ?, ?NNN, :name, @name, $name, $1 */
		for (p++; p < end && is_ident_char((unsigned char)*p); p++)
			;
	} else {
		p++;
		switch (c) {
		case '(': t->type = TOK_LPAREN; break;
		case ')': t->type = TOK_RPAREN; break;
		case ',': t->type = TOK_COMMA; break;
		case '.': t->type = TOK_DOT; break;
		case ';': t->type = TOK_SEMI; break;
		default:
			t->type = TOK_OP;
			p += operator_tail(p - 1, end);
			break;
		}
	}
	t->len = (size_t)(p - t->start);
	lx->p = p;
	lx->prev = t->type;
}

struct out {
	char *buf;
	size_t cap, len; /* len counts every byte, even past cap */
};

static void put(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++, o->len++) {
		if (o->len + 1 < o->cap)
			o->buf[o->len] = s[i];
	}
}

static void put_upper(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = (char)toupper((unsigned char)s[i]);
		put(o, &c, 1);
	}
}

static bool space_between(enum tok_type prev, enum tok_type cur)
{
	if (prev == TOK_END || prev == TOK_LPAREN || prev == TOK_DOT)
		return false;
	if (cur == TOK_RPAREN || cur == TOK_COMMA || cur == TOK_DOT || cur == TOK_SEMI)
		return false;
	/* f(x) and t(col) stay tight; IN (...) and VALUES (...) keep a space. */
	if (cur == TOK_LPAREN && (prev == TOK_WORD || prev == TOK_QUOTED))
		return false;
	return true;
}

/* Collapsing IN (?, ?, ...): after "IN (" the list is watched; if it ends
 * with ")" having held only values and commas, the output is rewound to the
 * parenthesis and "?)" written instead. */
enum in_state { IN_NONE, IN_SAW_IN, IN_LIST_VALUE, IN_LIST_COMMA };

/* True when sql reads to its end with nothing left open, backslashes read as esc. */
static bool reads_closed(const char *sql, size_t len, enum sqlfp_dialect dialect, enum escapes esc)
{
	struct lexer lx = { .p = sql, .end = sql + len, .prev = TOK_END, .dialect = dialect, .esc = esc };
	struct token t;
	do
		lex_next(&lx, &t);
	while (t.type != TOK_END);
	return !lx.cut;
}

/* How the dialect's strings read backslashes. SQLite's never escape.
 * MySQL's do by default (its clients write O\'Brien), but a server may run
 * with NO_BACKSLASH_ESCAPES and a statement may have been cut: escapes are
 * trusted only when they make the statement read to its end and the plain
 * reading does not. PostgreSQL's '...' depends on standard_conforming_strings,
 * and an unknown dialect on anything: both read ESC_EITHER. */
static enum escapes escapes_for(const char *sql, size_t len, enum sqlfp_dialect dialect)
{
	switch (dialect) {
	case SQLFP_SQLITE: return ESC_NONE;
	case SQLFP_POSTGRESQL:
	case SQLFP_ANY: return ESC_EITHER;
	case SQLFP_MYSQL:
		if (!memchr(sql, '\\', len))
			return ESC_BACKSLASH;
		return reads_closed(sql, len, dialect, ESC_BACKSLASH) && !reads_closed(sql, len, dialect, ESC_NONE)
		           ? ESC_BACKSLASH
		           : ESC_EITHER;
	}
	return ESC_EITHER;
}

size_t sqlfp_normalize(const char *sql, size_t len, char *out, size_t cap)
{
	return sqlfp_normalize_dialect(sql, len, SQLFP_SQLITE, out, cap);
}

size_t sqlfp_normalize_dialect(const char *sql, size_t len, enum sqlfp_dialect dialect, char *out, size_t cap)
{
	len = strnlen(sql, len); /* SQL text ends at a NUL, as SQLite's own does */
	struct lexer lx = { .p = sql, .end = sql + len, .prev = TOK_END, .dialect = dialect,
		            .esc = escapes_for(sql, len, dialect) };
	struct out o = { .buf = out, .cap = cap, .len = 0 };
	enum tok_type prev = TOK_END;
	enum in_state in = IN_NONE;
	size_t list_mark = 0;
	size_t semis = 0; /* trailing semicolons written, dropped at the end */
	struct token t;

	for (lex_next(&lx, &t); t.type != TOK_END; lex_next(&lx, &t)) {
		if (space_between(prev, t.type))
			put(&o, " ", 1);
		switch (t.type) {
		case TOK_VALUE: put(&o, "?", 1); break;
		case TOK_KEYWORD: put_upper(&o, t.start, t.len); break;
		case TOK_END:
		case TOK_WORD:
		case TOK_QUOTED:
		case TOK_LPAREN:
		case TOK_RPAREN:
		case TOK_COMMA:
		case TOK_DOT:
		case TOK_SEMI:
		case TOK_OP: put(&o, t.start, t.len); break;
		}
		semis = t.type == TOK_SEMI ? semis + 1 : 0;

		if (in == IN_SAW_IN && t.type == TOK_LPAREN) {
			in = IN_LIST_COMMA;
			list_mark = o.len;
		} else if (in == IN_LIST_COMMA && t.type == TOK_VALUE) {
			in = IN_LIST_VALUE;
		} else if (in == IN_LIST_VALUE && t.type == TOK_COMMA) {
			in = IN_LIST_COMMA;
		} else if (in == IN_LIST_VALUE && t.type == TOK_RPAREN) {
			o.len = list_mark;
			put(&o, "?)", 2);
			in = IN_NONE;
		} else {
			in = is_word(&t, "IN") ? IN_SAW_IN : IN_NONE;
		}
		prev = t.type;
	}
	o.len -= semis;
	if (cap > 0)
		out[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len;
}

static size_t copy_token(const struct token *t, char *out, size_t cap)
{
	if (cap == 0)
		return t->len;
	size_t n = t->len < cap - 1 ? t->len : utf8_cut(t->start, cap - 1);
	memcpy(out, t->start, n);
	out[n] = '\0';
	return t->len;
}

/* A lexer over a fingerprint (obslab's own text: the default dialect). */
static struct lexer fingerprint_lexer(const char *fingerprint)
{
	return (struct lexer){ .p = fingerprint, .end = fingerprint + strlen(fingerprint), .prev = TOK_END };
}

size_t sqlfp_operation(const char *fingerprint, char *out, size_t cap)
{
	struct lexer lx = fingerprint_lexer(fingerprint);
	struct token t;
	lex_next(&lx, &t);
	if (t.type != TOK_KEYWORD)
		t.len = 0;
	return copy_token(&t, out, cap);
}

size_t sqlfp_collection(const char *fingerprint, char *out, size_t cap)
{
	struct lexer lx = fingerprint_lexer(fingerprint);
	struct token t;
	bool after_target_keyword = false;
	for (lex_next(&lx, &t); t.type != TOK_END; lex_next(&lx, &t)) {
		if (after_target_keyword && (t.type == TOK_WORD || t.type == TOK_QUOTED)) {
			/* A qualified name (schema.table) is kept whole, as OpenTelemetry's
			 * db.collection.name asks: the fingerprint writes it without spaces. */
			struct token dot, part;
			struct lexer peek = lx;
			for (lex_next(&peek, &dot), lex_next(&peek, &part);
			     dot.type == TOK_DOT && (part.type == TOK_WORD || part.type == TOK_QUOTED) &&
			     dot.start == t.start + t.len && part.start == dot.start + dot.len;
			     lex_next(&peek, &dot), lex_next(&peek, &part))
				t.len = (size_t)(part.start + part.len - t.start);
			return copy_token(&t, out, cap);
		}
		after_target_keyword = is_word(&t, "FROM") || is_word(&t, "INTO") ||
		                       is_word(&t, "UPDATE") || is_word(&t, "JOIN");
	}
	t.len = 0;
	return copy_token(&t, out, cap);
}

size_t sqlfp_where_column(const char *fingerprint, char *out, size_t cap)
{
	struct lexer lx = fingerprint_lexer(fingerprint);
	struct token t;
	bool in_where = false;
	for (lex_next(&lx, &t); t.type != TOK_END; lex_next(&lx, &t)) {
		if (in_where && (t.type == TOK_WORD || t.type == TOK_QUOTED)) {
			struct token next;
			struct lexer peek = lx;
			lex_next(&peek, &next);
			if (next.type != TOK_DOT) /* t.col: the column is after the dot */
				return copy_token(&t, out, cap);
		}
		if (is_word(&t, "WHERE"))
			in_where = true;
	}
	t.len = 0;
	return copy_token(&t, out, cap);
}

uint32_t sqlfp_intern(struct strtab *names, const char *sql, size_t len)
{
	return sqlfp_intern_dialect(names, sql, len, SQLFP_SQLITE);
}

uint32_t sqlfp_intern_dialect(struct strtab *names, const char *sql, size_t len, enum sqlfp_dialect dialect)
{
	char fp[SQLFP_MAX_LEN];
	size_t n = sqlfp_normalize_dialect(sql, len, dialect, fp, sizeof fp);
	return strtab_intern(names, fp, n < sizeof fp ? n : utf8_cut(fp, sizeof fp - 1));
}

enum sqlfp_dialect sqlfp_dialect_wider(enum sqlfp_dialect a, enum sqlfp_dialect b)
{
	if (a == b)
		return a;
	return a == SQLFP_MYSQL || b == SQLFP_MYSQL ? SQLFP_MYSQL : SQLFP_ANY;
}

enum sqlfp_dialect sqlfp_dialect_of(const char *db_system)
{
	static const struct {
		const char *system;
		enum sqlfp_dialect dialect;
	} known[] = {
		{ "mysql", SQLFP_MYSQL },           { "mariadb", SQLFP_MYSQL },          { "tidb", SQLFP_MYSQL },
		{ "postgresql", SQLFP_POSTGRESQL }, { "cockroachdb", SQLFP_POSTGRESQL }, { "redshift", SQLFP_POSTGRESQL },
	};
	if (!db_system)
		return SQLFP_ANY;
	while (isspace((unsigned char)*db_system))
		db_system++;
	size_t len = strlen(db_system);
	while (len > 0 && isspace((unsigned char)db_system[len - 1]))
		len--;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strlen(known[i].system) == len && strncasecmp(db_system, known[i].system, len) == 0)
			return known[i].dialect;
	return SQLFP_ANY;
}

/* Watches "IN (" and "ANY(" / "SOME(" for a parenthesis holding only values
 * and commas: the list a fingerprint keeps as "IN (?)" or "= ANY(?)". */
bool sqlfp_takes_list(const char *fingerprint)
{
	struct lexer lx = fingerprint_lexer(fingerprint);
	struct token t;
	enum in_state in = IN_NONE;
	for (lex_next(&lx, &t); t.type != TOK_END; lex_next(&lx, &t)) {
		if (in == IN_SAW_IN && t.type == TOK_LPAREN)
			in = IN_LIST_COMMA;
		else if (in == IN_LIST_COMMA && t.type == TOK_VALUE)
			in = IN_LIST_VALUE;
		else if (in == IN_LIST_VALUE && t.type == TOK_COMMA)
			in = IN_LIST_COMMA;
		else if (in == IN_LIST_VALUE && t.type == TOK_RPAREN)
			return true;
		else
			in = is_word(&t, "IN") || is_word(&t, "ANY") || is_word(&t, "SOME") ? IN_SAW_IN : IN_NONE;
	}
	return false;
}
