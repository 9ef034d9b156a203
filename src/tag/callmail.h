#ifndef TAGD_TAG_CALLMAIL_H
#define TAGD_TAG_CALLMAIL_H
/* The launch call by mail (iMIP, RFC 6047): the invitation to each
   participant, its updates (reschedule), its cancellation, the reminder
   on the morning of the call, and a COUNTER passed to the organizers.

   The call is one st_call row per session, made from the session file's
   [call] settings on first use (callmail_ensure); from then on the stored
   row is what counts (a reschedule changes it, not the session file). Its
   UID is SLUG.call@LISTDOMAIN for its whole life; SEQUENCE is 0 at first
   and grows by one with each reschedule and with the cancellation.

   Who gets what: every participant whose status is "active" is an
   ATTENDEE and gets one REQUEST (or CANCEL) addressed to them alone. The
   organizers are the ORGANIZER (the first one, at the list address's
   domain: replies go to the list address) and are not attendees: they
   get no invitation, only the COUNTER proposals.

   Every mail goes through mailout_queue() with a purpose key, so nothing
   is ever queued twice for the same purpose, whatever is retried:
     call:SLUG:seqN:EMAIL          the REQUEST/CANCEL of sequence N
     call-reminder:SLUG:seqN:EMAIL the reminder (one per participant and
                                   sequence: a moved call is reminded again)
     call-counter:SLUG:seqN:FROM:PROPOSED:ORGANIZER  a COUNTER passed on
   The functions that write (ensure, reschedule, cancel, invite_all,
   reminder, counter) do their store writes in the caller's transaction
   when the caller holds one, else in their own. Error texts (*error_r)
   are static or live until the next callmail_* call. */
#include "store/store.h"
#include "tag/call.h"
#include "tag/mailout.h"
#include <time.h>

/* callmail_ensure - the session's call, made and stored from its [call]
   settings on first use (UID via call_uid, sequence 0, status
   "confirmed", start = [call] start read in the session's time zone with
   clock_parse_local). 0 with *call_r filled (free with st_call_free);
   1 when the session plans no call ([call] start empty) and none is
   stored; -1 with *error_r (the session file no longer parses, a bad
   start, a store error). call_r may be NULL. */
int callmail_ensure(struct store *st, const struct st_session *ses, struct st_call *call_r,
		    const char **error_r);

/* callmail_when - the call's time for people, in the call's zone, as the
   mails give it: "Monday 16 July 2018, 12:00-13:00 EDT (16:00 UTC)". The
   caller frees. */
char *callmail_when(const struct st_session *ses, const struct st_call *call);

/* callmail_ics - the iCalendar object exactly as it is mailed to the
   participant with address attendee_email (NULL: the first active
   participant, in the order they were added; with none, the list address
   itself), for the stored call (made by callmail_ensure if need be), by
   the same builder as the mail: CALL_REQUEST gives the invitation of the
   current sequence; CALL_CANCEL gives the CANCEL that was sent, or, for a
   call not cancelled yet, the one callmail_cancel would send (SEQUENCE +
   1). DTSTAMP is clock_now(). The caller frees. NULL with *error_r (no
   call planned, not a participant, a builder error). */
char *callmail_ics(struct store *st, const struct st_session *ses, const char *attendee_email,
		   enum call_method m, const char **error_r);

/* callmail_invite_one - queue the invitation for the call's current
   sequence to one participant: the call-invitation template with a
   text/calendar REQUEST for them alone (and the same object attached as
   invite.ics). If the call is cancelled, the CANCEL goes instead (only to
   someone who had an earlier sequence; a newcomer gets nothing).
   0 queued; 1 nothing to do (no call planned, the call is over, the
   participant is not active, or that sequence was already queued for
   them); -1 with
   *error_r. The caller holds the store transaction that goes with it
   (signup: the one that makes them active), or none. */
int callmail_invite_one(struct mailout *mo, struct store *st, const struct st_session *ses,
			const struct st_participant *p, const char **error_r);

/* callmail_invite_all - callmail_invite_one for every active participant;
   *queued_r (may be NULL) counts the mails queued. 0, or -1 with *error_r
   (run in its own transaction, nothing is queued then). */
int callmail_invite_all(struct mailout *mo, struct store *st, const struct st_session *ses,
			int *queued_r, const char **error_r);

/* callmail_reschedule - move the call to new_start (a UTC instant): same
   UID, SEQUENCE + 1, status "confirmed" (a cancelled call comes back),
   stored; every stored answer is reset to needs-action for the new
   sequence; then the update (call.updated for those who knew of the
   call) goes to every active participant. A time in the past is refused.
   0 (*queued_r mails), 1 when new_start is the current start
   and the call is not cancelled (nothing changes), -1 with *error_r. */
int callmail_reschedule(struct mailout *mo, struct store *st, const struct st_session *ses,
			time_t new_start, int *queued_r, const char **error_r);

/* callmail_cancel - cancel the call: SEQUENCE + 1, status "cancelled",
   stored; a METHOD:CANCEL (STATUS:CANCELLED, call.cancelled) to every
   active participant who knew of the call (was invited, or answered).
   0 (*queued_r mails), 1 when it was already cancelled (the mails of that
   sequence still owed are queued), -1 with *error_r. */
int callmail_cancel(struct mailout *mo, struct store *st, const struct st_session *ses,
		    int *queued_r, const char **error_r);

/* callmail_reminder - the call-reminder mail to every active participant
   who has not declined the current sequence. The schedule calls it on the
   morning of the call at [call] reminder_at in the session's time zone;
   call.starts_in is worded from clock_now() in the call's zone ("in 45
   minutes", "today at 12:00 EDT", "tomorrow at 12:00 EDT").
   Idempotent by purpose key (one reminder per participant per call).
   0 (queued, or nothing left to queue), 1 when there is nothing to remind
   of (no call, cancelled, or already started), -1 with *error_r. */
int callmail_reminder(struct mailout *mo, struct store *st, const struct st_session *ses,
		      const char **error_r);

/* callmail_counter - pass a participant's COUNTER (reply->method
   "COUNTER", its proposer reply->att[0]) to each organizer with the
   call-counter template: the current time, the proposed one, their note
   and the tagctl command that would move the call. Once per proposer,
   sequence and proposed time. 0 queued (or already), -1 with *error_r. */
int callmail_counter(struct mailout *mo, struct store *st, const struct st_session *ses,
		     const struct call_reply *reply, const char **error_r);

#endif
