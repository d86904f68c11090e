/*
 * failtab — why a request failed, by its trace id: the newest "request
 * failed" log records (the workload's and serve's workers', each naming
 * its error's cause and its trace), kept so a trace marked error can show
 * its cause (the span record has no room for text). Fixed memory, no
 * allocation; one thread (the consumer's, the UI's model). The cause is
 * text from elsewhere: escape it on the way to a terminal.
 */
#ifndef OBSLAB_FAILTAB_H
#define OBSLAB_FAILTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "obslab/log.h"
#include "obslab/span.h"

#define FAILTAB_MAX 64
#define FAILTAB_MESSAGE "request failed" /* the records it takes */

struct failtab {
	struct {
		char trace_id[2 * SPAN_TRACE_ID_LEN + 1]; /* lowercase hex */
		char cause[LOG_TEXT_MAX];
	} e[FAILTAB_MAX];
	size_t n, next;
};

/* Zeroed memory is an empty table, as is this. */
void failtab_init(struct failtab *t);
/* Takes a FAILTAB_MESSAGE record with an "error" text and a 32-hex-digit
 * "trace_id" (the oldest entry gives way); false for any other record. */
bool failtab_note(struct failtab *t, const struct log_record *rec);
/* The newest cause noted for trace_id, or NULL. */
const char *failtab_find(const struct failtab *t, const uint8_t trace_id[SPAN_TRACE_ID_LEN]);

#endif
