/*
 * log — structured log records: time, level, message, typed fields.
 *
 * The workload thread emits records into a ring of its own (log_emit never
 * blocks; a full ring drops and counts, like spans). The consumer formats
 * them: log_write_json as one JSON line, log_format as a short text line.
 * Messages and field keys are string literals (static storage), string
 * values are strtab ids or short inline text, so a record holds no pointer
 * into memory that could go away. No bound SQL value ever goes in a field.
 */
#ifndef OBSLAB_LOG_H
#define OBSLAB_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "obslab/clock.h"
#include "obslab/error.h"

struct ring;
struct strtab;

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

enum log_value { LOG_VALUE_INT, LOG_VALUE_STR, LOG_VALUE_TEXT };

#define LOG_MAX_FIELDS 4
#define LOG_TEXT_MAX 128 /* room for an error's cause (a database's message) after its context */

struct log_field {
	const char *key; /* a string literal */
	enum log_value type;
	union {
		int64_t i;
		uint32_t str; /* strtab id */
		char text[LOG_TEXT_MAX];
	} v;
};

struct log_record {
	int64_t time_ns;     /* clock_now_ns() */
	const char *message; /* a string literal */
	enum log_level level;
	uint32_t nfields;
	struct log_field fields[LOG_MAX_FIELDS];
};

/* Field constructors; text longer than LOG_TEXT_MAX - 1 is cut. */
struct log_field log_int(const char *key, int64_t value);
struct log_field log_str(const char *key, uint32_t strtab_id);
struct log_field log_text(const char *key, const char *value);

/* Producer side: stamps and pushes; false if the ring was full. */
bool log_emit(struct ring *ring, enum log_level level, const char *message,
               size_t nfields, const struct log_field *fields);

const char *log_level_name(enum log_level level);

/* One JSON object and a newline:
 * {"time":"2026-11-27T10:20:48.123456Z","level":"WARN","message":"...",...}
 * Returns 0, or -1 if writing failed (errno set). */
int log_write_json(FILE *out, const struct log_record *rec, const struct clock_anchor *anchor,
                   const struct strtab *names);

/* --log-file: log_file_open opens path to append to, without ever
 * blocking: a regular file (created with the permissions the umask allows),
 * a character device (a terminal, /dev/null, /dev/stderr) or a pipe that a
 * process is already reading (/dev/stdout in a pipeline, a FIFO with its
 * reader). Anything else (a FIFO nobody reads, a directory, a socket, a
 * block device) is refused: NULL, with err filled in one line.
 * log_file_write writes each record as log_write_json does, as it comes, in
 * one write(2): a line is never left half written nor held back. A regular
 * file whose last byte is not a newline (a writer was killed mid-line) gets
 * one first. The first failed write is said once on warn ("obslab: writing
 * the log file P failed: ...; logging stopped"; warn may be NULL) and later
 * records are dropped. log_file_close closes and frees (NULL: nothing);
 * false if a write or the close failed (the close's failure said on warn).
 * One thread per log file: the consumer's. */
struct log_file;
struct log_file *log_file_open(const char *path, struct obslab_error *err);
void log_file_write(struct log_file *lf, const struct log_record *rec, const struct clock_anchor *anchor,
                    const struct strtab *names, FILE *warn);
bool log_file_close(struct log_file *lf, FILE *warn);

enum log_format_flags {
	LOG_FORMAT_NO_LEVEL = 1 << 0,    /* leave out the level word */
	LOG_FORMAT_NO_TRACE_ID = 1 << 1, /* leave out the trace_id field */
};

/* "WARN  N+1 query pattern detected repeated=20 ..." into buf; returns the
 * length written. flags: enum log_format_flags. */
size_t log_format(char *buf, size_t cap, const struct log_record *rec, const struct strtab *names,
                  unsigned flags);

#endif
