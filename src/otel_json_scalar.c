/* OTLP/JSON's scalar values as protobuf JSON writes them: int64 as a
 * decimal string or a number, doubles with "NaN" and the infinities, bytes
 * as base64. Each refuses anything else in one line naming where. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/otel.h"
#include "obslab/xalloc.h"
#include "snapshot_reader.h"

/* A signed 64-bit integer written as a number or a decimal string
 * (protobuf JSON's int64); 1e3 and 5.0 are whole numbers too. */
bool otel_json_parse_i64(const char *s, size_t len, int64_t *out)
{
	char buf[80];
	if (len == 0 || len >= sizeof buf)
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	size_t i = buf[0] == '-' ? 1 : 0;
	bool digits = i < len;
	for (size_t k = i; k < len; k++)
		digits &= buf[k] >= '0' && buf[k] <= '9';
	if (digits) {
		uint64_t v = 0, limit = i ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		for (size_t k = i; k < len; k++) {
			unsigned d = (unsigned)(buf[k] - '0');
			if (v > (limit - d) / 10)
				return false;
			v = v * 10 + d;
		}
		*out = i ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
		return true;
	}
	char *end;
	double d = strtod(buf, &end);
	if (*end || !(d >= -0x1p63 && d < 0x1p63) || d != floor(d))
		return false;
	*out = (int64_t)d;
	return true;
}

bool otel_json_take_i64(struct reader *r, struct jp *jp, int64_t *out, const char *where, const char *field)
{
	enum jp_type t = jp_peek(jp);
	const char *at = jp->p, *s = NULL;
	size_t len = 0;
	if (t == JP_STRING) {
		if (!jp_string(jp, &s, &len))
			return false;
	} else if (t == JP_NUMBER) {
		if (!jp_skip(jp))
			return false;
		s = at;
		len = (size_t)(jp->p - at);
	} else {
		jp_skip(jp);
	}
	if (s && otel_json_parse_i64(s, len, out))
		return true;
	return reader_wrong_value(r, jp, at, where, field, "a whole number from -2^63 to 2^63 - 1");
}

/* A double as a JSON number, or "NaN", "Infinity", "-Infinity" (protobuf JSON). */
bool otel_json_take_double(struct reader *r, struct jp *jp, double *out, const char *where, const char *field)
{
	enum jp_type t = jp_peek(jp);
	const char *at = jp->p;
	if (t == JP_NUMBER)
		return jp_double(jp, out) || reader_wrong_value(r, jp, at, where, field, "a number");
	if (t == JP_STRING) {
		const char *s;
		size_t len;
		if (!jp_string(jp, &s, &len))
			return false;
		char buf[64];
		if (len > 0 && len < sizeof buf) {
			memcpy(buf, s, len);
			buf[len] = '\0';
			char *end;
			if (strcmp(buf, "NaN") == 0) {
				*out = (double)NAN;
				return true;
			}
			if (strcmp(buf, "Infinity") == 0 || strcmp(buf, "-Infinity") == 0) {
				*out = buf[0] == '-' ? -(double)INFINITY : (double)INFINITY;
				return true;
			}
			*out = strtod(buf, &end);
			if (!*end && buf[0] != ' ' && isfinite(*out))
				return true;
		}
	} else {
		jp_skip(jp);
	}
	return reader_wrong_value(r, jp, at, where, field, "a number, \"NaN\", \"Infinity\" or \"-Infinity\"");
}

static int b64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Base64 (standard or URL-safe, padding optional) decoded in place; the
 * decoded length, or SIZE_MAX if s is not base64. */
static size_t b64_decode(const char *s, size_t len, unsigned char *out)
{
	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return SIZE_MAX;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int d = b64_digit(s[i]);
		if (d < 0)
			return SIZE_MAX;
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

bool otel_json_take_bytes(struct reader *r, struct jp *jp, struct otel_str *out, const char *where, const char *field)
{
	jp_peek(jp);
	const char *at = jp->p, *s;
	size_t len;
	if (jp_peek(jp) != JP_STRING) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, where, field, "base64 text");
	}
	if (!jp_string(jp, &s, &len))
		return false;
	unsigned char *buf = xmalloc(len / 4 * 3 + 3);
	size_t n = b64_decode(s, len, buf);
	if (n != SIZE_MAX)
		*out = otel_text(reader_otel(r), (const char *)buf, n);
	free(buf);
	return n != SIZE_MAX || reader_wrong_value(r, jp, at, where, field, "base64 text");
}

