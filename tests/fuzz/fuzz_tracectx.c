/* libFuzzer: W3C trace context on any bytes (the first line a traceparent,
 * the rest a tracestate) and the same bytes as a request's text: no crash;
 * an accepted traceparent formats to one that parses to the same ids; a
 * kept tracestate is at most 512 characters and is its own normal form;
 * http_info text is always valid UTF-8 within its field. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/httpinfo.h"
#include "obslab/tracectx.h"
#include "obslab/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	char *state = strchr(text, '\n');
	if (state)
		*state++ = '\0';

	struct tracectx c, again;
	if (tracectx_parse_parent(text, &c)) {
		char out[56];
		tracectx_format_parent(c.trace_id, c.parent_id, c.flags, out);
		if (!tracectx_parse_parent(out, &again) || memcmp(again.trace_id, c.trace_id, 16) != 0 ||
		    again.parent_id != c.parent_id || (again.flags & 1) != (c.flags & 1))
			__builtin_trap();
		tracectx_parse_state(state, &c);
		if (c.has_state) {
			size_t n = strlen(c.state);
			if (n == 0 || n > TRACECTX_STATE_MAX)
				__builtin_trap();
			tracectx_parse_state(c.state, &again);
			if (!again.has_state || strcmp(again.state, c.state) != 0)
				__builtin_trap();
		} else if (c.state[0]) {
			__builtin_trap();
		}
	}

	struct http_info h;
	http_info_init(&h);
	for (int f = 0; f < HTTP_TEXT_COUNT; f++) {
		size_t cap;
		http_info_set_text(&h, (enum http_info_text)f, (const char *)data, size);
		const char *v = http_info_text(&h, (enum http_info_text)f, &cap);
		size_t n = strlen(v);
		if (n >= cap || utf8_valid_len(v, n) != n)
			__builtin_trap();
	}
	free(text);
	return 0;
}
