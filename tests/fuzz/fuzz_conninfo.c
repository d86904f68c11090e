/* libFuzzer: --db values as PostgreSQL connection strings. On any bytes:
 * no crash; pg_is_conninfo answers; pg_conninfo_masked writes a
 * NUL-terminated line within its buffer that never holds the password
 * libpq reads from the same text (checked where the password is long
 * enough to be told apart and appears in the text exactly once). */
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/pg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t occurrences(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return len ? n : 0;
}

/* The password libpq reads from text, malloc'd, or NULL. */
static char *password_of(const char *text)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(text, &msg);
	PQfreemem(msg);
	if (!opts)
		return NULL;
	char *pw = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "password") == 0 && o->val)
			pw = strdup(o->val);
	}
	PQconninfoFree(opts);
	return pw;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	(void)pg_is_conninfo(text);
	char masked[512];
	memset(masked, 'x', sizeof masked);
	pg_conninfo_masked(text, masked, sizeof masked);
	if (!memchr(masked, '\0', sizeof masked))
		__builtin_trap();
	char tiny[4];
	pg_conninfo_masked(text, tiny, sizeof tiny);
	if (!memchr(tiny, '\0', sizeof tiny))
		__builtin_trap();

	char *pw = password_of(text);
	if (pw && strlen(pw) >= 6 && occurrences(text, pw) == 1 && strstr(masked, pw))
		__builtin_trap();
	free(pw);
	free(text);
	return 0;
}
