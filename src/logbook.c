/*
 * logbook — the log pane's bounded list of entries, where a record equal to
 * the previous one only increments its repeat count (logbook.h).
 */
#include "obslab/logbook.h"

#include <stdio.h>
#include <string.h>

void logbook_init(struct logbook *lb)
{
	memset(lb, 0, sizeof *lb);
}

void logbook_add(struct logbook *lb, enum log_level level, int64_t time_ns, const char *text)
{
	lb->added++;
	if (lb->count > 0) {
		struct logbook_entry *last = &lb->entries[(lb->first + lb->count - 1) % LOGBOOK_MAX];
		if (last->level == level && strncmp(last->text, text, LOGBOOK_TEXT - 1) == 0) {
			last->repeat++;
			last->time_ns = time_ns;
			return;
		}
	}
	if (lb->count == LOGBOOK_MAX) {
		lb->first = (lb->first + 1) % LOGBOOK_MAX;
		lb->count--;
	}
	struct logbook_entry *e = &lb->entries[(lb->first + lb->count++) % LOGBOOK_MAX];
	e->time_ns = time_ns;
	e->level = level;
	e->repeat = 1;
	snprintf(e->text, sizeof e->text, "%s", text);
}

void logbook_add_record(struct logbook *lb, const struct log_record *rec, const struct strtab *names)
{
	char text[LOGBOOK_TEXT];
	log_format(text, sizeof text, rec, names, LOG_FORMAT_NO_LEVEL | LOG_FORMAT_NO_TRACE_ID);
	logbook_add(lb, rec->level, rec->time_ns, text);
}

size_t logbook_count(const struct logbook *lb)
{
	return lb->count;
}

const struct logbook_entry *logbook_get(const struct logbook *lb, size_t i)
{
	return i < lb->count ? &lb->entries[(lb->first + i) % LOGBOOK_MAX] : NULL;
}
