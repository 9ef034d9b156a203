#include "config.h"
#include "mail/charset.h"
#include "lib/utf8.h"
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Charset families: the three everyday ones are converted here without
   iconv (they are most of the mail and need heuristics anyway); the rest go
   through a small per-thread cache of iconv descriptors, because
   iconv_open() costs far more than converting a short text. */
enum family {
	FAM_ASCII,      /* us-ascii or no charset: 8-bit bytes are UTF-8 or 1252 */
	FAM_UTF8,
	FAM_1252,       /* iso-8859-1 and windows-1252: read as windows-1252 */
	FAM_ICONV,
	FAM_UNKNOWN,
};

#define CS_NAME_MAX 48

struct alias {
	const char *label;
	const char *target;     /* iconv name, or "" for FAM_UNKNOWN */
};

/* Labels seen in mail that iconv does not know, or that name a subset of
   what the senders really use (the WHATWG encoding standard does the same). */
static const struct alias aliases[] = {
	{ "iso-8859-8-i", "ISO-8859-8" }, { "iso-8859-8-e", "ISO-8859-8" },
	{ "iso_8859-8-i", "ISO-8859-8" }, { "iso-8859-6-i", "ISO-8859-6" },
	{ "iso-8859-6-e", "ISO-8859-6" },
	{ "ks_c_5601-1987", "CP949" }, { "ks_c_5601", "CP949" }, { "ksc5601", "CP949" },
	{ "euc-kr", "CP949" }, { "x-windows-949", "CP949" }, { "windows-949", "CP949" },
	{ "korean", "CP949" },
	{ "gb2312", "GB18030" }, { "gbk", "GB18030" }, { "x-gbk", "GB18030" },
	{ "gb_2312-80", "GB18030" }, { "csgb2312", "GB18030" }, { "cp936", "GB18030" },
	{ "euc-cn", "GB18030" }, { "x-euc-cn", "GB18030" }, { "chinese", "GB18030" },
	{ "big5", "BIG5-HKSCS" }, { "big-5", "BIG5-HKSCS" }, { "x-x-big5", "BIG5-HKSCS" },
	{ "cn-big5", "BIG5-HKSCS" }, { "csbig5", "BIG5-HKSCS" },
	{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
	{ "x-sjis", "CP932" }, { "ms_kanji", "CP932" }, { "csshiftjis", "CP932" },
	{ "windows-31j", "CP932" }, { "x-euc-jp", "EUC-JP" },
	{ "iso-2022-jp", "ISO-2022-JP-2" },
	{ "unicode-1-1-utf-7", "UTF-7" }, { "x-unicode-2-0-utf-7", "UTF-7" },
	{ "csunicode11utf7", "UTF-7" },
	{ "tis-620", "CP874" }, { "windows-874", "CP874" }, { "iso-8859-11", "CP874" },
	{ "x-mac-roman", "MACINTOSH" }, { "mac", "MACINTOSH" },
	{ "x-user-defined", "" }, { "unknown-8bit", "" }, { "x-unknown", "" },
	{ "unknown", "" }, { "binary", "" },
};

static const char *const ascii_labels[] = {
	"us-ascii", "ascii", "us", "ansi_x3.4-1968", "iso646-us", "iso-ir-6",
	"cp367", "ibm367", "csascii", "default", "7bit", "8bit",
};
static const char *const utf8_labels[] = {
	"utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode-2-0-utf-8",
};
static const char *const latin1_labels[] = {
	"iso-8859-1", "iso8859-1", "iso_8859-1", "iso_8859-1:1987", "latin1", "latin-1",
	"l1", "cp819", "ibm819", "iso-ir-100", "csisolatin1", "windows-1252", "cp1252",
	"x-cp1252", "cp-1252", "win-1252", "iso-8859-15", "latin9", "iso8859-15",
};

/* windows-1252 0x80..0x9f; the five holes map to the C1 code points */
static const uint16_t cp1252_high[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
};

struct cache_ent {
	char name[CS_NAME_MAX];
	iconv_t cd;             /* (iconv_t)-1: iconv does not know it */
	int used;
};

#define CACHE_SIZE 8
static _Thread_local struct cache_ent cache[CACHE_SIZE];
static _Thread_local unsigned cache_next;

/* is_in - label in a list of names */
static int is_in(const char *label, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(label, list[i]) == 0)
			return 1;
	return 0;
}

/* normalize - lowercase label without quotes, blanks or a "*lang" tail */
static void normalize(const char *cs, char *out, size_t outsz)
{
	size_t n = 0;
	if (cs == NULL) {
		out[0] = '\0';
		return;
	}
	while (*cs == ' ' || *cs == '\t' || *cs == '"' || *cs == '\'')
		cs++;
	for (; *cs && *cs != '*' && *cs != '"' && *cs != '\'' && *cs != ' ' &&
	       *cs != ';' && n + 1 < outsz; cs++) {
		char c = *cs;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		out[n++] = c;
	}
	out[n] = '\0';
}

/* classify - the family of a normalized label, and the iconv name for FAM_ICONV */
static enum family classify(const char *label, const char **iconv_name_r)
{
	*iconv_name_r = label;
	if (label[0] == '\0' || is_in(label, ascii_labels, sizeof(ascii_labels) / sizeof(*ascii_labels)))
		return FAM_ASCII;
	if (is_in(label, utf8_labels, sizeof(utf8_labels) / sizeof(*utf8_labels)))
		return FAM_UTF8;
	if (is_in(label, latin1_labels, sizeof(latin1_labels) / sizeof(*latin1_labels))) {
		/* XXX iso-8859-15 differs from 1252 in eight letters; its users
		   send 1252 more often than not, and the euro sign is the one
		   that matters: map 0xa4 specially below */
		return FAM_1252;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(*aliases); i++) {
		if (strcmp(label, aliases[i].label) == 0) {
			if (aliases[i].target[0] == '\0')
				return FAM_UNKNOWN;
			*iconv_name_r = aliases[i].target;
			return FAM_ICONV;
		}
	}
	return FAM_ICONV;
}

/* cache_get - an iconv descriptor to UTF-8 from name, (iconv_t)-1 if none */
static iconv_t cache_get(const char *name)
{
	for (int i = 0; i < CACHE_SIZE; i++) {
		if (cache[i].used && strcmp(cache[i].name, name) == 0) {
			if (cache[i].cd != (iconv_t)-1)
				iconv(cache[i].cd, NULL, NULL, NULL, NULL);
			return cache[i].cd;
		}
	}
	struct cache_ent *e = &cache[cache_next++ % CACHE_SIZE];
	if (e->used && e->cd != (iconv_t)-1)
		iconv_close(e->cd);
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->cd = iconv_open("UTF-8", name);
	e->used = 1;
	return e->cd;
}

/* charset_cache_clear - close and forget the cached descriptors */
void charset_cache_clear(void)
{
	for (int i = 0; i < CACHE_SIZE; i++) {
		if (cache[i].used && cache[i].cd != (iconv_t)-1)
			iconv_close(cache[i].cd);
		cache[i].used = 0;
		cache[i].cd = (iconv_t)-1;
	}
	cache_next = 0;
}

struct scan {
	int high;       /* bytes >= 0x80 */
	int nul;        /* NUL bytes */
	int valid;      /* valid UTF-8 */
	int multi;      /* at least one valid multi-byte sequence */
};

/* scan_text - one pass over the bytes: what kind of text is this */
static void scan_text(const char *in, size_t len, struct scan *s)
{
	const unsigned char *u = (const unsigned char *)in;
	size_t i = 0;
	s->high = s->nul = s->multi = 0;
	s->valid = 1;
	while (i < len) {
		/* fast path: eight plain ASCII bytes without NUL at a time */
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, u + i, 8);
			if ((w & 0x8080808080808080ULL) == 0 &&
			    ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) == 0) {
				i += 8;
				continue;
			}
		}
		if (u[i] == 0) {
			s->nul = 1;
			i++;
		} else if (u[i] < 0x80) {
			i++;
		} else {
			s->high = 1;
			size_t l = utf8_valid_prefix(in + i, len - i);
			if (l == 0) {
				s->valid = 0;
				i++;
			} else {
				s->multi = 1;
				i += l;
			}
		}
	}
}

struct out {
	struct buf *b;
	char chunk[4096];
	size_t n;
	int full;       /* the buffer refused an append */
};

/* out_flush - the chunk to the buffer (once full, nothing more goes in) */
static void out_flush(struct out *o)
{
	if (o->n && !o->full && buf_append(o->b, o->chunk, o->n) < 0)
		o->full = 1;
	o->n = 0;
}

/* out_byte - one byte through the chunk */
static inline void out_byte(struct out *o, char c)
{
	if (o->n == sizeof(o->chunk))
		out_flush(o);
	o->chunk[o->n++] = c;
}

/* out_cp - one code point as UTF-8 through the chunk */
static inline void out_cp(struct out *o, uint32_t cp)
{
	if (o->n + 4 > sizeof(o->chunk))
		out_flush(o);
	o->n += utf8_encode(cp, o->chunk + o->n);
}

/* copy_utf8 - copy UTF-8, turning bad bytes and NUL into U+FFFD */
static void copy_utf8(struct out *o, const char *in, size_t len, const struct scan *s)
{
	if (s->valid && !s->nul) {
		out_flush(o);
		if (!o->full && buf_append(o->b, in, len) < 0)
			o->full = 1;
		return;
	}
	size_t i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)in[i];
		if (c && c < 0x80) {
			out_byte(o, (char)c);
			i++;
			continue;
		}
		size_t l = c ? utf8_valid_prefix(in + i, len - i) : 0;
		if (l == 0) {
			out_cp(o, 0xfffd);
			i++;
		} else {
			for (size_t k = 0; k < l; k++)
				out_byte(o, in[i + k]);
			i += l;
		}
	}
}

/* copy_1252 - windows-1252 to UTF-8 (NUL becomes U+FFFD) */
static void copy_1252(struct out *o, const char *in, size_t len, int latin9)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c && c < 0x80) {
			/* a run of plain ASCII in one go */
			size_t j = i + 1;
			while (j < len && (unsigned char)in[j] < 0x80 && in[j])
				j++;
			if (j - i > 16) {
				out_flush(o);
				if (!o->full && buf_append(o->b, in + i, j - i) < 0)
					o->full = 1;
			} else {
				for (size_t k = i; k < j; k++)
					out_byte(o, in[k]);
			}
			i = j - 1;
			continue;
		}
		if (c == 0)
			out_cp(o, 0xfffd);
		else if (c < 0xa0)
			out_cp(o, cp1252_high[c - 0x80]);
		else if (latin9 && c == 0xa4)
			out_cp(o, 0x20ac);
		else
			out_cp(o, c);
	}
}

/* ascii_compatible - whether pure ASCII bytes mean ASCII in this charset */
static int ascii_compatible(const char *name)
{
	static const char *const not[] = { "utf-7", "utf7", "utf-16", "utf-32", "ucs", "iso-2022",
					   "iso2022", "hz", "unicode" };
	char lower[CS_NAME_MAX];
	normalize(name, lower, sizeof(lower));
	for (size_t i = 0; i < sizeof(not) / sizeof(*not); i++)
		if (strncmp(lower, not[i], strlen(not[i])) == 0)
			return 0;
	return 1;
}

/* conv_iconv - through iconv; returns the count of bytes that were bad */
static size_t conv_iconv(struct out *o, iconv_t cd, const char *in, size_t len)
{
	char *ip = (char *)in;
	size_t left = len, bad = 0;
	for (;;) {
		out_flush(o);
		char *op = o->chunk;
		size_t room = sizeof(o->chunk);
		size_t r = iconv(cd, left ? &ip : NULL, left ? &left : NULL, &op, &room);
		o->n = sizeof(o->chunk) - room;
		/* NUL from the source is never passed on */
		for (size_t k = 0; k < o->n; k++)
			if (o->chunk[k] == '\0')
				o->chunk[k] = ' ';
		if (r != (size_t)-1) {
			if (left == 0) {
				/* flush any shift state, then stop */
				out_flush(o);
				op = o->chunk;
				room = sizeof(o->chunk);
				iconv(cd, NULL, NULL, &op, &room);
				o->n = sizeof(o->chunk) - room;
				break;
			}
			continue;
		}
		if (errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL (cut short): one replacement, skip a byte */
		out_cp(o, 0xfffd);
		bad++;
		if (left == 0)
			break;
		ip++;
		left--;
		iconv(cd, NULL, NULL, NULL, NULL);
		if (left == 0)
			break;
	}
	return bad;
}

/* charset_to_utf8 - by family; the worst outcome is returned */
enum charset_outcome charset_to_utf8(const char *charset, const char *in, size_t len,
				     struct buf *b)
{
	char label[CS_NAME_MAX];
	const char *iname;
	struct out o;
	struct scan s;
	enum charset_outcome res = CHARSET_CLEAN;

	o.b = b;
	o.n = 0;
	o.full = 0;
	normalize(charset, label, sizeof(label));
	enum family fam = classify(label, &iname);
	scan_text(in, len, &s);

	switch (fam) {
	case FAM_ASCII:
		if (!s.high) {
			copy_utf8(&o, in, len, &s);
			res = s.nul ? CHARSET_REPLACED : CHARSET_CLEAN;
		} else if (s.valid) {
			copy_utf8(&o, in, len, &s);
			res = CHARSET_WAS_UTF8;
		} else {
			copy_1252(&o, in, len, 0);
			res = CHARSET_WAS_1252;
		}
		break;
	case FAM_UTF8:
		if (s.valid || s.multi) {
			copy_utf8(&o, in, len, &s);
			res = s.valid && !s.nul ? CHARSET_CLEAN : CHARSET_REPLACED;
		} else {
			copy_1252(&o, in, len, 0);
			res = CHARSET_WAS_1252;
		}
		break;
	case FAM_1252:
		if (s.high && s.valid && s.multi) {
			copy_utf8(&o, in, len, &s);
			res = CHARSET_WAS_UTF8;
		} else {
			copy_1252(&o, in, len, strncmp(label, "iso-8859-15", 11) == 0 ||
				  strcmp(label, "latin9") == 0 || strcmp(label, "iso8859-15") == 0);
			res = s.nul ? CHARSET_REPLACED : CHARSET_CLEAN;
		}
		break;
	case FAM_ICONV: {
		if (!s.high && ascii_compatible(iname)) {
			copy_utf8(&o, in, len, &s);
			res = s.nul ? CHARSET_REPLACED : CHARSET_CLEAN;
			break;
		}
		iconv_t cd = cache_get(iname);
		if (cd == (iconv_t)-1) {
			fam = FAM_UNKNOWN;
			goto unknown;
		}
		size_t mark = b->len;
		size_t bad = conv_iconv(&o, cd, in, len);
		if (bad && s.high && s.valid && s.multi) {
			/* the label lies: the bytes are UTF-8 */
			out_flush(&o);
			buf_truncate(b, mark);
			o.n = 0;
			copy_utf8(&o, in, len, &s);
			res = CHARSET_WAS_UTF8;
		} else if (bad) {
			res = CHARSET_REPLACED;
		}
		break;
	}
	case FAM_UNKNOWN:
	unknown:
		if (s.valid)
			copy_utf8(&o, in, len, &s);
		else
			copy_1252(&o, in, len, 0);
		res = CHARSET_UNKNOWN;
		break;
	}
	out_flush(&o);
	if (o.full)
		res = CHARSET_TRUNCATED;
	return res;
}

/* hexval - a hex digit's value, -1 if none */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* b64val - a base64 digit's value (both alphabets), -1 if none */
static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* decode_word_text - B or Q text of an encoded word to bytes */
static void decode_word_text(char enc, const char *t, size_t n, struct buf *raw)
{
	char tmp[256];
	size_t k = 0;
	if (enc == 'b' || enc == 'B') {
		uint32_t acc = 0;
		int bits = 0;
		for (size_t i = 0; i < n; i++) {
			int v = b64val((unsigned char)t[i]);
			if (v < 0)
				continue;
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				tmp[k++] = (char)((acc >> bits) & 0xff);
				if (k == sizeof(tmp)) {
					buf_append(raw, tmp, k);
					k = 0;
				}
			}
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			char c = t[i];
			int h1, h2;
			if (c == '_') {
				c = ' ';
			} else if (c == '=' && i + 2 < n &&
				   (h1 = hexval((unsigned char)t[i + 1])) >= 0 &&
				   (h2 = hexval((unsigned char)t[i + 2])) >= 0) {
				c = (char)(h1 * 16 + h2);
				i += 2;
			}
			tmp[k++] = c;
			if (k == sizeof(tmp)) {
				buf_append(raw, tmp, k);
				k = 0;
			}
		}
	}
	if (k)
		buf_append(raw, tmp, k);
}

/* parse_word - an encoded word at in[0..len): charset span, encoding, text
   span and the total length; 0 if it is not one */
static size_t parse_word(const char *in, size_t len, const char **cs, size_t *cslen,
			 char *enc, const char **txt, size_t *txtlen, size_t dead, size_t *stop_r)
{
	if (len < 8 || in[0] != '=' || in[1] != '?')
		return 0;
	size_t i = 2;
	while (i < len && in[i] != '?' && in[i] != ' ' && in[i] != '\t' && i < 2 + 64)
		i++;
	if (i >= len || in[i] != '?' || i == 2)
		return 0;
	*cs = in + 2;
	*cslen = i - 2;
	if (i + 2 >= len || in[i + 2] != '?')
		return 0;
	char e = in[i + 1];
	if (e != 'b' && e != 'B' && e != 'q' && e != 'Q')
		return 0;
	*enc = e;
	size_t t = i + 3, j = t;
	/* an earlier scan from before t found no "?=" up to dead */
	if (t < dead)
		return 0;
	while (j + 1 < len && !(in[j] == '?' && in[j + 1] == '=')) {
		if (in[j] == ' ' || in[j] == '\t' || in[j] == '\r' || in[j] == '\n') {
			*stop_r = j;
			return 0;
		}
		j++;
	}
	if (j + 1 >= len) {
		*stop_r = len;
		return 0;
	}
	*txt = in + t;
	*txtlen = j - t;
	return j + 2;
}

/* worse - the more serious of two outcomes */
static enum charset_outcome worse(enum charset_outcome a, enum charset_outcome b)
{
	return b > a ? b : a;
}

/* flush_pending - convert the bytes of adjacent encoded words */
static enum charset_outcome flush_pending(struct buf *pend, const char *cs, struct buf *out)
{
	enum charset_outcome r = CHARSET_CLEAN;
	if (pend->len) {
		r = charset_to_utf8(cs, pend->data, pend->len, out);
		buf_reset(pend);
	}
	return r;
}

/* raw_run - header text outside encoded words: each 8-bit word on its own
   is UTF-8 when valid, else windows-1252 (mail clients mix them) */
static enum charset_outcome raw_run(const char *in, size_t len, struct buf *out)
{
	struct scan s;
	scan_text(in, len, &s);
	if (!s.high || s.valid)
		return charset_to_utf8(NULL, in, len, out);
	enum charset_outcome res = CHARSET_CLEAN;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && in[j] != ' ' && in[j] != '\t')
			j++;
		while (j < len && (in[j] == ' ' || in[j] == '\t'))
			j++;
		enum charset_outcome o = charset_to_utf8(NULL, in + i, j - i, out);
		if (o > res)
			res = o;
		i = j;
	}
	return res;
}

/* charset_decode_header - raw runs and encoded words in turn */
enum charset_outcome charset_decode_header(const char *in, size_t len, struct buf *out)
{
	struct buf pend;
	char pend_cs[CS_NAME_MAX] = "";
	enum charset_outcome res = CHARSET_CLEAN;
	size_t start = out->len;
	size_t i = 0, raw_start = 0;
	size_t dead = 0;        /* no "?=" before here from any start before it */
	int last_was_word = 0;

	buf_init(&pend, out->max);
	while (i < len) {
		const char *cs, *txt;
		size_t cslen, txtlen, wl;
		char enc;
		size_t stop = 0;
		if (in[i] != '=' || i + 1 >= len || in[i + 1] != '?' ||
		    (wl = parse_word(in + i, len - i, &cs, &cslen, &enc, &txt, &txtlen,
				     dead > i ? dead - i : 0, &stop)) == 0) {
			if (stop && i + stop > dead)
				dead = i + stop;
			i++;
			continue;
		}
		/* the raw run before this word */
		int blank = 1;
		for (size_t k = raw_start; k < i; k++)
			if (in[k] != ' ' && in[k] != '\t' && in[k] != '\r' && in[k] != '\n')
				blank = 0;
		if (!(blank && last_was_word) && i > raw_start) {
			res = worse(res, flush_pending(&pend, pend_cs, out));
			res = worse(res, raw_run(in + raw_start, i - raw_start, out));
		}
		char label[CS_NAME_MAX];
		char csbuf[CS_NAME_MAX];
		size_t n = cslen < sizeof(csbuf) - 1 ? cslen : sizeof(csbuf) - 1;
		memcpy(csbuf, cs, n);
		csbuf[n] = '\0';
		normalize(csbuf, label, sizeof(label));
		if (strcmp(label, pend_cs) != 0) {
			res = worse(res, flush_pending(&pend, pend_cs, out));
			snprintf(pend_cs, sizeof(pend_cs), "%s", label);
		}
		decode_word_text(enc, txt, txtlen, &pend);
		i += wl;
		raw_start = i;
		last_was_word = 1;
	}
	res = worse(res, flush_pending(&pend, pend_cs, out));
	if (raw_start < len)
		res = worse(res, raw_run(in + raw_start, len - raw_start, out));
	buf_free(&pend);

	/* one line: controls become spaces, then trim */
	if (out->data) {
		char *p = out->data + start;
		size_t n = out->len - start;
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)p[k] < 0x20 || p[k] == 0x7f)
				p[k] = ' ';
		size_t a = 0;
		while (a < n && p[a] == ' ')
			a++;
		size_t e = n;
		while (e > a && p[e - 1] == ' ')
			e--;
		if (a)
			memmove(p, p + a, e - a);
		buf_truncate(out, start + (e - a));
	}
	return out->overflowed ? CHARSET_TRUNCATED : res;
}

/* charset_decode_2231 - charset'lang'%xx (first piece) or %xx (later ones) */
void charset_decode_2231(const char *in, size_t len, int first, struct buf *raw,
			 char *charset, size_t csmax)
{
	size_t i = 0;
	if (first) {
		const char *q1 = memchr(in, '\'', len);
		const char *q2 = q1 ? memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - in)) : NULL;
		if (charset && csmax)
			charset[0] = '\0';
		if (q1 && q2) {
			size_t n = (size_t)(q1 - in);
			if (charset && csmax) {
				if (n > csmax - 1)
					n = csmax - 1;
				memcpy(charset, in, n);
				charset[n] = '\0';
			}
			i = (size_t)(q2 + 1 - in);
		}
	}
	char tmp[256];
	size_t k = 0;
	for (; i < len; i++) {
		int h1, h2;
		char c = in[i];
		if (c == '%' && i + 2 < len && (h1 = hexval((unsigned char)in[i + 1])) >= 0 &&
		    (h2 = hexval((unsigned char)in[i + 2])) >= 0) {
			c = (char)(h1 * 16 + h2);
			i += 2;
		}
		tmp[k++] = c;
		if (k == sizeof(tmp)) {
			buf_append(raw, tmp, k);
			k = 0;
		}
	}
	if (k)
		buf_append(raw, tmp, k);
}
