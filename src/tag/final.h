#ifndef TAGD_TAG_FINAL_H
#define TAGD_TAG_FINAL_H
/* The final paper: one mail (the "final" template) to every active
   participant, and to the addresses of an extra list, with
   - the paper, its numbered blocks as draft_parse() numbers them;
   - the thanks: every participant who commented (whatever their status
     now), by name, with their organization, sorted by name;
   - what became of the recipient's own comments: the status and note the
     organizers set, and where the paragraph commented on ended up in the
     final paper. The final paper is aligned with the session's current
     revision (draft_align), so a comment on a paragraph that was kept,
     edited or moved gets its number in the final paper (0: removed);
   - the attachments (a PDF of the paper, say).

   All mail is queued in one transaction with the session's move to the
   "final" state. Each mail's purpose is final:SLUG:ADDRESS (lower case),
   so a second run queues nothing new: whoever got the final paper does
   not get it again, even with a corrected paper; an address added to the
   extra list later does. The final paper is not stored as a revision: it
   goes by the current revision's number when its numbered blocks are
   the same text, else by the next number. */
#include "lib/buf.h"
#include "mail/compose.h"
#include "store/store.h"
#include "tag/mailout.h"
#include <stddef.h>

#define FINAL_MAX_ATTACHMENTS 10
#define FINAL_MAX_ATTACHMENT_SIZE ((size_t)10 << 20) /* bytes in one attachment */
#define FINAL_MAX_EXTRA 5000      /* addresses on the extra list */
#define FINAL_SNIPPET_WORDS 12    /* words of a comment recalled to its author */

struct final_req {
	const char *paper;              /* the final paper, Markdown (UTF-8) */
	size_t paper_len;
	const struct compose_attachment *att;
	int natt;
	const char *extra_csv;          /* an extra list (CSV with an email column, name optional), or NULL */
	size_t extra_len;
	const char *extra_name;         /* its file name, for errors */
};

struct final_result {
	int revision;                   /* the number the final paper goes by */
	int paragraphs;                 /* its numbered blocks */
	int participants;               /* active participants mailed */
	int extra;                      /* addresses from the extra list mailed */
	int queued;                     /* mails queued by this run */
	int already;                    /* mails an earlier run queued */
	int thanked;                    /* participants who commented */
	int kept;                       /* current paragraphs found in the final paper */
	int bad;                        /* rows of the extra list left out */
	struct buf errors;              /* "FILE:LINE: why" for each */
};

/* final_send - queue the final paper (see above) and set the session's
   state to final, in one transaction. 0, or -1 with *error_r (a paper
   that does not parse or has no numbered block, too many attachments, an
   extra list without an email column, a store or template error):
   nothing is queued then. r is filled in either case; free it with
   final_result_free. */
int final_send(struct store *st, struct mailout *mo, const struct st_session *ses,
	       const struct final_req *rq, struct final_result *r, const char **error_r);
void final_result_free(struct final_result *r);

/* final_attachment_type - a MIME type for a file name's extension
   (application/pdf, ...; application/octet-stream when unknown) */
const char *final_attachment_type(const char *filename);
/* final_attachment_name - the base name of path as an attachment's
   file name: printable ASCII without quotes, slashes or backslashes
   (others become '_'), at most 100 bytes, "attachment" when empty. The
   caller frees it. */
char *final_attachment_name(const char *path);

#endif
