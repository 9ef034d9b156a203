/* Every message of the shared corpus and of the fixture week through the
   isolated parser: no crash, no hang, a result for each (one TAP line per
   source directory). Then what the sources say about decoded text and
   subjects (mailparser's EXPECTATIONS.tsv, a few CPython messages), the
   fixture replies (text, sender), and the parse rate. */
#include "config.h"
#include "tap.h"
#include "mail/msg.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_FILE ((size_t)32 << 20)
#define CORPUS_TIMEOUT_MS 5000

struct tally {
	int files, parsed, refused, crashed;
	struct buf failures;
};

static int skipped_name(const char *n)
{
	return n[0] == '.' || str_ends(n, ".expected") || str_ends(n, ".tsv") ||
	       str_ends(n, ".json") || str_starts(n, "LICENSE") || str_ends(n, ".md");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_files - every file under dir (recursively, sorted) into *v */
static void list_files(const char *dir, char ***v, int *n, int *cap, int depth)
{
	DIR *d = opendir(dir);
	if (d == NULL || depth > 16) {
		if (d)
			closedir(d);
		return;
	}
	char **names = NULL;
	int nn = 0, nc = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (skipped_name(e->d_name))
			continue;
		if (nn == nc) {
			nc = nc ? nc * 2 : 64;
			names = xreallocarray(names, (size_t)nc, sizeof(*names));
		}
		names[nn++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (nn)
		qsort(names, (size_t)nn, sizeof(*names), cmp_str);
	for (int i = 0; i < nn; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			list_files(names[i], v, n, cap, depth + 1);
			free(names[i]);
		} else if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 256;
				*v = xreallocarray(*v, (size_t)*cap, sizeof(**v));
			}
			(*v)[(*n)++] = names[i];
		} else {
			free(names[i]);
		}
	}
	free(names);
}

/* parse_one - through the isolated parser; tallies the outcome */
static struct mail_msg *parse_one(struct mail_parser *p, const char *path, struct tally *t)
{
	char *raw;
	size_t len;
	t->files++;
	if (str_read_file(path, MAX_FILE, &raw, &len) < 0) {
		t->refused++;
		return NULL;
	}
	struct mail_msg *m = NULL;
	const char *err = NULL;
	int r = mail_parser_parse(p, raw, len, &m, &err);
	free(raw);
	if (r == 0) {
		t->parsed++;
		return m;
	}
	if (str_starts(err, "parser crashed") || str_starts(err, "parser timed out")) {
		t->crashed++;
		buf_printf(&t->failures, "%s: %s; ", path, err);
	} else {
		t->refused++;
	}
	return NULL;
}

/* unescape - a C-escaped literal starting at the opening quote; NULL if bad */
static char *unescape(const char *s, const char **end_r)
{
	if (*s != '"')
		return NULL;
	struct buf b;
	buf_init(&b, 0);
	for (s++; *s && *s != '"'; s++) {
		if (*s != '\\') {
			buf_putc(&b, *s);
			continue;
		}
		s++;
		switch (*s) {
		case 'n': buf_putc(&b, '\n'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 't': buf_putc(&b, '\t'); break;
		case '\\': buf_putc(&b, '\\'); break;
		case '"': buf_putc(&b, '"'); break;
		case 'x': {
			int v = 0, k = 0;
			while (k < 2 && s[1] && strchr("0123456789abcdefABCDEF", s[1])) {
				char c = *++s;
				v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
				k++;
			}
			buf_putc(&b, (char)v);
			break;
		}
		default:
			buf_free(&b);
			return NULL;
		}
	}
	if (*s != '"') {
		buf_free(&b);
		return NULL;
	}
	if (end_r)
		*end_r = s + 1;
	return buf_steal(&b, NULL);
}

/* norm - CRLF to LF and outer whitespace trimmed (the corpus README's advice) */
static char *norm(const char *s)
{
	struct buf b;
	buf_init(&b, 0);
	for (; s && *s; s++)
		if (!(*s == '\r' && s[1] == '\n'))
			buf_putc(&b, *s);
	char *r = buf_steal(&b, NULL);
	char *t = str_trim(r);
	memmove(r, t, strlen(t) + 1);
	return r;
}

static const char *first_attachment_name(const struct mail_msg *m)
{
	for (int i = 0; i < m->nparts; i++)
		if (m->parts[i].filename)
			return m->parts[i].filename;
	return NULL;
}

/* Rows where mailparser's design differs from ours, on purpose: it turns
   HTML parts into text even beside a text/plain part and joins the HTML of
   several parts; it can be told not to make text from HTML; it renders
   enclosed messages and delivery reports into the text, where we keep
   them as MESSAGE and REPORT parts. */
static const char *const mailparser_differs[] = {
	"inline/mail_parser_multipart_content_different_levels.eml [text == ]",
	"inline/mail_parser_multipart_content_different_levels.eml [html == ]",
	"fixtures/nested.eml [html == ]",
	"fixtures/mixed.eml [html == ]",
	"inline/mail_parser_skip_html_to_text.eml [text == ]",
	"inline/rfc822_headers_only_general_tests_simple_with_part_as_rfc822_of_headers_only.eml [text == ]",
	"fixtures/delivery-status.eml [text contains ]",
};

/* check_mailparser - the subject/text/html/name rows of mailparser's table */
static void check_mailparser(struct mail_parser *p, const char *root)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/corpus/mailparser/EXPECTATIONS.tsv", root);
	char *tsv;
	size_t len;
	if (!ok(str_read_file(path, MAX_FILE, &tsv, &len) == 0, "mailparser: expectations read"))
		return;
	int rows = 0, pass = 0, differs = 0;
	struct buf fails;
	buf_init(&fails, 0);
	char *save = tsv;
	for (char *line = tsv; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *f1 = strchr(line, '\t');
		char *f2 = f1 ? strchr(f1 + 1, '\t') : NULL;
		if (f1 && f2 && !str_starts(line, "file\t")) {
			*f1 = '\0';
			const char *file = line, *exp = f2 + 1;
			static const struct { const char *prefix; int what; int trim; } forms[] = {
				{ "subject == ", 0, 0 }, { "headers.get(\"subject\") == ", 0, 0 },
				{ "headers.get(\"subject\").trim() == ", 0, 1 }, { "text == ", 1, 0 },
				{ "text.trim() == ", 1, 1 }, { "html == ", 2, 0 },
				{ "from.value[0].name == ", 3, 0 }, { "attachments[0].filename == ", 4, 0 },
				{ "text contains ", 5, 0 }, { "text !contains U+FFFD", 6, 0 },
			};
			for (size_t k = 0; k < sizeof(forms) / sizeof(*forms); k++) {
				if (!str_starts(exp, forms[k].prefix))
					continue;
				char *want = NULL;
				if (forms[k].what != 6) {
					want = unescape(exp + strlen(forms[k].prefix), NULL);
					if (want == NULL)
						break;
				}
				snprintf(path, sizeof(path), "%s/corpus/mailparser/%s", root, file);
				struct tally t;
				memset(&t, 0, sizeof(t));
				buf_init(&t.failures, 0);
				struct mail_msg *m = parse_one(p, path, &t);
				buf_free(&t.failures);
				int good = 0;
				if (m) {
					const char *got = NULL;
					switch (forms[k].what) {
					case 0: got = m->subject; break;
					case 1: case 5: got = m->text; break;
					case 2: got = m->html; break;
					case 3: got = m->from.name ? m->from.name : ""; break;
					case 4: got = first_attachment_name(m); break;
					default: break;
					}
					if (forms[k].what == 6) {
						good = strstr(m->text, "\xef\xbf\xbd") == NULL;
					} else if (forms[k].what == 5) {
						good = got && strstr(got, want) != NULL;
					} else if (got) {
						char *a = norm(got), *b = norm(want);
						good = strcmp(a, b) == 0;
						free(a);
						free(b);
					}
					mail_msg_free(&m);
				}
				rows++;
				pass += good;
				if (!good) {
					char key[512];
					int known = 0;
					snprintf(key, sizeof(key), "%s [%s]", file, forms[k].prefix);
					for (size_t d = 0; d < sizeof(mailparser_differs) /
							       sizeof(*mailparser_differs); d++)
						if (strcmp(key, mailparser_differs[d]) == 0)
							known = 1;
					if (known)
						differs++;
					else
						buf_printf(&fails, "%s; ", key);
				}
				free(want);
				break;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	free(save);
	diag("mailparser subject/text/html/name rows: %d of %d pass (%.0f%%); %d differ by design",
	     pass, rows, rows ? 100.0 * pass / rows : 0.0, differs);
	if (fails.len)
		diag("mailparser rows not met: %s", buf_cstr(&fails));
	ok(rows >= 60 && pass + differs == rows,
	   "mailparser: every row passes but the %d that differ by design", differs);
	buf_free(&fails);
}

/* A few CPython messages whose decoded body or structure the test states. */
struct cpy {
	const char *file;
	const char *text;       /* msg->text, normalized; NULL: not checked */
	const char *files;      /* filenames of the parts, joined by ',' */
	int nparts;             /* -1: not checked */
	enum mail_part_role role1; /* role of part 1 when nparts >= 2 */
};

static const struct cpy cpython[] = {
	{ "msg_03.txt", "Hi,\n\nDo you like this message?\n\n-Me", NULL, 1, 0 },
	{ "msg_04.txt", NULL, "msg.txt,msg.txt", 2, MAIL_PART_ATTACHMENT },
	{ "msg_44.txt", NULL, "msg.txt,msg.txt", 2, MAIL_PART_ATTACHMENT },
	{ "msg_05.txt", "Yadda yadda yadda", NULL, 3, MAIL_PART_OTHER_TEXT },
	{ "msg_16.txt", NULL, NULL, 3, MAIL_PART_REPORT },
	{ "msg_30.txt", "", NULL, 2, MAIL_PART_MESSAGE },
	{ "msg_35.txt", "counter to RFC 5322, there's no separating newline here", NULL, 1, 0 },
	{ "msg_22.txt", NULL, "wibble.JPG,wibble2.JPG", 4, MAIL_PART_ATTACHMENT },
};

static void check_cpython(struct mail_parser *p, const char *root)
{
	char path[1024];
	for (size_t i = 0; i < sizeof(cpython) / sizeof(*cpython); i++) {
		const struct cpy *c = &cpython[i];
		struct tally t;
		memset(&t, 0, sizeof(t));
		buf_init(&t.failures, 0);
		snprintf(path, sizeof(path), "%s/corpus/cpython-email/%s", root, c->file);
		struct mail_msg *m = parse_one(p, path, &t);
		buf_free(&t.failures);
		if (!ok(m != NULL, "cpython %s: parses", c->file))
			continue;
		if (c->text) {
			char *a = norm(m->text);
			is_str(a, c->text, "cpython %s: decoded text", c->file);
			free(a);
		}
		if (c->nparts >= 0)
			is_int(m->nparts, c->nparts, "cpython %s: leaf parts", c->file);
		if (c->nparts >= 2 && m->nparts >= 2)
			is_int(m->parts[1].role, c->role1, "cpython %s: role of part 1", c->file);
		if (c->files) {
			struct buf b;
			buf_init(&b, 0);
			for (int k = 0; k < m->nparts; k++)
				if (m->parts[k].filename)
					buf_printf(&b, "%s%s", b.len ? "," : "", m->parts[k].filename);
			is_str(buf_cstr(&b), c->files, "cpython %s: filenames", c->file);
			buf_free(&b);
		}
		mail_msg_free(&m);
	}
	/* msg_20: three Cc fields, every address kept */
	struct tally t;
	memset(&t, 0, sizeof(t));
	buf_init(&t.failures, 0);
	snprintf(path, sizeof(path), "%s/corpus/cpython-email/msg_20.txt", root);
	struct mail_msg *m = parse_one(p, path, &t);
	buf_free(&t.failures);
	if (ok(m != NULL, "cpython msg_20.txt: parses")) {
		is_int(m->ncc, 3, "cpython msg_20.txt: Cc from every Cc field");
		if (m->ncc == 3)
			is_str(m->cc[2].addr, "eee@zzz.org", "cpython msg_20.txt: last Cc");
		mail_msg_free(&m);
	}
}

/* raw_from_addr - the From address as the file writes it (test-side reading) */
static char *raw_from_addr(const char *raw)
{
	const char *f = strstr(raw, "\nFrom:");
	if (f == NULL)
		return NULL;
	f += 6;
	const char *e = strchr(f, '\n');
	char *line = xstrndup(f, e ? (size_t)(e - f) : strlen(f));
	char *lt = strrchr(line, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	char *r = NULL;
	if (lt && gt) {
		r = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	} else {
		/* "addr (Comment)": the word with the @ */
		for (char *w = line; *w && r == NULL;) {
			while (*w == ' ' || *w == '\t')
				w++;
			char *e2 = w;
			while (*e2 && *e2 != ' ' && *e2 != '\t')
				e2++;
			if (memchr(w, '@', (size_t)(e2 - w)))
				r = xstrndup(w, (size_t)(e2 - w));
			w = e2;
		}
	}
	free(line);
	return r;
}

static int in_list(const char *csv, const char *addr)
{
	if (addr == NULL)
		return 0;
	const char *p = csv;
	size_t n = strlen(addr);
	while ((p = strchr(p, '\n')) != NULL) {
		p++;
		if (str_ncasecmp(p, addr, n) == 0 && p[n] == ',')
			return 1;
	}
	return 0;
}

/* check_replies - each fixture reply: text (unless only a calendar
   answer), From as written, participants where EXPECTED.tsv says so */
static void check_replies(struct mail_parser *p, const char *root)
{
	char path[1024], *tsv, *csv;
	size_t len;
	snprintf(path, sizeof(path), "%s/fixtures/replies/EXPECTED.tsv", root);
	if (!ok(str_read_file(path, MAX_FILE, &tsv, &len) == 0, "replies: EXPECTED.tsv read"))
		return;
	snprintf(path, sizeof(path), "%s/fixtures/participants.csv", root);
	if (!ok(str_read_file(path, MAX_FILE, &csv, &len) == 0, "replies: participants read")) {
		free(tsv);
		return;
	}
	int n = 0;
	for (char *line = strchr(tsv, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
		char *file = line + 1;
		char *tab = strchr(file, '\t');
		if (tab == NULL)
			break;
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(tab - file) < 200 ? (int)(tab - file) : 200, file);
		char cls[32];
		char *tab2 = strchr(tab + 1, '\t');
		snprintf(cls, sizeof(cls), "%.*s", tab2 ? (int)(tab2 - tab - 1) : 0, tab + 1);
		snprintf(path, sizeof(path), "%s/fixtures/replies/%s", root, name);
		char *raw;
		if (str_read_file(path, MAX_FILE, &raw, &len) < 0) {
			ok(0, "replies %s: read", name);
			continue;
		}
		struct tally t;
		memset(&t, 0, sizeof(t));
		buf_init(&t.failures, 0);
		struct mail_msg *m = parse_one(p, path, &t);
		buf_free(&t.failures);
		n++;
		if (ok(m != NULL, "replies %s: parses", name)) {
			int only_calendar = m->nparts > 0;
			for (int k = 0; k < m->nparts; k++)
				if (m->parts[k].role != MAIL_PART_CALENDAR)
					only_calendar = 0;
			int blank = 1;
			for (const char *q = m->text; *q; q++)
				if (*q != ' ' && *q != '\n' && *q != '\t')
					blank = 0;
			ok(!blank || only_calendar, "replies %s: has text (%zu bytes)", name, strlen(m->text));
			char *want = raw_from_addr(raw);
			is_str(m->from.addr, want, "replies %s: From address", name);
			free(want);
			/* a join request may come from anyone; comments and
			   answers to the call only from participants */
			if (strcmp(cls, "comment") == 0 || strcmp(cls, "rsvp") == 0)
				ok(in_list(csv, m->from.addr), "replies %s: sender %s is a participant (%s)",
				   name, m->from.addr ? m->from.addr : "-", cls);
			mail_msg_free(&m);
		}
		free(raw);
	}
	ok(n >= 30, "replies: %d messages checked", n);
	free(tsv);
	free(csv);
}

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* measure_rate - the fixture replies parsed again and again */
static void measure_rate(struct mail_parser *p, const char *root)
{
	char dir[1024];
	char **files = NULL;
	int n = 0, cap = 0;
	snprintf(dir, sizeof(dir), "%s/fixtures/replies", root);
	list_files(dir, &files, &n, &cap, 0);
	char **raw = xcalloc((size_t)n + 1, sizeof(*raw));
	size_t *len = xcalloc((size_t)n + 1, sizeof(*len));
	int k = 0;
	for (int i = 0; i < n; i++)
		if (str_ends(files[i], ".eml") && str_read_file(files[i], MAX_FILE, &raw[k], &len[k]) == 0)
			k++;
	const int rounds = 50;
	for (int iso = 0; iso < 2; iso++) {
		int good = 0;
		double w0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		for (int r = 0; r < rounds; r++) {
			for (int i = 0; i < k; i++) {
				struct mail_msg *m = NULL;
				const char *err;
				int rc = iso ? mail_parser_parse(p, raw[i], len[i], &m, &err)
					     : mail_parse(raw[i], len[i], NULL, &m, &err);
				good += rc == 0;
				mail_msg_free(&m);
			}
		}
		double w = clock_s(CLOCK_MONOTONIC) - w0, c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		int total = rounds * k;
		is_int(good, total, "rate %s: all %d parses succeed", iso ? "isolated" : "in-process", total);
		diag("parse rate %s: %.0f messages/s wall clock, %.0f messages/s of this process's CPU "
		     "(%d messages, the %d fixture replies %d times)", iso ? "isolated" : "in-process",
		     w > 0 ? total / w : 0.0, c > 0 ? total / c : 0.0, total, k, rounds);
	}
	for (int i = 0; i < k; i++)
		free(raw[i]);
	free(raw);
	free(len);
	for (int i = 0; i < n; i++)
		free(files[i]);
	free(files);
}

int main(void)
{
	const char *root = shared_dir();
	struct mail_parser *p = mail_parser_new(NULL, CORPUS_TIMEOUT_MS);
	if (!ok(p != NULL, "isolated parser started"))
		return done_testing();

	/* one line per source: every file gives a result */
	static const char *const tops[] = { "corpus", "fixtures/replies" };
	int all = 0;
	for (size_t t = 0; t < sizeof(tops) / sizeof(*tops); t++) {
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s/%s", root, tops[t]);
		DIR *d = opendir(dir);
		if (!ok(d != NULL, "%s: readable", dir))
			continue;
		char **subs = NULL;
		int ns = 0, cs = 0;
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (skipped_name(e->d_name))
				continue;
			if (ns == cs) {
				cs = cs ? cs * 2 : 32;
				subs = xreallocarray(subs, (size_t)cs, sizeof(*subs));
			}
			subs[ns++] = xstrdup(e->d_name);
		}
		closedir(d);
		if (ns)
			qsort(subs, (size_t)ns, sizeof(*subs), cmp_str);
		/* fixtures/replies is one source; corpus/ has one per directory */
		int groups = strcmp(tops[t], "corpus") == 0 ? ns : 1;
		for (int g = 0; g < groups; g++) {
			char *gdir = groups == 1 && strcmp(tops[t], "corpus") != 0 ?
				     xstrdup(dir) : xasprintf("%s/%s", dir, subs[g]);
			struct stat st;
			if (stat(gdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
				free(gdir);
				continue;
			}
			char **files = NULL;
			int nf = 0, cf = 0;
			list_files(gdir, &files, &nf, &cf, 0);
			free(gdir);
			struct tally tl;
			memset(&tl, 0, sizeof(tl));
			buf_init(&tl.failures, 0);
			for (int i = 0; i < nf; i++) {
				struct mail_msg *m = parse_one(p, files[i], &tl);
				mail_msg_free(&m);
				free(files[i]);
			}
			free(files);
			all += tl.files;
			ok(tl.crashed == 0 && tl.parsed + tl.refused == tl.files && tl.files > 0,
			   "%s/%s: %d files, %d parsed, %d refused by a limit, %d crashed or hung",
			   tops[t], groups == 1 && strcmp(tops[t], "corpus") != 0 ? "" : subs[g],
			   tl.files, tl.parsed, tl.refused, tl.crashed);
			if (tl.failures.len)
				diag("failures: %s", buf_cstr(&tl.failures));
			buf_free(&tl.failures);
		}
		for (int i = 0; i < ns; i++)
			free(subs[i]);
		free(subs);
	}
	ok(all > 1500, "%d files in all", all);

	check_mailparser(p, root);
	check_cpython(p, root);
	check_replies(p, root);
	measure_rate(p, root);
	mail_parser_free(&p);
	mail_cleanup();
	return done_testing();
}
