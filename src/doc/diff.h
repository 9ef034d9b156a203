#ifndef TAGD_DOC_DIFF_H
#define TAGD_DOC_DIFF_H
/* Word diff between two texts (e.g. a paragraph in two revisions), in the
   style of wdiff. Words are runs of non-whitespace and compare byte for
   byte (case and punctuation count). The shortest edit script is found with
   Myers' O(ND) algorithm after the common prefix and suffix are stripped.

   Output: kept words as they are; a run of changes as the removed words
   then the added words, "[-old words-]{+new words+}" in text,
   "<del>old words</del><ins>new words</ins>" in HTML (where every piece of
   text is HTML-escaped). Whitespace comes from the new text (from the old
   one inside a removal); a change next to a kept word is always set apart
   by at least one space.

   Bounded work and memory: when the differing middle holds more than
   DIFF_MAX_TOKENS words, or needs more than DIFF_MAX_EDITS word insertions
   and removals, it is shown as one whole replacement instead (still a
   correct diff, only not a minimal one). */
#include "lib/buf.h"

#define DIFF_MAX_TOKENS 20000  /* words in the differing middle, both texts together */
#define DIFF_MAX_EDITS  1000   /* insertions + removals searched for (memory ~ EDITS^2 ints) */

struct diff_stats {
	int added;    /* words only in the new text */
	int removed;  /* words only in the old text */
	int kept;     /* words in both */
};

/* word_diff_text - the diff of a (old) to b (new) appended to out as
   wdiff-style text; NULL texts read as "". st, when not NULL, gets the
   word counts. A buffer that reaches its cap stops growing and is marked
   overflowed (see lib/buf.h). */
void word_diff_text(const char *a, const char *b, struct buf *out, struct diff_stats *st);

/* word_diff_html - the same diff as an HTML fragment with <del> and <ins> */
void word_diff_html(const char *a, const char *b, struct buf *out, struct diff_stats *st);

#endif
