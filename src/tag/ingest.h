#ifndef TAGD_TAG_INGEST_H
#define TAGD_TAG_INGEST_H
/* The one way in. IMAP, LMTP, the Maildir inbox and tagctl inject all hand
   a raw message to ingest_archive(), which stores it (deduplicated by
   Message-ID and body hash) before the source is told it was taken; then
   ingest_process() parses it in the isolated parser, routes it to its
   session, runs the filter chain, classes it and, for a comment, threads
   it onto paragraphs. Processing writes everything it decides in one
   transaction, so a crash at any point loses nothing: archived messages
   not yet processed are processed again at the next start
   (ingest_resume), and processing the same message twice gives the same
   comments once. */
#include "filters/filter.h"
#include "store/store.h"
#include "tag/settings.h"
#include <stdint.h>

struct ingest;

struct ingest_source {
	const char *source;             /* imap, lmtp, inject, maildir */
	const char *ref;                /* file name, mailbox/UID, LMTP peer */
	const char *const *rcpts;       /* envelope recipients, if known */
	int nrcpts;
	const char *session_slug;       /* force the session (tagctl inject --session) */
	/* in_tx - runs inside the archive transaction (IMAP: the new last UID) */
	int (*in_tx)(void *arg, struct store *st);
	void *arg;
};

struct ingest_comment {
	int64_t id;
	int paragraph;                  /* display number in revision; 0 = the whole draft */
	int *paragraphs;
	int nparagraphs;
	int revision;
	int64_t parent;                 /* comment id, 0 if none */
	char *how;
	char *text;
};

struct ingest_result {
	int64_t message_row;
	char *message_id;
	char *session;                  /* slug, NULL when not routed */
	enum msg_class class;
	char reason[256];
	char *command;                  /* join, leave, help, ... for commands */
	char *rsvp;                     /* accepted, declined, tentative, ... */
	int duplicate;                  /* seen before: nothing changed */
	struct ingest_comment *comments;
	int ncomments;
};

/* ingest_new - ready to take mail for every session in st. NULL with *error_r on a bad config. */
struct ingest *ingest_new(struct store *st, const struct tagd_config *cfg, const char **error_r);
void ingest_free(struct ingest **in);

/* ingest_archive - store the raw message. 0: archived (r->message_row);
   1: a duplicate of r->message_row (nothing changed); -1: the store
   cannot take it now (temporary: disk full, locked), *error_r says why. */
int ingest_archive(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
		   struct ingest_result *r, const char **error_r);
/* ingest_archive_store - the same with only a store (a source's own
   thread and connection: IMAP); processing then happens in the daemon's
   main loop */
int ingest_archive_store(struct store *st, const char *raw, size_t len, const struct ingest_source *src,
			 struct ingest_result *r, const char **error_r);
/* ingest_process - decide what an archived message is and act on it. 0, or
   -1 (temporary: the message stays archived and is processed later). */
int ingest_process(struct ingest *in, int64_t message_row, struct ingest_result *r);
/* ingest_message - archive, then process; a duplicate is reported with class "duplicate" */
int ingest_message(struct ingest *in, const char *raw, size_t len, const struct ingest_source *src,
		   struct ingest_result *r, const char **error_r);
/* ingest_process_next - process an archived message in a transaction of
   its own (a savepoint in the caller's), with next_row (0: none), the
   message the caller will process next, sent to the parser ahead so that
   it is parsed meanwhile (ingest_message's second half; tagctl inject) */
int ingest_process_next(struct ingest *in, int64_t message_row, int64_t next_row, struct ingest_result *r,
			const char **error_r);
/* ingest_note_duplicate - r says "duplicate" of r->message_row */
void ingest_note_duplicate(struct ingest_result *r);
/* ingest_release - an organizer releases a held message: process it
   again, taking its text as a comment even from someone who is not a
   participant. 0, 1 if it gives no comment, -1 on error. */
int ingest_release(struct ingest *in, int64_t message_row, struct ingest_result *r);
/* ingest_resume - process every archived message not processed yet; the count, or -1 */
int ingest_resume(struct ingest *in);
/* ingest_reconfigure - after SIGHUP: the new config's filter chain and
   names, sessions read again; the isolated parser (forked at
   ingest_new, before any thread) is kept, with its limits, until restart.
   0, or -1 with *error_r (the old configuration stays). */
int ingest_reconfigure(struct ingest *in, const struct tagd_config *cfg, const char **error_r);
/* ingest_reload - re-read sessions (after tagctl changed them or SIGHUP) */
void ingest_reload(struct ingest *in);

void ingest_result_free(struct ingest_result *r);
/* ingest_result_json - one JSON object (tagctl inject --json) */
void ingest_result_json(const struct ingest_result *r, const char *file, struct buf *out);

#endif
