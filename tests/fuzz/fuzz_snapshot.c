/* libFuzzer: the snapshot/OTLP reader must refuse or accept any bytes
 * without crashing, leaking or hanging; what it accepts must load into a
 * store and analyse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "obslab/analysis.h"
#include "obslab/findings.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/strtab.h"
#include "obslab/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snapshot snap;
	struct obslab_error err;
	if (!snapshot_parse((const char *)data, size, &snap, &err))
		return 0;
	/* What obslab keeps of a name it writes back: valid UTF-8, however cut. */
	for (uint32_t id = 0; id < strtab_count(snap.names); id++) {
		const char *name = strtab_get(snap.names, id);
		if (utf8_valid_len(name, strlen(name)) != strlen(name))
			__builtin_trap();
	}
	struct store *store = snapshot_store(&snap);
	struct findings f;
	findings_init(&f);
	const struct findings_config cfg = { .n1_min_count = 5, .n1_min_ns = 0 };
	for (size_t i = 0; i < store_trace_count(store); i++) {
		const struct trace *t = store_trace(store, i);
		struct attribution a = analysis_attribution(t);
		if (a.app_ns + a.db_ns + a.network_ns + a.calls_ns != a.total_ns)
			__builtin_trap(); /* the partition must hold for any accepted file */
		findings_detect(&f, t, &cfg, snap.names);
		struct query_stat q[8];
		(void)analysis_query_stats(t, q, 8);
		size_t nsv = 0;
		free(analysis_services(t, &nsv)); /* foreign traces: per service */
	}
	findings_free(&f);
	store_destroy(store);
	snapshot_free(&snap);
	return 0;
}
