/* UTF-8 checked byte by byte (eight ASCII bytes at a time where it can),
 * and cut between characters. */
#include "obslab/utf8.h"

#include <stdint.h>
#include <string.h>

size_t utf8_decode(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	if (len == 0 || s[0] == 0)
		return 0;
	unsigned char c = s[0];
	size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 0 || (n == 2 && c < 0xc2) || n > len || (n == 4 && c > 0xf4))
		return 0;
	uint32_t v = c & (0x7fu >> (n == 1 ? 0 : n));
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[k] & 0x3fu);
	}
	if ((n == 3 && c == 0xe0 && s[1] < 0xa0) || (n == 4 && c == 0xf0 && s[1] < 0x90) ||
	    (n == 4 && c == 0xf4 && s[1] >= 0x90) || (n == 3 && c == 0xed && s[1] >= 0xa0))
		return 0; /* overlong, past U+10FFFF, or a surrogate */
	*cp = v;
	return n;
}

size_t utf8_char_len(const char *s, size_t len)
{
	uint32_t cp;
	return utf8_decode(s, len, &cp);
}

size_t utf8_valid_len(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		/* Plain ASCII without NUL, eight bytes at a time. */
		uint64_t v;
		if (len - i >= 8 && (memcpy(&v, s + i, 8), (v & UINT64_C(0x8080808080808080)) == 0) &&
		    ((v - UINT64_C(0x0101010101010101)) & ~v & UINT64_C(0x8080808080808080)) == 0) {
			i += 8;
			continue;
		}
		size_t n = utf8_char_len(s + i, len - i);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

size_t utf8_cut(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	/* The last byte that is not a continuation byte, within a character's reach. */
	size_t lead = n;
	while (lead > 0 && n - lead < 4 && (s[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead == 0 || n - lead >= 4)
		return n; /* continuation bytes with no lead: not UTF-8, left alone */
	lead--;
	unsigned char c = s[lead];
	size_t need = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
	return need > n - lead ? lead : n;
}
