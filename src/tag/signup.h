#ifndef TAGD_TAG_SIGNUP_H
#define TAGD_TAG_SIGNUP_H
/* Commands by mail: join (with the short form), confirm, leave (and
   unsubscribe), help, and the delivery modes each, digest and nomail. The
   ingest path classes a message as a command and hands it here, inside
   its transaction; answers go out through mailout. */
#include "mail/msg.h"
#include "store/store.h"
#include "tag/mailout.h"
#include <stddef.h>

struct signup_request {
	const struct st_session *ses;
	const struct mail_msg *msg;
	const char *word;               /* join, confirm, leave, help, mode, each, digest, nomail */
	const char *arg;                /* the rest of the command line ("each" after "mode") */
	const char *tag;                /* the +tag the mail came by, or NULL */
	struct st_participant *author;  /* the sender as a participant, or NULL */
	int64_t message_row;
};

/* signup_command - act on a command; reason (reasonsize bytes) says what
   was done. 0, or -1 on a store or mail error (the transaction is rolled
   back by the caller). */
int signup_command(struct store *st, struct mailout *mo, const struct signup_request *rq,
		   char *reason, size_t reasonsize);

#endif
