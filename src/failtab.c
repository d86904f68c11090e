/* failtab — the causes of failed requests by trace id (see failtab.h). */
#include "obslab/failtab.h"

#include <string.h>

void failtab_init(struct failtab *t)
{
	memset(t, 0, sizeof *t);
}

static const char *text_field(const struct log_record *rec, const char *key)
{
	for (uint32_t i = 0; i < rec->nfields && i < LOG_MAX_FIELDS; i++) {
		const struct log_field *f = &rec->fields[i];
		if (f->key && f->type == LOG_VALUE_TEXT && strcmp(f->key, key) == 0)
			return f->v.text;
	}
	return NULL;
}

static bool is_trace_id(const char *hex)
{
	size_t n = strnlen(hex, 2 * SPAN_TRACE_ID_LEN + 1);
	if (n != 2 * SPAN_TRACE_ID_LEN || strspn(hex, "0123456789abcdef") != n)
		return false;
	return strspn(hex, "0") != n; /* all zero: no trace */
}

bool failtab_note(struct failtab *t, const struct log_record *rec)
{
	if (!rec->message || strcmp(rec->message, FAILTAB_MESSAGE) != 0)
		return false;
	const char *cause = text_field(rec, "error"), *id = text_field(rec, "trace_id");
	if (!cause || !id || !is_trace_id(id))
		return false;
	memcpy(t->e[t->next].trace_id, id, sizeof t->e[t->next].trace_id);
	size_t len = strnlen(cause, LOG_TEXT_MAX - 1);
	memcpy(t->e[t->next].cause, cause, len);
	t->e[t->next].cause[len] = '\0';
	t->next = (t->next + 1) % FAILTAB_MAX;
	if (t->n < FAILTAB_MAX)
		t->n++;
	return true;
}

const char *failtab_find(const struct failtab *t, const uint8_t trace_id[SPAN_TRACE_ID_LEN])
{
	char hex[2 * SPAN_TRACE_ID_LEN + 1];
	span_trace_id_hex(trace_id, hex);
	for (size_t k = 0; k < t->n; k++) {
		size_t i = (t->next + FAILTAB_MAX - 1 - k) % FAILTAB_MAX; /* newest first */
		if (strcmp(t->e[i].trace_id, hex) == 0)
			return t->e[i].cause;
	}
	return NULL;
}
