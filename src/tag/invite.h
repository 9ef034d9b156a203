#ifndef TAGD_TAG_INVITE_H
#define TAGD_TAG_INVITE_H
/* The TAG invitation (templates/invitation.*): the topic, the goals, the
   week, the launch call, how to join and the experience asked for, sent
   once to each contact of a CSV list who is not a participant yet. Its
   Reply-To is LIST+join, so that a reply with the short form filled in is
   a sign-up. The purpose key "invitation:SLUG:ADDRESS" makes a second run
   (or a contact listed twice) queue nothing new. */
#include "lib/buf.h"
#include "store/store.h"
#include "tag/mailout.h"
#include <stddef.h>

#define INVITE_MAX_CONTACTS 100000      /* rows taken from one CSV file */
#define INVITE_MAX_FIELD 200            /* bytes kept of a name (controls become blanks) */

struct invite_result {
	int contacts;           /* data rows read */
	int queued;             /* invitations queued now */
	int already_invited;    /* queued by an earlier run (or earlier in this file) */
	int participants;       /* skipped: in the session already, whatever their status */
	int bad;                /* rows with no usable address */
	struct buf errors;      /* "FILE:LINE: message\n" per bad row */
};

/* invite_progress_fn - called after each row (done of total) */
typedef void (*invite_progress_fn)(void *arg, int done, int total);

/* invite_csv - queue the invitation for each contact in csv (len bytes;
   a header row names the columns: email, and optionally name,
   organization, role, years_experience, in any order). file names the
   input in error lines. Runs in the caller's transaction. 0, or -1 with
   *error_r when the store or the mail fails (nothing should be committed
   then); bad rows are counted, not fatal. */
int invite_csv(struct store *st, struct mailout *mo, const struct st_session *ses, const char *csv,
	       size_t len, const char *file, invite_progress_fn progress, void *arg,
	       struct invite_result *r, const char **error_r);
void invite_result_free(struct invite_result *r);

/* invite_call_when - the launch call's "Monday 16 July 2018, 12:00-13:00
   EDT" for the session (the stored call, else the session file's [call]);
   "" when none is planned */
void invite_call_when(struct store *st, const struct st_session *ses, char *title, size_t titlesize,
		      char *when, size_t whensize);

#endif
