#ifndef TAGD_TAG_THREAD_H
#define TAGD_TAG_THREAD_H
/* Threading: which paragraph(s) of the draft each part of a reply
   addresses. Pure: no store, no mail parsing. The caller gives the decoded
   text of the reply, its subject, the numbered paragraphs of the revision
   the participant saw, and what it learnt from the envelope (a +pN address,
   In-Reply-To/References against the mail tagd sent); thread_extract()
   returns the comments, in the order written.

   How a piece of new text finds its paragraph, first rule that applies:

   1. QUOTE: new text below a quote belongs to the paragraph the quote
      matches. Matching is against the paragraphs given, on word 3-grams
      (shingles): re-wrapping, lost or changed punctuation, smart quotes,
      case, a fragment of a sentence and paragraph markers ("[15]", "¶15")
      left in the quote do not matter. A quote spanning several
      paragraphs gives the comment to the one holding most of the quoted
      text and records all of them; but an untrimmed quote (four or more
      paragraphs, or three or more quoted whole) with the answer typed
      under one of them gives it to the paragraph right above the answer.
      A quote of most of the draft down to its end (a full draft quoted
      over a bottom-posted reply) is no anchor.
   2. REFERENCE: a paragraph named at the start of a line: "¶12:", "P12:",
      "Para 5 -", "paragraph 17:", "[8]", "Re [8]:", "- ¶3 and ¶5:",
      "(¶12)", "§4:", "para5 -", "Paras 4-6:"; each such line opens a
      section, so a top-posted mail with several "¶N:" sections gives
      several comments. So does a name opening a paragraph of text
      ("Paragraph 6 seems …"), or following a few words and followed by a
      colon, a dash or the end of the line ("Comment on paragraph 7:",
      "In reply to ¶12"). Numbers that are no paragraph of the revision,
      and link footnotes ("[1] http://…"), are no references.
   3. CONTEXT: the context paragraph from the caller (+pN, a reply to a
      relayed comment), else a tag in the subject ("[¶12]", "[P12]",
      "[para 12]", "¶12").
   4. REFERENCE: a paragraph named anywhere in the text ("as ¶5 says").
   5. GENERAL: the draft as a whole (paragraph 0).
   With has_parent set, rules 3-5 give PARENT (the paragraph is the
   context paragraph, 0 if none): the text answers the parent comment.

   Text that is no comment is dropped: quoted text (the full quoted draft
   under a top-posted reply included), reply headers, signatures, mobile
   footers, disclaimers, a closing and name ("Best,\nElin"), a name and
   contact block, a greeting line alone ("Good morning,"). Pieces of text
   that land on the same paragraph the same way, with no matching quote
   between them, are one comment. */
#include <stddef.h>

#define THREAD_MAX_COMMENTS 200  /* comments from one message; the rest is
				    added to the last one */
#define THREAD_MAX_PARAS    20000 /* paragraphs an index takes */

struct thread_para {
	int number;                 /* display number (1..N) */
	const char *text;           /* plain text of the block */
};

/* An index of the paragraphs of one revision, built once and shared by
   every message threaded against that revision. Read-only after
   thread_index_new(), so it can be shared between threads. */
struct thread_index;

/* thread_index_new - index n paragraphs (at most THREAD_MAX_PARAS are
   taken; paras may be NULL when n is 0). The texts are copied; paras may
   be freed afterwards. Never NULL. */
struct thread_index *thread_index_new(const struct thread_para *paras, int n);
/* thread_index_free - release *idx and set it NULL; NULL-safe */
void thread_index_free(struct thread_index **idx);

struct thread_input {
	const char *body;           /* decoded UTF-8 text, LF line ends, HTML
				       quotes as "> " lines; NULL = "" */
	const char *subject;        /* decoded, may be NULL */
	const struct thread_para *paras; /* the revision the participant saw */
	int nparas;
	const struct thread_index *index; /* optional: an index of paras built
				       with thread_index_new(); NULL = build
				       one for this call */
	int context_paragraph;      /* from +pN or In-Reply-To; 0 = none */
	int has_parent;             /* a reply to a comment (+cID, or
				       References to a relayed comment) */
	const char *author;         /* optional: the sender's display name,
				       to recognize their sign-off; may be NULL */
};

enum thread_how {
	THREAD_QUOTE,               /* placed by the quote above it */
	THREAD_REFERENCE,           /* a paragraph named in the text */
	THREAD_CONTEXT,             /* the context paragraph or subject tag */
	THREAD_GENERAL,             /* the draft as a whole */
	THREAD_PARENT,              /* an answer to the parent comment */
};

struct thread_comment {
	int paragraph;              /* display number; 0 = the draft as a whole */
	int *paragraphs;            /* every paragraph the anchor quote (or the
				       reference) touched, paragraph first */
	int nparagraphs;
	char *text;                 /* the new text, trimmed, signature-free */
	char *anchor;               /* the quoted text it answers, or NULL */
	int how;                    /* enum thread_how */
};

struct thread_result {
	struct thread_comment *comments;
	int ncomments;
	int truncated;              /* the body passed QUOTE_MAX_BODY, or the
				       comments THREAD_MAX_COMMENTS */
};

/* thread_extract - thread in->body into r (zeroed first; free with
   thread_result_free). Returns 0, or -1 when in or r is NULL. A body with
   no new text gives no comments. */
int thread_extract(const struct thread_input *in, struct thread_result *r);
/* thread_result_free - release the comments; r can be reused */
void thread_result_free(struct thread_result *r);

/* thread_how_name - "quote", "reference", "context", "general", "parent" */
const char *thread_how_name(int how);

/* thread_subject_paragraph - the paragraph a subject tags ("[¶12] …",
   "Re: [P12]", "[para 12]", "¶12"), if it is one of paras; 0 if none */
int thread_subject_paragraph(const char *subject, const struct thread_para *paras, int nparas);

#endif
