/*
 * tracectx — W3C Trace Context Level 1's traceparent and tracestate,
 * checked character by character against the specification's grammar
 * (tracectx.h says what is accepted, dropped and kept).
 */
#include "obslab/tracectx.h"

#include <string.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int hexdig_lc(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* n bytes from 2n lowercase hex digits at s. */
static bool hex_lc(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexdig_lc(s[2 * i]), lo = hexdig_lc(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

bool tracectx_parse_parent(const char *value, struct tracectx *out)
{
	if (!value)
		return false;
	while (is_ows(*value))
		value++;
	size_t len = strlen(value);
	while (len > 0 && is_ows(value[len - 1]))
		len--;
	/* version "-" trace-id "-" parent-id "-" trace-flags: 55 characters at least */
	if (len < TRACECTX_PARENT_LEN)
		return false;
	uint8_t version, id[16], parent[8], flags;
	if (!hex_lc(value, &version, 1) || value[2] != '-' || version == 0xff)
		return false;
	if (version == 0 && len != TRACECTX_PARENT_LEN)
		return false; /* version 00 has exactly four fields */
	if (version > 0 && len > TRACECTX_PARENT_LEN && value[TRACECTX_PARENT_LEN] != '-')
		return false; /* a later version's flags end the value or a '-' follows them */
	if (!hex_lc(value + 3, id, 16) || value[35] != '-' || !hex_lc(value + 36, parent, 8) || value[52] != '-' ||
	    !hex_lc(value + 53, &flags, 1))
		return false;
	if (all_zero(id, 16) || all_zero(parent, 8))
		return false;
	memcpy(out->trace_id, id, 16);
	out->parent_id = 0;
	for (int i = 0; i < 8; i++)
		out->parent_id = out->parent_id << 8 | parent[i];
	out->flags = version == 0 ? flags : (uint8_t)(flags & TRACECTX_FLAG_SAMPLED);
	out->state[0] = '\0';
	out->has_state = false;
	return true;
}

void tracectx_format_parent(const uint8_t trace_id[16], uint64_t span_id, uint8_t flags, char out[56])
{
	static const char digits[] = "0123456789abcdef";
	char *p = out;
	*p++ = '0';
	*p++ = '0';
	*p++ = '-';
	for (int i = 0; i < 16; i++) {
		*p++ = digits[trace_id[i] >> 4];
		*p++ = digits[trace_id[i] & 15];
	}
	*p++ = '-';
	for (int i = 15; i >= 0; i--)
		*p++ = digits[(span_id >> (4 * i)) & 15];
	*p++ = '-';
	*p++ = '0';
	*p++ = (flags & TRACECTX_FLAG_SAMPLED) ? '1' : '0';
	*p = '\0';
}

/* ---- tracestate --------------------------------------------------------------- */

struct member {
	const char *s; /* key "=" value, optional whitespace around it removed */
	size_t len, key_len;
};

static bool is_lcalpha(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_keychar(char c)
{
	return is_lcalpha(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}

/* key = simple-key / multi-tenant-key
 * simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-" / "*" / "/" )
 * multi-tenant-key = tenant-id "@" system-id
 * tenant-id = ( lcalpha / DIGIT ) 0*240( keychar ); system-id = lcalpha 0*13( keychar ) */
static bool valid_key(const char *k, size_t n)
{
	const char *at = memchr(k, '@', n);
	if (!at) {
		if (n < 1 || n > 256 || !is_lcalpha(k[0]))
			return false;
		for (size_t i = 1; i < n; i++)
			if (!is_keychar(k[i]))
				return false;
		return true;
	}
	size_t tn = (size_t)(at - k), sn = n - tn - 1;
	const char *sys = at + 1;
	if (tn < 1 || tn > 241 || sn < 1 || sn > 14 || !(is_lcalpha(k[0]) || (k[0] >= '0' && k[0] <= '9')) ||
	    !is_lcalpha(sys[0]))
		return false;
	for (size_t i = 1; i < tn; i++)
		if (!is_keychar(k[i]))
			return false;
	for (size_t i = 1; i < sn; i++)
		if (!is_keychar(sys[i]))
			return false;
	return true;
}

/* value = 0*255( chr ) nblk-chr; nblk-chr = %x21-2B / %x2D-3C / %x3E-7E; chr = %x20 / nblk-chr */
static bool valid_value(const char *v, size_t n)
{
	if (n < 1 || n > 256 || v[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c > 0x7e || c == ',' || c == '=')
			return false;
	}
	return true;
}

/* The members of value; false if the list is invalid (tracectx.h). */
static bool split_members(const char *value, struct member m[TRACECTX_MAX_MEMBERS], size_t *count)
{
	size_t n = 0;
	const char *p = value;
	for (;;) {
		const char *end = strchr(p, ',');
		const char *stop = end ? end : p + strlen(p);
		const char *a = p, *b = stop;
		while (a < b && is_ows(*a))
			a++;
		while (b > a && is_ows(b[-1]))
			b--;
		if (a < b) { /* an empty or whitespace-only member is allowed and dropped */
			if (n == TRACECTX_MAX_MEMBERS)
				return false;
			const char *eq = memchr(a, '=', (size_t)(b - a));
			if (!eq || !valid_key(a, (size_t)(eq - a)) || !valid_value(eq + 1, (size_t)(b - eq - 1)))
				return false;
			m[n++] = (struct member){ a, (size_t)(b - a), (size_t)(eq - a) };
		}
		if (!end)
			break;
		p = end + 1;
	}
	for (size_t i = 0; i < n; i++) /* one entry per key */
		for (size_t j = i + 1; j < n; j++)
			if (m[i].key_len == m[j].key_len && memcmp(m[i].s, m[j].s, m[i].key_len) == 0)
				return false;
	*count = n;
	return true;
}

static size_t joined_len(const struct member *m, size_t n)
{
	size_t len = n ? n - 1 : 0;
	for (size_t i = 0; i < n; i++)
		len += m[i].len;
	return len;
}

static void remove_member(struct member *m, size_t *n, size_t i)
{
	memmove(&m[i], &m[i + 1], (*n - i - 1) * sizeof *m);
	(*n)--;
}

void tracectx_parse_state(const char *value, struct tracectx *io)
{
	struct member m[TRACECTX_MAX_MEMBERS];
	size_t n = 0;
	io->state[0] = '\0';
	io->has_state = false;
	if (!value || !split_members(value, m, &n) || n == 0)
		return;
	/* Too long: whole members go, those over 128 characters first, then from the end. */
	for (size_t i = n; i-- > 0 && joined_len(m, n) > TRACECTX_STATE_MAX;)
		if (m[i].len > 128)
			remove_member(m, &n, i);
	while (n > 0 && joined_len(m, n) > TRACECTX_STATE_MAX)
		n--;
	if (n == 0)
		return;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			io->state[o++] = ',';
		memcpy(io->state + o, m[i].s, m[i].len);
		o += m[i].len;
	}
	io->state[o] = '\0';
	io->has_state = true;
}
