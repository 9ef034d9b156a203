/* fuzz-draft - Markdown through draft_parse, then draft_align of the
   fixture draft (tests/fuzz/draft.md) against it and back, and the
   alignment of the input with itself. Properties: blocks are numbered
   1..N in order with headings 0, texts are valid UTF-8; alignments map
   each side into range, no old block continues two new ones, and a draft
   aligned with itself is unchanged throughout. */
#include "config.h"
#include "fuzz.h"
#include "doc/align.h"
#include "doc/draft.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

static const char **fix_texts;
static int nfix;

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
	fix_texts = xcalloc((size_t)d->nblocks + 1, sizeof(*fix_texts));
	for (int i = 0; i < d->nblocks; i++)
		if (d->blocks[i].number > 0)
			fix_texts[nfix++] = xstrdup(d->blocks[i].text);
	draft_free(&d);
	free(md);
	free(path);
	return 0;
}

static void check_align(const struct align_result *r, int nold, int nnew)
{
	fuzz_check(r->nnew == nnew && r->nold == nold, "alignment sizes");
	char *used = xcalloc((size_t)nold + 1, 1);
	for (int i = 0; i < nnew; i++) {
		int o = r->old_of_new[i];
		fuzz_check(o >= -1 && o < nold, "old index in range");
		fuzz_check((o == -1) == (r->change[i] == ALIGN_NEW), "new exactly when unmatched");
		if (o >= 0) {
			fuzz_check(!used[o], "an old block continues at most one new block");
			used[o] = 1;
		}
	}
	int prev = -1;
	for (int i = 0; i < r->nretired; i++) {
		int o = r->retired[i];
		fuzz_check(o > prev && o < nold && !used[o], "retired blocks ascending and unmatched");
		prev = o;
	}
	int nused = 0;
	for (int i = 0; i < nold; i++)
		nused += used[i];
	fuzz_check(nused + r->nretired == nold, "every old block is continued or retired");
	free(used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *md = xmalloc(size ? size : 1);
	memcpy(md, data, size);
	struct draft *d;
	const char *err;
	if (draft_parse(md, size, &d, &err) < 0) {
		fuzz_check(d == NULL && err != NULL, "a refused draft says why");
		free(md);
		return 0;
	}
	const char **texts = xcalloc((size_t)d->nblocks + 1, sizeof(*texts));
	int n = 0;
	for (int i = 0; i < d->nblocks; i++) {
		const struct draft_block *b = &d->blocks[i];
		fuzz_check(b->text != NULL && b->markdown != NULL, "block texts are set");
		fuzz_check(utf8_is_valid(b->text, strlen(b->text)), "block text is valid UTF-8");
		if (b->kind == BLOCK_HEADING) {
			fuzz_check(b->number == 0, "headings are not numbered");
			continue;
		}
		fuzz_check(b->number == n + 1, "numbered blocks count 1..N in order");
		texts[n++] = b->text;
	}
	fuzz_check(n == d->nnumbered, "nnumbered counts the numbered blocks");
	if (d->nblocks > 0 && size < 4096) {
		char *h = doc_markdown_html(d->blocks[0].markdown, strlen(d->blocks[0].markdown));
		free(h);
	}
	struct align_result r;
	fuzz_check(draft_align(fix_texts, nfix, texts, n, &r) == 0, "align fixture -> input");
	check_align(&r, nfix, n);
	align_result_free(&r);
	fuzz_check(draft_align(texts, n, fix_texts, nfix, &r) == 0, "align input -> fixture");
	check_align(&r, n, nfix);
	align_result_free(&r);
	fuzz_check(draft_align(texts, n, texts, n, &r) == 0, "align input -> itself");
	check_align(&r, n, n);
	for (int i = 0; i < n; i++)
		fuzz_check(r.change[i] == ALIGN_UNCHANGED && r.old_of_new[i] == i,
			   "a draft aligned with itself is unchanged");
	align_result_free(&r);
	free(texts);
	draft_free(&d);
	free(md);
	return 0;
}
