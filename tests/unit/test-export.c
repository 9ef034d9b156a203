/* test-export - the export model (placement, threads, the depth cap,
   retired paragraphs, heat columns), its four writers, and the final paper's
   queueing, against a real store */
#include "config.h"
#include "tap.h"
#include "tag/export.h"
#include "tag/final.h"
#include "tag/draft.h"
#include "tag/mailout.h"
#include "tag/session.h"
#include "tag/settings.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char dir[] = "/tmp/tagd-test-export.XXXXXX";

struct world {
	struct store *st;
	struct tagd_config cfg;
	struct mailout *mo;
	struct st_session ses;
	int64_t ana, bola;
};

/* at - a New York local time in July 2018 as a UTC instant */
static time_t at(int day, int hour)
{
	time_t t = 0;
	clock_make_local("America/New_York", 2018, 7, day, hour, 0, &t);
	return t;
}

static int64_t pid_of(struct store *st, int64_t sid, int rev, int number)
{
	int64_t pid = 0;
	store_paragraph_id(st, sid, rev, number, &pid);
	return pid;
}

static int64_t add_comment(struct world *w, int64_t author, const char *email, int number, int64_t parent,
			   time_t created, int late, const char *text)
{
	static int pos;
	struct st_comment c;
	memset(&c, 0, sizeof(c));
	c.session_id = w->ses.id;
	c.position = pos++;
	c.paragraph_id = number ? pid_of(w->st, w->ses.id, 1, number) : 0;
	c.revision = 1;
	c.number = number;
	c.parent_id = parent;
	c.author_id = author;
	c.author_email = (char *)email;
	c.text = (char *)text;
	c.how = (char *)"address";
	c.late = late;
	c.created = created;
	int64_t id = 0;
	store_comment_add(w->st, &c, &id);
	return id;
}

static void test_helpers(void)
{
	static const struct {
		const char *name;
		int want;
	} formats[] = {
		{ "md", EXPORT_MD }, { "markdown", EXPORT_MD }, { "html", EXPORT_HTML }, { "csv", EXPORT_CSV },
		{ "json", EXPORT_JSON }, { "pdf", -1 }, { "", -1 }, { "JSON", -1 }, { NULL, -1 },
	};
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		is_int(export_format_parse(formats[i].name), formats[i].want, "format '%s'",
		       formats[i].name ? formats[i].name : "(null)");
	static const struct {
		const char *text;
		int words;
		const char *want;
	} fw[] = {
		{ "one two three", 5, "one two three" },
		{ "  one\n two\t\tthree  four ", 3, "one two three..." },
		{ "", 3, "" },
		{ NULL, 3, "" },
		{ "one two", 2, "one two" },
		{ "one two", 0, "..." },
	};
	for (size_t i = 0; i < sizeof(fw) / sizeof(fw[0]); i++) {
		struct buf b = BUF_INIT;
		export_first_words(fw[i].text, fw[i].words, &b);
		is_str(buf_cstr(&b), fw[i].want, "first words, case %zu", i);
		buf_free(&b);
	}
	static const struct {
		const char *path, *name, *type;
	} att[] = {
		{ "/tmp/x/Final Paper.PDF", "Final Paper.PDF", "application/pdf" },
		{ "paper.docx", "paper.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
		{ "a\"b'c\\d.txt", "a_b_c_d.txt", "text/plain" },
		{ "r\xc3\xa9sum\xc3\xa9.md", "r__sum__.md", "text/markdown" },
		{ "dir/", "attachment", "application/octet-stream" },
		{ "..", "attachment", "application/octet-stream" },
		{ "noext", "noext", "application/octet-stream" },
	};
	for (size_t i = 0; i < sizeof(att) / sizeof(att[0]); i++) {
		char *n = final_attachment_name(att[i].path);
		is_str(n, att[i].name, "attachment name of '%s'", att[i].path);
		is_str(final_attachment_type(n), att[i].type, "type of '%s'", n);
		free(n);
	}
	char longname[300];
	memset(longname, 'x', sizeof(longname));
	memcpy(longname + sizeof(longname) - 5, ".pdf", 5);
	char *n = final_attachment_name(longname);
	ok(strlen(n) == 100 && str_ends(n, ".pdf"), "a long name is cut to 100 bytes, its extension kept");
	free(n);
}

static const struct export_para *para(const struct export_doc *d, int number)
{
	for (int i = 0; i < d->nparas; i++)
		if (d->paras[i].number == number)
			return &d->paras[i];
	return NULL;
}

static void test_model(struct world *w)
{
	int64_t c1 = add_comment(w, w->ana, "ana@example.org", 0, 0, at(16, 10), 0, "On the whole: fine.");
	int64_t c2 = add_comment(w, w->bola, "bola@example.org", 1, 0, at(17, 9), 0,
				 "Hostile <script>alert(1)</script> & \"quotes\", commas\nand a second line");
	/* filed on ¶2, but an answer to c2: it goes under c2 */
	int64_t c3 = add_comment(w, w->ana, "ana@example.org", 2, c2, at(18, 9), 0, "A reply.");
	int64_t c4 = add_comment(w, w->ana, "ana@example.org", 3, 0, at(14, 9), 0, "Before the review.");
	int64_t c5 = add_comment(w, w->bola, "bola@example.org", 2, 0, at(22, 9), 1, "After the review.");
	/* a chain of 40 replies under c1: EXPORT_MAX_DEPTH levels nest, the rest start threads */
	int64_t parent = c1;
	for (int i = 1; i <= 40; i++) {
		char text[32];
		snprintf(text, sizeof(text), "reply %d", i);
		parent = add_comment(w, w->bola, "bola@example.org", 0, parent, at(19, 9), 0, text);
	}
	store_comment_set_status(w->st, c2, "incorporated", "Taken <b>in</b>.");
	store_comment_set_status(w->st, c4, "declined", NULL);

	struct export_doc *d;
	const char *err;
	if (!is_int(export_load(w->st, &w->ses, 0, &d, &err), 0, "export_load"))
		return;
	is_int(d->revision, 1, "the current revision");
	is_int(d->nparas, 3, "three paragraphs");
	is_int(d->ncomments, 45, "45 comments");
	is_int(d->authors, 2, "two authors");
	is_int(d->late, 1, "one late");
	is_int(d->status_counts[1], 1, "one incorporated");
	is_int(d->status_counts[2], 1, "one declined");
	is_int(d->ndays, 7, "heat columns: earlier, five days, later");
	ok(strcmp(d->days[0], "earlier") == 0 && strcmp(d->days[1], "2018-07-16") == 0 &&
	   strcmp(d->days[5], "2018-07-20") == 0 && strcmp(d->days[6], "later") == 0, "the columns' labels");
	is_int(d->general.nthreads, 1 + 40 - EXPORT_MAX_DEPTH, "the draft as a whole: c1 and the replies past the depth cap");
	ok(d->general.nthreads > 0 && d->general.threads[0]->c->id == c1, "c1 first");
	int depth = 0;
	const struct export_comment *n = d->general.threads[0];
	while (n->nreplies) {
		n = n->replies[0];
		depth++;
	}
	is_int(depth, EXPORT_MAX_DEPTH, "the chain nests EXPORT_MAX_DEPTH levels");
	is_int(n->depth, EXPORT_MAX_DEPTH, "and the deepest knows its depth");
	const struct export_para *p1 = para(d, 1), *p2 = para(d, 2), *p3 = para(d, 3);
	ok(p1 && p1->nthreads == 1 && p1->threads[0]->c->id == c2 && p1->threads[0]->nreplies == 1 &&
	   p1->threads[0]->replies[0]->c->id == c3, "a reply sits under its parent, wherever it was filed");
	ok(p1 && p1->total == 2 && p1->per_day[2] == 1 && p1->per_day[3] == 1, "¶1's heat: c2 on Tuesday, c3 on Wednesday");
	ok(p2 && p2->nthreads == 1 && p2->threads[0]->c->id == c5 && p2->per_day[6] == 1, "¶2: the late comment, 'later'");
	ok(p3 && p3->nthreads == 1 && p3->threads[0]->c->id == c4 && p3->per_day[0] == 1, "¶3: the early one, 'earlier'");
	is_int(d->general.total, 41, "the whole draft's row counts the whole chain");
	is_int(d->max_cell, 40, "the largest cell");

	struct buf out = BUF_INIT;
	is_int(export_html(d, &out), 0, "html");
	ok(strstr(out.data, "<script") == NULL && strstr(out.data, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL,
	   "html: the comment's markup is escaped");
	ok(strstr(out.data, "Taken &lt;b&gt;in&lt;/b&gt;.") != NULL, "html: the note too");
	ok(strstr(out.data, "default-src 'none'") != NULL && strstr(out.data, " src=") == NULL &&
	   strstr(out.data, "http:") == NULL && strstr(out.data, "https:") == NULL, "html: self-contained, a CSP");
	ok(strstr(out.data, "<section class=\"para\" id=\"p1\">") != NULL &&
	   strstr(out.data, "<article class=\"comment\" id=\"c") != NULL, "html: sections and articles");
	ok(strstr(out.data, "title=\"¶1, Tuesday 17 July 2018: 1 comment\">1</td>") != NULL, "html: a heat cell's title");
	buf_reset(&out);
	is_int(export_csv(d, &out), 0, "csv");
	int lines = 0;
	for (const char *p = out.data; (p = strstr(p, "\r\n")) != NULL; p += 2)
		lines++;
	is_int(lines, 1 + 45, "csv: a header, one row per comment (CRLF ends a record, a bare LF stays in its field)");
	ok(strstr(out.data, "\"Hostile <script>alert(1)</script> & \"\"quotes\"\", commas\nand a second line\"") != NULL,
	   "csv: quoted as RFC 4180 says");
	buf_reset(&out);
	is_int(export_json(d, &out), 0, "json");
	ok(strstr(out.data, "\"heat\":{\"days\":[\"earlier\",\"2018-07-16\"") != NULL, "json: the heat days");
	ok(strstr(out.data, "\"counts\":[0,0,1,1,0,0,0],\"total\":2") != NULL, "json: ¶1's heat row");
	buf_reset(&out);
	is_int(export_markdown(d, &out), 0, "markdown");
	ok(strstr(out.data, "| ¶1 | 0 | 0 | 1 | 1 | 0 | 0 | 0 | 2 |") != NULL, "md: the heat table row");
	ok(strstr(out.data, "  > Hostile <script>alert(1)</script>") != NULL &&
	   strstr(out.data, "  > and a second line") != NULL, "md: a comment as a quote, line by line");
	buf_free(&out);
	export_doc_free(&d);
	ok(d == NULL, "export_doc_free sets NULL");

	/* revision 2 drops ¶2: c5 goes to the retired section */
	struct draft_import_result r;
	const char *md2 = "# Title\n\nAlpha one.\n\nGamma three.\n";
	is_int(tag_draft_import(w->st, w->ses.id, md2, strlen(md2), &r, &err), 0, "revision 2");
	if (!is_int(export_load(w->st, &w->ses, 0, &d, &err), 0, "export of revision 2"))
		return;
	ok(d->nparas == 2 && d->nretired == 1 && d->retired[0].number == 2 && d->retired[0].seen_revision == 1 &&
	   strcmp(d->retired[0].text, "Beta two.") == 0 && d->retired[0].nthreads == 1 &&
	   d->retired[0].threads[0]->c->id == c5, "a comment on a dropped paragraph is in the retired section");
	ok(para(d, 1) && para(d, 1)->threads[0]->replies[0]->c->id == c3,
	   "the reply filed on the dropped ¶2 stays under its parent");
	ok(para(d, 2) && para(d, 2)->nthreads == 1 && para(d, 2)->threads[0]->c->id == c4,
	   "¶3 of revision 1 is ¶2 now, with its comment");
	struct buf h = BUF_INIT;
	export_html(d, &h);
	ok(strstr(h.data, "<section class=\"para\" id=\"r") != NULL, "html: the retired section");
	buf_free(&h);
	export_doc_free(&d);
	is_int(export_load(w->st, &w->ses, 1, &d, &err), 0, "export of revision 1");
	ok(d && d->nretired == 0 && para(d, 2) && para(d, 2)->threads[0]->c->id == c5, "revision 1 still has ¶2");
	export_doc_free(&d);
	is_int(export_load(w->st, &w->ses, 3, &d, &err), 1, "no revision 3");
	ok(d == NULL && strstr(err, "no revision 3") != NULL, "and says so: %s", err);
}

static int outbox_finals(struct store *st, int64_t sid)
{
	struct st_outbox *o;
	int n, k = 0;
	if (store_outbox_list(st, sid, NULL, &o, &n) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		k += strcmp(o[i].kind, "final") == 0;
	st_outbox_list_free(&o, n);
	return k;
}

static void test_final(struct world *w)
{
	struct final_req rq;
	struct final_result r;
	const char *err;
	memset(&rq, 0, sizeof(rq));
	rq.paper = "# Title only\n";
	rq.paper_len = strlen(rq.paper);
	is_int(final_send(w->st, w->mo, &w->ses, &rq, &r, &err), -1, "a paper without paragraphs is refused");
	final_result_free(&r);
	rq.paper = "# Final\n\nGamma three, now first.\n\nAlpha one.\n\nDelta four.\n";
	rq.paper_len = strlen(rq.paper);
	rq.extra_csv = "name,mail\nx,y@example.org\n";
	rq.extra_len = strlen(rq.extra_csv);
	rq.extra_name = "extra.csv";
	is_int(final_send(w->st, w->mo, &w->ses, &rq, &r, &err), -1, "an extra list without an email column");
	final_result_free(&r);
	is_int(outbox_finals(w->st, w->ses.id), 0, "nothing queued");

	rq.extra_csv = "email,name\nboard@example.net,Board\nnot-an-address,X\nANA@example.org,Ana again\n";
	rq.extra_len = strlen(rq.extra_csv);
	struct compose_attachment att = { "paper.pdf", "application/pdf", "%PDF-1.4\n", 9 };
	rq.att = &att;
	rq.natt = 1;
	if (!is_int(final_send(w->st, w->mo, &w->ses, &rq, &r, &err), 0, "final_send"))
		diag("%s", err);
	is_int(r.queued, 3, "three mails: two participants and one extra address (Ana once)");
	is_int(r.participants, 2, "two participants");
	is_int(r.extra, 1, "one extra address");
	is_int(r.bad, 1, "one bad row");
	ok(strstr(buf_cstr(&r.errors), "extra.csv:3: 'not-an-address' is not an email address") != NULL,
	   "named with its line: %s", buf_cstr(&r.errors));
	is_int(r.thanked, 2, "both commenters thanked");
	is_int(r.paragraphs, 3, "the paper's three paragraphs");
	is_int(r.kept, 2, "two paragraphs of the draft found in the paper");
	is_int(r.revision, 3, "the paper goes by the next revision number");
	final_result_free(&r);
	struct st_session s;
	store_session_get_id(w->st, w->ses.id, &s);
	is_str(s.state, "final", "the session is final");
	st_session_free(&s);
	is_int(final_send(w->st, w->mo, &w->ses, &rq, &r, &err), 0, "final_send again");
	ok(r.queued == 0 && r.already == 3, "queues nothing new (%d, %d)", r.queued, r.already);
	final_result_free(&r);
	is_int(outbox_finals(w->st, w->ses.id), 3, "three final mails in the outbox");
	rq.natt = FINAL_MAX_ATTACHMENTS + 1;
	is_int(final_send(w->st, w->mo, &w->ses, &rq, &r, &err), -1, "too many attachments");
	final_result_free(&r);
}

int main(void)
{
	test_helpers();
	if (!ok(mkdtemp(dir) != NULL, "temporary directory"))
		return done_testing();
	struct world w;
	memset(&w, 0, sizeof(w));
	char *db = xasprintf("%s/t.db", dir);
	const char *err;
	if (!ok(store_open(db, &w.st, &err) == 0, "store")) {
		free(db);
		return done_testing();
	}
	free(db);
	struct buf e = BUF_INIT;
	tagd_config_load(&w.cfg, NULL, &e);
	buf_free(&e);
	free(w.cfg.template_dir);
	w.cfg.template_dir = xstrdup(TOP_SRCDIR "/templates");
	w.mo = mailout_new(w.st, &w.cfg);

	char *path = xasprintf("%s/fixtures/prof-learning.session", shared_dir());
	struct session_conf sc;
	struct buf errs = BUF_INIT;
	is_int(session_conf_load(&sc, path, &errs), 0, "the fixture session %s", buf_cstr(&errs));
	free(path);
	struct st_session s;
	session_conf_to_store(&sc, "", &s);
	int64_t sid;
	store_session_put(w.st, &s, &sid);
	session_store_free(&s);
	session_conf_free(&sc);
	buf_free(&errs);
	store_session_get(w.st, "prof-learning", &w.ses);

	/* a session without a draft exports an empty document */
	struct export_doc *d;
	if (is_int(export_load(w.st, &w.ses, 0, &d, &err), 0, "no draft yet: export_load")) {
		struct buf out = BUF_INIT;
		for (int f = EXPORT_MD; f <= EXPORT_JSON; f++)
			ok(export_write(d, (enum export_format)f, &out) == 0 && out.len > 0, "no draft: %s",
			   export_format_name((enum export_format)f));
		buf_free(&out);
		export_doc_free(&d);
	}

	const char *md = "# Title\n\nAlpha one.\n\nBeta two.\n\nGamma three.\n";
	struct draft_import_result r;
	is_int(tag_draft_import(w.st, w.ses.id, md, strlen(md), &r, &err), 0, "revision 1");
	struct st_participant p;
	memset(&p, 0, sizeof(p));
	p.session_id = w.ses.id;
	p.years = -1;
	p.status = (char *)"active";
	p.mode = (char *)"each";
	p.email = (char *)"ana@example.org";
	p.name = (char *)"Ana";
	p.organization = (char *)"District 9";
	store_participant_add(w.st, &p, &w.ana);
	p.email = (char *)"bola@example.org";
	p.name = (char *)"Bola";
	p.organization = (char *)"Lincoln";
	store_participant_add(w.st, &p, &w.bola);

	test_model(&w);
	test_final(&w);

	st_session_free(&w.ses);
	mailout_free(&w.mo);
	tagd_config_free(&w.cfg);
	store_close(&w.st);
	char *cmd = xasprintf("rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	free(cmd);
	return done_testing();
}
