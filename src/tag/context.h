#ifndef TAGD_TAG_CONTEXT_H
#define TAGD_TAG_CONTEXT_H
/* What the envelope of a reply says about where it belongs: the revision
   the participant saw, a paragraph (LIST+pN, a per-paragraph thread root),
   a parent comment (LIST+cID, a relayed comment). Read from the +tag and
   from In-Reply-To/References against the Message-IDs tagd sent. */
#include "mail/msg.h"
#include "store/store.h"
#include <time.h>

struct msg_context {
	int revision;           /* the revision the participant saw */
	int paragraph;          /* display number in that revision, 0 = none */
	int64_t parent_id;      /* comment answered, 0 = none */
	const char *why;        /* "address", "in-reply-to", "time" (static) */
};

/* context_resolve - never fails: with nothing to go on, the revision
   current when the message arrived and no paragraph */
void context_resolve(struct store *st, const struct st_session *ses, const char *tag,
		     const struct mail_msg *msg, time_t received, struct msg_context *ctx);

/* The Message-IDs tagd writes encode their meaning, so that a reply can be
   placed even when the sent_ref row is gone (another database, a restore):
     draft.rREV.TOKEN@domain        the draft mail of revision REV
     digest.YYYY-MM-DD.TOKEN@domain a digest of that day
     comment.ID.TOKEN@domain        a relayed comment
     para.PID.TOKEN@domain          a per-paragraph thread root
   context_msgid - write such an id (without <>) */
char *context_msgid(const char *kind, const char *what, const char *token, const char *domain);

#endif
