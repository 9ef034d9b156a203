/* test-doc - src/doc: draft blocks, revision alignment, word diff */
#include "config.h"
#include "tap.h"
#include "doc/align.h"
#include "doc/diff.h"
#include "doc/draft.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* read_draft - parse a file; NULL (and a failed check) when that fails */
static struct draft *read_draft(const char *path)
{
	char *md;
	size_t len;
	struct draft *d = NULL;
	const char *err = NULL;
	if (!ok(str_read_file(path, DRAFT_MAX_SIZE, &md, &len) == 0, "read %s", path))
		return NULL;
	if (!ok(draft_parse(md, len, &d, &err) == 0, "parse %s", path))
		diag("error: %s", err);
	free(md);
	return d;
}

/* numbered_texts - the texts of the numbered blocks, borrowed from d */
static const char **numbered_texts(const struct draft *d)
{
	const char **t = xcalloc((size_t)d->nnumbered + 1, sizeof(char *));
	for (int i = 0; i < d->nblocks; i++)
		if (d->blocks[i].number > 0)
			t[d->blocks[i].number - 1] = d->blocks[i].text;
	return t;
}

static void test_fixture(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/fixtures/prof-learning-draft.md", shared_dir());
	struct draft *d = read_draft(path);
	if (d == NULL)
		return;
	is_int(d->nnumbered, 22, "fixture: 22 numbered blocks");
	is_int(d->nblocks, 30, "fixture: 22 numbered blocks and 8 headings");
	is_str(d->title, "Professional Learning in Competency-Based Education", "fixture: title");
	int headings_ok = 1, seq_ok = 1, next = 1, nheadings = 0;
	for (int i = 0; i < d->nblocks; i++) {
		const struct draft_block *b = &d->blocks[i];
		if (b->kind == BLOCK_HEADING) {
			nheadings++;
			if (b->number != 0 || b->level < 1 || b->level > 2)
				headings_ok = 0;
		} else if (b->number != next++) {
			seq_ok = 0;
		}
	}
	ok(headings_ok && nheadings == 8, "fixture: headings are number 0 (8 of them)");
	ok(seq_ok, "fixture: numbered blocks run 1..22 in order");
	is_str(d->blocks[0].text, "Professional Learning in Competency-Based Education", "fixture: first block is the title heading");
	is_int(d->blocks[0].level, 1, "fixture: title is level 1");
	is_str(d->blocks[0].markdown, "# Professional Learning in Competency-Based Education", "fixture: title markdown");
	is_str(d->blocks[2].text, "Why this paper", "fixture: section heading text");

	int kinds_ok = 1;
	for (int n = 1; n <= 22; n++) {
		const struct draft_block *b = draft_block_by_number(d, n);
		enum block_kind want = n >= 11 && n <= 14 ? BLOCK_ITEM : BLOCK_PARAGRAPH;
		if (b == NULL || b->number != n || b->kind != want)
			kinds_ok = 0;
	}
	ok(kinds_ok, "fixture: ¶11-¶14 are items, the others paragraphs");
	ok(draft_block_by_number(d, 0) == NULL && draft_block_by_number(d, 23) == NULL,
	   "fixture: ¶0 and ¶23 do not exist");

	static const struct { int n; const char *text; } want[] = {
		{ 1, "Draft framing paper for the Technical Advisory Group, July 16-20, 2018. Please comment on any numbered paragraph during the week; we will revise this draft as your comments arrive." },
		{ 11, "Job-embedded learning that happens inside the school day and is tied to the actual work of teaching a particular group of students." },
		{ 12, "Teacher-led calibration sessions in which staff score common performance tasks against shared rubrics and discuss the results." },
		{ 13, "Coaching cycles that combine observation, feedback and reflection over several weeks rather than a single visit." },
		{ 14, "Learning walks across classrooms and schools so that educators can see competency-based practice in action." },
		{ 22, "What would you add to, remove from or change in the future state described above? We will bring your insights into the revised paper that will be published this fall." },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct draft_block *b = draft_block_by_number(d, want[i].n);
		is_str(b ? b->text : NULL, want[i].text, "fixture: text of ¶%d", want[i].n);
	}
	const struct draft_block *b11 = draft_block_by_number(d, 11);
	is_str(b11 ? b11->markdown : NULL,
	       "- Job-embedded learning that happens inside the school day and is tied to the actual work of teaching a particular group of students.",
	       "fixture: ¶11 markdown keeps its bullet");
	ok(b11 && b11->level == 1 && b11->line_start == 31, "fixture: ¶11 is a top-level item on line 31");
	draft_free(&d);
	ok(d == NULL, "draft_free sets the pointer NULL");
}

static void test_markup(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/draft-markup.md", TOP_SRCDIR);
	struct draft *d = read_draft(path);
	if (d == NULL)
		return;
	static const struct {
		int number;
		enum block_kind kind;
		int level;
		const char *text;
	} want[] = {
		{ 0, BLOCK_HEADING, 1, "Title with emphasis" },
		{ 1, BLOCK_PARAGRAPH, 0, "A paragraph with emphasis, strong, code span, a link and an image alt text over two lines." },
		{ 2, BLOCK_PARAGRAPH, 0, "Hard break here\nand after it raw & inline HTML dropped." },
		{ 3, BLOCK_ITEM, 1, "First item\n\nwith a second paragraph." },
		{ 4, BLOCK_ITEM, 1, "Second item" },
		{ 5, BLOCK_ITEM, 2, "Nested one" },
		{ 6, BLOCK_ITEM, 2, "Nested two" },
		{ 7, BLOCK_ITEM, 1, "Third & last" },
		{ 8, BLOCK_QUOTE, 0, "A quoted paragraph.\n\nquoted list item" },
		{ 9, BLOCK_ITEM, 1, "Ordered three" },
		{ 10, BLOCK_ITEM, 1, "Ordered four" },
		{ 11, BLOCK_CODE, 0, "code block line\n  indented" },
		{ 0, BLOCK_HEADING, 2, "Setext heading" },
		{ 12, BLOCK_PARAGRAPH, 0, "Last paragraph." },
	};
	int n = (int)(sizeof(want) / sizeof(want[0]));
	is_int(d->nblocks, n, "markup: block count (thematic break and HTML block dropped)");
	is_int(d->nnumbered, 12, "markup: 12 numbered blocks");
	for (int i = 0; i < n && i < d->nblocks; i++) {
		const struct draft_block *b = &d->blocks[i];
		ok(b->number == want[i].number && b->kind == want[i].kind && b->level == want[i].level,
		   "markup: block %d is %s ¶%d level %d (got %s ¶%d level %d)", i,
		   block_kind_name(want[i].kind), want[i].number, want[i].level,
		   block_kind_name(b->kind), b->number, b->level);
		is_str(b->text, want[i].text, "markup: block %d text", i);
	}
	is_str(d->title, "Title with emphasis", "markup: title without markup");
	if (d->nblocks == n) {
		is_str(d->blocks[3].markdown, "- First item\n\n  with a second paragraph.",
		       "markup: item markdown keeps both paragraphs, indented");
		is_str(d->blocks[4].markdown, "- Second item", "markup: item markdown leaves nested lists out");
		is_str(d->blocks[6].markdown, "- Nested *two*", "markup: item markdown keeps inline markup");
		is_str(d->blocks[9].markdown, "3. Ordered three", "markup: ordered item keeps its number");
		is_str(d->blocks[10].markdown, "4. Ordered four", "markup: next ordered item counts on");
		is_int(d->blocks[1].line_start, 3, "markup: paragraph starts on line 3");
		is_int(d->blocks[1].line_end, 4, "markup: paragraph ends on line 4");
		char *html = doc_markdown_html(d->blocks[2].markdown, strlen(d->blocks[2].markdown));
		is_str(html, "<p>Hard break here<br />\nand after it <!-- raw HTML omitted --> raw &amp; inline HTML dropped.</p>\n",
		       "markup: re-rendered HTML drops raw HTML");
		free(html);
	}
	draft_free(&d);

	static const struct { const char *kind; int value; } kinds[] = {
		{ "heading", BLOCK_HEADING }, { "paragraph", BLOCK_PARAGRAPH }, { "item", BLOCK_ITEM },
		{ "quote", BLOCK_QUOTE }, { "code", BLOCK_CODE }, { "para", -1 }, { "", -1 },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		is_int(block_kind_parse(kinds[i].kind), kinds[i].value, "kind: parse \"%s\"", kinds[i].kind);
		if (kinds[i].value >= 0)
			is_str(block_kind_name(kinds[i].value), kinds[i].kind, "kind: name of %d", kinds[i].value);
	}
	is_int(block_kind_parse(NULL), -1, "kind: parse NULL");
}

static void test_bad_input(void)
{
	struct draft *d = (struct draft *)&d; /* must be reset to NULL */
	const char *err = NULL;
	ok(draft_parse("ok \xff\xfe bad", 10, &d, &err) < 0 && d == NULL && err != NULL,
	   "bad: invalid UTF-8 is an error (%s)", err ? err : "");
	err = NULL;
	ok(draft_parse("a\xc0\xaf", 3, &d, &err) < 0 && err != NULL, "bad: overlong UTF-8 is an error");
	err = NULL;
	ok(draft_parse("a\0b", 3, &d, &err) < 0 && err != NULL, "bad: a NUL byte is an error (%s)",
	   err ? err : "");
	size_t big = DRAFT_MAX_SIZE + 1;
	char *md = xmalloc(big);
	memset(md, 'a', big);
	err = NULL;
	ok(draft_parse(md, big, &d, &err) < 0 && d == NULL && err != NULL,
	   "bad: over the size limit is an error (%s)", err ? err : "");
	ok(draft_parse(md, DRAFT_MAX_SIZE, &d, &err) == 0 && d != NULL && d->nnumbered == 1,
	   "bad: exactly the size limit is one paragraph");
	draft_free(&d);
	free(md);

	/* 200 nested quotes */
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "> ");
	buf_puts(&b, "deep\n");
	err = NULL;
	ok(draft_parse(b.data, b.len, &d, &err) < 0 && err != NULL, "bad: nesting too deep is an error (%s)",
	   err ? err : "");
	buf_reset(&b);
	for (int i = 0; i < 20; i++)
		buf_printf(&b, "%*s- level %d\n", 2 * i, "", i + 1);
	ok(draft_parse(b.data, b.len, &d, &err) == 0 && d->nnumbered == 20 && d->blocks[19].level == 20,
	   "bad: 20 nested list levels are fine, one item each");
	draft_free(&d);
	buf_reset(&b);
	for (int i = 0; i <= DRAFT_MAX_BLOCKS; i++)
		buf_printf(&b, "p%d\n\n", i);
	err = NULL;
	ok(draft_parse(b.data, b.len, &d, &err) < 0 && err != NULL, "bad: %d blocks is an error (%s)",
	   DRAFT_MAX_BLOCKS + 1, err ? err : "");
	buf_free(&b);

	/* cmark is quadratic in brackets within a paragraph: refused early */
	buf_init(&b, 0);
	for (int i = 0; i < 600; i++)
		buf_puts(&b, "![[]()");
	err = NULL;
	ok(draft_parse(b.data, b.len, &d, &err) < 0 && err != NULL, "bad: %d '[' in one paragraph is an error (%s)",
	   1200, err ? err : "");
	buf_reset(&b);
	for (int i = 0; i < 600; i++)
		buf_puts(&b, i % 150 == 149 ? "![[]()\r\n\r\n" : "![[]()");
	ok(draft_parse(b.data, b.len, &d, &err) == 0 && d->nnumbered == 4,
	   "bad: the same spread over 4 paragraphs (CRLF) is fine");
	draft_free(&d);
	buf_free(&b);

	ok(draft_parse("", 0, &d, &err) == 0 && d != NULL && d->nblocks == 0 && d->nnumbered == 0 &&
	   d->title == NULL, "empty: an empty draft has 0 blocks");
	draft_free(&d);
	ok(draft_parse(NULL, 0, &d, &err) == 0 && d != NULL && d->nblocks == 0, "empty: NULL, 0 is empty");
	draft_free(&d);
	ok(draft_parse(" \n\n\t\n---\n<!-- x -->\n", 20, &d, &err) == 0 && d->nblocks == 0,
	   "empty: blank lines, a rule and a comment give 0 blocks");
	draft_free(&d);
	ok(draft_parse("\xef\xbb\xbfHi *there*\n", 14, &d, &err) == 0 && d->nnumbered == 1 &&
	   strcmp(d->blocks[0].text, "Hi there") == 0, "bom: a UTF-8 BOM is skipped");
	draft_free(&d);
	ok(draft_parse("-\n\n>\n", 5, &d, &err) == 0 && d->nblocks == 0, "empty: an empty item and quote are not numbered");
	draft_free(&d);
}

static void test_revision(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/fixtures/prof-learning-draft.md", shared_dir());
	struct draft *od = read_draft(path);
	snprintf(path, sizeof(path), "%s/tests/data/draft-revised.md", TOP_SRCDIR);
	struct draft *nd = read_draft(path);
	if (od == NULL || nd == NULL) {
		draft_free(&od);
		draft_free(&nd);
		return;
	}
	is_int(nd->nnumbered, 23, "revision: 22 - 1 deleted + 2 inserted = 23 blocks");
	const char **ot = numbered_texts(od), **nt = numbered_texts(nd);
	struct align_result r;
	ok(draft_align(ot, od->nnumbered, nt, nd->nnumbered, &r) == 0, "revision: align");
	/* ¶ of the old revision each new block continues (0 = new) */
	static const int want_old[23] = { 1, 2, 3, 0, 4, 5, 6, 7, 8, 10, 11, 12, 0, 13, 14, 15, 16, 17, 19, 20, 18, 21, 22 };
	static const enum align_change want_change[23] = {
		ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_NEW, ALIGN_UNCHANGED,
		ALIGN_EDITED, ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_UNCHANGED,
		ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_NEW, ALIGN_UNCHANGED, ALIGN_UNCHANGED,
		ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_UNCHANGED, ALIGN_UNCHANGED,
		ALIGN_MOVED, ALIGN_UNCHANGED, ALIGN_UNCHANGED,
	};
	is_int(r.nnew, 23, "revision: nnew");
	is_int(r.nold, 22, "revision: nold");
	for (int i = 0; i < 23 && i < r.nnew; i++) {
		ok(r.old_of_new[i] == want_old[i] - 1 && r.change[i] == want_change[i],
		   "revision: new ¶%d continues old ¶%d as %s (got ¶%d %s)", i + 1, want_old[i],
		   align_change_name(want_change[i]), r.old_of_new[i] + 1, align_change_name(r.change[i]));
	}
	ok(r.nretired == 1 && r.retired[0] == 8, "revision: only old ¶9 is retired");

	/* the edited paragraph's diff */
	struct buf b;
	buf_init(&b, 0);
	struct diff_stats st;
	word_diff_text(ot[4], nt[5], &b, &st);
	is_str(buf_cstr(&b),
	       "In a competency-based system, educators learn the way students learn: they work toward explicit, measurable competencies of their own, [-demonstrate-]{+show+} them with [-evidence,-]{+evidence from their classrooms,+} and advance when they are ready rather than when the calendar says so.",
	       "revision: word diff of the edited paragraph");
	ok(st.added == 5 && st.removed == 2 && st.kept == 34, "revision: diff stats +%d -%d =%d", st.added,
	   st.removed, st.kept);
	buf_free(&b);
	diag("revision: similarity of the edit %.3f; inserted item vs old ¶12 %.3f",
	     text_similarity(ot[4], nt[5]), text_similarity(ot[11], nt[12]));
	align_result_free(&r);
	ok(r.old_of_new == NULL && r.nnew == 0, "revision: align_result_free zeroes");

	/* same revision: everything unchanged */
	ok(draft_align(ot, 22, ot, 22, &r) == 0, "self: align");
	int all = r.nretired == 0;
	for (int i = 0; i < 22; i++)
		all = all && r.old_of_new[i] == i && r.change[i] == ALIGN_UNCHANGED;
	ok(all, "self: every block unchanged, none retired");
	align_result_free(&r);

	/* moved and edited; a paragraph rewritten in place is new */
	const char *nt2[22];
	for (int i = 0; i < 22; i++)
		nt2[i] = ot[i];
	nt2[1] = ot[20];
	nt2[20] = "Which of these shifts have you seen work in your district or school, and what made the difference? Where has competency-based professional learning stalled, and why?";
	nt2[1] = nt2[20];
	nt2[20] = ot[1];
	nt2[8] = "Picture a week in which each teacher spends two mornings with colleagues looking at samples of student work together.";
	ok(draft_align(ot, 22, nt2, 22, &r) == 0, "moved+edited: align");
	ok(r.old_of_new[1] == 20 && r.change[1] == ALIGN_MOVED_EDITED, "moved+edited: new ¶2 is old ¶21 moved and edited (%s)",
	   align_change_name(r.change[1]));
	ok(r.old_of_new[20] == 1 && r.change[20] == ALIGN_MOVED, "moved+edited: new ¶21 is old ¶2 moved (%s)",
	   align_change_name(r.change[20]));
	ok(r.old_of_new[8] == -1 && r.change[8] == ALIGN_NEW, "rewrite: a rewritten paragraph is new");
	ok(r.nretired == 1 && r.retired[0] == 8, "rewrite: its old paragraph is retired");
	int rest = 1;
	for (int i = 0; i < 22; i++)
		if (i != 1 && i != 8 && i != 20)
			rest = rest && r.old_of_new[i] == i && r.change[i] == ALIGN_UNCHANGED;
	ok(rest, "moved+edited: the others are unchanged");
	align_result_free(&r);

	/* empty sides */
	ok(draft_align(ot, 22, NULL, 0, &r) == 0 && r.nnew == 0 && r.nretired == 22, "empty new: all retired");
	align_result_free(&r);
	ok(draft_align(NULL, 0, ot, 22, &r) == 0 && r.nretired == 0 && r.change[21] == ALIGN_NEW &&
	   r.old_of_new[0] == -1, "empty old: all new");
	align_result_free(&r);
	ok(draft_align(NULL, -1, NULL, 0, &r) < 0, "negative count is an error");

	free(ot);
	free(nt);
	draft_free(&od);
	draft_free(&nd);
}

static void test_align_cases(void)
{
	struct align_result r;
	/* repeated texts pair in order */
	const char *o1[] = { "TBD.", "Alpha beta gamma.", "TBD.", "TBD." };
	const char *n1[] = { "TBD.", "Inserted here.", "Alpha beta gamma.", "TBD.", "TBD." };
	draft_align(o1, 4, n1, 5, &r);
	ok(r.old_of_new[0] == 0 && r.old_of_new[1] == -1 && r.old_of_new[2] == 1 && r.old_of_new[3] == 2 &&
	   r.old_of_new[4] == 3 && r.nretired == 0, "dups: repeated texts keep their order");
	int none_moved = 1;
	for (int i = 0; i < 5; i++)
		none_moved = none_moved && r.change[i] != ALIGN_MOVED && r.change[i] != ALIGN_MOVED_EDITED;
	ok(none_moved, "dups: an insertion moves nothing");
	align_result_free(&r);

	/* near duplicates, both edited: not crossed */
	const char *o2[] = {
		"Teachers meet weekly in teams to look at student work and plan the next lessons together.",
		"A different paragraph about budgets and money for the coming school year.",
		"Teachers meet weekly in teams to look at student work and plan the next units together.",
	};
	const char *n2[] = {
		"Teachers meet weekly in small teams to look at student work and plan the next lessons together.",
		"A different paragraph about budgets and money for the coming school year.",
		"Teachers meet weekly in small teams to look at student work and plan the next units together.",
	};
	draft_align(o2, 3, n2, 3, &r);
	ok(r.old_of_new[0] == 0 && r.old_of_new[2] == 2 && r.change[0] == ALIGN_EDITED &&
	   r.change[2] == ALIGN_EDITED, "near dups: edited twins keep their own identity");
	align_result_free(&r);

	/* a paragraph split in two: the larger half continues it */
	const char *o3[] = { "One two three four five six seven eight nine ten. Eleven twelve thirteen fourteen." };
	const char *n3[] = { "One two three four five six seven eight nine ten.", "Eleven twelve thirteen fourteen." };
	draft_align(o3, 1, n3, 2, &r);
	ok(r.old_of_new[0] == 0 && r.change[0] == ALIGN_EDITED && r.old_of_new[1] == -1,
	   "split: the larger half continues the paragraph, the rest is new");
	align_result_free(&r);

	static const char *const names[] = { "unchanged", "edited", "moved", "moved+edited", "new" };
	for (int i = 0; i <= ALIGN_NEW; i++)
		is_str(align_change_name(i), names[i], "change name %d", i);

	static const struct { const char *a, *b; double want; } sims[] = {
		{ "Hello, World!", "hello world", 1.0 },
		{ "don't stop", "Dont STOP.", 1.0 },
		{ "Ça marche ÉTÉ", "ça marche été", 1.0 },
		{ "", "", 1.0 },
		{ "-- !", "...", 1.0 },
		{ "words here", "", 0.0 },
		{ "alpha beta", "gamma delta", 0.0 },
		{ "a b c d", "d c b a", 0.5 },
		{ "one", "one two three", 0.5 },
	};
	for (size_t i = 0; i < sizeof(sims) / sizeof(sims[0]); i++) {
		double s = text_similarity(sims[i].a, sims[i].b);
		ok(s > sims[i].want - 1e-9 && s < sims[i].want + 1e-9, "similarity(\"%s\", \"%s\") = %.3f, want %.3f",
		   sims[i].a, sims[i].b, s, sims[i].want);
	}
}

/* ---- word diff ---- */

static void test_diff(void)
{
	static const struct {
		const char *a, *b, *text, *html;
		int added, removed, kept;
	} cases[] = {
		{ "the quick brown fox", "the slow brown fox", "the [-quick-]{+slow+} brown fox",
		  "the <del>quick</del><ins>slow</ins> brown fox", 1, 1, 3 },
		{ "same words", "same words", "same words", "same words", 0, 0, 2 },
		{ "", "", "", "", 0, 0, 0 },
		{ "", "brand new words", "{+brand new words+}", "<ins>brand new words</ins>", 3, 0, 0 },
		{ "all gone now", "", "[-all gone now-]", "<del>all gone now</del>", 0, 3, 0 },
		{ "x a b", "a b", "[-x-] a b", "<del>x</del> a b", 0, 1, 2 },
		{ "a b", "y a b", "{+y+} a b", "<ins>y</ins> a b", 1, 0, 2 },
		{ "a b c", "a b", "a b [-c-]", "a b <del>c</del>", 0, 1, 2 },
		{ "a b c d e", "a c d e f", "a [-b-] c d e {+f+}", "a <del>b</del> c d e <ins>f</ins>", 1, 1, 4 },
		{ "keep the  spacing\n\nnext para", "keep  the spacing\n\nnext  para!",
		  "keep  the spacing\n\nnext  [-para-]{+para!+}", "keep  the spacing\n\nnext  <del>para</del><ins>para!</ins>",
		  1, 1, 4 },
		{ "one two three", "one 2 3 three", "one [-two-]{+2 3+} three", "one <del>two</del><ins>2 3</ins> three", 2, 1, 2 },
		{ "Use <b>bold</b> & \"quotes\"", "Use <script>alert('x')</script> & \"quotes\"",
		  "Use [-<b>bold</b>-]{+<script>alert('x')</script>+} & \"quotes\"",
		  "Use <del>&lt;b&gt;bold&lt;/b&gt;</del><ins>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</ins> &amp; &quot;quotes&quot;",
		  1, 1, 3 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b, 0);
		struct diff_stats st;
		word_diff_text(cases[i].a, cases[i].b, &b, &st);
		is_str(buf_cstr(&b), cases[i].text, "diff %zu: text", i);
		ok(st.added == cases[i].added && st.removed == cases[i].removed && st.kept == cases[i].kept,
		   "diff %zu: stats +%d -%d =%d", i, st.added, st.removed, st.kept);
		buf_reset(&b);
		word_diff_html(cases[i].a, cases[i].b, &b, NULL);
		is_str(buf_cstr(&b), cases[i].html, "diff %zu: html", i);
		buf_free(&b);
	}
	struct buf b;
	buf_init(&b, 0);
	word_diff_text(NULL, "x", &b, NULL);
	is_str(buf_cstr(&b), "{+x+}", "diff: NULL reads as empty");
	buf_free(&b);
}

/* lcs - reference longest common subsequence of two word arrays (DP) */
static int lcs(const int *a, int na, const int *b, int nb)
{
	int *row = xcalloc((size_t)nb + 1, sizeof(int));
	for (int i = 1; i <= na; i++) {
		int diag = 0;
		for (int j = 1; j <= nb; j++) {
			int up = row[j];
			row[j] = a[i - 1] == b[j - 1] ? diag + 1 : (row[j] > row[j - 1] ? row[j] : row[j - 1]);
			diag = up;
		}
	}
	int r = row[nb];
	free(row);
	return r;
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (rng_state >> 8) & 0xffffff;
}

/* random_words - n words from a small alphabet, as text and as ids */
static char *random_words(int n, int *ids, int alphabet)
{
	struct buf b;
	buf_init(&b, 0);
	for (int i = 0; i < n; i++) {
		ids[i] = (int)(rng() % (uint32_t)alphabet);
		buf_printf(&b, "%sw%d", i ? (rng() % 5 ? " " : "\n") : "", ids[i]);
	}
	char *s = buf_steal(&b, NULL);
	buf_free(&b);
	return s;
}

static void test_diff_minimal(void)
{
	int bad = 0;
	for (int round = 0; round < 300; round++) {
		int ia[40], ib[40];
		int na = (int)(rng() % 40), nb = (int)(rng() % 40);
		char *a = random_words(na, ia, 6), *b = random_words(nb, ib, 6);
		struct buf out;
		buf_init(&out, 0);
		struct diff_stats st;
		word_diff_text(a, b, &out, &st);
		int want = lcs(ia, na, ib, nb);
		if (st.kept != want || st.kept + st.removed != na || st.kept + st.added != nb) {
			if (bad++ == 0)
				diag("a=\"%s\" b=\"%s\" kept %d want %d", a, b, st.kept, want);
		}
		buf_free(&out);
		free(a);
		free(b);
	}
	ok(bad == 0, "diff: 300 random pairs give minimal scripts (kept = LCS)");

	/* over the limits: one whole replacement of the differing middle */
	int n = 3000;
	int *ids = xmalloc((size_t)n * sizeof(int));
	struct buf a, b2, out;
	buf_init(&a, 0);
	buf_init(&b2, 0);
	for (int i = 0; i < n; i++) {
		buf_printf(&a, "%sa%d", i ? " " : "", i);
		buf_printf(&b2, "%s%c%d", i ? " " : "", i % 2 ? 'a' : 'b', i);
	}
	buf_init(&out, 0);
	struct diff_stats st;
	word_diff_text(a.data, b2.data, &out, &st);
	ok(st.kept == 1 && st.removed == n - 1 && st.added == n - 1,
	   "diff: past %d edits the middle is one replacement (+%d -%d =%d)", DIFF_MAX_EDITS, st.added,
	   st.removed, st.kept);
	ok(str_starts(buf_cstr(&out), "[-a0 a1 a2 ") && strstr(buf_cstr(&out), " a2998-]{+b0 a1 b2 ") != NULL &&
	   str_ends(buf_cstr(&out), " b2998+} a2999"),
	   "diff: the replacement is old middle, new middle, then the common suffix");
	buf_free(&out);
	buf_free(&a);
	buf_free(&b2);
	free(ids);

	/* a capped output buffer is marked, not overrun */
	buf_init(&out, 16);
	word_diff_html("a b c d e f g h", "<x> <y> <z> <w>", &out, &st);
	ok(out.overflowed && out.len <= 16, "diff: a capped buffer overflows cleanly");
	buf_free(&out);
}

/* ---- alignment at scale ---- */

static const char *const vocab[] = {
	"learning", "teachers", "students", "school", "district", "evidence", "competency", "mastery",
	"coaching", "time", "budget", "practice", "assessment", "grading", "leaders", "state",
	"policy", "equity", "calibration", "rubrics", "pathways", "agency", "data", "feedback",
	"observation", "reflection", "networks", "licensure", "credential", "pilot", "protocol", "teams",
};

/* synth_text - a paragraph of 20-40 words: common words, vocabulary and
   rarer numbered terms */
static char *synth_text(void)
{
	static const char *const common[] = { "the", "of", "and", "to", "a", "in", "that", "is", "for", "with" };
	struct buf b;
	buf_init(&b, 0);
	int n = 20 + (int)(rng() % 21);
	for (int i = 0; i < n; i++) {
		uint32_t k = rng() % 10;
		if (i)
			buf_putc(&b, ' ');
		if (k < 4)
			buf_puts(&b, common[rng() % 10]);
		else if (k < 8)
			buf_puts(&b, vocab[rng() % (sizeof(vocab) / sizeof(vocab[0]))]);
		else
			buf_printf(&b, "term%u", rng() % 20000);
	}
	buf_putc(&b, '.');
	char *s = buf_steal(&b, NULL);
	buf_free(&b);
	return s;
}

/* edit_text - replace about one word in eight */
static char *edit_text(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	int words = 0;
	for (const char *p = s; *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (words++ % 8 == 3)
			buf_printf(&b, "changed%u", rng() % 1000);
		else
			buf_append(&b, p, len);
		p += len;
		if (*p == ' ')
			buf_putc(&b, *p++);
	}
	char *r = buf_steal(&b, NULL);
	buf_free(&b);
	return r;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* scale - nold blocks; one in edit_every edited, every 20th deleted, one new
   block after every 20th, 20 blocks moved far away */
static void scale(int nold, int edit_every)
{
	char **old = xmalloc((size_t)nold * sizeof(char *));
	for (int i = 0; i < nold; i++)
		old[i] = synth_text();
	char **nw = xmalloc((size_t)nold * 2 * sizeof(char *));
	int *origin = xmalloc((size_t)nold * 2 * sizeof(int));
	char *owned = xcalloc((size_t)nold * 2, 1);
	int nn = 0, ndeleted = 0;
	int moved[20];
	for (int i = 0; i < 20; i++)
		moved[i] = nold / 4 + i * 7;
	for (int i = 0; i < nold; i++) {
		int is_moved = 0;
		for (int k = 0; k < 20; k++)
			is_moved |= moved[k] == i;
		if (is_moved)
			continue;
		if (i % 20 == 19) {
			ndeleted++;
			continue;
		}
		if (i % edit_every == edit_every / 2) {
			nw[nn] = edit_text(old[i]);
			owned[nn] = 1;
		} else {
			nw[nn] = old[i];
		}
		origin[nn++] = i;
		if (i % 20 == 7) {
			nw[nn] = synth_text();
			owned[nn] = 1;
			origin[nn++] = -1;
		}
		if (i == nold * 3 / 4)
			for (int k = 0; k < 20; k++) {
				nw[nn] = old[moved[k]];
				origin[nn++] = moved[k];
			}
	}
	struct align_result r;
	double t0 = now_ms();
	draft_align((const char *const *)old, nold, (const char *const *)nw, nn, &r);
	double t1 = now_ms();
	int wrong = 0, nmoved = 0;
	for (int i = 0; i < nn; i++) {
		if (r.old_of_new[i] != origin[i] && wrong++ < 3)
			diag("new %d: got old %d, want %d", i, r.old_of_new[i], origin[i]);
		nmoved += r.change[i] == ALIGN_MOVED;
	}
	ok(wrong == 0, "scale %d/%d: every block keeps its identity (%d wrong)", nold, edit_every, wrong);
	is_int(nmoved, 20, "scale %d/%d: the 20 relocated blocks are the moved ones", nold, edit_every);
	is_int(r.nretired, ndeleted, "scale %d/%d: the deleted blocks are retired", nold, edit_every);
	diag("scale: aligning %d old with %d new blocks (1 in %d edited) took %.1f ms", nold, nn,
	     edit_every, t1 - t0);
	ok(t1 - t0 < 20000, "scale %d/%d: alignment finishes in bounded time", nold, edit_every);
	align_result_free(&r);
	for (int i = 0; i < nn; i++)
		if (owned[i])
			free(nw[i]);
	for (int i = 0; i < nold; i++)
		free(old[i]);
	free(owned);
	free(origin);
	free(nw);
	free(old);
}

int main(void)
{
	test_fixture();
	test_markup();
	test_bad_input();
	test_revision();
	test_align_cases();
	test_diff();
	test_diff_minimal();
	scale(2000, 10);
	scale(2000, 1);
	scale(5000, 10);
	scale(5000, 1);
	return done_testing();
}
