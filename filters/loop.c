#include "config.h"
/* The loop stage: mail that carries our own List-Id or X-Loop, or comes
   from one of our own addresses, is our own mail come back (a forwarder,
   an auto-responder that copies headers, a misconfigured alias). It is
   rejected so that we never answer ourselves. */
#include "filters/filter.h"
#include "lib/str.h"

#include <string.h>

/* LOOP_MAX_ID - longest List-Id or X-Loop value compared */
#define LOOP_MAX_ID 512

/* strip_id - the id inside the last <...> of v (or v itself), trimmed, into out */
static void strip_id(const char *v, char *out, size_t size)
{
	const char *lt = strrchr(v, '<');
	const char *s = v, *e = v + strlen(v);
	if (lt != NULL) {
		const char *gt = strchr(lt, '>');
		s = lt + 1;
		e = gt != NULL ? gt : v + strlen(v);
	}
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		e--;
	size_t n = (size_t)(e - s);
	if (n >= size)
		n = size - 1;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* is_own_list_id - the List-Id value names one of env->list_ids */
static int is_own_list_id(const struct filter_env *env, const char *value, char *id, size_t size)
{
	strip_id(value, id, size);
	if (id[0] == '\0')
		return 0;
	for (int i = 0; i < env->nlist_ids; i++) {
		char want[LOOP_MAX_ID];
		if (env->list_ids[i] == NULL)
			continue;
		strip_id(env->list_ids[i], want, sizeof(want));
		if (want[0] != '\0' && str_casecmp(id, want) == 0)
			return 1;
	}
	return 0;
}

/* same_mailbox - a equals own, or is own with a +detail (list+p7@x is ours too) */
static int same_mailbox(const char *a, const char *own)
{
	if (filter_addr_eq(a, own))
		return 1;
	const char *at_a = strrchr(a, '@'), *at_o = strrchr(own, '@');
	const char *plus = strchr(a, '+');
	if (at_a == NULL || at_o == NULL || plus == NULL || plus > at_a)
		return 0;
	size_t lo = (size_t)(at_o - own);
	return (size_t)(plus - a) == lo && str_ncasecmp(a, own, lo) == 0 &&
	       str_casecmp(at_a, at_o) == 0;
}

/* loop_run - reject our own mail come back */
static enum filter_verdict loop_run(struct filter_ctx *ctx)
{
	const struct filter_env *env = ctx->env;
	const struct mail_msg *m = ctx->msg;
	if (env == NULL || m == NULL)
		return FILTER_CONTINUE;
	char id[LOOP_MAX_ID];
	const char *v;
	int i = -1;
	while ((v = mail_header_next(m, "List-Id", &i)) != NULL)
		if (is_own_list_id(env, v, id, sizeof(id)))
			return filter_decide(ctx, CLASS_REJECTED, "mail loop: our List-Id <%s>", id);
	if (env->loop_token != NULL && env->loop_token[0] != '\0') {
		i = -1;
		while ((v = mail_header_next(m, "X-Loop", &i)) != NULL) {
			char want[LOOP_MAX_ID];
			strip_id(v, id, sizeof(id));
			strip_id(env->loop_token, want, sizeof(want));
			if (str_casecmp(id, want) == 0)
				return filter_decide(ctx, CLASS_REJECTED, "mail loop: X-Loop %s", id);
		}
	}
	if (m->from.addr != NULL)
		for (int k = 0; k < env->nown_addrs; k++)
			if (env->own_addrs[k] != NULL && same_mailbox(m->from.addr, env->own_addrs[k]))
				return filter_decide(ctx, CLASS_REJECTED,
						     "mail loop: from our own address %s", m->from.addr);
	return FILTER_CONTINUE;
}

const struct filter filter_loop = { "loop", loop_run };
