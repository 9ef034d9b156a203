#include "config.h"
/* The filter chain: stage lookup by name, running the stages in order, the
   message class names, and the context's cleanup. */
#include "filters/filter.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char filter_default_order[] = "size,loop,autoreply,bounce,sender,signature";

static const char *const class_names[] = {
	[CLASS_NONE] = "none",
	[CLASS_COMMENT] = "comment",
	[CLASS_COMMAND] = "command",
	[CLASS_RSVP] = "rsvp",
	[CLASS_AUTOREPLY] = "auto-reply",
	[CLASS_BOUNCE] = "bounce",
	[CLASS_HELD] = "held",
	[CLASS_DUPLICATE] = "duplicate",
	[CLASS_REJECTED] = "rejected",
};
#define NCLASSES (sizeof(class_names) / sizeof(class_names[0]))

/* msg_class_name - the stored and logged name of a class */
const char *msg_class_name(enum msg_class c)
{
	if ((unsigned)c >= NCLASSES || class_names[c] == NULL)
		return "unknown";
	return class_names[c];
}

/* msg_class_parse - a class from its name (any case); -1 if unknown */
int msg_class_parse(const char *name)
{
	if (name == NULL)
		return -1;
	for (size_t i = 0; i < NCLASSES; i++)
		if (class_names[i] != NULL && str_casecmp(name, class_names[i]) == 0)
			return (int)i;
	/* "autoreply" is how the config and older logs may spell it */
	if (str_casecmp(name, "autoreply") == 0)
		return CLASS_AUTOREPLY;
	return -1;
}

static const struct filter *const all_filters[] = {
	&filter_size, &filter_loop, &filter_autoreply, &filter_bounce,
	&filter_sender, &filter_signature, &filter_external,
};

/* filter_find - a stage by its config name (any case) */
const struct filter *filter_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(all_filters) / sizeof(all_filters[0]); i++)
		if (str_casecmp(name, all_filters[i]->name) == 0)
			return all_filters[i];
	return NULL;
}

/* filter_chain_run - run stages until one decides; the class decided, or
   CLASS_NONE when every stage let the message through */
enum msg_class filter_chain_run(const struct filter *const *chain, int n, struct filter_ctx *ctx)
{
	for (int i = 0; i < n; i++) {
		if (chain[i] == NULL || chain[i]->run == NULL)
			continue;
		enum filter_verdict v = chain[i]->run(ctx);
		if (v == FILTER_STOP) {
			log_debug(LOG_SUB_FILTER, "filter %s: %s (%s)", chain[i]->name,
				  msg_class_name(ctx->class), ctx->reason);
			return ctx->class;
		}
	}
	return ctx->class;
}

/* filter_ctx_free - release what the stages stored in ctx (not msg, raw or env) */
void filter_ctx_free(struct filter_ctx *ctx)
{
	if (ctx == NULL)
		return;
	xfree(&ctx->bounce_recipient);
	xfree(&ctx->bounce_status);
	xfree(&ctx->verp_token);
	xfree(&ctx->removed_signature);
}

/* filter_decide - set the class and the reason; FILTER_STOP */
enum filter_verdict filter_decide(struct filter_ctx *ctx, enum msg_class c, const char *fmt, ...)
{
	va_list ap;
	ctx->class = c;
	va_start(ap, fmt);
	vsnprintf(ctx->reason, sizeof(ctx->reason), fmt, ap);
	va_end(ap);
	return FILTER_STOP;
}

/* filter_addr_eq - addresses equal ignoring case and surrounding <> (mailbox
   case is not significant for our participants and list addresses) */
int filter_addr_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return 0;
	while (*a == ' ' || *a == '<')
		a++;
	while (*b == ' ' || *b == '<')
		b++;
	size_t la = strcspn(a, "> \t"), lb = strcspn(b, "> \t");
	return la == lb && la > 0 && str_ncasecmp(a, b, la) == 0;
}
