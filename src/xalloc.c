/*
 * xalloc — the one allocator: malloc and friends that abort instead of
 * returning NULL, the overflow-checked array forms, and the hooks that make
 * cJSON allocate through them too (the policy is in xalloc.h).
 */
#include "obslab/xalloc.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

static void *check(void *p)
{
	if (!p)
		abort();
	return p;
}

void *xmalloc(size_t n)
{
	return check(malloc(n ? n : 1));
}

void *xcalloc(size_t count, size_t size)
{
	return check(calloc(count ? count : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t n)
{
	return check(realloc(p, n ? n : 1));
}

static size_t array_bytes(size_t count, size_t size)
{
	if (size != 0 && count > SIZE_MAX / size)
		abort(); /* as out of memory: no such allocation can succeed */
	return count * size;
}

void *xmalloc_array(size_t count, size_t size)
{
	return xmalloc(array_bytes(count, size));
}

void *xrealloc_array(void *p, size_t count, size_t size)
{
	return xrealloc(p, array_bytes(count, size));
}

void *xmalloc_aligned(size_t alignment, size_t n)
{
	return check(aligned_alloc(alignment, n ? n : alignment));
}

/* cJSON's allocations go through xmalloc from the start of the program,
 * before any thread exists (cJSON_InitHooks is not thread-safe). Every
 * program that uses obslab's library links this file: everything in it
 * allocates through xalloc. */
static void *json_malloc(size_t n)
{
	return xmalloc(n);
}

__attribute__((constructor)) static void json_hooks(void)
{
	cJSON_Hooks hooks = { .malloc_fn = json_malloc, .free_fn = free };
	cJSON_InitHooks(&hooks);
}
