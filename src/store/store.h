#ifndef TAGD_STORE_H
#define TAGD_STORE_H
/* The store's aggregates: one file each in src/store/. Structs returned by
   the store are owned by the caller and freed with the matching *_free.
   Functions return 0 on success, -1 on a database error (logged; see
   store_error()), and 1 for "not found" where a lookup can miss. */
#include "store/db.h"
#include <stdint.h>
#include <time.h>

/* ---- sessions (session.c) ---- */
struct st_person {
	char *name;
	char *email;
};

struct st_session {
	int64_t id;
	char *slug;
	char *title;
	char *list_addr;
	char *timezone;
	char *opens;            /* YYYY-MM-DD */
	char *closes;
	int digest_at;          /* minutes after local midnight */
	int min_years;
	char *state;            /* planned, open, closed, final */
	char *source;           /* the session file text */
	time_t created;
	struct st_person *organizers;
	int norganizers;
	char **goals;
	int ngoals;
};

/* store_session_put - insert, or update the session with the same slug
   (organizers and goals replaced). *id_r gets its id. */
int store_session_put(struct store *st, const struct st_session *s, int64_t *id_r);
int store_session_get(struct store *st, const char *slug, struct st_session *s);
int store_session_get_id(struct store *st, int64_t id, struct st_session *s);
/* store_session_by_list - the session whose list address is addr (any case) */
int store_session_by_list(struct store *st, const char *addr, struct st_session *s);
int store_session_list(struct store *st, struct st_session **list_r, int *n_r);
int store_session_set_state(struct store *st, int64_t id, const char *state);
void st_session_free(struct st_session *s);
void st_session_list_free(struct st_session **list, int n);

/* ---- participants (participant.c) ---- */
struct st_participant {
	int64_t id;
	int64_t session_id;
	char *email;
	char *name;
	char *organization;
	char *role;
	int years;              /* -1 unknown */
	char *status;           /* pending, active, declined, left, disabled */
	char *mode;             /* each, digest, none */
	int bounce_score;
	time_t created;
};

/* store_participant_add - insert; returns 1 (and *id_r) when the address
   is already in the session, 0 when added */
int store_participant_add(struct store *st, const struct st_participant *p, int64_t *id_r);
int store_participant_get(struct store *st, int64_t session_id, const char *email,
			  struct st_participant *p);
int store_participant_get_id(struct store *st, int64_t id, struct st_participant *p);
/* store_participant_list - status NULL for all */
int store_participant_list(struct store *st, int64_t session_id, const char *status,
			   struct st_participant **list_r, int *n_r);
/* store_participant_list_mode - those of one delivery mode ("each",
   "digest", "none") and status (NULL for all), by id; through an index, so
   the cost is the rows found */
int store_participant_list_mode(struct store *st, int64_t session_id, const char *mode,
				const char *status, struct st_participant **list_r, int *n_r);
int store_participant_update(struct store *st, const struct st_participant *p);
/* store_participant_remove - delete, or mark 'left' when comments refer to
   them (*kept_r = 1); 1 when not found */
int store_participant_remove(struct store *st, int64_t session_id, const char *email, int *kept_r);
/* store_participant_count - by status into counts[] in the order
   pending, active, declined, left, disabled */
int store_participant_count(struct store *st, int64_t session_id, int counts[5]);
void st_participant_free(struct st_participant *p);
void st_participant_list_free(struct st_participant **list, int n);

/* ---- the draft (draft.c) ---- */
struct st_block {
	int position;           /* order in the revision, from 0 */
	int number;             /* display number, 0 for headings */
	int64_t paragraph_id;   /* 0 for headings; 0 on input = a new paragraph */
	char *kind;
	int level;
	char *text;
	char *markdown;
	char *change;           /* unchanged, edited, moved, moved+edited, new */
};

/* store_revision_add - the next revision: its blocks (numbered ones with
   paragraph_id 0 get a new paragraph), and the paragraphs retired by it.
   *number_r gets the revision number (1 for the first). */
int store_revision_add(struct store *st, int64_t session_id, const char *source,
		       struct st_block *blocks, int nblocks,
		       const int64_t *retired, int nretired, int *number_r);
/* store_revision_current - the newest revision number, 0 when none */
int store_revision_current(struct store *st, int64_t session_id, int *number_r);
/* store_revision_at - the newest revision imported at or before t, 0 when none */
int store_revision_at(struct store *st, int64_t session_id, time_t t, int *number_r);
int store_revision_blocks(struct store *st, int64_t session_id, int number,
			  struct st_block **blocks_r, int *n_r);
/* store_revision_source - the Markdown of a revision; 1 if none */
int store_revision_source(struct store *st, int64_t session_id, int number, char **source_r, time_t *imported_r);
/* store_paragraph_number - display number of a paragraph in a revision; 0 if not in it */
int store_paragraph_number(struct store *st, int64_t session_id, int revision,
			   int64_t paragraph_id, int *number_r);
/* store_paragraph_id - the paragraph shown as number in a revision; 1 if none */
int store_paragraph_id(struct store *st, int64_t session_id, int revision, int number,
		       int64_t *paragraph_id_r);
void st_block_free(struct st_block *b);
void st_block_list_free(struct st_block **list, int n);


/* ---- incoming messages (message.c) ---- */
struct st_message {
	int64_t id;
	int64_t session_id;     /* 0 when not routed */
	char *message_id;
	char *body_hash;
	char *source;           /* imap, lmtp, inject, maildir */
	char *source_ref;
	char *rcpt;
	char *raw;
	size_t rawlen;
	time_t received;
	char *sender;
	char *subject;
	char *class;            /* NULL until processed */
	char *reason;
	char *state;            /* new, done, held, released, discarded */
};

/* store_message_add - archive a raw message; 1 (and *id_r of the earlier
   one) when the same Message-ID and body hash were seen before. The
   caller holds the transaction when other writes must go with it. */
int store_message_add(struct store *st, const struct st_message *m, int64_t *id_r);
/* store_message_get - with raw bytes */
int store_message_get(struct store *st, int64_t id, struct st_message *m);
/* store_message_set_result - class, reason, state, session and sender after processing */
int store_message_set_result(struct store *st, int64_t id, int64_t session_id, const char *class,
			     const char *reason, const char *state, const char *sender, const char *subject);
int store_message_set_state(struct store *st, int64_t id, const char *state);
/* store_message_list - by state (NULL: all) and session (0: all), oldest first, without raw bytes */
int store_message_list(struct store *st, const char *state, int64_t session_id,
		       struct st_message **list_r, int *n_r);
/* store_message_pending - ids of messages archived but not yet processed */
int store_message_pending(struct store *st, int64_t **ids_r, int *n_r);
void st_message_free(struct st_message *m);
void st_message_list_free(struct st_message **list, int n);

/* ---- comments (comment.c) ---- */
struct st_comment {
	int64_t id;
	int64_t session_id;
	int64_t message_id;     /* the message row it came from, 0 if none */
	int position;
	int64_t paragraph_id;   /* 0: the draft as a whole */
	int revision;           /* the revision the author saw */
	int number;             /* display number in that revision */
	char *paragraphs;       /* "12,13" */
	int64_t parent_id;
	int64_t author_id;
	char *author_email;
	char *author_name;      /* joined from participant on reads */
	char *text;
	char *anchor;
	char *how;
	char *status;           /* open, incorporated, declined */
	char *note;
	int late;
	time_t created;
};

/* store_comment_add - 1 (and *id_r) if the message already gave a comment at that position */
int store_comment_add(struct store *st, const struct st_comment *c, int64_t *id_r);
int store_comment_get(struct store *st, int64_t id, struct st_comment *c);
/* store_comment_list - a session's comments, oldest first; since > 0 only those created after it */
int store_comment_list(struct store *st, int64_t session_id, time_t since,
		       struct st_comment **list_r, int *n_r);
/* store_comment_by_message - comments taken from one message, in order */
int store_comment_by_message(struct store *st, int64_t message_id, struct st_comment **list_r, int *n_r);
int store_comment_set_status(struct store *st, int64_t id, const char *status, const char *note);
/* store_comment_move - put a comment on another paragraph (as shown in revision) */
int store_comment_move(struct store *st, int64_t id, int64_t paragraph_id, int revision, int number);
/* store_comment_count - all of a session's comments, and those created in [from, to) */
int store_comment_count(struct store *st, int64_t session_id, time_t from, time_t to, int *all_r, int *range_r);
void st_comment_free(struct st_comment *c);
void st_comment_list_free(struct st_comment **list, int n);

/* ---- Message-IDs tagd sent (sentref.c) ---- */
struct st_sent_ref {
	char *message_id;
	int64_t session_id;
	char *kind;             /* draft, digest, relay, ack, invite, ... */
	int revision;
	int64_t paragraph_id;
	int64_t comment_id;
	char *recipient;
};
int store_sent_ref_add(struct store *st, const struct st_sent_ref *r);
int store_sent_ref_get(struct store *st, const char *message_id, struct st_sent_ref *r);
void st_sent_ref_free(struct st_sent_ref *r);

/* ---- automatic answers (sentref.c): at most one a day to an address ---- */
/* store_ack_once - 0 the first time (address, day) is claimed, 1 after */
int store_ack_once(struct store *st, const char *address, const char *day);

/* ---- IMAP progress (sentref.c) ---- */
int store_imap_state_get(struct store *st, const char *account, const char *mailbox,
			 uint32_t *uidvalidity_r, uint32_t *last_uid_r);
int store_imap_state_set(struct store *st, const char *account, const char *mailbox,
			 uint32_t uidvalidity, uint32_t last_uid);
/* store_imap_status_set - the poller's last poll and last error ("" = none), for tagctl status */
int store_imap_status_set(struct store *st, const char *account, const char *mailbox,
			  time_t last_poll, const char *last_error);
struct st_imap_state {
	char *account;
	char *mailbox;
	uint32_t uidvalidity, last_uid;
	time_t last_poll;
	char *last_error;
};
int store_imap_state_list(struct store *st, struct st_imap_state **list_r, int *n_r);
void st_imap_state_list_free(struct st_imap_state **list, int n);

/* ---- the launch call and its answers (call.c) ---- */
struct st_call {
	int64_t session_id;
	char *uid;
	int sequence;
	time_t start;
	char *timezone;
	int duration;           /* minutes */
	char *status;           /* confirmed, cancelled */
	time_t updated;
};

struct st_rsvp {
	char *email;
	char *partstat;         /* accepted, declined, tentative, delegated, needs-action */
	int sequence;
	time_t dtstamp;
	char *comment;
	time_t updated;
};

int store_call_get(struct store *st, int64_t session_id, struct st_call *c);
/* store_call_by_uid - 1 if no call has that UID */
int store_call_by_uid(struct store *st, const char *uid, struct st_call *c);
int store_call_put(struct store *st, const struct st_call *c);
int store_rsvp_get(struct store *st, int64_t session_id, const char *email, struct st_rsvp *r);
int store_rsvp_put(struct store *st, int64_t session_id, const struct st_rsvp *r);
int store_rsvp_list(struct store *st, int64_t session_id, struct st_rsvp **list_r, int *n_r);
void st_call_free(struct st_call *c);
void st_rsvp_free(struct st_rsvp *r);
void st_rsvp_list_free(struct st_rsvp **list, int n);

/* ---- the outbox (outbox.c): every outgoing mail, before the first try ---- */
struct st_outbox {
	int64_t id;
	char *purpose;          /* unique: the same mail is never queued twice */
	int64_t session_id;
	char *kind;
	char *recipient;
	char *mail_from;        /* the envelope sender (VERP) */
	char *message_id;
	char *raw;              /* the mail exactly as it is sent; NULL in lists */
	size_t rawlen;
	char *state;            /* queued, deferred, sent, failed, held */
	int attempts;
	time_t next_attempt;
	char *last_error;
	time_t created;
	time_t done;
};

/* store_outbox_add - queue; 1 (and *id_r of the first) when the purpose was queued before */
int store_outbox_add(struct store *st, const struct st_outbox *o, int64_t *id_r);
int store_outbox_get(struct store *st, int64_t id, struct st_outbox *o);
/* store_outbox_due - up to limit mails whose time has come, in order,
   WITHOUT their bytes (raw NULL): read each with store_outbox_raw when it
   is sent (sorting a batch of digests with their bytes spilled the page
   cache: bench/) */
int store_outbox_due(struct store *st, time_t now, int limit, struct st_outbox **list_r, int *n_r);
/* store_outbox_due_part - the same, only the mails whose id % nparts is
   part (senders on several connections share the outbox out this way) */
int store_outbox_due_part(struct store *st, time_t now, int limit, int part, int nparts,
			  struct st_outbox **list_r, int *n_r);
/* store_outbox_raw - the bytes of mail id into o->raw / o->rawlen (freed
   with o); 0, 1 when there is no such mail, -1 on error */
int store_outbox_raw(struct store *st, int64_t id, struct st_outbox *o);
/* store_outbox_next - the earliest next_attempt of mail waiting; 1 if none */
int store_outbox_next(struct store *st, time_t *t_r);
/* store_outbox_list - without raw bytes; session 0 and state NULL for all */
int store_outbox_list(struct store *st, int64_t session_id, const char *state,
		      struct st_outbox **list_r, int *n_r);
int store_outbox_update(struct store *st, int64_t id, const char *state, int attempts,
			time_t next_attempt, const char *last_error, time_t done);
/* store_outbox_counts - queued, deferred, sent, failed, held */
int store_outbox_counts(struct store *st, int64_t session_id, int counts[5]);
void st_outbox_free(struct st_outbox *o);
void st_outbox_list_free(struct st_outbox **list, int n);

/* ---- the week's calendar (schedule.c) ---- */
struct st_sched {
	char *event;            /* open, reminder, digest:YYYY-MM-DD, close */
	time_t due;             /* when it was due */
	time_t done;            /* when it was done */
	char *result;           /* a short note: "6 drafts", "quiet day", ... */
};

/* store_sched_get - 0 and *done_r when the session's event is recorded as
   done, 1 when it is not */
int store_sched_get(struct store *st, int64_t session_id, const char *event, time_t *done_r);
/* store_sched_mark - record the event as done; 1 (nothing changed) when it
   was already. Call it in the transaction that did the event's work. */
int store_sched_mark(struct store *st, int64_t session_id, const char *event, time_t due,
		     time_t done, const char *result);
/* store_sched_list - the session's done events, by due time */
int store_sched_list(struct store *st, int64_t session_id, struct st_sched **list_r, int *n_r);
void st_sched_list_free(struct st_sched **list, int n);

/* store_digest_pending - ids of the session's comments created at or
   before until, not late, that no digest has taken yet; oldest first */
int store_digest_pending(struct store *st, int64_t session_id, time_t until, int64_t **ids_r, int *n_r);
/* store_digest_take - the digest of day took these comments */
int store_digest_take(struct store *st, int64_t session_id, const char *day, const int64_t *ids, int n);

/* store_outbox_find - 0 (and *id_r) when mail with this purpose was
   queued, 1 when not */
int store_outbox_find(struct store *st, const char *purpose, int64_t *id_r);

/* revisions mailed to LIST+revise (schedule.c) */
struct st_revise {
	int64_t message_row;    /* the message that carried it */
	int64_t session_id;
	char *organizer;        /* who sent it */
	char *source;           /* the Markdown */
	time_t created;
	int revision;           /* the revision it became, 0 while waiting */
};

/* store_revise_add - 1 when that message is recorded already */
int store_revise_add(struct store *st, const struct st_revise *r);
/* store_revise_get - 1 when the message carried no revision */
int store_revise_get(struct store *st, int64_t message_row, struct st_revise *r);
int store_revise_set_revision(struct store *st, int64_t message_row, int revision);
void st_revise_free(struct st_revise *r);

#endif
