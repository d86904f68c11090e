#include "obslab/log.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/ring.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"

struct log_field log_int(const char *key, int64_t value)
{
	return (struct log_field){ .key = key, .type = LOG_VALUE_INT, .v.i = value };
}

struct log_field log_str(const char *key, uint32_t strtab_id)
{
	return (struct log_field){ .key = key, .type = LOG_VALUE_STR, .v.str = strtab_id };
}

struct log_field log_text(const char *key, const char *value)
{
	struct log_field f = { .key = key, .type = LOG_VALUE_TEXT };
	size_t n = strnlen(value, LOG_TEXT_MAX - 1);
	memcpy(f.v.text, value, n);
	f.v.text[n] = '\0';
	return f;
}

bool log_emit(struct ring *ring, enum log_level level, const char *message,
               size_t nfields, const struct log_field *fields)
{
	struct log_record rec = {
		.time_ns = clock_now_ns(),
		.message = message,
		.level = level,
		.nfields = (uint32_t)(nfields < LOG_MAX_FIELDS ? nfields : LOG_MAX_FIELDS),
	};
	memcpy(rec.fields, fields, rec.nfields * sizeof *fields);
	return ring_push(ring, &rec);
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG: return "DEBUG";
	case LOG_INFO: return "INFO";
	case LOG_WARN: return "WARN";
	case LOG_ERROR: return "ERROR";
	}
	return "?";
}

static void format_time(char *buf, size_t cap, int64_t unix_ns)
{
	time_t secs = (time_t)(unix_ns / CLOCK_NS_PER_S);
	long micros = (long)(unix_ns % CLOCK_NS_PER_S / CLOCK_NS_PER_US);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, cap - n, ".%06ldZ", micros);
}

int log_write_json(FILE *out, const struct log_record *rec, const struct clock_anchor *anchor,
                   const struct strtab *names)
{
	char when[40];
	format_time(when, sizeof when, clock_to_unix_ns(anchor, rec->time_ns));
	cJSON *obj = cJSON_CreateObject();
	if (!obj)
		abort(); /* out of memory: the one unrecoverable error */
	cJSON_AddStringToObject(obj, "time", when);
	cJSON_AddStringToObject(obj, "level", log_level_name(rec->level));
	cJSON_AddStringToObject(obj, "message", rec->message);
	for (uint32_t i = 0; i < rec->nfields; i++) {
		const struct log_field *f = &rec->fields[i];
		switch (f->type) {
		case LOG_VALUE_INT: cJSON_AddNumberToObject(obj, f->key, (double)f->v.i); break;
		case LOG_VALUE_STR: cJSON_AddStringToObject(obj, f->key, strtab_get(names, f->v.str)); break;
		case LOG_VALUE_TEXT: cJSON_AddStringToObject(obj, f->key, f->v.text); break;
		}
	}
	char *line = cJSON_PrintUnformatted(obj);
	cJSON_Delete(obj);
	if (!line)
		abort();
	/* Names come from files and databases: kept JSON, and safe to tail. */
	int rc = textsafe_json_fputs(out, line) == EOF || fputc('\n', out) == EOF ? -1 : 0;
	cJSON_free(line);
	return rc;
}

size_t log_format(char *buf, size_t cap, const struct log_record *rec, const struct strtab *names,
                  unsigned flags)
{
	size_t n = 0;
#define APPEND(...)                                                     \
	do {                                                            \
		int w = snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__); \
		if (w > 0)                                              \
			n += (size_t)w;                                 \
	} while (0)
	if (flags & LOG_FORMAT_NO_LEVEL)
		APPEND("%s", rec->message);
	else
		APPEND("%-5s %s", log_level_name(rec->level), rec->message);
	for (uint32_t i = 0; i < rec->nfields; i++) {
		const struct log_field *f = &rec->fields[i];
		if ((flags & LOG_FORMAT_NO_TRACE_ID) && strcmp(f->key, "trace_id") == 0)
			continue;
		switch (f->type) {
		case LOG_VALUE_INT: APPEND(" %s=%" PRId64, f->key, f->v.i); break;
		case LOG_VALUE_STR: APPEND(" %s=\"%s\"", f->key, strtab_get(names, f->v.str)); break;
		case LOG_VALUE_TEXT: APPEND(" %s=%s", f->key, f->v.text); break;
		}
	}
#undef APPEND
	return n < cap ? n : (cap ? cap - 1 : 0);
}
