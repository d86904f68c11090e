/* db_uri — reading a --db value as SQLite reads it (see db_uri.h). */
#include "db_uri.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/atomicfile.h"
#include "obslab/db.h"

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* True when a file: URI has a vfs= parameter (keys decoded as SQLite
 * decodes them): it would open the file past the guard. */
bool db_uri_names_vfs(const char *arg)
{
	if (strncmp(arg, "file:", 5) != 0)
		return false;
	const char *p = strchr(arg, '?');
	while (p && *p && *p != '#') {
		p++; /* past '?' or '&' */
		char key[8];
		size_t n = 0;
		bool too_long = false;
		while (*p && *p != '=' && *p != '&' && *p != '#') {
			int c = (unsigned char)*p++;
			if (c == '%' && hex_digit(p[0]) >= 0 && hex_digit(p[1]) >= 0) {
				c = hex_digit(p[0]) * 16 + hex_digit(p[1]);
				p += 2;
			}
			if (n + 1 < sizeof key)
				key[n++] = (char)c;
			else
				too_long = true;
		}
		key[n] = '\0';
		if (!too_long && strcmp(key, "vfs") == 0)
			return true;
		while (*p && *p != '&' && *p != '#')
			p++;
	}
	return false;
}

/* Decodes the URI text at *p up to one of stops (or the end) into out, as
 * SQLite decodes it; *p is left on the stop. False if it did not fit. */
static bool uri_take(const char **p, const char *stops, char *out, size_t cap)
{
	size_t n = 0;
	bool fits = true;
	while (**p && !strchr(stops, **p)) {
		int c = (unsigned char)*(*p)++;
		if (c == '%' && hex_digit((*p)[0]) >= 0 && hex_digit((*p)[1]) >= 0) {
			c = hex_digit((*p)[0]) * 16 + hex_digit((*p)[1]);
			*p += 2;
		}
		if (n + 1 < cap)
			out[n++] = (char)c;
		else
			fits = false;
	}
	out[n] = '\0';
	return fits;
}

bool db_path_in_memory(const char *path)
{
	if (strcmp(path, ":memory:") == 0 || path[0] == '\0')
		return true;
	if (strncmp(path, "file:", 5) != 0)
		return false;
	const char *p = path + 5;
	if (strncmp(p, "//", 2) == 0) /* an authority: the path begins at its end */
		p += strcspn(p + 2, "/?#") + 2;
	char part[16];
	/* ":memory:" as the file, or no file at all (a private temporary one) */
	if (uri_take(&p, "?#", part, sizeof part) && (strcmp(part, ":memory:") == 0 || part[0] == '\0'))
		return true;
	while (*p == '?' || *p == '&') {
		p++;
		char key[8], value[8];
		bool key_fits = uri_take(&p, "=&#", key, sizeof key);
		if (*p == '=')
			p++;
		bool value_fits = uri_take(&p, "&#", value, sizeof value);
		if (key_fits && value_fits && strcmp(key, "mode") == 0 && strcmp(value, "memory") == 0)
			return true;
	}
	return false;
}

bool db_path_names_file(const char *db_arg, const char *path)
{
	if (db_path_in_memory(db_arg))
		return false;
	char file[4096];
	const char *p = db_arg;
	if (strncmp(p, "file:", 5) == 0) {
		p += 5;
		if (strncmp(p, "//", 2) == 0) /* an authority: the path begins at its end */
			p += strcspn(p + 2, "/?#") + 2;
		if (!uri_take(&p, "?#", file, sizeof file))
			return false;
		p = file;
	}
	if (atomicfile_same(p, path))
		return true;
	/* The database's own side files: its write-ahead log, its shared-memory
	 * index, its rollback journal, beside the name given and beside the file
	 * it resolves to (SQLite follows a link to the database). */
	static const char *const sides[] = { "-wal", "-shm", "-journal" };
	char resolved[PATH_MAX];
	const char *bases[] = { p, realpath(p, resolved) };
	for (size_t b = 0; b < 2 && bases[b]; b++) {
		for (size_t i = 0; i < sizeof sides / sizeof sides[0]; i++) {
			char side[PATH_MAX + 16];
			int n = snprintf(side, sizeof side, "%s%s", bases[b], sides[i]);
			if (n > 0 && (size_t)n < sizeof side && atomicfile_same(side, path))
				return true;
		}
	}
	return false;
}
