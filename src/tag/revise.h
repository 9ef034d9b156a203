#ifndef TAGD_TAG_REVISE_H
#define TAGD_TAG_REVISE_H
/* Revisions by mail. An organizer mails the new draft to LIST+revise (as
   an attached .md, .markdown or .txt file, or as the body). It is imported
   as the session's next revision when the message carries a passing DMARC
   verdict (or DKIM aligned with the From domain) in an
   Authentication-Results header written by the host named in [trust]
   authserv_id; otherwise tagd mails the organizer a confirmation whose
   reply address, LIST+revise-TOKEN, carries an HMAC token naming the
   message, and imports the draft when the organizer replies to it. Either
   way the organizer is told what became of it (template "revise"), and
   the schedule mails the new revision to the participants while the
   review is open. Mail to +revise from anyone else is held. */
#include "filters/filter.h"
#include "mail/msg.h"
#include "store/store.h"
#include "tag/mailout.h"
#include "tag/settings.h"

#define REVISE_MAX_SOURCE (4 << 20)   /* bytes of Markdown taken from one message */

/* revise_take - act on a message that came by LIST+TAG where TAG is
   "revise" or "revise-TOKEN" (message_row: its row in the store), in
   ingest's transaction. Sets *class_r (command when acted on, held when
   refused) and reason. 0, or -1 on a store error. */
int revise_take(struct store *st, struct mailout *mo, const struct tagd_config *cfg,
		const struct st_session *ses, const struct mail_msg *msg, int64_t message_row,
		const char *tag, enum msg_class *class_r, char *reason, size_t reasonsize);

/* revise_is_tag - whether a +tag is one of revise_take's */
int revise_is_tag(const char *tag);

/* revise_trusted - 1 when one of msg's Authentication-Results headers
   from authserv (case-insensitive; "" or NULL: none is trusted) says
   dmarc=pass, or dkim=pass for the From domain (or a parent of it) */
int revise_trusted(const struct mail_msg *msg, const char *authserv);

/* revise_source - the draft a message carries: the first attachment named
   *.md, *.markdown or *.txt (or typed text/markdown), else the body text
   up to a "-- " signature line; NULL when there is none or it is larger
   than REVISE_MAX_SOURCE. The caller frees. */
char *revise_source(const struct mail_msg *msg);

#endif
