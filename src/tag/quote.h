#ifndef TAGD_TAG_QUOTE_H
#define TAGD_TAG_QUOTE_H
/* Cutting the text of a reply into what its author wrote and what they
   quoted. Pure functions over a string: no mail parsing, no store.

   The body is decoded UTF-8 with LF line ends (a CR before an LF is
   tolerated); HTML quotes have already been rendered as "> " lines by the
   mail parser. It is cut into segments, in body order:

   - SEG_NEW: the author's own text (leading blank lines dropped);
   - SEG_QUOTE: quoted text with its markers removed. Quoting is "> " at
     any depth (">>", "> >", " > " all count), and also the unmarked
     quoting of Outlook, Yahoo and mobile clients: everything below a reply
     header that is not followed by "> " lines is quoted (unmarked = 1);
   - SEG_ATTRIBUTION: a reply header: "On … wrote:" and its translations
     (Am … schrieb …:, Le … a écrit :, El … escribió:, Op … schreef … het
     volgende:, Il … ha scritto:, W dniu … pisze:, … skrev:, 写道, 작성,
     のメッセージ, …), also split over up to three lines or sharing a
     line with the reply ("reply On … wrote:"); "---- X wrote ----";
     "-----Original Message-----" and its translations; and an Outlook
     header block (From:/Sent:/To:/Subject:, also localized: Von:/Gesendet:,
     De :/Envoyé :, Van:/Verzonden:, Da:/Inviato:, Od:/Wysłane:, …,
     possibly in *bold*, possibly under a line of underscores);
   - SEG_FORWARD_HEADER: "---------- Forwarded message ---------",
     "Begin forwarded message:" and translations, with the header lines that
     follow; the forwarded text below is a SEG_QUOTE (unmarked).

   A header inside a quote is an attribution at that depth. */
#include <stddef.h>
#include "lib/buf.h"

#define QUOTE_MAX_BODY  ((size_t)16 << 20) /* bytes of body text considered */
#define QUOTE_MAX_DEPTH 64                 /* '>' markers counted on one line */

enum seg_kind {
	SEG_NEW,
	SEG_QUOTE,
	SEG_ATTRIBUTION,
	SEG_FORWARD_HEADER,
};

struct segment {
	enum seg_kind kind;
	char *text;     /* the lines joined with LF, each line ended by LF;
			   quote markers removed (QUOTE, and headers inside
			   quotes); never NULL */
	int depth;      /* 0 for the author's text and top-level headers;
			   1.. for quotes (unmarked quotes count one level) */
	int line;       /* 1-based body line where the segment starts */
	int nlines;     /* body lines it covers */
	int unmarked;   /* SEG_QUOTE: quoted without '>' (below a header) */
};

/* quote_segments - cut body (NUL-terminated) into segments, in order, into
   a new array *segs_r of *n_r entries (free with quote_segments_free).
   Returns 0; a body longer than QUOTE_MAX_BODY is cut there (the rest is
   not looked at) and 1 is returned so the caller can log the limit.
   Never fails otherwise; an empty body gives no segments. Linear in the
   body size. */
int quote_segments(const char *body, struct segment **segs_r, int *n_r);

/* quote_segments_free - release the array from quote_segments() and set
   *segs NULL; NULL-safe */
void quote_segments_free(struct segment **segs, int n);

/* seg_kind_name - "new", "quote", "attribution", "forward-header" */
const char *seg_kind_name(enum seg_kind k);

/* Cutting sign-offs from a piece of the author's text. */
enum signoff_mode {
	SIGNOFF_FOOTER,   /* what every reply parser cuts: a "-- " block,
			     mobile footers ("Sent from my iPhone", "Von
			     meinem iPhone gesendet", "Get Outlook for iOS",
			     …), a trailing run of delimiter lines, a
			     mailing-list footer under a line of underscores */
	SIGNOFF_COMMENT,  /* also what does not belong in a comment: a closing
			     and name ("Best,\nElin"), a name and contact block
			     (name, title, organization, phone), disclaimers
			     ("CONFIDENTIALITY NOTICE: …", "The views expressed
			     here are my own …"), and a greeting line alone
			     ("Good morning,", "Hello all,") at the start */
};

/* quote_signoff_cut - the length of text[0..len) that is left when the
   sign-off blocks of the given mode are cut from it (whitespace at the
   end included); text is not changed. Text inside ``` code fences is never
   taken for a sign-off. */
size_t quote_signoff_cut(const char *text, size_t len, enum signoff_mode mode);

/* quote_greeting_len - the length of a greeting line at the start of text
   ("Hi all," "Good morning," "Hello Ana!", "Dear colleagues,") plus the
   blank lines after it; 0 when text does not start with one */
size_t quote_greeting_len(const char *text, size_t len);

/* reply_new_text - the visible new text of a reply, as a reply parser
   gives it: the SEG_NEW segments joined in order (a quote and the blank
   lines after it are cut out), footers cut (SIGNOFF_FOOTER; a name
   sign-off such as "Regards, Roman" is kept), trailing blanks removed from
   every line, trimmed. Quotes, reply headers and forwarded messages are
   not new text. The text is appended to out (which may overflow its cap:
   out->overflowed is then set). */
void reply_new_text(const char *body, struct buf *out);

#endif
