/*
 * utf8 — byte strings checked as UTF-8 and cut only between characters.
 *
 * Stateless functions on caller-owned bytes; nothing is allocated. "Valid"
 * means well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF) without NUL. Whatever obslab cuts to fit a buffer
 * (span names, fingerprints, tokens) is cut with utf8_cut, so that what it
 * writes, it reads back.
 *
 * Threads: no state, any thread.
 */
#ifndef OBSLAB_UTF8_H
#define OBSLAB_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The valid character s[0..len) starts with: its length (1 to 4), with *cp
 * its code point; 0 if s starts with a byte that begins none (or NUL, or
 * len is 0), and *cp is then left alone. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);

/* The length (1 to 4) of the valid character s[0..len) starts with; 0 if
 * it starts with a byte that begins none (or NUL, or len is 0). */
size_t utf8_char_len(const char *s, size_t len);

/* The offset of the first byte of s[0..len) that is not valid UTF-8 (or is
 * NUL); len if there is none. */
size_t utf8_valid_len(const char *s, size_t len);

/* s[0..n) is the start of a longer string, kept to n bytes: the length to
 * keep instead so that no character is split, n minus the 1 to 3 bytes of a
 * character cut short. Bytes that are not UTF-8 are left as they are. */
size_t utf8_cut(const char *s, size_t n);

#endif
