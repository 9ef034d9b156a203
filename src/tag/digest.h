#ifndef TAGD_TAG_DIGEST_H
#define TAGD_TAG_DIGEST_H
/* The daily digest, for participants in "digest" mode: the comments no
   digest has taken yet, grouped by paragraph in draft order (the draft as
   a whole first), each paragraph with a short excerpt, each comment with
   its author and the replies under it (a reply to a comment of an earlier
   day comes under that comment, shown again); the paragraphs a new
   revision changed, with a word diff; counts. Text and HTML (the digest
   template).

   Which comments a digest takes is recorded in the store in the same
   transaction as the mail it queues (digest_item), so every comment is in
   exactly one digest even when the daemon stopped for days, or a message
   was processed after the digest hour it arrived before. One mail per
   participant and day: purpose digest:SLUG:DAY:EMAIL, Message-ID
   digest.DAY.TOKEN@domain. A day with nothing new sends nothing unless
   the session says digest_on_quiet_days. */
#include "store/store.h"
#include "tag/mailout.h"
#include <stddef.h>
#include <time.h>

#define DIGEST_EXCERPT_WORDS 10   /* words of a paragraph shown as its excerpt */
#define DIGEST_MAX_DEPTH 32       /* reply chains followed up to their first comment */

struct digest_req {
	const char *day;        /* YYYY-MM-DD, the digest's day (its purpose and Message-ID) */
	time_t from;            /* the previous digest, or the open */
	time_t until;           /* this digest: comments created up to here */
	int first;              /* the first digest of the session */
	int final;              /* the last one, at the close */
	int quiet_days;         /* send even when there is nothing new */
	int max_comments;       /* comments and replies shown in full; the rest
				   are counted (counts.omitted); 0: all */
};

/* digest_send - build the digest and queue it for every active
   participant in digest mode, in the caller's transaction. *sent_r gets
   the number of mails queued, note a short summary ("5 comments, 1
   reply, 6 mails" or "quiet day"). 0, or -1 with *error_r. */
int digest_send(struct store *st, struct mailout *mo, const struct st_session *ses,
		const struct digest_req *rq, int *sent_r, char *note, size_t notesize,
		const char **error_r);

#endif
