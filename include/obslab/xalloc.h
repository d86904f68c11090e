/*
 * xalloc — allocation that does not return NULL.
 *
 * Out of memory is the one error obslab does not hand back: these abort,
 * and in the explorer the fatal-signal handler gives the terminal back
 * first (htop's xMalloc, for the same reason). Every other error is a
 * status the caller handles. A size of 0 allocates 1 byte, so a valid
 * pointer always comes back. Free with free().
 */
#ifndef OBSLAB_XALLOC_H
#define OBSLAB_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);

#endif
