/*
 * snapshot_http — a native trace's "http" object (a served request's HTTP
 * exchange, docs/formats.md) read back into an http_info, and its root
 * made the root again: in the file its parent is the caller's span, which
 * lives in another process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/httpinfo.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"
#include "obslab/xalloc.h"
#include "snapshot_reader.h"

static bool hex_u64(const char *s, uint64_t *out)
{
	uint8_t b[8];
	if (!reader_hex_bytes(s, b, 8))
		return false;
	*out = 0;
	for (int i = 0; i < 8; i++)
		*out = *out << 8 | b[i];
	return true;
}

/* A string member of "http": its text, or a refusal. */
static bool http_string(struct reader *r, struct jp *jp, const char *where, const char *field, const char **s,
                        size_t *len)
{
	const char *at = jp->p;
	if (jp_peek(jp) != JP_STRING) {
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, where, field, "a string");
	}
	return jp_string(jp, s, len);
}

bool reader_native_http(struct reader *r, struct jp *jp, struct http_info **out, const char *where)
{
	if (*out)
		return reader_fail(r, "%s: \"http\" given twice", where);
	if (jp_peek(jp) != JP_OBJECT) {
		const char *at = jp->p;
		jp_skip(jp);
		return reader_wrong_value(r, jp, at, where, "http", "an object");
	}
	struct http_info *h = *out = xmalloc(sizeof *h);
	http_info_init(h);
	uint8_t truncated = 0;
	const char *key, *s;
	size_t len, n;
	jp_object(jp);
	while (jp_key(jp, &key, &len)) {
		char field[64];
		snprintf(field, sizeof field, "http.%.*s", (int)(len < 40 ? len : 40), key);
		int f = 0;
		while (f < HTTP_TEXT_COUNT && !jp_key_is(key, len, http_info_text_name((enum http_info_text)f)))
			f++;
		int64_t v;
		jp_peek(jp);
		const char *at = jp->p;
		if (f < HTTP_TEXT_COUNT) {
			if (!http_string(r, jp, where, field, &s, &n))
				return false;
			http_info_set_text(h, (enum http_info_text)f, s, n);
		} else if (jp_key_is(key, len, "route")) {
			if (jp_peek(jp) == JP_NULL) {
				jp_skip(jp);
				continue;
			}
			if (!http_string(r, jp, where, field, &s, &n))
				return false;
			const char *nul = memchr(s, '\0', n);
			n = nul ? (size_t)(nul - s) : n;
			n = n < NAME_MAX_BYTES ? n : utf8_cut(s, NAME_MAX_BYTES - 1);
			h->route = strtab_get(r->out->names, strtab_intern(r->out->names, s, utf8_valid_len(s, n)));
		} else if (jp_key_is(key, len, "status_code") || jp_key_is(key, len, "server_port")) {
			if (!reader_whole(r, jp, UINT16_MAX, &v, where, field, NULL))
				return false;
			*(key[1] == 't' ? &h->status_code : &h->server_port) = (uint16_t)v;
		} else if (jp_key_is(key, len, "trace_flags")) {
			if (!reader_whole(r, jp, UINT8_MAX, &v, where, field, NULL))
				return false;
			h->trace_flags = (uint8_t)v;
		} else if (jp_key_is(key, len, "remote_parent_span_id")) {
			char hex[40] = "";
			if (jp_peek(jp) == JP_NULL)
				jp_skip(jp);
			else if (!reader_take_string(jp, hex, sizeof hex) || !hex_u64(hex, &h->remote_parent_id))
				return reader_wrong_value(r, jp, at, where, field, "16 hex digits or null");
		} else if (jp_key_is(key, len, "truncated") && jp_peek(jp) == JP_ARRAY) {
			jp_array(jp);
			while (jp_item(jp)) {
				char name[32];
				if (!reader_take_string(jp, name, sizeof name))
					continue;
				for (int k = 0; k < HTTP_TEXT_COUNT; k++)
					if (strcmp(name, http_info_text_name((enum http_info_text)k)) == 0)
						truncated |= (uint8_t)(1u << k);
			}
		} else {
			jp_skip(jp);
		}
	}
	h->truncated |= truncated;
	return !jp->failed;
}

void reader_served_root(struct reader *r, size_t first, struct http_info *h, const uint8_t id[SPAN_TRACE_ID_LEN])
{
	if (!h)
		return;
	memcpy(h->trace_id, id, SPAN_TRACE_ID_LEN);
	uint64_t remote = h->remote_parent_id;
	if (!remote)
		return;
	for (size_t i = first; i < r->n; i++)
		if (r->spans[i].rec.span_id == remote)
			return;
	for (size_t i = first; i < r->n; i++) {
		struct span_record *rec = &r->spans[i].rec;
		if (rec->parent_id == remote && !(rec->flags & (SPAN_F_FOREIGN | SPAN_F_DB))) {
			rec->parent_id = 0;
			return;
		}
	}
}

bool reader_keep_http(struct reader *r, struct http_info *h, bool ok)
{
	struct snapshot *out = r->out;
	if (!ok || !h) {
		free(h);
		return ok;
	}
	out->http = xrealloc_array(out->http, out->nhttp + 1, sizeof *out->http);
	out->http[out->nhttp++] = h;
	return true;
}
