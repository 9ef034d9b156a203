#ifndef TAGD_DOC_ALIGN_H
#define TAGD_DOC_ALIGN_H
/* Revision alignment: which block of a new draft revision continues which
   block of the old one, so that a paragraph keeps its identity (and its
   comments) across revisions while its display number changes.

   Alignment is by content, not position:
   1. Identical texts pair up (hashing; repeated texts pair in order).
   2. The blocks left over are compared with text_similarity(), never all
      against all: a new block is compared with the ALIGN_MAX_CANDIDATES old
      blocks sharing most of its uncommon words (an inverted index; words in
      many blocks are not used to find candidates), and, when that leaves it
      unmatched, with the old blocks nearest its expected place between its
      matched neighbours (edits in place). Pairs scoring below
      ALIGN_MIN_SIMILARITY are not candidates.
   3. Of all candidate pairs, the heaviest chain in the order of both
      revisions is taken first (weight: 1 for identical text, similarity
      squared otherwise), so that in-order matches win ties and near
      duplicates are not crossed; the candidates left over (moved blocks)
      are then taken greedily, best first. Every old block continues at
      most one new block.
   Cost: hashing and sorting, O(W log W) for W words in all; then, per new
   block without an identical counterpart, a walk over the index entries of
   its uncommon words (each list at most max(64, B/8) long for B old
   blocks) and at most ALIGN_MAX_CANDIDATES + 16 similarity computations.
   A matched block is "moved" when it is not on a longest increasing
   subsequence of the matched pairs (its relative order changed; blocks
   merely shifted by insertions or deletions are not moved). "edited" means
   the text differs at all, even in punctuation or case. */

#define ALIGN_MIN_SIMILARITY 0.5   /* below this a block is new, not edited */
#define ALIGN_MAX_CANDIDATES 32    /* similarity computations per new block */

enum align_change {
	ALIGN_UNCHANGED,     /* same text, relative order kept */
	ALIGN_EDITED,        /* similar text, relative order kept */
	ALIGN_MOVED,         /* same text, relative order changed */
	ALIGN_MOVED_EDITED,  /* similar text, relative order changed */
	ALIGN_NEW,           /* continues no old block */
};

/* align_change_name - "unchanged", "edited", "moved", "moved+edited",
   "new"; "unknown" outside the enum */
const char *align_change_name(enum align_change c);

struct align_result {
	int nnew;
	int *old_of_new;             /* [nnew]: index into the old texts, or -1 */
	enum align_change *change;   /* [nnew] */
	int nold;
	int *retired;                /* old indices continued by no new block, ascending */
	int nretired;
};

/* draft_align - align the numbered block texts of an old revision
   (old_texts[0..nold-1]) with those of a new one. Fills *r (free with
   align_result_free); texts are NUL-terminated UTF-8, NULL is read as "".
   Returns 0, or -1 when a count is negative (r is then zeroed). */
int draft_align(const char *const *old_texts, int nold, const char *const *new_texts, int nnew,
		struct align_result *r);

/* align_result_free - release the arrays of r and zero it */
void align_result_free(struct align_result *r);

/* text_similarity - how alike two texts are, 0 (nothing shared) to 1 (the
   same words in the same order). Word-based: words are runs of letters and
   digits, compared without case (ASCII, Latin-1, Greek, Cyrillic) and
   without punctuation (apostrophes inside words are dropped). The score is
   the mean of the Dice coefficients of the two texts' word multisets and
   word-bigram multisets (words only when a text has fewer than two words).
   Two texts without words score 1, one without words against one with
   words 0. */
double text_similarity(const char *a, const char *b);

#endif
