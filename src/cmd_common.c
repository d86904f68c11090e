#include "obslab/cmd_common.h"

#include <math.h>
#include <stdlib.h>

double cmd_ms(int64_t ns)
{
	return round((double)ns / 1e3) / 1e3;
}

void cmd_print_json(FILE *out, cJSON *doc)
{
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!text)
		abort(); /* out of memory */
	fprintf(out, "%s\n", text);
	cJSON_free(text);
}
