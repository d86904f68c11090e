/*
 * xalloc — allocation that does not return NULL, and obslab's error policy.
 *
 * Errors come in two tiers (docs/architecture.md, "Errors"):
 *  - Out of memory is the one error obslab does not hand back: every
 *    allocation goes through these functions, which abort, and in the
 *    explorer the fatal-signal handler gives the terminal back first
 *    (htop's xMalloc, for the same reason). No obslab function returns
 *    NULL or a status for out of memory, and no caller checks for it.
 *  - Every other failure (a file that cannot be read, a database that is
 *    not obslab's, a bad option) is a status the caller must handle, with
 *    a message a user can act on in a struct obslab_error (error.h).
 *
 * A size of 0 allocates 1 byte, so a valid pointer always comes back.
 * xmalloc_array and xrealloc_array allocate count * size bytes and abort
 * if that product overflows (htop's xMallocArray): use them wherever a
 * count times a size is allocated. Free with free().
 *
 * cJSON allocates through xmalloc as well (its hooks are installed when
 * the program starts), so cJSON_Create*, cJSON_Add*, cJSON_Print* never
 * return NULL for obslab and their results are not checked; free what
 * cJSON_Print* returns with cJSON_free. Thread-safe: any thread.
 */
#ifndef OBSLAB_XALLOC_H
#define OBSLAB_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
void *xmalloc_array(size_t count, size_t size);
void *xrealloc_array(void *p, size_t count, size_t size);
/* aligned_alloc's: n a multiple of alignment, a power of two. */
void *xmalloc_aligned(size_t alignment, size_t n);

#endif
