#ifndef TAGD_TAG_RSVP_H
#define TAGD_TAG_RSVP_H
/* Answers that come back by mail: RSVPs to the launch call's invitation,
   and bounces of the mail tagd sent. */
#include "store/store.h"
#include "tag/mailout.h"
#include <stddef.h>

/* rsvp_take - an inbound text/calendar part. 0: not an answer (no REPLY or
   COUNTER); 1: an RSVP, recorded for the attendees it names who were
   invited, answer_r says what ("accepted", "declined", "tentative",
   "counter", ...); 2: an answer from nobody invited, or to another event
   (hold it); -1: store error. ses may be NULL: the session is then found
   by the call's UID. A REPLY is recorded in the rsvp table unless it is
   older than what is stored (a lower SEQUENCE than the call's or the
   stored answer's; for the same SEQUENCE, an older DTSTAMP). A COUNTER
   (another time proposed) changes no answer: it is passed to the
   organizers through mo (callmail_counter, once per proposal); mo NULL
   only records it in reason_r. Runs in the caller's transaction. */
int rsvp_take(struct store *st, struct mailout *mo, const struct st_session *ses, const char *ics,
	      size_t len, const char *mime_method, char *answer_r, size_t answer_size,
	      char *reason_r, size_t reason_size);

/* rsvp_note_bounce - a bounce for a participant, found by the VERP token
   or the failed address: a permanent failure adds to their bounce score,
   and at threshold their delivery is disabled. 0, or -1 on a store error. */
int rsvp_note_bounce(struct store *st, const struct st_session *ses, const char *verp_token,
		     const char *recipient, int permanent, int threshold);

#endif
