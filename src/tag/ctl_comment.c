/* ctl_comment.c - tagctl comment ID status open|incorporated|declined [--note TEXT] */
#include "config.h"
#include "tag/ctl.h"
#include "lib/json.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTE_MAX 2000           /* bytes in an organizer's note on a comment */

static const char usage_text[] = "ID status open|incorporated|declined [--note TEXT] [--json]";
static const char help_text[] =
	"\nWhat became of a comment, for the final paper: open (not decided yet),\n"
	"incorporated (taken into the paper) or declined (considered, not taken up).\n"
	"  --note TEXT   a short note for the comment's author (kept; shown with it)\n"
	"  --json        print the comment's id, status and note as JSON\n";

int ctl_cmd_comment(struct ctl *c, int argc, char **argv)
{
	if (ctl_wants_help(argc, argv))
		return ctl_usage("comment", usage_text, help_text, 1);
	const char *note = NULL;
	int json = ctl_flag(&argc, argv, "--json");
	if (ctl_option(&argc, argv, "--note", &note) < 0 || argc != 3 || ctl_unknown_option(argc, argv) ||
	    strcmp(argv[1], "status") != 0)
		return ctl_usage("comment", usage_text, NULL, 0);
	int64_t id;
	if (str_to_i64(argv[0], 1, INT64_MAX, &id) < 0) {
		fprintf(stderr, "tagctl: comment: '%s' is not a comment id (see tagctl comments SLUG)\n", argv[0]);
		return CTL_USAGE;
	}
	const char *status = argv[2];
	if (strcmp(status, "open") != 0 && strcmp(status, "incorporated") != 0 && strcmp(status, "declined") != 0) {
		fprintf(stderr, "tagctl: comment: the status is open, incorporated or declined\n");
		return CTL_USAGE;
	}
	if (note && (strlen(note) > NOTE_MAX || !utf8_is_valid(note, strlen(note)))) {
		fprintf(stderr, "tagctl: comment: --note takes at most %d bytes of UTF-8 text\n", NOTE_MAX);
		return CTL_USAGE;
	}
	struct store *st = ctl_store(c);
	if (st == NULL)
		return CTL_FAIL;
	int r = store_comment_set_status(st, id, status, note);
	if (r < 0) {
		fprintf(stderr, "tagctl: %s\n", store_error(st));
		return CTL_FAIL;
	}
	if (r == 1) {
		fprintf(stderr, "tagctl: no comment %lld\n", (long long)id);
		return CTL_FAIL;
	}
	struct st_comment k;
	if (store_comment_get(st, id, &k) != 0) {
		fprintf(stderr, "tagctl: %s\n", store_error(st));
		return CTL_FAIL;
	}
	struct buf out = BUF_INIT;
	if (json) {
		struct json j;
		json_init(&j, &out);
		json_obj_begin(&j);
		json_kint(&j, "id", k.id);
		json_kstr(&j, "status", k.status);
		json_kstr(&j, "note", k.note);
		json_obj_end(&j);
		buf_putc(&out, '\n');
	} else if (!c->quiet) {
		char where[32];
		if (k.number)
			snprintf(where, sizeof(where), "¶%d", k.number);
		else
			snprintf(where, sizeof(where), "the draft as a whole");
		buf_printf(&out, "comment %lld by %s on %s: %s%s%s\n", (long long)k.id, k.author_email, where,
			   k.status, k.note ? " - " : "", k.note ? k.note : "");
	}
	ctl_print(out.data, out.len);
	buf_free(&out);
	st_comment_free(&k);
	return CTL_OK;
}
