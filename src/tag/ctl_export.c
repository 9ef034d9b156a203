/* ctl_export.c - tagctl export and final */
#include "config.h"
#include "tag/ctl.h"
#include "tag/export.h"
#include "tag/final.h"
#include "tag/mailout.h"
#include "doc/draft.h"
#include "lib/json.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* write_file - data to path through a temporary file and a rename, so a
   reader never sees half an export; 0, or -1 with errno */
static int write_file(const char *path, const char *data, size_t len)
{
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(tmp);
		return -1;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	int e = off == len ? 0 : errno;
	if (close(fd) < 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		free(tmp);
		errno = e;
		return -1;
	}
	free(tmp);
	return 0;
}

/* ctl_cmd_export - tagctl export SLUG [--format F] [--revision N] [-o FILE] */
int ctl_cmd_export(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "SLUG [--format md|html|csv|json] [--revision N] [-o FILE]";
	static const char more[] =
		"\nThe draft with every comment under its paragraph: who, when, status and\n"
		"the organizers' note, replies under the comment they answer; comments on\n"
		"the draft as a whole first, comments on paragraphs the revision no longer\n"
		"has in a section of their own; and a heat map of comments per paragraph\n"
		"and day.\n"
		"  --format F      md (readable, the default), html (one self-contained file),\n"
		"                  csv (one row per comment) or json\n"
		"  --revision N    the draft as of revision N (default: the newest)\n"
		"  -o FILE         write to FILE (replaced whole) instead of stdout\n";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("export", usage, more, 1);
	const char *fmt = "md", *rv = NULL, *outp = NULL;
	if (ctl_option(&argc, argv, "--format", &fmt) < 0 || ctl_option(&argc, argv, "--revision", &rv) < 0 ||
	    ctl_option(&argc, argv, "-o", &outp) < 0 || (outp == NULL && ctl_option(&argc, argv, "--output", &outp) < 0) ||
	    argc != 1 || ctl_unknown_option(argc, argv))
		return ctl_usage("export", usage, NULL, 0);
	int f = export_format_parse(fmt);
	if (f < 0) {
		fprintf(stderr, "tagctl: export: unknown format '%s' (md, html, csv or json)\n", fmt);
		return CTL_USAGE;
	}
	int rev = 0;
	if (rv && str_to_int(rv, 1, 1000000, &rev) < 0) {
		fprintf(stderr, "tagctl: --revision takes a revision number\n");
		return CTL_USAGE;
	}
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	struct export_doc *doc;
	const char *err;
	int r = export_load(c->st, &s, rev, &doc, &err);
	if (r != 0) {
		fprintf(stderr, "tagctl: export: %s\n", err);
		st_session_free(&s);
		return CTL_FAIL;
	}
	struct buf out = BUF_INIT;
	int rc = CTL_OK;
	if (export_write(doc, (enum export_format)f, &out) < 0) {
		fprintf(stderr, "tagctl: export: the %s export is larger than %zu bytes\n", fmt, BUF_DEFAULT_MAX);
		rc = CTL_FAIL;
	} else if (outp && strcmp(outp, "-") != 0) {
		if (write_file(outp, out.data ? out.data : "", out.len) < 0) {
			fprintf(stderr, "tagctl: export: %s: %s\n", outp, strerror(errno));
			rc = CTL_FAIL;
		} else if (!c->quiet) {
			printf("%s: revision %d, %d comments, %s export written to %s\n", s.slug, doc->revision,
			       doc->ncomments, export_format_name((enum export_format)f), outp);
		}
	} else {
		ctl_print(out.data, out.len);
	}
	buf_free(&out);
	export_doc_free(&doc);
	st_session_free(&s);
	return rc;
}

struct attachments {
	struct compose_attachment att[FINAL_MAX_ATTACHMENTS];
	char *names[FINAL_MAX_ATTACHMENTS];
	char *data[FINAL_MAX_ATTACHMENTS];
	int n;
};

/* attachments_free - the names and contents read for --attach */
static void attachments_free(struct attachments *a)
{
	for (int i = 0; i < a->n; i++) {
		free(a->names[i]);
		free(a->data[i]);
	}
	a->n = 0;
}

/* ctl_cmd_final - tagctl final SLUG PAPER.md [--attach FILE]... [--extra-list CSV] [--json] */
int ctl_cmd_final(struct ctl *c, int argc, char **argv)
{
	static const char usage[] = "SLUG PAPER.md [--attach FILE]... [--extra-list FILE.csv] [--json]";
	static const char more[] =
		"\nMail the final paper to every active participant (and to the addresses of\n"
		"an extra list): the paper with numbered paragraphs, thanks by name to\n"
		"everyone who commented, and for each person what became of their comments\n"
		"(status and note from `tagctl comment`, and the paragraph's number in the\n"
		"final paper). The session's state becomes final. Running it again queues\n"
		"nothing for those who got it already.\n"
		"  --attach FILE        attach a file (a PDF of the paper, say); repeatable\n"
		"  --extra-list FILE    a CSV with an email column (and name): more recipients\n"
		"  --json               print the result as JSON\n"
		"Exit status 1 also when rows of the extra list were left out (listed on stderr).\n";
	if (ctl_wants_help(argc, argv))
		return ctl_usage("final", usage, more, 1);
	int json = ctl_flag(&argc, argv, "--json");
	const char *extra = NULL, *a;
	struct attachments at;
	memset(&at, 0, sizeof(at));
	const char *attach_paths[FINAL_MAX_ATTACHMENTS + 1];
	int nattach = 0, o;
	while ((o = ctl_option(&argc, argv, "--attach", &a)) == 1) {
		if (nattach == FINAL_MAX_ATTACHMENTS) {
			fprintf(stderr, "tagctl: final: at most %d attachments\n", FINAL_MAX_ATTACHMENTS);
			return CTL_USAGE;
		}
		attach_paths[nattach++] = a;
	}
	if (o < 0 || ctl_option(&argc, argv, "--extra-list", &extra) < 0 || argc != 2 ||
	    ctl_unknown_option(argc, argv))
		return ctl_usage("final", usage, NULL, 0);
	struct st_session s;
	if (ctl_session(c, argv[0], &s) != 0)
		return CTL_FAIL;
	int rc = CTL_FAIL;
	char *paper = NULL, *csv = NULL;
	size_t paper_len = 0, csv_len = 0;
	struct mailout *mo = NULL;
	struct final_result r;
	memset(&r, 0, sizeof(r));
	if (str_read_file(argv[1], DRAFT_MAX_SIZE, &paper, &paper_len) < 0) {
		fprintf(stderr, "tagctl: final: %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	for (int i = 0; i < nattach; i++) {
		size_t len;
		if (str_read_file(attach_paths[i], FINAL_MAX_ATTACHMENT_SIZE, &at.data[at.n], &len) < 0) {
			fprintf(stderr, "tagctl: final: %s: %s\n", attach_paths[i],
				errno == EFBIG ? "larger than an attachment may be" : strerror(errno));
			goto out;
		}
		at.names[at.n] = final_attachment_name(attach_paths[i]);
		at.att[at.n].filename = at.names[at.n];
		at.att[at.n].content_type = final_attachment_type(at.names[at.n]);
		at.att[at.n].data = at.data[at.n];
		at.att[at.n].len = len;
		at.n++;
	}
	if (extra && str_read_file(extra, (size_t)16 << 20, &csv, &csv_len) < 0) {
		fprintf(stderr, "tagctl: final: %s: %s\n", extra, strerror(errno));
		goto out;
	}
	mo = mailout_new(c->st, &c->cfg);
	struct final_req rq;
	memset(&rq, 0, sizeof(rq));
	rq.paper = paper;
	rq.paper_len = paper_len;
	rq.att = at.att;
	rq.natt = at.n;
	rq.extra_csv = csv;
	rq.extra_len = csv_len;
	rq.extra_name = extra;
	const char *err;
	if (final_send(c->st, mo, &s, &rq, &r, &err) < 0) {
		fprintf(stderr, "tagctl: final: %s\n", err);
		if (r.errors.len)
			fprintf(stderr, "%s", buf_cstr(&r.errors));
		goto out;
	}
	if (r.errors.len)
		fprintf(stderr, "%s", buf_cstr(&r.errors));
	if (json) {
		struct buf out = BUF_INIT;
		struct json j;
		json_init(&j, &out);
		json_obj_begin(&j);
		json_kstr(&j, "session", s.slug);
		json_kint(&j, "revision", r.revision);
		json_kint(&j, "paragraphs", r.paragraphs);
		json_kint(&j, "kept", r.kept);
		json_kint(&j, "participants", r.participants);
		json_kint(&j, "extra", r.extra);
		json_kint(&j, "queued", r.queued);
		json_kint(&j, "already", r.already);
		json_kint(&j, "thanked", r.thanked);
		json_kint(&j, "attachments", at.n);
		json_kint(&j, "bad", r.bad);
		json_kstr(&j, "state", "final");
		json_obj_end(&j);
		buf_putc(&out, '\n');
		ctl_print(out.data, out.len);
		buf_free(&out);
	} else {
		int n = r.participants + r.extra;
		printf("%s: final paper, %d paragraphs (revision %d; %d of the draft's paragraphs carried over); "
		       "%d recipient%s (%d participant%s, %d other address%s): %d mail%s queued, %d had it already; "
		       "%d %s thanked; session state final\n",
		       s.slug, r.paragraphs, r.revision, r.kept, n, n == 1 ? "" : "s", r.participants,
		       r.participants == 1 ? "" : "s", r.extra, r.extra == 1 ? "" : "es", r.queued,
		       r.queued == 1 ? "" : "s", r.already, r.thanked, r.thanked == 1 ? "person" : "people");
	}
	rc = r.bad ? CTL_FAIL : CTL_OK;
out:
	final_result_free(&r);
	mailout_free(&mo);
	attachments_free(&at);
	free(paper);
	free(csv);
	st_session_free(&s);
	return rc;
}
