/* Structured log records: built, emitted into a ring, formatted as JSON
 * lines or short text, and the file the JSON lines go to. */
#include "obslab/log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obslab/ring.h"
#include "obslab/strtab.h"
#include "obslab/textsafe.h"
#include "obslab/utf8.h"
#include "obslab/xalloc.h"

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
	size_t n = utf8_cut(value, strnlen(value, LOG_TEXT_MAX - 1));
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
	if (rec.nfields) /* fields may be NULL when there are none */
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

static const char *file_kind(mode_t mode)
{
	return S_ISDIR(mode)    ? "a directory"
	       : S_ISFIFO(mode) ? "a FIFO"
	       : S_ISSOCK(mode) ? "a socket"
	       : S_ISBLK(mode)  ? "a block device"
	                        : "not a regular file";
}

/* The log file as log.h says: one write(2) per line, so a reader (tail -f,
 * another process appending) never sees half of one, whatever ends this
 * process afterwards. */
struct log_file {
	int fd;
	int error;          /* the first failure's errno; later records are skipped */
	bool said;          /* the failure was told on warn */
	bool need_newline;  /* the file ended in half a line: end it first */
	char path[];
};

static int open_fd(const char *path, struct stat *st, struct obslab_error *err)
{
	/* O_NONBLOCK: a FIFO with no reader fails at once (ENXIO) instead of
	 * waiting for one; a regular file or a device is unaffected. */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0666);
	if (fd < 0) {
		int e = errno;
		if (e == ENXIO && stat(path, st) == 0 && S_ISFIFO(st->st_mode))
			obslab_error_set(err, "cannot write the log file %s: a FIFO that no process is reading (start the reader first)",
			         path);
		else if (e == ENXIO && stat(path, st) == 0)
			obslab_error_set(err, "cannot write the log file %s: it is %s", path, file_kind(st->st_mode));
		else
			obslab_error_set(err, "cannot write the log file %s: %s", path, strerror(e));
		return -1;
	}
	int flags = fcntl(fd, F_GETFL);
	if (fstat(fd, st) != 0) {
		obslab_error_set(err, "cannot write the log file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode) && !S_ISCHR(st->st_mode) && !S_ISFIFO(st->st_mode)) {
		obslab_error_set(err, "cannot write the log file %s: it is %s", path, file_kind(st->st_mode));
		close(fd);
		return -1;
	}
	/* Blocking again from here: a log line is written whole, as to stdout. */
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
		obslab_error_set(err, "cannot write the log file %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Whether a regular file's last byte is anything but a newline (a line a
 * killed writer left half written); false when it cannot be read. */
static bool ends_mid_line(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || st->st_size == 0)
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	char last = '\n';
	bool mid = pread(fd, &last, 1, st->st_size - 1) == 1 && last != '\n';
	close(fd);
	return mid;
}

struct log_file *log_file_open(const char *path, struct obslab_error *err)
{
	struct stat st;
	int fd = open_fd(path, &st, err);
	if (fd < 0)
		return NULL;
	size_t n = strlen(path);
	struct log_file *lf = xmalloc(sizeof *lf + n + 1);
	*lf = (struct log_file){ .fd = fd, .need_newline = ends_mid_line(path, &st) };
	memcpy(lf->path, path, n + 1);
	return lf;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

static void tell(struct log_file *lf, FILE *warn, const char *then)
{
	if (lf->said || !lf->error)
		return;
	lf->said = true;
	if (warn) {
		textsafe_fprintf(warn, "obslab: writing the log file %s failed: %s%s\n", lf->path, strerror(lf->error), then);
		fflush(warn);
	}
}

void log_file_write(struct log_file *lf, const struct log_record *rec, const struct clock_anchor *anchor,
                    const struct strtab *names, FILE *warn)
{
	if (!lf || lf->error)
		return;
	char *line = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&line, &len);
	if (!mem) {
		lf->error = errno;
	} else {
		if (lf->need_newline)
			fputc('\n', mem);
		int rc = log_write_json(mem, rec, anchor, names);
		if (fclose(mem) != 0 || rc != 0)
			lf->error = ENOMEM;
		else if ((lf->error = write_all(lf->fd, line, len)) == 0)
			lf->need_newline = false;
		free(line);
	}
	tell(lf, warn, "; logging stopped");
}

bool log_file_close(struct log_file *lf, FILE *warn)
{
	if (!lf)
		return true;
	if (close(lf->fd) != 0 && !lf->error)
		lf->error = errno;
	tell(lf, warn, "");
	bool ok = lf->error == 0;
	free(lf);
	return ok;
}
