/*
 * forward_cmd — starting, feeding and stopping the forwarder for a front end
 * (forward_cmd.h): the configuration's errors as usage errors, the store
 * observer chained, the summary line at the stop.
 */
#include "obslab/forward_cmd.h"

#include "obslab/cli.h"
#include "obslab/forward.h"
#include "obslab/textsafe.h"

int forward_hook_start(struct forward_hook *h, const char *flag_url, FILE *err)
{
	*h = (struct forward_hook){ 0 };
	struct forward_config cfg;
	struct obslab_error why;
	bool enabled;
	if (!forward_config_load(&cfg, flag_url, &enabled, &why)) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_USAGE;
	}
	if (!enabled)
		return CLI_EXIT_OK;
	h->f = forward_start(&cfg, &why);
	if (!h->f) {
		textsafe_fprintf(err, "obslab: %s\n", why.msg);
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

static void observe(void *ctx, const struct trace *t)
{
	struct forward_hook *h = ctx;
	forward_trace(h->f, t, h->names, h->anchor);
	if (h->next)
		h->next(h->next_ctx, t);
}

void forward_hook_observe(struct forward_hook *h, struct store *store, const struct strtab *names,
                          const struct clock_anchor *anchor, store_observer_fn *next, void *next_ctx)
{
	if (!h->f) {
		if (next)
			store_set_observer(store, next, next_ctx);
		return;
	}
	h->names = names;
	h->anchor = anchor;
	h->next = next;
	h->next_ctx = next_ctx;
	store_set_observer(store, observe, h);
}

void forward_hook_stop(struct forward_hook *h, FILE *err)
{
	if (!h->f)
		return;
	forward_stop(h->f, FORWARD_STOP_FLUSH_NS);
	if (err) {
		struct forward_stats st;
		char line[FORWARD_URL_MAX + 256];
		forward_get_stats(h->f, &st);
		forward_summary(&st, forward_url(h->f), line, sizeof line);
		textsafe_fprintf(err, "%s\n", line);
	}
	forward_destroy(h->f);
	h->f = NULL;
}
