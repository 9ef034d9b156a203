#include "config.h"
/* The signature stage and the text-level stripping it is built on (see
   signature.h for what is removed and what is kept).

   Stripping works on lines. In one piece of new text, the "-- " block is cut
   first, then mobile footers, then a walk from the end removes whole
   trailing paragraphs while each one is a disclaimer, a list footer, a
   separator or a contact block; the first paragraph that reads as anything
   else stops the walk. */
#include "filters/signature.h"
#include "filters/filter.h"
#include "lib/str.h"
#include "lib/utf8.h"
#include "lib/xalloc.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* SIG_MAX_LINES - lines in one text; a longer text passes unchanged */
#define SIG_MAX_LINES 200000
/* SIG_MAX_BLOCK_LINES - lines in a contact block */
#define SIG_MAX_BLOCK_LINES 10
/* SIG_MAX_SIG_LINE - longest line of a contact block (disclaimer lines aside) */
#define SIG_MAX_SIG_LINE 100
/* SIG_MAX_FOOTER_LINE - longest mobile footer line */
#define SIG_MAX_FOOTER_LINE 80
/* SIG_MAX_DASH_BLOCK - non-blank lines a bare "--" may introduce */
#define SIG_MAX_DASH_BLOCK 15
/* SIG_MAX_ATTRIBUTION - longest attribution line ("On ... wrote:") */
#define SIG_MAX_ATTRIBUTION 400

struct line {
	const char *s;          /* start */
	size_t len;             /* without the line end */
	size_t nl;              /* bytes of line end: 0, 1 (LF) or 2 (CRLF) */
	const char *t;          /* trimmed start */
	size_t tl;              /* trimmed length */
	const char *lt;         /* the trimmed text with ASCII letters lowercased
				   (tl bytes, in a copy made by split_lines) */
	int cut;                /* removed */
	int keep;               /* protected: quote, attribution, header block */
};

/* space_at - ASCII blank or a UTF-8 no-break space at s (its length, or 0) */
static size_t space_at(const char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\f' || s[0] == '\v'))
		return 1;
	if (n >= 2 && (unsigned char)s[0] == 0xc2 && (unsigned char)s[1] == 0xa0)
		return 2;
	return 0;
}

/* trim_line - set l->t, l->tl: the line without outer blanks and no-break spaces */
static void trim_line(struct line *l)
{
	const char *s = l->s, *e = l->s + l->len;
	size_t k;
	while (s < e && (k = space_at(s, (size_t)(e - s))) > 0)
		s += k;
	for (;;) {
		if (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		else if (e - s >= 2 && (unsigned char)e[-2] == 0xc2 && (unsigned char)e[-1] == 0xa0)
			e -= 2;
		else
			break;
	}
	l->t = s;
	l->tl = (size_t)(e - s);
}

/* split_lines - the lines of text, each with its lowercased copy (one
   allocation: free the array); NULL when there are more than SIG_MAX_LINES */
static struct line *split_lines(const char *text, int *n_r)
{
	size_t len = strlen(text);
	int n = 0;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n' && ++n > SIG_MAX_LINES)
			return NULL;
	if (len > 0 && text[len - 1] != '\n')
		n++;
	size_t head = ((size_t)n + 1) * sizeof(struct line);
	struct line *v = xcalloc(1, head + len + 1);
	char *low = (char *)v + head;
	memcpy(low, text, len); /* NUL-terminated by xcalloc */
	str_lower(low);
	const char *p = text, *end = text + len;
	int i = 0;
	while (p < end && i < n) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		struct line *l = &v[i++];
		l->s = p;
		if (le == NULL) {
			l->len = (size_t)(end - p);
			l->nl = 0;
			p = end;
		} else {
			l->len = (size_t)(le - p);
			l->nl = 1;
			if (l->len > 0 && p[l->len - 1] == '\r') {
				l->len--;
				l->nl = 2;
			}
			p = le + 1;
		}
		trim_line(l);
		l->lt = low + (l->t - text);
	}
	*n_r = i;
	return v;
}

/* has_ci - the n lowercased bytes at s (a line's lt) contain needle, a
   lowercase word. Every line of every message meets dozens of needles:
   each line is lowercased once (split_lines) and searched with memmem
   (bench/: the byte-by-byte case-folding scan was a sixth of ingest). */
static int has_ci(const char *s, size_t n, const char *needle)
{
	return memmem(s, n, needle, strlen(needle)) != NULL;
}

/* has_any_ci - the lowercased s[0..n) holds one of the (lowercase) words */
static int has_any_ci(const char *s, size_t n, const char *const *words, size_t nw)
{
	for (size_t i = 0; i < nw; i++)
		if (has_ci(s, n, words[i]))
			return 1;
	return 0;
}

/* starts_ci - the lowercased s[0..n) (a line's lt) opens with prefix, a
   lowercase word */
static int starts_ci(const char *s, size_t n, const char *prefix)
{
	for (size_t i = 0; prefix[i] != '\0'; i++)
		if (i >= n || s[i] != prefix[i])
			return 0;
	return 1;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- line shapes ---- */

/* Mobile and webmail footers: the line opens with one of these (lowercase). */
static const char *const footer_prefixes[] = {
	"sent from my ", "sent from yahoo mail", "sent from mail for windows",
	"sent from outlook", "sent from the outlook", "sent from aol", "sent from samsung",
	"sent from gmail", "sent from proton", "sent with proton", "sent from bluemail",
	"sent from fastmail", "sent from zoho", "sent from blackberry", "sent with blackberry",
	"sent via blackberry", "sent from ipad", "sent from iphone", "sent from android",
	"sent from mobile", "sent from a mobile", "sent from an iphone", "sent using ",
	"sent via the samsung", "sent on the go", "sent from xfinity", "sent wirelessly from my ",
	"sent from windows mail", "sent from mailbox", "sent with airmail", "sent via mobile",
	"sent from [mail]", "sent from typeapp", "sent with spark", "sent from spark",
	"sent from polymail", "sent from superhuman", "sent from edison", "sent from nine",
	"sent from mymail", "sent from my mail", "sent by galaxy", "sent from a phone",
	"sent from phone", "sent from mobile", "from my iphone", "from my ipad", "from my android",
	"get outlook for ", "get outlook on ", "get [outlook for ", "envoyé sans fil par mon ",
	"envoyé de mon ", "envoyé depuis mon ", "envoyé de l'", "envoyé à partir de ",
	"envoye de mon ", "envoyé avec ",
	"gesendet von meinem ", "gesendet vom ", "gesendet mit ", "gesendet von ",
	"enviado desde mi ", "enviado desde ", "enviado de mi ", "enviado do meu ",
	"enviado do ", "enviado con ",
	"inviato da ", "inviato dal mio ", "inviato con ",
	"verzonden vanaf mijn ", "verstuurd vanaf mijn ", "verzonden met ", "verstuurd met ",
	"skickat från min ", "skickat från ", "sendt fra min ", "sendt fra ",
	"lähetetty ", "wysłane z ", "wysłano z ", "odesláno z ", "отправлено с ",
	"отправлено из ", "從我的", "从我的", "發自我的", "发自我的", "iphoneから送信",
	"ipadから送信", "androidから送信", "iphone에서 보냄", "feito do meu ",
};

/* is_footer_line - a mobile or webmail footer, the whole line (it may be
   wrapped in "(...)", "<<...>>" or "[...]") */
static int is_footer_line(const struct line *l)
{
	const char *t = l->t;
	size_t tl = l->tl;
	while (tl > 0 && (*t == '(' || *t == '<' || *t == '[' || *t == '*' || *t == '_')) {
		t++;
		tl--;
	}
	if (tl == 0 || tl > SIG_MAX_FOOTER_LINE)
		return 0;
	const char *lt = l->lt + (t - l->t);
	/* German and Dutch put the verb last: "Von meinem iPhone gesendet" */
	if ((starts_ci(lt, tl, "von meinem ") || starts_ci(lt, tl, "diese nachricht wurde von meinem ")) &&
	    has_ci(lt, tl, "gesendet"))
		return 1;
	if (starts_ci(lt, tl, "vanaf mijn ") && (has_ci(lt, tl, "verzonden") || has_ci(lt, tl, "verstuurd")))
		return 1;
	for (size_t i = 0; i < NELEM(footer_prefixes); i++)
		if (starts_ci(lt, tl, footer_prefixes[i]))
			return 1;
	return 0;
}

/* is_lone_footer - v[i] is "Sent from/with/via ..." standing alone between
   blank lines (or the piece's ends): a footer of an app not listed above */
static int is_lone_footer(const struct line *v, int a, int b, int i)
{
	static const char *const openers[] = { "sent from ", "sent with ", "sent via ", "sent using ",
					       "sent by " };
	const struct line *l = &v[i];
	if (l->tl == 0 || l->tl > 60)
		return 0;
	int opens = 0;
	for (size_t k = 0; k < NELEM(openers); k++)
		if (starts_ci(l->lt, l->tl, openers[k]))
			opens = 1;
	if (!opens || memchr(l->t, ',', l->tl) != NULL || has_ci(l->lt, l->tl, ". "))
		return 0;
	return (i == a || v[i - 1].tl == 0) && (i + 1 == b || v[i + 1].tl == 0);
}

/* Legal disclaimers: any one of these (lowercase) makes a paragraph one. */
static const char *const disclaimer_markers[] = {
	"intended recipient", "intended solely for", "received this e-mail in error",
	"received this email in error", "received this message in error",
	"received this communication in error", "received this in error",
	"destroy all copies", "delete all copies", "confidentiality notice",
	"confidentiality note", "confidentiality statement", "this e-mail and any attach",
	"this email and any attach", "this message and any attach",
	"including any attachments, is for the sole use", "is for the sole use of",
	"unauthorized review", "unauthorised review", "unauthorized use, disclosure",
	"please consider the environment before printing",
	"views expressed here are my own", "views expressed in this",
	"opinions expressed in this", "are my own and do not",
	"are those of the author", "do not necessarily reflect",
	"do not necessarily represent", "does not necessarily represent",
	"privileged and confidential", "confidential and privileged",
	"diese e-mail enthält vertrauliche", "dieses e-mail enthält vertrauliche",
	"ce message et toutes les pièces jointes", "ce message et ses pièces jointes",
	"este mensaje y sus anexos", "este correo electrónico y sus anexos",
	"questo messaggio e i suoi allegati",
};

/* Mailing-list and service footers: openings of a footer's lines (lowercase). */
static const char *const list_footer_markers[] = {
	"you are receiving this because you", "you received this message because you",
	"you are receiving this email because", "you are receiving this e-mail because",
	"you received this email because", "you're receiving this because",
	"you are receiving this message because", "to unsubscribe from this group",
	"reply to this email directly, view it on", "view it on github",
	"manage your subscription", "click here to unsubscribe", "to stop receiving these emails",
	"unsubscribe from this list", "update your email preferences",
};

/* is_list_footer_line - a line of a list footer ("To unsubscribe" opens it) */
static int is_list_footer_line(const struct line *l)
{
	return has_any_ci(l->lt, l->tl, list_footer_markers, NELEM(list_footer_markers)) ||
	       starts_ci(l->lt, l->tl, "to unsubscribe") || starts_ci(l->lt, l->tl, "unsubscribe:");
}

/* is_disclaimer_line - a line of a legal disclaimer */
static int is_disclaimer_line(const struct line *l)
{
	return has_any_ci(l->lt, l->tl, disclaimer_markers, NELEM(disclaimer_markers));
}

/* is_separator_line - "----", "____", "====", "***", "—————" */
static int is_separator_line(const struct line *l)
{
	if (l->tl < 2)
		return 0;
	const char *p = l->t, *end = l->t + l->tl;
	while (p < end) {
		uint32_t cp = utf8_decode(&p, end);
		if (cp < 0x80 ? strchr("-_=*~#. ", (int)cp) == NULL
			      : !(cp == 0x2012 || cp == 0x2013 || cp == 0x2014 || cp == 0x2015 ||
				  cp == 0x2212 || cp == 0x2500 || cp == 0x2501 || cp == 0x2550))
			return 0;
	}
	return 1;
}

/* is_letter_cp - a non-ASCII code point that is (most likely) a letter:
   Latin, Greek, Cyrillic and other alphabets, CJK, Hangul; not the
   punctuation, symbol, arrow, box and emoji blocks */
static int is_letter_cp(uint32_t cp)
{
	return (cp >= 0x00c0 && cp <= 0x1fff && cp != 0x00d7 && cp != 0x00f7) ||
	       (cp >= 0x3040 && cp <= 0xd7ff) || (cp >= 0xf900 && cp <= 0xfdff) ||
	       (cp >= 0xfe70 && cp <= 0xfeff) || (cp >= 0x20000 && cp <= 0x3ffff);
}

/* is_upper_start - a word that opens with a capital, or with a non-ASCII
   letter (scripts without case, accented capitals) */
static int is_upper_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* is_name_words - s[0..n) is a person's name: one to four words (plus
   lowercase particles) that open with capitals, no digits */
static int is_name_words(const char *s, size_t n)
{
	static const char *const particles[] = { "van", "von", "de", "da", "del", "der",
						 "di", "du", "la", "le", "bin", "al", "y" };
	int words = 0, caps = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t ws = i;
		while (i < n && s[i] != ' ')
			i++;
		size_t wl = i - ws;
		const char *w = s + ws;
		int letters = 0;
		for (const char *q = w, *qe = w + wl; q < qe;) {
			uint32_t cp = utf8_decode(&q, qe);
			if (cp < 0x80 ? isalpha((int)cp) : is_letter_cp(cp))
				letters++;
			else if (cp != '.' && cp != '-' && cp != '\'' && cp != 0x2019)
				return 0;
		}
		if (letters == 0)
			return 0;
		words++;
		if (is_upper_start((unsigned char)w[0]))
			caps++;
		else {
			int particle = 0;
			for (size_t k = 0; k < NELEM(particles); k++)
				if (strlen(particles[k]) == wl && memcmp(particles[k], w, wl) == 0)
					particle = 1;
			if (!particle)
				return 0;
		}
	}
	return words >= 1 && words <= 5 && caps >= 1 && caps <= 4;
}

/* Lowercase words that may stand uncapitalized in a title line. */
static const char *const title_small[] = {
	"of", "and", "the", "for", "in", "at", "on", "to", "a", "an", "&", "|", "de", "der",
	"und", "für", "et", "du", "des", "la", "le", "y", "del", "di", "van", "voor", "och",
	"og", "i", "og", "-", "–", "—", "/", "at",
};

/* is_title_line - a short title-cased line ("Policy Analyst, Office of
   Educator Effectiveness", "State University College of Education") */
static int is_title_line(const char *s, size_t n)
{
	if (n == 0 || n > SIG_MAX_SIG_LINE)
		return 0;
	char last = s[n - 1];
	if (last == '?' || last == '!' || last == ':' || last == ';')
		return 0;
	int words = 0, lower = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && (s[i] == ' ' || s[i] == ',' || s[i] == '(' || s[i] == ')'))
			i++;
		if (i >= n)
			break;
		size_t ws = i;
		while (i < n && s[i] != ' ' && s[i] != ',')
			i++;
		size_t wl = i - ws;
		const char *w = s + ws;
		int small = 0;
		for (size_t k = 0; k < NELEM(title_small); k++)
			if (strlen(title_small[k]) == wl && str_ncasecmp(title_small[k], w, wl) == 0)
				small = 1;
		/* small words, numbers and symbols ("District 9", "&") do not count */
		if (small || isdigit((unsigned char)w[0]) || strchr("&|-/+@#.", w[0]) != NULL)
			continue;
		words++;
		if (!is_upper_start((unsigned char)w[0]))
			lower++;
	}
	/* a sentence ends with a full stop after several words; "Inc." does not */
	if (last == '.' && words > 3)
		return 0;
	return words >= 1 && lower == 0;
}

/* is_phone_line - mostly a phone or fax number */
static int is_phone_line(const struct line *l)
{
	int digits = 0, letters = 0;
	for (size_t i = 0; i < l->tl; i++) {
		unsigned char c = (unsigned char)l->t[i];
		if (isdigit(c))
			digits++;
		else if (isalpha(c))
			letters++;
	}
	return digits >= 7 && letters <= 24 && l->tl <= SIG_MAX_SIG_LINE;
}

/* is_contact_line - an e-mail address or web address with few words */
static int is_contact_line(const struct line *l)
{
	if (l->tl > SIG_MAX_SIG_LINE)
		return 0;
	if (memchr(l->t, '@', l->tl) == NULL && !has_ci(l->lt, l->tl, "http") &&
	    !has_ci(l->lt, l->tl, "www."))
		return 0;
	int words = 1;
	for (size_t i = 0; i < l->tl; i++)
		if (l->t[i] == ' ')
			words++;
	return words <= 4;
}

/* is_sig_line - a line that belongs in a signature after the name */
static int is_sig_line(const struct line *l)
{
	if (l->tl == 0)
		return 0;
	if (is_disclaimer_line(l) || is_separator_line(l) || is_phone_line(l) ||
	    is_contact_line(l) || is_footer_line(l))
		return 1;
	if (l->tl <= SIG_MAX_SIG_LINE && l->t[0] == '(' && l->t[l->tl - 1] == ')')
		return 1;
	return is_title_line(l->t, l->tl);
}

/* is_name_line - the line opens with a name: alone, or followed by ", PhD" or
   " | Title" that reads as a title line. *rest_r is 1 when such a title
   follows on the same line. */
static int is_name_line(const struct line *l, int *rest_r)
{
	*rest_r = 0;
	if (l->tl == 0 || l->tl > SIG_MAX_SIG_LINE)
		return 0;
	size_t k = 0;
	while (k < l->tl && l->t[k] != ',' && l->t[k] != '|' &&
	       !(l->t[k] == ' ' && k + 2 < l->tl && (l->t[k + 1] == '-' || l->t[k + 1] == '/') &&
		 l->t[k + 2] == ' '))
		k++;
	size_t nl = k;
	while (nl > 0 && l->t[nl - 1] == ' ')
		nl--;
	if (!is_name_words(l->t, nl))
		return 0;
	if (k < l->tl) {
		size_t r = k + 1;
		while (r < l->tl && strchr(" -/|,", l->t[r]) != NULL)
			r++;
		if (!is_title_line(l->t + r, l->tl - r))
			return 0;
		*rest_r = 1;
	}
	return 1;
}

/* Closings that may stand above a name in the last paragraph (lowercase openings). */
static const char *const closings[] = {
	"thanks", "thank you", "many thanks", "best", "all the best", "regards", "kind regards",
	"warm regards", "best regards", "cheers", "sincerely", "yours", "cordially",
	"respectfully", "take care", "greetings", "thx", "ty", "mit freundlichen", "viele grüße",
	"beste grüße", "grüße", "gruß", "lg", "cordialement", "bien à vous", "amitiés",
	"saludos", "un saludo", "atentamente", "cordiali saluti", "saluti", "distinti saluti",
	"met vriendelijke groet", "groeten", "hartelijke groet", "med vänlig hälsning",
	"hälsningar", "mvh", "vennlig hilsen", "hilsen", "venlig hilsen", "pozdrawiam",
	"s pozdravem", "с уважением",
};

/* is_closing_line - a valediction ("Best,", "Thanks for reading,") */
static int is_closing_line(const struct line *l)
{
	if (l->tl == 0 || l->tl > 60)
		return 0;
	for (size_t i = 0; i < NELEM(closings); i++)
		if (starts_ci(l->lt, l->tl, closings[i]))
			return 1;
	/* "Thanks for pulling this together," */
	int words = 1;
	for (size_t i = 0; i < l->tl; i++)
		if (l->t[i] == ' ')
			words++;
	return words <= 7 && (l->t[l->tl - 1] == ',' || l->t[l->tl - 1] == '!');
}

/* contact_block - where a contact block starts in lines[a..b] (a name line
   followed only by signature lines, after at most some closing lines), or
   -1 when the paragraph is not one */
static int contact_block(const struct line *v, int a, int b)
{
	if (b - a + 1 > SIG_MAX_BLOCK_LINES + 3)
		return -1;
	for (int k = a; k <= b; k++) {
		int rest;
		if (is_name_line(&v[k], &rest)) {
			int all = 1;
			for (int j = k + 1; j <= b && all; j++)
				all = is_sig_line(&v[j]);
			if (all && (k < b || rest) && b - k + 1 <= SIG_MAX_BLOCK_LINES)
				return k;
		}
		/* only closings, a short first name and rules may stand above the name */
		int rest2;
		if (!is_closing_line(&v[k]) && !is_separator_line(&v[k]) &&
		    !(is_name_line(&v[k], &rest2) && v[k].tl <= 20))
			return -1;
	}
	return -1;
}

/* Openings of disclaimer paragraphs (lowercase). */
static const char *const disclaimer_openers[] = {
	"confidential", "this e-mail", "this email", "this message", "this communication",
	"this electronic", "this transmission", "the content of this", "the contents of this",
	"the information", "the views", "the opinions", "views expressed", "any views",
	"all views", "opinions expressed", "statements and opinions", "disclaimer",
	"notice:", "legal notice", "important:", "caution:", "privileged", "if you are not",
	"if you have received", "please consider the environment", "diese e-mail", "dieses e-mail",
	"ce message", "ce courriel", "este mensaje", "este correo", "questo messaggio",
};

/* para_is_trailer - a disclaimer, list footer or separator paragraph. A
   disclaimer paragraph opens with a disclaimer's words and holds one of
   its phrases, so a comment that ends in such a sentence is not taken for
   one; a list footer is a line that opens with a footer's words, or a lone
   unsubscribe URL. */
static int para_is_trailer(const struct line *v, int a, int b)
{
	int sep = 1, marker = 0, opens = 0;
	/* a disclaimer opens like one: only then are its lines searched for
	   the markers (dozens of needles a line) */
	for (size_t i = 0; !opens && i < NELEM(disclaimer_openers); i++)
		if (starts_ci(v[a].lt, v[a].tl, disclaimer_openers[i]))
			opens = 1;
	for (int k = a; k <= b; k++) {
		const struct line *l = &v[k];
		for (size_t i = 0; i < NELEM(list_footer_markers); i++)
			if (starts_ci(l->lt, l->tl, list_footer_markers[i]))
				return 1;
		if (starts_ci(l->lt, l->tl, "to unsubscribe") || starts_ci(l->lt, l->tl, "unsubscribe:"))
			return 1;
		if (l->tl > 0 && memchr(l->t, ' ', l->tl) == NULL &&
		    (has_ci(l->lt, l->tl, "listinfo") || has_ci(l->lt, l->tl, "unsubscribe")))
			return 1;
		if (opens && !marker && is_disclaimer_line(l))
			marker = 1;
		if (sep && !is_separator_line(l))
			sep = 0;
	}
	return sep || (opens && marker);
}

/* dash_delimiter - "-- " (2), a bare "--" (1), else 0 */
static int dash_delimiter(const struct line *l)
{
	if (l->tl != 2 || l->t[0] != '-' || l->t[1] != '-')
		return 0;
	return l->len >= 3 && l->s[2] == ' ' && l->t == l->s ? 2 : 1;
}

/* strip_lines - mark the cut lines of v[a..b) (a piece of new text) */
static void strip_lines(struct line *v, int a, int b)
{
	/* the signature block */
	for (int i = a; i < b; i++) {
		int d = dash_delimiter(&v[i]);
		if (d == 0)
			continue;
		if (d == 1) {
			/* a bare "--" may also part a comment's points: only a short
			   block of signature-like lines after it is a signature */
			int nonblank = 0, prose = 0;
			for (int j = i + 1; j < b; j++) {
				const struct line *l = &v[j];
				int rest;
				if (l->tl == 0)
					continue;
				nonblank++;
				if (is_sig_line(l) || is_closing_line(l) || is_name_line(l, &rest) ||
				    is_list_footer_line(l))
					continue;
				char last = l->t[l->tl - 1];
				if (l->tl > 60 || last == '.' || last == '?' || last == '!' || last == ':')
					prose = 1;
			}
			if (nonblank == 0 || nonblank > SIG_MAX_DASH_BLOCK || prose)
				continue;
		}
		for (int j = i; j < b; j++)
			v[j].cut = 1;
		break;
	}
	/* blank lines that end the piece stay: they part it from what follows */
	int tail = b;
	while (tail > a && v[tail - 1].tl == 0)
		tail--;
	for (int j = tail; j < b; j++)
		v[j].cut = 0;
	/* mobile footers, wherever they stand */
	for (int i = a; i < b; i++)
		if (!v[i].cut && (is_footer_line(&v[i]) || is_lone_footer(v, a, b, i)))
			v[i].cut = 1;
	/* trailing paragraphs, from the end */
	int end = b - 1, cut_from = -1;
	for (;;) {
		while (end >= a && (v[end].cut || v[end].tl == 0))
			end--;
		if (end < a)
			break;
		int start = end;
		while (start - 1 >= a && !v[start - 1].cut && v[start - 1].tl > 0)
			start--;
		if (para_is_trailer(v, start, end)) {
			cut_from = start;
			end = start - 1;
			continue;
		}
		int k = contact_block(v, start, end);
		if (k >= 0) {
			/* rules above the name go with it */
			int j = start;
			while (j < k && is_separator_line(&v[j]))
				j++;
			if (j < k) {
				cut_from = k;
				break;  /* a closing stands above it: the author's own words */
			}
			cut_from = start;
			end = start - 1;
			continue;
		}
		break;
	}
	if (cut_from >= 0) {
		for (int j = cut_from; j < tail; j++)
			v[j].cut = 1;
	}
	/* blank lines left hanging between the text and what was cut after it */
	int last_kept = a - 1, last_cut = a - 1;
	for (int i = a; i < b; i++) {
		if (v[i].tl == 0)
			continue;
		if (v[i].cut)
			last_cut = i;
		else
			last_kept = i;
	}
	for (int i = last_kept + 1; i < last_cut; i++)
		v[i].cut = 1;
	/* and the blank lines of a piece that is all cut */
	if (last_kept < a && last_cut >= a)
		for (int i = a; i < b; i++)
			v[i].cut = 1;
}

/* emit - append the kept lines of v[a..b) to out, the cut ones to removed */
static void emit(const struct line *v, int a, int b, struct buf *out, struct buf *removed)
{
	for (int i = a; i < b; i++) {
		if (!v[i].cut || v[i].keep) {
			buf_append(out, v[i].s, v[i].len + v[i].nl);
		} else if (removed != NULL && v[i].tl > 0) {
			buf_append(removed, v[i].s, v[i].len);
			buf_putc(removed, '\n');
		}
	}
}

/* signature_strip - see signature.h */
void signature_strip(const char *in, struct buf *out, struct buf *removed)
{
	int n;
	if (in == NULL)
		return;
	struct line *v = split_lines(in, &n);
	if (v == NULL) {
		buf_puts(out, in);
		return;
	}
	strip_lines(v, 0, n);
	emit(v, 0, n, out, removed);
	free(v);
}

/* ---- whole texts: quotes, attributions, header blocks ---- */

static int is_quote_line(const struct line *l)
{
	size_t i = 0;
	while (i < l->len && i < 3 && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	return i < l->len && l->s[i] == '>';
}

/* Verbs of attribution lines, lowercase. */
static const char *const attribution_verbs[] = {
	"wrote", "writes", "schrieb", "a écrit", "escribió", "escribio", "escreveu",
	"ha scritto", "scrisse", "schreef", "skrev", "napisał", "kirjoitti", "írta",
	"написал", "написала", "yazdı", "寫道", "写道", "a scris", "kirjutas", "napsal",
};

/* ends_colon - the trimmed line ends with ':' or a full-width colon */
static int ends_colon(const struct line *l)
{
	if (l->tl >= 1 && l->t[l->tl - 1] == ':')
		return 1;
	return l->tl >= 3 && memcmp(l->t + l->tl - 3, "\xef\xbc\x9a", 3) == 0;
}

/* is_attribution_line - "On ... wrote:" and its translations; "---- X wrote ----" */
static int is_attribution_line(const struct line *l)
{
	if (l->tl == 0 || l->tl > SIG_MAX_ATTRIBUTION)
		return 0;
	/* the shape first (cheap), then the verb: "...:" or "---- Name wrote ----" (Android) */
	int shape = ends_colon(l) || (l->t[0] == '-' && l->tl >= 4 && l->t[l->tl - 1] == '-');
	return shape && has_any_ci(l->lt, l->tl, attribution_verbs, NELEM(attribution_verbs));
}

/* Openings of the first line of a two-line attribution. */
static const char *const attribution_openers[] = {
	"on ", "le ", "am ", "el ", "il ", "op ", "den ", "w dniu ", "em ", "dne ", "в ", "在",
};

/* is_attribution_opener - the first line of an attribution that wrapped */
static int is_attribution_opener(const struct line *l)
{
	for (size_t i = 0; i < NELEM(attribution_openers); i++)
		if (starts_ci(l->lt, l->tl, attribution_openers[i]))
			return 1;
	return 0;
}

/* is_original_marker - "-----Original Message-----", "---------- Forwarded
   message ---------", "Begin forwarded message:", Outlook's "_____" rule */
static int is_original_marker(const struct line *l)
{
	if (l->tl == 0)
		return 0;
	if (starts_ci(l->lt, l->tl, "begin forwarded message"))
		return 1;
	size_t u = 0;
	while (u < l->tl && l->t[u] == '_')
		u++;
	if (u >= 8 && u == l->tl)
		return 1;
	size_t d = 0, dashes = 0;
	while (d < l->tl && strchr("-_= ", l->t[d]) != NULL) {
		if (l->t[d] != ' ')
			dashes++;
		d++;
	}
	return dashes >= 3 && d < l->tl &&
	       (isalpha((unsigned char)l->t[d]) || (unsigned char)l->t[d] >= 0x80);
}

/* Header names of a quoted original's header block. */
static const char *const from_names[] = {
	"from:", "*from:*", "de :", "de:", "von:", "van:", "da:", "från:", "fra:", "od:",
	"от:", "lähettäjä:", "feladó:", "发件人:", "寄件者:", "发件人：", "寄件者：",
};
static const char *const header_names[] = {
	"sent:", "*sent:*", "date:", "*date:*", "to:", "*to:*", "subject:", "*subject:*",
	"cc:", "envoyé :", "envoyé:", "gesendet:", "datum:", "enviado:", "enviado el:",
	"verzonden:", "inviato:", "skickat:", "sendt:", "wysłano:", "отправлено:", "à :",
	"à:", "an:", "aan:", "para:", "a:", "till:", "til:", "do:", "кому:", "objet :",
	"objet:", "betreff:", "asunto:", "onderwerp:", "oggetto:", "ämne:", "emne:",
	"temat:", "тема:", "lähetetty:", "aihe:", "vastaanottaja:",
};

/* starts_any - the trimmed line opens with one of the names, ignoring ASCII case */
static int starts_any(const struct line *l, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (starts_ci(l->lt, l->tl, names[i]))
			return 1;
	return 0;
}

/* header_block_len - lines in the original's header block opening at v[i]
   ("From: ..." followed by Sent:/To:/Subject: lines); 0 if none */
static int header_block_len(const struct line *v, int i, int n)
{
	if (!starts_any(&v[i], from_names, NELEM(from_names)))
		return 0;
	int found = 0, j = i + 1;
	for (; j < n && j <= i + 8 && v[j].tl > 0; j++) {
		if (starts_any(&v[j], header_names, NELEM(header_names)))
			found = 1;
		else if (!found)
			break;
	}
	return found ? j - i : 0;
}

/* signature_strip_text - see signature.h */
void signature_strip_text(const char *text, struct buf *out, struct buf *removed)
{
	int n;
	if (text == NULL)
		return;
	struct line *v = split_lines(text, &n);
	if (v == NULL) {
		buf_puts(out, text);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (is_quote_line(&v[i]) || is_original_marker(&v[i])) {
			v[i].keep = 1;
		} else if (is_attribution_line(&v[i])) {
			v[i].keep = 1;
			if (i > 0 && !is_attribution_opener(&v[i]) && v[i - 1].tl > 0 &&
			    !v[i - 1].keep && is_attribution_opener(&v[i - 1]))
				v[i - 1].keep = 1;
		} else {
			int h = header_block_len(v, i, n);
			for (int j = i; j < i + h; j++)
				v[j].keep = 1;
			if (h > 0)
				i += h - 1;
		}
	}
	for (int i = 0; i < n;) {
		if (v[i].keep) {
			emit(v, i, i + 1, out, removed);
			i++;
			continue;
		}
		int j = i;
		while (j < n && !v[j].keep)
			j++;
		strip_lines(v, i, j);
		emit(v, i, j, out, removed);
		i = j;
	}
	free(v);
}

/* signature_run - strip msg->text; what was cut goes to ctx->removed_signature */
static enum filter_verdict signature_run(struct filter_ctx *ctx)
{
	struct mail_msg *m = ctx->msg;
	if (m == NULL || m->text == NULL || m->text[0] == '\0')
		return FILTER_CONTINUE;
	struct buf out, removed;
	size_t len = strlen(m->text);
	buf_init(&out, len + 16);
	buf_init(&removed, len + 16);
	signature_strip_text(m->text, &out, &removed);
	if (removed.len > 0 && !out.overflowed) {
		free(m->text);
		m->text = buf_steal(&out, NULL);
		free(ctx->removed_signature);
		ctx->removed_signature = buf_steal(&removed, NULL);
	}
	buf_free(&out);
	buf_free(&removed);
	return FILTER_CONTINUE;
}

const struct filter filter_signature = { "signature", signature_run };
