/*
 * textsafe — text that came from elsewhere (a file, a database, the command
 * line) made safe for a terminal: the one place that decides which bytes
 * may reach one raw. The explorer's draw_text and every command's output and
 * error lines go through it.
 *
 * A character passes as it is when it is well-formed UTF-8 and not a
 * control. C0 (U+0000-U+001F, newline and tab included), DEL (U+007F) and C1
 * (U+0080-U+009F, the 8-bit CSI and OSC among them) are written as \xNN, one
 * per byte, and so is every byte that is not part of well-formed UTF-8
 * (stray continuation bytes, overlong forms, surrogates, past U+10FFFF, a
 * character cut short). "\x1b]0;title\x07" thus prints as the 14 characters
 * \x1b]0;title\x07, and can neither retitle nor clear the terminal.
 * The bidirectional controls (U+061C, U+200E-U+200F, U+202A-U+202E,
 * U+2066-U+2069) would reorder the text that follows them on the screen
 * (a "Trojan Source" name reads unlike what it is): they are written as
 * \u202e, their code point.
 * JSON (cJSON's output) goes through textsafe_json_fputs instead, which
 * keeps it valid JSON. No state, any thread; the caller owns every buffer.
 */
#ifndef OBSLAB_TEXTSAFE_H
#define OBSLAB_TEXTSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The longest escaped form of one character ("\xNN" four times), and NUL. */
#define TEXTSAFE_ESCAPE_MAX 17

/* The character at s[0..len) (len > 0): returns its length in bytes, with
 * *cp its code point and *safe whether it may reach a terminal as it is.
 * A byte that starts no well-formed character is one unsafe byte. */
size_t textsafe_next(const char *s, size_t len, uint32_t *cp, bool *safe);

/* True for the bidirectional controls textsafe_next calls unsafe. */
bool textsafe_is_bidi(uint32_t cp);

/* The escaped form of the n bytes at s (n <= 4): "\uNNNN" when they are one
 * bidirectional control, else "\xNN" per byte; NUL terminated. Returns its
 * length. */
size_t textsafe_escape_bytes(char out[TEXTSAFE_ESCAPE_MAX], const char *s, size_t n);

/* s[0..len), safe for a terminal, to out. EOF on a write error, else 0. */
int textsafe_fwrite(FILE *out, const char *s, size_t len);
/* A NUL-terminated s, likewise. */
int textsafe_fputs(FILE *out, const char *s);

/* printf, made safe: everything it formats is written as textsafe_fwrite
 * writes it, but a newline that ends the formatted text, so one call prints
 * at most one line, whatever its arguments hold. Returns as fprintf. */
int textsafe_fprintf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* JSON text, as cJSON prints it, made safe and kept valid: DEL and C1
 * characters (which JSON allows raw) become \u007f and \u0080-\u009f, and a
 * byte that is not well-formed UTF-8 becomes \ufffd, the replacement
 * character. Outside strings cJSON writes only ASCII, and inside them it
 * escapes C0 already, so no control byte but white space is left. Returns
 * EOF on a write error, else 0. */
int textsafe_json_fputs(FILE *out, const char *json);

#endif
