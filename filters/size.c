#include "config.h"
/* The size stage: a message over the configured limit is rejected before
   anything looks inside it. */
#include "filters/filter.h"

/* size_run - reject when the raw message is larger than env->max_size (0: no limit) */
static enum filter_verdict size_run(struct filter_ctx *ctx)
{
	size_t limit = ctx->env != NULL ? ctx->env->max_size : 0;
	if (limit == 0 || ctx->rawlen <= limit)
		return FILTER_CONTINUE;
	return filter_decide(ctx, CLASS_REJECTED, "message too large (%zu bytes, limit %zu)",
			     ctx->rawlen, limit);
}

const struct filter filter_size = { "size", size_run };
