/*
 * osc52 — a text for the clipboard as the terminal's OSC 52 sequence
 * (ESC ] 52 ; c ; BASE64 BEL): xterm, kitty, WezTerm, iTerm2 and tmux
 * (with `set-clipboard on`, which takes the plain sequence from the
 * program inside it and passes it on to the terminal outside) set their
 * clipboard from it, over ssh too. No curses, no terminal: the caller
 * writes the bytes.
 *
 * Ownership: osc52_sequence returns a buffer from xmalloc that the caller
 * frees. Errors: a text longer than OSC52_MAX_TEXT bytes (terminals drop
 * longer ones) or containing a NUL is refused (NULL), never cut.
 * Thread-safe: no state.
 */
#ifndef OBSLAB_OSC52_H
#define OBSLAB_OSC52_H

#include <stddef.h>

/* xterm's limit on the sequence is about 100,000 bytes of base64. */
#define OSC52_MAX_TEXT 74994

/* Bytes base64 takes for n bytes of input, without a terminating NUL. */
size_t osc52_base64_len(size_t n);
/* The standard base64 (RFC 4648, '+' '/', '=' padding) of in[0..n) into
 * out, NUL-terminated; out must hold osc52_base64_len(n) + 1 bytes.
 * Returns the length written. */
size_t osc52_base64(const void *in, size_t n, char *out);
/* "\033]52;c;" BASE64(text) "\007", NUL-terminated, its length in *len;
 * NULL for a text too long or holding a NUL byte. */
char *osc52_sequence(const char *text, size_t n, size_t *len);

#endif
