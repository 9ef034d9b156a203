/* Every `comment` row of shared/fixtures/replies/EXPECTED.tsv, read at run
   time (new rows are checked without code changes): the .eml is parsed with
   mail_parse(), passed through the signature filter stage, given the
   context paragraph of a +pN address in To/Cc/Delivered-To, and threaded
   against the numbered paragraphs of the fixture draft (draft_parse). The
   comments must land on the listed paragraphs in order, each must contain
   its phrase, and no comment may contain the excluded phrase. Then the
   threading speed on these replies, repeated, is measured and printed. */
#include "config.h"
#include "tap.h"
#include "tag/thread.h"
#include "doc/draft.h"
#include "mail/msg.h"
#include "mail/charset.h"
#include "mail/listaddr.h"
#include "filters/filter.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_SECONDS 0.5   /* the speed loop stops after this long */
#define BENCH_MAX_ROUNDS  2000  /* ... or after this many passes over the replies */

struct reply {
	char *file;
	char *text;             /* after the signature stage */
	char *subject;
	char *author;
	int context;
};

static char *fixture_path(const char *rel)
{
	return xasprintf("%s/fixtures/%s", shared_dir(), rel);
}

/* plus_paragraph - N from a LIST+pN@domain address, 0 if none */
static int plus_paragraph(const char *addr)
{
	char *base = NULL, *tag = NULL;
	int n = 0;
	if (addr && listaddr_split(addr, &base, &tag) == 0 && tag && (tag[0] == 'p' || tag[0] == 'P'))
		if (str_to_int(tag + 1, 1, 100000, &n) < 0)
			n = 0;
	free(base);
	free(tag);
	return n;
}

/* context_of - the paragraph of a +pN in To, Cc or Delivered-To */
static int context_of(const struct mail_msg *m)
{
	for (int i = 0; i < m->nto; i++)
		if (plus_paragraph(m->to[i].addr))
			return plus_paragraph(m->to[i].addr);
	for (int i = 0; i < m->ncc; i++)
		if (plus_paragraph(m->cc[i].addr))
			return plus_paragraph(m->cc[i].addr);
	int k = -1;
	const char *v;
	while ((v = mail_header_next(m, "Delivered-To", &k)) != NULL) {
		char *a = xstrdup(v);
		char *t = str_trim(a);
		size_t l = strlen(t);
		if (l > 2 && t[0] == '<' && t[l - 1] == '>') {
			t[l - 1] = '\0';
			t++;
		}
		int n = plus_paragraph(t);
		free(a);
		if (n)
			return n;
	}
	return 0;
}

/* load_reply - parse a fixture reply and run the signature stage */
static int load_reply(const char *file, struct reply *r)
{
	char *rel = xasprintf("replies/%s", file);
	char *path = fixture_path(rel);
	char *raw = NULL;
	size_t len = 0;
	int rc = str_read_file(path, 32 << 20, &raw, &len);
	free(rel);
	free(path);
	if (rc < 0)
		return -1;
	struct mail_limits lim;
	mail_limits_default(&lim);
	struct mail_msg *m = NULL;
	const char *err = NULL;
	if (mail_parse(raw, len, &lim, &m, &err) < 0) {
		diag("%s: %s", file, err ? err : "parse failed");
		free(raw);
		return -1;
	}
	struct filter_env env;
	memset(&env, 0, sizeof(env));
	struct filter_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	ctx.env = &env;
	ctx.raw = raw;
	ctx.rawlen = len;
	ctx.msg = m;
	filter_signature.run(&ctx);
	filter_ctx_free(&ctx);
	r->file = xstrdup(file);
	r->text = xstrdup(m->text ? m->text : "");
	r->subject = xstrdup(m->subject ? m->subject : "");
	r->author = m->from.name ? xstrdup(m->from.name) : NULL;
	r->context = context_of(m);
	mail_msg_free(&m);
	free(raw);
	return 0;
}

static void reply_free(struct reply *r)
{
	free(r->file);
	free(r->text);
	free(r->subject);
	free(r->author);
}

/* split_field - the next " || " or "," separated item of *p, malloc'd;
   NULL at the end */
static char *next_item(const char **p, const char *sep)
{
	if (!*p || !**p)
		return NULL;
	const char *e = strstr(*p, sep);
	size_t l = e ? (size_t)(e - *p) : strlen(*p);
	char *item = xmemdup0(*p, l);
	*p = e ? e + strlen(sep) : *p + l;
	return item;
}

static void check_row(const struct reply *r, const struct thread_para *paras, int np,
		      const struct thread_index *idx, const char *want_paras, const char *contains,
		      const char *excludes)
{
	struct thread_input in = { 0 };
	in.body = r->text;
	in.subject = r->subject;
	in.paras = paras;
	in.nparas = np;
	in.index = idx;
	in.context_paragraph = r->context;
	in.author = r->author;
	struct thread_result res;
	is_int(thread_extract(&in, &res), 0, "%s: threads", r->file);
	struct buf got;
	buf_init(&got, 0);
	for (int i = 0; i < res.ncomments; i++)
		buf_printf(&got, "%s%d", i ? "," : "", res.comments[i].paragraph);
	is_str(buf_cstr(&got), want_paras, "%s: paragraphs", r->file);
	if (strcmp(buf_cstr(&got), want_paras) != 0)
		for (int i = 0; i < res.ncomments; i++)
			diag("comment %d (¶%d, %s): %s", i + 1, res.comments[i].paragraph,
			     thread_how_name(res.comments[i].how), res.comments[i].text);
	if (strcmp(contains, "-") != 0) {
		const char *p = contains;
		char *phrase;
		for (int i = 0; (phrase = next_item(&p, " || ")) != NULL; i++) {
			int found = i < res.ncomments && strstr(res.comments[i].text, phrase) != NULL;
			ok(found, "%s: comment %d contains \"%s\"", r->file, i + 1, phrase);
			free(phrase);
		}
	}
	if (strcmp(excludes, "-") != 0) {
		int bad = -1;
		for (int i = 0; i < res.ncomments; i++)
			if (strstr(res.comments[i].text, excludes))
				bad = i;
		ok(bad < 0, "%s: no comment contains \"%s\"", r->file, excludes);
		if (bad >= 0)
			diag("comment %d: %s", bad + 1, res.comments[bad].text);
	}
	buf_free(&got);
	thread_result_free(&res);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	/* the draft's numbered paragraphs */
	char *mdpath = fixture_path("prof-learning-draft.md");
	char *md = NULL;
	size_t mdlen = 0;
	if (!ok(str_read_file(mdpath, 4 << 20, &md, &mdlen) == 0, "fixture draft readable"))
		return done_testing();
	free(mdpath);
	struct draft *d = NULL;
	const char *err = NULL;
	if (!ok(draft_parse(md, mdlen, &d, &err) == 0, "fixture draft parses"))
		return done_testing();
	free(md);
	struct thread_para *paras = xcalloc((size_t)d->nblocks + 1, sizeof(*paras));
	int np = 0;
	for (int i = 0; i < d->nblocks; i++) {
		if (d->blocks[i].number <= 0)
			continue;
		paras[np].number = d->blocks[i].number;
		paras[np].text = d->blocks[i].text;
		np++;
	}
	is_int(np, 22, "the fixture draft has 22 numbered blocks");
	struct thread_index *idx = thread_index_new(paras, np);

	/* EXPECTED.tsv, read at run time */
	char *tsvpath = fixture_path("replies/EXPECTED.tsv");
	char *tsv = NULL;
	size_t tlen = 0;
	if (!ok(str_read_file(tsvpath, 4 << 20, &tsv, &tlen) == 0, "EXPECTED.tsv readable"))
		return done_testing();
	free(tsvpath);
	struct reply *replies = NULL;
	int nrep = 0, rows = 0;
	char *line = tsv;
	int header = 1;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *f[5] = { 0 };
		int nf = 0;
		char *p = line;
		while (nf < 5) {
			f[nf++] = p;
			char *tab = strchr(p, '\t');
			if (!tab)
				break;
			*tab = '\0';
			p = tab + 1;
		}
		if (header) {
			header = 0;
		} else if (nf == 5 && strcmp(f[1], "comment") == 0) {
			rows++;
			struct reply r;
			memset(&r, 0, sizeof(r));
			if (ok(load_reply(f[0], &r) == 0, "%s: parsed", f[0])) {
				check_row(&r, paras, np, idx, f[2], f[3], f[4]);
				replies = xreallocarray(replies, (size_t)nrep + 1, sizeof(*replies));
				replies[nrep++] = r;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	ok(rows >= 24, "%d comment rows checked", rows);

	/* speed: the replies again and again against the shared index */
	long msgs = 0, comments = 0;
	size_t bytes = 0;
	double t0 = now_s(), t = t0;
	for (int round = 0; round < BENCH_MAX_ROUNDS && t - t0 < BENCH_MAX_SECONDS; round++) {
		for (int i = 0; i < nrep; i++) {
			struct thread_input in = { 0 };
			in.body = replies[i].text;
			in.subject = replies[i].subject;
			in.paras = paras;
			in.nparas = np;
			in.index = idx;
			in.context_paragraph = replies[i].context;
			in.author = replies[i].author;
			struct thread_result res;
			thread_extract(&in, &res);
			comments += res.ncomments;
			thread_result_free(&res);
			bytes += strlen(replies[i].text);
			msgs++;
		}
		t = now_s();
	}
	double sec = t - t0;
	diag("threading speed: %ld messages (%zu bytes each on average) in %.3f s: %.0f messages/s, %ld comments",
	     msgs, msgs ? bytes / (size_t)msgs : 0, sec, sec > 0 ? (double)msgs / sec : 0.0, comments);
	ok(msgs > 0, "speed measured");

	for (int i = 0; i < nrep; i++)
		reply_free(&replies[i]);
	free(replies);
	free(tsv);
	thread_index_free(&idx);
	free(paras);
	draft_free(&d);
	charset_cache_clear();   /* the parser's iconv cache, for leak checkers */
	return done_testing();
}
