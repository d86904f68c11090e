/*
 * cmd_common — what the headless commands print alike: milliseconds
 * rounded to the microsecond, and a JSON document printed through the
 * terminal-safe writer.
 */
#include "obslab/cmd_common.h"

#include <math.h>
#include <stdlib.h>

#include "obslab/textsafe.h"

double cmd_ms(int64_t ns)
{
	return round((double)ns / 1e3) / 1e3;
}

void cmd_print_json(FILE *out, cJSON *doc)
{
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	textsafe_json_fputs(out, text); /* names from files and databases */
	fputc('\n', out);
	cJSON_free(text);
}
