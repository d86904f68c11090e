/*
 * jsonpull — the pull parser: a tokenizer over the caller's buffer, the
 * nesting stack with its depth limit, strings decoded (escapes, surrogate
 * pairs) into one scratch buffer, numbers read strictly, and the first
 * error kept with where it happened.
 */
#include "obslab/jsonpull.h"
#include "obslab/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jp_init(struct jp *jp, const char *buf, size_t len)
{
	memset(jp, 0, sizeof *jp);
	jp->start = jp->p = buf;
	jp->end = buf + len;
}

void jp_free(struct jp *jp)
{
	free(jp->scratch);
	jp->scratch = NULL;
}

bool jp_fail(struct jp *jp, const char *message)
{
	if (!jp->failed) {
		jp->failed = true;
		snprintf(jp->error, sizeof jp->error, "%s", message);
	}
	return false;
}

static bool syntax(struct jp *jp, const char *what)
{
	if (jp->failed)
		return false;
	size_t at = (size_t)(jp->p - jp->start), len = (size_t)(jp->end - jp->start);
	jp->truncated = jp->p >= jp->end;
	char msg[160];
	snprintf(msg, sizeof msg, "not valid JSON (at byte %zu of %zu: %s)", at, len,
	         jp->truncated ? "the file ends early" : what);
	return jp_fail(jp, msg);
}

static void skip_space(struct jp *jp)
{
	while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\n' || *jp->p == '\r' || *jp->p == '\t'))
		jp->p++;
}

enum jp_type jp_peek(struct jp *jp)
{
	if (jp->failed)
		return JP_NONE;
	skip_space(jp);
	if (jp->p >= jp->end)
		return JP_NONE;
	switch (*jp->p) {
	case '{': return JP_OBJECT;
	case '[': return JP_ARRAY;
	case '"': return JP_STRING;
	case 't': return JP_TRUE;
	case 'f': return JP_FALSE;
	case 'n': return JP_NULL;
	default: return (*jp->p == '-' || (*jp->p >= '0' && *jp->p <= '9')) ? JP_NUMBER : JP_NONE;
	}
}

static bool expect(struct jp *jp, char c)
{
	skip_space(jp);
	if (jp->p < jp->end && *jp->p == c) {
		jp->p++;
		return true;
	}
	char what[32];
	snprintf(what, sizeof what, "expected '%c'", c);
	return syntax(jp, what);
}

static bool enter(struct jp *jp, char open)
{
	if (jp->failed)
		return false;
	if (jp->depth >= JP_MAX_DEPTH) { /* valid JSON, past the limit: say so, not "not valid" */
		char msg[160];
		snprintf(msg, sizeof msg, "nested deeper than %d levels (at byte %zu): more than obslab reads", JP_MAX_DEPTH,
		         (size_t)(jp->p - jp->start));
		return jp_fail(jp, msg);
	}
	if (!expect(jp, open))
		return false;
	jp->depth++;
	jp->need_comma = false;
	return true;
}

bool jp_object(struct jp *jp)
{
	return enter(jp, '{');
}

bool jp_array(struct jp *jp)
{
	return enter(jp, '[');
}

/* Before a member or an item: the container's end (false), or a comma
 * after the first one. */
static bool next_member(struct jp *jp, char close)
{
	if (jp->failed)
		return false;
	skip_space(jp);
	if (jp->p < jp->end && *jp->p == close) {
		jp->p++;
		jp->depth--;
		jp->need_comma = true; /* in the enclosing container, this was a member */
		return false;
	}
	if (jp->need_comma && !expect(jp, ','))
		return false;
	jp->need_comma = false;
	return true;
}

bool jp_item(struct jp *jp)
{
	return next_member(jp, ']');
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t utf8_encode(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* The string at p (after its quote): a slice if it has no escape, else
 * decoded into the scratch buffer. */
static bool read_string(struct jp *jp, const char **s, size_t *len)
{
	if (!expect(jp, '"'))
		return false;
	const char *begin = jp->p;
	bool escaped = false;
	/* Eight bytes at a time while none is a quote, a backslash or a control
	 * character (bit tricks: a byte's high bit is set where it matches). */
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = UINT64_C(0x8080808080808080);
	while (jp->end - jp->p >= 8) {
		uint64_t v;
		memcpy(&v, jp->p, 8);
		uint64_t quote = v ^ (ones * '"'), slash = v ^ (ones * '\\');
		uint64_t hit = (((quote - ones) & ~quote) | ((slash - ones) & ~slash) | ((v - ones * 0x20) & ~v)) & highs;
		if (hit) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/* The lowest marked byte is exact (a borrow runs only upwards):
			 * go straight to it, past the plain bytes before it. */
			jp->p += __builtin_ctzll(hit) / 8;
#endif
			break;
		}
		jp->p += 8;
	}
	while (jp->p < jp->end && *jp->p != '"') {
		unsigned char c = (unsigned char)*jp->p;
		if (c < 0x20)
			return syntax(jp, "a control character inside a string");
		if (c == '\\') {
			escaped = true;
			if (jp->end - jp->p < 2) { /* the file ends after the backslash */
				jp->p = jp->end;
				break;
			}
			jp->p++;
		}
		jp->p++;
	}
	if (jp->p >= jp->end)
		return syntax(jp, "an unterminated string");
	const char *stop = jp->p++;
	if (!escaped) {
		*s = begin;
		*len = (size_t)(stop - begin);
		return true;
	}
	size_t need = (size_t)(stop - begin) + 1;
	if (need > jp->scratch_cap) {
		char *grown = xrealloc(jp->scratch, need);
		jp->scratch = grown;
		jp->scratch_cap = need;
	}
	char *o = jp->scratch;
	for (const char *q = begin; q < stop; q++) {
		if (*q != '\\') {
			*o++ = *q;
			continue;
		}
		q++;
		switch (*q) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int cp = stop - q > 4 ? hex4(q + 1) : -1;
			if (cp < 0) {
				jp->p = q; /* point at the escape, not past the string */
				return syntax(jp, "a bad \\u escape");
			}
			q += 4;
			uint32_t code = (uint32_t)cp;
			if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair */
				int low = stop - q > 6 && q[1] == '\\' && q[2] == 'u' ? hex4(q + 3) : -1;
				if (low < 0xdc00 || low > 0xdfff) {
					jp->p = q;
					return syntax(jp, "an unpaired surrogate");
				}
				code = 0x10000 + (((uint32_t)cp - 0xd800) << 10) + ((uint32_t)low - 0xdc00);
				q += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				jp->p = q;
				return syntax(jp, "an unpaired surrogate");
			}
			o += utf8_encode(o, code);
			break;
		}
		default:
			jp->p = q;
			return syntax(jp, "a bad escape");
		}
	}
	*s = jp->scratch;
	*len = (size_t)(o - jp->scratch);
	return true;
}

bool jp_key(struct jp *jp, const char **key, size_t *len)
{
	if (!next_member(jp, '}'))
		return false;
	if (!read_string(jp, key, len))
		return false;
	jp->need_comma = false;
	return expect(jp, ':');
}

static void member_done(struct jp *jp)
{
	jp->need_comma = true;
}

bool jp_string(struct jp *jp, const char **s, size_t *len)
{
	if (jp_peek(jp) != JP_STRING)
		return jp->failed ? false : syntax(jp, "expected a string");
	bool ok = read_string(jp, s, len);
	member_done(jp);
	return ok;
}

/* A number's text: -?digits(.digits)?([eE][+-]?digits)? */
static bool number_text(struct jp *jp, const char **text, size_t *len, bool *whole)
{
	const char *p = jp->p, *end = jp->end;
	*whole = true;
	if (p < end && *p == '-')
		p++;
	const char *digits = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == digits)
		return syntax(jp, "a bad number");
	if (p < end && *p == '.') {
		*whole = false;
		const char *frac = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == frac)
			return syntax(jp, "a bad number");
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		*whole = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *exp = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p == exp)
			return syntax(jp, "a bad number");
	}
	*text = jp->p;
	*len = (size_t)(p - jp->p);
	jp->p = p;
	return true;
}

static bool parse_whole(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	if (len == 0 || len > 20)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		/* 19 digits always fit; only a 20th can pass 2^64 - 1, so the
		 * division is paid there only, not on every digit of every time */
		if (i == 19 && v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

bool jp_whole_u64(struct jp *jp, uint64_t max, uint64_t *out)
{
	enum jp_type t = jp_peek(jp);
	const char *s;
	size_t len;
	bool whole = true;
	if (t == JP_STRING) {
		if (!jp_string(jp, &s, &len))
			return false;
	} else if (t == JP_NUMBER) {
		if (!number_text(jp, &s, &len, &whole))
			return false;
		member_done(jp);
		if (!whole) { /* 1e3 or 5.0 are whole numbers too */
			char buf[64];
			snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), s);
			double d = strtod(buf, NULL);
			if (!(d >= 0 && d < 0x1p64) || d != (double)(uint64_t)d) /* cast in range */
				return false;
			uint64_t v = (uint64_t)d; /* compared as a whole number: (double)max may round up */
			if (v > max)
				return false;
			*out = v;
			return true;
		}
	} else {
		if (!jp->failed)
			jp_skip(jp);
		return false;
	}
	return parse_whole(s, len, max, out);
}

bool jp_whole(struct jp *jp, int64_t max, int64_t *out)
{
	uint64_t v;
	if (max < 0 || !jp_whole_u64(jp, (uint64_t)max, &v))
		return false;
	*out = (int64_t)v;
	return true;
}

bool jp_double(struct jp *jp, double *out)
{
	if (jp_peek(jp) != JP_NUMBER) {
		if (!jp->failed)
			jp_skip(jp);
		return false;
	}
	const char *s;
	size_t len;
	bool whole;
	if (!number_text(jp, &s, &len, &whole))
		return false;
	member_done(jp);
	char buf[64];
	snprintf(buf, sizeof buf, "%.*s", (int)(len < 63 ? len : 63), s);
	*out = strtod(buf, NULL);
	return true;
}

static bool literal(struct jp *jp, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(jp->end - jp->p) < n || memcmp(jp->p, word, n) != 0)
		return syntax(jp, "a bad literal");
	jp->p += n;
	member_done(jp);
	return true;
}

bool jp_bool(struct jp *jp, bool *out)
{
	enum jp_type t = jp_peek(jp);
	if (t == JP_TRUE || t == JP_FALSE) {
		*out = t == JP_TRUE;
		return literal(jp, t == JP_TRUE ? "true" : "false");
	}
	if (!jp->failed)
		jp_skip(jp);
	return false;
}

bool jp_skip(struct jp *jp)
{
	const char *s;
	size_t len;
	bool whole;
	switch (jp_peek(jp)) {
	case JP_OBJECT:
		if (!jp_object(jp))
			return false;
		while (jp_key(jp, &s, &len))
			if (!jp_skip(jp))
				return false;
		return !jp->failed;
	case JP_ARRAY:
		if (!jp_array(jp))
			return false;
		while (jp_item(jp))
			if (!jp_skip(jp))
				return false;
		return !jp->failed;
	case JP_STRING: return jp_string(jp, &s, &len);
	case JP_NUMBER:
		if (!number_text(jp, &s, &len, &whole))
			return false;
		member_done(jp);
		return true;
	case JP_TRUE: return literal(jp, "true");
	case JP_FALSE: return literal(jp, "false");
	case JP_NULL: return literal(jp, "null");
	case JP_NONE: break;
	}
	return syntax(jp, "expected a value");
}

bool jp_finish(struct jp *jp)
{
	if (jp->failed)
		return false;
	skip_space(jp);
	if (jp->p < jp->end) {
		char msg[96];
		snprintf(msg, sizeof msg, "not valid JSON: more data after the document (byte %zu)",
		         (size_t)(jp->p - jp->start));
		return jp_fail(jp, msg);
	}
	return true;
}
