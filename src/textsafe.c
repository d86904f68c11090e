/* textsafe — escaping text from elsewhere for a terminal (see textsafe.h). */
#include "obslab/textsafe.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/utf8.h"
#include "obslab/xalloc.h"

size_t textsafe_next(const char *s, size_t len, uint32_t *cp, bool *safe)
{
	size_t n = utf8_decode(s, len, cp);
	if (n == 0) { /* NUL, or a byte that starts no well-formed character */
		*cp = (unsigned char)s[0];
		*safe = false;
		return 1;
	}
	/* C0, DEL and the C1 controls (U+0080-U+009F) never pass, nor do the
	 * bidirectional controls, which reorder what follows on the screen. */
	*safe = (*cp >= 0xa0 || (*cp >= 0x20 && *cp < 0x7f)) && !textsafe_is_bidi(*cp);
	return n;
}

bool textsafe_is_bidi(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

size_t textsafe_escape_bytes(char out[TEXTSAFE_ESCAPE_MAX], const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t cp;
	if (n >= 2 && utf8_decode(s, n, &cp) == n && textsafe_is_bidi(cp)) { /* \u202e */
		int w = snprintf(out, TEXTSAFE_ESCAPE_MAX, "\\u%04x", (unsigned)cp);
		return w > 0 && w < TEXTSAFE_ESCAPE_MAX ? (size_t)w : 0;
	}
	size_t o = 0;
	for (size_t i = 0; i < n && i < 4; i++) {
		unsigned char c = (unsigned char)s[i];
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 0xf];
	}
	out[o] = '\0';
	return o;
}

int textsafe_fwrite(FILE *out, const char *s, size_t len)
{
	size_t run = 0; /* safe bytes not yet written, ending at i */
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		bool safe;
		size_t n = textsafe_next(s + i, len - i, &cp, &safe);
		if (safe) {
			run += n;
			i += n;
			continue;
		}
		char esc[TEXTSAFE_ESCAPE_MAX];
		size_t e = textsafe_escape_bytes(esc, s + i, n);
		if ((run && fwrite(s + i - run, 1, run, out) != run) || fwrite(esc, 1, e, out) != e)
			return EOF;
		run = 0;
		i += n;
	}
	if (run && fwrite(s + len - run, 1, run, out) != run)
		return EOF;
	return 0;
}

int textsafe_fputs(FILE *out, const char *s)
{
	return textsafe_fwrite(out, s, strlen(s));
}

int textsafe_fprintf(FILE *out, const char *fmt, ...)
{
	char small[1024], *text = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof small) {
		text = xmalloc((size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	size_t len = (size_t)n;
	bool newline = len > 0 && text[len - 1] == '\n';
	int rc = textsafe_fwrite(out, text, newline ? len - 1 : len);
	if (rc == 0 && newline && fputc('\n', out) == EOF)
		rc = EOF;
	if (text != small)
		free(text);
	return rc == 0 ? n : -1;
}

int textsafe_json_fputs(FILE *out, const char *json)
{
	size_t len = strlen(json), run = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		bool safe;
		size_t n = textsafe_next(json + i, len - i, &cp, &safe);
		/* cJSON escapes C0 inside strings: what is left is white space. */
		if (safe || cp == '\n' || cp == '\t' || cp == '\r') {
			run += n;
			i += n;
			continue;
		}
		char esc[8];
		bool utf8 = n > 1 || cp < 0x80; /* else a byte that is not UTF-8 */
		snprintf(esc, sizeof esc, "\\u%04x", utf8 ? (unsigned)cp : 0xfffdu);
		if ((run && fwrite(json + i - run, 1, run, out) != run) || fputs(esc, out) == EOF)
			return EOF;
		run = 0;
		i += n;
	}
	if (run && fwrite(json + len - run, 1, run, out) != run)
		return EOF;
	return 0;
}
