#ifndef TAGD_TAG_TRUST_H
#define TAGD_TAG_TRUST_H
/* Sender trust: a forged From must not speak for a participant. The
   sender filter takes From at its word, as mailing lists do; with
   [trust] mode = token or dmarc, a participant's comment must also prove
   where it comes from:

   token  it answers (In-Reply-To or References) a Message-ID tagd sent to
          that participant: tagd's Message-IDs carry a per-recipient HMAC
          (mailout.c), so only someone who received the mail knows it.
   dmarc  an Authentication-Results header (RFC 8601) from the trusted
          MTA ([trust] authserv_id) says dmarc=pass for the From domain,
          or dkim=pass with a signing domain (header.d) that is the From
          domain or a parent of it. Headers from any other authserv-id are
          ignored: anyone can write them. The MTA must remove headers that
          claim its own authserv-id from incoming mail (RFC 8601 §5), as
          OpenDMARC, OpenDKIM, Postfix and rspamd do.
   from   (the default) no further proof.

   A comment without the proof is held (class held) and its author gets a
   confirmation request (template confirm-comment) with a reply address
   LIST+vouch-TOKEN@domain; the token is an HMAC bound to the held
   message's row and the participant. A reply to that address from the
   participant releases the comment (ingest_release); organizers can also
   release it with `tagctl release`. At most TRUST_MAX_REQUESTS_PER_DAY
   requests go to one address a day, so forged mail cannot flood a
   participant. */
#include "mail/msg.h"
#include "store/store.h"
#include "tag/ingest.h"
#include "tag/mailout.h"
#include "tag/settings.h"

#define TRUST_MAX_REQUESTS_PER_DAY 5    /* confirmation requests to one address */
#define TRUST_MAX_AR_HEADERS 50         /* Authentication-Results headers read */
#define TRUST_MAX_AR_RESULTS 64         /* results read from one header */
#define TRUST_MAX_REFS 64               /* In-Reply-To/References ids looked up */

/* trust_dmarc_pass - 1 when an Authentication-Results header of msg whose
   authserv-id is authserv_id (case-insensitive) says dmarc=pass (with a
   header.from, if given, equal to the From domain), or dkim=pass with
   header.d (or the domain of header.i) equal to the From domain or a
   parent domain of it (with at least one dot); 0 otherwise, and always 0
   for a NULL or empty authserv_id or a message without a From address. */
int trust_dmarc_pass(const struct mail_msg *msg, const char *authserv_id);

/* trust_token_pass - 1 when msg's In-Reply-To or References name a
   Message-ID tagd sent in session ses to msg's From address (compared
   without case); 0 when none does, -1 on a store error */
int trust_token_pass(struct store *st, const struct st_session *ses, const struct mail_msg *msg);

/* trust_hold - the check before a participant's (or organizer's) message
   is taken as comments. author is the participant, NULL for an organizer.
   0: go on (mode from, or the proof holds). 1: decided: r->class is held
   with r->reason, and a confirmation request is queued (unless the daily
   limit is reached); *ret_r is 0, or -1 when the store failed (the caller
   then rolls back). */
int trust_hold(struct store *st, struct mailout *mo, const struct tagd_config *cfg,
	       const struct st_session *ses, const struct st_message *row, const struct mail_msg *msg,
	       const struct st_participant *author, struct ingest_result *r, int *ret_r);

/* trust_is_vouch - whether tag (an address's +tag, may be NULL) is a
   vouch-TOKEN confirmation address */
int trust_is_vouch(const char *tag);

/* trust_vouch - a reply to LIST+vouch-TOKEN: when the token is good, names
   a held message of session ses, and msg comes from the participant it is
   bound to, release that message (ingest_release, in the caller's
   transaction). r is classed command "vouch" with the outcome in
   r->reason (a bad or used token is said so, nothing is released).
   0, or -1 on a store error. */
int trust_vouch(struct ingest *in, struct store *st, const struct st_session *ses,
		const struct mail_msg *msg, const char *tag, struct ingest_result *r);

#endif
