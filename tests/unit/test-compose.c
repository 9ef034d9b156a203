/* test-compose - outgoing MIME: headers, layouts, encodings, injection;
   every message is read back by Python's email package
   (tests/data/render/mailinfo.py) and by libetpan */
#include "config.h"
#include "tap.h"
#include "mail/compose.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAILINFO TOP_SRCDIR "/tests/data/render/mailinfo.py"

static const char SUBJECT[] = "R\xc3\xa9union \xc2\xb6" "12 \xe2\x80\x93 caf\xc3\xa9";  /* Réunion ¶12 – café */
static const char CALENDAR[] = "BEGIN:VCALENDAR\nPRODID:-//tagd//EN\nVERSION:2.0\nMETHOD:REQUEST\n"
			       "BEGIN:VEVENT\nUID:prof-learning.call@tags.example.org\nSUMMARY:Caf\xc3\xa9 call\n"
			       "END:VEVENT\nEND:VCALENDAR\n";

/* python - the path of Debian's python3 ($PYTHON3 in make check) */
static const char *python(void)
{
	const char *p = getenv("PYTHON3");
	return p != NULL && p[0] != '\0' ? p : "/usr/bin/python3";
}

/* mailinfo - what Python's email package reads in the message (one fact a
   line, see mailinfo.py); NULL if it could not run */
static char *mailinfo(const char *mail, size_t len)
{
	char path[] = "/tmp/test-compose-XXXXXX";
	struct buf out = BUF_INIT;
	char chunk[4096], *cmd;
	FILE *f, *p;
	size_t n;
	int fd = mkstemp(path), status;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "wb");
	fwrite(mail, 1, len, f);
	fclose(f);
	cmd = xasprintf("'%s' '%s' '%s' 2>&1", python(), MAILINFO, path);
	p = popen(cmd, "r");
	free(cmd);
	if (p != NULL) {
		while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
			buf_append(&out, chunk, n);
		status = pclose(p);
		if (status != 0) {
			diag("mailinfo failed: %s", buf_cstr(&out));
			buf_reset(&out);
		}
	}
	unlink(path);
	if (out.len == 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out, NULL);
}

/* has_line - info holds exactly this line */
static int has_line(const char *info, const char *line)
{
	size_t n = strlen(line);
	const char *p = info;

	while (p != NULL && (p = strstr(p, line)) != NULL) {
		if ((p == info || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

/* lines_with - how many lines of info start with prefix */
static int lines_with(const char *info, const char *prefix)
{
	int n = 0;
	const char *p = info;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return n;
}

/* check_wire - CRLF everywhere, 7-bit, no line past 998 octets */
static int check_wire(const char *s, size_t n, const char *what)
{
	size_t i, line = 0, longest = 0;
	int bad = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			if (i == 0 || s[i - 1] != '\r')
				bad = 1;
			line = 0;
		} else if (c == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				bad = 1;
		} else {
			if (c >= 0x80 || c == 0)
				bad = 1;
			if (++line > longest)
				longest = line;
		}
	}
	if (n < 2 || s[n - 1] != '\n')
		bad = 1;
	return ok(!bad && longest <= 998, "%s: CRLF only, 7-bit, longest line %zu", what, longest);
}

/* header_block - the top-level header block of a message (a copy) */
static char *header_block(const char *mail)
{
	const char *end = strstr(mail, "\r\n\r\n");
	return xstrndup(mail, end != NULL ? (size_t)(end - mail) + 2 : strlen(mail));
}

/* a header line starts a line of the header block */
static int has_header(const char *mail, const char *name)
{
	char *h = header_block(mail), *needle = xasprintf("\r\n%s:", name);
	int found = strncmp(h, name, strlen(name)) == 0 || strstr(h, needle) != NULL;
	free(needle);
	free(h);
	return found;
}

static void base_mail(struct compose_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->from_name = "Professional Learning & CBE";
	m->from_addr = "tag-prof-learning@tags.example.org";
	m->to_name = "Ana Ru\xc3\xadz";
	m->to_addr = "ana.ruiz@district9.example.org";
	m->subject = SUBJECT;
	m->domain = "tags.example.org";
	m->text = "Hello Ana,\n\nThe call is at noon.\n";
	m->date = 1531756800;   /* Mon, 16 Jul 2018 16:00:00 UTC */
}

/* compose_str - compose into a fresh string, NULL on error (*err set) */
static char *compose_str(const struct compose_mail *m, size_t *len_r, const char **err)
{
	struct buf b = BUF_INIT;
	*err = NULL;
	if (compose(m, &b, err) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, len_r);
}

/* ---- libetpan reads it back ---- */

static const char *mime_type(struct mailmime *mm, char *buf, size_t size)
{
	struct mailmime_content *ct = mm->mm_content_type;
	const char *t = "?";

	if (ct == NULL)
		return "(none)";
	if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE)
		t = ct->ct_type->tp_data.tp_composite_type->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART
			    ? "multipart" : "message";
	else
		switch (ct->ct_type->tp_data.tp_discrete_type->dt_type) {
		case MAILMIME_DISCRETE_TYPE_TEXT: t = "text"; break;
		case MAILMIME_DISCRETE_TYPE_APPLICATION: t = "application"; break;
		default: t = "other"; break;
		}
	snprintf(buf, size, "%s/%s", t, ct->ct_subtype);
	return buf;
}

/* etpan_tree - the MIME types of the tree, depth-first: "a/b(c/d,e/f)" */
static void etpan_tree(struct mailmime *mm, struct buf *out)
{
	char t[80];
	clistiter *it;

	switch (mm->mm_type) {
	case MAILMIME_MESSAGE:
		if (mm->mm_data.mm_message.mm_msg_mime != NULL)
			etpan_tree(mm->mm_data.mm_message.mm_msg_mime, out);
		break;
	case MAILMIME_MULTIPLE:
		buf_puts(out, mime_type(mm, t, sizeof(t)));
		buf_putc(out, '(');
		for (it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it != NULL; it = clist_next(it)) {
			etpan_tree(clist_content(it), out);
			if (clist_next(it) != NULL)
				buf_putc(out, ',');
		}
		buf_putc(out, ')');
		break;
	case MAILMIME_SINGLE:
		buf_puts(out, mime_type(mm, t, sizeof(t)));
		break;
	}
}

static void test_etpan(const char *mail, size_t len, const char *want_tree, const char *subject,
		       const char *what)
{
	struct mailmime *mm = NULL;
	size_t idx = 0;
	struct buf tree = BUF_INIT;

	if (!ok(mailmime_parse(mail, len, &idx, &mm) == MAILIMF_NO_ERROR, "%s: libetpan parses it", what))
		return;
	etpan_tree(mm, &tree);
	is_str(buf_cstr(&tree), want_tree, "%s: libetpan sees the structure", what);
	if (mm->mm_type == MAILMIME_MESSAGE && mm->mm_data.mm_message.mm_fields != NULL) {
		struct mailimf_single_fields sf;
		char *dec = NULL;
		size_t i = 0;
		mailimf_single_fields_init(&sf, mm->mm_data.mm_message.mm_fields);
		ok(sf.fld_subject != NULL &&
		   mailmime_encoded_phrase_parse("iso-8859-1", sf.fld_subject->sbj_value,
						 strlen(sf.fld_subject->sbj_value), &i, "utf-8",
						 &dec) == MAILIMF_NO_ERROR &&
		   strcmp(dec, subject) == 0, "%s: libetpan decodes the subject", what);
		free(dec);
		ok(sf.fld_message_id != NULL && strchr(sf.fld_message_id->mid_value, '@') != NULL,
		   "%s: libetpan reads the Message-ID", what);
	}
	mailmime_free(mm);
	buf_free(&tree);
}

/* ---- tests ---- */

static void test_invitation(void)
{
	struct compose_mail m;
	const char *refs[] = { "root.p12@tags.example.org", "bad id with blanks", "c41@mail.example.com" };
	const char *extra[] = { "X-TAG-Session: prof-learning", "X-Note: caf\xc3\xa9 \xc2\xb6" };
	const char *err;
	char *mail, *info, *h;
	size_t len;

	base_mail(&m);
	m.reply_to = "tag-prof-learning+p12@tags.example.org";
	m.message_id = "call.1@tags.example.org";
	m.in_reply_to = "c41@mail.example.com";
	m.references = refs;
	m.nreferences = 3;
	m.list_id = "Professional Learning & CBE <prof-learning.tags.example.org>";
	m.list_post = "mailto:tag-prof-learning@tags.example.org";
	m.list_help = "<mailto:tag-prof-learning+help@tags.example.org>";
	m.list_unsubscribe = "mailto:tag-prof-learning+leave@tags.example.org, https://tags.example.org/u/x1";
	m.list_unsubscribe_post = 1;
	m.auto_submitted = 2;
	m.precedence_list = 1;
	m.x_loop = "tag-prof-learning@tags.example.org";
	m.html = "<p>Hello <b>Ana</b>, the call is at noon. Caf\xc3\xa9.</p>";
	m.calendar = CALENDAR;
	m.calendar_method = "REQUEST";
	m.extra_headers = extra;
	m.nextra = 2;
	mail = compose_str(&m, &len, &err);
	if (!ok(mail != NULL, "invitation: composes%s%s", err ? ": " : "", err ? err : ""))
		return;
	check_wire(mail, len, "invitation");
	info = mailinfo(mail, len);
	if (!ok(info != NULL, "invitation: Python's email package reads it")) {
		free(mail);
		return;
	}
	is_int(lines_with(info, "defect"), 0, "invitation: Python finds no defect");
	ok(has_line(info, "header Subject \"R\xc3\xa9union \xc2\xb6" "12 \xe2\x80\x93 caf\xc3\xa9\""),
	   "invitation: RFC 2047 subject decodes to R\xc3\xa9union \xc2\xb6" "12 \xe2\x80\x93 caf\xc3\xa9");
	ok(has_line(info, "address From \"Professional Learning & CBE\" \"tag-prof-learning@tags.example.org\""),
	   "invitation: From name with & is quoted");
	ok(has_line(info, "address To \"Ana Ru\xc3\xadz\" \"ana.ruiz@district9.example.org\""),
	   "invitation: To name encoded");
	ok(has_line(info, "address Reply-To \"\" \"tag-prof-learning+p12@tags.example.org\""), "invitation: Reply-To");
	ok(has_line(info, "header Date \"Mon, 16 Jul 2018 16:00:00 +0000\""), "invitation: Date");
	ok(has_line(info, "header Message-ID \"<call.1@tags.example.org>\""), "invitation: Message-ID");
	ok(has_line(info, "header In-Reply-To \"<c41@mail.example.com>\""), "invitation: In-Reply-To");
	ok(has_line(info, "header References \"<root.p12@tags.example.org> <c41@mail.example.com>\""),
	   "invitation: References, the invalid id left out");
	ok(has_line(info, "header List-Id \"Professional Learning & CBE <prof-learning.tags.example.org>\""),
	   "invitation: List-Id");
	ok(has_line(info, "header List-Post \"<mailto:tag-prof-learning@tags.example.org>\""), "invitation: List-Post");
	ok(has_line(info, "header List-Help \"<mailto:tag-prof-learning+help@tags.example.org>\""),
	   "invitation: List-Help (given with <>)");
	ok(has_line(info, "header List-Unsubscribe \"<mailto:tag-prof-learning+leave@tags.example.org>, "
		    "<https://tags.example.org/u/x1>\""), "invitation: List-Unsubscribe with two URIs");
	ok(has_line(info, "header List-Unsubscribe-Post \"List-Unsubscribe=One-Click\""),
	   "invitation: List-Unsubscribe-Post (RFC 8058)");
	ok(has_line(info, "header Auto-Submitted \"auto-generated\""), "invitation: Auto-Submitted");
	ok(has_line(info, "header Precedence \"list\""), "invitation: Precedence");
	ok(has_line(info, "header X-Loop \"tag-prof-learning@tags.example.org\""), "invitation: X-Loop");
	ok(has_line(info, "header X-TAG-Session \"prof-learning\"") &&
	   has_line(info, "header X-Note \"caf\xc3\xa9 \xc2\xb6\""), "invitation: extra headers, encoded");
	ok(has_line(info, "header MIME-Version \"1.0\""), "invitation: MIME-Version");

	/* ICALENDAR.md §1 */
	ok(strstr(info, "part 0 multipart/mixed charset=None method=None disposition=None filename=None cte=\n"
		  "part 1 multipart/alternative charset=None method=None disposition=None filename=None cte=\n"
		  "part 2 text/plain charset=UTF-8 method=None disposition=None filename=None cte=7bit\n") != NULL &&
	   strstr(info, "part 2 text/html charset=UTF-8 method=None disposition=None filename=None "
		  "cte=quoted-printable\n") != NULL &&
	   strstr(info, "part 2 text/calendar charset=UTF-8 method=REQUEST disposition=None filename=None "
		  "cte=base64\n") != NULL &&
	   strstr(info, "part 1 application/ics charset=None method=None disposition=attachment "
		  "filename=invite.ics cte=base64\n") != NULL,
	   "invitation: mixed { alternative { text, html, calendar; method=REQUEST }, invite.ics }");
	is_int(lines_with(info, "part "), 6, "invitation: six parts in all");
	ok(has_line(info, "text 0 \"Hello Ana,\\n\\nThe call is at noon.\\n\""), "invitation: text decodes");
	ok(has_line(info, "text 1 \"<p>Hello <b>Ana</b>, the call is at noon. Caf\xc3\xa9.</p>\\n\""),
	   "invitation: html decodes (quoted-printable)");
	ok(has_line(info, "text 2 \"BEGIN:VCALENDAR\\r\\nPRODID:-//tagd//EN\\r\\nVERSION:2.0\\r\\nMETHOD:REQUEST\\r\\n"
		    "BEGIN:VEVENT\\r\\nUID:prof-learning.call@tags.example.org\\r\\nSUMMARY:Caf\xc3\xa9 call\\r\\n"
		    "END:VEVENT\\r\\nEND:VCALENDAR\\r\\n\""), "invitation: calendar decodes, with CRLF lines");
	{
		/* the attached copy holds the same bytes */
		struct buf want = BUF_INIT;
		const char *c;
		size_t n = 0;
		for (c = CALENDAR; *c != '\0'; c++)
			n += *c == '\n' ? 2 : 1;
		buf_printf(&want, "bytes 3 %zu ", n);
		for (c = CALENDAR; *c != '\0'; c++)
			buf_printf(&want, *c == '\n' ? "0d0a" : "%02x", (unsigned char)*c);
		ok(has_line(info, buf_cstr(&want)), "invitation: invite.ics holds the same calendar");
		buf_free(&want);
	}
	h = strstr(mail, "Content-Type: text/calendar");
	ok(h != NULL && strstr(h, "\r\n\r\n") != NULL &&
	   memmem(h, (size_t)(strstr(h, "\r\n\r\n") - h), "Content-Disposition", 19) == NULL,
	   "invitation: the text/calendar part has no Content-Disposition");
	ok(strstr(mail, "boundary=\"=_tagd-m-") != NULL && strstr(mail, "boundary=\"=_tagd-a-") != NULL &&
	   lines_with(info, "header Content-Type") == 1, "invitation: random boundaries, one each");
	{
		const char *b = strstr(mail, "boundary=");
		ok(b != NULL && strstr(b + 9, "boundary=") != NULL &&
		   strstr(strstr(b + 9, "boundary=") + 9, "boundary=") == NULL,
		   "invitation: no duplicate boundary parameter");
	}
	test_etpan(mail, len,
		   "multipart/mixed(multipart/alternative(text/plain,text/html,text/calendar),application/ics)",
		   SUBJECT, "invitation");
	free(info);
	free(mail);
}

static void test_layouts(void)
{
	struct compose_mail m;
	struct compose_attachment att[2];
	char bin[256], *mail, *info, *longline, *want;
	const char *err;
	size_t len;
	int i;

	/* plain text only */
	base_mail(&m);
	m.subject = "Plain";
	mail = compose_str(&m, &len, &err);
	info = mail ? mailinfo(mail, len) : NULL;
	ok(info != NULL && lines_with(info, "part ") == 1 &&
	   has_line(info, "part 0 text/plain charset=UTF-8 method=None disposition=None filename=None cte=7bit"),
	   "text only: one text/plain part, 7bit");
	ok(info != NULL && has_line(info, "header Subject \"Plain\"") && lines_with(info, "defect") == 0,
	   "text only: plain subject as it is");
	ok(mail != NULL && strstr(mail, "\r\nSubject: Plain\r\n") != NULL, "text only: an ASCII subject is not encoded");
	ok(mail != NULL && !has_header(mail, "List-Id") && !has_header(mail, "Auto-Submitted") &&
	   !has_header(mail, "Precedence") && !has_header(mail, "In-Reply-To"), "text only: no optional headers");
	ok(mail != NULL && has_header(mail, "Message-ID") && strstr(mail, "@tags.example.org>") != NULL,
	   "text only: a Message-ID is generated in the domain");
	if (mail)
		check_wire(mail, len, "text only");
	if (mail)
		test_etpan(mail, len, "text/plain", "Plain", "text only");
	free(info);
	free(mail);

	/* 8-bit text and a line past 998 octets go quoted-printable */
	base_mail(&m);
	longline = xmalloc(2101);
	for (i = 0; i < 2100; i++)
		longline[i] = (char)('a' + i % 26);
	longline[2100] = '\0';
	want = xasprintf("Caf\xc3\xa9\n%s\nend\n", longline);
	m.text = want;
	m.html = "<p>x</p>";
	mail = compose_str(&m, &len, &err);
	info = mail ? mailinfo(mail, len) : NULL;
	ok(info != NULL && strstr(info, "part 0 multipart/alternative") != NULL &&
	   has_line(info, "part 1 text/plain charset=UTF-8 method=None disposition=None filename=None cte=quoted-printable") &&
	   has_line(info, "part 1 text/html charset=UTF-8 method=None disposition=None filename=None cte=7bit") &&
	   lines_with(info, "part ") == 3, "text + html: multipart/alternative; 8-bit text quoted-printable");
	{
		char *line = xasprintf("text 0 \"Caf\xc3\xa9\\n%s\\nend\\n\"", longline);
		ok(info != NULL && has_line(info, line), "text + html: the 2,100-octet line decodes whole");
		free(line);
	}
	if (mail) {
		check_wire(mail, len, "text + html");
		test_etpan(mail, len, "multipart/alternative(text/plain,text/html)", SUBJECT, "text + html");
	}
	free(info);
	free(mail);
	free(want);
	free(longline);

	/* quoted-printable edge cases decode exactly in Python's email package;
	   encoded lines stay within 76 octets; punctuation stays readable */
	{
		struct buf tx = BUF_INIT;
		buf_puts(&tx, "\xc2\xb6" "12: a = b, 100% (sure!) \"quoted\" [x] {y} ~z_\n");
		buf_puts(&tx, "From the start of a line\nFrom\n.\n..\n. \n");
		buf_puts(&tx, "trailing blanks   \ntrailing tab\t\n=\n==3D\n");
		for (i = 0; i < 80; i++) /* multibyte characters across soft breaks */
			buf_puts(&tx, i % 3 == 0 ? "\xc3\xa9" : "\xe2\x80\x94");
		buf_puts(&tx, "\n");
		for (size_t w = 74; w <= 78; w++) { /* lines around the limit */
			for (i = 0; i < (int)w - 1; i++)
				buf_putc(&tx, (char)('a' + i % 26));
			buf_puts(&tx, "\xc3\xa9\n");
			for (i = 0; i < (int)w; i++)
				buf_putc(&tx, 'x');
			buf_puts(&tx, " \n");
		}
		buf_puts(&tx, "end");
		base_mail(&m);
		m.text = buf_cstr(&tx);
		mail = compose_str(&m, &len, &err);
		info = mail ? mailinfo(mail, len) : NULL;
		struct buf want_line = BUF_INIT;
		buf_puts(&want_line, "text 0 \"");
		for (const char *q = m.text; *q != '\0'; q++) {
			if (*q == '\n')
				buf_puts(&want_line, "\\n");
			else if (*q == '\t')
				buf_puts(&want_line, "\\t");
			else if (*q == '"' || *q == '\\')
				buf_printf(&want_line, "\\%c", *q);
			else
				buf_putc(&want_line, *q);
		}
		buf_puts(&want_line, "\\n\"");
		ok(info != NULL && has_line(info, buf_cstr(&want_line)),
		   "quoted-printable: From, dots, blanks, '=', multibyte and long lines decode exactly");
		if (info != NULL && !has_line(info, buf_cstr(&want_line)))
			diag("got: %s\nwant: %s", info, buf_cstr(&want_line));
		size_t longest = 0, col = 0;
		for (size_t k = 0; mail != NULL && k < len; k++) {
			if (mail[k] == '\r')
				continue;
			if (mail[k] == '\n') {
				col = 0;
				continue;
			}
			if (++col > longest)
				longest = col;
		}
		ok(mail != NULL && longest <= 998 && strstr(mail, "\r\nFrom ") == NULL &&
		   strstr(mail, "\r\n.\r\n") == NULL, "quoted-printable: no bare From or lone dot opens a line");
		const char *body = mail != NULL ? strstr(mail, "\r\n\r\n") : NULL;
		size_t qp_longest = 0;
		col = 0;
		for (const char *q = body; q != NULL && *q != '\0'; q++) {
			if (*q == '\r' || *q == '\n') {
				col = 0;
				continue;
			}
			if (++col > qp_longest)
				qp_longest = col;
		}
		ok(body != NULL && qp_longest <= 76, "quoted-printable: body lines within 76 octets (%zu)", qp_longest);
		ok(body != NULL && strstr(body, "(sure!) =22quoted") == NULL && strstr(body, "(sure!) \"quoted\"") != NULL &&
		   strstr(body, "a =3D b") != NULL && strstr(body, "trailing blanks  =20") != NULL,
		   "quoted-printable: punctuation readable, '=' and a blank before a line end encoded");
		if (mail != NULL)
			check_wire(mail, len, "quoted-printable edge cases");
		buf_free(&want_line);
		buf_free(&tx);
		free(info);
		free(mail);
	}

	/* attachments: every byte value survives */
	base_mail(&m);
	for (i = 0; i < 256; i++)
		bin[i] = (char)i;
	att[0].filename = "all-bytes.bin";
	att[0].content_type = "application/octet-stream";
	att[0].data = bin;
	att[0].len = sizeof(bin);
	att[1].filename = "notes.txt";
	att[1].content_type = "text/plain";
	att[1].data = "line\n";
	att[1].len = 5;
	m.att = att;
	m.natt = 2;
	m.html = "<p>see attached</p>";
	mail = compose_str(&m, &len, &err);
	info = mail ? mailinfo(mail, len) : NULL;
	{
		struct buf hex = BUF_INIT;
		char *line;
		for (i = 0; i < 256; i++)
			buf_printf(&hex, "%02x", i);
		line = xasprintf("bytes 2 256 %s", buf_cstr(&hex));
		ok(info != NULL && has_line(info, line), "attachments: 256 byte values come back");
		free(line);
		buf_free(&hex);
	}
	ok(info != NULL &&
	   has_line(info, "part 1 application/octet-stream charset=None method=None disposition=attachment "
		    "filename=all-bytes.bin cte=base64") &&
	   has_line(info, "part 1 text/plain charset=None method=None disposition=attachment "
		    "filename=notes.txt cte=base64") &&
	   strstr(info, "part 0 multipart/mixed") != NULL && strstr(info, "part 1 multipart/alternative") != NULL,
	   "attachments: mixed { alternative, attachments }, base64, with filenames");
	ok(info != NULL && lines_with(info, "defect") == 0, "attachments: no defect");
	if (mail) {
		check_wire(mail, len, "attachments");
		test_etpan(mail, len,
			   "multipart/mixed(multipart/alternative(text/plain,text/html),application/octet-stream,text/plain)",
			   SUBJECT, "attachments");
	}
	free(info);
	free(mail);
}

static void test_injection(void)
{
	struct compose_mail m;
	const char *err;
	char *mail, *info, *big;
	size_t len;
	int i;

	/* CR/LF in the subject and a name become blanks: no new header */
	base_mail(&m);
	m.subject = "Hello\r\nBcc: evil@example.com\r\n\r\nbody?";
	m.from_name = "Eve\r\nBcc: evil2@example.com";
	m.to_name = "Ana\nX-Injected: yes";
	mail = compose_str(&m, &len, &err);
	if (ok(mail != NULL, "CR/LF in subject and names: composes")) {
		info = mailinfo(mail, len);
		ok(!has_header(mail, "Bcc") && !has_header(mail, "X-Injected"), "CR/LF: no header injected");
		ok(info != NULL && lines_with(info, "header Bcc") == 0 && lines_with(info, "header X-Injected") == 0 &&
		   has_line(info, "header Subject \"Hello Bcc: evil@example.com body?\""),
		   "CR/LF: Python sees one subject, the line break a blank");
		ok(info != NULL && has_line(info, "address From \"Eve Bcc: evil2@example.com\" "
					    "\"tag-prof-learning@tags.example.org\""),
		   "CR/LF: the name stays a name");
		ok(info != NULL && lines_with(info, "defect") == 0, "CR/LF: no defect");
		check_wire(mail, len, "CR/LF");
		free(info);
	}
	free(mail);

	/* NUL ends a C string: nothing after it can reach the header */
	base_mail(&m);
	m.subject = "Before\0\r\nBcc: evil@example.com";
	mail = compose_str(&m, &len, &err);
	ok(mail != NULL && strstr(mail, "\r\nSubject: Before\r\n") != NULL && !has_header(mail, "Bcc"),
	   "NUL: the subject ends there");
	free(mail);

	/* values that cannot be blanked are refused */
	static const struct {
		const char *what, *field, *value, *error;
	} bad[] = {
		{ "CR/LF in an address", "to_addr", "ana@x.org\r\nBcc: e@x.org", "to: not a valid address" },
		{ "a space in an address", "from_addr", "a b@x.org", "from: not a valid address" },
		{ "a name in the address field", "to_addr", "Ana <ana@x.org>", "to: not a valid address" },
		{ "two @", "reply_to", "a@b@x.org", "reply_to: not a valid address" },
		{ "a control character in the subject", "subject", "a\001b", "subject: a control character" },
		{ "DEL in a name", "to_name", "a\177", "to name: a control character" },
		{ "bad UTF-8 in the subject", "subject", "caf\xe9", "subject: not valid UTF-8" },
		{ "CR/LF in the Message-ID", "message_id", "a@b\r\nBcc: e@x.org",
		  "message_id: not a valid id (left@right, no <>)" },
		{ "<> in the Message-ID", "message_id", "<a@b>", "message_id: not a valid id (left@right, no <>)" },
		{ "CR/LF in List-Id", "list_id", "T <a.b>\r\nBcc: e@x.org", "list_id: not \"Title <name.domain>\"" },
		{ "CR/LF in List-Post", "list_post", "mailto:a@b.org\r\nBcc: e@x.org",
		  "list_post: a URI holds a character it may not" },
		{ "javascript: in List-Help", "list_help", "javascript:alert(1)",
		  "list_help: a URI must be mailto:, https: or http:" },
		{ "a control character in X-Loop", "x_loop", "a\033b", "x_loop: a control character" },
	};
	for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
		struct buf b = BUF_INIT;
		base_mail(&m);
		if (strcmp(bad[i].field, "to_addr") == 0) m.to_addr = bad[i].value;
		if (strcmp(bad[i].field, "from_addr") == 0) m.from_addr = bad[i].value;
		if (strcmp(bad[i].field, "reply_to") == 0) m.reply_to = bad[i].value;
		if (strcmp(bad[i].field, "subject") == 0) m.subject = bad[i].value;
		if (strcmp(bad[i].field, "to_name") == 0) m.to_name = bad[i].value;
		if (strcmp(bad[i].field, "message_id") == 0) m.message_id = bad[i].value;
		if (strcmp(bad[i].field, "list_id") == 0) m.list_id = bad[i].value;
		if (strcmp(bad[i].field, "list_post") == 0) m.list_post = bad[i].value;
		if (strcmp(bad[i].field, "list_help") == 0) m.list_help = bad[i].value;
		if (strcmp(bad[i].field, "x_loop") == 0) m.x_loop = bad[i].value;
		buf_puts(&b, "kept");
		err = NULL;
		ok(compose(&m, &b, &err) < 0 && err != NULL && strcmp(err, bad[i].error) == 0 &&
		   strcmp(buf_cstr(&b), "kept") == 0, "refused: %s (%s)", bad[i].what, err ? err : "no error");
		buf_free(&b);
	}

	/* ids from incoming mail that are not ids are left out */
	base_mail(&m);
	m.in_reply_to = "x@y\r\nBcc: e@x.org";
	mail = compose_str(&m, &len, &err);
	ok(mail != NULL && !has_header(mail, "In-Reply-To") && !has_header(mail, "Bcc"),
	   "a bad In-Reply-To id is left out");
	free(mail);

	/* extra headers */
	{
		static const struct { const char *h; const char *error; } ex[] = {
			{ "Bcc: evil@example.com", "extra header 1: Bcc is set by compose itself" },
			{ "content-type: text/html", "extra header 1: Content-* is set by compose itself" },
			{ "X-Evil\r\nBcc: e@x.org: v", "extra header 1: bad name" },
			{ "No colon here", "extra header 1: not \"Name: value\"" },
			{ ": empty name", "extra header 1: not \"Name: value\"" },
		};
		const char *one[1];
		for (i = 0; i < (int)(sizeof(ex) / sizeof(ex[0])); i++) {
			base_mail(&m);
			one[0] = ex[i].h;
			m.extra_headers = one;
			m.nextra = 1;
			mail = compose_str(&m, &len, &err);
			ok(mail == NULL && err != NULL && strcmp(err, ex[i].error) == 0, "extra header refused: %s",
			   err ? err : "(composed)");
			free(mail);
		}
		base_mail(&m);
		one[0] = "X-Ok: a\r\nBcc: evil@example.com";
		m.extra_headers = one;
		m.nextra = 1;
		mail = compose_str(&m, &len, &err);
		ok(mail != NULL && !has_header(mail, "Bcc") && strstr(mail, "\r\nX-Ok: a Bcc: evil@example.com\r\n"),
		   "extra header: CR/LF in a value becomes a blank");
		free(mail);
	}

	/* a 10,000-character subject: encoded, folded, whole */
	for (i = 0; i < 3; i++) {
		char *line;
		size_t n = 10000;
		big = xmalloc(n + 1);
		if (i == 0)
			memset(big, 'x', n);                    /* one word, no blank */
		else if (i == 1) {
			size_t k;
			for (k = 0; k < n; k += 2)
				memcpy(big + k, "\xc3\xa9", 2);  /* é x 5000 */
		} else {
			size_t k;
			for (k = 0; k < n; k++)
				big[k] = k % 7 == 6 ? ' ' : 'a';
			big[n - 1] = 'z';
		}
		big[n] = '\0';
		base_mail(&m);
		m.subject = big;
		mail = compose_str(&m, &len, &err);
		if (ok(mail != NULL, "10,000-octet subject %d: composes", i)) {
			info = mailinfo(mail, len);
			line = xasprintf("header Subject \"%s\"", big);
			ok(info != NULL && has_line(info, line) && lines_with(info, "defect") == 0,
			   "10,000-octet subject %d: Python reads it back whole", i);
			check_wire(mail, len, "10,000-octet subject");
			test_etpan(mail, len, "text/plain", big, "10,000-octet subject");
			free(line);
			free(info);
		}
		free(mail);
		free(big);
	}
	big = xmalloc(COMPOSE_MAX_HEADER + 2);
	memset(big, 'y', COMPOSE_MAX_HEADER + 1);
	big[COMPOSE_MAX_HEADER + 1] = '\0';
	base_mail(&m);
	m.subject = big;
	mail = compose_str(&m, &len, &err);
	ok(mail == NULL && err != NULL && strcmp(err, "subject: longer than the header limit") == 0,
	   "a subject past COMPOSE_MAX_HEADER is refused");
	m.subject = "ok";
	m.to_name = big;
	free(compose_str(&m, &len, &err));
	ok(err != NULL && strcmp(err, "to name: longer than the header limit") == 0,
	   "a name past COMPOSE_MAX_HEADER is refused");
	free(big);

	/* a long ASCII name and an encoded one fold without a leading blank */
	base_mail(&m);
	m.to_name = "Dr. Alexandra Konstantinopoulou-Vasilakopoulou, Department of Education, State of Somewhere";
	m.subject = "A subject whose first word is Supercalifragilisticexpialidociously-long-and-then-some text";
	mail = compose_str(&m, &len, &err);
	info = mail ? mailinfo(mail, len) : NULL;
	ok(info != NULL &&
	   has_line(info, "address To \"Dr. Alexandra Konstantinopoulou-Vasilakopoulou, Department of Education, "
		    "State of Somewhere\" \"ana.ruiz@district9.example.org\"") &&
	   has_line(info, "header Subject \"A subject whose first word is Supercalifragilisticexpialidociously-"
		    "long-and-then-some text\"") && lines_with(info, "defect") == 0,
	   "long name and subject: folded, read back whole");
	ok(mail != NULL && strstr(mail, "Subject: \r\n") == NULL && strstr(mail, "To: \r\n") == NULL,
	   "long name and subject: no header starts with a fold");
	free(info);
	free(mail);
}

static void test_ids_and_dates(void)
{
	struct compose_mail m;
	const char *refs[30];
	char ids[30][40];
	const char *err;
	char *mail, *p, *line;
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t len;
	int i, same = 0;

	for (i = 0; i < 1000; i++) {
		buf_reset(&a);
		compose_message_id("tags.example.org", &a);
		if (strcmp(buf_cstr(&a), buf_cstr(&b)) == 0)
			same++;
		buf_reset(&b);
		buf_puts(&b, buf_cstr(&a));
	}
	ok(same == 0 && strncmp(buf_cstr(&a), "tagd.", 5) == 0 && str_ends(buf_cstr(&a), "@tags.example.org"),
	   "compose_message_id: fresh ids in the domain (%s)", buf_cstr(&a));
	buf_reset(&a);
	compose_message_id("bad domain\r\n", &a);
	ok(str_ends(buf_cstr(&a), "@tagd.invalid"), "compose_message_id: a bad domain is replaced");
	buf_reset(&a);
	compose_message_id(NULL, &a);
	ok(str_ends(buf_cstr(&a), "@tagd.invalid"), "compose_message_id: no domain");
	buf_free(&a);
	buf_free(&b);

	/* References: the root and the latest, at most COMPOSE_MAX_REFERENCES */
	for (i = 0; i < 30; i++) {
		snprintf(ids[i], sizeof(ids[i]), "r%d@x.org", i);
		refs[i] = ids[i];
	}
	base_mail(&m);
	m.references = refs;
	m.nreferences = 30;
	m.date = 0;
	clock_set(1532102400);   /* Fri, 20 Jul 2018 16:00:00 UTC */
	mail = compose_str(&m, &len, &err);
	clock_set(0);
	ok(mail != NULL && strncmp(mail, "Date: Fri, 20 Jul 2018 16:00:00 +0000\r\n", 39) == 0,
	   "date 0: the clock's now");
	p = mail ? strstr(mail, "References: ") : NULL;
	line = p ? xstrndup(p, strstr(p, "\r\n\r\n") ? (size_t)(strstr(p, "\r\n\r\n") - p) : 0) : NULL;
	ok(line != NULL && strstr(line, "<r0@x.org>") != NULL && strstr(line, "<r1@x.org>") == NULL &&
	   strstr(line, "<r10@x.org>") == NULL && strstr(line, "<r11@x.org>") != NULL &&
	   strstr(line, "<r29@x.org>") != NULL, "References: the root and the latest 19 of 30");
	free(line);
	free(mail);

	/* RFC 8058 needs an https URI; Auto-Submitted values */
	base_mail(&m);
	m.list_unsubscribe = "mailto:leave@x.org";
	m.list_unsubscribe_post = 1;
	mail = compose_str(&m, &len, &err);
	ok(mail == NULL && strstr(err, "RFC 8058") != NULL, "List-Unsubscribe-Post without https is refused");
	base_mail(&m);
	m.auto_submitted = 1;
	mail = compose_str(&m, &len, &err);
	ok(mail != NULL && strstr(mail, "\r\nAuto-Submitted: auto-replied\r\n") != NULL, "Auto-Submitted: auto-replied");
	free(mail);
	m.auto_submitted = 3;
	ok(compose_str(&m, &len, &err) == NULL, "Auto-Submitted: 3 is refused");
}

static void test_errors(void)
{
	struct compose_mail m;
	struct compose_attachment att = { "../etc/passwd", "text/plain", "x", 1 };
	struct buf small;
	const char *err;

	base_mail(&m);
	m.text = NULL;
	ok(compose_str(&m, NULL, &err) == NULL && strcmp(err, "text: required") == 0, "no text: refused");
	base_mail(&m);
	m.calendar = CALENDAR;
	ok(compose_str(&m, NULL, &err) == NULL && strstr(err, "calendar_method") != NULL,
	   "calendar without method: refused");
	m.calendar_method = "REQUEST\r\nX: y";
	ok(compose_str(&m, NULL, &err) == NULL && strstr(err, "calendar_method") != NULL,
	   "a bad calendar method: refused");
	base_mail(&m);
	m.att = &att;
	m.natt = 1;
	ok(compose_str(&m, NULL, &err) == NULL && strcmp(err, "attachment 1: bad filename") == 0,
	   "attachment filename with a slash: refused");
	att.filename = "a\"b.txt";
	ok(compose_str(&m, NULL, &err) == NULL && strcmp(err, "attachment 1: bad filename") == 0,
	   "attachment filename with a quote: refused");
	att.filename = "ok.txt";
	att.content_type = "text/plain\r\nBcc: e@x.org";
	ok(compose_str(&m, NULL, &err) == NULL && strcmp(err, "attachment 1: bad content type") == 0,
	   "attachment content type with CR/LF: refused");
	base_mail(&m);
	m.html = "caf\xe9";
	ok(compose_str(&m, NULL, &err) == NULL && strstr(err, "UTF-8") != NULL, "html not UTF-8: refused");

	base_mail(&m);
	buf_init(&small, 100);
	buf_puts(&small, "kept");
	ok(compose(&m, &small, &err) < 0 && strstr(err, "cap") != NULL && strcmp(buf_cstr(&small), "kept") == 0 &&
	   !small.overflowed, "output past the buffer's cap: refused, buffer as it was");
	buf_free(&small);

	ok(compose_valid_addr("tag-prof-learning+p7@tags.example.org") && compose_valid_addr("a@localhost") &&
	   !compose_valid_addr("a@-x.org") && !compose_valid_addr(".a@x.org") && !compose_valid_addr("a..b@x.org") &&
	   !compose_valid_addr("a@x..org") && !compose_valid_addr("\"a b\"@x.org") && !compose_valid_addr("a@") &&
	   !compose_valid_addr("@x.org") && !compose_valid_addr(NULL) && !compose_valid_addr("caf\xc3\xa9@x.org"),
	   "compose_valid_addr");
}

int main(void)
{
	test_invitation();
	test_layouts();
	test_injection();
	test_ids_and_dates();
	test_errors();
	return done_testing();
}
