/* The snapshot reader's entry points: the file read whole (and refused if it
 * is not a regular file or changes while it is read), checked as UTF-8, and
 * its document's top level. A file of any size the machine can hold: its
 * bytes are freed once its spans are read, before they are assembled. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obslab/httpinfo.h"
#include "obslab/otel.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"
#include "obslab/xalloc.h"
#include "snapshot_reader.h"

bool reader_fail(struct reader *r, const char *fmt, ...)
{
	if (r->jp && r->jp->failed)
		return false;
	va_list ap;
	va_start(ap, fmt);
	obslab_error_vset(r->err, fmt, ap);
	va_end(ap);
	return false;
}

/* ---- entry points --------------------------------------------------------------------- */

/* Whether the parser, just past a document, is at another one that starts
 * on a later line: JSON Lines, as the OpenTelemetry Collector's file
 * exporter writes them (one ExportTraceServiceRequest a line, blank lines
 * between). Anything else after the document stays "more data". */
static bool at_next_line(const struct jp *jp)
{
	const char *p = jp->p;
	bool newline = false;
	while (p < jp->end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		newline |= *p++ == '\n';
	return newline && p < jp->end && *p == '{';
}

/* The document's top level: which format it is, its settings, its spans.
 * *more: an OTLP/JSON document that another one follows, a line further.
 * lines: a line of JSON Lines after the first, where `{}` is an empty
 * request (as it is on the first line when a line follows). *whole: the
 * document itself was read whole (what failed, if anything, comes after). */
static bool read_document(struct reader *r, struct jp *jp, bool *more, bool lines, bool *whole)
{
	*more = false;
	*whole = false;
	bool empty = true;
	struct snapshot *out = r->out;
	if (jp_peek(jp) != JP_OBJECT) {
		if (jp_skip(jp) && jp_finish(jp))
			return reader_fail(r, "not a snapshot: the document is not a JSON object");
		return false; /* not JSON: the parser's message */
	}
	char format[64] = "";
	double version = -1;
	bool has_format = false, native = false, otlp = false, chrome = false;
	const char *key;
	size_t len;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		empty = false;
		if (jp_key_is(key, len, "format")) {
			has_format = true;
			/* Whole: "obslab.snapshot\u0000..." is not the name, nor is a cut one. */
			const char *s;
			size_t n;
			if (jp_peek(jp) != JP_STRING)
				jp_skip(jp);
			else if (jp_string(jp, &s, &n) && n < sizeof format && !memchr(s, '\0', n))
				memcpy(format, s, n);
		} else if (jp_key_is(key, len, "version")) {
			jp_double(jp, &version);
		} else if (jp_key_is(key, len, "settings")) {
			if (!reader_native_settings(r, jp, &out->meta))
				return false;
		} else if (jp_key_is(key, len, "shown_trace")) {
			char shown[40];
			out->meta.has_shown = reader_take_string(jp, shown, sizeof shown) &&
			                      reader_hex_bytes(shown, out->meta.shown_trace_id, SPAN_TRACE_ID_LEN);
		} else if (jp_key_is(key, len, "dropped_spans")) {
			int64_t v;
			if (!reader_whole(r, jp, INT64_MAX, &v, NULL, "dropped_spans", "a count of spans"))
				return false;
			out->meta.dropped_spans = (uint64_t)v;
		} else if (jp_key_is(key, len, "traces")) {
			native = true;
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return reader_fail(r, "\"traces\" must be an array");
			}
			jp_array(jp);
			for (int ti = 0; jp_item(jp); ti++)
				if (!reader_native_trace(r, jp, ti))
					return false;
		} else if (jp_key_is(key, len, "resources") || jp_key_is(key, len, "scopes")) {
			native = true; /* version 2: the foreign spans' resources and scopes */
			if (!reader_native_resources(r, jp, key[0] == 's'))
				return false;
		} else if (jp_key_is(key, len, "resourceSpans") || jp_key_is(key, len, "resource_spans")) {
			otlp = true;
			if (jp_peek(jp) != JP_ARRAY) {
				jp_skip(jp);
				return reader_fail(r, "\"resourceSpans\" must be an array");
			}
			if (!reader_otlp(r, jp))
				return false;
		} else {
			chrome |= jp_key_is(key, len, "traceEvents");
			jp_skip(jp);
		}
	}
	if (jp->failed)
		return false;
	*whole = true;
	otlp |= empty && (lines || at_next_line(jp)); /* {}: an ExportTraceServiceRequest with no spans */
	if (otlp && !has_format && !native && at_next_line(jp))
		*more = true;
	else if (!jp_finish(jp))
		return false;
	if (has_format || native) {
		out->format = SNAPSHOT_NATIVE;
		if (strcmp(format, SNAPSHOT_FORMAT_NAME) != 0)
			return reader_fail(r, "\"format\" is not \"%s\": not an obslab snapshot", SNAPSHOT_FORMAT_NAME);
		if (version != 1 && version != SNAPSHOT_VERSION)
			return reader_fail(r, "snapshot version %g is not one this obslab reads (1 or %d)", version,
			                   SNAPSHOT_VERSION);
		return true;
	}
	if (otlp) {
		out->format = SNAPSHOT_OTLP;
		return true;
	}
	if (chrome)
		return reader_fail(r, "a Chrome trace (for Perfetto): obslab opens its native snapshots and OTLP/JSON");
	return reader_fail(r, "neither an obslab snapshot (\"format\") nor OTLP/JSON (\"resourceSpans\")");
}

/* The document read into out; *file (when not NULL) is freed as soon as
 * its spans are read, before they are assembled: the file's bytes and the
 * assembled records are not held at once. */
static bool parse(const char *buf, size_t len, struct snapshot *out, struct obslab_error *err, char **file)
{
	memset(out, 0, sizeof *out);
	struct reader r = { .out = out, .err = err };
	out->names = strtab_create();
	err->msg[0] = '\0';
	static const char sqlite_magic[] = "SQLite format 3"; /* and its NUL: the file header */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 byte order mark: not the document's */
		buf += 3;
		len -= 3;
	}
	size_t bad = utf8_valid_len(buf, len);
	bool ok;
	if (len >= sizeof sqlite_magic && memcmp(buf, sqlite_magic, sizeof sqlite_magic) == 0) {
		ok = reader_fail(&r, "an SQLite database, not a snapshot or OTLP/JSON file");
	} else if (bad < len) {
		ok = reader_fail(&r, "not UTF-8 text (byte %zu)", bad);
	} else {
		struct jp jp;
		jp_init(&jp, buf, len);
		r.jp = &jp;
		bool more, whole;
		bool lines = false; /* JSON Lines: a second document was read */
		const char *doc = buf; /* where the document being read starts */
		ok = read_document(&r, &jp, &more, false, &whole);
		while (ok && more) {
			jp_peek(&jp); /* past the blank lines */
			doc = jp.p;
			lines = true;
			ok = read_document(&r, &jp, &more, true, &whole);
			if (ok && out->format != SNAPSHOT_OTLP)
				ok = reader_fail(&r, "not an OTLP/JSON request: a file of JSON Lines holds one a line");
		}
		r.jp = NULL;
		if (!ok && jp.failed) /* the parser's own complaint */
			obslab_error_set(err, "%s", jp.error);
		/* The file's real line (blank lines counted): the document's, or
		 * what follows a whole document when that is what is wrong. */
		const char *at = whole && jp.failed ? jp.p : doc;
		bool cut = false; /* a line of JSON Lines that ends before its document does */
		if (!ok && lines && jp.failed && !whole) {
			const char *stop = jp.p < jp.end ? jp.p : jp.end;
			cut = jp.p >= jp.end || memchr(doc, '\n', (size_t)(stop - doc)) || *stop == '\n' || *stop == '\r';
		}
		if (!ok && (lines || (whole && jp.failed))) {
			size_t line = 1;
			for (const char *c = buf; c < at && c < jp.end; c++)
				line += *c == '\n';
			char why[sizeof err->msg];
			snprintf(why, sizeof why, "%s", err->msg);
			if (cut)
				obslab_error_set(err, "line %zu: the line ends early: not a whole OTLP/JSON request (a file still "
				                      "being written is read once it is complete)", line);
			else if (lines || line > 1)
				obslab_error_set(err, "line %zu: %s", line, why);
		}
		jp_free(&jp);
	}
	if (file) {
		free(*file);
		*file = NULL;
	}
	if (ok && r.n == 0)
		ok = reader_fail(&r, "the file holds no spans");
	if (ok && out->otel)
		reader_derive_foreign(&r);
	if (ok)
		ok = reader_assemble(&r);
	free(r.spans);
	free(r.fields);
	if (!ok)
		snapshot_free(out);
	return ok;
}

bool snapshot_parse(const char *buf, size_t len, struct snapshot *out, struct obslab_error *err)
{
	return parse(buf, len, out, err, NULL);
}

/* Whether two stats of one file tell the same content: a file written to,
 * or truncated while it was read shows another size or modification time
 * (within the file system's clock tick). */
static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_size == b->st_size && a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Bytes one read(2) asks for: large, and below what Linux returns at
 * most in one call (0x7ffff000), so a file past 2 GiB is read in a few
 * calls whatever the C library's ssize_t. */
#define READ_CHUNK ((size_t)1 << 30)

/* The whole of fd, a regular file of st->st_size bytes, into buf; false
 * with errno set (0: the file changed while it was read). */
static bool read_all(int fd, const struct stat *st, char *buf)
{
	size_t len = (size_t)st->st_size, got = 0;
	while (got <= len) {
		char extra; /* one byte past the end: a file still growing is changing */
		size_t want = len - got < READ_CHUNK ? len - got : READ_CHUNK;
		ssize_t n = got < len ? read(fd, buf + got, want) : read(fd, &extra, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	struct stat after;
	if (fstat(fd, &after) != 0)
		return false;
	errno = 0;
	return got == len && same_file(st, &after);
}

bool snapshot_read(const char *path, struct snapshot *out, struct obslab_error *err)
{
	memset(out, 0, sizeof *out);
	/* Non-blocking: a FIFO opens at once (and is refused below) instead of
	 * waiting for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		obslab_error_set(err, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		obslab_error_set(err, "%s is not a regular file", path);
		return false;
	}
	/* Read, not mapped: a mapped file truncated by another process faults
	 * (SIGBUS) at the first page past its new end, while read(2) just
	 * returns less, and the stats before and after tell a change. Any size
	 * the machine can hold: the one allocation sized by the file says so
	 * when it cannot be had (later ones are the spans', xalloc.h). */
	char *buf = (uint64_t)st.st_size < SIZE_MAX ? malloc(st.st_size ? (size_t)st.st_size : 1) : NULL;
	if (!buf) {
		close(fd);
		obslab_error_set(err, "not enough memory to read %s (%lld MiB)", path, (long long)(st.st_size >> 20));
		return false;
	}
	size_t len = (size_t)st.st_size;
	bool whole = read_all(fd, &st, buf);
	int read_errno = errno;
	close(fd);
	if (!whole) {
		free(buf);
		if (read_errno)
			obslab_error_set(err, "cannot read %s: %s", path, strerror(read_errno));
		else
			obslab_error_set(err, "%s changed while it was read; try again once it is complete", path);
		return false;
	}
	struct obslab_error why;
	bool ok = parse(buf, len, out, &why, &buf); /* frees buf */
	if (!ok) /* the parser's line, cut at 199 bytes so that the path keeps room */
		obslab_error_set(err, "%s: %.199s", path, why.msg);
	return ok;
}

void snapshot_free(struct snapshot *s)
{
	strtab_destroy(s->names);
	otel_set_destroy(s->otel);
	free(s->records);
	for (size_t i = 0; i < s->nhttp; i++)
		free(s->http[i]);
	free(s->http);
	memset(s, 0, sizeof *s);
}

struct store *snapshot_store(const struct snapshot *s)
{
	struct store *store = store_create((struct store_limits){ .max_traces = s->ntraces ? s->ntraces : 1,
	                                                          .max_spans = SIZE_MAX });
	store_set_otel(store, s->otel);
	store_ingest(store, s->records, s->nrecords);
	for (size_t i = 0; i < s->nhttp; i++) { /* copies: s keeps its own */
		if (!s->http[i])
			continue;
		struct http_info *copy = xmalloc(sizeof *copy);
		memcpy(copy, s->http[i], sizeof *copy);
		store_attach_http(store, copy);
	}
	return store;
}

struct store *snapshot_take_store(struct snapshot *s)
{
	struct store *store = store_create((struct store_limits){ .max_traces = s->ntraces ? s->ntraces : 1,
	                                                          .max_spans = SIZE_MAX });
	store_set_otel(store, s->otel);
	store_adopt(store, s->records, s->nrecords);
	s->records = NULL;
	s->nrecords = 0;
	for (size_t i = 0; i < s->nhttp; i++) { /* the store takes them: their traces are all in it */
		if (s->http[i])
			store_attach_http(store, s->http[i]);
		s->http[i] = NULL;
	}
	return store;
}
