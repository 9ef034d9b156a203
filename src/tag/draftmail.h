#ifndef TAGD_TAG_DRAFTMAIL_H
#define TAGD_TAG_DRAFTMAIL_H
/* The draft as mail: the current revision with numbered paragraphs ("[7]"
   in text, a visible ¶7 in HTML), a comment address under each paragraph
   (LIST+p7@domain, a mailto link in HTML), the session's goals and dates
   on top. One mail per active participant, with a Message-ID that names
   the revision (draft.rN.TOKEN@domain) and the purpose key
   draft:SLUG:rN:EMAIL, so each revision reaches each participant once
   whatever restarts happen. A participant who had an earlier revision gets
   the new one marked as revised, with the paragraphs that changed.

   Also here, for the other mail of the week: a view of one revision's
   paragraphs by stable paragraph id, the per-paragraph thread roots, and
   short excerpts. */
#include "lib/buf.h"
#include "store/store.h"
#include "tag/mailout.h"

/* One revision's blocks, to find paragraphs by id or number. */
struct draft_view {
	int revision;           /* 0: no draft yet (no blocks) */
	struct st_block *blocks;
	int nblocks;
};

/* draft_view_load - revision's blocks (revision 0: the current one). 0,
   or -1 on a store error; a session without a draft gives an empty view. */
int draft_view_load(struct store *st, int64_t session_id, int revision, struct draft_view *v);
/* draft_view_pid - the numbered block of paragraph pid, NULL when the
   paragraph is not in this revision */
const struct st_block *draft_view_pid(const struct draft_view *v, int64_t pid);
/* draft_view_title - the first top-level heading, else fallback */
const char *draft_view_title(const struct draft_view *v, const char *fallback);
/* draft_view_numbered - how many numbered blocks */
int draft_view_numbered(const struct draft_view *v);
void draft_view_free(struct draft_view *v);

/* draftmail_words - the first n words of text, line breaks as spaces,
   "…" when it was cut, appended to out */
void draftmail_words(const char *text, int n, struct buf *out);

/* draftmail_para_root - the thread root of paragraph pid (0: the draft
   as a whole): "para.PID.TOKEN@domain" (no <>), the same for every recipient; mail
   about the paragraph names it in References so that mail clients thread
   each paragraph's discussion. The caller frees. */
char *draftmail_para_root(struct mailout *mo, const struct st_session *ses, int64_t pid);

/* draftmail_pending - how many active participants have not been queued
   the current revision (reads only: the schedule opens a transaction only
   when there is something to send). 0, or -1 on a store error. */
int draftmail_pending(struct store *st, const struct st_session *ses, int *n_r);

/* draftmail_send - queue the current revision for every active
   participant it has not been queued for (in the caller's transaction).
   *queued_r gets the number queued. 0, or -1 (store or template error,
   with *error_r). A session without a draft queues nothing. */
int draftmail_send(struct store *st, struct mailout *mo, const struct st_session *ses,
		   int *queued_r, const char **error_r);

#endif
