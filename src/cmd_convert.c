/*
 * cmd_convert — `obslab convert`: a file in, the same traces out in the
 * chosen format (cmd_convert.h). Foreign spans go out as they came in
 * (the writers write their otel_span); placeholders never.
 */
#include "obslab/cmd_convert.h"

#include "obslab/cli.h"
#include "obslab/cmd_common.h"
#include "obslab/atomicfile.h"
#include "obslab/snapshot.h"
#include "obslab/store.h"
#include "obslab/textsafe.h"

int cmd_convert(const struct cli *cli, FILE *out, FILE *err)
{
	struct obslab_error why;
	if (atomicfile_same(cli->file, cli->output_path)) {
		textsafe_fprintf(err, "obslab: %s is %s: convert never writes over the file it reads\n", cli->output_path,
		                 cli->file);
		return CLI_EXIT_USAGE;
	}
	if (!atomicfile_check(cli->output_path, 0, &why)) { /* refused before the file is read */
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	struct snapshot snap;
	if (!snapshot_read(cli->file, &snap, &why)) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	struct store *store = snapshot_take_store(&snap); /* the records, not a copy */
	struct snapshot_target target = { .path = cli->output_path };
	int status = CLI_EXIT_OK;
	if (atomicfile_same(cli->file, cli->output_path)) { /* became IN while it was read */
		textsafe_fprintf(err, "obslab: %s is %s: convert never writes over the file it reads\n", cli->output_path,
		                 cli->file);
		status = CLI_EXIT_USAGE;
	} else if (!snapshot_write_to(&target, cli->format, store, snap.names, &snap.meta, &cli->findings, &why)) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		status = CLI_EXIT_FAILURE;
	} else {
		cmd_print_wrote(out, "", target.replaced, cli->output_path, cli->format, store);
	}
	store_destroy(store);
	snapshot_free(&snap);
	return status;
}
