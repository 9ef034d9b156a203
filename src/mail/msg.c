#include "config.h"
#include "mail/msg.h"
#include "mail/charset.h"
#include "mail/flowed.h"
#include "mail/html.h"
#include "lib/buf.h"
#include "lib/str.h"
#include "lib/xalloc.h"
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libetpan/libetpan.h>

/* How a message is read:
   1. a private copy of the input (libetpan's tree points into it, and the
      guards below may patch it), NUL bytes made spaces, an mbox "From "
      line skipped;
   2. guards against libetpan's known failures (shared/DEPENDENCIES.md §2):
      every Content-Type field anywhere is parsed the way libetpan will
      parse it, and one whose boundary would crash mailmime_parse is
      renamed; header comments nested deep enough to exhaust the stack in
      libetpan's recursive comment parser are flattened; when the message
      could nest deeper or hold more parts than the limits allow, its
      structure is followed the way libetpan will follow it, the
      Content-Type of an entity beyond max_depth is renamed (the entity
      becomes a leaf) and the input is cut before the part past max_parts;
   3. mailmime_parse, then a walk of the tree that checks every range it
      reads, decodes bodies and picks the body text.
   A renamed field keeps its length, so offsets stay valid. */

#define GUARD_BOUNDARY "X-Bad-Bounds"   /* 12 bytes, as "Content-Type" */
#define GUARD_DEPTH "X-MIME-Depth"
#define CT_NAME_LEN 12
#define MAX_COMMENT_NESTING 64          /* libetpan recurses per level */
#define MAX_REFERENCES MAIL_MAX_REFERENCES
#define MAX_ADDRS MAIL_MAX_ADDRS
#define MAX_2231_PIECES 100

enum guard_kind { G_BOUNDARY = 1, G_DEPTH = 2 };

struct guard {
	size_t off;             /* where the renamed field starts in the copy */
	enum guard_kind kind;
};

#define MAX_ENVELOPE_FIELDS 64

struct pctx {
	const struct mail_limits *lim;
	char *copy;             /* the input, patched by the guards */
	size_t len;             /* bytes of copy that count (the guards may cut) */
	char *tree;             /* what mailmime_parse reads: the top-level MIME
				   fields, an empty line, the body */
	size_t tree_len;
	size_t tree_hdr;        /* bytes before the body in tree */
	size_t body_start;      /* where the body starts in copy */
	struct {
		int which;      /* index in envelope_names */
		char *raw;      /* unfolded value as written */
	} env[MAX_ENVELOPE_FIELDS];
	int nenv;
	struct mailmime **extra;  /* trees of parts parsed one by one */
	int nextra;
	struct mail_msg *m;
	struct guard *guards;
	size_t nguards, capguards;
	size_t capparts;
	size_t out_max;         /* cap on any decoded text */
	int chose_report;       /* report_type already set */
	int stop_parts;         /* max_parts reached in the walk */
};

/* ---------------------------------------------------------------- */

/* mail_limits_default - the values in msg.h */
void mail_limits_default(struct mail_limits *lim)
{
	lim->max_size = (size_t)25 << 20;
	lim->max_line = (size_t)1 << 20;
	lim->max_headers = 1000;
	lim->max_depth = 20;
	lim->max_parts = 500;
}

/* problem - count something repaired; keep the first description */
__attribute__((format(printf, 2, 3)))
static void problem(struct pctx *c, const char *fmt, ...)
{
	c->m->problems++;
	if (c->m->problem == NULL) {
		va_list ap;
		va_start(ap, fmt);
		c->m->problem = xvasprintf(fmt, ap);
		va_end(ap);
	}
}

/* charset_problem - count a charset outcome that was not clean */
static void charset_problem(struct pctx *c, enum charset_outcome o, const char *cs,
			    const char *where)
{
	const char *name = cs && *cs ? cs : "us-ascii";
	switch (o) {
	case CHARSET_CLEAN:
		break;
	case CHARSET_REPLACED:
		problem(c, "%s: invalid bytes for charset \"%s\" replaced", where, name);
		break;
	case CHARSET_WAS_UTF8:
		problem(c, "%s: declared \"%s\" but is UTF-8", where, name);
		break;
	case CHARSET_WAS_1252:
		if (cs == NULL || *cs == '\0')
			problem(c, "%s: 8-bit bytes without a charset read as windows-1252", where);
		else
			problem(c, "%s: declared \"%s\" but read as windows-1252", where, name);
		break;
	case CHARSET_UNKNOWN:
		problem(c, "%s: unknown charset \"%s\", read as UTF-8 or windows-1252", where, name);
		break;
	case CHARSET_TRUNCATED:
		problem(c, "%s: text cut at the size limit", where);
		break;
	}
}

/* add_guard - remember a renamed field (the walk asks guard_in) */
static void add_guard(struct pctx *c, size_t off, enum guard_kind kind)
{
	if (c->nguards == c->capguards) {
		c->capguards = c->capguards ? c->capguards * 2 : 8;
		c->guards = xreallocarray(c->guards, c->capguards, sizeof(*c->guards));
	}
	c->guards[c->nguards].off = off;
	c->guards[c->nguards].kind = kind;
	c->nguards++;
}

/* guard_in - the guard kind of a field renamed inside [from, to), or 0 */
static int guard_in(const struct pctx *c, size_t from, size_t to)
{
	for (size_t i = 0; i < c->nguards; i++)
		if (c->guards[i].off >= from && c->guards[i].off < to)
			return (int)c->guards[i].kind;
	return 0;
}

/* is_wsp - a blank inside a header line */
static int is_wsp(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* blank - only whitespace */
static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return 0;
	return 1;
}

/* is_ct_name - a line that starts a Content-Type field (name, blanks, colon);
   *colon_r is the offset of the colon */
static int is_ct_name(const char *p, size_t n, size_t *colon_r)
{
	if (n < CT_NAME_LEN + 1 || str_ncasecmp(p, "content-type", CT_NAME_LEN) != 0)
		return 0;
	size_t i = CT_NAME_LEN;
	while (i < n && is_wsp(p[i]))
		i++;
	if (i >= n || p[i] != ':')
		return 0;
	*colon_r = i;
	return 1;
}

enum ct_kind { CT_NONE, CT_LEAF, CT_MULTI, CT_MESSAGE, CT_UNSAFE };

/* ct_analyze - read a Content-Type value exactly as libetpan's
   mailmime_field_parse will (encoded words decoded first, then the content
   grammar), and say what mailmime_parse will make of it. CT_NONE: libetpan
   ignores the field. *boundary_r (CT_MULTI) is the boundary libetpan will
   search for, malloc'ed. */
static enum ct_kind ct_analyze(const char *v, size_t n, char **boundary_r, int *digest_r)
{
	char *val = xmemdup0(v, n);
	char *dec = NULL;
	size_t idx = 0;
	struct mailmime_content *ct = NULL;
	enum ct_kind kind = CT_NONE;

	*boundary_r = NULL;
	*digest_r = 0;
	int r = mailmime_encoded_phrase_parse("us-ascii", val, n, &idx, "utf-8", &dec);
	const char *src = r == MAILIMF_NO_ERROR && dec ? dec : val;
	idx = 0;
	r = mailmime_content_parse(src, strlen(src), &idx, &ct);
	if (r == MAILIMF_NO_ERROR && ct && ct->ct_type) {
		kind = CT_LEAF;
		if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
		    ct->ct_type->tp_data.tp_composite_type) {
			int t = ct->ct_type->tp_data.tp_composite_type->ct_type;
			if (t == MAILMIME_COMPOSITE_TYPE_MULTIPART) {
				const char *b = mailmime_content_param_get(ct, "boundary");
				if (b == NULL) {
					kind = CT_LEAF;
				} else {
					size_t bl = strlen(b);
					/* mailmime_extract_boundary strips a leading
					   quote and the last byte: with fewer than two
					   bytes it copies len-2 = SIZE_MAX bytes */
					if (bl == 0 || (b[0] == '"' && bl < 3)) {
						kind = CT_UNSAFE;
					} else {
						kind = CT_MULTI;
						*boundary_r = b[0] == '"' ? xstrndup(b + 1, bl - 2) : xstrdup(b);
						*digest_r = ct->ct_subtype &&
							    str_casecmp(ct->ct_subtype, "digest") == 0;
					}
				}
			} else if (t == MAILMIME_COMPOSITE_TYPE_MESSAGE && ct->ct_subtype &&
				   str_casecmp(ct->ct_subtype, "rfc822") == 0) {
				kind = CT_MESSAGE;
			}
		}
	}
	if (ct)
		mailmime_content_free(ct);
	free(dec);
	free(val);
	return kind;
}

/* ---------------------------------------------------------------- */
/* Pass 1: every line. Line length, unsafe Content-Type fields, deep
   comments; counts that say whether pass 2 is needed. */

struct lines_info {
	size_t ct_fields;       /* lines starting a Content-Type field */
	size_t dash_lines;      /* lines starting with "--" */
};

/* end_logical - finish a field-like logical line [s, e) */
static void end_logical(struct pctx *c, size_t s, size_t e, int max_nest, struct lines_info *li)
{
	char *p = c->copy;
	size_t colon;
	if (max_nest > MAX_COMMENT_NESTING) {
		for (size_t i = s; i < e; i++)
			if (p[i] == '(' || p[i] == ')')
				p[i] = ' ';
		problem(c, "header comments nested more than %d deep flattened", MAX_COMMENT_NESTING);
	}
	if (is_ct_name(p + s, e - s, &colon)) {
		char *b = NULL;
		int digest;
		const char *v = p + s + colon + 1;
		size_t vn = e - s - colon - 1;
		li->ct_fields++;
		/* a boundary can only come out starting with a quote through a
		   quoted-pair or an encoded word: skip libetpan for the rest */
		if ((memchr(v, '\\', vn) || memmem(v, vn, "=?", 2)) &&
		    ct_analyze(v, vn, &b, &digest) == CT_UNSAFE) {
			memcpy(p + s, GUARD_BOUNDARY, CT_NAME_LEN);
			add_guard(c, s, G_BOUNDARY);
			problem(c, "Content-Type with an unusable boundary ignored");
		}
		free(b);
	}
}

/* scan_lines - pass 1 over every line (see above); -1 past max_line */
static int scan_lines(struct pctx *c, struct lines_info *li, const char **error_r)
{
	char *p = c->copy;
	size_t len = c->len, pos = 0;
	size_t ls = 0;          /* logical line start */
	int open = 0, nest = 0, max_nest = 0;

	memset(li, 0, sizeof(*li));
	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len;
		size_t next = nl ? end + 1 : len;
		if (end - pos > c->lim->max_line) {
			*error_r = "line longer than the limit";
			return -1;
		}
		if (!(open && end > pos && is_wsp(p[pos]))) {
			if (open)
				end_logical(c, ls, pos, max_nest, li);
			ls = pos;
			open = 1;
			nest = max_nest = 0;
		}
		if (end - pos >= 2 && p[pos] == '-' && p[pos + 1] == '-')
			li->dash_lines++;
		const char *q = memchr(p + pos, '(', end - pos);
		if (q || nest > 0) {
			for (size_t i = q ? (size_t)(q - p) : pos; i < end; i++) {
				if (p[i] == '(' && ++nest > max_nest)
					max_nest = nest;
				else if (p[i] == ')' && nest > 0)
					nest--;
			}
		}
		pos = next;
	}
	if (open)
		end_logical(c, ls, len, max_nest, li);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Pass 2: the structure, as mailmime_parse will see it (read with its
   source: mailmime_multipart_body_parse and friends). Only run when the
   counts of pass 1 allow too deep a nesting or too many parts. Where we
   are unsure we see more structure than libetpan, never less. */

struct sentry {
	char *boundary;
	size_t blen;
	int depth;              /* of the multipart entity */
	int digest;
	int started;            /* its first delimiter was seen */
	size_t body_start;
};

enum smode { S_HDR, S_BODY, S_SKIP_ALL, S_SKIP_ONE };

struct structscan {
	struct pctx *c;
	struct sentry *st;
	size_t nst, capst;
	enum smode mode;
	int hdr_depth;
	int hdr_default_msg;
	size_t hdr_fields;
	int field_open;
	size_t field_start, field_end;
	/* the block's effective Content-Type */
	enum ct_kind blk_kind;
	char *blk_boundary;
	int blk_digest;
	size_t blk_ct_off;
	size_t entities;
	int depth_guard;        /* flatten beyond max_depth */
	int stop;
	size_t cut;
};

/* ss_push - a multipart opens: its boundary and depth */
static void ss_push(struct structscan *s, char *boundary, int depth, int digest, size_t body_start)
{
	if (s->nst == s->capst) {
		s->capst = s->capst ? s->capst * 2 : 16;
		s->st = xreallocarray(s->st, s->capst, sizeof(*s->st));
	}
	struct sentry *e = &s->st[s->nst++];
	e->boundary = boundary;
	e->blen = strlen(boundary);
	e->depth = depth;
	e->digest = digest;
	e->started = 0;
	e->body_start = body_start;
}

/* ss_pop_to - close the multiparts above the first n */
static void ss_pop_to(struct structscan *s, size_t n)
{
	while (s->nst > n)
		free(s->st[--s->nst].boundary);
}

/* ss_entity - a new entity begins at off; 0, or -1 when past max_parts */
static int ss_entity(struct structscan *s, size_t off)
{
	if (++s->entities > s->c->lim->max_parts) {
		s->cut = off;
		s->stop = 1;
		problem(s->c, "more than %zu MIME parts: the rest is ignored", s->c->lim->max_parts);
		return -1;
	}
	return 0;
}

/* ss_begin_block - a header block starts for an entity at depth */
static void ss_begin_block(struct structscan *s, int depth, int default_msg)
{
	s->mode = S_HDR;
	s->hdr_depth = depth;
	s->hdr_default_msg = default_msg;
	s->hdr_fields = 0;
	s->field_open = 0;
	s->blk_kind = CT_NONE;
	free(s->blk_boundary);
	s->blk_boundary = NULL;
	s->blk_digest = 0;
}

/* ss_end_field - a field is complete: the first usable Content-Type counts */
static void ss_end_field(struct structscan *s)
{
	size_t colon;
	if (!s->field_open)
		return;
	s->field_open = 0;
	const char *p = s->c->copy + s->field_start;
	size_t n = s->field_end - s->field_start;
	if (s->blk_kind != CT_NONE || !is_ct_name(p, n, &colon))
		return;
	char *b;
	int digest;
	enum ct_kind k = ct_analyze(p + colon + 1, n - colon - 1, &b, &digest);
	if (k == CT_NONE || k == CT_UNSAFE) {
		free(b);
		return;
	}
	s->blk_kind = k;
	s->blk_boundary = b;
	s->blk_digest = digest;
	s->blk_ct_off = s->field_start;
}

/* ss_flatten - rename the block's Content-Type: the entity becomes a leaf */
static void ss_flatten(struct structscan *s)
{
	memcpy(s->c->copy + s->blk_ct_off, GUARD_DEPTH, CT_NAME_LEN);
	add_guard(s->c, s->blk_ct_off, G_DEPTH);
	problem(s->c, "MIME nesting deeper than %zu: the rest kept as one part", s->c->lim->max_depth);
}

/* ss_end_block - the header block ended; the body starts at body */
static void ss_end_block(struct structscan *s, size_t body)
{
	size_t maxd = s->c->lim->max_depth;
	ss_end_field(s);
	s->mode = S_BODY;
	if (s->blk_kind == CT_MULTI) {
		if (s->depth_guard && (size_t)s->hdr_depth + 1 + (size_t)s->blk_digest > maxd) {
			ss_flatten(s);
			return;
		}
		ss_push(s, s->blk_boundary, s->hdr_depth, s->blk_digest, body);
		s->blk_boundary = NULL;
	} else if (s->blk_kind == CT_MESSAGE || (s->blk_kind == CT_NONE && s->hdr_default_msg)) {
		if (s->depth_guard && (size_t)s->hdr_depth + 1 > maxd) {
			if (s->blk_kind == CT_MESSAGE)
				ss_flatten(s);
			return;
		}
		if (ss_entity(s, body) < 0)
			return;
		ss_begin_block(s, s->hdr_depth + 1, 0);
	}
}

/* ss_delim - which open multipart a "--" line delimits: *close_r set for
   "--b--"; first is 1 for the first delimiter (matched by prefix alone, as
   libetpan's preamble parser does); -1 if none */
static long ss_delim(const struct structscan *s, const char *l, size_t n, int *close_r,
		     int *first_r, size_t *rest_r)
{
	for (size_t j = 0; j < s->nst; j++) {
		const struct sentry *e = &s->st[j];
		if (n < 2 + e->blen || memcmp(l + 2, e->boundary, e->blen) != 0)
			continue;
		size_t r = 2 + e->blen;
		if (!e->started) {
			*first_r = 1;
			*close_r = 0;
			*rest_r = r;
			return (long)j;
		}
		if (n - r >= 2 && l[r] == '-' && l[r + 1] == '-') {
			*close_r = 1;
			*first_r = 0;
			return (long)j;
		}
		size_t k = r;
		while (k < n && (is_wsp(l[k]) || l[k] == '\r'))
			k++;
		if (k == n) {
			*close_r = 0;
			*first_r = 0;
			return (long)j;
		}
	}
	return -1;
}

/* ss_is_field - a header field line: name of printable bytes, then ':' */
static int ss_is_field(const char *l, size_t n)
{
	size_t i = 0;
	while (i < n && (unsigned char)l[i] > 32 && (unsigned char)l[i] < 127 && l[i] != ':')
		i++;
	if (i == 0)
		return 0;
	while (i < n && is_wsp(l[i]))
		i++;
	return i < n && l[i] == ':';
}

/* scan_structure - pass 2 (see above): flatten beyond max_depth, cut past max_parts */
static int scan_structure(struct pctx *c, int depth_guard, const char **error_r)
{
	struct structscan s;
	const char *p = c->copy;
	size_t pos = 0, len = c->len;
	int partial = 0;
	int ret = 0;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.depth_guard = depth_guard;
	s.cut = len;
	s.entities = 1;
	ss_begin_block(&s, 0, 0);

	for (;;) {
		if (pos >= len) {
			if (s.mode == S_HDR || s.mode == S_SKIP_ALL || s.mode == S_SKIP_ONE)
				ss_end_block(&s, len);
			if (s.stop)
				break;
			/* a multipart without any boundary line: libetpan reads its
			   whole body as one part, headers and all */
			if (s.nst && !s.st[s.nst - 1].started && s.st[s.nst - 1].body_start < len) {
				struct sentry *e = &s.st[s.nst - 1];
				e->started = 1;
				pos = e->body_start;
				if (ss_entity(&s, pos) < 0)
					break;
				ss_begin_block(&s, e->depth + 1, e->digest);
				continue;
			}
			break;
		}
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - p) : len;
		size_t next = nl ? end + 1 : len;
		const char *l = p + pos;
		size_t n = end - pos;
		if (n && l[n - 1] == '\r')
			n--;
		int was_partial = partial;
		partial = 0;

		if (s.mode == S_SKIP_ALL || s.mode == S_SKIP_ONE) {
			size_t k = 0;
			while (k < n && is_wsp(l[k]))
				k++;
			if (k == n) {
				s.mode = s.mode == S_SKIP_ALL ? S_SKIP_ALL : S_HDR;
				pos = next;
				continue;
			}
			s.mode = S_HDR;
		}

		int close = 0, first = 0;
		size_t rest = 0;
		long j = -1;
		if (!was_partial && s.nst && n >= 2 && l[0] == '-' && l[1] == '-')
			j = ss_delim(&s, l, n, &close, &first, &rest);
		if (j >= 0) {
			if (s.mode == S_HDR)
				ss_end_block(&s, pos);
			if (s.stop)
				break;
			/* entries above j end here; one that never saw its own
			   boundary is read again as a single part */
			if (s.nst > (size_t)j + 1) {
				struct sentry *top = &s.st[s.nst - 1];
				if (!top->started && top->body_start < pos) {
					top->started = 1;
					size_t at = top->body_start;
					if (ss_entity(&s, at) < 0)
						break;
					ss_begin_block(&s, top->depth + 1, top->digest);
					pos = at;
					continue;
				}
			}
			ss_pop_to(&s, (size_t)j + 1);
			struct sentry *e = &s.st[j];
			if (first) {
				e->started = 1;
				if (ss_entity(&s, pos) < 0)
					break;
				ss_begin_block(&s, e->depth + 1, e->digest);
				size_t k = rest;
				while (k < n && is_wsp(l[k]))
					k++;
				if (k < n) {
					/* the first part begins right after "--boundary" */
					pos += rest;
					partial = 1;
				} else {
					s.mode = S_SKIP_ALL;
					pos = next;
				}
				continue;
			}
			if (close) {
				s.mode = S_BODY;
			} else {
				if (ss_entity(&s, pos) < 0)
					break;
				ss_begin_block(&s, e->depth + 1, e->digest);
				s.mode = S_SKIP_ONE;
			}
			pos = next;
			continue;
		}

		if (s.mode == S_HDR) {
			if (n == 0) {
				ss_end_block(&s, next);
				if (s.stop)
					break;
				pos = next;
				continue;
			}
			if (is_wsp(l[0]) && s.field_open) {
				s.field_end = pos + n;
				pos = next;
				continue;
			}
			if (!is_wsp(l[0]) && ss_is_field(l, n)) {
				ss_end_field(&s);
				if (++s.hdr_fields > c->lim->max_headers) {
					*error_r = "more header fields than the limit";
					ret = -1;
					break;
				}
				s.field_open = 1;
				s.field_start = pos;
				s.field_end = pos + n;
				pos = next;
				continue;
			}
			/* not a header line: the body starts here */
			ss_end_block(&s, pos);
			if (s.stop)
				break;
			partial = was_partial;
			continue;
		}
		pos = next;
	}
	if (ret == 0 && s.cut < c->len)
		c->len = s.cut;
	ss_pop_to(&s, 0);
	free(s.st);
	free(s.blk_boundary);
	return ret;
}

/* guard_input - all the guards before mailmime_parse */
static int guard_input(struct pctx *c, const char **error_r)
{
	struct lines_info li;
	if (scan_lines(c, &li, error_r) < 0)
		return -1;
	/* every level of nesting needs a Content-Type field of its own (a
	   digest's implicit message/rfc822 needs the digest's), so with few
	   such fields the nesting is shallow whatever the layout */
	size_t depth_bound = 2 * li.ct_fields + 2;
	size_t parts_bound = li.dash_lines + 2 * li.ct_fields + 2;
	int depth_guard = depth_bound > c->lim->max_depth;
	if (depth_guard || parts_bound > c->lim->max_parts)
		return scan_structure(c, depth_guard, error_r);
	return 0;
}

/* ---------------------------------------------------------------- */
/* Headers */

/* header_block - the top-level header block: [0, *end_r) holds the fields,
   the body starts at *body_r; returns the number of fields. Like libetpan,
   a line that is neither a field nor a continuation ends the block and
   starts the body. */
static size_t header_block(const struct pctx *c, size_t *end_r, size_t *body_r)
{
	const char *p = c->copy;
	size_t pos = 0, len = c->len, fields = 0;
	int field = 0;
	while (pos < len) {
		const char *nl = memchr(p + pos, '\n', len - pos);
		size_t le = nl ? (size_t)(nl - p) : len;
		size_t next = nl ? le + 1 : len;
		size_t n = le - pos;
		if (n && p[le - 1] == '\r')
			n--;
		if (n == 0) {
			*end_r = pos;
			*body_r = next;
			return fields;
		}
		if (is_wsp(p[pos]) ? !field : !ss_is_field(p + pos, n)) {
			*end_r = *body_r = pos;
			return fields;
		}
		if (!is_wsp(p[pos]))
			fields++;
		field = 1;
		pos = next;
	}
	*end_r = *body_r = len;
	return fields;
}

/* The fields read again with libetpan's field parsers, raw and unfolded. */
static const char *const envelope_names[] = { "From", "Sender", "Reply-To", "To", "Cc", "Date" };
#define NENVELOPE (sizeof(envelope_names) / sizeof(*envelope_names))

/* value_is_plain - printable ASCII without encoded words: no decoding needed */
static int value_is_plain(const char *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)v[i];
		if (ch < 0x20 || ch >= 0x7f) {
			if (ch != '\t')
				return 0;
		} else if (ch == '=' && i + 1 < n && v[i + 1] == '?') {
			return 0;
		}
	}
	return 1;
}

/* add_header - one field [f, f+n) (folded) to msg->headers */
static void add_header(struct pctx *c, const char *f, size_t n, int *cap, struct buf *tmp,
		       struct buf *unf)
{
	size_t i = 0;
	while (i < n && f[i] != ':')
		i++;
	if (i == n)
		return;
	size_t nl = i;
	while (nl > 0 && is_wsp(f[nl - 1]))
		nl--;
	if (nl == 0)
		return;
	struct mail_msg *m = c->m;
	if (m->nheaders == *cap) {
		*cap = *cap ? *cap * 2 : 32;
		m->headers = xreallocarray(m->headers, (size_t)*cap, sizeof(*m->headers));
	}
	struct mail_header *h = &m->headers[m->nheaders++];
	if (value_is_plain(f, nl)) {
		h->name = xmemdup0(f, nl);
	} else {
		buf_reset(tmp);
		charset_to_utf8(NULL, f, nl, tmp);
		h->name = xmemdup0(buf_cstr(tmp), tmp->len);
		for (char *q = h->name; *q; q++)
			if ((unsigned char)*q < 0x20)
				*q = ' ';
	}
	/* unfold: drop the line breaks, keep the blanks after them */
	const char *v = f + i + 1;
	size_t vn = n - i - 1;
	buf_reset(unf);
	size_t a = 0;
	while (a < vn) {
		const char *brk = memchr(v + a, '\n', vn - a);
		size_t e = brk ? (size_t)(brk - v) : vn;
		size_t k = e;
		if (k > a && v[k - 1] == '\r')
			k--;
		buf_append(unf, v + a, k - a);
		a = brk ? e + 1 : vn;
	}
	const char *u = buf_cstr(unf);
	size_t un = unf->len;
	for (size_t k = 0; k < NENVELOPE; k++) {
		if (str_casecmp(h->name, envelope_names[k]) == 0 && c->nenv < MAX_ENVELOPE_FIELDS) {
			c->env[c->nenv].which = (int)k;
			c->env[c->nenv].raw = xmemdup0(u, un);
			c->nenv++;
			break;
		}
	}
	if (value_is_plain(u, un)) {
		size_t s0 = 0, e0 = un;
		while (s0 < e0 && is_wsp(u[s0]))
			s0++;
		while (e0 > s0 && is_wsp(u[e0 - 1]))
			e0--;
		h->value = xmemdup0(u + s0, e0 - s0);
		for (char *q = h->value; *q; q++)
			if (*q == '\t')
				*q = ' ';
		return;
	}
	buf_reset(tmp);
	enum charset_outcome o = charset_decode_header(u, un, tmp);
	if (o != CHARSET_CLEAN && o != CHARSET_WAS_UTF8)
		charset_problem(c, o, NULL, "header");
	h->value = xmemdup0(buf_cstr(tmp), tmp->len);
}

/* read_headers - the top-level fields [0, end) into msg->headers; the MIME
   ones (Content-*, MIME-Version) also to the libetpan input in tree */
static void read_headers(struct pctx *c, size_t end, struct buf *tree)
{
	const char *p = c->copy;
	size_t pos = 0, fs = 0;
	int open = 0, cap = 0;
	struct buf tmp, unf;
	buf_init(&tmp, c->out_max);
	buf_init(&unf, c->out_max);
	for (;;) {
		size_t le = end, next = end;
		if (pos < end) {
			const char *nl = memchr(p + pos, '\n', end - pos);
			le = nl ? (size_t)(nl - p) : end;
			next = nl ? le + 1 : end;
		}
		if (open && (pos >= end || !is_wsp(p[pos]))) {
			/* the field [fs, pos) is complete */
			size_t e = pos;
			if (str_istarts(p + fs, "content-") || str_istarts(p + fs, "mime-version"))
				buf_append(tree, p + fs, e - fs);
			while (e > fs && (p[e - 1] == '\n' || p[e - 1] == '\r'))
				e--;
			add_header(c, p + fs, e - fs, &cap, &tmp, &unf);
			open = 0;
		}
		if (pos >= end)
			break;
		if (!is_wsp(p[pos])) {
			fs = pos;
			open = 1;
		}
		pos = next;
		(void)le;
	}
	buf_free(&tmp);
	buf_free(&unf);
}

/* mail_header_next - linear scan from *i + 1 */
const char *mail_header_next(const struct mail_msg *m, const char *name, int *i)
{
	if (m == NULL || name == NULL || i == NULL)
		return NULL;
	for (int k = *i + 1; k < m->nheaders; k++) {
		if (str_casecmp(m->headers[k].name, name) == 0) {
			*i = k;
			return m->headers[k].value;
		}
	}
	*i = m->nheaders;
	return NULL;
}

/* mail_header_get - the first match */
const char *mail_header_get(const struct mail_msg *m, const char *name)
{
	int i = -1;
	return mail_header_next(m, name, &i);
}

/* msgids - the <ids> in a value, without brackets; a bare token when there
   are none and bare is set */
static char **msgids(const char *v, int *n_r, int max, int bare)
{
	char **ids = NULL;
	int n = 0, cap = 0;
	const char *p = v;
	while (p && *p && n < max) {
		const char *a = strchr(p, '<');
		if (a == NULL)
			break;
		const char *b = strchr(a + 1, '>');
		if (b == NULL)
			break;
		struct buf t = BUF_INIT;
		for (const char *q = a + 1; q < b; q++)
			if (*q != ' ' && *q != '\t')
				buf_putc(&t, *q);
		if (t.len) {
			if (n == cap) {
				cap = cap ? cap * 2 : 4;
				ids = xreallocarray(ids, (size_t)cap, sizeof(*ids));
			}
			ids[n++] = buf_steal(&t, NULL);
		}
		buf_free(&t);
		p = b + 1;
	}
	if (n == 0 && bare && v) {
		while (*v == ' ' || *v == '\t')
			v++;
		size_t l = 0;
		while (v[l] && v[l] != ' ' && v[l] != '\t')
			l++;
		if (l) {
			ids = xmalloc(sizeof(*ids));
			ids[n++] = xstrndup(v, l);
		}
	}
	*n_r = n;
	return ids;
}

/* free_strv - n strings and their array */
static void free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* decode_name - a display name (raw, may hold encoded words) to UTF-8 */
static char *decode_name(struct pctx *c, const char *raw)
{
	if (raw == NULL)
		return NULL;
	struct buf t;
	buf_init(&t, c->out_max);
	charset_decode_header(raw, strlen(raw), &t);
	if (t.len == 0) {
		buf_free(&t);
		return NULL;
	}
	return buf_steal(&t, NULL);
}

/* addr_usable - what libetpan called an address looks like one */
static int addr_usable(const char *a)
{
	if (a == NULL || *a == '\0' || strchr(a, '@') == NULL)
		return 0;
	for (; *a; a++)
		if (*a == '<' || *a == '>' || *a == ' ' || *a == '\t' || *a == '"')
			return 0;
	return 1;
}

/* fallback_addr - one address out of a value libetpan could not read */
static void fallback_addr(struct pctx *c, const char *v, struct mail_addr *out)
{
	const char *lt = strrchr(v, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;
	out->name = NULL;
	out->addr = NULL;
	if (lt && gt && gt > lt + 1) {
		char *a = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		char *t = str_trim(a);
		if (strchr(t, '@'))
			out->addr = xstrdup(t);
		free(a);
		char *nm = xstrndup(v, (size_t)(lt - v));
		t = str_trim(nm);
		size_t tl = strlen(t);
		if (tl >= 2 && t[0] == '"' && t[tl - 1] == '"') {
			t[tl - 1] = '\0';
			t++;
		}
		if (*t)
			out->name = decode_name(c, t);
		free(nm);
		return;
	}
	/* a bare address: the first word with an @ */
	const char *p = v;
	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == ';')
			p++;
		const char *s = p;
		while (*p && *p != ' ' && *p != '\t' && *p != ',' && *p != ';')
			p++;
		if (p > s && memchr(s, '@', (size_t)(p - s))) {
			out->addr = xstrndup(s, (size_t)(p - s));
			return;
		}
	}
}

/* set_mailbox - a libetpan mailbox to ours, the name decoded */
static void set_mailbox(struct pctx *c, const struct mailimf_mailbox *mb, struct mail_addr *out)
{
	out->name = decode_name(c, mb->mb_display_name);
	out->addr = mb->mb_addr_spec && *mb->mb_addr_spec ? xstrdup(mb->mb_addr_spec) : NULL;
}

/* push_addr - append, at most MAX_ADDRS (the rest freed) */
static void push_addr(struct mail_addr **v, int *n, int *cap, struct mail_addr a)
{
	if (*n >= MAX_ADDRS) {
		free(a.name);
		free(a.addr);
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*v = xreallocarray(*v, (size_t)*cap, sizeof(**v));
	}
	(*v)[(*n)++] = a;
}

/* parse_addrs - every mailbox of an address list value (groups
   flattened) with libetpan; our own reading when it fails or gives
   something that is not an address */
static void parse_addrs(struct pctx *c, const char *raw, struct mail_addr **v, int *n, int *cap)
{
	size_t idx = 0;
	struct mailimf_address_list *l = NULL;
	int before = *n;
	if (mailimf_address_list_parse(raw, strlen(raw), &idx, &l) == MAILIMF_NO_ERROR && l) {
		for (clistiter *it = clist_begin(l->ad_list); it; it = clist_next(it)) {
			const struct mailimf_address *a = clist_content(it);
			clist *ml = NULL;
			if (a && a->ad_type == MAILIMF_ADDRESS_MAILBOX && a->ad_data.ad_mailbox) {
				if (!addr_usable(a->ad_data.ad_mailbox->mb_addr_spec))
					continue;
				struct mail_addr x;
				set_mailbox(c, a->ad_data.ad_mailbox, &x);
				push_addr(v, n, cap, x);
			} else if (a && a->ad_type == MAILIMF_ADDRESS_GROUP && a->ad_data.ad_group &&
				   a->ad_data.ad_group->grp_mb_list) {
				ml = a->ad_data.ad_group->grp_mb_list->mb_list;
			}
			for (clistiter *g = ml ? clist_begin(ml) : NULL; g; g = clist_next(g)) {
				const struct mailimf_mailbox *mb = clist_content(g);
				if (mb == NULL || !addr_usable(mb->mb_addr_spec))
					continue;
				struct mail_addr x;
				set_mailbox(c, mb, &x);
				push_addr(v, n, cap, x);
			}
		}
		mailimf_address_list_free(l);
	}
	if (*n == before && strchr(raw, '@')) {
		struct mail_addr x;
		fallback_addr(c, raw, &x);
		if (x.addr)
			push_addr(v, n, cap, x);
		else
			free(x.name);
	}
}

/* one_addr - From/Sender/Reply-To: the first mailbox of the first field */
static void one_addr(struct pctx *c, int which, struct mail_addr *out)
{
	for (int i = 0; i < c->nenv; i++) {
		if (c->env[i].which != which)
			continue;
		struct mail_addr *v = NULL;
		int n = 0, cap = 0;
		parse_addrs(c, c->env[i].raw, &v, &n, &cap);
		if (n) {
			*out = v[0];
			for (int k = 1; k < n; k++) {
				free(v[k].name);
				free(v[k].addr);
			}
		}
		free(v);
		return;
	}
}

/* all_addrs - To/Cc: every mailbox of every such field */
static void all_addrs(struct pctx *c, int which, struct mail_addr **v_r, int *n_r)
{
	int cap = 0;
	*v_r = NULL;
	*n_r = 0;
	for (int i = 0; i < c->nenv; i++)
		if (c->env[i].which == which)
			parse_addrs(c, c->env[i].raw, v_r, n_r, &cap);
}

/* days_from_civil - days since 1970-01-01 of a proleptic Gregorian date */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* to_time - libetpan's broken-down date with its zone to UTC; 0 if out of range */
static time_t to_time(const struct mailimf_date_time *dt)
{
	int y = dt->dt_year;
	if (y >= 0 && y < 50)
		y += 2000;
	else if (y >= 50 && y < 1000)
		y += 1900;
	if (y < 1970 || y > 9999 || dt->dt_month < 1 || dt->dt_month > 12 || dt->dt_day < 1 ||
	    dt->dt_day > 31 || dt->dt_hour < 0 || dt->dt_hour > 23 || dt->dt_min < 0 ||
	    dt->dt_min > 59 || dt->dt_sec < 0 || dt->dt_sec > 60 || dt->dt_zone < -9959 ||
	    dt->dt_zone > 9959)
		return 0;
	int64_t t = days_from_civil(y, dt->dt_month, dt->dt_day) * 86400 +
		    dt->dt_hour * 3600 + dt->dt_min * 60 + dt->dt_sec;
	int z = dt->dt_zone;
	int zmin = (z / 100) * 60 + (z % 100);
	t -= (int64_t)zmin * 60;
	return t > 0 ? (time_t)t : 0;
}

/* parse_date - a Date value with libetpan's parser; 0 if unreadable */
static time_t parse_date(const char *raw)
{
	size_t idx = 0;
	struct mailimf_date_time *dt = NULL;
	if (raw && mailimf_date_time_parse(raw, strlen(raw), &idx, &dt) == MAILIMF_NO_ERROR && dt) {
		time_t t = to_time(dt);
		mailimf_date_time_free(dt);
		return t;
	}
	return 0;
}

enum { ENV_FROM, ENV_SENDER, ENV_REPLY_TO, ENV_TO, ENV_CC, ENV_DATE };

/* read_envelope - the fields other modules look at */
static void read_envelope(struct pctx *c)
{
	struct mail_msg *m = c->m;
	const char *subj = mail_header_get(m, "Subject");
	m->subject = xstrdup(subj ? subj : "");

	int n;
	char **ids = msgids(mail_header_get(m, "Message-ID"), &n, 1, 1);
	if (n)
		m->message_id = xstrdup(ids[0]);
	free_strv(ids, n);
	ids = msgids(mail_header_get(m, "In-Reply-To"), &n, 1, 0);
	if (n)
		m->in_reply_to = xstrdup(ids[0]);
	free_strv(ids, n);
	int i = -1;
	const char *v;
	while ((v = mail_header_next(m, "References", &i)) != NULL &&
	       m->nreferences < MAX_REFERENCES) {
		ids = msgids(v, &n, MAX_REFERENCES - m->nreferences, 0);
		if (n) {
			m->references = xreallocarray(m->references, (size_t)(m->nreferences + n),
						      sizeof(*m->references));
			memcpy(m->references + m->nreferences, ids, (size_t)n * sizeof(*ids));
			m->nreferences += n;
		}
		free(ids);
	}
	one_addr(c, ENV_FROM, &m->from);
	one_addr(c, ENV_SENDER, &m->sender);
	one_addr(c, ENV_REPLY_TO, &m->reply_to);
	all_addrs(c, ENV_TO, &m->to, &m->nto);
	all_addrs(c, ENV_CC, &m->cc, &m->ncc);
	for (int k = 0; k < c->nenv; k++) {
		if (c->env[k].which == ENV_DATE) {
			m->date = parse_date(c->env[k].raw);
			break;
		}
	}
}

/* ---------------------------------------------------------------- */
/* MIME parts */

/* hexv - a hex digit's value, -1 if none */
static int hexv(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* qp_line - decode one line's text: "=XX" escapes; any other "=" stays */
static void qp_line(const char *in, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		const char *eq = memchr(in + i, '=', len - i);
		size_t e = eq ? (size_t)(eq - in) : len;
		buf_append(out, in + i, e - i);
		if (!eq)
			break;
		int h1, h2;
		if (e + 2 < len && (h1 = hexv((unsigned char)in[e + 1])) >= 0 &&
		    (h2 = hexv((unsigned char)in[e + 2])) >= 0) {
			buf_putc(out, (char)(h1 * 16 + h2));
			i = e + 3;
		} else {
			buf_putc(out, '=');
			i = e + 1;
		}
	}
}

/* qp_decode - quoted-printable (RFC 2045 6.7): blanks at a line end were
   added in transport and go; "=" at a line end is a soft break.
   XXX libetpan's decoder turns "=ZZ" into a NUL byte, hence our own. */
static void qp_decode(const char *in, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(in + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - in) : len;
		size_t k = e;
		if (nl && k > i && in[k - 1] == '\r')
			k--;
		while (k > i && is_wsp(in[k - 1]))
			k--;
		if (k > i && in[k - 1] == '=') {
			qp_line(in + i, k - 1 - i, out);
		} else {
			qp_line(in + i, k - i, out);
			if (nl)
				buf_putc(out, '\n');
		}
		i = nl ? e + 1 : len;
	}
}

/* param_list - Content-Type or Content-Disposition parameters as pairs */
struct kv {
	const char *k, *v;
};

/* ct_params - the Content-Type parameters as pairs */
static size_t ct_params(const struct mailmime_content *ct, struct kv *kv, size_t max)
{
	size_t n = 0;
	if (ct == NULL || ct->ct_parameters == NULL)
		return 0;
	for (clistiter *it = clist_begin(ct->ct_parameters); it && n < max; it = clist_next(it)) {
		const struct mailmime_parameter *p = clist_content(it);
		if (p && p->pa_name && p->pa_value) {
			kv[n].k = p->pa_name;
			kv[n].v = p->pa_value;
			n++;
		}
	}
	return n;
}

/* disposition - the Content-Disposition of a part, NULL if none */
static const struct mailmime_disposition *disposition(const struct mailmime *mm)
{
	if (mm->mm_mime_fields == NULL || mm->mm_mime_fields->fld_list == NULL)
		return NULL;
	for (clistiter *it = clist_begin(mm->mm_mime_fields->fld_list); it; it = clist_next(it)) {
		const struct mailmime_field *f = clist_content(it);
		if (f && f->fld_type == MAILMIME_FIELD_DISPOSITION)
			return f->fld_data.fld_disposition;
	}
	return NULL;
}

/* disp_params - the Content-Disposition parameters as pairs */
static size_t disp_params(const struct mailmime_disposition *d, struct kv *kv, size_t max)
{
	size_t n = 0;
	if (d == NULL || d->dsp_parms == NULL)
		return 0;
	for (clistiter *it = clist_begin(d->dsp_parms); it && n < max; it = clist_next(it)) {
		const struct mailmime_disposition_parm *p = clist_content(it);
		if (p == NULL)
			continue;
		if (p->pa_type == MAILMIME_DISPOSITION_PARM_FILENAME && p->pa_data.pa_filename) {
			kv[n].k = "filename";
			kv[n].v = p->pa_data.pa_filename;
			n++;
		} else if (p->pa_type == MAILMIME_DISPOSITION_PARM_PARAMETER &&
			   p->pa_data.pa_parameter && p->pa_data.pa_parameter->pa_name &&
			   p->pa_data.pa_parameter->pa_value) {
			kv[n].k = p->pa_data.pa_parameter->pa_name;
			kv[n].v = p->pa_data.pa_parameter->pa_value;
			n++;
		}
	}
	return n;
}

/* param_value - the parameter base (RFC 2231: base*, base*0, base*1*, ...;
   else plain base, RFC 2047 words decoded) as UTF-8; NULL if absent */
static char *param_value(struct pctx *c, const struct kv *kv, size_t n, const char *base)
{
	size_t bl = strlen(base);
	const char *plain = NULL, *ext = NULL;
	const char *piece[MAX_2231_PIECES];
	int piece_ext[MAX_2231_PIECES];
	int npieces = 0;
	memset(piece, 0, sizeof(piece));
	for (size_t i = 0; i < n; i++) {
		const char *k = kv[i].k;
		if (str_ncasecmp(k, base, bl) != 0)
			continue;
		const char *r = k + bl;
		if (*r == '\0') {
			if (!plain)
				plain = kv[i].v;
		} else if (strcmp(r, "*") == 0) {
			if (!ext)
				ext = kv[i].v;
		} else if (*r == '*' && r[1] >= '0' && r[1] <= '9') {
			int num = 0;
			const char *q = r + 1;
			while (*q >= '0' && *q <= '9' && num < 10000)
				num = num * 10 + (*q++ - '0');
			int star = *q == '*';
			if ((*q == '\0' || (star && q[1] == '\0')) && num < MAX_2231_PIECES &&
			    piece[num] == NULL) {
				piece[num] = kv[i].v;
				piece_ext[num] = star;
				if (num + 1 > npieces)
					npieces = num + 1;
			}
		}
	}
	struct buf raw, out;
	char cs[64] = "";
	buf_init(&raw, c->out_max);
	buf_init(&out, c->out_max);
	if (npieces && piece[0]) {
		for (int i = 0; i < npieces && piece[i]; i++) {
			if (piece_ext[i])
				charset_decode_2231(piece[i], strlen(piece[i]), i == 0, &raw, cs, sizeof(cs));
			else
				buf_puts(&raw, piece[i]);
		}
	} else if (ext) {
		charset_decode_2231(ext, strlen(ext), 1, &raw, cs, sizeof(cs));
	} else if (plain) {
		charset_decode_header(plain, strlen(plain), &out);
		buf_free(&raw);
		return buf_steal(&out, NULL);
	} else {
		buf_free(&raw);
		buf_free(&out);
		return NULL;
	}
	enum charset_outcome o = charset_to_utf8(cs[0] ? cs : NULL, raw.data ? raw.data : "",
						 raw.len, &out);
	if (o != CHARSET_CLEAN && o != CHARSET_WAS_UTF8)
		charset_problem(c, o, cs, "parameter");
	buf_free(&raw);
	/* a value is one line */
	for (size_t i = 0; i < out.len; i++)
		if ((unsigned char)out.data[i] < 0x20)
			out.data[i] = ' ';
	return buf_steal(&out, NULL);
}

/* content_type_str - "type/subtype", lowercased */
static char *content_type_str(const struct mailmime_content *ct)
{
	const char *t = "text";
	if (ct && ct->ct_type) {
		if (ct->ct_type->tp_type == MAILMIME_TYPE_DISCRETE_TYPE &&
		    ct->ct_type->tp_data.tp_discrete_type) {
			const struct mailmime_discrete_type *d = ct->ct_type->tp_data.tp_discrete_type;
			switch (d->dt_type) {
			case MAILMIME_DISCRETE_TYPE_TEXT: t = "text"; break;
			case MAILMIME_DISCRETE_TYPE_IMAGE: t = "image"; break;
			case MAILMIME_DISCRETE_TYPE_AUDIO: t = "audio"; break;
			case MAILMIME_DISCRETE_TYPE_VIDEO: t = "video"; break;
			case MAILMIME_DISCRETE_TYPE_APPLICATION: t = "application"; break;
			default: t = d->dt_extension ? d->dt_extension : "application"; break;
			}
		} else if (ct->ct_type->tp_type == MAILMIME_TYPE_COMPOSITE_TYPE &&
			   ct->ct_type->tp_data.tp_composite_type) {
			const struct mailmime_composite_type *k = ct->ct_type->tp_data.tp_composite_type;
			if (k->ct_type == MAILMIME_COMPOSITE_TYPE_MESSAGE)
				t = "message";
			else if (k->ct_type == MAILMIME_COMPOSITE_TYPE_MULTIPART)
				t = "multipart";
			else
				t = k->ct_token ? k->ct_token : "application";
		}
	}
	const char *s = ct && ct->ct_subtype ? ct->ct_subtype : "plain";
	char *r = xasprintf("%s/%s", t, s);
	str_lower(r);
	return r;
}

/* param_simple - a plain parameter, lowercased or uppercased copy; NULL if absent */
static char *param_simple(const struct mailmime_content *ct, const char *name, int upper)
{
	if (ct == NULL)
		return NULL;
	const char *v = mailmime_content_param_get((struct mailmime_content *)ct, (char *)name);
	if (v == NULL)
		return NULL;
	char *d = xstrdup(v);
	char *t = str_trim(d);
	size_t tl = strlen(t);
	if (tl >= 2 && t[0] == '"' && t[tl - 1] == '"') {
		t[tl - 1] = '\0';
		t++;
	}
	char *r = xstrdup(t);
	free(d);
	for (char *q = r; *q; q++) {
		if (upper && *q >= 'a' && *q <= 'z')
			*q = (char)(*q - 'a' + 'A');
		else if (!upper && *q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	}
	if (*r == '\0') {
		free(r);
		return NULL;
	}
	return r;
}

/* in_input - the range lies inside what libetpan was given */
static int in_input(const struct pctx *c, const char *p, size_t n)
{
	if (p == NULL)
		return n == 0;
	if (p < c->tree || p > c->tree + c->tree_len)
		return 0;
	return n <= (size_t)(c->tree + c->tree_len - p);
}

/* copy_off - where a place in tree came from in copy (the top-level
   fields all map to 0) */
static size_t copy_off(const struct pctx *c, const char *p)
{
	size_t o = (size_t)(p - c->tree);
	return o < c->tree_hdr ? 0 : o - c->tree_hdr + c->body_start;
}

/* new_part - a zeroed part at the end of msg->parts */
static struct mail_part *new_part(struct pctx *c)
{
	struct mail_msg *m = c->m;
	if ((size_t)m->nparts == c->capparts) {
		c->capparts = c->capparts ? c->capparts * 2 : 8;
		m->parts = xreallocarray(m->parts, c->capparts, sizeof(*m->parts));
	}
	struct mail_part *p = &m->parts[m->nparts++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* decode_body - transfer decoding of a leaf's body into out (raw bytes) */
static int decode_body(struct pctx *c, const struct mailmime_data *d, struct buf *out,
		       const char **p_r, size_t *n_r)
{
	*p_r = "";
	*n_r = 0;
	if (d == NULL || d->dt_type != MAILMIME_DATA_TEXT)
		return 0;
	const char *p = d->dt_data.dt_text.dt_data;
	size_t n = d->dt_data.dt_text.dt_length;
	if (!in_input(c, p, n)) {
		problem(c, "MIME part outside the message ignored");
		return -1;
	}
	if (n == 0)
		return 0;
	switch (d->dt_encoding) {
	case MAILMIME_MECHANISM_BASE64: {
		size_t idx = 0, olen = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)p[i];
			if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/' || ch == '=' ||
			      ch == '\r' || ch == '\n' || ch == ' ' || ch == '\t')) {
				problem(c, "invalid base64 characters skipped");
				break;
			}
		}
		char *o = NULL;
		if (mailmime_part_parse(p, n, &idx, MAILMIME_MECHANISM_BASE64, &o, &olen) ==
		    MAILIMF_NO_ERROR && o) {
			if (buf_append(out, o, olen) < 0)
				problem(c, "MIME part cut at the size limit");
			mmap_string_unref(o);
		} else {
			problem(c, "base64 part could not be decoded");
		}
		break;
	}
	case MAILMIME_MECHANISM_QUOTED_PRINTABLE:
		qp_decode(p, n, out);
		break;
	default:
		/* identity: read in place */
		*p_r = p;
		*n_r = n;
		return 0;
	}
	*p_r = buf_cstr(out);
	*n_r = out->len;
	return 0;
}

enum vmode {
	V_BODY,         /* may supply the body */
	V_ALT,          /* an alternative beside the chosen one */
	V_NONE,
};

/* is_attachment - disposition attachment, or a filename; *filename_r set either way */
static int is_attachment(struct pctx *c, const struct mailmime_disposition *d, const struct kv *kv,
			 size_t nkv, const struct kv *dkv, size_t ndkv, char **filename_r)
{
	char *fn = param_value(c, dkv, ndkv, "filename");
	if (fn == NULL)
		fn = param_value(c, kv, nkv, "name");
	*filename_r = fn;
	if (d && d->dsp_type && d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
		return 1;
	return fn != NULL && *fn != '\0';
}

/* type_in - t is one of the list */
static int type_in(const char *t, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t, list[i]) == 0)
			return 1;
	return 0;
}

static const char *const report_types[] = {
	"message/delivery-status", "message/global-delivery-status",
	"message/feedback-report", "message/disposition-notification",
	"message/global-disposition-notification",
};
static const char *const message_types[] = {
	"message/rfc822", "message/global", "text/rfc822-headers",
	"message/rfc822-headers", "message/global-headers",
};

/* add_leaf - one leaf part: decode, convert, classify */
static void add_leaf(struct pctx *c, const struct mailmime *mm, int depth, enum vmode mode,
		     const struct mailmime_data *body, const char *force_type, int bare)
{
	if ((size_t)c->m->nparts >= c->lim->max_parts) {
		if (!c->stop_parts)
			problem(c, "more than %zu MIME parts: the rest is ignored", c->lim->max_parts);
		c->stop_parts = 1;
		return;
	}
	/* bare: the part has no header fields of its own */
	const struct mailmime_content *ct = bare ? NULL : mm->mm_content_type;
	const struct mailmime_disposition *disp = bare ? NULL : disposition(mm);
	struct kv kv[64], dkv[64];
	size_t nkv = ct_params(ct, kv, 64);
	size_t ndkv = disp_params(disp, dkv, 64);
	char *type = force_type ? xstrdup(force_type) : content_type_str(ct);
	int guarded = 0;
	if (body && in_input(c, mm->mm_mime_start, 0) && in_input(c, body->dt_data.dt_text.dt_data, 0) &&
	    body->dt_data.dt_text.dt_data >= mm->mm_mime_start)
		guarded = guard_in(c, copy_off(c, mm->mm_mime_start),
				   copy_off(c, body->dt_data.dt_text.dt_data));
	if (guarded == G_DEPTH) {
		free(type);
		type = xstrdup("application/octet-stream");
	}

	struct mail_part *p = new_part(c);
	p->content_type = type;
	p->depth = depth;
	p->charset = param_simple(ct, "charset", 0);
	char *fn = NULL;
	int attach = is_attachment(c, disp, kv, nkv, dkv, ndkv, &fn);
	p->filename = fn;

	struct buf raw;
	const char *bp;
	size_t bn;
	buf_init(&raw, c->out_max);
	decode_body(c, body, &raw, &bp, &bn);

	int is_text = strncmp(type, "text/", 5) == 0 && guarded != G_DEPTH;
	if (type_in(type, report_types, sizeof(report_types) / sizeof(*report_types)))
		p->role = MAIL_PART_REPORT;
	else if (type_in(type, message_types, sizeof(message_types) / sizeof(*message_types)))
		p->role = MAIL_PART_MESSAGE;
	else if (strcmp(type, "text/calendar") == 0 || strcmp(type, "application/ics") == 0) {
		p->role = MAIL_PART_CALENDAR;
		p->method = param_simple(ct, "method", 1);
		is_text = 1;
	} else if (strcmp(type, "text/plain") == 0 && !attach && guarded != G_DEPTH)
		p->role = mode == V_BODY ? MAIL_PART_BODY_TEXT : MAIL_PART_OTHER_TEXT;
	else if (strcmp(type, "text/html") == 0 && !attach)
		p->role = mode == V_NONE ? MAIL_PART_OTHER_TEXT : MAIL_PART_BODY_HTML;
	else if (is_text && !attach)
		p->role = MAIL_PART_OTHER_TEXT;
	else
		p->role = MAIL_PART_ATTACHMENT;

	if (is_text) {
		struct buf u;
		buf_init(&u, c->out_max);
		enum charset_outcome o = charset_to_utf8(p->charset, bp, bn, &u);
		charset_problem(c, o, p->charset, "text part");
		char *fmt = strcmp(type, "text/plain") == 0 ? param_simple(ct, "format", 0) : NULL;
		if (fmt && strcmp(fmt, "flowed") == 0) {
			struct buf t;
			buf_init(&t, c->out_max);
			char *delsp = param_simple(ct, "delsp", 0);
			flowed_unwrap(buf_cstr(&u), u.len, delsp && strcmp(delsp, "yes") == 0, &t);
			free(delsp);
			buf_free(&u);
			u = t;
		} else if (strcmp(type, "text/plain") == 0 && u.len && memchr(u.data, '\r', u.len)) {
			struct buf t;
			buf_init(&t, c->out_max);
			flowed_fixed(buf_cstr(&u), u.len, &t);
			buf_free(&u);
			u = t;
		}
		free(fmt);
		p->data = buf_steal(&u, &p->len);
	} else if (bp == raw.data) {
		p->data = buf_steal(&raw, &p->len);
	} else {
		p->data = xmemdup0(bn ? bp : "", bn);
		p->len = bn;
	}
	buf_free(&raw);
}

/* has_type - a leaf of this type (not an attachment) below mm */
static int has_type(const struct mailmime *mm, const char *want, int depth)
{
	if (mm == NULL || depth > 64)
		return 0;
	if (mm->mm_type == MAILMIME_MULTIPLE) {
		if (mm->mm_data.mm_multipart.mm_mp_list == NULL)
			return 0;
		for (clistiter *it = clist_begin(mm->mm_data.mm_multipart.mm_mp_list); it; it = clist_next(it))
			if (has_type(clist_content(it), want, depth + 1))
				return 1;
		return 0;
	}
	if (mm->mm_type != MAILMIME_SINGLE)
		return 0;
	char *t = content_type_str(mm->mm_content_type);
	int r = strcmp(t, want) == 0;
	free(t);
	const struct mailmime_disposition *d = disposition(mm);
	if (d && d->dsp_type && d->dsp_type->dsp_type == MAILMIME_DISPOSITION_TYPE_ATTACHMENT)
		r = 0;
	return r;
}

/* parent_boundary - the boundary of the multipart holding mm, as libetpan
   uses it; NULL if none */
static const char *parent_boundary(const struct mailmime *mm, size_t *len_r)
{
	const struct mailmime *par = mm->mm_parent;
	if (par == NULL || par->mm_type != MAILMIME_MULTIPLE || par->mm_content_type == NULL)
		return NULL;
	const char *b = mailmime_content_param_get(par->mm_content_type, "boundary");
	if (b == NULL)
		return NULL;
	size_t bl = strlen(b);
	if (b[0] == '"' && bl >= 2) {
		b++;
		bl -= 2;
	}
	*len_r = bl;
	return b;
}

/* close_artifact - "--b\n\n--b--": libetpan's blank-line skipping eats the
   line end the close delimiter needs and makes a part of the delimiter */
static int close_artifact(const struct pctx *c, const struct mailmime *mm)
{
	size_t bl;
	const char *b = parent_boundary(mm, &bl);
	const char *p = mm->mm_mime_start;
	if (b == NULL || p == NULL || !in_input(c, p, bl + 4))
		return 0;
	return p[0] == '-' && p[1] == '-' && memcmp(p + 2, b, bl) == 0 && p[2 + bl] == '-' &&
	       p[3 + bl] == '-';
}

/* headerless - libetpan skips the blank lines after a boundary line, so a
   part without header fields whose text starts like one ("Note: ...") is
   read with those lines as fields. Such a part starts after the
   delimiter line and a blank line; *start_r is where its body begins. */
static int headerless(const struct pctx *c, const struct mailmime *mm, const char **start_r)
{
	size_t bl;
	const char *b = parent_boundary(mm, &bl);
	if (b == NULL || mm->mm_mime_start == NULL || !in_input(c, mm->mm_mime_start, 0))
		return 0;
	const char *q = mm->mm_mime_start, *lo = c->tree, *after = NULL;
	while (q > lo && q[-1] == '\n') {
		const char *e = q - 1;
		const char *ls = e;
		while (ls > lo && ls[-1] != '\n')
			ls--;
		int blank = 1;
		for (const char *k = ls; k < e && blank; k++)
			if (*k != ' ' && *k != '\t' && *k != '\r')
				blank = 0;
		if (!blank) {
			if (after && (size_t)(e - ls) >= 2 + bl && ls[0] == '-' && ls[1] == '-' &&
			    memcmp(ls + 2, b, bl) == 0) {
				*start_r = after;
				return 1;
			}
			return 0;
		}
		after = q;
		q = ls;
	}
	return 0;
}

/* recover_parts - libetpan 1.9.4 drops every part of a multipart when one
   part is empty or the message ends in a bare delimiter line (a cut-off
   message). Split the body on the boundary here and let libetpan parse
   each part on its own; the extra trees are freed with the message. */
static int recover_parts(struct pctx *c, const struct mailmime *mm, const struct mailmime ***kids)
{
	const struct mailmime_data *d = mm->mm_body;
	if (d == NULL || mm->mm_content_type == NULL ||
	    !in_input(c, d->dt_data.dt_text.dt_data, d->dt_data.dt_text.dt_length))
		return 0;
	const char *b = mailmime_content_param_get(mm->mm_content_type, "boundary");
	if (b == NULL || *b == '\0')
		return 0;
	size_t bl = strlen(b);
	if (b[0] == '"' && bl >= 2) {
		b++;
		bl -= 2;
	}
	const char *p = d->dt_data.dt_text.dt_data, *end = p + d->dt_data.dt_text.dt_length;
	const char *part = NULL;
	int n = 0;
	for (const char *line = p; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		int delim = 0, close = 0;
		if ((size_t)(le - line) >= 2 + bl && line[0] == '-' && line[1] == '-' &&
		    memcmp(line + 2, b, bl) == 0) {
			const char *r = line + 2 + bl;
			if (le - r >= 2 && r[0] == '-' && r[1] == '-') {
				close = 1;
			} else {
				delim = 1;
				for (; r < le; r++)
					if (!is_wsp(*r) && *r != '\r')
						delim = 0;
			}
		}
		if ((delim || close) && part) {
			const char *pe = line;
			if (pe > part && pe[-1] == '\n')
				pe--;
			if (pe > part && pe[-1] == '\r')
				pe--;
			struct mailmime *sub = NULL;
			size_t idx = 0;
			if (!blank(part, (size_t)(pe - part)) && (size_t)c->nextra < c->lim->max_parts &&
			    mailmime_parse(part, (size_t)(pe - part), &idx, &sub) == MAILIMF_NO_ERROR && sub) {
				c->extra = xreallocarray(c->extra, (size_t)c->nextra + 1, sizeof(*c->extra));
				c->extra[c->nextra++] = sub;
				if (sub->mm_type == MAILMIME_MESSAGE && sub->mm_data.mm_message.mm_msg_mime) {
					*kids = xreallocarray(*kids, (size_t)n + 1, sizeof(**kids));
					(*kids)[n++] = sub->mm_data.mm_message.mm_msg_mime;
				}
			}
		}
		if (close)
			break;
		if (delim)
			part = nl ? nl + 1 : end;
		line = nl ? nl + 1 : end;
	}
	if (n)
		problem(c, "multipart parts recovered after an empty part or a cut-off end");
	return n;
}

/* visit - a node of the tree, in document order */
static void visit(struct pctx *c, const struct mailmime *mm, int depth, enum vmode mode)
{
	if (mm == NULL || c->stop_parts)
		return;
	if ((size_t)depth > c->lim->max_depth + 1) {
		/* deeper than the guard let through: keep it whole */
		add_leaf(c, mm, depth, V_NONE, mm->mm_body, "application/octet-stream", 0);
		return;
	}
	if (close_artifact(c, mm))
		return;
	const char *hl;
	if (mm->mm_type != MAILMIME_MULTIPLE && headerless(c, mm, &hl)) {
		/* read it as RFC 2046 says: no fields, the default type */
		const struct mailmime_data *b = mm->mm_body;
		struct mailmime_data whole;
		memset(&whole, 0, sizeof(whole));
		whole.dt_type = MAILMIME_DATA_TEXT;
		whole.dt_encoding = MAILMIME_MECHANISM_8BIT;
		whole.dt_data.dt_text.dt_data = hl;
		if (b && in_input(c, b->dt_data.dt_text.dt_data, b->dt_data.dt_text.dt_length) &&
		    b->dt_data.dt_text.dt_data + b->dt_data.dt_text.dt_length >= hl)
			whole.dt_data.dt_text.dt_length = (size_t)(b->dt_data.dt_text.dt_data +
							     b->dt_data.dt_text.dt_length - hl);
		const struct mailmime_content *pct = mm->mm_parent->mm_content_type;
		int digest = pct && pct->ct_subtype && str_casecmp(pct->ct_subtype, "digest") == 0;
		add_leaf(c, mm, depth, digest ? V_NONE : mode, &whole,
			 digest ? "message/rfc822" : "text/plain", 1);
		return;
	}
	switch (mm->mm_type) {
	case MAILMIME_SINGLE:
		add_leaf(c, mm, depth, mode, mm->mm_data.mm_single ? mm->mm_data.mm_single : mm->mm_body,
			 NULL, 0);
		break;
	case MAILMIME_MESSAGE:
		/* an enclosed message stays whole: its headers and body raw */
		add_leaf(c, mm, depth, V_NONE, mm->mm_body, "message/rfc822", 0);
		break;
	case MAILMIME_MULTIPLE: {
		char *type = content_type_str(mm->mm_content_type);
		clist *l = mm->mm_data.mm_multipart.mm_mp_list;
		const struct mailmime_data *pre = mm->mm_data.mm_multipart.mm_preamble;
		const struct mailmime_data *epi = mm->mm_data.mm_multipart.mm_epilogue;
		/* never read, only checked: libetpan 1.9.4 sets a preamble
		   length near 2^64 when no boundary line is found */
		if ((pre && !in_input(c, pre->dt_data.dt_text.dt_data, pre->dt_data.dt_text.dt_length)) ||
		    (epi && !in_input(c, epi->dt_data.dt_text.dt_data, epi->dt_data.dt_text.dt_length)))
			problem(c, "%s without a boundary line", type);
		if (strcmp(type, "multipart/report") == 0 && !c->chose_report) {
			c->chose_report = 1;
			free(c->m->report_type);
			c->m->report_type = param_simple(mm->mm_content_type, "report-type", 0);
		}
		const struct mailmime **kids = NULL;
		int nk = 0;
		for (clistiter *it = l ? clist_begin(l) : NULL; it; it = clist_next(it)) {
			kids = xreallocarray(kids, (size_t)nk + 1, sizeof(*kids));
			kids[nk++] = clist_content(it);
		}
		if (nk == 0)
			nk = recover_parts(c, mm, &kids);
		if (nk == 0) {
			const struct mailmime_data *b = mm->mm_body;
			if (b && in_input(c, b->dt_data.dt_text.dt_data, b->dt_data.dt_text.dt_length) &&
			    !blank(b->dt_data.dt_text.dt_data, b->dt_data.dt_text.dt_length)) {
				problem(c, "%s without parts read as text", type);
				add_leaf(c, mm, depth, mode, b, "text/plain", 0);
			}
			free(type);
			free(kids);
			return;
		}
		int chosen = -1;
		if (strcmp(type, "multipart/alternative") == 0) {
			for (int i = 0; i < nk && chosen < 0; i++)
				if (has_type(kids[i], "text/plain", 0))
					chosen = i;
			for (int i = 0; i < nk && chosen < 0; i++)
				if (has_type(kids[i], "text/html", 0))
					chosen = i;
			if (chosen < 0)
				chosen = 0;
		}
		int report = strcmp(type, "multipart/report") == 0;
		for (int i = 0; i < nk; i++) {
			enum vmode cm = mode;
			if (chosen >= 0 && i != chosen)
				cm = mode == V_BODY ? V_ALT : V_NONE;
			if (report && i > 0)
				cm = V_NONE;
			visit(c, kids[i], depth + 1, cm);
		}
		free(kids);
		free(type);
		break;
	}
	default:
		break;
	}
}


/* make_text - msg->text from the body parts, msg->html from the first html */
static void make_text(struct pctx *c)
{
	struct mail_msg *m = c->m;
	struct buf t;
	buf_init(&t, c->out_max);
	for (int i = 0; i < m->nparts; i++) {
		const struct mail_part *p = &m->parts[i];
		if (p->role != MAIL_PART_BODY_TEXT)
			continue;
		/* parts meet at a line break of their own */
		if (t.len)
			buf_putc(&t, '\n');
		buf_append(&t, p->data, p->len);
	}
	for (int i = 0; i < m->nparts; i++) {
		if (m->parts[i].role == MAIL_PART_BODY_HTML) {
			m->html = xmemdup0(m->parts[i].data, m->parts[i].len);
			break;
		}
	}
	if (blank(buf_cstr(&t), t.len) && m->html) {
		buf_reset(&t);
		for (int i = 0; i < m->nparts; i++) {
			const struct mail_part *p = &m->parts[i];
			if (p->role != MAIL_PART_BODY_HTML)
				continue;
			if (html_to_text(p->data, p->len, &t) < 0)
				problem(c, "HTML part could not be read");
			m->text_from_html = 1;
		}
		if (t.overflowed)
			problem(c, "text cut at the size limit");
	}
	m->text = buf_steal(&t, NULL);
	/* text is a C string: no NUL inside (charset_to_utf8 keeps them out) */
}

/* ---------------------------------------------------------------- */

/* free_addr - an address's two strings */
static void free_addr(struct mail_addr *a)
{
	free(a->name);
	free(a->addr);
	a->name = a->addr = NULL;
}

/* mail_msg_free - every field, then the view */
void mail_msg_free(struct mail_msg **mp)
{
	struct mail_msg *m = mp ? *mp : NULL;
	if (m == NULL)
		return;
	free(m->message_id);
	free(m->in_reply_to);
	free_strv(m->references, m->nreferences);
	free(m->subject);
	free_addr(&m->from);
	free_addr(&m->reply_to);
	free_addr(&m->sender);
	for (int i = 0; i < m->nto; i++)
		free_addr(&m->to[i]);
	free(m->to);
	for (int i = 0; i < m->ncc; i++)
		free_addr(&m->cc[i]);
	free(m->cc);
	for (int i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->text);
	free(m->html);
	for (int i = 0; i < m->nparts; i++) {
		struct mail_part *p = &m->parts[i];
		free(p->content_type);
		free(p->charset);
		free(p->filename);
		free(p->method);
		free(p->data);
	}
	free(m->parts);
	free(m->content_type);
	free(m->report_type);
	free(m->problem);
	free(m);
	*mp = NULL;
}

/* mail_cleanup - the per-thread iconv cache */
void mail_cleanup(void)
{
	charset_cache_clear();
}

/* etpan_charconv - libetpan's conversions to UTF-8 (it decodes every
   Content-Type value and header phrase) through our converters: the same
   fallbacks as the rest of the parser, and no iconv_open() per call */
static int etpan_charconv(const char *tocode, const char *fromcode, const char *str,
			  size_t length, char *result, size_t *result_len)
{
	if (str_casecmp(tocode, "utf-8") != 0 && str_casecmp(tocode, "utf8") != 0)
		return MAIL_CHARCONV_ERROR_UNKNOWN_CHARSET;
	struct buf b;
	buf_init(&b, *result_len ? *result_len : 1);
	charset_to_utf8(fromcode, str, length, &b);
	if (b.overflowed) {
		buf_free(&b);
		return MAIL_CHARCONV_ERROR_MEMORY;
	}
	if (b.len)
		memcpy(result, b.data, b.len);
	*result_len = b.len;
	buf_free(&b);
	return MAIL_CHARCONV_NO_ERROR;
}

static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

/* install_hook - once per process (pthread_once) */
static void install_hook(void)
{
	extended_charconv = etpan_charconv;
}

/* mail_parse - copy, guard, parse, walk (see the top of this file) */
int mail_parse(const char *raw, size_t len, const struct mail_limits *lim_in,
	       struct mail_msg **msg_r, const char **error_r)
{
	pthread_once(&hook_once, install_hook);
	struct mail_limits deflim;
	const struct mail_limits *lim = lim_in;
	const char *dummy;
	if (error_r == NULL)
		error_r = &dummy;
	*msg_r = NULL;
	if (lim == NULL) {
		mail_limits_default(&deflim);
		lim = &deflim;
	}
	if (raw == NULL && len > 0) {
		*error_r = "no message";
		return -1;
	}
	if (len > lim->max_size) {
		*error_r = "message larger than the limit";
		return -1;
	}

	struct pctx c;
	memset(&c, 0, sizeof(c));
	c.lim = lim;
	c.m = xcalloc(1, sizeof(*c.m));
	c.out_max = lim->max_size * 4 + 4096;

	/* an mbox "From " line is not a header */
	size_t skip = 0;
	if (len > 5 && memcmp(raw, "From ", 5) == 0) {
		const char *nl = memchr(raw, '\n', len);
		skip = nl ? (size_t)(nl - raw) + 1 : len;
	}
	c.len = len - skip;
	c.copy = xmalloc(c.len + 1);
	if (c.len)
		memcpy(c.copy, raw + skip, c.len);
	c.copy[c.len] = '\0';
	if (memchr(c.copy, '\0', c.len)) {
		for (size_t i = 0; i < c.len; i++)
			if (c.copy[i] == '\0')
				c.copy[i] = ' ';
		problem(&c, "NUL bytes replaced by spaces");
	}

	if (guard_input(&c, error_r) < 0) {
		free(c.copy);
		free(c.guards);
		mail_msg_free(&c.m);
		return -1;
	}

	/* libetpan reads the MIME fields and the body; the other fields are
	   read one by one (read_envelope) */
	size_t hend;
	if (header_block(&c, &hend, &c.body_start) > lim->max_headers) {
		*error_r = "more header fields than the limit";
		free(c.copy);
		free(c.guards);
		mail_msg_free(&c.m);
		return -1;
	}
	struct buf tree;
	buf_init(&tree, c.len + 2);
	read_headers(&c, hend, &tree);
	read_envelope(&c);
	buf_putc(&tree, '\n');
	c.tree_hdr = tree.len;
	buf_append(&tree, c.copy + c.body_start, c.len - c.body_start);
	c.tree = buf_steal(&tree, &c.tree_len);

	struct mailmime *root = NULL;
	size_t idx = 0;
	int r = mailmime_parse(c.tree, c.tree_len, &idx, &root);
	if (r != MAILIMF_NO_ERROR || root == NULL) {
		/* libetpan gives up only when out of memory */
		root = NULL;
		problem(&c, "MIME structure unreadable (libetpan error %d)", r);
	}
	const struct mailmime *top = root && root->mm_type == MAILMIME_MESSAGE ?
				     root->mm_data.mm_message.mm_msg_mime : NULL;
	if (top) {
		c.m->content_type = content_type_str(top->mm_content_type);
		visit(&c, top, 0, V_BODY);
	} else {
		c.m->content_type = xstrdup("text/plain");
		if (c.body_start < c.len) {
			struct mail_part *p = new_part(&c);
			struct buf u;
			buf_init(&u, c.out_max);
			struct buf t;
			buf_init(&t, c.out_max);
			charset_problem(&c, charset_to_utf8(NULL, c.copy + c.body_start,
							    c.len - c.body_start, &u), NULL, "body");
			flowed_fixed(buf_cstr(&u), u.len, &t);
			buf_free(&u);
			p->role = MAIL_PART_BODY_TEXT;
			p->content_type = xstrdup("text/plain");
			p->data = buf_steal(&t, &p->len);
		}
	}
	make_text(&c);

	for (int i = 0; i < c.nextra; i++)
		mailmime_free(c.extra[i]);
	free(c.extra);
	if (root)
		mailmime_free(root);
	free(c.tree);
	free(c.copy);
	free(c.guards);
	for (int i = 0; i < c.nenv; i++)
		free(c.env[i].raw);
	*msg_r = c.m;
	return 0;
}
