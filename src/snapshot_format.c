/*
 * snapshot_format — the snapshot formats' names: as the command line and
 * messages spell them, and as a file's name suggests one.
 */
#include <stdbool.h>
#include <string.h>

#include "obslab/snapshot.h"

static const char *const format_names[] = { "native", "otlp", "chrome", "sqlite" };
#define NFORMATS (sizeof format_names / sizeof format_names[0])

const char *snapshot_format_name(enum snapshot_format f)
{
	return (unsigned)f < NFORMATS ? format_names[f] : "?";
}

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), k = strlen(end);
	return n > k && strcmp(s + n - k, end) == 0;
}

bool snapshot_format_from_path(const char *path, enum snapshot_format *out)
{
	static const struct {
		const char *end;
		enum snapshot_format format;
	} ends[] = { { ".db", SNAPSHOT_SQLITE },          { ".sqlite", SNAPSHOT_SQLITE },
		     { ".sqlite3", SNAPSHOT_SQLITE },     { ".otlp.json", SNAPSHOT_OTLP },
		     { ".trace.json", SNAPSHOT_CHROME },  { ".chrome.json", SNAPSHOT_CHROME },
		     { ".json", SNAPSHOT_NATIVE } };
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
		if (ends_with(path, ends[i].end)) {
			*out = ends[i].format;
			return true;
		}
	return false;
}

bool snapshot_format_parse(const char *name, enum snapshot_format *out)
{
	for (size_t i = 0; i < NFORMATS; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum snapshot_format)i;
			return true;
		}
	}
	return false;
}
