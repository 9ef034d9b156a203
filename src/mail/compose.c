/* compose - outgoing MIME messages with libetpan's writer (see compose.h) */
#include "config.h"
#include "mail/compose.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"
#include <libetpan/libetpan.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#define MAX_LINE 998                    /* octets on a line, CRLF aside (RFC 5322 2.1.1) */
#define MAX_WORD 76                     /* a longer unbroken word is encoded, to fold */
#define EW_TEXT 63                      /* encoded text in one encoded word: 75 - 12 */
#define FOLD_COL 69                     /* libetpan folds before a word that would pass
					   column 72; "Name: " and the first word must
					   fit, or the value starts on a line of its own */
#define MAX_EXTRA_NAME 40               /* an extra header's name */

static _Thread_local char errbuf[256];

static const char *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fail - format an error into the error buffer */
static const char *fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return errbuf;
}

/* ---- checks ---- */

static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

int compose_valid_addr(const char *a)
{
	const char *at, *p, *label;
	size_t n;

	if (a == NULL)
		return 0;
	n = strlen(a);
	if (n < 3 || n > COMPOSE_MAX_ADDR)
		return 0;
	at = strchr(a, '@');
	if (at == NULL || at == a || at - a > 64 || strchr(at + 1, '@') != NULL)
		return 0;
	for (p = a; p < at; p++) {
		if (*p == '.') {
			if (p == a || p + 1 == at || p[1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)*p)) {
			return 0;
		}
	}
	label = at + 1;
	for (p = label;; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || p - label > 63 || *label == '-' || p[-1] == '-')
				return 0;
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-')) {
			return 0;
		}
	}
	return 1;
}

/* valid_msgid - an id without <>: printable ASCII, no blanks or brackets;
   need_at: it must have the form left@right */
static int valid_msgid(const char *id, int need_at)
{
	size_t i, n;
	const char *at;

	if (id == NULL)
		return 0;
	n = strlen(id);
	if (n == 0 || n > COMPOSE_MAX_MSGID)
		return 0;
	for (i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~' || id[i] == '<' || id[i] == '>' || id[i] == '"' ||
		    id[i] == '\\' || id[i] == '(' || id[i] == ')' || id[i] == ',')
			return 0;
	if (!need_at)
		return 1;
	at = strchr(id, '@');
	return at != NULL && at != id && at[1] != '\0' && strchr(at + 1, '@') == NULL;
}

/* clean_text - a copy of UTF-8 text for a header, CR, LF and TAB made
   blanks; NULL with *why on another control character, bad UTF-8 or a
   value past COMPOSE_MAX_HEADER */
static char *clean_text(const char *s, const char **why)
{
	size_t i, n = strlen(s);
	char *c;

	if (n > COMPOSE_MAX_HEADER) {
		*why = "longer than the header limit";
		return NULL;
	}
	if (!utf8_is_valid(s, n)) {
		*why = "not valid UTF-8";
		return NULL;
	}
	c = xmemdup0(s, n);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c[i];
		if (ch == '\r' || ch == '\n' || ch == '\t')
			c[i] = ' ';
		else if (ch < 0x20 || ch == 0x7f) {
			free(c);
			*why = "a control character";
			return NULL;
		}
	}
	return c;
}

/* needs_encoding - text that cannot go as it is: 8-bit, "=?" that a reader
   would take for an encoded word, a word too long to fold, or a first word
   longer than room */
static int needs_encoding(const char *s, size_t room)
{
	size_t word = 0;
	int first = 1;

	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80 || (s[0] == '=' && s[1] == '?'))
			return 1;
		if (*s == ' ') {
			word = 0;
			first = 0;
			continue;
		}
		if (++word > MAX_WORD || (first && word > room))
			return 1;
	}
	return 0;
}

/* q_safe - octets that stand for themselves in a Q-encoded word, also in
   a phrase (RFC 2047 5(3)) */
static int q_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

static size_t q_len(unsigned char c)
{
	return q_safe(c) || c == ' ' ? 1 : 3;
}

/* put_encoded_words - s as RFC 2047 UTF-8 encoded words of at most 75
   octets (the first at most room), separated by blanks where the header
   may fold; Q or B, whichever is shorter; characters are never split */
static void put_encoded_words(struct buf *out, const char *s, size_t room)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), qtotal = 0, i;
	const char *p = s, *end = s + n;
	int use_b, first = 1;

	for (i = 0; i < n; i++)
		qtotal += q_len((unsigned char)s[i]);
	use_b = qtotal > (n + 2) / 3 * 4;
	while (p < end) {
		size_t chunk = 0, enc = 0;
		size_t max = first && room < EW_TEXT + 12 ? room - 12 : EW_TEXT;
		while (p + chunk < end) {
			size_t cl = utf8_valid_prefix(p + chunk, (size_t)(end - p - chunk)), add = 0, k;
			if (cl == 0)
				cl = 1;
			if (use_b) {
				add = (chunk + cl + 2) / 3 * 4;
				if (add > max && chunk > 0)
					break;
				enc = add;
			} else {
				for (k = 0; k < cl; k++)
					add += q_len((unsigned char)p[chunk + k]);
				if (enc + add > max && chunk > 0)
					break;
				enc += add;
			}
			chunk += cl;
		}
		if (!first)
			buf_putc(out, ' ');
		first = 0;
		buf_puts(out, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
		if (use_b) {
			const unsigned char *u = (const unsigned char *)p;
			for (i = 0; i < chunk; i += 3) {
				unsigned v = (unsigned)u[i] << 16;
				if (i + 1 < chunk)
					v |= (unsigned)u[i + 1] << 8;
				if (i + 2 < chunk)
					v |= u[i + 2];
				buf_putc(out, b64[(v >> 18) & 63]);
				buf_putc(out, b64[(v >> 12) & 63]);
				buf_putc(out, i + 1 < chunk ? b64[(v >> 6) & 63] : '=');
				buf_putc(out, i + 2 < chunk ? b64[v & 63] : '=');
			}
		} else {
			for (i = 0; i < chunk; i++) {
				unsigned char c = (unsigned char)p[i];
				if (c == ' ')
					buf_putc(out, '_');
				else if (q_safe(c))
					buf_putc(out, (char)c);
				else {
					buf_putc(out, '=');
					buf_putc(out, hex[c >> 4]);
					buf_putc(out, hex[c & 15]);
				}
			}
		}
		buf_puts(out, "?=");
		p += chunk;
	}
}

/* room - how long the first word of header name's value may be */
static size_t room(const char *name)
{
	return FOLD_COL - strlen(name);
}

/* put_unstructured - cleaned text as the unstructured value of header name */
static void put_unstructured(struct buf *out, const char *name, const char *clean)
{
	if (needs_encoding(clean, room(name)))
		put_encoded_words(out, clean, room(name));
	else
		buf_puts(out, clean);
}

/* put_phrase - a cleaned display name at the start of header name's
   value: atoms as they are, other ASCII as a quoted string, the rest
   encoded */
static void put_phrase(struct buf *out, const char *name, const char *clean)
{
	const char *p;
	int atoms = 1;

	/* the quote adds one octet to the first word */
	if (needs_encoding(clean, room(name) - 1)) {
		put_encoded_words(out, clean, room(name));
		return;
	}
	for (p = clean; *p != '\0'; p++)
		if (*p != ' ' && !is_atext((unsigned char)*p))
			atoms = 0;
	if (atoms) {
		buf_puts(out, clean);
		return;
	}
	buf_putc(out, '"');
	for (p = clean; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_putc(out, '\\');
		buf_putc(out, *p);
	}
	buf_putc(out, '"');
}

/* trim_copy - the cleaned text with blanks at both ends removed */
static char *trim_copy(const char *s, const char **why)
{
	char *c = clean_text(s, why), *t;
	size_t n;

	if (c == NULL)
		return NULL;
	for (t = c; *t == ' '; t++)
		;
	n = strlen(t);
	while (n > 0 && t[n - 1] == ' ')
		n--;
	t = xmemdup0(t, n);
	free(c);
	return t;
}

/* put_mailbox - "name <addr>" or "addr" for header hname; -1 with *error_r */
static int put_mailbox(struct buf *out, const char *hname, const char *field, const char *name,
		       const char *addr, const char **error_r)
{
	const char *why;
	char *clean;

	if (!compose_valid_addr(addr)) {
		*error_r = fail("%s: not a valid address", field);
		return -1;
	}
	if (name == NULL || name[0] == '\0') {
		buf_puts(out, addr);
		return 0;
	}
	if ((clean = trim_copy(name, &why)) == NULL) {
		*error_r = fail("%s name: %s", field, why);
		return -1;
	}
	if (clean[0] != '\0') {
		put_phrase(out, hname, clean);
		buf_puts(out, " <");
		buf_puts(out, addr);
		buf_putc(out, '>');
	} else {
		buf_puts(out, addr);
	}
	free(clean);
	return 0;
}

/* put_uri_list - "<uri>, <uri>" from a comma-separated list of mailto:,
   https: or http: URIs (each with or without <>); -1 with *error_r */
static int put_uri_list(struct buf *out, const char *field, const char *list, const char **error_r)
{
	const char *p = list;
	int n = 0;

	if (strlen(list) > COMPOSE_MAX_HEADER) {
		*error_r = fail("%s: too long", field);
		return -1;
	}
	while (*p != '\0') {
		const char *s, *e;
		size_t i, len;

		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		for (e = p; *e != '\0' && *e != ','; e++)
			;
		s = p;
		p = e;
		while (e > s && e[-1] == ' ')
			e--;
		if (*s == '<' && e > s + 1 && e[-1] == '>') {
			s++;
			e--;
		}
		len = (size_t)(e - s);
		if (!(str_istarts(s, "mailto:") || str_istarts(s, "https:") || str_istarts(s, "http:")) ||
		    len < 8) {
			*error_r = fail("%s: a URI must be mailto:, https: or http:", field);
			return -1;
		}
		for (i = 0; i < len; i++) {
			if (s[i] <= ' ' || s[i] > '~' || s[i] == '<' || s[i] == '>' || s[i] == '"') {
				*error_r = fail("%s: a URI holds a character it may not", field);
				return -1;
			}
		}
		if (n++ > 0)
			buf_puts(out, ", ");
		buf_putc(out, '<');
		buf_append(out, s, len);
		buf_putc(out, '>');
	}
	if (n == 0) {
		*error_r = fail("%s: no URI", field);
		return -1;
	}
	return 0;
}

/* put_list_id - "Description <id>" from "Title <slug.domain>" or "slug.domain" */
static int put_list_id(struct buf *out, const char *v, const char **error_r)
{
	const char *lt = strrchr(v, '<'), *id = v, *why;
	size_t n = strlen(v), idlen, i;
	char *desc = NULL;

	if (n > COMPOSE_MAX_HEADER) {
		*error_r = fail("list_id: too long");
		return -1;
	}
	if (lt != NULL && n > 0 && v[n - 1] == '>') {
		char *d = xmemdup0(v, (size_t)(lt - v));
		desc = trim_copy(d, &why);
		free(d);
		if (desc == NULL) {
			*error_r = fail("list_id description: %s", why);
			return -1;
		}
		id = lt + 1;
		idlen = (size_t)(v + n - 1 - id);
	} else {
		idlen = n;
	}
	for (i = 0; i < idlen; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '.' || id[i] == '-' || id[i] == '_'))
			break;
	if (idlen == 0 || idlen > 255 || i != idlen || memchr(id, '.', idlen) == NULL ||
	    id[0] == '.' || id[idlen - 1] == '.') {
		free(desc);
		*error_r = fail("list_id: not \"Title <name.domain>\"");
		return -1;
	}
	if (desc != NULL && desc[0] != '\0') {
		put_phrase(out, "List-Id", desc);
		buf_putc(out, ' ');
	}
	free(desc);
	buf_putc(out, '<');
	buf_append(out, id, idlen);
	buf_putc(out, '>');
	return 0;
}

/* ---- message ids, dates ---- */

/* random_bytes - n unpredictable bytes (getrandom, then /dev/urandom) */
static void random_bytes(unsigned char *p, size_t n)
{
	static unsigned long counter;
	size_t got = 0, i;
	ssize_t r;
	int fd;

	while (got < n) {
		r = getrandom(p + got, n - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got < n && (fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) >= 0) {
		while (got < n && (r = read(fd, p + got, n - got)) > 0)
			got += (size_t)r;
		close(fd);
	}
	if (got < n) {
		/* XXX no randomness source: unique (time, pid, counter) but
		   guessable ids; boundaries are checked against the body */
		unsigned long x = (unsigned long)time(NULL) ^ ((unsigned long)getpid() << 16) ^ ++counter;
		log_warn("compose: no random source, ids are guessable");
		for (i = got; i < n; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			p[i] = (unsigned char)(x >> 56);
		}
	}
}

void compose_message_id(const char *domain, struct buf *out)
{
	unsigned char r[16];
	char hex[33];
	const char *d = domain;

	if (d == NULL || strlen(d) > 200) {
		d = "tagd.invalid";
	} else {
		char *probe = xasprintf("x@%s", d);
		if (!compose_valid_addr(probe))
			d = "tagd.invalid";
		free(probe);
	}
	random_bytes(r, sizeof(r));
	str_hex(r, sizeof(r), hex);
	buf_printf(out, "tagd.%llx.%s@%s", (unsigned long long)clock_now(), hex, d);
}

/* put_date - RFC 5322 date of t, in UTC, in English whatever the locale */
static void put_date(struct buf *out, time_t t)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	buf_printf(out, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		   months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* ---- headers ---- */

/* the header names compose_mail sets: refused as extra headers */
static const char *const reserved[] = {
	"Date", "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Message-ID",
	"In-Reply-To", "References", "MIME-Version", "List-Id", "List-Post", "List-Help",
	"List-Unsubscribe", "List-Unsubscribe-Post", "Auto-Submitted", "Precedence", "X-Loop",
	"Return-Path", "Received",
};

/* typed_field - an empty field of one of libetpan's types: the caller
   sets its fld_data member */
static struct mailimf_field *typed_field(int type)
{
	return mailimf_field_new(type, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
				 NULL);
}

static void add_field(struct mailimf_fields *f, const char *name, const struct buf *value)
{
	mailimf_fields_add(f, mailimf_field_new_custom(xstrdup(name), xstrdup(buf_cstr(value))));
}

/* build_headers - every header of m into f; -1 with *error_r */
static int build_headers(const struct compose_mail *m, struct mailimf_fields *f, const char **error_r)
{
	struct mailimf_field *fld;
	struct buf v = BUF_INIT;
	const char *why;
	char *clean;
	int i, r = -1;

	put_date(&v, m->date != 0 ? m->date : clock_now());
	add_field(f, "Date", &v);

	buf_reset(&v);
	if (put_mailbox(&v, "From", "from", m->from_name, m->from_addr, error_r) < 0)
		goto out;
	add_field(f, "From", &v);

	buf_reset(&v);
	if (put_mailbox(&v, "To", "to", m->to_name, m->to_addr, error_r) < 0)
		goto out;
	add_field(f, "To", &v);

	if (m->reply_to != NULL) {
		buf_reset(&v);
		if (put_mailbox(&v, "Reply-To", "reply_to", NULL, m->reply_to, error_r) < 0)
			goto out;
		add_field(f, "Reply-To", &v);
	}

	buf_reset(&v);
	if ((clean = trim_copy(m->subject != NULL ? m->subject : "", &why)) == NULL) {
		*error_r = fail("subject: %s", why);
		goto out;
	}
	put_unstructured(&v, "Subject", clean);
	free(clean);
	add_field(f, "Subject", &v);

	/* ids go in libetpan's own fields: it never folds before the
	   first id, so a long one does not start on a line of its own */
	buf_reset(&v);
	if (m->message_id != NULL) {
		if (!valid_msgid(m->message_id, 1)) {
			*error_r = fail("message_id: not a valid id (left@right, no <>)");
			goto out;
		}
		buf_puts(&v, m->message_id);
	} else {
		const char *at = strrchr(m->from_addr, '@');
		compose_message_id(m->domain != NULL ? m->domain : at + 1, &v);
	}
	fld = typed_field(MAILIMF_FIELD_MESSAGE_ID);
	fld->fld_data.fld_message_id = mailimf_message_id_new(xstrdup(buf_cstr(&v)));
	mailimf_fields_add(f, fld);

	if (valid_msgid(m->in_reply_to, 0)) {
		clist *ids = clist_new();
		clist_append(ids, xstrdup(m->in_reply_to));
		fld = typed_field(MAILIMF_FIELD_IN_REPLY_TO);
		fld->fld_data.fld_in_reply_to = mailimf_in_reply_to_new(ids);
		mailimf_fields_add(f, fld);
	}
	if (m->nreferences > 0 && m->references != NULL) {
		clist *ids = clist_new();
		int nvalid = 0, skip;
		for (i = 0; i < m->nreferences; i++)
			nvalid += valid_msgid(m->references[i], 0);
		/* keep the first (the thread root) and the latest ones */
		skip = nvalid > COMPOSE_MAX_REFERENCES ? nvalid - COMPOSE_MAX_REFERENCES : 0;
		for (i = 0, nvalid = 0; i < m->nreferences; i++) {
			if (!valid_msgid(m->references[i], 0))
				continue;
			nvalid++;
			if (nvalid > 1 && nvalid <= 1 + skip)
				continue;
			clist_append(ids, xstrdup(m->references[i]));
		}
		if (clist_count(ids) > 0) {
			fld = typed_field(MAILIMF_FIELD_REFERENCES);
			fld->fld_data.fld_references = mailimf_references_new(ids);
			mailimf_fields_add(f, fld);
		} else {
			clist_free(ids);
		}
	}

	if (m->list_id != NULL) {
		buf_reset(&v);
		if (put_list_id(&v, m->list_id, error_r) < 0)
			goto out;
		add_field(f, "List-Id", &v);
	}
	if (m->list_help != NULL) {
		buf_reset(&v);
		if (put_uri_list(&v, "list_help", m->list_help, error_r) < 0)
			goto out;
		add_field(f, "List-Help", &v);
	}
	if (m->list_unsubscribe != NULL) {
		buf_reset(&v);
		if (put_uri_list(&v, "list_unsubscribe", m->list_unsubscribe, error_r) < 0)
			goto out;
		add_field(f, "List-Unsubscribe", &v);
	}
	if (m->list_unsubscribe_post) {
		if (m->list_unsubscribe == NULL || str_casestr(m->list_unsubscribe, "https:") == NULL) {
			*error_r = fail("list_unsubscribe_post: needs an https: list_unsubscribe (RFC 8058)");
			goto out;
		}
		buf_reset(&v);
		buf_puts(&v, "List-Unsubscribe=One-Click");
		add_field(f, "List-Unsubscribe-Post", &v);
	}
	if (m->list_post != NULL) {
		buf_reset(&v);
		if (put_uri_list(&v, "list_post", m->list_post, error_r) < 0)
			goto out;
		add_field(f, "List-Post", &v);
	}
	if (m->auto_submitted != 0) {
		if (m->auto_submitted != 1 && m->auto_submitted != 2) {
			*error_r = fail("auto_submitted: 0, 1 or 2");
			goto out;
		}
		buf_reset(&v);
		buf_puts(&v, m->auto_submitted == 1 ? "auto-replied" : "auto-generated");
		add_field(f, "Auto-Submitted", &v);
	}
	if (m->precedence_list) {
		buf_reset(&v);
		buf_puts(&v, "list");
		add_field(f, "Precedence", &v);
	}
	if (m->x_loop != NULL) {
		buf_reset(&v);
		if ((clean = trim_copy(m->x_loop, &why)) == NULL) {
			*error_r = fail("x_loop: %s", why);
			goto out;
		}
		put_unstructured(&v, "X-Loop", clean);
		free(clean);
		add_field(f, "X-Loop", &v);
	}

	if (m->nextra > COMPOSE_MAX_EXTRA) {
		*error_r = fail("extra_headers: more than %d", COMPOSE_MAX_EXTRA);
		goto out;
	}
	for (i = 0; i < m->nextra; i++) {
		const char *h = m->extra_headers[i], *colon = strchr(h, ':'), *p;
		char *name;
		size_t k;

		if (colon == NULL || colon == h || colon - h > MAX_EXTRA_NAME) {
			*error_r = fail("extra header %d: not \"Name: value\"", i + 1);
			goto out;
		}
		for (p = h; p < colon; p++) {
			if (*p <= ' ' || *p > '~') {
				*error_r = fail("extra header %d: bad name", i + 1);
				goto out;
			}
		}
		name = xmemdup0(h, (size_t)(colon - h));
		for (k = 0; k < sizeof(reserved) / sizeof(reserved[0]); k++)
			if (str_casecmp(name, reserved[k]) == 0 || str_istarts(name, "Content-"))
				break;
		if (k < sizeof(reserved) / sizeof(reserved[0])) {
			*error_r = fail("extra header %d: %s is set by compose itself", i + 1,
					str_istarts(name, "Content-") ? "Content-*" : reserved[k]);
			free(name);
			goto out;
		}
		if ((clean = trim_copy(colon + 1, &why)) == NULL) {
			*error_r = fail("extra header %s: %s", name, why);
			free(name);
			goto out;
		}
		buf_reset(&v);
		put_unstructured(&v, name, clean);
		free(clean);
		add_field(f, name, &v);
		free(name);
	}
	r = 0;
out:
	buf_free(&v);
	return r;
}

/* ---- body ---- */

/* the body texts the MIME tree borrows: freed after the write */
struct keep {
	char *p[8];
	int n;
};

static char *keep(struct keep *k, char *p)
{
	k->p[k->n++] = p;
	return p;
}

/* text_copy - s ending in a line break, as libetpan writes it */
static char *text_copy(const char *s, size_t *len_r)
{
	size_t n = strlen(s);
	char *c = xmalloc(n + 2);

	memcpy(c, s, n);
	if (n == 0 || s[n - 1] != '\n')
		c[n++] = '\n';
	c[n] = '\0';
	*len_r = n;
	return c;
}

/* crlf_copy - s with every line ending in CRLF (iCalendar needs it) */
static char *crlf_copy(const char *s, size_t *len_r)
{
	struct buf b = BUF_INIT;
	const char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\n' && (p == s || p[-1] != '\r'))
			buf_putc(&b, '\r');
		buf_putc(&b, *p);
	}
	if (b.len < 2 || b.data[b.len - 1] != '\n')
		buf_puts(&b, "\r\n");
	return buf_steal(&b, len_r);
}

/* QP_LINE - longest quoted-printable line, a soft break's '=' included
   (RFC 2045 6.7) */
#define QP_LINE 76

/* qp_line_end - s[i] ends a line: LF, CRLF, or the end of the text */
static inline int qp_line_end(const char *s, size_t n, size_t i)
{
	return i == n || s[i] == '\n' || (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n');
}

/* qp_token - how the octet at s[i] goes out at column col: 1 as it is, 3
   as =XX. Encoded: '=', controls and 8-bit octets, a blank before a line
   end, and at the start of a line the F of "From " and a lone "." (that
   mbox writers and SMTP servers would alter) */
static inline size_t qp_token(const char *s, size_t n, size_t i, size_t col)
{
	unsigned char c = (unsigned char)s[i];

	if (c == ' ' || c == '\t')
		return qp_line_end(s, n, i + 1) ? 3 : 1;
	if (c == '=' || c < 32 || c >= 127)
		return 3;
	if (col == 0 && c == 'F' && n - i >= 5 && memcmp(s + i, "From ", 5) == 0)
		return 3;
	if (col == 0 && c == '.' && qp_line_end(s, n, i + 1))
		return 3;
	return 1;
}

/* qp_encode - text s[0..n) (LF or CRLF line ends) as quoted-printable
   with CRLF line ends (our own encoder: libetpan's writes each octet
   through a callback and encodes most punctuation, and was the larger
   part of composing an acknowledgement). At most 4n + 8 octets: an octet
   takes 3, a soft break 3 per 25 encoded octets, a line end 2. */
static char *qp_encode(const char *s, size_t n, size_t *len_r)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = xmalloc(4 * n + 8), *o = out;
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		/* the common case: printable, not '=', mid-line, far from the limit */
		if (c > ' ' && c < 127 && c != '=' && col > 0 && col < QP_LINE - 2) {
			*o++ = (char)c;
			col++;
			continue;
		}
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (c == '\n') {
			*o++ = '\r';
			*o++ = '\n';
			col = 0;
			continue;
		}
		size_t tl = qp_token(s, n, i, col);
		if (col + tl > QP_LINE - 1 && !(col + tl == QP_LINE && qp_line_end(s, n, i + 1))) {
			memcpy(o, "=\r\n", 3);
			o += 3;
			col = 0;
			tl = qp_token(s, n, i, col);
		}
		if (tl == 1) {
			*o++ = (char)c;
		} else {
			*o++ = '=';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
		col += tl;
	}
	*o = '\0';
	*len_r = (size_t)(o - out);
	return out;
}

/* text_mechanism - 7bit when every octet is ASCII, every CR ends a line
   and no line passes 998 octets; else quoted-printable */
static int text_mechanism(const char *s, size_t n)
{
	size_t i, line = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || c == '\0')
			return MAILMIME_MECHANISM_QUOTED_PRINTABLE;
		if (c == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				return MAILMIME_MECHANISM_QUOTED_PRINTABLE;
			continue;
		}
		if (c == '\n') {
			line = 0;
			continue;
		}
		if (++line > MAX_LINE)
			return MAILMIME_MECHANISM_QUOTED_PRINTABLE;
	}
	return MAILMIME_MECHANISM_7BIT;
}

/* single - one leaf part; the data is borrowed, and already in its
   transfer encoding when encoded is set */
static struct mailmime *single(const char *type, const char *charset, const char *method,
			       const char *name, const char *filename, int mechanism, int encoded,
			       const char *data, size_t len)
{
	struct mailmime_content *ct = mailmime_content_new_with_str(type);
	struct mailmime_fields *f;
	struct mailmime *part;

	if (ct == NULL)
		return NULL;
	if (charset != NULL)
		clist_append(ct->ct_parameters, mailmime_param_new_with_data("charset", (char *)charset));
	if (method != NULL)
		clist_append(ct->ct_parameters, mailmime_param_new_with_data("method", (char *)method));
	if (name != NULL)
		clist_append(ct->ct_parameters, mailmime_param_new_with_data("name", (char *)name));
	if (filename != NULL)
		f = mailmime_fields_new_filename(MAILMIME_DISPOSITION_TYPE_ATTACHMENT,
						 xstrdup(filename), mechanism);
	else
		f = mailmime_fields_new_encoding(mechanism);
	part = mailmime_new_empty(ct, f);
	if (encoded)
		part->mm_data.mm_single = mailmime_data_new(MAILMIME_DATA_TEXT, mechanism, 1, data, len, NULL);
	else
		mailmime_set_body_text(part, (char *)data, len);
	return part;
}

/* text_part - a UTF-8 text part of data: 7bit when it can go as it is,
   else quoted-printable (encoded here, kept in kp) */
static struct mailmime *text_part(const char *type, struct keep *kp, const char *data, size_t len)
{
	size_t elen;

	if (text_mechanism(data, len) == MAILMIME_MECHANISM_7BIT)
		return single(type, "UTF-8", NULL, NULL, NULL, MAILMIME_MECHANISM_7BIT, 0, data, len);
	char *enc = keep(kp, qp_encode(data, len, &elen));
	return single(type, "UTF-8", NULL, NULL, NULL, MAILMIME_MECHANISM_QUOTED_PRINTABLE, 1, enc, elen);
}

/* multi - an empty multipart with our boundary (mailmime_new_empty adds
   a guessable one of its own: replaced) */
static struct mailmime *multi(const char *type, const char *boundary)
{
	struct mailmime_content *ct = mailmime_content_new_with_str(type);
	struct mailmime *mp = mailmime_new_empty(ct, mailmime_fields_new_empty());
	clistiter *it;

	for (it = clist_begin(ct->ct_parameters); it != NULL; it = clist_next(it)) {
		struct mailmime_parameter *p = clist_content(it);
		if (str_casecmp(p->pa_name, "boundary") == 0) {
			free(p->pa_value);
			p->pa_value = xstrdup(boundary);
			return mp;
		}
	}
	clist_append(ct->ct_parameters, mailmime_param_new_with_data("boundary", (char *)boundary));
	return mp;
}

static int valid_type(const char *t)
{
	const char *p, *slash = t != NULL ? strchr(t, '/') : NULL;

	if (slash == NULL || slash == t || slash[1] == '\0' || strlen(t) > 127)
		return 0;
	for (p = t; *p != '\0'; p++)
		if (p != slash && !((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
				    (*p >= '0' && *p <= '9') || strchr("!#$&-^_.+", *p) != NULL))
			return 0;
	return 1;
}

static int valid_filename(const char *f)
{
	const char *p;

	if (f == NULL || f[0] == '\0' || strlen(f) > 200 || f[0] == '.')
		return 0;
	for (p = f; *p != '\0'; p++)
		if (*p < ' ' || *p > '~' || *p == '"' || *p == '\\' || *p == '/')
			return 0;
	return 1;
}

static int valid_method(const char *m)
{
	const char *p;

	if (m == NULL || m[0] == '\0' || strlen(m) > 32)
		return 0;
	for (p = m; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || *p == '-'))
			return 0;
	return 1;
}

/* make_boundaries - fresh boundaries that no text part contains; "=_"
   never occurs in quoted-printable or base64 output */
static void make_boundaries(const struct compose_mail *m, char *mixed, char *alt, size_t size)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		unsigned char r[16];
		char hex[33];
		random_bytes(r, sizeof(r));
		str_hex(r, sizeof(r), hex);
		snprintf(mixed, size, "=_tagd-m-%s", hex);
		snprintf(alt, size, "=_tagd-a-%s", hex);
		if ((m->text == NULL || (strstr(m->text, mixed) == NULL && strstr(m->text, alt) == NULL)) &&
		    (m->html == NULL || (strstr(m->html, mixed) == NULL && strstr(m->html, alt) == NULL)))
			return;
	}
}

/* build_body - the MIME tree of m's body; NULL with *error_r */
static struct mailmime *build_body(const struct compose_mail *m, struct keep *kp, const char **error_r)
{
	char bmixed[64], balt[64];
	struct mailmime *text, *body, *mixed = NULL, *part;
	size_t len, total = 0;
	char *copy;
	int i;

	if (m->text == NULL) {
		*error_r = fail("text: required");
		return NULL;
	}
	if (m->natt < 0 || m->natt > COMPOSE_MAX_ATT || (m->natt > 0 && m->att == NULL)) {
		*error_r = fail("att: at most %d attachments", COMPOSE_MAX_ATT);
		return NULL;
	}
	total = strlen(m->text) + (m->html ? strlen(m->html) : 0) + (m->calendar ? strlen(m->calendar) : 0);
	for (i = 0; i < m->natt; i++)
		total += m->att[i].len;
	if (total > COMPOSE_MAX_BODY) {
		*error_r = fail("body: larger than %d bytes", COMPOSE_MAX_BODY);
		return NULL;
	}
	if (!utf8_is_valid(m->text, strlen(m->text)) ||
	    (m->html != NULL && !utf8_is_valid(m->html, strlen(m->html))) ||
	    (m->calendar != NULL && !utf8_is_valid(m->calendar, strlen(m->calendar)))) {
		*error_r = fail("body: text, html and calendar must be UTF-8");
		return NULL;
	}
	if (m->calendar != NULL && !valid_method(m->calendar_method)) {
		*error_r = fail("calendar_method: required with calendar, an iTIP method (REQUEST...)");
		return NULL;
	}
	for (i = 0; i < m->natt; i++) {
		if (!valid_filename(m->att[i].filename)) {
			*error_r = fail("attachment %d: bad filename", i + 1);
			return NULL;
		}
		if (!valid_type(m->att[i].content_type)) {
			*error_r = fail("attachment %d: bad content type", i + 1);
			return NULL;
		}
		if (m->att[i].data == NULL && m->att[i].len > 0) {
			*error_r = fail("attachment %d: no data", i + 1);
			return NULL;
		}
	}
	make_boundaries(m, bmixed, balt, sizeof(bmixed));

	copy = keep(kp, text_copy(m->text, &len));
	text = text_part("text/plain", kp, copy, len);
	body = text;
	if (m->html != NULL || m->calendar != NULL) {
		body = multi("multipart/alternative", balt);
		mailmime_smart_add_part(body, text);
		if (m->html != NULL) {
			copy = keep(kp, text_copy(m->html, &len));
			part = text_part("text/html", kp, copy, len);
			mailmime_smart_add_part(body, part);
		}
		if (m->calendar != NULL) {
			copy = keep(kp, crlf_copy(m->calendar, &len));
			part = single("text/calendar", "UTF-8", m->calendar_method, NULL, NULL,
				      MAILMIME_MECHANISM_BASE64, 0, copy, len);
			mailmime_smart_add_part(body, part);
		}
	}
	if (m->calendar != NULL || m->natt > 0) {
		mixed = multi("multipart/mixed", bmixed);
		mailmime_smart_add_part(mixed, body);
		if (m->calendar != NULL) {
			part = single("application/ics", NULL, NULL, "invite.ics", "invite.ics",
				      MAILMIME_MECHANISM_BASE64, 0, copy, len);
			mailmime_smart_add_part(mixed, part);
		}
		for (i = 0; i < m->natt; i++) {
			part = single(m->att[i].content_type, NULL, NULL, m->att[i].filename,
				      m->att[i].filename, MAILMIME_MECHANISM_BASE64, 0,
				      m->att[i].data != NULL ? m->att[i].data : "", m->att[i].len);
			if (part == NULL) {
				mailmime_free(mixed);
				*error_r = fail("attachment %d: bad content type", i + 1);
				return NULL;
			}
			mailmime_smart_add_part(mixed, part);
		}
		body = mixed;
	}
	return body;
}

/* check_output - CRLF line ends only, 7-bit, no line past 998 octets */
static int check_output(const char *s, size_t n, const char **error_r)
{
	size_t i, line = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				goto bad;
		} else if (c == '\n') {
			if (i == 0 || s[i - 1] != '\r')
				goto bad;
			line = 0;
		} else if (c == '\0' || c >= 0x80 || ++line > MAX_LINE) {
			goto bad;
		}
	}
	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n')
		goto bad;
	return 0;
bad:
	*error_r = fail("internal: the written message is not 7-bit CRLF text at octet %zu", i);
	return -1;
}

int compose(const struct compose_mail *m, struct buf *out, const char **error_r)
{
	struct mailimf_fields *fields;
	struct mailmime *msg, *body;
	struct keep kp = { { NULL }, 0 };
	MMAPString *o;
	int col = 0, r = -1, i;

	fields = mailimf_fields_new_empty();
	if (build_headers(m, fields, error_r) < 0) {
		mailimf_fields_free(fields);
		return -1;
	}
	if ((body = build_body(m, &kp, error_r)) == NULL) {
		mailimf_fields_free(fields);
		for (i = 0; i < kp.n; i++)
			free(kp.p[i]);
		return -1;
	}
	msg = mailmime_new_message_data(NULL);
	mailmime_set_imf_fields(msg, fields);
	mailmime_smart_add_part(msg, body);

	o = mmap_string_new("");
	if (o == NULL || mailmime_write_mem(o, &col, msg) != MAILIMF_NO_ERROR) {
		*error_r = fail("libetpan could not write the message");
	} else if (check_output(o->str, o->len, error_r) == 0) {
		if (buf_append(out, o->str, o->len) < 0) {
			out->overflowed = 0;
			*error_r = fail("message of %zu bytes larger than the output buffer's cap", o->len);
		} else {
			r = 0;
		}
	}
	if (o != NULL)
		mmap_string_free(o);
	mailmime_free(msg);
	for (i = 0; i < kp.n; i++)
		free(kp.p[i]);
	return r;
}
