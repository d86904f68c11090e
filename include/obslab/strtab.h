/*
 * strtab — an append-only string table: each distinct string gets a small
 * integer id, so fixed-size span records can name things without pointers.
 *
 * Any number of threads may intern at once: writers serialize on a mutex
 * inside the table (interning is off the hot path: callers cache their ids).
 * Readers take no lock: any thread may read an id it received after a writer
 * published it (through a ring, or by interning it itself).
 * Interned text never moves and is never freed before strtab_destroy, so a
 * pointer from strtab_get stays valid for the table's lifetime. Id 0 is the
 * empty string, also returned when the table is full (STRTAB_MAX_STRINGS).
 */
#ifndef OBSLAB_STRTAB_H
#define OBSLAB_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#define STRTAB_NONE 0u
#define STRTAB_MAX_STRINGS (16u * 1024u * 1024u)

struct strtab;

struct strtab *strtab_create(void); /* never NULL (xalloc.h) */
void strtab_destroy(struct strtab *tab);

/* Any thread (serialized inside). The id of s[0..len), interning a copy on first sight.
 * STRTAB_NONE when the table is full. */
uint32_t strtab_intern(struct strtab *tab, const char *s, size_t len);
uint32_t strtab_intern_cstr(struct strtab *tab, const char *s);

/* Any thread, for a published id: the NUL-terminated text ("" if unknown). */
const char *strtab_get(const struct strtab *tab, uint32_t id);
size_t strtab_len(const struct strtab *tab, uint32_t id);

/* Any thread: how many ids are published (ids are 0 .. count-1). */
uint32_t strtab_count(const struct strtab *tab);

/* The table's hash (64-bit, eight bytes at a time: multiply and xor-shift),
 * exported for callers' own caches. Not stable across versions: never stored. */
uint64_t strtab_hash(const char *s, size_t len);

#endif
