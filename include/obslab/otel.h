/*
 * otel — the lossless span model: everything an OpenTelemetry span carries,
 * as the file (or, later, the wire) gave it, nothing added.
 *
 * A struct otel_set holds the spans of one source (an opened file, a
 * conversion) with their resources, scopes, typed attributes, events and
 * links. The span_record a foreign span travels in (span.h, SPAN_F_FOREIGN)
 * is obslab's working copy for trees and analysis; the otel_span it names
 * (u.foreign.detail) is the truth that details panes list and exports
 * write. A span_record without SPAN_F_FOREIGN is obslab's own (the lab's)
 * and has no otel_span.
 *
 * Storage: the set owns every array and the text arena. Items are found by
 * index (arrays grow by realloc, so keep indices, not pointers, across
 * additions). Strings are struct otel_str: an offset into the arena and a
 * length; otel_text_of returns a pointer to NUL-terminated text (a string
 * may itself contain NUL bytes: use len). Short strings (keys, repeated
 * values such as service.name) are stored once.
 *
 * Building: the reader adds resources, scopes, then spans. Lists (a span's
 * attributes, an array value's items, a key-value list's pairs) are built
 * on a scratch stack so that nested lists can be built while an outer one
 * is half done: take a mark, push the items, commit (which moves them to
 * their final array contiguously and pops them).
 *
 * Memory: sizeof(struct otel_span) + 40 bytes per attribute + its text,
 * per span; the README states the measured figure.
 *
 * Threads: one writer builds a set; once built it is only read, by any
 * thread. Counts are uint32: otel_full tells a builder that a limit was
 * reached (the reader then refuses the file in one line).
 */
#ifndef OBSLAB_OTEL_H
#define OBSLAB_OTEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/span.h"

struct otel_str {
	uint64_t off; /* into the arena; 0 with len 0 is the empty string */
	uint32_t len;
};

/* OTLP's AnyValue. */
enum otel_value_type {
	OTEL_VALUE_EMPTY, /* an AnyValue with no value set */
	OTEL_VALUE_STRING,
	OTEL_VALUE_BOOL,
	OTEL_VALUE_INT,
	OTEL_VALUE_DOUBLE,
	OTEL_VALUE_BYTES,
	OTEL_VALUE_ARRAY,
	OTEL_VALUE_KVLIST,
};

struct otel_value {
	uint8_t type;   /* enum otel_value_type */
	uint32_t count; /* ARRAY: items (in values[]); KVLIST: pairs (in kvs[]) */
	union {
		int64_t i;
		double d;
		bool b;
		struct otel_str s; /* STRING, BYTES (raw bytes, not base64) */
		uint32_t first;    /* ARRAY: index into values[]; KVLIST: into kvs[] */
	} u;
};

struct otel_kv {
	struct otel_str key;
	struct otel_value value;
};

/* A list of attributes: kvs[first .. first + count), and how many the
 * sender said it dropped. */
struct otel_attrs {
	uint32_t first, count, dropped;
};

struct otel_resource {
	struct otel_attrs attrs;
	struct otel_str schema_url; /* ResourceSpans.schema_url */
};

struct otel_scope {
	uint32_t resource; /* index into resources[] */
	struct otel_str name, version;
	struct otel_attrs attrs;
	struct otel_str schema_url; /* ScopeSpans.schema_url */
};

struct otel_event {
	uint64_t time_unix_ns;
	struct otel_str name;
	struct otel_attrs attrs;
};

struct otel_link {
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	uint64_t span_id;
	struct otel_str trace_state;
	uint32_t flags;
	struct otel_attrs attrs;
};

/* What obslab noticed about a span while reading (never written back). */
enum otel_mark {
	OTEL_MARK_ORPHAN = 1 << 0,    /* its parent is not in the file: shown under "missing parent" */
	OTEL_MARK_SKEW = 1 << 1,      /* starts before or ends after its parent: clock skew */
	OTEL_MARK_DUPLICATE = 1 << 2, /* another span of its trace has the same span id */
	OTEL_MARK_CYCLE = 1 << 3,     /* its parent chain loops: shown as an orphan */
	OTEL_MARK_NEGATIVE = 1 << 4,  /* ends before it starts: its record's end is its start */
	/* No problem: its parent is not in the file and its flags say the parent
	 * is remote (otel_parent_is_remote): the caller's span, in another
	 * process. It is a root of its trace, not an orphan; parent_span_id
	 * keeps the caller's id (written back as read). */
	OTEL_MARK_REMOTE_PARENT = 1 << 5,
};

/* OTLP Span.flags bits 8 and 9 (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK,
 * SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK): whether the sender knew, and then
 * whether the parent span lives in another process. */
#define OTEL_FLAGS_HAS_IS_REMOTE 0x100u
#define OTEL_FLAGS_IS_REMOTE 0x200u

struct otel_span {
	uint8_t trace_id[SPAN_TRACE_ID_LEN];
	uint64_t span_id;
	uint64_t parent_span_id; /* 0: none given */
	uint32_t scope;          /* index into scopes[] (which names the resource) */
	uint8_t kind;            /* OTLP SpanKind as given, 0 (unspecified) .. 5 */
	uint8_t status_code;     /* 0 unset, 1 ok, 2 error */
	uint8_t marks;           /* enum otel_mark */
	bool has_flags;          /* the flags field was present */
	uint32_t flags;          /* OTLP Span.flags */
	struct otel_str name, trace_state, status_message;
	uint64_t start_unix_ns, end_unix_ns;
	struct otel_attrs attrs;
	uint32_t events_first, nevents, dropped_events;
	uint32_t links_first, nlinks, dropped_links;
};

struct otel_set {
	/* Read by anyone once built. */
	struct otel_resource *resources;
	struct otel_scope *scopes;
	struct otel_span *spans;
	struct otel_event *events;
	struct otel_link *links;
	struct otel_kv *kvs;
	struct otel_value *values;
	size_t nresources, nscopes, nspans, nevents, nlinks, nkvs, nvalues;
	char *text;
	size_t text_len;

	/* The builder's. */
	size_t cap_resources, cap_scopes, cap_spans, cap_events, cap_links, cap_kvs, cap_values, text_cap;
	struct otel_kv *kv_stack;
	struct otel_value *value_stack;
	size_t kv_top, kv_cap, value_top, value_cap;
	uint64_t *short_slots; /* open addressing over short strings: off << 8 | len, 0 empty */
	size_t nshort, short_cap;
	bool full;
};

#define OTEL_MAX_ITEMS UINT32_MAX /* per array: beyond it otel_full */

struct otel_set *otel_set_create(void); /* never NULL (xalloc.h) */
void otel_set_destroy(struct otel_set *set);

/* ---- reading --------------------------------------------------------------- */

/* NUL-terminated text of s (its len bytes may include NULs). */
static inline const char *otel_text_of(const struct otel_set *set, struct otel_str s)
{
	return s.len ? set->text + s.off : "";
}

/* The detail of a record, or NULL for obslab's own spans and placeholders. */
const struct otel_span *otel_span_of(const struct otel_set *set, const struct span_record *rec);

/* Whether the span's flags say its parent is remote: both bits given (a
 * sender that did not know sets neither; has-is-remote alone means local). */
static inline bool otel_parent_is_remote(const struct otel_span *sp)
{
	const uint32_t both = OTEL_FLAGS_HAS_IS_REMOTE | OTEL_FLAGS_IS_REMOTE;
	return sp->has_flags && (sp->flags & both) == both;
}

const struct otel_resource *otel_span_resource(const struct otel_set *set, const struct otel_span *sp);
const struct otel_scope *otel_span_scope(const struct otel_set *set, const struct otel_span *sp);

/* The value of key in a list, or NULL. */
const struct otel_value *otel_attrs_find(const struct otel_set *set, struct otel_attrs a, const char *key);
/* A string attribute's text, or NULL when absent or not a string. */
const char *otel_attrs_string(const struct otel_set *set, struct otel_attrs a, const char *key);
/* The resource's service.name, or NULL. */
const char *otel_service_name(const struct otel_set *set, const struct otel_span *sp);

/* A value as one line of display text (strings quoted, arrays and lists
 * in brackets, bytes as hex), cut to cap with "…" if it is longer. Control
 * characters are not escaped here: pass the result through textsafe. */
void otel_value_format(const struct otel_set *set, const struct otel_value *v, char *buf, size_t cap);

const char *otel_kind_name(uint8_t kind);   /* "internal", "server", ... "unspecified" */
const char *otel_status_name(uint8_t code); /* "unset", "ok", "error" */

/* ---- building ---------------------------------------------------------------- */

/* Room made at once for this many more spans, attributes (key-value
 * pairs), events and links, when a builder knows them (no growth by
 * doubling, no copies). A hint: building works the same without it. */
void otel_set_reserve(struct otel_set *set, size_t spans, size_t kvs, size_t events, size_t links);

/* A copy of s[0..len) in the arena (short strings shared). */
struct otel_str otel_text(struct otel_set *set, const char *s, size_t len);

/* The scratch stacks: mark, push, commit. A commit returns the index of
 * the first item in its final array (and the count through *count). */
size_t otel_kv_mark(const struct otel_set *set);
void otel_kv_push(struct otel_set *set, struct otel_str key, struct otel_value value);
uint32_t otel_kv_commit(struct otel_set *set, size_t mark, uint32_t *count);
size_t otel_value_mark(const struct otel_set *set);
void otel_value_push(struct otel_set *set, struct otel_value value);
uint32_t otel_value_commit(struct otel_set *set, size_t mark, uint32_t *count);

/* Appends, returning the new item's index. */
uint32_t otel_add_resource(struct otel_set *set, const struct otel_resource *r);
uint32_t otel_add_scope(struct otel_set *set, const struct otel_scope *s);
uint32_t otel_add_event(struct otel_set *set, const struct otel_event *e);
uint32_t otel_add_link(struct otel_set *set, const struct otel_link *l);
uint32_t otel_add_span(struct otel_set *set, const struct otel_span *sp);

/* True once any array reached OTEL_MAX_ITEMS (or the arena 2^63 bytes):
 * later additions were not made. */
static inline bool otel_full(const struct otel_set *set)
{
	return set->full;
}

/* Bytes the set holds (arrays' capacity and the arena), for the memory
 * figures. */
size_t otel_set_bytes(const struct otel_set *set);

/* ---- what the file wrote beside the values (appended) -------------------- */

/* A KeyValue whose "value" member was absent (not "value":{}): an
 * OTEL_VALUE_EMPTY value with count OTEL_VALUE_ABSENT. The OTLP writer
 * then writes the KeyValue without "value"; everything else shows it as
 * an empty value. */
#define OTEL_VALUE_ABSENT 1u

static inline bool otel_value_absent(const struct otel_value *v)
{
	return v->type == OTEL_VALUE_EMPTY && v->count == OTEL_VALUE_ABSENT;
}

/* A bit of otel_span.marks that is no problem: the file gave parentSpanId
 * as 16 zeros (eight zero bytes, which protobuf keeps apart from an empty
 * field). OTLP reads both as "no parent" (a root), so parent_span_id stays
 * 0; the writer writes the zeros back, so the round trip is lossless by
 * value. */
#define OTEL_MARK_ZERO_PARENT (1u << 7)

#endif
