/* lineedit — a prompt's one line of text: typed, pasted, erased by
 * character, word or line (see lineedit.h). */
#include "obslab/lineedit.h"

#include <string.h>

#include "obslab/utf8.h"

bool lineedit_type(char *buf, size_t cap, unsigned char c)
{
	if (c < 0x20 || c == 0x7f)
		return false;
	size_t len = strlen(buf);
	if (len + 1 >= cap) {
		buf[utf8_cut(buf, len)] = '\0'; /* full: whole characters, never the start of one */
		return false;
	}
	buf[len] = (char)c;
	buf[len + 1] = '\0';
	return true;
}

size_t lineedit_paste(char *buf, size_t cap, const char *text, size_t len)
{
	return lineedit_paste_more(buf, cap, text, len, 0);
}

size_t lineedit_paste_more(char *buf, size_t cap, const char *text, size_t len, size_t more)
{
	size_t at = strlen(buf), add = 0;
	for (size_t i = 0; i < len; i++) { /* the bytes it becomes: controls dropped */
		unsigned char c = (unsigned char)text[i];
		if (c >= 0x20 && c != 0x7f)
			add++;
		else if (c == '\t' || c == '\r' || c == '\n')
			add++;
	}
	if (more > 0) /* the reader cut it: a cut text would say something else */
		return at + add + more + 1 > cap ? at + add + more + 1 - cap : more;
	if (at + add + 1 > cap) /* all or nothing: a cut text would say something else */
		return at + add + 1 - cap;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		else if (c < 0x20 || c == 0x7f)
			continue;
		buf[at++] = (char)c;
	}
	buf[at] = '\0';
	return 0;
}

void lineedit_erase_char(char *buf)
{
	size_t len = strlen(buf);
	while (len > 0 && ((unsigned char)buf[len - 1] & 0xc0) == 0x80)
		len--;
	buf[len > 0 ? len - 1 : 0] = '\0';
}

void lineedit_erase_word(char *buf)
{
	size_t len = strlen(buf);
	while (len > 0 && buf[len - 1] == ' ')
		len--;
	while (len > 0 && buf[len - 1] != ' ')
		len--;
	buf[len] = '\0';
}

void lineedit_clear(char *buf)
{
	buf[0] = '\0';
}
