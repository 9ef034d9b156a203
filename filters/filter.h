#ifndef TAGD_FILTER_H
#define TAGD_FILTER_H
/* The incoming-mail filter chain. Each stage is one file in filters/ and
   one struct filter. Stages run in the order the config gives; a stage may
   decide the message's class (and stop the chain) or change the message's
   text (the signature stage). Filters know mail, not TAGs: what they need
   to know about sessions and participants comes through struct filter_env. */
#include "mail/msg.h"
#include <stddef.h>

enum msg_class {
	CLASS_NONE = 0,         /* undecided: the TAG layer decides (comment, command, rsvp) */
	CLASS_COMMENT,
	CLASS_COMMAND,
	CLASS_RSVP,
	CLASS_AUTOREPLY,
	CLASS_BOUNCE,
	CLASS_HELD,
	CLASS_DUPLICATE,
	CLASS_REJECTED,
};

/* msg_class_name - "comment", "auto-reply", ...; msg_class_parse the reverse (-1 unknown) */
const char *msg_class_name(enum msg_class c);
int msg_class_parse(const char *name);

struct filter_env {
	size_t max_size;                /* the size stage's limit, bytes */
	const char *const *list_ids;    /* our own List-Id values ("prof-learning.tags.example.org") */
	int nlist_ids;
	const char *const *own_addrs;   /* our list addresses (loop and from-ourselves checks) */
	int nown_addrs;
	const char *loop_token;         /* the X-Loop value we send */
	/* is_participant - 1 if addr (any case) is an active participant or organizer */
	int (*is_participant)(void *arg, const char *addr);
	void *arg;
	const char *external_program;   /* the external stage: argv[0] (run without a shell) */
	int external_timeout_ms;
};

struct filter_ctx {
	const struct filter_env *env;
	const char *raw;                /* the message as received */
	size_t rawlen;
	struct mail_msg *msg;           /* parsed; msg->text may be rewritten by stages */
	enum msg_class class;           /* set by a deciding stage */
	char reason[256];               /* why, for the log and tagctl held */
	/* bounce details, set by the bounce stage (owned, freed by filter_ctx_free) */
	char *bounce_recipient;         /* the failed address */
	char *bounce_status;            /* "5.1.1" */
	int bounce_permanent;           /* 1 for 5.x.x, 0 for 4.x.x */
	char *verp_token;               /* from LIST+bounces-TOKEN@ in To/Delivered-To */
	int from_participant;           /* set by the sender stage */
	char *removed_signature;        /* what the signature stage cut, for the log */
};

enum filter_verdict {
	FILTER_CONTINUE,                /* go on to the next stage */
	FILTER_STOP,                    /* ctx->class is decided */
};

struct filter {
	const char *name;               /* as written in the config's order list */
	enum filter_verdict (*run)(struct filter_ctx *ctx);
};

/* The stages, one per file in filters/ */
extern const struct filter filter_size;        /* size.c */
extern const struct filter filter_loop;        /* loop.c */
extern const struct filter filter_autoreply;   /* autoreply.c */
extern const struct filter filter_bounce;      /* bounce.c */
extern const struct filter filter_sender;      /* sender.c */
extern const struct filter filter_signature;   /* signature.c */
extern const struct filter filter_external;    /* external.c */

/* filter_find - a stage by name; NULL if unknown */
const struct filter *filter_find(const char *name);
/* filter_default_order - "size,loop,autoreply,bounce,sender,signature" */
extern const char filter_default_order[];
/* filter_chain_run - run the stages in order until one stops; returns the class */
enum msg_class filter_chain_run(const struct filter *const *chain, int n, struct filter_ctx *ctx);
void filter_ctx_free(struct filter_ctx *ctx);

/* Helpers the stages share (filter.c, bounce.c). */
/* filter_decide - set ctx->class and ctx->reason (formatted, cut to fit);
   returns FILTER_STOP so a stage can `return filter_decide(...)` */
enum filter_verdict filter_decide(struct filter_ctx *ctx, enum msg_class c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* filter_addr_eq - two addresses equal, ignoring ASCII case and <>; 0 if either is NULL */
int filter_addr_eq(const char *a, const char *b);
/* filter_is_bounce - 1 if the bounce stage would class this message a bounce
   (a delivery or feedback report, or a non-standard bounce from a mailer),
   without touching ctx. The autoreply stage uses it to leave bounces to the
   bounce stage: many MTAs mark their bounces Auto-Submitted: auto-replied. */
int filter_is_bounce(const struct filter_ctx *ctx);

#endif
