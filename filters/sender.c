#include "config.h"
/* The sender stage: notes whether the From address belongs to a participant
   or organizer. It decides nothing: the TAG layer holds strangers' mail for
   the organizers, and commands such as "join" come from strangers. */
#include "filters/filter.h"
#include "lib/str.h"
#include "lib/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* sender_run - set ctx->from_participant from env->is_participant */
static enum filter_verdict sender_run(struct filter_ctx *ctx)
{
	ctx->from_participant = 0;
	const struct filter_env *env = ctx->env;
	if (env == NULL || env->is_participant == NULL || ctx->msg == NULL ||
	    ctx->msg->from.addr == NULL)
		return FILTER_CONTINUE;
	/* the callback compares without case; hand it one spelling anyway,
	   trimmed of blanks and <> that a sloppy From may carry */
	const char *a = ctx->msg->from.addr;
	while (*a == ' ' || *a == '\t' || *a == '<')
		a++;
	size_t n = strcspn(a, "> \t");
	if (n == 0)
		return FILTER_CONTINUE;
	char *addr = xstrndup(a, n);
	str_lower(addr);
	ctx->from_participant = env->is_participant(env->arg, addr) ? 1 : 0;
	free(addr);
	return FILTER_CONTINUE;
}

const struct filter filter_sender = { "sender", sender_run };
