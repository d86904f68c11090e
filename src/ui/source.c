/* source — which source of traces a command line asks for (see source.h). */
#include "source.h"

#include "obslab/cli.h"

/* One row per source: the command that opens it, and its file's ops table
 * (source_NAME.c). The explorer with no command opens the first row. */
#define SOURCES(X)             \
	X(lab, CLI_CMD_UI)     \
	X(file, CLI_CMD_OPEN)

#define DECLARE(name, command) extern const struct source_ops source_##name##_ops;
SOURCES(DECLARE)

#define ROW(name, command) { command, &source_##name##_ops },
static const struct {
	enum cli_command command;
	const struct source_ops *ops;
} sources[] = { SOURCES(ROW) };

extern const struct source_ops source_lab_watch_ops;
extern const struct source_ops source_serve_ops;
extern const struct source_ops source_otlp_ops, source_otlp_lab_ops;

const struct source_ops *source_for(const struct cli *cli)
{
	if (cli->command == CLI_CMD_UI && cli->run.watch)
		return &source_lab_watch_ops; /* the lab, read-only */
	if (cli->command == CLI_CMD_UI && cli->otlp) /* an OTLP receiver, the lab beside it or not */
		return cli->with_lab ? &source_otlp_lab_ops : &source_otlp_ops;
	if (cli->command == CLI_CMD_UI && cli->serve)
		return &source_serve_ops; /* the lab, and its endpoints over HTTP */
	for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++)
		if (sources[i].command == cli->command)
			return sources[i].ops;
	return sources[0].ops;
}

bool source_offers(const struct source *src, unsigned needs)
{
	return (src->ops->controls & needs) == needs;
}
