/* ctl_draft.c - tagctl draft import | show | diff */
#include "config.h"
#include "tag/ctl.h"
#include "tag/draft.h"
#include "lib/json.h"
#include "lib/str.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char help_text[] =
	"\n  import SLUG FILE   import a Markdown draft as the next revision; paragraphs keep\n"
	"                     their identity when unchanged, edited or moved\n"
	"  show SLUG          print a revision with its numbered paragraphs\n"
	"     --revision N    that revision (default: the newest)\n"
	"  diff SLUG R1 R2    what changed from revision R1 to R2, word by word\n"
	"  --json             print data as JSON\n";

static int cmd_import(struct ctl *c, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	if (argc != 2)
		return ctl_usage("draft import", "SLUG FILE [--json]", NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	char *md;
	size_t len;
	if (str_read_file(argv[1], 4 << 20, &md, &len) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", argv[1], strerror(errno));
		st_session_free(&s);
		return CTL_FAIL;
	}
	struct draft_import_result r;
	const char *err;
	int rc = CTL_OK;
	if (tag_draft_import(c->st, s.id, md, len, &r, &err) < 0) {
		fprintf(stderr, "tagctl: %s: %s\n", argv[1], err);
		rc = CTL_FAIL;
	} else if (json) {
		struct buf out = BUF_INIT;
		struct json j;
		json_init(&j, &out);
		json_obj_begin(&j);
		json_kint(&j, "revision", r.revision);
		json_kint(&j, "blocks", r.blocks);
		json_kint(&j, "unchanged", r.unchanged);
		json_kint(&j, "edited", r.edited);
		json_kint(&j, "moved", r.moved);
		json_kint(&j, "new", r.added);
		json_kint(&j, "retired", r.retired);
		json_obj_end(&j);
		buf_putc(&out, '\n');
		ctl_print(out.data, out.len);
		buf_free(&out);
	} else {
		printf("%s: revision %d, %d numbered blocks", s.slug, r.revision, r.blocks);
		if (r.revision == 1)
			printf(" (%d headings)\n", r.headings);
		else
			printf(": %d unchanged, %d edited, %d moved, %d new, %d removed\n",
			       r.unchanged, r.edited, r.moved, r.added, r.retired);
	}
	free(md);
	st_session_free(&s);
	return rc;
}

static int cmd_show(struct ctl *c, int argc, char **argv)
{
	int json = ctl_flag(&argc, argv, "--json");
	const char *rv = NULL;
	if (ctl_option(&argc, argv, "--revision", &rv) < 0 || argc != 1)
		return ctl_usage("draft show", "SLUG [--revision N] [--json]", NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	int rev = 0;
	if (rv && str_to_int(rv, 1, 1000000, &rev) < 0) {
		st_session_free(&s);
		fprintf(stderr, "tagctl: --revision takes a revision number\n");
		return CTL_USAGE;
	}
	if (rev == 0 && store_revision_current(c->st, s.id, &rev) < 0) {
		st_session_free(&s);
		return CTL_FAIL;
	}
	struct st_block *b = NULL;
	int n = 0;
	if (rev == 0 || store_revision_blocks(c->st, s.id, rev, &b, &n) < 0 || n == 0) {
		fprintf(stderr, "tagctl: %s has no revision %d (import one with: tagctl draft import %s FILE)\n",
			s.slug, rev, s.slug);
		st_session_free(&s);
		return CTL_FAIL;
	}
	struct buf out = BUF_INIT;
	if (json) {
		struct json j;
		json_init(&j, &out);
		json_obj_begin(&j);
		json_kint(&j, "revision", rev);
		json_key(&j, "blocks");
		json_arr_begin(&j);
		for (int i = 0; i < n; i++) {
			json_obj_begin(&j);
			json_kint(&j, "number", b[i].number);
			json_key(&j, "paragraph_id");
			if (b[i].paragraph_id)
				json_int(&j, b[i].paragraph_id);
			else
				json_null(&j);
			json_kstr(&j, "kind", b[i].kind);
			json_kstr(&j, "text", b[i].text);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
		buf_putc(&out, '\n');
	} else {
		buf_printf(&out, "%s, revision %d\n\n", s.title, rev);
		for (int i = 0; i < n; i++) {
			if (b[i].number == 0) {
				for (int l = 0; l < (b[i].level > 0 ? b[i].level : 1); l++)
					buf_putc(&out, '#');
				buf_printf(&out, " %s\n\n", b[i].text);
			} else {
				buf_printf(&out, "[%d] %s%s\n\n", b[i].number,
					   strcmp(b[i].kind, "item") == 0 ? "- " :
					   strcmp(b[i].kind, "quote") == 0 ? "> " : "", b[i].text);
			}
		}
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_block_list_free(&b, n);
	st_session_free(&s);
	return CTL_OK;
}

static int cmd_diff(struct ctl *c, int argc, char **argv)
{
	int html = ctl_flag(&argc, argv, "--html");
	int r1, r2;
	if (argc != 3 || str_to_int(argv[1], 1, 1000000, &r1) < 0 || str_to_int(argv[2], 1, 1000000, &r2) < 0)
		return ctl_usage("draft diff", "SLUG R1 R2 [--html]", NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct buf out = BUF_INIT;
	const char *err;
	int rc = CTL_OK;
	if (tag_draft_diff(c->st, s.id, r1, r2, html, &out, &err) < 0) {
		fprintf(stderr, "tagctl: %s: revisions %d and %d: %s\n", s.slug, r1, r2, err);
		rc = CTL_FAIL;
	} else {
		ctl_print(out.data, out.len);
	}
	buf_free(&out);
	st_session_free(&s);
	return rc;
}

int ctl_cmd_draft(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "import SLUG FILE [--json] | show SLUG [--revision N] [--json] | diff SLUG R1 R2 [--html]";
	if (argc == 0)
		return ctl_usage("draft", usage, help_text, 0);
	if (ctl_wants_help(argc, argv))
		return ctl_usage("draft", usage, help_text, 1);
	const char *sub = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] == '-' && a[1] && strcmp(a, "--json") && strncmp(a, "--revision", 10) && strcmp(a, "--html")) {
			fprintf(stderr, "tagctl: draft %s: unknown option %s\n", sub, a);
			return CTL_USAGE;
		}
	}
	if (strcmp(sub, "import") == 0)
		return cmd_import(c, argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return cmd_show(c, argc - 1, argv + 1);
	if (strcmp(sub, "diff") == 0)
		return cmd_diff(c, argc - 1, argv + 1);
	fprintf(stderr, "tagctl: draft: unknown subcommand '%s'\n", sub);
	return ctl_usage("draft", usage, NULL, 0);
}
