#include "config.h"
#include "tag/thread.h"
#include "tag/quote.h"
#include "filters/signature.h"
#include "lib/buf.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Shingles are runs of this many words. Three words are specific enough
   that a chance match is rare, and short enough that a quoted fragment of
   half a sentence still yields several. */
#define SHINGLE_WORDS    3
/* A quote touching at least this share of the draft's paragraphs (and at
   least BROAD_MIN of them) is the draft quoted whole, not an anchor. */
#define BROAD_MIN        5
/* A quote group touching at least this many paragraphs is an untrimmed
   quote: the answer belongs to the paragraph right above it (the top one of
   the last quoted block of at least UNTRIMMED_BLOCK shingles), not to the
   one holding most of the quote. */
#define UNTRIMMED_MIN    4
#define UNTRIMMED_BLOCK  3
/* ... and so is a quote holding UNTRIMMED_WHOLE paragraphs whole (a
   paragraph is whole when WHOLE_SHARE of its shingles are quoted) */
#define UNTRIMMED_WHOLE  3
#define WHOLE_SHARE      0.6
/* Numbers in one reference list ("¶3-¶7", "paras 2, 4 and 9") */
#define REF_MAX          16
#define REF_RANGE_MAX    20
/* Words of one quote block that are looked at (a larger block is the
   draft quoted whole or something else; its start is enough to judge) */
#define BLOCK_MAX_WORDS  4000

/* ---- words ----------------------------------------------------------- */

static int cp_apostrophe(uint32_t c)
{
	return c == '\'' || c == 0x2019 || c == 0x2018 || c == 0x02bc || c == 0x00b4 || c == '`';
}

/* cp_cjk - a Han or Kana character: a word on its own */
static int cp_cjk(uint32_t c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf);
}

/* cp_word - a character that is part of a word (letters, digits) */
static int cp_word(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
	if (c < 0xc0)
		return c == 0xaa || c == 0xb5 || c == 0xba;
	if (c == 0xd7 || c == 0xf7)
		return 0;
	if (c >= 0x2000 && c <= 0x2bff)
		return 0;
	if (c >= 0x3000 && c <= 0x303f)
		return 0;
	if (c >= 0xfe30 && c <= 0xfe4f)
		return 0;
	if (c >= 0xff00 && c <= 0xff0f)
		return 0;
	if ((c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) || (c >= 0xff5b && c <= 0xff65))
		return 0;
	if (c == 0xfffd || c >= 0x1f000)
		return 0;
	return 1;
}

/* cp_lower - lowercase for ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic */
static uint32_t cp_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c < 0xc0)
		return c;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f && (c & 1) == 0 && c != 0x130 && c != 0x138)
		return c + 1;
	if (c >= 0x391 && c <= 0x3a9)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	return c;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

/* A word stream over text: lowercased, apostrophes dropped, paragraph
   markers ("¶12", "[12]") skipped. */
struct words {
	const char *p, *end;
};

/* skip_marker - at "¶ 12" or "[12]" return the position after it, else p */
static const char *skip_marker(const char *p, const char *end)
{
	const unsigned char *u = (const unsigned char *)p;
	const char *q = NULL;
	if (end - p >= 3 && u[0] == 0xc2 && u[1] == 0xb6) {
		q = p + 2;
		while (q < end && *q == ' ')
			q++;
		const char *d = q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == d || q - d > 5)
			return p;
		return q;
	}
	if (u[0] == '[') {
		q = p + 1;
		const char *d = q;
		while (q < end && *q >= '0' && *q <= '9')
			q++;
		if (q == d || q - d > 5 || q >= end || *q != ']')
			return p;
		return q + 1;
	}
	return p;
}

/* ascii_class - for bytes below 0x80: 1 letter or digit, 2 apostrophe, 0 other */
static const unsigned char ascii_class[128] = {
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
	['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
	['\''] = 2, ['`'] = 2,
};

/* next_char - the next code point (ASCII without decoding) */
static uint32_t next_char(const char **p, const char *end)
{
	unsigned char c = (unsigned char)**p;
	if (c < 0x80) {
		(*p)++;
		return c;
	}
	return utf8_decode(p, end);
}

/* next_word - the hash of the next word, 0 at the end */
static int next_word(struct words *w, uint64_t *h_r)
{
	const char *end = w->end;
	while (w->p < end) {
		unsigned char b0 = (unsigned char)*w->p;
		if (b0 == '[' || b0 == 0xc2) {
			const char *m = skip_marker(w->p, end);
			if (m != w->p) {
				w->p = m;
				continue;
			}
		}
		if (b0 < 0x80 && ascii_class[b0] != 1) {
			w->p++;
			continue;
		}
		const char *save = w->p;
		uint32_t c = next_char(&w->p, end);
		if (!cp_word(c))
			continue;
		uint64_t h = FNV_OFFSET;
		if (cp_cjk(c)) {
			*h_r = (h ^ c) * FNV_PRIME;
			return 1;
		}
		w->p = save;
		while (w->p < end) {
			unsigned char b = (unsigned char)*w->p;
			if (b < 0x80) {
				unsigned char k = ascii_class[b];
				if (k == 0)
					break;
				w->p++;
				if (k == 2)
					continue;   /* apostrophes join: "can't" = "cant" */
				h = (h ^ (uint32_t)(b >= 'A' && b <= 'Z' ? b + 32 : b)) * FNV_PRIME;
				continue;
			}
			const char *at = w->p;
			c = utf8_decode(&w->p, end);
			if (cp_apostrophe(c))
				continue;
			if (!cp_word(c) || cp_cjk(c)) {
				w->p = at;
				break;
			}
			h = (h ^ cp_lower(c)) * FNV_PRIME;
		}
		*h_r = h;
		return 1;
	}
	return 0;
}

/* mix64 - a 64-bit finalizer (splitmix64) */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* shingle_key - the key of words w[0..k) */
static uint64_t shingle_key(const uint64_t *w, int k)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1);
	for (int i = 0; i < k; i++)
		x = mix64(x ^ w[i]) + (uint64_t)i;
	return x ? x : 1;
}

struct wordvec {
	uint64_t *v;
	int n, cap;
};

/* words_of - the word hashes of s into wv, at most max */
static void words_of(const char *s, size_t len, struct wordvec *wv, int max)
{
	struct words w = { s, s + len };
	uint64_t h;
	wv->n = 0;
	while (wv->n < max && next_word(&w, &h)) {
		if (wv->n == wv->cap) {
			wv->cap = wv->cap ? wv->cap * 2 : 64;
			wv->v = xreallocarray(wv->v, (size_t)wv->cap, sizeof(*wv->v));
		}
		wv->v[wv->n++] = h;
	}
}

/* ---- the index ---------------------------------------------------------- */

struct tentry {
	uint64_t key;
	int para;               /* index into the paragraphs; -1 = empty slot */
};

struct thread_index {
	int nparas;
	int *numbers;           /* display number of each paragraph */
	int *nshingles;         /* shingles of each paragraph */
	int *byno;              /* paragraph index by number, -1 if none */
	int maxno;
	struct tentry *tab;
	size_t mask;
};

/* slot_of - the first slot of key in the table */
static size_t slot_of(uint64_t key, size_t mask)
{
	return (size_t)(key ^ (key >> 29)) & mask;
}

/* index_put - add (key, paragraph) unless it is there */
static void index_put(struct thread_index *x, uint64_t key, int para)
{
	size_t i = slot_of(key, x->mask);
	while (x->tab[i].para >= 0) {
		if (x->tab[i].key == key && x->tab[i].para == para)
			return;
		i = (i + 1) & x->mask;
	}
	x->tab[i].key = key;
	x->tab[i].para = para;
}

/* index_get - the paragraphs holding key into out (at most max); the count */
static int index_get(const struct thread_index *x, uint64_t key, int *out, int max)
{
	int n = 0;
	if (!x->tab)
		return 0;
	size_t i = slot_of(key, x->mask);
	while (x->tab[i].para >= 0) {
		if (x->tab[i].key == key) {
			if (n < max)
				out[n] = x->tab[i].para;
			n++;
		}
		i = (i + 1) & x->mask;
	}
	return n < max ? n : max;
}

/* thread_index_new - word shingles of every paragraph into one hash table */
struct thread_index *thread_index_new(const struct thread_para *paras, int n)
{
	struct thread_index *x = xcalloc(1, sizeof(*x));
	if (n < 0 || !paras)
		n = 0;
	if (n > THREAD_MAX_PARAS)
		n = THREAD_MAX_PARAS;
	x->nparas = n;
	x->numbers = xcalloc((size_t)(n ? n : 1), sizeof(int));
	x->nshingles = xcalloc((size_t)(n ? n : 1), sizeof(int));
	int maxno = 0;
	for (int i = 0; i < n; i++) {
		x->numbers[i] = paras[i].number;
		if (paras[i].number > maxno && paras[i].number <= 10 * THREAD_MAX_PARAS)
			maxno = paras[i].number;
	}
	x->maxno = maxno;
	x->byno = xmalloc(sizeof(int) * (size_t)(maxno + 1));
	for (int i = 0; i <= maxno; i++)
		x->byno[i] = -1;
	for (int i = 0; i < n; i++)
		if (paras[i].number > 0 && paras[i].number <= maxno && x->byno[paras[i].number] < 0)
			x->byno[paras[i].number] = i;
	/* word vectors first, to size the table */
	struct wordvec *wv = xcalloc((size_t)(n ? n : 1), sizeof(*wv));
	size_t total = 0;
	for (int i = 0; i < n; i++) {
		const char *t = paras[i].text ? paras[i].text : "";
		words_of(t, strlen(t), &wv[i], 1 << 20);
		x->nshingles[i] = wv[i].n >= SHINGLE_WORDS ? wv[i].n - SHINGLE_WORDS + 1 : wv[i].n > 0;
		total += wv[i].n >= SHINGLE_WORDS ? (size_t)(wv[i].n - SHINGLE_WORDS + 1) : 1;
	}
	size_t cap = 16;
	while (cap < 2 * total + 16)
		cap *= 2;
	x->tab = xmalloc(sizeof(*x->tab) * cap);
	x->mask = cap - 1;
	for (size_t i = 0; i < cap; i++)
		x->tab[i].para = -1;
	for (int i = 0; i < n; i++) {
		if (wv[i].n >= SHINGLE_WORDS) {
			for (int k = 0; k + SHINGLE_WORDS <= wv[i].n; k++)
				index_put(x, shingle_key(wv[i].v + k, SHINGLE_WORDS), i);
		} else if (wv[i].n > 0) {
			index_put(x, shingle_key(wv[i].v, wv[i].n), i);
		}
		free(wv[i].v);
	}
	free(wv);
	return x;
}

/* thread_index_free - release the index */
void thread_index_free(struct thread_index **idx)
{
	if (!idx || !*idx)
		return;
	free((*idx)->numbers);
	free((*idx)->nshingles);
	free((*idx)->byno);
	free((*idx)->tab);
	free(*idx);
	*idx = NULL;
}

/* valid_number - no is the display number of a paragraph */
static int valid_number(const struct thread_index *x, long no)
{
	return no > 0 && no <= x->maxno && x->byno[no] >= 0;
}

/* ---- references ------------------------------------------------------- */

struct ref {
	int n;
	int nums[REF_MAX];
	size_t end;             /* offset after the reference (list) */
};

/* ascii_lc - ASCII lowercase */
static int ascii_lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* ascii_alnum - an ASCII letter or digit */
static int ascii_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ci_at - s[i..] starts with w (lowercase), ASCII case ignored */
static int ci_at(const char *s, size_t n, size_t i, const char *w)
{
	for (size_t k = 0; w[k]; k++)
		if (i + k >= n || ascii_lc((unsigned char)s[i + k]) != (unsigned char)w[k])
			return 0;
	return 1;
}

/* read_number - digits at s[*i] forming a paragraph number (not a time,
   a decimal or a percentage); advances *i */
static int read_number(const char *s, size_t n, size_t *i, long *no_r)
{
	size_t k = *i;
	long v = 0;
	while (k < n && s[k] >= '0' && s[k] <= '9' && k - *i < 6)
		v = v * 10 + (s[k++] - '0');
	if (k == *i || (k < n && s[k] >= '0' && s[k] <= '9'))
		return 0;
	if (k + 1 < n && (s[k] == '.' || s[k] == ':' || s[k] == ',') && s[k + 1] >= '0' && s[k + 1] <= '9')
		return 0;
	if (k < n && (s[k] == '%' || ascii_alnum((unsigned char)s[k])))
		return 0;
	*i = k;
	*no_r = v;
	return 1;
}

static const char *const para_words[] = {
	"paragraphs", "paragraph", "paragraphe", "paras", "para", "párrafo",
	"parágrafo", "absatz", "abs.", NULL
};

/* ref_token - a single reference at s[i]: "¶12", "¶ 12", "[12]", "P12",
   "para 12", "paragraph 12", "para. 12", "para #12". prose: the stricter
   forms for running text (an uppercase P). Advances *i past it. */
static int ref_token(const char *s, size_t n, size_t *i, long *no_r, int prose)
{
	size_t k = *i;
	const unsigned char *u = (const unsigned char *)s;
	if (k + 1 < n && u[k] == 0xc2 && (u[k + 1] == 0xb6 || u[k + 1] == 0xa7)) {
		k += 2;   /* ¶ or § */
		if (k + 1 < n && u[k] == 0xc2 && (u[k + 1] == 0xb6 || u[k + 1] == 0xa7))
			k += 2;  /* "¶¶3-5" */
		while (k < n && s[k] == ' ')
			k++;
		if (!read_number(s, n, &k, no_r))
			return 0;
		*i = k;
		return 1;
	}
	if (k > 0 && ascii_alnum(u[k - 1]))
		return 0;
	if (s[k] == '[') {
		k++;
		if (!read_number(s, n, &k, no_r) || k >= n || s[k] != ']')
			return 0;
		k++;
		if (k < n && (s[k] == '(' || s[k] == '['))
			return 0;   /* a Markdown link */
		*i = k;
		return 1;
	}
	if (s[k] == 'P' || (!prose && s[k] == 'p')) {
		k++;
		if (k < n && s[k] >= '0' && s[k] <= '9' && read_number(s, n, &k, no_r)) {
			*i = k;
			return 1;
		}
		k = *i;
	}
	for (int w = 0; para_words[w]; w++) {
		if (!ci_at(s, n, k, para_words[w]))
			continue;
		size_t j = k + strlen(para_words[w]);
		if (j < n && s[j] == '.')
			j++;
		if (j >= n || (s[j] != ' ' && s[j] != '#' && !(s[j] >= '0' && s[j] <= '9')))
			continue;
		while (j < n && (s[j] == ' ' || s[j] == '#'))
			j++;
		if (ci_at(s, n, j, "no. "))
			j += 4;
		if (!read_number(s, n, &j, no_r))
			continue;
		*i = j;
		return 1;
	}
	return 0;
}

/* ref_add - add a number to a reference list once */
static void ref_add(struct ref *r, long no)
{
	for (int i = 0; i < r->n; i++)
		if (r->nums[i] == no)
			return;
	if (r->n < REF_MAX)
		r->nums[r->n++] = (int)no;
}

/* ref_list - a reference and its continuation ("¶3, ¶5 and ¶7", "paras
   3-5", "P2/P4") at s[i]; valid numbers only. 1 if found. */
static int ref_list(const struct thread_index *x, const char *s, size_t n, size_t i, int prose,
		    struct ref *r)
{
	long no;
	size_t k = i;
	r->n = 0;
	if (!ref_token(s, n, &k, &no, prose) || !valid_number(x, no))
		return 0;
	ref_add(r, no);
	long prev = no;
	for (;;) {
		size_t j = k;
		while (j < n && s[j] == ' ')
			j++;
		int range = 0;
		if (j < n && (s[j] == ',' || s[j] == '&' || s[j] == '/')) {
			j++;
		} else if (j < n && s[j] == '-') {
			j++;
			range = 1;
		} else if (j + 2 < n && (unsigned char)s[j] == 0xe2 && (unsigned char)s[j + 1] == 0x80 &&
			   ((unsigned char)s[j + 2] == 0x93 || (unsigned char)s[j + 2] == 0x94)) {
			j += 3;
			range = 1;
		} else if (ci_at(s, n, j, "and ") || ci_at(s, n, j, "und ")) {
			j += 4;
		} else if (ci_at(s, n, j, "to ")) {
			j += 3;
			range = 1;
		} else if (ci_at(s, n, j, "et ") || ci_at(s, n, j, "y ")) {
			j += s[j] == 'y' || s[j] == 'Y' ? 2 : 3;
		} else {
			break;
		}
		while (j < n && s[j] == ' ')
			j++;
		long next;
		size_t t = j;
		if (j < n && s[j] >= '0' && s[j] <= '9') {
			if (!read_number(s, n, &t, &next))
				break;
		} else if (!ref_token(s, n, &t, &next, 0)) {
			break;
		}
		if (!valid_number(x, next))
			break;
		if (range && next > prev && next - prev <= REF_RANGE_MAX) {
			for (long v = prev + 1; v <= next; v++)
				if (valid_number(x, v))
					ref_add(r, v);
		} else {
			ref_add(r, next);
		}
		prev = next;
		k = t;
	}
	r->end = k;
	return 1;
}

/* footnote_at - "[1] http://…" or "[1]: http://…": a link footnote */
static int footnote_at(const char *s, size_t n, size_t end)
{
	while (end < n && (s[end] == ' ' || s[end] == ':'))
		end++;
	return ci_at(s, n, end, "http") || ci_at(s, n, end, "www.") || ci_at(s, n, end, "<http");
}

/* find_prose_ref - the first reference anywhere in s */
static int find_prose_ref(const struct thread_index *x, const char *s, size_t n, struct ref *r)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != 0xc2 && c != '[' && c != 'P' && c != 'p' && c != 'a' && c != 'A')
			continue;
		if (ref_list(x, s, n, i, 1, r) && !(c == '[' && footnote_at(s, n, r->end)))
			return 1;
	}
	return 0;
}

/* thread_subject_paragraph - the first reference in the subject */
int thread_subject_paragraph(const char *subject, const struct thread_para *paras, int nparas)
{
	if (!subject || !paras || nparas <= 0)
		return 0;
	struct thread_index x;
	memset(&x, 0, sizeof(x));
	int maxno = 0;
	for (int i = 0; i < nparas; i++)
		if (paras[i].number > maxno && paras[i].number <= 10 * THREAD_MAX_PARAS)
			maxno = paras[i].number;
	int *byno = xmalloc(sizeof(int) * (size_t)(maxno + 1));
	for (int i = 0; i <= maxno; i++)
		byno[i] = -1;
	for (int i = 0; i < nparas; i++)
		if (paras[i].number > 0 && paras[i].number <= maxno)
			byno[paras[i].number] = i;
	x.byno = byno;
	x.maxno = maxno;
	struct ref r;
	int found = find_prose_ref(&x, subject, strlen(subject), &r) ? r.nums[0] : 0;
	free(byno);
	return found;
}

/* ---- quotes against the draft ------------------------------------------- */

struct matcher {
	const struct thread_index *x;
	double *w;              /* weight per paragraph, for one group */
	int *touched;           /* paragraphs with weight, to reset */
	int ntouched;
	double *bw;             /* weight per paragraph, for one block */
	int *btouched;
	int nbtouched;
	int last_para;          /* top paragraph of the last accepted block of
				   at least UNTRIMMED_BLOCK shingles; -1 none */
	struct wordvec wv;
};

struct anchor {
	int ok;
	int paragraph;          /* display number */
	int *paras;             /* display numbers, main first */
	int nparas;
	char *text;             /* the matched quote blocks */
};

/* anchor_clear - release an anchor and zero it */
static void anchor_clear(struct anchor *a)
{
	free(a->paras);
	free(a->text);
	memset(a, 0, sizeof(*a));
}

/* block_marker - "[12] …" or "¶12 …" (after a bullet) opening a block */
static long block_marker(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '*' || s[i] == '-'))
		i++;
	if (i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
	    (unsigned char)s[i + 2] == 0xa2) {
		i += 3;   /* • */
		while (i < n && s[i] == ' ')
			i++;
	}
	const unsigned char *u = (const unsigned char *)s;
	long no = 0;
	size_t k;
	if (i + 1 < n && u[i] == 0xc2 && u[i + 1] == 0xb6) {
		k = i + 2;
		while (k < n && s[k] == ' ')
			k++;
		if (read_number(s, n, &k, &no) || (k < n && s[k] == ' '))
			return no;
		return no;
	}
	if (i < n && s[i] == '[') {
		k = i + 1;
		while (k < n && s[k] >= '0' && s[k] <= '9' && k - i < 6)
			no = no * 10 + (s[k++] - '0');
		if (k < n && s[k] == ']')
			return no;
	}
	return 0;
}

/* match_block - weigh one block of quoted text; 1 if it is draft text */
static int match_block(struct matcher *m, const char *s, size_t n)
{
	const struct thread_index *x = m->x;
	words_of(s, n, &m->wv, BLOCK_MAX_WORDS);
	int nw = m->wv.n;
	if (nw == 0 || x->nparas == 0)
		return 0;
	int nsh = nw >= SHINGLE_WORDS ? nw - SHINGLE_WORDS + 1 : 1;
	int k = nw >= SHINGLE_WORDS ? SHINGLE_WORDS : nw;
	int hits = 0;
	m->nbtouched = 0;
	int got[64];
	for (int i = 0; i < nsh; i++) {
		int c = index_get(x, shingle_key(m->wv.v + i, k), got, 64);
		if (c == 0)
			continue;
		hits++;
		for (int j = 0; j < c; j++) {
			int p = got[j];
			if (m->bw[p] == 0)
				m->btouched[m->nbtouched++] = p;
			m->bw[p] += 1.0 / c;
		}
	}
	int ok = hits > 0 && hits * 2 >= nsh;
	if (ok && hits >= UNTRIMMED_BLOCK && m->nbtouched > 0) {
		int top = m->btouched[0];
		for (int i = 1; i < m->nbtouched; i++)
			if (m->bw[m->btouched[i]] > m->bw[top])
				top = m->btouched[i];
		m->last_para = top;
	}
	for (int i = 0; i < m->nbtouched; i++) {
		int p = m->btouched[i];
		if (ok) {
			if (m->w[p] == 0)
				m->touched[m->ntouched++] = p;
			m->w[p] += m->bw[p];
		}
		m->bw[p] = 0;
	}
	return ok;
}

/* cmp_int - qsort order of ints */
static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return x < y ? -1 : x > y;
}

/* match_group - the anchor of a run of quote segments */
static void match_group(struct matcher *m, struct segment *const *g, int ng, struct anchor *a)
{
	const struct thread_index *x = m->x;
	struct buf text;
	buf_init(&text, 0);
	long marker_no = 0;
	int marker_words = 0;
	memset(a, 0, sizeof(*a));
	m->ntouched = 0;
	m->last_para = -1;
	for (int i = 0; i < ng; i++) {
		if (g[i]->kind != SEG_QUOTE)
			continue;
		const char *s = g[i]->text;
		size_t off = 0, len = strlen(s);
		while (off < len) {
			/* a block: lines up to a blank line */
			size_t b = off, e = off;
			while (e < len) {
				const char *nl = memchr(s + e, '\n', len - e);
				size_t l = nl ? (size_t)(nl - (s + e)) : len - e;
				int blank = 1;
				for (size_t q = 0; q < l; q++)
					if (s[e + q] != ' ' && s[e + q] != '\t')
						blank = 0;
				if (blank) {
					if (e == b) {
						b = e + l + (nl ? 1 : 0);
						e = b;
						continue;
					}
					break;
				}
				e += l + (nl ? 1 : 0);
			}
			off = e;
			if (e <= b)
				continue;
			if (match_block(m, s + b, e - b)) {
				if (text.len)
					buf_putc(&text, '\n');
				buf_append(&text, s + b, e - b);
			} else {
				long no = block_marker(s + b, e - b);
				if (no > 0 && valid_number(x, no) && m->wv.n > marker_words) {
					marker_no = no;
					marker_words = m->wv.n;
				}
			}
		}
	}
	if (m->ntouched == 0) {
		if (marker_no > 0) {
			a->ok = 1;
			a->paragraph = (int)marker_no;
			a->paras = xmalloc(sizeof(int));
			a->paras[0] = (int)marker_no;
			a->nparas = 1;
			a->text = buf_steal(&text, NULL);
		}
		buf_free(&text);
		return;
	}
	int best = m->touched[0];
	for (int i = 1; i < m->ntouched; i++) {
		int p = m->touched[i];
		if (m->w[p] > m->w[best] + 1e-9 || (m->w[p] > m->w[best] - 1e-9 && p < best))
			best = p;
	}
	double lim = m->w[best] * 0.5 < 2.0 ? m->w[best] * 0.5 : 2.0;
	int *list = xmalloc(sizeof(int) * (size_t)m->ntouched);
	int nl = 0;
	for (int i = 0; i < m->ntouched; i++) {
		int p = m->touched[i];
		if (p != best && m->w[p] >= lim)
			list[nl++] = p;
	}
	/* most of the draft, down to its end, under a bottom-posted reply:
	   no anchor */
	int ntot = nl + 1;
	int broad_at = (x->nparas + 1) / 2;
	if (broad_at < BROAD_MIN)
		broad_at = BROAD_MIN;
	int reaches_end = best == x->nparas - 1;
	for (int i = 0; i < nl; i++)
		if (list[i] == x->nparas - 1)
			reaches_end = 1;
	if (ntot >= broad_at && (reaches_end || ntot * 5 >= x->nparas * 4)) {
		for (int i = 0; i < m->ntouched; i++)
			m->w[m->touched[i]] = 0;
		m->ntouched = 0;
		free(list);
		buf_free(&text);
		return;
	}
	/* an untrimmed quote of many paragraphs, or of several quoted whole,
	   with the answer under one of them: the paragraph right above the
	   answer is the one answered */
	int whole = 0;
	for (int i = -1; i < nl; i++) {
		int p = i < 0 ? best : list[i];
		if (x->nshingles[p] > 0 && m->w[p] >= WHOLE_SHARE * x->nshingles[p])
			whole++;
	}
	if ((ntot >= UNTRIMMED_MIN || whole >= UNTRIMMED_WHOLE) && m->last_para >= 0 && m->last_para != best) {
		for (int i = 0; i < nl; i++)
			if (list[i] == m->last_para)
				list[i] = best;
		best = m->last_para;
	}
	for (int i = 0; i < m->ntouched; i++)
		m->w[m->touched[i]] = 0;
	m->ntouched = 0;
	qsort(list, (size_t)nl, sizeof(int), cmp_int);
	a->ok = 1;
	a->paragraph = x->numbers[best];
	a->paras = xmalloc(sizeof(int) * (size_t)(nl + 1));
	a->paras[0] = a->paragraph;
	for (int i = 0; i < nl; i++)
		a->paras[i + 1] = x->numbers[list[i]];
	a->nparas = nl + 1;
	a->text = buf_steal(&text, NULL);
	free(list);
	buf_free(&text);
}

/* ---- pieces of new text ------------------------------------------------- */

struct piece {
	const char *s;
	size_t n;
	int strip_len;          /* bytes of header ("¶5: ") to drop at the start */
	struct ref ref;         /* for a section: its reference */
	int section;
};

/* after_ref - the separator after a reference at s[j]: ':' '-' '–' '—',
   and unless strict also ')' ',' ';' or '.' and a space; or the end of the
   line. Returns the offset of the text after it, 0 when there is none. */
static size_t after_ref(const char *s, size_t n, size_t j, int strict)
{
	while (j < n && s[j] == ' ')
		j++;
	if (j >= n)
		return j;
	unsigned char c = (unsigned char)s[j];
	if (strict ? (c == ':' || c == '-') :
	    (c == ':' || c == '-' || c == ')' || c == '.' || c == ',' || c == ';' || c == '>' || c == '=')) {
		if (c == '.' && j + 1 < n && s[j + 1] != ' ')
			return 0;
		j++;
	} else if (j + 2 < n && c == 0xe2 && (unsigned char)s[j + 1] == 0x80 &&
		   ((unsigned char)s[j + 2] == 0x93 || (unsigned char)s[j + 2] == 0x94)) {
		j += 3;
	} else {
		return 0;
	}
	while (j < n && (s[j] == ' ' || s[j] == '-' || s[j] == ':' || s[j] == '*'))
		j++;
	return j;
}

/* line_header - a section header at s[0..n) (one line; block_start when
   it opens a paragraph): the reference and the bytes of header to strip
   from the comment text. Forms:
     "¶12: …", "P1 - …", "Re [8]: …", "- ¶5: …", "(¶12) …"   stripped
     "Paragraph 6 seems …" opening a paragraph                kept
     "Comment on paragraph 7: …", "In reply to ¶12"          kept
   1 if found. */
static int line_header(const struct thread_index *x, const char *s, size_t n, int block_start,
		       struct ref *r, size_t *strip_r)
{
	size_t i = 0;
	for (;;) {
		if (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '*' || s[i] == '>' || s[i] == '(' ||
			      (s[i] == '-' && i + 1 < n && s[i + 1] == ' '))) {
			i++;
		} else if (i + 2 < n && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
			   (unsigned char)s[i + 2] == 0xa2) {
			i += 3;   /* • */
		} else {
			break;
		}
	}
	static const char *const lead[] = { "re: ", "re:", "re ", "ad ", "zu ", "about ", "regarding ",
					    "concerning ", "on ", "to ", NULL };
	size_t start = i;
	for (int k = 0; lead[k]; k++) {
		if (ci_at(s, n, i, lead[k])) {
			i += strlen(lead[k]);
			while (i < n && s[i] == ' ')
				i++;
			break;
		}
	}
	int found = ref_list(x, s, n, i, 0, r);
	if (!found && i != start && ref_list(x, s, n, start, 0, r)) {
		i = start;
		found = 1;
	}
	if (found) {
		if (footnote_at(s, n, r->end))
			return 0;
		size_t j = after_ref(s, n, r->end, 0);
		if (j) {
			*strip_r = j;
			return 1;
		}
		if (!block_start)
			return 0;
		/* "Paragraph 6 seems …": a name opening a paragraph of text */
		*strip_r = 0;
		return 1;
	}
	/* a few words before the reference, then a separator or the end of
	   the line: "Comment on paragraph 7:", "In reply to ¶12" */
	int words = 0;
	for (size_t k = start; k < n && k < start + 48; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c == '.' || c == '!' || c == '?' || c == ',' || c == ';' || c == '"')
			return 0;
		if (c != ' ')
			continue;
		if (++words > 5)
			return 0;
		if (k + 1 < n && ref_list(x, s, n, k + 1, 0, r) && !footnote_at(s, n, r->end) &&
		    after_ref(s, n, r->end, 1)) {
			/* a line ending in a reference opens a section only when
			   it opens a paragraph: in wrapped prose it is a mention */
			size_t e = r->end;
			while (e < n && s[e] == ' ')
				e++;
			if (e >= n && !block_start)
				return 0;
			*strip_r = 0;
			return 1;
		}
	}
	return 0;
}

/* split_sections - cut text into the part before the first section header
   and the sections; returns the number of pieces in *pv (free *pv) */
static int split_sections(const struct thread_index *x, const char *t, size_t len, struct piece **pv)
{
	int cap = 4, n = 0;
	struct piece *v = xcalloc((size_t)cap, sizeof(*v));
	v[0].s = t;
	v[0].n = len;
	n = 1;
	size_t off = 0;
	int prev_blank = 1, fence = 0;
	while (off < len) {
		const char *p = t + off;
		const char *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;
		int blank = 1;
		for (size_t k = 0; k < l; k++)
			if (p[k] != ' ' && p[k] != '\t' && p[k] != '\r')
				blank = 0;
		if (l >= 3 && memcmp(p, "```", 3) == 0)
			fence = !fence;
		struct ref r;
		size_t strip;
		if (!blank && !fence && line_header(x, p, l, prev_blank, &r, &strip)) {
			/* close the previous piece here */
			v[n - 1].n = off - (size_t)(v[n - 1].s - t);
			if (n == cap) {
				cap *= 2;
				v = xreallocarray(v, (size_t)cap, sizeof(*v));
			}
			memset(&v[n], 0, sizeof(v[n]));
			v[n].s = p;
			v[n].n = len - off;
			v[n].strip_len = (int)strip;
			v[n].ref = r;
			v[n].section = 1;
			n++;
		}
		prev_blank = blank;
		off += l + (nl ? 1 : 0);
	}
	*pv = v;
	return n;
}

/* ---- building comments ------------------------------------------------- */

/* strip_tail - text into out with the signature stage's rules applied to
   its tail: the trailing paragraphs of short lines (at most SIG_TAIL_LINES
   non-blank lines of at most SIG_TAIL_LINE bytes). Signature, contact and
   footer blocks are made of short lines at the end; prose stops the walk
   anyway. Bounding what the stage looks at keeps threading fast; long
   disclaimers are cut by our own rules (quote_signoff_cut). */
#define SIG_TAIL_LINES 16
#define SIG_TAIL_LINE  120
static void strip_tail(const char *text, size_t len, struct buf *out)
{
	size_t at = len;        /* start of the tail, a paragraph start */
	size_t b = len;
	int lines = 0;
	while (b > 0) {
		/* the line ending at b */
		size_t ls = b - 1;
		while (ls > 0 && text[ls - 1] != '\n')
			ls--;
		int blank = 1;
		for (size_t k = ls; k < b; k++)
			if (text[k] != ' ' && text[k] != '\t' && text[k] != '\n' && text[k] != '\r')
				blank = 0;
		if (!blank && (++lines > SIG_TAIL_LINES || b - ls > SIG_TAIL_LINE))
			break;
		if (blank || ls == 0)
			at = ls;  /* a paragraph boundary within bounds */
		b = ls;
	}
	buf_append(out, text, at);
	if (at < len) {
		char *tail = xmemdup0(text + at, len - at);
		signature_strip(tail, out, NULL);
		free(tail);
	}
}

struct builder {
	struct thread_result *r;
	int cap;
	int last_anchor_gen;    /* anchor generation of the last comment */
	int truncated;
	struct buf last;        /* the text of the last comment, still growing
				   (joined pieces are appended, never copied
				   again: linear in the body) */
};

/* author_block - where the last block starts when it opens with the
   author's own name ("Ana", "Ana Ruiz"); n if it does not */
static size_t author_block(const char *s, size_t n, const char *author)
{
	if (!author || !*author)
		return n;
	size_t a = strlen(author);
	const char *sp = memchr(author, ' ', a);
	size_t first = sp ? (size_t)(sp - author) : a;
	if (first < 2)
		return n;
	size_t b = n;
	while (b > 0 && !(s[b - 1] == '\n' && b >= 2 && s[b - 2] == '\n'))
		b--;
	if (b == 0 || n - b > 400)
		return n;
	const char *blk = s + b;
	while (blk < s + n && (*blk == '\n' || *blk == ' '))
		blk++;
	size_t bl = (size_t)(s + n - blk);
	if (bl < first || strncmp(blk, author, first) != 0)
		return n;
	if (bl > first && blk[first] != ' ' && blk[first] != '\n' && blk[first] != ',')
		return n;
	return b;
}

/* tidy - a piece of new text as comment text: greeting (when asked), sign-offs,
   signature, footers and trailing blanks cut, trimmed; NULL when nothing is
   left */
static char *tidy(const char *s, size_t n, const char *author, int strip_greeting)
{
	while (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r')) {
		s++;
		n--;
	}
	if (strip_greeting) {
		size_t g = quote_greeting_len(s, n);
		if (g >= n)
			return NULL;
		s += g;
		n -= g;
	}
	const char *t = s;
	size_t tl = n;
	for (int round = 0; round < 4; round++) {
		size_t k = quote_signoff_cut(t, tl, SIGNOFF_COMMENT);
		size_t b = author_block(t, k, author);
		if (b < k)
			k = quote_signoff_cut(t, b, SIGNOFF_COMMENT);
		if (k == tl)
			break;
		tl = k;
	}
	/* trailing blanks off every line, outer blank lines off the whole */
	struct buf out;
	buf_init(&out, 0);
	size_t off = 0;
	while (off < tl) {
		const char *nl = memchr(t + off, '\n', tl - off);
		size_t l = nl ? (size_t)(nl - (t + off)) : tl - off;
		size_t m = l;
		while (m > 0 && (t[off + m - 1] == ' ' || t[off + m - 1] == '\t' || t[off + m - 1] == '\r'))
			m--;
		buf_append(&out, t + off, m);
		if (nl)
			buf_putc(&out, '\n');
		off += l + (nl ? 1 : 0);
	}
	size_t len = out.len;
	char *r = buf_steal(&out, NULL);
	while (len > 0 && (r[len - 1] == '\n' || r[len - 1] == ' '))
		r[--len] = '\0';
	size_t lead = 0;
	while (lead < len && (r[lead] == '\n' || r[lead] == ' ' || r[lead] == '\t'))
		lead++;
	if (lead == len) {
		free(r);
		return NULL;
	}
	if (lead)
		memmove(r, r + lead, len - lead + 1);
	return r;
}

/* add_comment - append a comment (taking text), or join it to the last one
   when it lands on the same paragraph the same way */
static void add_comment(struct builder *b, int paragraph, const int *paras, int nparas, char *text,
			const char *anchor, int how, int anchor_gen)
{
	struct thread_result *r = b->r;
	if (r->ncomments > 0) {
		struct thread_comment *c = &r->comments[r->ncomments - 1];
		int same = c->paragraph == paragraph && c->how == how &&
			   (how != THREAD_QUOTE || anchor_gen == b->last_anchor_gen);
		if (same || r->ncomments >= THREAD_MAX_COMMENTS) {
			if (!same)
				b->truncated = 1;
			buf_puts(&b->last, "\n\n");
			buf_puts(&b->last, text);
			free(text);
			return;
		}
		c->text = buf_steal(&b->last, NULL);
	}
	if (r->ncomments == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4;
		r->comments = xreallocarray(r->comments, (size_t)b->cap, sizeof(*r->comments));
	}
	struct thread_comment *c = &r->comments[r->ncomments++];
	memset(c, 0, sizeof(*c));
	c->paragraph = paragraph;
	c->nparagraphs = nparas;
	if (nparas > 0) {
		c->paragraphs = xmalloc(sizeof(int) * (size_t)nparas);
		memcpy(c->paragraphs, paras, sizeof(int) * (size_t)nparas);
	}
	buf_reset(&b->last);
	buf_puts(&b->last, text);
	free(text);
	c->anchor = anchor ? xstrdup(anchor) : NULL;
	c->how = how;
	b->last_anchor_gen = anchor_gen;
}

/* builder_finish - give the last comment its text */
static void builder_finish(struct builder *b)
{
	if (b->r->ncomments > 0)
		b->r->comments[b->r->ncomments - 1].text = buf_steal(&b->last, NULL);
	buf_free(&b->last);
}

/* thread_extract - segments, quote groups, sections, targets (see thread.h) */
int thread_extract(const struct thread_input *in, struct thread_result *r)
{
	if (!in || !r)
		return -1;
	memset(r, 0, sizeof(*r));
	struct thread_index *own = NULL;
	const struct thread_index *x = in->index;
	if (!x)
		x = own = thread_index_new(in->paras, in->nparas);

	int context = in->context_paragraph;
	if (context <= 0 || !valid_number(x, context))
		context = 0;
	if (context == 0 && in->subject)
		context = thread_subject_paragraph(in->subject, in->paras, in->nparas);

	struct segment *segs = NULL;
	int nseg = 0;
	if (quote_segments(in->body ? in->body : "", &segs, &nseg) > 0)
		r->truncated = 1;

	struct matcher m;
	memset(&m, 0, sizeof(m));
	m.x = x;
	int np = x->nparas ? x->nparas : 1;
	m.w = xcalloc((size_t)np, sizeof(double));
	m.bw = xcalloc((size_t)np, sizeof(double));
	m.touched = xmalloc(sizeof(int) * (size_t)np);
	m.btouched = xmalloc(sizeof(int) * (size_t)np);

	struct builder b;
	memset(&b, 0, sizeof(b));
	b.r = r;
	b.last_anchor_gen = -1;
	buf_init(&b.last, 0);

	int gstart = 0;         /* first segment of the current quote group */
	int anchor_gen = 0;
	for (int i = 0; i < nseg; i++) {
		if (segs[i].kind != SEG_NEW)
			continue;
		/* the quote group above this text */
		struct anchor a;
		memset(&a, 0, sizeof(a));
		if (i > gstart) {
			struct segment **g = xmalloc(sizeof(*g) * (size_t)(i - gstart));
			for (int k = gstart; k < i; k++)
				g[k - gstart] = &segs[k];
			match_group(&m, g, i - gstart, &a);
			free(g);
			if (a.ok)
				anchor_gen++;
		}
		gstart = i + 1;

		/* our sign-off rules, the signature stage's on what is left,
		   ours again (a closing above a contact block) */
		struct buf sb;
		buf_init(&sb, 0);
		const char *st = segs[i].text;
		strip_tail(st, quote_signoff_cut(st, strlen(st), SIGNOFF_COMMENT), &sb);
		const char *t = buf_cstr(&sb);
		size_t tl = quote_signoff_cut(t, sb.len, SIGNOFF_COMMENT);
		struct piece *pv = NULL;
		int npc = split_sections(x, t, tl, &pv);
		for (int k = 0; k < npc; k++) {
			struct piece *pc = &pv[k];
			char *text = tidy(pc->s + pc->strip_len, pc->n - (size_t)pc->strip_len, in->author,
					  k == 0 && !pc->section);
			if (!text)
				continue;
			if (pc->section) {
				const int *nums = pc->ref.nums;
				int keep_anchor = a.ok && a.paragraph == nums[0];
				add_comment(&b, nums[0], keep_anchor ? a.paras : nums,
					    keep_anchor ? a.nparas : pc->ref.n, text,
					    keep_anchor ? a.text : NULL, THREAD_REFERENCE, -1);
				continue;
			}
			if (a.ok) {
				add_comment(&b, a.paragraph, a.paras, a.nparas, text, a.text, THREAD_QUOTE,
					    anchor_gen);
				continue;
			}
			int how, para;
			struct ref pr;
			if (context > 0) {
				para = context;
				how = in->has_parent ? THREAD_PARENT : THREAD_CONTEXT;
				add_comment(&b, para, &para, 1, text, NULL, how, -1);
			} else if (find_prose_ref(x, text, strlen(text), &pr)) {
				how = in->has_parent ? THREAD_PARENT : THREAD_REFERENCE;
				add_comment(&b, pr.nums[0], pr.nums, pr.n, text, NULL, how, -1);
			} else {
				how = in->has_parent ? THREAD_PARENT : THREAD_GENERAL;
				add_comment(&b, 0, NULL, 0, text, NULL, how, -1);
			}
		}
		free(pv);
		buf_free(&sb);
		anchor_clear(&a);
	}
	builder_finish(&b);
	if (b.truncated)
		r->truncated = 1;
	free(m.w);
	free(m.bw);
	free(m.touched);
	free(m.btouched);
	free(m.wv.v);
	quote_segments_free(&segs, nseg);
	thread_index_free(&own);
	return 0;
}

/* thread_result_free - release the comments */
void thread_result_free(struct thread_result *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->ncomments; i++) {
		free(r->comments[i].paragraphs);
		free(r->comments[i].text);
		free(r->comments[i].anchor);
	}
	free(r->comments);
	memset(r, 0, sizeof(*r));
}

/* thread_how_name - a how for logs and the store */
const char *thread_how_name(int how)
{
	switch (how) {
	case THREAD_QUOTE: return "quote";
	case THREAD_REFERENCE: return "reference";
	case THREAD_CONTEXT: return "context";
	case THREAD_GENERAL: return "general";
	case THREAD_PARENT: return "parent";
	}
	return "unknown";
}
