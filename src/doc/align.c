/* align.c - revision alignment: stable paragraph identity across drafts */
#include "config.h"
#include "doc/align.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/utf8.h"
#include "lib/xalloc.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

/* repeated identical texts pair with their counterparts this many ranks
   away at most (the chain then picks the in-order ones) */
#define ALIGN_EXACT_BAND 3
/* a word found in more than max(ALIGN_STOP_MIN, indexed/ALIGN_STOP_DIV)
   old blocks is too common to find candidates with */
#define ALIGN_STOP_MIN 64
#define ALIGN_STOP_DIV 8
/* besides those found by words, a new block is compared with this many
   open old blocks nearest its expected place between unchanged neighbours
   (edits in place are found even when they share no rare word) */
#define ALIGN_GAP_CANDIDATES 16
#define ALIGN_GAP_SCAN 64         /* old positions looked at around the expected place */

static const char *const change_names[] = {
	[ALIGN_UNCHANGED] = "unchanged",
	[ALIGN_EDITED] = "edited",
	[ALIGN_MOVED] = "moved",
	[ALIGN_MOVED_EDITED] = "moved+edited",
	[ALIGN_NEW] = "new",
};

/* align_change_name - the stable name of a change kind */
const char *align_change_name(enum align_change c)
{
	if ((int)c < 0 || (size_t)c >= sizeof(change_names) / sizeof(change_names[0]))
		return "unknown";
	return change_names[c];
}

/* ---- words ---- */

/* is_word_cp - a code point that belongs to a word: letters, digits and
   any non-ASCII character outside the common punctuation and space blocks */
static int is_word_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (c >= 0xa0 && c <= 0xbf)            /* Latin-1 punctuation, nbsp */
		return 0;
	if (c == 0xd7 || c == 0xf7)            /* multiplication, division */
		return 0;
	if ((c >= 0x2000 && c <= 0x206f) ||   /* general punctuation, spaces */
	    (c >= 0x2e00 && c <= 0x2e7f) ||   /* supplemental punctuation */
	    (c >= 0x3000 && c <= 0x303f) ||   /* CJK punctuation */
	    (c >= 0xfe30 && c <= 0xfe4f) ||
	    (c >= 0xff01 && c <= 0xff0f) || (c >= 0xff1a && c <= 0xff20) ||
	    c == 0xfeff || c == 0xfffd)
		return 0;
	return 1;
}

/* fold_cp - lower case for ASCII, Latin-1, Greek and Cyrillic capitals */
static uint32_t fold_cp(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0x80)
		return c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

/* mix64 - finalizer (splitmix64) to spread bigram hashes */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* words - the hashes of the folded words of s, in order */
static uint64_t *words(const char *s, int *n_r)
{
	int n = 0, cap = 16;
	uint64_t *w = xmalloc((size_t)cap * sizeof(*w));
	const char *p = s != NULL ? s : "";
	const char *end = p + strlen(p);
	uint64_t h = FNV_OFFSET;
	int in_word = 0;
	while (p <= end) {
		uint32_t c = p < end ? utf8_decode(&p, end) : 0;
		if (c == '\'' || c == 0x2019)
			continue; /* don't, students’: the apostrophe vanishes */
		if (c != 0 && is_word_cp(c)) {
			char enc[4];
			size_t k = utf8_encode(fold_cp(c), enc);
			for (size_t i = 0; i < k; i++)
				h = (h ^ (unsigned char)enc[i]) * FNV_PRIME;
			in_word = 1;
		} else if (in_word) {
			if (n == cap) {
				cap *= 2;
				w = xreallocarray(w, (size_t)cap, sizeof(*w));
			}
			w[n++] = h;
			h = FNV_OFFSET;
			in_word = 0;
		}
		if (c == 0)
			break;
	}
	*n_r = n;
	return w;
}

/* cmp_u64 - qsort order of 64-bit hashes */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* what similarity needs of one text */
struct feat {
	uint64_t *uni;  /* word hashes, sorted (a multiset) */
	uint64_t *bi;   /* word-bigram hashes, sorted */
	uint64_t *dist; /* distinct word hashes, sorted */
	int nuni, nbi, ndist;
};

/* feat_init - the features of s */
static void feat_init(struct feat *f, const char *s)
{
	uint64_t *w = words(s, &f->nuni);
	f->nbi = f->nuni > 1 ? f->nuni - 1 : 0;
	f->bi = xmalloc((size_t)(f->nbi ? f->nbi : 1) * sizeof(uint64_t));
	for (int i = 0; i < f->nbi; i++)
		f->bi[i] = mix64(w[i] * 0x9e3779b97f4a7c15ULL + w[i + 1]);
	qsort(w, (size_t)f->nuni, sizeof(*w), cmp_u64);
	qsort(f->bi, (size_t)f->nbi, sizeof(uint64_t), cmp_u64);
	f->uni = w;
	f->dist = xmalloc((size_t)(f->nuni ? f->nuni : 1) * sizeof(uint64_t));
	f->ndist = 0;
	for (int i = 0; i < f->nuni; i++)
		if (i == 0 || w[i] != w[i - 1])
			f->dist[f->ndist++] = w[i];
}

/* feat_free - release features and zero them */
static void feat_free(struct feat *f)
{
	free(f->uni);
	free(f->bi);
	free(f->dist);
	memset(f, 0, sizeof(*f));
}

/* common - size of the multiset intersection of two sorted arrays */
static int common(const uint64_t *a, int na, const uint64_t *b, int nb)
{
	int i = 0, j = 0, c = 0;
	while (i < na && j < nb) {
		if (a[i] < b[j])
			i++;
		else if (a[i] > b[j])
			j++;
		else {
			c++;
			i++;
			j++;
		}
	}
	return c;
}

/* dice - Dice coefficient of multisets of na and nb with c in common */
static double dice(int c, int na, int nb)
{
	return na + nb == 0 ? 1.0 : 2.0 * c / (na + nb);
}

/* feat_similarity - text_similarity() on computed features */
static double feat_similarity(const struct feat *a, const struct feat *b)
{
	if (a->nuni == 0 || b->nuni == 0)
		return a->nuni == b->nuni ? 1.0 : 0.0;
	double du = dice(common(a->uni, a->nuni, b->uni, b->nuni), a->nuni, b->nuni);
	if (a->nuni < 2 || b->nuni < 2)
		return du;
	double db = dice(common(a->bi, a->nbi, b->bi, b->nbi), a->nbi, b->nbi);
	return (du + db) / 2;
}

/* similarity_bound - the best score two texts of na and nb words can
   reach, from their lengths alone */
static double similarity_bound(int na, int nb)
{
	if (na == 0 || nb == 0)
		return na == nb ? 1.0 : 0.0;
	int mn = na < nb ? na : nb;
	double du = 2.0 * mn / (na + nb);
	if (na < 2 || nb < 2)
		return du;
	return (du + 2.0 * (mn - 1) / (na + nb - 2)) / 2;
}

/* text_similarity - word-based similarity of two texts */
double text_similarity(const char *a, const char *b)
{
	struct feat fa, fb;
	feat_init(&fa, a);
	feat_init(&fb, b);
	double s = feat_similarity(&fa, &fb);
	feat_free(&fa);
	feat_free(&fb);
	return s;
}

/* ---- candidate pairs ---- */

struct pair {
	int n, o;      /* new index, old index */
	double w;      /* weight on the chain */
	int exact;     /* identical texts */
};

struct pairs {
	struct pair *v;
	int n, cap;
};

/* pairs_add - append a candidate pair */
static void pairs_add(struct pairs *ps, int n, int o, double w, int exact)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->v = xreallocarray(ps->v, (size_t)ps->cap, sizeof(*ps->v));
	}
	ps->v[ps->n++] = (struct pair){ n, o, w, exact };
}

/* cmp_pair_no - pairs by new index, then old index */
static int cmp_pair_no(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return (x->o > y->o) - (x->o < y->o);
}

/* cmp_pair_best - best first; among equals, the pair nearer the diagonal */
static int cmp_pair_best(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->w != y->w)
		return x->w > y->w ? -1 : 1;
	int dx = abs(x->n - x->o), dy = abs(y->n - y->o);
	if (dx != dy)
		return dx < dy ? -1 : 1;
	return cmp_pair_no(a, b);
}

/* one text of either revision, for grouping identical texts */
struct ent {
	uint64_t h;
	const char *text;
	int side;  /* 0 old, 1 new */
	int idx;
};

/* cmp_ent - identical texts together, old before new, each in order */
static int cmp_ent(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	int c = strcmp(x->text, y->text);
	if (c != 0)
		return c;
	if (x->side != y->side)
		return x->side - y->side;
	return x->idx - y->idx;
}

/* text_hash - FNV-1a of the exact text */
static uint64_t text_hash(const char *s)
{
	uint64_t h = FNV_OFFSET;
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}

/* exact_pairs - pairs of identical texts; marks the old blocks left for
   similarity (their text has more old copies than new) and the new blocks
   to look up (more new copies than old) */
static void exact_pairs(const char *const *olds, int nold, const char *const *news, int nnew,
			struct pairs *ps, char *old_open, char *new_open)
{
	int ne = nold + nnew;
	struct ent *e = xmalloc((size_t)(ne ? ne : 1) * sizeof(*e));
	for (int i = 0; i < nold; i++)
		e[i] = (struct ent){ text_hash(olds[i]), olds[i], 0, i };
	for (int i = 0; i < nnew; i++)
		e[nold + i] = (struct ent){ text_hash(news[i]), news[i], 1, i };
	qsort(e, (size_t)ne, sizeof(*e), cmp_ent);
	for (int gs = 0; gs < ne;) {
		int ge = gs + 1;
		while (ge < ne && e[ge].h == e[gs].h && strcmp(e[ge].text, e[gs].text) == 0)
			ge++;
		int ko = 0;
		while (gs + ko < ge && e[gs + ko].side == 0)
			ko++;
		int kn = ge - gs - ko;
		for (int i = 0; i < kn; i++) {
			int lo = i - ALIGN_EXACT_BAND, hi = i + ALIGN_EXACT_BAND;
			for (int j = lo < 0 ? 0 : lo; j <= hi && j < ko; j++)
				pairs_add(ps, e[gs + ko + i].idx, e[gs + j].idx, 1.0, 1);
		}
		for (int j = 0; j < ko; j++)
			old_open[e[gs + j].idx] = ko > kn;
		for (int i = 0; i < kn; i++)
			new_open[e[gs + ko + i].idx] = kn > ko;
		gs = ge;
	}
	free(e);
}

/* ---- chains ---- */

/* heaviest_chain - mark in on[] the pairs (sorted by n, then o; o below
   no) of a heaviest chain strictly increasing in both n and o, by weight
   p->w: dynamic programming over a Fenwick tree of prefix maxima,
   O(P log no) */
static void heaviest_chain(const struct pair *p, int np, int no, char *on)
{
	memset(on, 0, (size_t)np);
	if (np == 0)
		return;
	double *tbest = xcalloc((size_t)no + 1, sizeof(double));
	int *targ = xmalloc(((size_t)no + 1) * sizeof(int));
	double *dp = xmalloc((size_t)np * sizeof(double));
	int *prev = xmalloc((size_t)np * sizeof(int));
	for (int i = 0; i <= no; i++)
		targ[i] = -1;
	for (int gs = 0; gs < np;) {
		int ge = gs;
		while (ge < np && p[ge].n == p[gs].n)
			ge++;
		/* query the whole group before updating: one pair per new block */
		for (int i = gs; i < ge; i++) {
			double best = 0;
			int arg = -1;
			for (int k = p[i].o; k > 0; k -= k & -k) /* olds < o */
				if (targ[k] >= 0 && tbest[k] > best) {
					best = tbest[k];
					arg = targ[k];
				}
			dp[i] = p[i].w + best;
			prev[i] = arg;
		}
		for (int i = gs; i < ge; i++)
			for (int k = p[i].o + 1; k <= no; k += k & -k)
				if (targ[k] < 0 || dp[i] > tbest[k]) {
					tbest[k] = dp[i];
					targ[k] = i;
				}
		gs = ge;
	}
	int end = 0;
	for (int i = 1; i < np; i++)
		if (dp[i] > dp[end])
			end = i;
	for (int i = end; i >= 0; i = prev[i])
		on[i] = 1;
	free(prev);
	free(dp);
	free(targ);
	free(tbest);
}

/* chain_match - sort the pairs by (n, o), drop repeats, and set
   old_of_new[] (else -1) from their heaviest in-order chain */
static void chain_match(struct pairs *ps, int nnew, int nold, int *old_of_new)
{
	for (int n = 0; n < nnew; n++)
		old_of_new[n] = -1;
	if (ps->n == 0)
		return;
	qsort(ps->v, (size_t)ps->n, sizeof(*ps->v), cmp_pair_no);
	int k = 0;
	for (int i = 0; i < ps->n; i++)
		if (k == 0 || ps->v[i].n != ps->v[k - 1].n || ps->v[i].o != ps->v[k - 1].o)
			ps->v[k++] = ps->v[i];
	ps->n = k;
	char *on = xmalloc((size_t)ps->n);
	heaviest_chain(ps->v, ps->n, nold, on);
	for (int i = 0; i < ps->n; i++)
		if (on[i])
			old_of_new[ps->v[i].n] = ps->v[i].o;
	free(on);
}

/* ---- similar blocks ---- */

/* one posting: old block o holds word h */
struct post {
	uint64_t h;
	int o;
};

/* cmp_post - postings by word, then old block */
static int cmp_post(const void *a, const void *b)
{
	const struct post *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return x->o - y->o;
}

/* an old block found through the index, with the uncommon words it shares */
struct hit {
	int o;
	int shared;
};

/* cmp_hit - most shared words first, then document order */
static int cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->shared != y->shared)
		return x->shared > y->shared ? -1 : 1;
	return x->o - y->o;
}

/* the open blocks (those without an identical counterpart) and an
   inverted index of the open old blocks' words */
struct simctx {
	int nold, nnew;
	const char *old_open, *new_open;
	struct feat *fo, *fn;   /* features of the open blocks */
	struct post *post;      /* (word, old block), sorted */
	int npost;
	int stop;               /* words in more old blocks than this are too common */
	int *shared;            /* [nold] scratch: words shared with the new block */
	int *seen;              /* [nold] scratch: n+1 once compared with new block n */
	struct hit *hits;       /* [nold] scratch */
	int *hist;              /* [most distinct words of a new block + 1] scratch */
};

/* simctx_init - features of the open blocks and the word index */
static void simctx_init(struct simctx *c, const char *const *olds, int nold, const char *const *news,
			int nnew, const char *old_open, const char *new_open)
{
	memset(c, 0, sizeof(*c));
	c->nold = nold;
	c->nnew = nnew;
	c->old_open = old_open;
	c->new_open = new_open;
	c->fo = xcalloc((size_t)(nold ? nold : 1), sizeof(struct feat));
	c->fn = xcalloc((size_t)(nnew ? nnew : 1), sizeof(struct feat));
	int cap = 0, nindexed = 0;
	for (int o = 0; o < nold; o++) {
		if (!old_open[o])
			continue;
		feat_init(&c->fo[o], olds[o]);
		nindexed++;
		for (int i = 0; i < c->fo[o].ndist; i++) {
			if (c->npost == cap) {
				cap = cap ? cap * 2 : 256;
				c->post = xreallocarray(c->post, (size_t)cap, sizeof(*c->post));
			}
			c->post[c->npost++] = (struct post){ c->fo[o].dist[i], o };
		}
	}
	if (c->npost > 0)
		qsort(c->post, (size_t)c->npost, sizeof(*c->post), cmp_post);
	int maxdist = 0;
	for (int n = 0; n < nnew; n++)
		if (new_open[n]) {
			feat_init(&c->fn[n], news[n]);
			if (c->fn[n].ndist > maxdist)
				maxdist = c->fn[n].ndist;
		}
	c->hist = xcalloc((size_t)maxdist + 2, sizeof(int));
	c->stop = nindexed / ALIGN_STOP_DIV;
	if (c->stop < ALIGN_STOP_MIN)
		c->stop = ALIGN_STOP_MIN;
	c->shared = xcalloc((size_t)(nold ? nold : 1), sizeof(int));
	c->seen = xcalloc((size_t)(nold ? nold : 1), sizeof(int));
	c->hits = xmalloc((size_t)(nold ? nold : 1) * sizeof(struct hit));
}

/* simctx_free - release a simctx */
static void simctx_free(struct simctx *c)
{
	for (int o = 0; o < c->nold; o++)
		feat_free(&c->fo[o]);
	for (int n = 0; n < c->nnew; n++)
		feat_free(&c->fn[n]);
	free(c->fo);
	free(c->fn);
	free(c->post);
	free(c->shared);
	free(c->seen);
	free(c->hits);
	free(c->hist);
}

/* consider - compare new block n with open old block o (once per pass),
   keeping the pair when similar enough */
static void consider(struct simctx *c, struct pairs *ps, int n, int o)
{
	if (c->seen[o] == n + 1)
		return;
	c->seen[o] = n + 1;
	const struct feat *fn = &c->fn[n], *fo = &c->fo[o];
	if (similarity_bound(fn->nuni, fo->nuni) < ALIGN_MIN_SIMILARITY)
		return;
	double s = feat_similarity(fn, fo);
	if (s >= ALIGN_MIN_SIMILARITY)
		pairs_add(ps, n, o, s * s * 0.999, 0);
}

/* posting_run - the postings of word h: [*lo_r, return) */
static int posting_run(const struct simctx *c, uint64_t h, int *lo_r)
{
	int lo = 0, hi = c->npost;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (c->post[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	int end = lo;
	while (end < c->npost && c->post[end].h == h)
		end++;
	*lo_r = lo;
	return end;
}

/* select_hits - move the ALIGN_MAX_CANDIDATES hits sharing most words to
   the front, best first, and reset the counts; returns how many. A count
   histogram finds the cut, so only the chosen few are sorted. */
static int select_hits(struct simctx *c, int nhits)
{
	int maxs = 0;
	for (int i = 0; i < nhits; i++) {
		int s = c->shared[c->hits[i].o];
		c->shared[c->hits[i].o] = 0;
		c->hits[i].shared = s;
		if (s > maxs)
			maxs = s;
	}
	if (nhits > ALIGN_MAX_CANDIDATES) {
		memset(c->hist, 0, ((size_t)maxs + 1) * sizeof(int));
		for (int i = 0; i < nhits; i++)
			c->hist[c->hits[i].shared]++;
		int cut = maxs, above = 0;
		while (cut > 1 && above + c->hist[cut] < ALIGN_MAX_CANDIDATES)
			above += c->hist[cut--];
		int at_cut = ALIGN_MAX_CANDIDATES - above, k = 0;
		for (int i = 0; i < nhits; i++) {
			int s = c->hits[i].shared;
			if (s > cut || (s == cut && at_cut-- > 0))
				c->hits[k++] = c->hits[i];
		}
		nhits = k;
	}
	qsort(c->hits, (size_t)nhits, sizeof(*c->hits), cmp_hit);
	return nhits;
}

/* word_candidates - for each open new block with words, the
   ALIGN_MAX_CANDIDATES open old blocks sharing most of its uncommon words
   (its rarest word when all are common) */
static void word_candidates(struct simctx *c, struct pairs *ps)
{
	for (int n = 0; n < c->nnew && c->npost > 0; n++) {
		const struct feat *fn = &c->fn[n];
		if (!c->new_open[n] || fn->nuni == 0)
			continue; /* no words: only an identical text continues it */
		int nhits = 0, used = 0, rare_lo = 0, rare_len = 0;
		for (int i = 0; i < fn->ndist; i++) {
			int lo, end = posting_run(c, fn->dist[i], &lo);
			int len = end - lo;
			if (len == 0)
				continue;
			if (rare_len == 0 || len < rare_len) {
				rare_len = len;
				rare_lo = lo;
			}
			if (len > c->stop)
				continue;
			used = 1;
			for (int k = lo; k < end; k++)
				if (c->shared[c->post[k].o]++ == 0)
					c->hits[nhits++].o = c->post[k].o;
		}
		if (!used)
			for (int k = rare_lo; k < rare_lo + rare_len; k++)
				if (c->shared[c->post[k].o]++ == 0)
					c->hits[nhits++].o = c->post[k].o;
		int nsel = select_hits(c, nhits);
		for (int i = 0; i < nsel; i++)
			consider(c, ps, n, c->hits[i].o);
	}
}

/* gap_candidates - for each open new block left unmatched, the
   ALIGN_GAP_CANDIDATES open old blocks nearest its expected place: between
   the old blocks continued by its nearest matched neighbours, at the same
   offset from the left one (edits in place are found even when they share
   no uncommon word) */
static void gap_candidates(struct simctx *c, const int *old_of_new, struct pairs *ps)
{
	int prev_n = -1, prev_o = -1;
	int *next_o = xmalloc((size_t)(c->nnew ? c->nnew : 1) * sizeof(int));
	int next = c->nold;
	for (int n = c->nnew - 1; n >= 0; n--) {
		next_o[n] = next;
		if (old_of_new[n] >= 0)
			next = old_of_new[n];
	}
	memset(c->seen, 0, (size_t)(c->nold ? c->nold : 1) * sizeof(int));
	for (int n = 0; n < c->nnew; n++) {
		if (old_of_new[n] >= 0) {
			prev_n = n;
			prev_o = old_of_new[n];
			continue;
		}
		if (!c->new_open[n] || c->fn[n].nuni == 0)
			continue;
		int lo = prev_o + 1, hi = next_o[n] - 1;
		int expect = lo + (n - prev_n - 1);
		if (expect > hi)
			expect = hi;
		int found = 0;
		for (int dist = 0; dist <= ALIGN_GAP_SCAN / 2 && found < ALIGN_GAP_CANDIDATES; dist++) {
			if (expect - dist < lo && expect + dist > hi)
				break;
			for (int side = 1; side >= -1; side -= 2) {
				int o = expect + side * dist;
				if ((dist == 0 && side < 0) || o < lo || o > hi || !c->old_open[o])
					continue;
				found++;
				consider(c, ps, n, o);
			}
		}
	}
	free(next_o);
}

/* ---- alignment ---- */

/* draft_align - align two revisions' block texts */
int draft_align(const char *const *old_texts, int nold, const char *const *new_texts, int nnew,
		struct align_result *r)
{
	memset(r, 0, sizeof(*r));
	if (nold < 0 || nnew < 0 || (nold > 0 && old_texts == NULL) || (nnew > 0 && new_texts == NULL))
		return -1;
	const char **olds = xmalloc((size_t)(nold ? nold : 1) * sizeof(char *));
	const char **news = xmalloc((size_t)(nnew ? nnew : 1) * sizeof(char *));
	for (int i = 0; i < nold; i++)
		olds[i] = old_texts[i] != NULL ? old_texts[i] : "";
	for (int i = 0; i < nnew; i++)
		news[i] = new_texts[i] != NULL ? new_texts[i] : "";
	r->nnew = nnew;
	r->nold = nold;
	r->old_of_new = xmalloc((size_t)(nnew ? nnew : 1) * sizeof(int));
	r->change = xmalloc((size_t)(nnew ? nnew : 1) * sizeof(enum align_change));

	/* candidates: identical texts, blocks sharing uncommon words, then
	   for blocks still unmatched, the old blocks where they are expected */
	struct pairs ps = { NULL, 0, 0 };
	char *old_open = xcalloc((size_t)(nold ? nold : 1), 1);
	char *new_open = xcalloc((size_t)(nnew ? nnew : 1), 1);
	exact_pairs(olds, nold, news, nnew, &ps, old_open, new_open);
	struct simctx sc;
	simctx_init(&sc, olds, nold, news, nnew, old_open, new_open);
	word_candidates(&sc, &ps);
	chain_match(&ps, nnew, nold, r->old_of_new);
	gap_candidates(&sc, r->old_of_new, &ps);
	simctx_free(&sc);
	free(old_open);
	free(new_open);

	/* the heaviest in-order chain first, then the rest best first */
	chain_match(&ps, nnew, nold, r->old_of_new);
	int *new_of_old = xmalloc((size_t)(nold ? nold : 1) * sizeof(int));
	for (int i = 0; i < nold; i++)
		new_of_old[i] = -1;
	for (int n = 0; n < nnew; n++)
		if (r->old_of_new[n] >= 0)
			new_of_old[r->old_of_new[n]] = n;
	double *wt = xcalloc((size_t)(nnew ? nnew : 1), sizeof(double));
	for (int i = 0; i < ps.n; i++)
		if (r->old_of_new[ps.v[i].n] == ps.v[i].o)
			wt[ps.v[i].n] = ps.v[i].w;
	if (ps.n > 0)
		qsort(ps.v, (size_t)ps.n, sizeof(*ps.v), cmp_pair_best);
	for (int i = 0; i < ps.n; i++) {
		const struct pair *p = &ps.v[i];
		if (r->old_of_new[p->n] >= 0 || new_of_old[p->o] >= 0)
			continue;
		r->old_of_new[p->n] = p->o;
		new_of_old[p->o] = p->n;
		wt[p->n] = p->w;
	}
	free(ps.v);

	/* moved: off a longest increasing subsequence of the matched pairs
	   (weights only break ties between equally long ones) */
	struct pair *m = xmalloc((size_t)(nnew ? nnew : 1) * sizeof(*m));
	int nm = 0;
	for (int n = 0; n < nnew; n++)
		if (r->old_of_new[n] >= 0)
			m[nm++] = (struct pair){ n, r->old_of_new[n], 0, 0 };
	for (int i = 0; i < nm; i++)
		m[i].w = 1.0 + wt[m[i].n] / (2.0 * (nm + 1));
	char *in_order = xmalloc((size_t)(nm ? nm : 1));
	heaviest_chain(m, nm, nold, in_order);
	for (int n = 0; n < nnew; n++)
		r->change[n] = ALIGN_NEW;
	for (int i = 0; i < nm; i++) {
		int same = strcmp(news[m[i].n], olds[m[i].o]) == 0;
		if (in_order[i])
			r->change[m[i].n] = same ? ALIGN_UNCHANGED : ALIGN_EDITED;
		else
			r->change[m[i].n] = same ? ALIGN_MOVED : ALIGN_MOVED_EDITED;
	}
	free(in_order);
	free(m);
	free(wt);

	r->retired = xmalloc((size_t)(nold ? nold : 1) * sizeof(int));
	for (int o = 0; o < nold; o++)
		if (new_of_old[o] < 0)
			r->retired[r->nretired++] = o;
	free(new_of_old);
	free(olds);
	free(news);
	return 0;
}

/* align_result_free - release a result */
void align_result_free(struct align_result *r)
{
	free(r->old_of_new);
	free(r->change);
	free(r->retired);
	memset(r, 0, sizeof(*r));
}
