/* osc52 — base64 and the OSC 52 clipboard sequence (see osc52.h). */
#include "obslab/osc52.h"

#include <string.h>

#include "obslab/xalloc.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t osc52_base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

size_t osc52_base64(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

char *osc52_sequence(const char *text, size_t n, size_t *len)
{
	static const char head[] = "\033]52;c;";
	if (n > OSC52_MAX_TEXT || memchr(text, '\0', n))
		return NULL;
	size_t h = sizeof head - 1;
	char *seq = xmalloc(h + osc52_base64_len(n) + 2);
	memcpy(seq, head, h);
	size_t b = osc52_base64(text, n, seq + h);
	seq[h + b] = '\007'; /* BEL: what tmux and every terminal end it with */
	seq[h + b + 1] = '\0';
	*len = h + b + 1;
	return seq;
}
