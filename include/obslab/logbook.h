/*
 * logbook — the log as the log pane shows it: the newest LOGBOOK_MAX
 * entries, where a record identical to the previous one (same level,
 * message and fields, trace ids aside) only bumps a repeat count. So the
 * N+1 warning appears once per change of settings, "×37", not once per
 * request. Owned by one thread; fixed memory, no allocation after init.
 */
#ifndef OBSLAB_LOGBOOK_H
#define OBSLAB_LOGBOOK_H

#include <stddef.h>
#include <stdint.h>

#include "obslab/log.h"

#define LOGBOOK_MAX 256
#define LOGBOOK_TEXT 200

struct logbook_entry {
	int64_t time_ns; /* the latest occurrence */
	enum log_level level;
	uint32_t repeat; /* 1 for a single occurrence */
	char text[LOGBOOK_TEXT];
};

struct logbook {
	struct logbook_entry entries[LOGBOOK_MAX];
	size_t first, count;
	uint64_t added; /* every record or message ever added, repeats included */
};

void logbook_init(struct logbook *lb);
void logbook_add_record(struct logbook *lb, const struct log_record *rec, const struct strtab *names);
/* A message of the program's own (a settings change, an error). */
void logbook_add(struct logbook *lb, enum log_level level, int64_t time_ns, const char *text);

size_t logbook_count(const struct logbook *lb);
const struct logbook_entry *logbook_get(const struct logbook *lb, size_t i); /* 0 = oldest */

#endif
