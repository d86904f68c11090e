/* tracefilter — the trace list's filter language: a recursive descent
 * parser into a small node array, and its matcher (see tracefilter.h). */
#include "obslab/tracefilter.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "obslab/findings.h"

struct parser {
	const char *text;
	size_t pos;
	struct tracefilter *f;
	struct obslab_error *err;
	bool failed;
};

static bool fail(struct parser *p, size_t at, const char *what)
{
	if (!p->failed)
		obslab_error_set(p->err, "filter: at column %zu: %s", at + 1, what);
	p->failed = true;
	return false;
}

static void skip_space(struct parser *p)
{
	while (p->text[p->pos] == ' ' || p->text[p->pos] == '\t')
		p->pos++;
}

static bool word_char(char c)
{
	return c && !isspace((unsigned char)c) && !strchr("()!=<>~\"", c);
}

/* The word at pos (without moving), its length. */
static size_t peek_word(const struct parser *p, const char **start)
{
	size_t i = p->pos;
	*start = p->text + i;
	while (word_char(p->text[i]))
		i++;
	return i - p->pos;
}

static bool peek_keyword(const struct parser *p, const char *kw)
{
	const char *w;
	size_t n = peek_word(p, &w);
	return n == strlen(kw) && strncasecmp(w, kw, n) == 0;
}

static int new_node(struct parser *p, enum tracefilter_node_kind kind)
{
	if (p->f->nnodes == TRACEFILTER_MAX_NODES) {
		fail(p, p->pos, "too long a filter (" "at most 64 parts)");
		return -1;
	}
	struct tracefilter_node *n = &p->f->node[p->f->nnodes];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	n->a = n->b = -1;
	return p->f->nnodes++;
}

static int parse_or(struct parser *p);

/* A value is never cut into a shorter one than the one typed: refused. */
#define VALUE_TOO_LONG "a value longer than 63 bytes"
_Static_assert(TRACEFILTER_TEXT == 64, "VALUE_TOO_LONG says TRACEFILTER_TEXT - 1");

/* A word or a "quoted text", lower-cased into out. */
static bool parse_value(struct parser *p, char out[TRACEFILTER_TEXT], const char *what)
{
	skip_space(p);
	size_t at = p->pos, n = 0;
	if (p->text[p->pos] == '"') {
		p->pos++;
		while (p->text[p->pos] && p->text[p->pos] != '"') {
			if (n + 1 >= TRACEFILTER_TEXT)
				return fail(p, at, VALUE_TOO_LONG);
			out[n++] = (char)tolower((unsigned char)p->text[p->pos]);
			p->pos++;
		}
		if (p->text[p->pos] != '"')
			return fail(p, at, "a quote (\") that is not closed");
		p->pos++;
	} else {
		const char *w;
		size_t len = peek_word(p, &w);
		if (len == 0) {
			char msg[96];
			snprintf(msg, sizeof msg, "expected %s", what);
			return fail(p, at, msg);
		}
		if (len + 1 > TRACEFILTER_TEXT) /* never a shorter value than the one typed */
			return fail(p, at, VALUE_TOO_LONG);
		for (size_t i = 0; i < len; i++)
			out[n++] = (char)tolower((unsigned char)w[i]);
		p->pos += len;
	}
	out[n] = '\0';
	return true;
}

static bool parse_op(struct parser *p, enum tracefilter_op *op)
{
	skip_space(p);
	const char *s = p->text + p->pos;
	static const struct {
		const char *text;
		enum tracefilter_op op;
	} ops[] = { { "!=", TF_NE }, { ">=", TF_GE }, { "<=", TF_LE }, { "==", TF_EQ }, { "=", TF_EQ },
		    { ">", TF_GT },  { "<", TF_LT },  { "~", TF_CONTAINS } };
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t n = strlen(ops[i].text);
		if (strncmp(s, ops[i].text, n) == 0) {
			*op = ops[i].op;
			p->pos += n;
			return true;
		}
	}
	return fail(p, p->pos, "expected an operator (= != > >= < <= ~)");
}

/* "50ms", "1.5s", "200us": nanoseconds. */
static bool parse_duration(struct parser *p, int64_t *ns)
{
	skip_space(p);
	size_t at = p->pos;
	const char *s = p->text + p->pos;
	double v = 0, scale = 1;
	size_t i = 0;
	bool digits = false, dot = false;
	for (; isdigit((unsigned char)s[i]) || (s[i] == '.' && !dot); i++) {
		if (s[i] == '.') {
			dot = true;
			continue;
		}
		digits = true;
		if (dot)
			v += (s[i] - '0') * (scale /= 10);
		else
			v = v * 10 + (s[i] - '0');
	}
	if (!digits)
		return fail(p, at, "expected a duration (50ms, 1.5s, 200us)");
	/* The unit may follow a space ("1 ms"), as people write it. */
	size_t num_end = i;
	while (s[i] == ' ')
		i++;
	size_t u = i;
	while (isalpha((unsigned char)s[u]) || (unsigned char)s[u] >= 0x80)
		u++;
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "\xc2\xb5s", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "min", 60e9 } };
	for (size_t k = 0; k < sizeof units / sizeof units[0]; k++) {
		if (u - i == strlen(units[k].unit) && strncasecmp(s + i, units[k].unit, u - i) == 0) {
			double d = v * units[k].ns;
			if (d > 9.2e18)
				return fail(p, at, "a duration too long");
			*ns = (int64_t)(d + 0.5);
			p->pos += u;
			return true;
		}
	}
	if (u == i || i != num_end) /* nothing, or a word after a space: not a unit */
		return fail(p, at + num_end, "a duration needs a unit (ns, us, ms, s, min)");
	return fail(p, at + i, "an unknown unit: use ns, us, ms, s or min");
}

static bool parse_count(struct parser *p, int64_t *n)
{
	skip_space(p);
	size_t at = p->pos;
	const char *s = p->text + p->pos;
	size_t i = 0;
	int64_t v = 0;
	while (isdigit((unsigned char)s[i])) {
		if (v > 1000000000000LL)
			return fail(p, at, "a count too large");
		v = v * 10 + (s[i++] - '0');
	}
	if (i == 0 || word_char(s[i]))
		return fail(p, at, "expected a count (a whole number)");
	*n = v;
	p->pos += i;
	return true;
}

static const struct {
	const char *name;
	enum tracelist_col col;
} fields[] = { { "duration", TRACELIST_DURATION }, { "service", TRACELIST_SERVICE }, { "root", TRACELIST_ROOT },
	       { "name", TRACELIST_ROOT },         { "spans", TRACELIST_SPANS },     { "errors", TRACELIST_ERRORS },
	       { "findings", TRACELIST_FINDINGS } };

static int parse_test(struct parser *p)
{
	skip_space(p);
	size_t at = p->pos;
	const char *w;
	size_t len = peek_word(p, &w);
	char next = 0;
	{ /* the character after the word and any space: an operator makes it a field */
		size_t i = p->pos + len;
		while (p->text[i] == ' ' || p->text[i] == '\t')
			i++;
		next = p->text[i];
	}
	bool op_follows = next && strchr("=!<>~", next);
	bool keyword = (len == 2 && strncasecmp(w, "or", 2) == 0) || (len == 3 && strncasecmp(w, "and", 3) == 0);
	if ((len == 0 && p->text[p->pos] != '"') || keyword) {
		if (!p->text[p->pos] || keyword)
			fail(p, at, "expected a test (duration > 50ms, service = shop, error, a word)");
		else
			fail(p, at, "expected a test here, not this character");
		return -1;
	}
	if (len > 0 && op_follows) {
		if (len == 7 && strncasecmp(w, "finding", 7) == 0) {
			p->pos += len;
			int n = new_node(p, TF_FINDING);
			if (n < 0 || !parse_op(p, &p->f->node[n].op))
				return -1;
			if (p->f->node[n].op != TF_EQ && p->f->node[n].op != TF_NE)
				return fail(p, at, "finding takes = or != (finding = n_plus_one)"), -1;
			skip_space(p);
			size_t vat = p->pos;
			char kind[TRACEFILTER_TEXT];
			if (!parse_value(p, kind, "a finding (n_plus_one, full_scan_loop)"))
				return -1;
			if (strcmp(kind, finding_key(FINDING_N_PLUS_ONE)) == 0)
				p->f->node[n].number = FINDING_N_PLUS_ONE;
			else if (strcmp(kind, finding_key(FINDING_FULL_SCAN_LOOP)) == 0)
				p->f->node[n].number = FINDING_FULL_SCAN_LOOP;
			else
				return fail(p, vat, "an unknown finding: n_plus_one or full_scan_loop"), -1;
			return n;
		}
		for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
			if (len != strlen(fields[k].name) || strncasecmp(w, fields[k].name, len) != 0)
				continue;
			p->pos += len;
			enum tracelist_col col = fields[k].col;
			bool text = col == TRACELIST_SERVICE || col == TRACELIST_ROOT;
			int n = new_node(p, text ? TF_TEXT : TF_NUMBER);
			if (n < 0)
				return -1;
			struct tracefilter_node *node = &p->f->node[n];
			node->field = col;
			skip_space(p);
			size_t opat = p->pos;
			if (!parse_op(p, &node->op))
				return -1;
			if (text) {
				if (node->op != TF_EQ && node->op != TF_NE && node->op != TF_CONTAINS)
					return fail(p, opat, "a name takes = != or ~"), -1;
				return parse_value(p, node->text, "a name or a \"quoted text\"") ? n : -1;
			}
			if (node->op == TF_CONTAINS)
				return fail(p, opat, "~ is for names; a number takes = != > >= < <="), -1;
			bool ok = col == TRACELIST_DURATION ? parse_duration(p, &node->number)
			                                    : parse_count(p, &node->number);
			return ok ? n : -1;
		}
		char msg[96];
		snprintf(msg, sizeof msg, "an unknown field '%.*s' (duration service root spans errors findings finding)",
		         (int)(len > 24 ? 24 : len), w);
		return fail(p, at, msg), -1;
	}
	/* "error" and "finding" alone, singular or plural: the trace has one or more. */
	if ((len == 5 && strncasecmp(w, "error", 5) == 0) || (len == 6 && strncasecmp(w, "errors", 6) == 0)) {
		p->pos += len;
		int n = new_node(p, TF_NUMBER);
		if (n >= 0) {
			p->f->node[n].field = TRACELIST_ERRORS;
			p->f->node[n].op = TF_GT;
		}
		return n;
	}
	if ((len == 7 && strncasecmp(w, "finding", 7) == 0) || (len == 8 && strncasecmp(w, "findings", 8) == 0)) {
		p->pos += len;
		int n = new_node(p, TF_NUMBER);
		if (n >= 0) {
			p->f->node[n].field = TRACELIST_FINDINGS;
			p->f->node[n].op = TF_GT;
		}
		return n;
	}
	int n = new_node(p, TF_FREE);
	if (n < 0 || !parse_value(p, p->f->node[n].text, "a word"))
		return -1;
	return n;
}

static int parse_factor(struct parser *p)
{
	skip_space(p);
	if (p->text[p->pos] == '!' && p->text[p->pos + 1] != '=') {
		p->pos++;
		int a = parse_factor(p);
		int n = a < 0 ? -1 : new_node(p, TF_NOT);
		if (n >= 0)
			p->f->node[n].a = a;
		return n;
	}
	if (peek_keyword(p, "not")) {
		p->pos += 3;
		int a = parse_factor(p);
		int n = a < 0 ? -1 : new_node(p, TF_NOT);
		if (n >= 0)
			p->f->node[n].a = a;
		return n;
	}
	if (p->text[p->pos] == '(') {
		size_t open = p->pos++;
		int n = parse_or(p);
		if (n < 0)
			return -1;
		skip_space(p);
		if (p->text[p->pos] != ')')
			return fail(p, p->text[p->pos] ? p->pos : open, p->text[p->pos] ? "expected )" : "this ( is not closed"), -1;
		p->pos++;
		return n;
	}
	return parse_test(p);
}

static bool at_term_end(struct parser *p)
{
	skip_space(p);
	char c = p->text[p->pos];
	return !c || c == ')' || peek_keyword(p, "or");
}

static int parse_and(struct parser *p)
{
	int left = parse_factor(p);
	while (left >= 0 && !at_term_end(p)) {
		if (peek_keyword(p, "and"))
			p->pos += 3;
		int right = parse_factor(p);
		int n = right < 0 ? -1 : new_node(p, TF_AND);
		if (n < 0)
			return -1;
		p->f->node[n].a = left;
		p->f->node[n].b = right;
		left = n;
	}
	return left;
}

static int parse_or(struct parser *p)
{
	int left = parse_and(p);
	for (;;) {
		skip_space(p);
		if (left < 0 || !peek_keyword(p, "or"))
			return left;
		p->pos += 2;
		int right = parse_and(p);
		int n = right < 0 ? -1 : new_node(p, TF_OR);
		if (n < 0)
			return -1;
		p->f->node[n].a = left;
		p->f->node[n].b = right;
		left = n;
	}
}

bool tracefilter_parse(struct tracefilter *f, const char *text, struct obslab_error *err)
{
	memset(f, 0, sizeof *f);
	f->root = -1;
	struct parser p = { text ? text : "", 0, f, err, false };
	skip_space(&p);
	if (!p.text[p.pos])
		return true; /* the empty filter: every trace */
	int root = parse_or(&p);
	skip_space(&p);
	if (root >= 0 && p.text[p.pos])
		fail(&p, p.pos, p.text[p.pos] == ')' ? "a ) without its (" : "expected and, or, or the end");
	if (p.failed) {
		f->nnodes = 0;
		return false;
	}
	f->root = root;
	return true;
}

static bool contains_icase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	if (n == 0)
		return true;
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

static int64_t field_number(const struct tracelist_row *r, enum tracelist_col c)
{
	switch (c) {
	case TRACELIST_DURATION: return r->duration_ns;
	case TRACELIST_SPANS: return r->spans;
	case TRACELIST_ERRORS: return r->errors;
	case TRACELIST_FINDINGS: return r->findings;
	case TRACELIST_SERVICE:
	case TRACELIST_ROOT:
	case TRACELIST_START:
	case TRACELIST_NCOLS: break;
	}
	return r->start_ns;
}

static bool compare(int64_t v, enum tracefilter_op op, int64_t w)
{
	switch (op) {
	case TF_EQ: return v == w;
	case TF_NE: return v != w;
	case TF_GT: return v > w;
	case TF_GE: return v >= w;
	case TF_LT: return v < w;
	case TF_LE: return v <= w;
	case TF_CONTAINS: break;
	}
	return false;
}

static bool eval(const struct tracefilter *f, int i, const struct tracelist_row *r)
{
	const struct tracefilter_node *n = &f->node[i];
	switch (n->kind) {
	case TF_AND: return eval(f, n->a, r) && eval(f, n->b, r);
	case TF_OR: return eval(f, n->a, r) || eval(f, n->b, r);
	case TF_NOT: return !eval(f, n->a, r);
	case TF_NUMBER: return compare(field_number(r, n->field), n->op, n->number);
	case TF_FINDING: {
		bool has = (r->finding_kinds >> n->number) & 1u;
		return n->op == TF_EQ ? has : !has;
	}
	case TF_TEXT: {
		const char *v = n->field == TRACELIST_SERVICE ? tracelist_service(r) : tracelist_root(r);
		if (n->op == TF_CONTAINS)
			return contains_icase(v, n->text);
		bool eq = strcasecmp(v, n->text) == 0;
		return n->op == TF_EQ ? eq : !eq;
	}
	case TF_FREE:
		return contains_icase(tracelist_root(r), n->text) || contains_icase(tracelist_service(r), n->text);
	}
	return false;
}

bool tracefilter_match(const struct tracefilter *f, const struct tracelist_row *row)
{
	return f->root < 0 || eval(f, f->root, row);
}
