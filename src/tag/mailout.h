#ifndef TAGD_TAG_MAILOUT_H
#define TAGD_TAG_MAILOUT_H
/* Mail out: render a template for one recipient, compose it as list mail
   and put it in the outbox, in the caller's transaction. Every mail tagd
   sends goes through mailout_queue():
   - From the session (its title and list address), To the recipient.
   - List-Id, List-Post, List-Help, List-Unsubscribe (mailto, and an https
     one-click link with List-Unsubscribe-Post when [tagd] web_url is set),
     Precedence: list for list mail, Auto-Submitted for automatic answers,
     X-Loop.
   - The envelope sender is a VERP address, LIST+bounces-TOKEN@domain,
     whose token names the participant, so bounces find them.
   - A Message-ID that says what the mail is (context.h), recorded in
     sent_ref so that a reply can be placed.
   - A purpose key: the same purpose is never queued twice, whatever
     restarts happen. */
#include "mail/compose.h"
#include "store/store.h"
#include "tag/render.h"
#include "tag/session.h"
#include "tag/settings.h"

struct mailout;

struct mailout *mailout_new(struct store *st, const struct tagd_config *cfg);
void mailout_free(struct mailout **mo);
/* mailout_reload - after SIGHUP: the new config, and templates read again */
void mailout_reload(struct mailout *mo, const struct tagd_config *cfg);
/* mailout_session_conf - ses's settings parsed from its source, kept by mo
   until mo meets another source (every mail of a session asks for them);
   NULL when the source does not parse. Valid until the next call or
   mailout_free. */
const struct session_conf *mailout_session_conf(struct mailout *mo, const struct st_session *ses);

/* mailout_vars - a value tree with the [common] variables (templates/README)
   for this session and recipient; the caller adds the template's own and
   frees it with tval_free() */
struct tval *mailout_vars(struct mailout *mo, const struct st_session *ses,
			  const char *to_name, const char *to_addr);
/* mailout_date - "Monday 16 July 2018" for a YYYY-MM-DD day */
void mailout_date(const char *ymd, char *out, size_t size);

struct mailout_msg {
	const struct st_session *ses;
	const char *kind;               /* the template's name: welcome, digest, ... */
	const char *purpose;            /* unique key; NULL = "KIND:SLUG:RECIPIENT" */
	const char *to_addr, *to_name;
	int64_t participant_id;         /* for the VERP token; 0 when not a participant */
	const struct tval *vars;        /* from mailout_vars() plus the template's own */
	const char *subject;            /* NULL = the template's Subject: line */
	const char *msgid_kind;         /* Message-ID kind (draft, digest, comment, para); NULL = kind */
	const char *msgid_what;         /* r1, 2018-07-17, a comment id; NULL = none */
	int revision;                   /* what a reply to this mail refers to (sent_ref) */
	int64_t paragraph_id;
	int64_t comment_id;
	const char *in_reply_to;
	const char *const *references;
	int nreferences;
	const char *reply_to_tag;       /* Reply-To: LIST+tag; NULL = none (replies go to From) */
	int automatic;                  /* an automatic answer (Auto-Submitted: auto-replied) */
	int list_mail;                  /* Precedence: list */
	const char *calendar;           /* iMIP object and its method, or NULL */
	const char *calendar_method;
	const struct compose_attachment *att;
	int natt;
	time_t not_before;              /* send at this time at the earliest; 0 = now */
};

/* mailout_queue - 0 queued (*id_r), 1 already queued for that purpose
   (nothing done), -1 with *error_r */
int mailout_queue(struct mailout *mo, const struct mailout_msg *m, int64_t *id_r, const char **error_r);
/* mailout_msgid_token - the per-recipient part of a Message-ID */
void mailout_token(struct mailout *mo, const char *a, const char *b, char out[17]);

#endif
