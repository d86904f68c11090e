/*
 * lineedit — the text of a one-line prompt (the explorer's `/` search and
 * `\` filter), edited as readline, less and htop do: typed bytes and pasted
 * text go at the end, Backspace takes the last character, Ctrl-W the last
 * word, Ctrl-U the whole line.
 *
 * The text is a caller-owned NUL-terminated buffer of cap bytes (cap >= 1);
 * nothing is allocated. The buffer is the limit: a typed byte that does
 * not fit is refused (with a character cut short at the end, never half of
 * one kept), and a paste that does not fit whole is refused whole, so the
 * text is never cut into one that says something else. Pasted text is
 * text: a tab, CR or LF becomes a space, any other control character
 * (ESC, DEL, C0) is dropped, so nothing pasted can end or escape a prompt.
 * No errors; no state; any thread.
 */
#ifndef OBSLAB_LINEEDIT_H
#define OBSLAB_LINEEDIT_H

#include <stdbool.h>
#include <stddef.h>

/* One typed byte (>= 0x20, not DEL) at the end; false if it was not taken
 * (a control byte, or the buffer is full: then a character cut short at
 * the end is dropped too). */
bool lineedit_type(char *buf, size_t cap, unsigned char c);

/* Pasted bytes at the end, control characters made spaces or dropped: 0
 * when all of it was taken; else nothing was taken, and the number of
 * bytes too many (the caller says the limit). */
size_t lineedit_paste(char *buf, size_t cap, const char *text, size_t len);

/* lineedit_paste of a paste whose reader kept only its first len bytes and
 * dropped `more` after them: with more > 0 it is refused whole (the text
 * kept is not the text pasted), never taken cut. */
size_t lineedit_paste_more(char *buf, size_t cap, const char *text, size_t len, size_t more);

/* Backspace: the last character (a whole UTF-8 one). */
void lineedit_erase_char(char *buf);

/* Ctrl-W: the spaces at the end, then the word before them (as readline's
 * unix-word-rubout: a word ends at a space). */
void lineedit_erase_word(char *buf);

/* Ctrl-U: the whole line. */
void lineedit_clear(char *buf);

#endif
