/*
 * pgstat — the server's clock after each PostgreSQL request (pg_server_exec
 * told apart: the request's alone, someone else's too, or not there), its
 * log record, and the table of the newest readings by trace id.
 */
#include "obslab/pgstat.h"

#include <string.h>

#include "obslab/pg.h"

struct pgstat_reading pgstat_read(struct pgdb *db, uint32_t queries)
{
	struct pgstat_reading r = { .state = PGSTAT_NOT_LOADED };
	int64_t ns;
	uint64_t calls;
	if (!db || !pg_server_exec(db, &ns, &calls))
		return r;
	r.calls = calls;
	if (calls == queries) {
		r.state = PGSTAT_KNOWN;
		r.exec_ns = ns;
	} else {
		r.state = PGSTAT_UNKNOWN;
	}
	return r;
}

void pgstat_log(struct ring *logs, const struct pgstat_reading *r, uint32_t queries, const char *trace_id_hex)
{
	if (!logs || r->state == PGSTAT_NONE)
		return;
	struct log_field f[LOG_MAX_FIELDS];
	size_t n = 0;
	const char *msg;
	enum log_level level = LOG_INFO;
	switch (r->state) {
	case PGSTAT_KNOWN:
		msg = PGSTAT_MSG_KNOWN;
		f[n++] = log_int("exec_us", (r->exec_ns + 500) / 1000);
		f[n++] = log_int("statements", (int64_t)r->calls);
		break;
	case PGSTAT_UNKNOWN:
		msg = PGSTAT_MSG_UNKNOWN;
		f[n++] = log_int("counted", (int64_t)r->calls);
		f[n++] = log_int("queries", queries);
		break;
	case PGSTAT_NONE:
	case PGSTAT_NOT_LOADED:
	default:
		msg = PGSTAT_MSG_NOT_LOADED;
		level = LOG_WARN;
		f[n++] = log_text("enable", "shared_preload_libraries");
		f[n++] = log_text("then", "CREATE EXTENSION pg_stat_statements");
		break;
	}
	if (trace_id_hex && trace_id_hex[0] && r->state != PGSTAT_NOT_LOADED)
		f[n++] = log_text("trace_id", trace_id_hex);
	(void)log_emit(logs, level, msg, n, f);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_trace_id(const char *hex, uint8_t id[SPAN_TRACE_ID_LEN])
{
	if (strlen(hex) != 2 * SPAN_TRACE_ID_LEN)
		return false;
	for (int i = 0; i < SPAN_TRACE_ID_LEN; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return false;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static const struct log_field *field(const struct log_record *rec, const char *key, enum log_value type)
{
	for (uint32_t i = 0; i < rec->nfields && i < LOG_MAX_FIELDS; i++)
		if (rec->fields[i].key && strcmp(rec->fields[i].key, key) == 0 && rec->fields[i].type == type)
			return &rec->fields[i];
	return NULL;
}

bool pgstat_from_log(const struct log_record *rec, enum pgstat_state *state, uint8_t trace_id[SPAN_TRACE_ID_LEN],
                     int64_t *exec_ns, uint32_t *statements)
{
	*state = PGSTAT_NONE;
	*exec_ns = 0;
	*statements = 0;
	memset(trace_id, 0, SPAN_TRACE_ID_LEN);
	if (!rec || !rec->message)
		return false;
	/* By content, not by address: a record may come from another unit's copy of the literal. */
	enum pgstat_state s = strcmp(rec->message, PGSTAT_MSG_KNOWN) == 0        ? PGSTAT_KNOWN
	                      : strcmp(rec->message, PGSTAT_MSG_UNKNOWN) == 0    ? PGSTAT_UNKNOWN
	                      : strcmp(rec->message, PGSTAT_MSG_NOT_LOADED) == 0 ? PGSTAT_NOT_LOADED
	                                                                         : PGSTAT_NONE;
	if (s == PGSTAT_NONE)
		return false;
	const struct log_field *id = field(rec, "trace_id", LOG_VALUE_TEXT);
	if (id && !parse_trace_id(id->v.text, trace_id))
		return false;
	if (s == PGSTAT_KNOWN) {
		const struct log_field *us = field(rec, "exec_us", LOG_VALUE_INT);
		const struct log_field *n = field(rec, "statements", LOG_VALUE_INT);
		if (!us || !n || us->v.i < 0 || us->v.i > INT64_MAX / 1000 || n->v.i < 0 || n->v.i > UINT32_MAX)
			return false;
		*exec_ns = us->v.i * 1000;
		*statements = (uint32_t)n->v.i;
	}
	*state = s;
	return true;
}

void pgstat_table_init(struct pgstat_table *t)
{
	memset(t, 0, sizeof *t);
}

bool pgstat_table_note(struct pgstat_table *t, const struct log_record *rec)
{
	enum pgstat_state s;
	uint8_t id[SPAN_TRACE_ID_LEN];
	int64_t ns;
	uint32_t n;
	if (!pgstat_from_log(rec, &s, id, &ns, &n))
		return false;
	t->clock = s;
	static const uint8_t none[SPAN_TRACE_ID_LEN];
	if (s == PGSTAT_NOT_LOADED || memcmp(id, none, sizeof id) == 0)
		return true;
	memcpy(t->e[t->next].trace_id, id, sizeof id);
	t->e[t->next].exec_ns = ns;
	t->e[t->next].statements = n;
	t->e[t->next].state = s;
	t->next = (t->next + 1) % PGSTAT_TABLE_MAX;
	if (t->n < PGSTAT_TABLE_MAX)
		t->n++;
	return true;
}

enum pgstat_state pgstat_table_find(const struct pgstat_table *t, const uint8_t trace_id[SPAN_TRACE_ID_LEN],
                                    int64_t *exec_ns, uint32_t *statements)
{
	*exec_ns = 0;
	*statements = 0;
	for (size_t k = 0; k < t->n; k++) {
		size_t i = (t->next + PGSTAT_TABLE_MAX - 1 - k) % PGSTAT_TABLE_MAX; /* newest first */
		if (memcmp(t->e[i].trace_id, trace_id, SPAN_TRACE_ID_LEN) == 0) {
			*exec_ns = t->e[i].exec_ns;
			*statements = t->e[i].statements;
			return t->e[i].state;
		}
	}
	return PGSTAT_NONE;
}
