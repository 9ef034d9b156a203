/* Unit tests for src/mail: mail_parse on small messages with exact
   expectations (the .eml files in tests/data/mail, and generated ones for limits and
   libetpan's traps), then the isolated parser: same results as in-process,
   a crash, a hang and a broken reply from the child, each followed by a
   good parse. */
#include "config.h"
#include "tap.h"
#include "mail/msg.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DATA TOP_SRCDIR "/tests/data/mail/"

struct want_part {
	int idx;
	enum mail_part_role role;
	const char *type;
	const char *charset;    /* "-" for NULL */
	const char *filename;   /* "-" for NULL */
	const char *method;     /* "-" for NULL */
	const char *data;       /* exact, or NULL */
};

struct want {
	const char *file;
	const char *subject;
	const char *from_name;  /* "-" for NULL */
	const char *from_addr;
	const char *text;
	int text_from_html;
	int nparts;
	int problems;           /* exact count */
	const char *problem;    /* substring of msg->problem, NULL: none expected */
	struct want_part parts[4];
};

#define P(...) { __VA_ARGS__ }
#define NONE { -1, 0, NULL, NULL, NULL, NULL, NULL }

static const struct want cases[] = {
	{ "rfc2047-cyrillic.eml", "Привет, мир", "Дмитрий Волков", "dmitri@example.ru",
	  "Привет!\n", 0, 1, 0, NULL,
	  { P(0, MAIL_PART_BODY_TEXT, "text/plain", "utf-8", "-", "-", "Привет!\n") } },
	{ "rfc2047-latin1.eml", "Grüße aus Köln und été", "François Dupont", "f.dupont@example.fr",
	  "Bonjour.\n", 0, 1, 0, NULL, { NONE } },
	{ "rfc2231.eml", "attachments", "Ana Ruiz", "ana@example.org",
	  "See the attachments.", 0, 4, 0, NULL,
	  { P(1, MAIL_PART_ATTACHMENT, "application/pdf", "-", "ÕÄÖÜ.pdf", "-", "%PDF-1.4\n"),
	    P(2, MAIL_PART_ATTACHMENT, "text/plain", "-", "café.txt", "-", "notes"),
	    P(3, MAIL_PART_ATTACHMENT, "image/png", "-", "grüße.png", "-", NULL) } },
	{ "qp.eml", "qp", "Wei Chen", "wei@example.com",
	  "Café costs €3 = cheap. This line is softly broken.\nBad escape =ZZ stays; trailing equals",
	  0, 1, 0, NULL, { NONE } },
	{ "base64.eml", "b64", "Wei Chen", "wei@example.com",
	  "Base64 body: naïve café.\nSecond line.\n", 0, 2, 0, NULL,
	  { P(0, MAIL_PART_BODY_TEXT, "text/plain", "utf-8", "-", "-", NULL),
	    P(1, MAIL_PART_BODY_HTML, "text/html", "utf-8", "-", "-", "<p>Base64 <b>html</b></p>") } },
	{ "cp1252.eml", "quotes", "Ana Ruiz", "ana@example.org",
	  "“Exemplar” work isn’t enough… – café € 5\n", 0, 1, 0, NULL, { NONE } },
	{ "flowed-delsp.eml", "flowed", "Elin Lindqvist", "elin@example.edu",
	  "This is a long paragraph that was wrapped.\n> Quoted text that continues here.\n"
	  "From the start, stuffed.\n\n-- \nElin\n", 0, 1, 0, NULL, { NONE } },
	{ "html-gmail.eml", "Re: Draft", "Bola Okafor", "bola@gmail.example.com",
	  "I agree with ¶7 & would add the rubric <https://example.org/rubric>.\n"
	  "Second line\n"
	  "- one\n"
	  "- two\n"
	  "https://example.org/same\n"
	  "\n"
	  "On Mon, Jul 16, 2018 at 9:14 AM TAG <tag@tags.example.org> wrote:\n"
	  "> ¶7 Finally, the role widens.\n"
	  ">\n"
	  "> > Nested quote\n", 1, 1, 0, NULL,
	  { P(0, MAIL_PART_BODY_HTML, "text/html", "utf-8", "-", "-", NULL) } },
	{ "html-apple.eml", "Re: Draft", "Dmitri Volkov", "dmitri@icloud.example.com",
	  "Trust is the constraint.\n\nDmitri\n\nOn Jul 16, 2018, at 6:14 AM, TAG wrote:\n"
	  "> ¶6 Collaboration changes.\n>\n> Second quoted line\n", 1, 1, 0, NULL, { NONE } },
	{ "html-owa.eml", "RE: Draft", "Ana Ruiz", "ana@district9.example.org",
	  "Add two or three vignettes.\n\nAna\n"
	  "> From: TAG <tag@tags.example.org>\n"
	  "> Sent: Monday, July 16, 2018 8:14 AM\n"
	  "> Subject: Draft\n"
	  ">\n>\n"
	  "> Hello Ana,\n>\n> ¶1 Draft framing paper.\n", 1, 1, 0, NULL, { NONE } },
	{ "calendar.eml", "Accepted: TAG launch call", "Ana Ruiz", "ana@district9.example.org",
	  "Looking forward to it.", 0, 2, 0, NULL,
	  { P(0, MAIL_PART_BODY_TEXT, "text/plain", "us-ascii", "-", "-", NULL),
	    P(1, MAIL_PART_CALENDAR, "text/calendar", "utf-8", "-", "REPLY",
	      "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n") } },
	{ "dsn.eml", "Undelivered Mail Returned to Sender", "-", "MAILER-DAEMON@mail.example.org",
	  "Your message could not be delivered.", 0, 3, 0, NULL,
	  { P(1, MAIL_PART_REPORT, "message/delivery-status", "-", "-", "-", NULL),
	    P(2, MAIL_PART_MESSAGE, "text/rfc822-headers", "-", "-", "-",
	      "Message-ID: <digest.1@tags.example.org>\nSubject: Digest") } },
	{ "boundary-quote.eml", "crash", "-", "attacker@example.net",
	  "hello\n", 0, 1, 1, "boundary", { NONE } },
	{ "no-boundary.eml", "no boundary", "-", "sender@example.net",
	  "hello world", 0, 1, 1, "without a boundary line", { NONE } },
	{ "unknown-charset.eml", "unknown", "-", "x@example.net",
	  "naïve\ncafé", 0, 2, 2, "unknown charset \"x-unknown\"",
	  { P(1, MAIL_PART_BODY_TEXT, "text/plain", "x-unknown", "-", "-", "café") } },
	{ "truncated-base64.eml", "truncated", "-", "x@example.net",
	  "Body text.", 0, 2, 1, "base64",
	  { P(1, MAIL_PART_ATTACHMENT, "application/octet-stream", "-", "data.bin", "-", NULL) } },
	{ "headerless-part.eml", "headerless", "-", "a@example.org",
	  "Note: this part has no header fields.\nMore text.\nSecond part.", 0, 2, 0, NULL,
	  { P(0, MAIL_PART_BODY_TEXT, "text/plain", "-", "-", "-", NULL) } },
	{ "cut-off.eml", "cut off", "-", "a@example.org",
	  "Still here.\nTrailing blanks were added in transport.   Soft break.\n", 0, 2, 1,
	  "recovered", { P(1, MAIL_PART_BODY_HTML, "text/html", "utf-8", "-", "-", NULL) } },
	{ "header-8bit.eml", "Grüße — café", "Jörg Müller", "joerg@example.de",
	  "Hallo.\n", 0, 1, 2, "header: 8-bit bytes without a charset read as windows-1252",
	  { NONE } },
};

static const char *nz(const char *s)
{
	return s ? s : "-";
}

static void check_case(const struct want *w)
{
	char *raw;
	size_t len;
	char path[512];
	snprintf(path, sizeof(path), "%s%s", DATA, w->file);
	if (!ok(str_read_file(path, 1 << 20, &raw, &len) == 0, "%s: read", w->file))
		return;
	struct mail_msg *m = NULL;
	const char *err = NULL;
	int r = mail_parse(raw, len, NULL, &m, &err);
	free(raw);
	if (!is_int(r, 0, "%s: parses", w->file)) {
		diag("error: %s", err ? err : "?");
		return;
	}
	is_str(m->subject, w->subject, "%s: subject", w->file);
	is_str(nz(m->from.name), w->from_name, "%s: from name", w->file);
	is_str(m->from.addr, w->from_addr, "%s: from address", w->file);
	is_str(m->text, w->text, "%s: text", w->file);
	is_int(m->text_from_html, w->text_from_html, "%s: text_from_html", w->file);
	is_int(m->nparts, w->nparts, "%s: part count", w->file);
	is_int(m->problems, w->problems, "%s: problems", w->file);
	if (w->problem)
		ok(m->problem && strstr(m->problem, w->problem), "%s: problem says \"%s\" (%s)",
		   w->file, w->problem, nz(m->problem));
	else
		ok(m->problem == NULL, "%s: no problem (%s)", w->file, nz(m->problem));
	for (int i = 0; i < 4 && w->parts[i].idx >= 0; i++) {
		const struct want_part *wp = &w->parts[i];
		if (wp->type == NULL)
			break;
		if (!ok(wp->idx < m->nparts, "%s: part %d exists", w->file, wp->idx))
			continue;
		const struct mail_part *p = &m->parts[wp->idx];
		is_int(p->role, wp->role, "%s: part %d role", w->file, wp->idx);
		is_str(p->content_type, wp->type, "%s: part %d type", w->file, wp->idx);
		is_str(nz(p->charset), wp->charset, "%s: part %d charset", w->file, wp->idx);
		is_str(nz(p->filename), wp->filename, "%s: part %d filename", w->file, wp->idx);
		is_str(nz(p->method), wp->method, "%s: part %d method", w->file, wp->idx);
		if (wp->data)
			ok(p->len == strlen(wp->data) && memcmp(p->data, wp->data, p->len) == 0,
			   "%s: part %d data", w->file, wp->idx);
	}
	mail_msg_free(&m);
	ok(m == NULL, "%s: free sets NULL", w->file);
}

/* parse_file - mail_parse of a data file; the caller frees */
static struct mail_msg *parse_file(const char *name)
{
	char *raw;
	size_t len;
	char path[512];
	struct mail_msg *m = NULL;
	const char *err;
	snprintf(path, sizeof(path), "%s%s", DATA, name);
	if (str_read_file(path, 1 << 20, &raw, &len) < 0)
		return NULL;
	if (mail_parse(raw, len, NULL, &m, &err) < 0)
		m = NULL;
	free(raw);
	return m;
}

static void test_envelope(void)
{
	struct mail_msg *m = parse_file("rfc2047-cyrillic.eml");
	if (!ok(m != NULL, "envelope: cyrillic message parses"))
		return;
	is_int(m->nto, 2, "envelope: two To addresses");
	if (m->nto == 2) {
		is_str(m->to[0].name, "Jörg Müller", "envelope: Latin-1 encoded-word name");
		is_str(m->to[0].addr, "joerg@example.de", "envelope: first To address");
		is_str(m->to[1].name, "Doe, Jane", "envelope: quoted name with a comma");
	}
	is_int(m->ncc, 2, "envelope: a group's members are flattened");
	if (m->ncc == 2)
		is_str(m->cc[1].addr, "b@example.org", "envelope: second group member");
	is_str(m->message_id, "cyr-1@example.ru", "envelope: Message-ID without <>");
	is_str(m->in_reply_to, "draft.r1@tags.example.org", "envelope: In-Reply-To");
	is_int(m->nreferences, 2, "envelope: folded References");
	if (m->nreferences == 2) {
		is_str(m->references[0], "root@tags.example.org", "envelope: oldest reference first");
		is_str(m->references[1], "draft.r1@tags.example.org", "envelope: then the parent");
	}
	is_int(m->date, 1531746843, "envelope: Date with a -0400 zone");
	is_str(m->content_type, "text/plain", "envelope: top-level content type");
	is_str(mail_header_get(m, "subject"), "Привет, мир", "envelope: header lookup ignores case");
	is_str(mail_header_get(m, "References"), "<root@tags.example.org> <draft.r1@tags.example.org>",
	       "envelope: header value unfolded");
	ok(mail_header_get(m, "X-Absent") == NULL, "envelope: absent header is NULL");
	mail_msg_free(&m);

	m = parse_file("header-8bit.eml");
	if (ok(m != NULL, "envelope: mbox From line and 8-bit header")) {
		is_str(m->message_id, "not-bracketed@example.de", "envelope: bare Message-ID");
		is_int(m->date, 1483228800, "envelope: leap second 23:59:60");
		is_int(m->nheaders, 5, "envelope: the mbox line is not a header");
		int i = -1, n = 0;
		while (mail_header_next(m, "to", &i))
			n++;
		is_int(n, 1, "envelope: mail_header_next walks the matches");
		mail_msg_free(&m);
	}

	m = parse_file("dsn.eml");
	if (ok(m != NULL, "envelope: report")) {
		is_str(m->report_type, "delivery-status", "envelope: report-type");
		is_str(m->content_type, "multipart/report", "envelope: multipart/report");
		ok(m->parts[1].data && strstr(m->parts[1].data, "Status: 5.1.1"),
		   "envelope: delivery-status part kept");
		mail_msg_free(&m);
	}
	m = parse_file("base64.eml");
	if (ok(m != NULL, "envelope: alternative")) {
		is_str(m->html, "<p>Base64 <b>html</b></p>", "envelope: html alternative kept");
		mail_msg_free(&m);
	}
}

/* HTML bodies (text/html only) and the text each must give */
static const struct {
	const char *what, *html, *text;
} html_cases[] = {
	{ "Yahoo quoted div", "<div>My reply</div><div id=\"y1yahoo_quoted_1\" class=\"y1yahoo_quoted\">"
	  "<div>On Monday, X wrote:</div><div>quoted text</div></div>",
	  "My reply\n> On Monday, X wrote:\n> quoted text\n" },
	{ "Outlook border-top header block",
	  "<div class=\"WordSection1\"><p class=\"MsoNormal\">Reply text<o:p></o:p></p><div><div "
	  "style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in\"><p "
	  "class=\"MsoNormal\"><b>From:</b> TAG<br><b>Sent:</b> Monday</p></div></div>"
	  "<p class=\"MsoNormal\">Original text</p></div>",
	  "Reply text\n> From: TAG\n> Sent: Monday\n> Original text\n" },
	{ "hr#stopSpelling", "Reply<br><hr id=\"stopSpelling\">Date: Mon<br>Old text",
	  "Reply\n> Date: Mon\n> Old text\n" },
	{ "Windows Mail hr then From:", "<div>Reply</div><hr><div><b>From:</b> x</div><div>Old</div>",
	  "Reply\n> From: x\n> Old\n" },
	{ "a plain hr quotes nothing", "<div>a</div><hr><div>b</div>", "a\nb\n" },
	{ "appendonsend, hr and divRplyFwdMsg are one level",
	  "<div>Reply</div><div id=\"appendonsend\"></div><hr style=\"display:inline-block\">"
	  "<div id=\"divRplyFwdMsg\"><b>From:</b> x</div><div>Old</div>",
	  "Reply\n> From: x\n> Old\n" },
	{ "entities and links",
	  "<p>a&nbsp;b &lt;tag&gt; &eacute; <a href=\"mailto:x@y.org\">x@y.org</a> "
	  "<a href=\"https://e.org/\">site</a> <a href=\"#top\">top</a></p>",
	  "a b <tag> é x@y.org site <https://e.org/> top\n" },
	{ "nested lists", "<ol><li>one<ul><li>sub</li></ul></li><li>two</li></ol>",
	  "- one\n  - sub\n- two\n" },
	{ "head, style, script dropped; blanks collapsed",
	  "<head><title>T</title><style>x</style></head><body>  lots   of\n\n space "
	  "<script>bad()</script></body>", "lots of space\n" },
	{ "pre keeps its layout", "<pre>line 1\n  indented</pre>after", "line 1\n  indented\nafter\n" },
	{ "nested blockquotes", "<blockquote>outer<blockquote>inner</blockquote>back</blockquote>after",
	  "> outer\n> > inner\n> back\nafter\n" },
	{ "gmail_quote without blockquote (a forward)",
	  "<div>fwd note</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">---------- "
	  "Forwarded message ---------<br>From: X</div><div>forwarded body</div></div>",
	  "fwd note\n---------- Forwarded message ---------\nFrom: X\n> forwarded body\n" },
	{ "display:none dropped", "<div style=\"display: none\">hidden</div><div>shown</div>", "shown\n" },
	{ "table cells and rows", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>",
	  "a b\nc\n" },
	{ "Android original-message line",
	  "<div>Reply</div><div><!-- originalMessage --><div>-------- Original message --------</div>"
	  "<div>From: TAG</div></div><div>Old</div>",
	  "Reply\n> -------- Original message --------\n> From: TAG\n> Old\n" },
	{ "paragraphs get a blank line", "<p>one</p><p>two</p>", "one\n\ntwo\n" },
};

static void test_html(void)
{
	for (size_t i = 0; i < sizeof(html_cases) / sizeof(*html_cases); i++) {
		struct buf b;
		buf_init(&b, 0);
		buf_printf(&b, "From: a@example.org\nContent-Type: text/html; charset=utf-8\n\n%s",
			   html_cases[i].html);
		struct mail_msg *m = NULL;
		const char *err;
		if (is_int(mail_parse(b.data, b.len, NULL, &m, &err), 0, "html %s: parses",
			   html_cases[i].what)) {
			is_str(m->text, html_cases[i].text, "html %s: text", html_cases[i].what);
			is_int(m->text_from_html, 1, "html %s: text_from_html", html_cases[i].what);
			mail_msg_free(&m);
		}
		buf_free(&b);
	}
}

/* gen_parse - mail_parse of a built message */
static int gen_parse(const struct buf *b, const struct mail_limits *lim, struct mail_msg **m,
		     const char **err)
{
	return mail_parse(b->data, b->len, lim, m, err);
}

static void deep_message(struct buf *b, int levels)
{
	buf_reset(b);
	buf_puts(b, "From: a@example.org\nSubject: deep\nContent-Type: multipart/mixed; boundary=\"b0\"\n\n"
		 "--b0\nContent-Type: text/plain\n\nouter text\n");
	for (int i = 0; i < levels; i++)
		buf_printf(b, "--b%d\nContent-Type: multipart/mixed; boundary=\"b%d\"\n\n", i, i + 1);
	buf_printf(b, "--b%d\nContent-Type: text/plain\n\ndeep text\n", levels);
	for (int i = levels; i >= 0; i--)
		buf_printf(b, "--b%d--\n", i);
}

static void test_limits(void)
{
	struct buf b;
	struct mail_msg *m = NULL;
	const char *err = NULL;
	struct mail_limits lim;
	buf_init(&b, 64 << 20);

	/* 200-deep nesting: flattened at max_depth, no deep recursion */
	deep_message(&b, 200);
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "deep: 200 levels parse")) {
		is_str(m->text, "outer text", "deep: the outer text is the body");
		ok(m->problem && strstr(m->problem, "nesting deeper than 20"), "deep: problem (%s)",
		   nz(m->problem));
		int maxd = 0, flat = 0;
		for (int i = 0; i < m->nparts; i++) {
			if (m->parts[i].depth > maxd)
				maxd = m->parts[i].depth;
			if (strcmp(m->parts[i].content_type, "application/octet-stream") == 0 &&
			    m->parts[i].role == MAIL_PART_ATTACHMENT)
				flat++;
		}
		ok(maxd <= 20, "deep: no part deeper than max_depth (%d)", maxd);
		is_int(flat, 1, "deep: the rest kept as one attachment");
		mail_msg_free(&m);
	}
	mail_limits_default(&lim);
	lim.max_depth = 300;
	if (is_int(gen_parse(&b, &lim, &m, &err), 0, "deep: 200 levels within max_depth 300")) {
		is_str(m->text, "outer text\ndeep text", "deep: both texts found");
		is_int(m->nparts, 2, "deep: two leaves");
		if (m->nparts == 2)
			is_int(m->parts[1].depth, 201, "deep: the inner leaf's depth");
		mail_msg_free(&m);
	}
	/* 20000 levels: the guard's own limit keeps libetpan shallow */
	deep_message(&b, 20000);
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "deep: 20000 levels parse"))
		mail_msg_free(&m);
	/* nesting without boundary lines: libetpan reads each body as a part */
	buf_reset(&b);
	buf_puts(&b, "From: a@example.org\n");
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, "Content-Type: multipart/mixed; boundary=zz\n\n");
	buf_puts(&b, "end\n");
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "deep: nested multiparts without boundaries")) {
		ok(m->problems > 0, "deep: counted (%s)", nz(m->problem));
		mail_msg_free(&m);
	}
	/* a blank line after each delimiter hides nothing from the guard */
	buf_reset(&b);
	buf_puts(&b, "From: a@example.org\nContent-Type: multipart/mixed; boundary=b0\n\n");
	for (int i = 0; i < 20000; i++)
		buf_printf(&b, "--b%d\n\nContent-Type: multipart/mixed; boundary=b%d\n\n", i, i + 1);
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "deep: blank lines after delimiters"))
		mail_msg_free(&m);
	/* message/rfc822 inside message/rfc822, 20000 deep */
	buf_reset(&b);
	buf_puts(&b, "From: a@example.org\n");
	for (int i = 0; i < 20000; i++)
		buf_puts(&b, "Content-Type: message/rfc822\n\n");
	buf_puts(&b, "end\n");
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "deep: nested message/rfc822")) {
		is_int(m->nparts, 1, "deep: one enclosed message");
		if (m->nparts == 1)
			is_int(m->parts[0].role, MAIL_PART_MESSAGE, "deep: kept as a message part");
		mail_msg_free(&m);
	}

	/* a 1 MB line */
	buf_reset(&b);
	buf_puts(&b, "From: a@example.org\nSubject: long\n\n");
	size_t body = b.len;
	for (size_t i = 0; i < ((size_t)1 << 20); i++)
		buf_putc(&b, 'x');
	buf_putc(&b, '\n');
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "long line: 1 MiB line parses")) {
		is_int(strlen(m->text), ((size_t)1 << 20) + 1, "long line: all of it in the text");
		mail_msg_free(&m);
	}
	buf_truncate(&b, b.len - 1);
	buf_puts(&b, "x\n");
	is_int(gen_parse(&b, NULL, &m, &err), -1, "long line: one byte more is refused");
	is_str(err, "line longer than the limit", "long line: error says why");
	ok(m == NULL, "long line: no message on error");
	(void)body;

	/* NUL bytes in a header and the body */
	static const char nulmsg[] = "From: a@example.org\nSubject: a\0b\nX-Nul: \0\n\nbody\0text\n";
	buf_reset(&b);
	buf_append(&b, nulmsg, sizeof(nulmsg) - 1);
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "nul: parses")) {
		is_str(m->subject, "a b", "nul: subject");
		is_str(m->text, "body text\n", "nul: text");
		ok(m->problem && strstr(m->problem, "NUL"), "nul: problem (%s)", nz(m->problem));
		mail_msg_free(&m);
	}

	/* header comments nested 300000 deep (libetpan recurses per level) */
	buf_reset(&b);
	buf_puts(&b, "From: a@example.org\nTo: ");
	for (int i = 0; i < 300000; i++)
		buf_putc(&b, '(');
	for (int i = 0; i < 300000; i++)
		buf_putc(&b, ')');
	buf_puts(&b, " x@example.net\nContent-Type: text/plain; (((\n (((\n\nbody\n");
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "comments: deep nesting parses")) {
		ok(m->problem && strstr(m->problem, "nested"), "comments: problem (%s)", nz(m->problem));
		is_int(m->nto, 1, "comments: the address is still read");
		if (m->nto == 1)
			is_str(m->to[0].addr, "x@example.net", "comments: address");
		mail_msg_free(&m);
	}

	/* too many header fields */
	buf_reset(&b);
	for (int i = 0; i < 1001; i++)
		buf_printf(&b, "X-H%d: v\n", i);
	buf_puts(&b, "\nbody\n");
	is_int(gen_parse(&b, NULL, &m, &err), -1, "headers: 1001 fields refused");
	is_str(err, "more header fields than the limit", "headers: error says why");
	buf_reset(&b);
	for (int i = 0; i < 1000; i++)
		buf_printf(&b, "X-H%d: v\n", i);
	buf_puts(&b, "\nbody\n");
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "headers: 1000 fields accepted")) {
		is_int(m->nheaders, 1000, "headers: all kept");
		mail_msg_free(&m);
	}

	/* too many parts: the rest is cut off */
	buf_reset(&b);
	buf_puts(&b, "From: a@example.org\nContent-Type: multipart/mixed; boundary=p\n\n");
	for (int i = 0; i < 600; i++)
		buf_printf(&b, "--p\nContent-Type: text/plain\n\npart %d\n", i);
	buf_puts(&b, "--p--\n");
	if (is_int(gen_parse(&b, NULL, &m, &err), 0, "parts: 600 parts parse")) {
		ok(m->nparts > 0 && m->nparts <= 500, "parts: at most max_parts (%d)", m->nparts);
		ok(m->problem && strstr(m->problem, "MIME parts"), "parts: problem (%s)", nz(m->problem));
		ok(str_starts(m->text, "part 0\npart 1\n"), "parts: the first parts are the text");
		mail_msg_free(&m);
	}

	/* size */
	mail_limits_default(&lim);
	lim.max_size = 100;
	buf_reset(&b);
	buf_puts(&b, "From: a@example.org\n\n");
	for (int i = 0; i < 100; i++)
		buf_putc(&b, 'y');
	is_int(gen_parse(&b, &lim, &m, &err), -1, "size: over max_size refused");
	is_str(err, "message larger than the limit", "size: error says why");

	/* empty input and a body without headers */
	if (is_int(mail_parse("", 0, NULL, &m, &err), 0, "empty: parses")) {
		is_str(m->text, "", "empty: no text");
		is_str(m->subject, "", "empty: subject is \"\"");
		mail_msg_free(&m);
	}
	if (is_int(mail_parse("\nonly body\n", 11, NULL, &m, &err), 0, "no headers: parses")) {
		is_str(m->text, "only body\n", "no headers: the body");
		mail_msg_free(&m);
	}
	buf_free(&b);
}

/* ---------------------------------------------------------------- */
/* The isolated parser */

static int addr_eq(const struct mail_addr *a, const struct mail_addr *b)
{
	return str_eq(a->name, b->name) && str_eq(a->addr, b->addr);
}

/* msg_eq - every field equal; *what_r names the first that is not */
static int msg_eq(const struct mail_msg *a, const struct mail_msg *b, const char **what_r)
{
#define DIFF(w) do { *what_r = (w); return 0; } while (0)
	if (!str_eq(a->message_id, b->message_id)) DIFF("message_id");
	if (!str_eq(a->in_reply_to, b->in_reply_to)) DIFF("in_reply_to");
	if (a->nreferences != b->nreferences) DIFF("nreferences");
	for (int i = 0; i < a->nreferences; i++)
		if (!str_eq(a->references[i], b->references[i])) DIFF("references");
	if (!str_eq(a->subject, b->subject)) DIFF("subject");
	if (!addr_eq(&a->from, &b->from)) DIFF("from");
	if (!addr_eq(&a->reply_to, &b->reply_to)) DIFF("reply_to");
	if (!addr_eq(&a->sender, &b->sender)) DIFF("sender");
	if (a->nto != b->nto) DIFF("nto");
	for (int i = 0; i < a->nto; i++)
		if (!addr_eq(&a->to[i], &b->to[i])) DIFF("to");
	if (a->ncc != b->ncc) DIFF("ncc");
	for (int i = 0; i < a->ncc; i++)
		if (!addr_eq(&a->cc[i], &b->cc[i])) DIFF("cc");
	if (a->date != b->date) DIFF("date");
	if (a->nheaders != b->nheaders) DIFF("nheaders");
	for (int i = 0; i < a->nheaders; i++)
		if (!str_eq(a->headers[i].name, b->headers[i].name) ||
		    !str_eq(a->headers[i].value, b->headers[i].value)) DIFF("headers");
	if (!str_eq(a->text, b->text)) DIFF("text");
	if (a->text_from_html != b->text_from_html) DIFF("text_from_html");
	if (!str_eq(a->html, b->html)) DIFF("html");
	if (a->nparts != b->nparts) DIFF("nparts");
	for (int i = 0; i < a->nparts; i++) {
		const struct mail_part *p = &a->parts[i], *q = &b->parts[i];
		if (p->role != q->role || !str_eq(p->content_type, q->content_type) ||
		    !str_eq(p->charset, q->charset) || !str_eq(p->filename, q->filename) ||
		    !str_eq(p->method, q->method) || p->depth != q->depth || p->len != q->len ||
		    memcmp(p->data, q->data, p->len) != 0 || p->data[p->len] != '\0')
			DIFF("parts");
	}
	if (!str_eq(a->content_type, b->content_type)) DIFF("content_type");
	if (!str_eq(a->report_type, b->report_type)) DIFF("report_type");
	if (a->problems != b->problems) DIFF("problems");
	if (!str_eq(a->problem, b->problem)) DIFF("problem");
	return 1;
#undef DIFF
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the directory's own descriptor */
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* same_as_inprocess - the isolated parser gives exactly mail_parse's result */
static int same_as_inprocess(struct mail_parser *p, const char *raw, size_t len, const char *name)
{
	struct mail_msg *a = NULL, *b = NULL;
	const char *ea = NULL, *eb = NULL, *what = "result";
	int ra = mail_parse(raw, len, NULL, &a, &ea);
	int rb = mail_parser_parse(p, raw, len, &b, &eb);
	int same = ra == rb && (ra < 0 ? str_eq(ea, eb) : msg_eq(a, b, &what));
	ok(same, "isolated: %s same as in-process", name);
	if (!same)
		diag("differs in %s (in-process %d %s, isolated %d %s)", what, ra, nz(ea), rb, nz(eb));
	mail_msg_free(&a);
	mail_msg_free(&b);
	return same;
}

static void test_isolated(void)
{
	/* SIGPIPE stays fatal here: the parser must never raise it */
	signal(SIGPIPE, SIG_DFL);
	int fds0 = count_fds();
	/* every child this parser starts honours the fault markers */
	setenv("TAGD_MAIL_PARSER_FAULTS", "1", 1);
	struct mail_parser *p = mail_parser_new(NULL, 400);
	if (!ok(p != NULL, "isolated: parser started"))
		return;
	int pid0 = mail_parser_child_pid(p);
	ok(pid0 > 0, "isolated: a child runs");

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *raw;
		size_t len;
		char path[512];
		snprintf(path, sizeof(path), "%s%s", DATA, cases[i].file);
		if (str_read_file(path, 1 << 20, &raw, &len) == 0) {
			same_as_inprocess(p, raw, len, cases[i].file);
			free(raw);
		}
	}
	struct buf b;
	buf_init(&b, 64 << 20);
	deep_message(&b, 200);
	same_as_inprocess(p, b.data, b.len, "200-deep nesting");
	buf_reset(&b);
	static const char nulmsg[] = "Subject: a\0b\n\nx\0y\n";
	buf_append(&b, nulmsg, sizeof(nulmsg) - 1);
	same_as_inprocess(p, b.data, b.len, "NUL bytes");
	buf_reset(&b);
	for (int i = 0; i < 1001; i++)
		buf_printf(&b, "X-H%d: v\n", i);
	same_as_inprocess(p, b.data, b.len, "an error result");
	is_int(mail_parser_child_pid(p), pid0, "isolated: one child for all of them");

	static const char ok_msg[] = "From: a@example.org\nSubject: fine\n\nnext one\n";
	struct mail_msg *m = NULL;
	const char *err = NULL;

	/* a crash */
	static const char crash[] = "Subject: boom\nX-Tagd-Test-Fault: crash\n\nbody\n";
	is_int(mail_parser_parse(p, crash, sizeof(crash) - 1, &m, &err), -1, "crash: parse fails");
	is_str(err, "parser crashed: signal 6", "crash: error names the signal");
	ok(m == NULL, "crash: no message");
	is_int(mail_parser_child_pid(p), -1, "crash: child reaped");
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "crash: the next message parses")) {
		is_str(m->text, "next one\n", "crash: its text");
		mail_msg_free(&m);
	}
	int pid1 = mail_parser_child_pid(p);
	ok(pid1 > 0 && pid1 != pid0, "crash: a new child");

	/* a hang */
	static const char hang[] = "Subject: zzz\nX-Tagd-Test-Fault: hang\n\nbody\n";
	int64_t t0 = now_ms();
	is_int(mail_parser_parse(p, hang, sizeof(hang) - 1, &m, &err), -1, "hang: parse fails");
	int64_t took = now_ms() - t0;
	is_str(err, "parser timed out", "hang: error");
	ok(took >= 350 && took < 3000, "hang: gave up after the timeout (%lld ms)", (long long)took);
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "hang: the next message parses"))
		mail_msg_free(&m);

	/* a child that dies between messages: the write must not raise SIGPIPE */
	int pid2 = mail_parser_child_pid(p);
	if (pid2 > 0) {
		kill(pid2, SIGKILL);
		int st;
		/* let it die; the parser still owns the reaping */
		struct timespec ts = { 0, 50 * 1000000 };
		nanosleep(&ts, NULL);
		(void)st;
	}
	is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), -1,
	       "killed child: that parse fails");
	is_str(err, "parser crashed: signal 9", "killed child: error names SIGKILL");
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "killed child: the next one parses"))
		mail_msg_free(&m);

	/* replies a compromised child could send */
	static const char garbage[] = "Subject: g\nX-Tagd-Test-Fault: garbage\n\nbody\n";
	is_int(mail_parser_parse(p, garbage, sizeof(garbage) - 1, &m, &err), -1, "garbage reply: refused");
	is_str(err, "parser crashed: malformed reply", "garbage reply: error");
	static const char huge[] = "Subject: h\nX-Tagd-Test-Fault: huge\n\nbody\n";
	is_int(mail_parser_parse(p, huge, sizeof(huge) - 1, &m, &err), -1, "huge reply: refused");
	is_str(err, "parser crashed: malformed reply", "huge reply: error");
	static const char counts[] = "Subject: c\nX-Tagd-Test-Fault: counts\n\nbody\n";
	is_int(mail_parser_parse(p, counts, sizeof(counts) - 1, &m, &err), -1, "bad counts: refused");
	is_str(err, "parser crashed: malformed reply", "bad counts: error");
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "bad replies: the next message parses"))
		mail_msg_free(&m);

	/* true replies with flipped bytes: refused or read, never a crash */
	int refused = 0, read = 0;
	for (int i = 1; i <= 300; i++) {
		char msg[256];
		snprintf(msg, sizeof(msg), "From: A <a@example.org>\nTo: b@example.org, c@example.org\n"
			 "References: <r1@x> <r2@x>\nSubject: s%d\nX-Tagd-Test-Fault: mutate %d\n"
			 "Content-Type: text/plain; charset=utf-8\n\nbody %d\n", i, i, i);
		if (mail_parser_parse(p, msg, strlen(msg), &m, &err) == 0) {
			read++;
			mail_msg_free(&m);
		} else {
			refused++;
		}
	}
	ok(read + refused == 300 && refused > 0, "mutated replies: %d refused, %d read, no crash",
	   refused, read);
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "mutated replies: the next message parses"))
		mail_msg_free(&m);

	/* a message sent ahead (mail_parser_send_ahead): parsed while the
	   caller works; the parse of the same bytes reads its answer */
	int pid3 = mail_parser_child_pid(p);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		char *raw;
		size_t len;
		char path[512], name[600];
		snprintf(path, sizeof(path), "%s%s", DATA, cases[i].file);
		if (str_read_file(path, 1 << 20, &raw, &len) == 0) {
			mail_parser_send_ahead(p, raw, len);
			snprintf(name, sizeof(name), "%s, sent ahead,", cases[i].file);
			same_as_inprocess(p, raw, len, name);
			free(raw);
		}
	}
	is_int(mail_parser_child_pid(p), pid3, "ahead: the same child all along");
	static const char other[] = "From: b@example.org\nSubject: other\n\nanother one\n";
	mail_parser_send_ahead(p, other, sizeof(other) - 1);
	mail_parser_send_ahead(p, ok_msg, sizeof(ok_msg) - 1); /* one ahead at most: ignored */
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "ahead: a parse of other bytes than those ahead")) {
		is_str(m->text, "next one\n", "ahead: gives its own result, not the one ahead");
		mail_msg_free(&m);
	}
	if (is_int(mail_parser_parse(p, other, sizeof(other) - 1, &m, &err), 0,
		   "ahead: the dropped one parses when its turn comes")) {
		is_str(m->text, "another one\n", "ahead: its text");
		mail_msg_free(&m);
	}
	/* a crash ahead is that message's crash */
	mail_parser_send_ahead(p, crash, sizeof(crash) - 1);
	is_int(mail_parser_parse(p, crash, sizeof(crash) - 1, &m, &err), -1, "ahead: a crash ahead fails its parse");
	is_str(err, "parser crashed: signal 6", "ahead: error names the signal");
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "ahead: after it the next message parses"))
		mail_msg_free(&m);
	/* ... and not the crash of another message parsed instead */
	mail_parser_send_ahead(p, crash, sizeof(crash) - 1);
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "ahead: a crash ahead does not fail another message")) {
		is_str(m->text, "next one\n", "ahead: which has its own text");
		mail_msg_free(&m);
	}
	/* a hang ahead times out its own parse */
	mail_parser_send_ahead(p, hang, sizeof(hang) - 1);
	t0 = now_ms();
	is_int(mail_parser_parse(p, hang, sizeof(hang) - 1, &m, &err), -1, "ahead: a hang ahead fails its parse");
	took = now_ms() - t0;
	is_str(err, "parser timed out", "ahead: hang error");
	ok(took >= 350 && took < 3000, "ahead: after the timeout (%lld ms)", (long long)took);
	if (is_int(mail_parser_parse(p, ok_msg, sizeof(ok_msg) - 1, &m, &err), 0,
		   "ahead: after the hang the next message parses"))
		mail_msg_free(&m);

	/* over the size limit: refused without bothering the child */
	struct mail_limits lim;
	mail_limits_default(&lim);
	lim.max_size = 10;
	struct mail_parser *small = mail_parser_new(&lim, 1000);
	if (ok(small != NULL, "isolated: second parser")) {
		is_int(mail_parser_parse(small, ok_msg, sizeof(ok_msg) - 1, &m, &err), -1,
		       "size: refused");
		is_str(err, "message larger than the limit", "size: error");
		mail_parser_free(&small);
		ok(small == NULL, "isolated: free sets NULL");
	}

	mail_parser_free(&p);
	unsetenv("TAGD_MAIL_PARSER_FAULTS");
	ok(p == NULL, "isolated: freed");
	int st;
	errno = 0;
	pid_t w = waitpid(-1, &st, WNOHANG);
	ok(w == -1 && errno == ECHILD, "isolated: no child left, no zombie");
	is_int(count_fds(), fds0, "isolated: no descriptor leaked");
	buf_free(&b);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		check_case(&cases[i]);
	test_envelope();
	test_html();
	test_limits();
	test_isolated();
	mail_cleanup();
	return done_testing();
}
