/* fuzz-render - the input as a template, rendered in text and HTML mode
   against a fixed value tree whose strings hold markup, then compose() with
   header fields cut from the input at 0x1e bytes (from name, to name,
   subject, to address, in-reply-to, references, list-id, one extra header,
   reply-to, list-unsubscribe; the rest is the text body).
   Properties: in HTML mode no value adds a '<', '>' or '"' that the
   template does not have (only the trusted HTML value may); a composed
   message has CRLF lines of at most 998 octets, 7-bit, and a header block
   made of exactly the headers compose sets (one From, one To, one
   Subject) plus the one extra header given: no value adds a header. */
#include "config.h"
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include "mail/compose.h"
#include "tag/render.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 11

static struct tval *tree;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_quiet(1);
	tree = tval_map();
	struct tval *s = tval_set_map(tree, "session");
	tval_set_str(s, "title", "Professional Learning & CBE <evil> \"quoted\" 'single'");
	tval_set_str(s, "slug", "prof-learning");
	tval_set_str(s, "list", "tag-prof-learning@tags.example.org");
	struct tval *goals = tval_set_list(s, "goals");
	tval_set_str(tval_list_add_map(goals), "text", "Understand <b>differences</b>");
	tval_set_str(tval_list_add_map(goals), "text", "");
	struct tval *p = tval_set_map(tree, "participant");
	tval_set_str(p, "name", "<script>alert(1)</script><img src=x onerror=alert(2)>");
	tval_set_str(p, "email", "b.okafor@gmail.example.com");
	struct tval *counts = tval_set_map(tree, "counts");
	tval_set_int(counts, "comments", 3);
	tval_set_bool(counts, "one", 0);
	tval_set_int(counts, "big", -9223372036854775807LL - 1);
	struct tval *list = tval_set_list(tree, "comments");
	for (int i = 0; i < 3; i++) {
		struct tval *m = tval_list_add_map(list);
		tval_set_int(m, "paragraph", i * 7);
		tval_set_bool(m, "whole_draft", i == 0);
		tval_set_str(m, "excerpt", "Finally, the role of the teacher…");
		tval_set_str(m, "snippet", "\"><svg onload=alert(3)> & ' {{participant.name}}");
		struct tval *inner = tval_set_list(m, "replies");
		tval_set_str(tval_list_add_map(inner), "text", i == 1 ? "<i>x</i>" : "");
	}
	tval_set_list(tree, "empty");
	tval_set_html(tree, "trusted", "<b>trusted &amp; safe</b>");
	tval_set_str(tree, "unicode", "¶12 — “smart” quotes, ünïcödé, 𝄞");
	return 0;
}

static void check_html(const char *tmpl, const struct buf *out)
{
	if (strstr(tmpl, "trusted"))
		return;
	static const char marks[] = "<>\"";
	for (const char *m = marks; *m; m++)
		if (strchr(tmpl, *m) == NULL)
			fuzz_check(memchr(out->data ? out->data : "", *m, out->len) == NULL,
				   "HTML mode escapes every value");
}

static int header_allowed(const char *name, size_t n, const char *extra)
{
	static const char *const names[] = {
		"From", "To", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
		"List-Id", "List-Post", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post",
		"Auto-Submitted", "Precedence", "X-Loop", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", NULL,
	};
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && str_ncasecmp(names[i], name, n) == 0)
			return 1;
	return extra && strlen(extra) == n && str_ncasecmp(extra, name, n) == 0;
}

/* check_message - the properties of a composed message (see the top) */
static void check_message(const struct buf *m, const char *extra_name)
{
	int in_header = 1, from = 0, to = 0, subject = 0;
	size_t pos = 0;
	while (pos < m->len) {
		const char *line = m->data + pos;
		const char *nl = memchr(line, '\n', m->len - pos);
		fuzz_check(nl != NULL, "the message ends with a line end");
		size_t n = (size_t)(nl - line);
		fuzz_check(n >= 1 && line[n - 1] == '\r', "lines end with CRLF");
		n--;
		fuzz_check(n <= 998, "lines are at most 998 octets");
		for (size_t i = 0; i < n; i++)
			fuzz_check((unsigned char)line[i] < 128 && line[i] != '\0' && line[i] != '\r',
				   "7-bit octets, no NUL or bare CR");
		if (in_header) {
			if (n == 0) {
				in_header = 0;
			} else if (line[0] != ' ' && line[0] != '\t') {
				const char *colon = memchr(line, ':', n);
				fuzz_check(colon != NULL, "a header line has a name");
				size_t hn = (size_t)(colon - line);
				fuzz_check(header_allowed(line, hn, extra_name), "no value adds a header");
				from += hn == 4 && str_ncasecmp(line, "From", 4) == 0;
				to += hn == 2 && str_ncasecmp(line, "To", 2) == 0;
				subject += hn == 7 && str_ncasecmp(line, "Subject", 7) == 0;
			}
		}
		pos += (size_t)(nl - line) + 1;
	}
	fuzz_check(!in_header, "a header block and a body");
	fuzz_check(from == 1 && to == 1 && subject == 1, "one From, one To, one Subject");
}

static void try_compose(const char *input, size_t size, const struct buf *text, const struct buf *html)
{
	char *copy = xmalloc(size + 1);
	memcpy(copy, input, size);
	copy[size] = '\0';
	char *f[MAX_FIELDS];
	int nf = 0;
	char *p = copy;
	while (nf < MAX_FIELDS - 1) {
		char *sep = memchr(p, 0x1e, (size_t)(copy + size - p));
		if (sep == NULL)
			break;
		*sep = '\0';
		f[nf++] = p;
		p = sep + 1;
	}
	f[nf++] = p;
	const char *refs[8];
	int nrefs = 0;
	char *refcopy = NULL;
	struct compose_mail m;
	memset(&m, 0, sizeof(m));
	m.from_name = nf > 0 ? f[0] : "Professional Learning";
	m.from_addr = "tag-prof-learning@tags.example.org";
	m.to_name = nf > 1 ? f[1] : NULL;
	m.subject = nf > 2 ? f[2] : NULL;
	m.to_addr = nf > 3 && *f[3] ? f[3] : "b.okafor@gmail.example.com";
	m.message_id = "ack.12.0123456789abcdef@tags.example.org";
	m.in_reply_to = nf > 4 ? f[4] : NULL;
	if (nf > 5) {
		refcopy = xstrdup(f[5]);
		for (char *t = refcopy; *t && nrefs < 8;) {
			size_t k = strcspn(t, " ");
			if (k)
				refs[nrefs++] = t;
			if (t[k] == '\0')
				break;
			t[k] = '\0';
			t += k + 1;
		}
		m.references = refs;
		m.nreferences = nrefs;
	}
	m.list_id = nf > 6 ? f[6] : "Professional Learning <tag-prof-learning.tags.example.org>";
	const char *extra[1];
	char extra_name[64] = "";
	if (nf > 7 && *f[7]) {
		extra[0] = f[7];
		m.extra_headers = extra;
		m.nextra = 1;
		size_t k = strcspn(f[7], ":");
		snprintf(extra_name, sizeof(extra_name), "%.*s", (int)(k < 63 ? k : 63), f[7]);
	}
	m.reply_to = nf > 8 && *f[8] ? f[8] : NULL;
	m.list_unsubscribe = nf > 9 ? f[9] : "<mailto:tag-prof-learning+leave@tags.example.org>";
	m.list_unsubscribe_post = nf > 9;
	m.list_post = "<mailto:tag-prof-learning@tags.example.org>";
	m.auto_submitted = (int)(size % 3);
	m.precedence_list = size & 1;
	m.x_loop = "tag-prof-learning@tags.example.org";
	m.text = text->len ? buf_cstr(text) : f[nf - 1];
	m.html = html->len ? buf_cstr(html) : NULL;
	m.date = 1531756800;
	struct buf out = BUF_INIT;
	const char *err;
	if (compose(&m, &out, &err) == 0)
		check_message(&out, extra_name[0] ? extra_name : NULL);
	else
		fuzz_check(out.len == 0 && err != NULL, "a refused mail says why and writes nothing");
	buf_free(&out);
	free(refcopy);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tmpl = xmalloc(size + 1);
	memcpy(tmpl, data, size);
	tmpl[size] = '\0';
	struct buf text = BUF_INIT, html = BUF_INIT, unknown = BUF_INIT;
	const char *err;
	if (render_string(tmpl, "fuzz", tree, 0, &text, &err) < 0)
		fuzz_check(text.len == 0 && err != NULL, "a failed render says why and writes nothing");
	if (render_string(tmpl, "fuzz", tree, 1, &html, &err) < 0)
		fuzz_check(html.len == 0 && err != NULL, "a failed render says why and writes nothing");
	else
		check_html(tmpl, &html);
	render_check_string(tmpl, "fuzz", tree, &unknown, &err);
	try_compose((const char *)data, size, &text, &html);
	buf_free(&text);
	buf_free(&html);
	buf_free(&unknown);
	free(tmpl);
	return 0;
}
