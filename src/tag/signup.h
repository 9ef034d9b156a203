#ifndef TAGD_TAG_SIGNUP_H
#define TAGD_TAG_SIGNUP_H
/* Sign-up and the other commands by mail, the organizers' decisions on
   sign-ups, and the one-click unsubscribe page.

   join (LIST+join, "join"/"subscribe" as the subject or first word) with
   the short form (Name:, Organization:, Role:, Years of experience:) gets a
   confirmation mail whose Reply-To is LIST+confirm-TOKEN. The token names
   the join request (its archived message) and an expiry, and its HMAC is
   bound to the session and to the address, so only the owner of the
   address can complete a sign-up, and only within SIGNUP_CONFIRM_VALID.
   The confirming reply runs the eligibility check (session
   min_years_experience): the applicant becomes active and is welcomed, or
   is declined kindly with the session's newcomers_url, or waits as
   'pending' for the organizers (session approval = yes, or years not
   given when some are asked). An expired token from its own address gets
   a fresh confirmation; a forged one gets nothing.

   leave/unsubscribe, help and the delivery modes (each, digest, nomail,
   "mode X") each get a short answer. Answers are Auto-Submitted:
   auto-replied, and someone who is not an active participant gets at most
   one automatic answer a day (store_ack_once): no backscatter. Auto-replies,
   bounces and our own mail never get here (the filters class them first).

   Everything runs inside the caller's transaction (ingest's, or tagctl's);
   mail goes out through mailout_queue(). */
#include "mail/msg.h"
#include "net/http.h"
#include "store/store.h"
#include "tag/mailout.h"
#include <stddef.h>
#include <time.h>

#define SIGNUP_CONFIRM_VALID (3 * 86400)   /* seconds a confirmation token lasts */
#define SIGNUP_MAX_FIELD 200               /* bytes kept of one form value */
#define SIGNUP_MAX_YEARS 80

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
   back by the caller and the message processed again later). */
int signup_command(struct store *st, struct mailout *mo, const struct signup_request *rq,
		   char *reason, size_t reasonsize);

/* ---- the short form ---- */

struct signup_form {
	char *name;                     /* NULL when not given */
	char *organization;
	char *role;
	int years;                      /* -1 when not given or not understood */
};

/* signup_form_parse - read the form's lines from text: "Label: value" with
   the usual labels and their variants (Name, Full name; Organization,
   Organisation, Company, School, Employer, Affiliation; Role, Position, Job
   title; Years of experience, Experience, Years). Quoted lines (">") are
   skipped, reading stops at a signature separator ("-- "), the first
   non-empty value of each field wins, values are cut to SIGNUP_MAX_FIELD
   bytes (on a character boundary). Returns how many fields were found;
   free f with signup_form_free(). */
int signup_form_parse(const char *text, struct signup_form *f);
void signup_form_free(struct signup_form *f);
/* signup_years_parse - years of experience from free text: "4", "4 years",
   "4+", "4-5", "four years", "twenty-five", "a decade", "18 months" (1),
   "less than a year" (0), "none" (0), "since 2012" (counted to now).
   -1 when not understood or above SIGNUP_MAX_YEARS. */
int signup_years_parse(const char *s);

/* ---- confirmation tokens ---- */

enum signup_token_result {
	SIGNUP_TOKEN_OK,
	SIGNUP_TOKEN_EXPIRED,           /* genuine for this address, but too old */
	SIGNUP_TOKEN_BAD,               /* forged, damaged, or made for another address or session */
};

/* signup_token_make - the TOKEN of LIST+confirm-TOKEN: "ROW.EXPIRES-MAC"
   where ROW is the join request's message row and EXPIRES a Unix time,
   and MAC is bound to session_id and addr (compared without case). The
   caller frees it; NULL on a store error. */
char *signup_token_make(struct store *st, int64_t session_id, const char *addr, int64_t message_row,
			time_t expires);
/* signup_token_check - check token for this session and address at time
   now; on OK and EXPIRED, *message_row_r and *expires_r are set */
enum signup_token_result signup_token_check(struct store *st, int64_t session_id, const char *addr,
					    const char *token, time_t now, int64_t *message_row_r,
					    time_t *expires_r);

/* ---- decisions ---- */

/* signup_admit - p has just become active: queue the draft when the week
   is open (draftmail_send: it comes just before the welcome), the welcome,
   and the launch call's invitation (callmail_invite_one: nothing when no
   call is planned or it is over). occasion
   makes the mail's purpose key unique ("m42": confirmed by message 42,
   "approved"); in_reply_to may be NULL. 0, or -1 with *error_r. */
int signup_admit(struct store *st, struct mailout *mo, const struct st_session *ses,
		 const struct st_participant *p, const char *occasion, const char *in_reply_to,
		 const char **error_r);
/* signup_approve - an organizer approves the pending (or declined)
   sign-up of email: it becomes active and is welcomed. 0 done; 1 when
   there is no such sign-up or it is active already (*error_r says which);
   -1 on a store or mail error. */
int signup_approve(struct store *st, struct mailout *mo, const struct st_session *ses, const char *email,
		   const char **error_r);
/* signup_reject - an organizer declines the pending sign-up of email: it
   becomes declined and gets the decline mail with reason (NULL: a
   sentence of our own) and the session's newcomers_url. Returns as
   signup_approve. */
int signup_reject(struct store *st, struct mailout *mo, const struct st_session *ses, const char *email,
		  const char *reason, const char **error_r);

/* ---- one-click unsubscribe (RFC 8058) ---- */

enum signup_unsub {
	SIGNUP_UNSUB_LEFT,              /* (act) the participant has left now */
	SIGNUP_UNSUB_ACTIVE,            /* (!act) the participant still gets mail */
	SIGNUP_UNSUB_ALREADY,           /* not receiving mail already (left, declined, removed) */
	SIGNUP_UNSUB_BAD,               /* not a token of ours */
	SIGNUP_UNSUB_ERROR,             /* the store failed */
};

/* signup_unsubscribe - the participant a List-Unsubscribe token names
   (mailout: token "unsubscribe" over the participant id) leaves when act
   is set (in its own transaction), or is only looked up. title
   (titlesize bytes) gets the session's title for the page. */
enum signup_unsub signup_unsubscribe(struct store *st, const char *token, int act, char *title,
				     size_t titlesize);
/* signup_web - the HTTP handler of tagd's web endpoint. A path ending in
   /unsubscribe/TOKEN: GET (and HEAD) shows a page with a button and
   changes nothing (link scanners open every link); POST with the body
   List-Unsubscribe=One-Click (urlencoded or multipart form data) makes the
   participant leave and answers 200. Unknown token: 404; another body:
   400; another method: 405; any other path: 404. */
void signup_web(struct store *st, const struct http_request *rq, struct http_response *resp);

#endif
