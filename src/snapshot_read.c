#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "obslab/store.h"
#include "obslab/strtab.h"
#include "snapshot_reader.h"

bool reader_fail(struct reader *r, const char *fmt, ...)
{
	if (r->jp && r->jp->failed)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->cap_err, fmt, ap);
	va_end(ap);
	return false;
}

/* ---- entry points --------------------------------------------------------------------- */

/* Offset of the first byte that is not well-formed UTF-8 (or is NUL), or len. */
static size_t utf8_invalid_at(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		/* Plain ASCII without NUL, eight bytes at a time. */
		uint64_t v;
		if (len - i >= 8 && (memcpy(&v, s + i, 8), (v & UINT64_C(0x8080808080808080)) == 0) &&
		    ((v - UINT64_C(0x0101010101010101)) & ~v & UINT64_C(0x8080808080808080)) == 0) {
			i += 8;
			continue;
		}
		unsigned char c = s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (c == 0 || n == 0 || (n == 2 && c < 0xc2) || i + n > len)
			return i;
		for (size_t k = 1; k < n; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
		if ((n == 3 && c == 0xe0 && s[i + 1] < 0xa0) || (n == 4 && c == 0xf0 && s[i + 1] < 0x90) ||
		    (n == 4 && c > 0xf4) || (n == 3 && c == 0xed && s[i + 1] >= 0xa0))
			return i; /* overlong, past U+10FFFF, or a surrogate */
		i += n;
	}
	return len;
}

/* The document's top level: which format it is, its settings, its spans. */
static bool read_document(struct reader *r, struct jp *jp)
{
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
		if (jp_key_is(key, len, "format")) {
			has_format = true;
			reader_take_string(jp, format, sizeof format);
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
		} else if (jp_key_is(key, len, "resourceSpans")) {
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
	if (!jp_finish(jp))
		return false;
	if (has_format || native) {
		out->format = SNAPSHOT_NATIVE;
		if (strcmp(format, SNAPSHOT_FORMAT_NAME) != 0)
			return reader_fail(r, "\"format\" is not \"%s\": not an obslab snapshot", SNAPSHOT_FORMAT_NAME);
		if (version != SNAPSHOT_VERSION)
			return reader_fail(r, "snapshot version %g is not one this obslab reads (%d)", version, SNAPSHOT_VERSION);
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

bool snapshot_parse(const char *buf, size_t len, struct snapshot *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	struct reader r = { .out = out, .err = err, .cap_err = cap };
	out->names = strtab_create();
	if (!out->names)
		abort();
	err[0] = '\0';
	size_t bad = utf8_invalid_at((const unsigned char *)buf, len);
	bool ok;
	if (bad < len) {
		ok = reader_fail(&r, "not UTF-8 text (byte %zu)", bad);
	} else {
		struct jp jp;
		jp_init(&jp, buf, len);
		r.jp = &jp;
		ok = read_document(&r, &jp);
		r.jp = NULL;
		if (!ok && jp.failed) /* the parser's own complaint */
			snprintf(err, cap, "%s", jp.error);
		jp_free(&jp);
	}
	if (ok && r.n == 0)
		ok = reader_fail(&r, "the file holds no spans");
	if (ok)
		ok = reader_assemble(&r);
	free(r.spans);
	if (!ok)
		snapshot_free(out);
	return ok;
}

bool snapshot_read(const char *path, struct snapshot *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
		return false;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, cap, "%s is not a regular file", path);
		return false;
	}
	if ((uint64_t)st.st_size > SNAPSHOT_MAX_FILE) {
		close(fd);
		snprintf(err, cap, "%s is too large (%lld MiB; obslab opens files up to %u MiB)", path,
		         (long long)(st.st_size >> 20), SNAPSHOT_MAX_FILE >> 20);
		return false;
	}
	/* Mapped, not read: no copy, and the pages come in at once. */
	size_t len = (size_t)st.st_size;
	void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : NULL;
	close(fd);
	if (len && map == MAP_FAILED) {
		snprintf(err, cap, "cannot read %s: %s", path, strerror(errno));
		return false;
	}
	char why[200];
	bool ok = snapshot_parse(map ? map : "", len, out, why, sizeof why);
	if (map)
		munmap(map, len);
	if (!ok)
		snprintf(err, cap, "%s: %s", path, why);
	return ok;
}

void snapshot_free(struct snapshot *s)
{
	strtab_destroy(s->names);
	free(s->records);
	memset(s, 0, sizeof *s);
}

struct store *snapshot_store(const struct snapshot *s)
{
	struct store *store = store_create((struct store_limits){ .max_traces = s->ntraces ? s->ntraces : 1,
	                                                          .max_spans = SIZE_MAX });
	if (!store)
		abort();
	store_ingest(store, s->records, s->nrecords);
	return store;
}
