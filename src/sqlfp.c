#include "obslab/sqlfp.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdbool.h>
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

struct lexer {
	const char *p, *end;
	enum tok_type prev; /* type of the previous token, for unary minus */
};

static bool is_ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool is_ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/* Skips white space and comments. */
static void skip_space(struct lexer *lx)
{
	while (lx->p < lx->end) {
		if (isspace((unsigned char)*lx->p)) {
			lx->p++;
		} else if (lx->end - lx->p >= 2 && lx->p[0] == '-' && lx->p[1] == '-') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
		} else if (lx->end - lx->p >= 2 && lx->p[0] == '/' && lx->p[1] == '*') {
			lx->p += 2;
			while (lx->p < lx->end && !(lx->end - lx->p >= 2 && lx->p[0] == '*' && lx->p[1] == '/'))
				lx->p++;
			lx->p = lx->end - lx->p >= 2 ? lx->p + 2 : lx->end;
		} else {
			return;
		}
	}
}

/* Past a run quoted by q, where a doubled q stands for itself. */
static const char *skip_quoted(const char *p, const char *end, char q)
{
	for (p++; p < end; p++) {
		if (*p == q) {
			if (p + 1 < end && p[1] == q)
				p++;
			else
				return p + 1;
		}
	}
	return end;
}

static const char *skip_number(const char *p, const char *end)
{
	if (end - p >= 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		for (p += 2; p < end && isxdigit((unsigned char)*p); p++)
			;
		return p;
	}
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
 * <= >= <> != == || << >> -> (one more) and ->> (two more). */
static size_t operator_tail(const char *p, const char *end)
{
	static const char *const longer[] = { "->>", "<=", ">=", "<>", "!=", "==", "||", "<<", ">>", "->" };
	for (size_t i = 0; i < sizeof longer / sizeof longer[0]; i++) {
		size_t n = strlen(longer[i]);
		if ((size_t)(end - p) >= n && memcmp(p, longer[i], n) == 0)
			return n - 1;
	}
	return 0;
}

static void lex_next(struct lexer *lx, struct token *t)
{
	skip_space(lx);
	const char *p = lx->p, *end = lx->end;
	t->start = p;
	if (p >= end) {
		t->type = TOK_END;
		t->len = 0;
		return;
	}
	unsigned char c = (unsigned char)*p;
	if ((c == 'x' || c == 'X') && p + 1 < end && p[1] == '\'') {
		t->type = TOK_VALUE; /* blob literal */
		p = skip_quoted(p + 1, end, '\'');
	} else if (is_ident_start(c)) {
		while (p < end && is_ident_char((unsigned char)*p))
			p++;
		t->len = (size_t)(p - t->start);
		t->type = sqlite3_keyword_check(t->start, (int)t->len) ? TOK_KEYWORD : TOK_WORD;
		if (is_word(t, "NULL") || is_word(t, "TRUE") || is_word(t, "FALSE"))
			t->type = TOK_VALUE;
	} else if (c == '\'') {
		t->type = TOK_VALUE;
		p = skip_quoted(p, end, '\'');
	} else if (c == '"' || c == '`') {
		t->type = TOK_QUOTED;
		p = skip_quoted(p, end, (char)c);
	} else if (c == '[') {
		t->type = TOK_QUOTED;
		const char *close = memchr(p, ']', (size_t)(end - p));
		p = close ? close + 1 : end;
	} else if (starts_number(p, end) ||
	           ((c == '-' || c == '+') && sign_is_unary(lx->prev) && starts_number(p + 1, end))) {
		t->type = TOK_VALUE;
		p = skip_number(c == '-' || c == '+' ? p + 1 : p, end);
	} else if (c == '?' || ((c == ':' || c == '@' || c == '$') && p + 1 < end &&
	                        is_ident_char((unsigned char)p[1]))) {
		t->type = TOK_VALUE; /* parameter: ?, ?NNN, :name, @name, $name */
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

size_t sqlfp_normalize(const char *sql, size_t len, char *out, size_t cap)
{
	len = strnlen(sql, len); /* SQL text ends at a NUL, as SQLite's own does */
	struct lexer lx = { .p = sql, .end = sql + len, .prev = TOK_END };
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

size_t sqlfp_operation(const char *fingerprint, char *out, size_t cap)
{
	struct lexer lx = { .p = fingerprint, .end = fingerprint + strlen(fingerprint), .prev = TOK_END };
	struct token t;
	lex_next(&lx, &t);
	if (t.type != TOK_KEYWORD)
		t.len = 0;
	return copy_token(&t, out, cap);
}

size_t sqlfp_collection(const char *fingerprint, char *out, size_t cap)
{
	struct lexer lx = { .p = fingerprint, .end = fingerprint + strlen(fingerprint), .prev = TOK_END };
	struct token t;
	bool after_target_keyword = false;
	for (lex_next(&lx, &t); t.type != TOK_END; lex_next(&lx, &t)) {
		if (after_target_keyword && (t.type == TOK_WORD || t.type == TOK_QUOTED))
			return copy_token(&t, out, cap);
		after_target_keyword = is_word(&t, "FROM") || is_word(&t, "INTO") ||
		                       is_word(&t, "UPDATE") || is_word(&t, "JOIN");
	}
	t.len = 0;
	return copy_token(&t, out, cap);
}

size_t sqlfp_where_column(const char *fingerprint, char *out, size_t cap)
{
	struct lexer lx = { .p = fingerprint, .end = fingerprint + strlen(fingerprint), .prev = TOK_END };
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
	char fp[SQLFP_MAX_LEN];
	size_t n = sqlfp_normalize(sql, len, fp, sizeof fp);
	return strtab_intern(names, fp, n < sizeof fp ? n : utf8_cut(fp, sizeof fp - 1));
}
