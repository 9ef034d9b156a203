/* fuzz-message - a raw message through what ingest does with it in-process:
   mail_parse, the filter chain (every stage but the external program), the
   sender-trust verdicts of tag/trust, threading against the fixture
   draft's paragraphs (tests/fuzz/draft.md), the new text of a reply and
   the sign-up form. Properties: the parsed view's
   strings are NUL-terminated inside their lengths, every comment lands on
   a paragraph of the draft (or 0), a decided class is a known one. */
#include "config.h"
#include "fuzz.h"
#include "doc/draft.h"
#include "filters/filter.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/msg.h"
#include "tag/quote.h"
#include "tag/signup.h"
#include "tag/thread.h"
#include "tag/trust.h"
#include <stdlib.h>
#include <string.h>

static struct thread_para *paras;
static int nparas;
static struct thread_index *idx;
static const struct filter *chain[8];
static int nchain;
static struct mail_limits lim;

static const char *const participants[] = {
	"ana.ruiz@district9.example.org", "b.okafor@gmail.example.com", "chen.wei@outlook.example.com",
	"dmitri@icloud.example.com", "e.lindqvist@uni.example.edu", "f.haddad@yahoo.example.com",
	"kcasey@consulting.example.com",
};
static const char *const list_ids[] = { "tag-prof-learning.tags.example.org" };
static const char *const own_addrs[] = { "tag-prof-learning@tags.example.org" };

static int is_participant(void *arg, const char *addr)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(participants) / sizeof(participants[0]); i++)
		if (str_casecmp(participants[i], addr) == 0)
			return 1;
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_quiet(1);
	char *path = fuzz_data_path("draft.md");
	size_t len;
	char *md = fuzz_read(path, &len);
	struct draft *d;
	const char *err;
	fuzz_check(draft_parse(md, len, &d, &err) == 0, "the fixture draft parses");
	paras = xcalloc((size_t)d->nblocks + 1, sizeof(*paras));
	for (int i = 0; i < d->nblocks; i++)
		if (d->blocks[i].number > 0) {
			paras[nparas].number = d->blocks[i].number;
			paras[nparas].text = xstrdup(d->blocks[i].text);
			nparas++;
		}
	idx = thread_index_new(paras, nparas);
	draft_free(&d);
	free(md);
	free(path);
	const char *order[] = { "size", "loop", "autoreply", "bounce", "sender", "signature" };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		chain[nchain] = filter_find(order[i]);
		fuzz_check(chain[nchain] != NULL, "the filter stages exist");
		nchain++;
	}
	mail_limits_default(&lim);
	lim.max_size = 1 << 20;
	return 0;
}

static void check_str(const char *s, const char *what)
{
	if (s)
		fuzz_check(strlen(s) < ((size_t)1 << 30), what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: ASan sees a read past the end */
	char *raw = xmalloc(size ? size : 1);
	memcpy(raw, data, size);
	struct mail_msg *msg = NULL;
	const char *err = NULL;
	if (mail_parse(raw, size, &lim, &msg, &err) < 0) {
		fuzz_check(err != NULL && msg == NULL, "a failed parse says why");
		free(raw);
		return 0;
	}
	check_str(msg->subject, "subject");
	fuzz_check(msg->text != NULL, "text is never NULL");
	for (int i = 0; i < msg->nparts; i++)
		fuzz_check(msg->parts[i].data == NULL || msg->parts[i].data[msg->parts[i].len] == '\0',
			   "a part's data is NUL-terminated at its length");
	for (int i = 0; i < msg->nheaders; i++)
		check_str(msg->headers[i].value, "header value");

	struct filter_env env;
	memset(&env, 0, sizeof(env));
	env.max_size = lim.max_size;
	env.list_ids = list_ids;
	env.nlist_ids = 1;
	env.own_addrs = own_addrs;
	env.nown_addrs = 1;
	env.loop_token = "tagd@tags.example.org";
	env.is_participant = is_participant;
	env.external_timeout_ms = 1000;
	struct filter_ctx fc;
	memset(&fc, 0, sizeof(fc));
	fc.env = &env;
	fc.raw = raw;
	fc.rawlen = size;
	fc.msg = msg;
	enum msg_class c = filter_chain_run(chain, nchain, &fc);
	fuzz_check(msg_class_name(c) != NULL, "a known class");

	/* the sender-trust verdicts read the Authentication-Results headers */
	trust_dmarc_pass(msg, "mx.tags.example.org");
	trust_dmarc_pass(msg, "");

	struct thread_input ti;
	memset(&ti, 0, sizeof(ti));
	ti.body = msg->text;
	ti.subject = msg->subject;
	ti.paras = paras;
	ti.nparas = nparas;
	ti.index = (size & 1) ? idx : NULL;
	ti.context_paragraph = (int)(size % 25);
	ti.has_parent = size % 7 == 0;
	ti.author = msg->from.name;
	struct thread_result tr;
	fuzz_check(thread_extract(&ti, &tr) == 0, "thread_extract takes any body");
	for (int i = 0; i < tr.ncomments; i++) {
		const struct thread_comment *k = &tr.comments[i];
		fuzz_check(k->paragraph >= 0 && k->paragraph <= nparas, "a comment lands on a paragraph of the draft");
		fuzz_check(k->text != NULL, "a comment has text");
		for (int p = 0; p < k->nparagraphs; p++)
			fuzz_check(k->paragraphs[p] >= 0 && k->paragraphs[p] <= nparas, "paragraph lists are in range");
	}
	fuzz_check(tr.ncomments <= THREAD_MAX_COMMENTS, "at most THREAD_MAX_COMMENTS comments");
	thread_result_free(&tr);
	int sp = thread_subject_paragraph(msg->subject, paras, nparas);
	fuzz_check(sp >= 0 && sp <= nparas, "a subject tag names a paragraph of the draft");

	/* what ingest reads from the text of commands: the new text alone,
	   and the sign-up form */
	struct buf fresh = BUF_INIT;
	reply_new_text(msg->text, &fresh);
	buf_free(&fresh);
	struct signup_form form;
	signup_form_parse(msg->text, &form);
	signup_form_free(&form);
	signup_years_parse(msg->subject);

	filter_ctx_free(&fc);
	mail_msg_free(&msg);
	free(raw);
	return 0;
}
