#ifndef TAGD_TAG_RELAY_H
#define TAGD_TAG_RELAY_H
/* Comments as they are taken, the way a mailing list passes them on:
   each new comment goes at once to every active participant in "each"
   mode (its author excepted), queued in ingest's transaction. A relay's
   Message-ID names the comment (comment.ID.TOKEN@domain), its Reply-To is
   LIST+cID so that answers thread under the comment, and its References
   name the paragraph's thread root (and the relay of the comment it
   answers), so mail clients thread each paragraph's discussion.

   After the close, comments are kept, marked late, and not passed on; the
   author gets one short note the first time (late-comment template;
   purpose late:SLUG:EMAIL, so once per participant and session). */
#include "store/store.h"
#include "tag/mailout.h"

/* relay_comments - queue the relays of comments ids[0..n-1] (stored in
   this transaction). Mail that cannot be made is logged and skipped: the
   comments matter more. 0, or -1 on a store error. */
int relay_comments(struct store *st, struct mailout *mo, const struct st_session *ses,
		   const int64_t *ids, int n);

/* relay_late_note - answer a late comment (comment_id, from author, in
   reply to the Message-ID in_reply_to, may be NULL) once per participant
   and session. 0, or -1 on a store error. */
int relay_late_note(struct store *st, struct mailout *mo, const struct st_session *ses,
		    const struct st_participant *author, int64_t comment_id, const char *in_reply_to);

/* relay_msgid - the Message-ID (no <>) that the relay of comment cid to
   recipient carries (or would carry); the caller frees */
char *relay_msgid(struct mailout *mo, const struct st_session *ses, int64_t cid, const char *recipient);

#endif
