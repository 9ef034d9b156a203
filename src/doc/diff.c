/* diff.c - word diff (Myers) rendered as wdiff text or HTML */
#include "config.h"
#include "doc/diff.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/xalloc.h"

/* a word and the whitespace before it */
struct tok {
	const char *ws;
	const char *w;
	size_t wslen, wlen;
	uint64_t h;
};

enum op_kind { OP_KEEP, OP_DEL, OP_INS };

struct op {
	enum op_kind kind;
	int ai, bi;  /* token index in a (keep, del) and b (keep, ins) */
};

struct ops {
	struct op *v;
	int n, cap;
};

/* ops_add - append an edit */
static void ops_add(struct ops *o, enum op_kind kind, int ai, int bi)
{
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 64;
		o->v = xreallocarray(o->v, (size_t)o->cap, sizeof(*o->v));
	}
	o->v[o->n++] = (struct op){ kind, ai, bi };
}

/* is_space - ASCII whitespace separates words */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* tokenize - the words of s with their leading whitespace; trailing
   whitespace is dropped */
static struct tok *tokenize(const char *s, int *n_r)
{
	int n = 0, cap = 16;
	struct tok *t = xmalloc((size_t)cap * sizeof(*t));
	const char *p = s;
	for (;;) {
		const char *ws = p;
		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		const char *w = p;
		uint64_t h = 0xcbf29ce484222325ULL;
		while (*p != '\0' && !is_space(*p)) {
			h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
			p++;
		}
		if (n == cap) {
			cap *= 2;
			t = xreallocarray(t, (size_t)cap, sizeof(*t));
		}
		t[n++] = (struct tok){ ws, w, (size_t)(w - ws), (size_t)(p - w), h };
	}
	*n_r = n;
	return t;
}

/* tok_eq - same word, byte for byte */
static int tok_eq(const struct tok *x, const struct tok *y)
{
	return x->h == y->h && x->wlen == y->wlen && memcmp(x->w, y->w, x->wlen) == 0;
}

/* myers - shortest edit script of a[0..n) to b[0..m), indices offset by
   ao and bo, appended to out in order; -1 (out untouched) when it needs
   more than maxd edits */
static int myers(const struct tok *a, int n, const struct tok *b, int m, int ao, int bo,
		 int maxd, struct ops *out)
{
	int max = n + m;
	if (maxd > max)
		maxd = max;
	int off = max + 1;
	int *v = xcalloc((size_t)(2 * max + 3), sizeof(int));
	int *trace = NULL;    /* V[-d..d] after round d, at offset d*d */
	size_t tcap = 0;
	int dfound = -1;
	v[off + 1] = 0;
	for (int d = 0; d <= maxd && dfound < 0; d++) {
		for (int k = -d; k <= d; k += 2) {
			int x;
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			int y = x - k;
			while (x < n && y < m && tok_eq(&a[x], &b[y])) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= n && y >= m)
				dfound = d;
		}
		size_t need = (size_t)(d + 1) * (size_t)(d + 1);
		if (need > tcap) {
			tcap = need * 2;
			trace = xreallocarray(trace, tcap, sizeof(int));
		}
		memcpy(trace + (size_t)d * (size_t)d, v + off - d, (size_t)(2 * d + 1) * sizeof(int));
	}
	free(v);
	if (dfound < 0) {
		free(trace);
		return -1;
	}
	/* walk back from (n, m), collecting the script in reverse */
	struct ops rev = { NULL, 0, 0 };
	int x = n, y = m;
	for (int d = dfound; d > 0; d--) {
		const int *pv = trace + (size_t)(d - 1) * (size_t)(d - 1) + (d - 1); /* pv[k], |k| < d */
		int k = x - y;
		int pk;
		if (k == -d || (k != d && pv[k - 1] < pv[k + 1]))
			pk = k + 1;  /* came down: an insertion */
		else
			pk = k - 1;  /* came right: a removal */
		int px = pv[pk], py = px - pk;
		int mx = pk == k + 1 ? px : px + 1;
		while (x > mx) {
			x--;
			y--;
			ops_add(&rev, OP_KEEP, ao + x, bo + y);
		}
		if (pk == k + 1)
			ops_add(&rev, OP_INS, -1, bo + py);
		else
			ops_add(&rev, OP_DEL, ao + px, -1);
		x = px;
		y = py;
	}
	while (x > 0) {
		x--;
		y--;
		ops_add(&rev, OP_KEEP, ao + x, bo + y);
	}
	for (int i = rev.n - 1; i >= 0; i--)
		ops_add(out, rev.v[i].kind, rev.v[i].ai, rev.v[i].bi);
	free(rev.v);
	free(trace);
	return 0;
}

/* edit_script - the script for token lists a and b: common prefix and
   suffix kept, the middle by Myers or, past the limits, replaced whole */
static void edit_script(const struct tok *a, int na, const struct tok *b, int nb, struct ops *out)
{
	int pre = 0;
	while (pre < na && pre < nb && tok_eq(&a[pre], &b[pre]))
		pre++;
	int suf = 0;
	while (suf < na - pre && suf < nb - pre && tok_eq(&a[na - 1 - suf], &b[nb - 1 - suf]))
		suf++;
	for (int i = 0; i < pre; i++)
		ops_add(out, OP_KEEP, i, i);
	int ma = na - pre - suf, mb = nb - pre - suf;
	if (ma + mb > DIFF_MAX_TOKENS ||
	    myers(a + pre, ma, b + pre, mb, pre, pre, DIFF_MAX_EDITS, out) < 0) {
		for (int i = 0; i < ma; i++)
			ops_add(out, OP_DEL, pre + i, -1);
		for (int i = 0; i < mb; i++)
			ops_add(out, OP_INS, -1, pre + i);
	}
	for (int i = suf; i > 0; i--)
		ops_add(out, OP_KEEP, na - i, nb - i);
}

/* the two renderings */
struct style {
	const char *del_open, *del_close, *ins_open, *ins_close;
	int html;
};

static const struct style style_text = { "[-", "-]", "{+", "+}", 0 };
static const struct style style_html = { "<del>", "</del>", "<ins>", "</ins>", 1 };

/* put - text as it is, or HTML-escaped */
static void put(struct buf *out, const char *s, size_t n, int html)
{
	if (!html) {
		buf_append(out, s, n);
		return;
	}
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		const char *esc;
		switch (s[i]) {
		case '&': esc = "&amp;"; break;
		case '<': esc = "&lt;"; break;
		case '>': esc = "&gt;"; break;
		case '"': esc = "&quot;"; break;
		case '\'': esc = "&#39;"; break;
		default: continue;
		}
		buf_append(out, s + run, i - run);
		buf_puts(out, esc);
		run = i + 1;
	}
	buf_append(out, s + run, n - run);
}

/* put_sep - whitespace before a piece: none at the very start, at least a
   space after anything else */
static void put_sep(struct buf *out, const struct tok *t, int started)
{
	if (!started)
		return;
	if (t->wslen == 0)
		buf_putc(out, ' ');
	else
		buf_append(out, t->ws, t->wslen);
}

/* put_run - the words toks[from..to], each but the first after its own whitespace */
static void put_run(struct buf *out, const struct tok *toks, int from, int to, int html)
{
	for (int i = from; i <= to; i++) {
		if (i > from)
			put(out, toks[i].ws, toks[i].wslen, html);
		put(out, toks[i].w, toks[i].wlen, html);
	}
}

/* word_diff - diff and render in a style */
static void word_diff(const char *a, const char *b, struct buf *out, struct diff_stats *st,
		      const struct style *sty)
{
	int na, nb;
	struct tok *ta = tokenize(a != NULL ? a : "", &na);
	struct tok *tb = tokenize(b != NULL ? b : "", &nb);
	struct ops ops = { NULL, 0, 0 };
	edit_script(ta, na, tb, nb, &ops);
	struct diff_stats s = { 0, 0, 0 };
	int started = 0;
	for (int i = 0; i < ops.n;) {
		if (ops.v[i].kind == OP_KEEP) {
			const struct tok *t = &tb[ops.v[i].bi];
			put_sep(out, t, started);
			put(out, t->w, t->wlen, sty->html);
			started = 1;
			s.kept++;
			i++;
			continue;
		}
		/* a run of changes: its removals are consecutive in a, its
		   insertions consecutive in b */
		int d0 = -1, d1 = -1, i0 = -1, i1 = -1;
		for (; i < ops.n && ops.v[i].kind != OP_KEEP; i++) {
			if (ops.v[i].kind == OP_DEL) {
				if (d0 < 0)
					d0 = ops.v[i].ai;
				d1 = ops.v[i].ai;
			} else {
				if (i0 < 0)
					i0 = ops.v[i].bi;
				i1 = ops.v[i].bi;
			}
		}
		put_sep(out, i0 >= 0 ? &tb[i0] : &ta[d0], started);
		started = 1;
		if (d0 >= 0) {
			buf_puts(out, sty->del_open);
			put_run(out, ta, d0, d1, sty->html);
			buf_puts(out, sty->del_close);
			s.removed += d1 - d0 + 1;
		}
		if (i0 >= 0) {
			buf_puts(out, sty->ins_open);
			put_run(out, tb, i0, i1, sty->html);
			buf_puts(out, sty->ins_close);
			s.added += i1 - i0 + 1;
		}
	}
	free(ops.v);
	free(ta);
	free(tb);
	if (st != NULL)
		*st = s;
}

/* word_diff_text - wdiff-style text */
void word_diff_text(const char *a, const char *b, struct buf *out, struct diff_stats *st)
{
	word_diff(a, b, out, st, &style_text);
}

/* word_diff_html - <del>/<ins> HTML */
void word_diff_html(const char *a, const char *b, struct buf *out, struct diff_stats *st)
{
	word_diff(a, b, out, st, &style_html);
}
